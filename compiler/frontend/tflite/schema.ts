// Facts of TFLite's flatbuffer schema (tensorflow/lite/schema/schema.fbs) that the importer needs, as typed
// tables: the field slot of every field we read (vtable offset = 4 + 2 * slot), the enum values, and the
// builtin-operator codes (names are used in error messages, so the common ones are listed).

/** Field slots per table. */
export const Slot = {
  Model: { version: 0, operatorCodes: 1, subgraphs: 2, description: 3, buffers: 4 },
  SubGraph: { tensors: 0, inputs: 1, outputs: 2, operators: 3, name: 4 },
  Buffer: { data: 0, offset: 1, size: 2 },
  Tensor: { shape: 0, type: 1, buffer: 2, name: 3, quantization: 4, isVariable: 5, sparsity: 6 },
  Quantization: { min: 0, max: 1, scale: 2, zeroPoint: 3, detailsType: 4, details: 5, quantizedDimension: 6 },
  OperatorCode: { deprecatedBuiltinCode: 0, customCode: 1, version: 2, builtinCode: 3 },
  Operator: { opcodeIndex: 0, inputs: 1, outputs: 2, builtinOptionsType: 3, builtinOptions: 4, intermediates: 8 },
  Conv2DOptions: { padding: 0, strideW: 1, strideH: 2, activation: 3, dilationW: 4, dilationH: 5 },
  DepthwiseConv2DOptions: { padding: 0, strideW: 1, strideH: 2, depthMultiplier: 3, activation: 4, dilationW: 5, dilationH: 6 },
  FullyConnectedOptions: { activation: 0, weightsFormat: 1, keepNumDims: 2 },
  AddOptions: { activation: 0, potScaleInt16: 1 },
  MulOptions: { activation: 0 },
  SubOptions: { activation: 0, potScaleInt16: 1 },
  Pool2DOptions: { padding: 0, strideW: 1, strideH: 2, filterW: 3, filterH: 4, activation: 5 },
  SoftmaxOptions: { beta: 0 },
  ReshapeOptions: { newShape: 0 },
  LeakyReluOptions: { alpha: 0 },
  ConcatenationOptions: { axis: 0, activation: 1 },
  SqueezeOptions: { squeezeDims: 0 },
  SplitOptions: { numSplits: 0 },
  SplitVOptions: { numSplits: 0 },
  StridedSliceOptions: { beginMask: 0, endMask: 1, ellipsisMask: 2, newAxisMask: 3, shrinkAxisMask: 4, offset: 5 },
  PackOptions: { valuesCount: 0, axis: 1 },
  UnpackOptions: { num: 0, axis: 1 },
  ResizeNearestNeighborOptions: { alignCorners: 0, halfPixelCenters: 1 },
  ReducerOptions: { keepDims: 0 },
  ResizeBilinearOptions: { alignCorners: 2, halfPixelCenters: 3 },
  TransposeConvOptions: { padding: 0, strideW: 1, strideH: 2, activation: 3 },
  UnidirectionalSequenceLSTMOptions: { activation: 0, cellClip: 1, projClip: 2, timeMajor: 3, asymmetricQuantizeInputs: 4, diagonalRecurrentTensors: 5 },
} as const;

/** TensorType. */
export const TensorType = {
  FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, STRING: 5, BOOL: 6, INT16: 7, COMPLEX64: 8, INT8: 9,
  FLOAT64: 10, COMPLEX128: 11, UINT64: 12, RESOURCE: 13, VARIANT: 14, UINT32: 15, UINT16: 16, INT4: 17,
} as const;

export function tensorTypeName(t: number): string {
  return Object.entries(TensorType).find(([, v]) => v === t)?.[0] ?? `type ${t}`;
}

/** Padding. */
export const PaddingCode = { SAME: 0, VALID: 1 } as const;

/** ActivationFunctionType. */
export const ActivationCode = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4, SIGN_BIT: 5 } as const;

/** FullyConnectedOptionsWeightsFormat. */
export const WeightsFormat = { DEFAULT: 0, SHUFFLED4x16INT8: 1 } as const;

/** BuiltinOperator codes (the real code of an OperatorCode is max(deprecated_builtin_code, builtin_code)). */
export const BuiltinOperator = {
  ADD: 0, AVERAGE_POOL_2D: 1, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEPTH_TO_SPACE: 5,
  DEQUANTIZE: 6, EMBEDDING_LOOKUP: 7, FLOOR: 8, FULLY_CONNECTED: 9, HASHTABLE_LOOKUP: 10, L2_NORMALIZATION: 11,
  L2_POOL_2D: 12, LOCAL_RESPONSE_NORMALIZATION: 13, LOGISTIC: 14, LSH_PROJECTION: 15, LSTM: 16, MAX_POOL_2D: 17,
  MUL: 18, RELU: 19, RELU_N1_TO_1: 20, RELU6: 21, RESHAPE: 22, RESIZE_BILINEAR: 23, RNN: 24, SOFTMAX: 25,
  SPACE_TO_DEPTH: 26, SVDF: 27, TANH: 28, CONCAT_EMBEDDINGS: 29, SKIP_GRAM: 30, CALL: 31, CUSTOM: 32,
  EMBEDDING_LOOKUP_SPARSE: 33, PAD: 34, UNIDIRECTIONAL_SEQUENCE_RNN: 35, GATHER: 36, BATCH_TO_SPACE_ND: 37,
  SPACE_TO_BATCH_ND: 38, TRANSPOSE: 39, MEAN: 40, SUB: 41, DIV: 42, SQUEEZE: 43, UNIDIRECTIONAL_SEQUENCE_LSTM: 44,
  STRIDED_SLICE: 45, BIDIRECTIONAL_SEQUENCE_RNN: 46, EXP: 47, TOPK_V2: 48, SPLIT: 49, LOG_SOFTMAX: 50,
  DELEGATE: 51, BIDIRECTIONAL_SEQUENCE_LSTM: 52, CAST: 53, PRELU: 54, MAXIMUM: 55, ARG_MAX: 56, MINIMUM: 57,
  LESS: 58, NEG: 59, PADV2: 60, GREATER: 61, GREATER_EQUAL: 62, LESS_EQUAL: 63, SELECT: 64, SLICE: 65, SIN: 66,
  TRANSPOSE_CONV: 67, SPARSE_TO_DENSE: 68, TILE: 69, EXPAND_DIMS: 70, EQUAL: 71, NOT_EQUAL: 72, LOG: 73, SUM: 74,
  SQRT: 75, RSQRT: 76, SHAPE: 77, POW: 78, ARG_MIN: 79, FAKE_QUANT: 80, REDUCE_PROD: 81, REDUCE_MAX: 82,
  PACK: 83, LOGICAL_OR: 84, ONE_HOT: 85, LOGICAL_AND: 86, LOGICAL_NOT: 87, UNPACK: 88, REDUCE_MIN: 89, FLOOR_DIV: 90,
  REDUCE_ANY: 91, SQUARE: 92, ZEROS_LIKE: 93, FILL: 94, FLOOR_MOD: 95, RANGE: 96, RESIZE_NEAREST_NEIGHBOR: 97,
  LEAKY_RELU: 98, SQUARED_DIFFERENCE: 99, MIRROR_PAD: 100, ABS: 101, SPLIT_V: 102, UNIQUE: 103, CEIL: 104,
  REVERSE_V2: 105, ADD_N: 106, GATHER_ND: 107, COS: 108, WHERE: 109, RANK: 110, ELU: 111,
  REVERSE_SEQUENCE: 112, MATRIX_DIAG: 113, QUANTIZE: 114, MATRIX_SET_DIAG: 115, ROUND: 116, HARD_SWISH: 117,
  IF: 118, WHILE: 119, NON_MAX_SUPPRESSION_V4: 120, NON_MAX_SUPPRESSION_V5: 121, SCATTER_ND: 122,
  SELECT_V2: 123, DENSIFY: 124, SEGMENT_SUM: 125, BATCH_MATMUL: 126,
} as const;

export function builtinName(code: number): string {
  return Object.entries(BuiltinOperator).find(([, v]) => v === code)?.[0] ?? `BUILTIN_${code}`;
}

/** BuiltinOptions union tags of the options tables we read (checked against an op's builtin_options_type). */
export const BuiltinOptionsType = {
  NONE: 0, Conv2DOptions: 1, DepthwiseConv2DOptions: 2, Pool2DOptions: 5, FullyConnectedOptions: 8,
  SoftmaxOptions: 9, ConcatenationOptions: 10, AddOptions: 11, ReshapeOptions: 17, PadOptions: 22, TransposeOptions: 26,
  SqueezeOptions: 30, StridedSliceOptions: 32, SplitOptions: 35, PadV2Options: 43, SliceOptions: 48, ExpandDimsOptions: 52,
  PackOptions: 59, UnpackOptions: 64, ResizeNearestNeighborOptions: 74, LeakyReluOptions: 75, SplitVOptions: 79,
  QuantizeOptions: 89, HardSwishOptions: 91, MulOptions: 21, SubOptions: 28, MaximumMinimumOptions: 39,
  SquaredDifferenceOptions: 76, ResizeBilinearOptions: 15, ReducerOptions: 27, TransposeConvOptions: 49, DequantizeOptions: 38, SVDFOptions: 6,
  UnidirectionalSequenceLSTMOptions: 71,
} as const;

/** The 4-byte file identifier at offset 4 of every .tflite file. */
export const FILE_IDENTIFIER = 'TFL3';
