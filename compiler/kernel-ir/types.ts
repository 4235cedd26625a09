// Kernel IR: *how much and where*. Each op is legalised for the backends: fused activation turned into a
// clamp range, requantisation folded into per-output-channel (multiplier, shift) pairs from TFLite's
// QuantizeMultiplier, zero points turned into offsets, padding made explicit, layouts fixed (NHWC
// activations, OHWI / [1,KH,KW,C*M] / [O,I] int8 weights, int32 bias always present). Activations live
// in buffers with lifetimes (op indices) and sizes; constants live in a separate table (flash on an MCU).
// Both backends read only this IR; its textual form (printer.ts) is a stable contract.

import type { DType } from '../ir/graph.ts';
import type { Arith } from '../quant/multiplier.ts';
import type { ReduceQuantParams } from '../quant/params.ts';

/**
 * An activation buffer. `state` is recurrent state (a variable tensor of the graph): persistent across
 * invocations, so it lives outside the activation arena (the C backend's static `<name>_state`), starts at
 * its reset value (`stateInit`, TFLite's ResetVariableTensor: the zero point for int8, else 0), is an input
 * of the op that owns it, and that op also updates it in place; def -1 and lastUse ops.length.
 */
export interface KBuffer {
  id: number;
  name: string;
  kind: 'input' | 'output' | 'activation' | 'state';
  /** `state` buffers: the value of every element before the first invocation and after a reset. */
  stateInit?: number;
  shape: number[];
  dtype: DType;
  bytes: number;
  /** Per-tensor quantisation of the activation (0 and 0 for a float32 edge buffer). */
  scale: number;
  zeroPoint: number;
  /** Index of the kernel op that writes it (-1 for graph inputs) and of the last op that reads it (ops.length for graph outputs). */
  def: number;
  lastUse: number;
  /** Set when this buffer is a view of another (reshape): same bytes, no storage of its own. */
  aliasOf?: number;
}

export interface KConst {
  id: number;
  name: string;
  dtype: DType;
  shape: number[];
  data: Int8Array | Int16Array | Int32Array;
}

/** Per output channel (length 1 when per-tensor): real multiplier = multiplier * 2^(shift - 31). */
export interface Requant {
  multiplier: Int32Array;
  /** Positive = left shift, as TFLite. */
  shift: Int32Array;
}

export interface QM { multiplier: number; shift: number }

interface KOpBase {
  /** Position in `ops`. */
  index: number;
  /** Index of the graph-IR op this came from. */
  sourceOp: number;
  name: string;
  /** Activation buffers read, in operand order. */
  inputs: number[];
  /** Activation buffer written. */
  output: number;
  /** Multiply-accumulates (0 for data movement). */
  macs: number;
  /** Schedule annotations added by passes and backends (channel splits, tiling choices, ...). */
  schedule: Record<string, number | string | boolean>;
}

/** Geometry shared by the window ops (convolutions and pools). */
export interface Window {
  batches: number;
  inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  kH: number; kW: number;
  strideH: number; strideW: number;
  dilationH: number; dilationW: number;
  padTop: number; padLeft: number; padBottom: number; padRight: number;
}

/** Everything that turns an int32 accumulator into the int8 output. */
export interface Requantise {
  /** Added to every input value before multiplying: -inputZeroPoint. */
  inputOffset: number;
  /** Added after requantisation: outputZeroPoint. */
  outputOffset: number;
  requant: Requant;
  /**
   * How the accumulator is multiplied by `requant`: 'double' = SaturatingRoundingDoublingHighMul then
   * RoundingDivideByPOT (tflm everywhere); 'single' = one 64-bit multiply and one rounding shift, which
   * desktop TFLite (arith tflite) uses only for ungrouped CONV_2D and FULLY_CONNECTED. The pass pipeline
   * always sets it; absent (hand-built modules) means 'double'.
   */
  rounding?: 'double' | 'single';
  actMin: number;
  actMax: number;
}

export interface KConv2d extends KOpBase, Window, Requantise {
  kind: 'conv2d';
  groups: number;
  /** KConst ids: int8 OHWI weights (I = inC / groups), int32 bias [outC]. */
  weights: number;
  bias: number;
}

export interface KDepthwiseConv2d extends KOpBase, Window, Requantise {
  kind: 'depthwise_conv2d';
  depthMultiplier: number;
  /** int8 [1, KH, KW, outC]; int32 bias [outC]. */
  weights: number;
  bias: number;
}

export interface KFullyConnected extends KOpBase, Requantise {
  kind: 'fully_connected';
  batches: number;
  inDepth: number;
  outDepth: number;
  /** int8 [outDepth, inDepth]; int32 bias [outDepth]. */
  weights: number;
  bias: number;
}

/** Shift convolution: per-input-channel spatial shift (reads outside the image give the input zero point), then 1x1. */
export interface KShiftConv2d extends KOpBase, Window, Requantise {
  kind: 'shift_conv2d';
  /** [dy, dx] per input channel. kH = kW = 1. */
  shifts: Array<[number, number]>;
  weights: number;
  bias: number;
}

/**
 * Add (AdderNet) convolution: acc = bias - sum |(x + inputOffset) - w|, requantised as conv2d. Padding taps
 * read real 0 (x + inputOffset = 0), so they still contribute |w|, unlike conv2d's padding.
 */
export interface KAddConv2d extends KOpBase, Window, Requantise {
  kind: 'add_conv2d';
  weights: number;
  bias: number;
}

/** TFLite's quantised ADD: both inputs rescaled to a common scale with a left shift of 20. */
export interface KAdd extends KOpBase {
  kind: 'add';
  /** Output shape and each input's shape, all right-aligned to 4D for broadcasting. */
  outShape: [number, number, number, number];
  aShape: [number, number, number, number];
  bShape: [number, number, number, number];
  input1Offset: number;
  input2Offset: number;
  outputOffset: number;
  leftShift: number;
  input1Q: QM;
  input2Q: QM;
  outputQ: QM;
  actMin: number;
  actMax: number;
}

/** What a `binary` kernel op computes per element (see KBinary). */
export type BinaryOpCode = 'add' | 'sub' | 'mul' | 'squared_difference' | 'maximum' | 'minimum';

/**
 * TFLite's int8 element-wise binary ops with NumPy broadcasting over up to 6 dimensions (ADD of rank 5-6
 * too; ADD of rank <= 4 is `add`). Shapes are right-aligned to `outShape.length` (4 to 6) dimensions.
 *   add, sub: s_i = MBQM((x_i + input_iOffset) << leftShift, input_iQ) (double rounding); raw = s1 + s2,
 *             for sub s1 - s2 when input2Q.multiplier > 0 (TFLite Micro), s1 + s2 when it is negative
 *             (desktop TFLite's ADD kernel with the negated multiplier); out = MBQM(raw, outputQ) + outputOffset.
 *   mul:      out = MBQM((x1 + input1Offset) * (x2 + input2Offset), outputQ) + outputOffset (outputQ any shift).
 *   squared_difference: as sub (leftShift 7, positive multipliers), raw = (s1 - s2)^2, outputQ any shift.
 *   maximum, minimum: the larger / smaller raw int8 value (operands and output share one quantisation).
 *   add, sub with `pot` (int16, desktop TFLite's power-of-two path): s_i = x_i, or RoundingDivideByPOT(x_i,
 *             pot[i]) on int16 (round half away from zero; int16 mask) where pot[i] > 0; raw = s1 + s2 or s1 - s2
 *             (saturated to int16 by the clamp); offsets, left shift and multipliers 0.
 * Then the clamp [actMin, actMax]. Fields an op does not use are 0.
 */
export interface KBinary extends KOpBase {
  kind: 'binary';
  op: BinaryOpCode;
  /** Set when operand `slot` is the constant `@const` (int8, its elements in aShape / bShape); `inputs`
   *  then holds only the other operand's buffer. */
  constOperand?: { slot: 0 | 1; const: number };
  outShape: number[];
  aShape: number[];
  bShape: number[];
  input1Offset: number;
  input2Offset: number;
  outputOffset: number;
  leftShift: number;
  input1Q: QM;
  input2Q: QM;
  outputQ: QM;
  actMin: number;
  actMax: number;
  /** int16 ADD / SUB on desktop TFLite's power-of-two path: right shifts of input 1 and 2, one of them 0. */
  pot?: [number, number];
}

export interface KPool2d extends KOpBase, Window {
  kind: 'average_pool2d' | 'max_pool2d';
  actMin: number;
  actMax: number;
}

/** A view: the output buffer aliases the input. */
export interface KReshape extends KOpBase {
  kind: 'reshape';
}

/** TFLite's int8 softmax over the last axis (fixed-point exp, as the reference kernel). */
export interface KSoftmax extends KOpBase {
  kind: 'softmax';
  rows: number;
  depth: number;
  inputMultiplier: number;
  inputLeftShift: number;
  diffMin: number;
  outputOffset: number;
  /**
   * int8 -> int16 in the `tflite` arithmetic: desktop TFLite's float path instead of the fixed-point one
   * (table[255 - v] = expf(scale * v), float32 sums, round(p / (sum * outScale)) + outputOffset). Float32 values.
   */
  floatPath?: { scale: number; outScale: number };
}

/**
 * An int8 -> int8 function of one byte applied element-wise (RELU family, LEAKY_RELU, LOGISTIC, TANH,
 * HARD_SWISH, QUANTIZE int8 -> int8): out[i] = table[(uint8) in[i]]. The table is computed at compile time
 * with the op's arithmetic in the module's `arith` (compiler/quant/unary.ts).
 */
export interface KLut extends KOpBase {
  kind: 'lut';
  /** Elements. */
  size: number;
  /** KConst id: int8 [256], indexed by the input byte read as uint8. */
  table: number;
  /** The graph op it implements (for reports). */
  fn: string;
}

/**
 * TFLite's int8 PRELU: v = x + inputOffset; v >= 0 ? v * (mult1, shift1) : v * (alpha + alphaOffset) *
 * (mult2, shift2); + outputOffset, clamped to int8 (double rounding). alpha is broadcast to the output.
 */
export interface KPrelu extends KOpBase {
  kind: 'prelu';
  /** Output (= input) shape and alpha's shape, both right-aligned to 4D. */
  outShape: [number, number, number, number];
  alphaShape: [number, number, number, number];
  /** KConst id of the int8 alpha tensor (row-major in alphaShape). */
  alpha: number;
  inputOffset: number;
  alphaOffset: number;
  outputOffset: number;
  mult1: number; shift1: number;
  mult2: number; shift2: number;
}

/**
 * An affine strided copy (data movement: pad, transpose, slice, strided slice, concatenation, pack, and one
 * op per output of split / unpack). Optionally the whole output is first set to `fill` (pad); then region k
 * copies from inputs[k]: out[outOffset + sum i_d * outStrides[d]] = in[inOffset + sum i_d * inStrides[d]] for
 * every index i of `shape` (1 to 6 dimensions, outermost first; element offsets and strides, input strides
 * may be negative). Regions are normalised (no size-1 dimensions, mergeable neighbours merged).
 */
export interface KCopy extends KOpBase {
  kind: 'copy';
  /** One per input, in operand order. */
  regions: Array<{ shape: number[]; inOffset: number; inStrides: number[]; outOffset: number; outStrides: number[] }>;
  /** int8 value the output holds outside the regions (absent: the regions cover the output exactly). */
  fill?: number;
}

/**
 * Nearest-neighbour resize of NHWC [batches, inH, inW, channels] to [batches, outH, outW, channels]: output
 * pixel (y, x) is input pixel (rowIndex[y], colIndex[x]), indices computed at compile time as TFLite does
 * (float32 scale, align_corners / half_pixel_centers).
 */
export interface KResizeNearest extends KOpBase {
  kind: 'resize_nearest';
  batches: number;
  inH: number; inW: number; channels: number;
  outH: number; outW: number;
  rowIndex: number[];
  colIndex: number[];
}

/**
 * MEAN / SUM over `axes` of `inShape` (rank <= 6), int8 -> int8. `method` says how the int32 sums become
 * outputs (compiler/quant/params.ts ReduceQuantParams): integer (TFLite Micro), spatial (desktop TFLite's
 * 4-D H,W mean), float (desktop TFLite's float32 QuantizedMeanOrSum; fscale/fbias are float32 values) or
 * plain (desktop TFLite's MEAN with equal input and output quantisation: sum / count, truncated).
 */
export interface KReduce extends KOpBase, ReduceQuantParams {
  kind: 'reduce';
  reduceKind: 'mean' | 'sum';
  inShape: number[];
  /** Resolved axes (non-negative, sorted, unique). */
  axes: number[];
}

/** TFLite's int8 bilinear resize (ResizeBilinearInteger: 10-bit coordinates, no requantisation). */
export interface KResizeBilinear extends KOpBase {
  kind: 'resize_bilinear';
  batches: number;
  inH: number; inW: number;
  outH: number; outW: number;
  channels: number;
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

/**
 * Transposed convolution: input [batches, inH, inW, inC] -> output [batches, outH, outW, outC] with OHWI
 * weights [outC, kH, kW, inC]; input pixel (iy, ix) feeds output (iy * strideH - padTop + ky, ...).
 * Dilation is always 1; requantised per output channel (double rounding).
 */
export interface KTransposeConv extends KOpBase, Window, Requantise {
  kind: 'transpose_conv';
  weights: number;
  bias: number;
}


/**
 * QUANTIZE (compiler/quant/quantize.ts). From float32: q = clamp(round_half_away(x / scale) + outputOffset), the
 * division in float32 (TFLite Micro) or float64 (desktop TFLite), per `division`. From int8/int16: requantise,
 * q = clamp(MultiplyByQuantizedMultiplier(x + inputOffset, multiplier, shift) + outputOffset), double rounding.
 * The clamp [actMin, actMax] is the output type's range. Input and output dtypes are their buffers'.
 */
/**
 * 16x8 convolution: int16 NHWC activations (zero point 0, no offsets), int8 OHWI weights (I = inC / groups),
 * an int32 bias [outC] (the model's int64 bias, narrowed at lowering when every value fits; added to the int64
 * accumulator as TFLite Micro adds its int64 bias), TFLite Micro's 16x8 arithmetic: int64 accumulator, plus the bias, then the
 * int64 MultiplyByQuantizedMultiplier (multiplier reduced to 16 bits, one rounding shift by 15 - shift),
 * clamp to [actMin, actMax] within int16. `transpose`: TRANSPOSE_CONV (each output gathers the taps whose
 * input pixel lands on it; groups 1), else CONV_2D.
 */
export interface KConv16x8 extends KOpBase, Window {
  kind: 'conv16x8';
  transpose: boolean;
  groups: number;
  weights: number;
  bias: number;
  requant: Requant;
  actMin: number;
  actMax: number;
}

/** LEAKY_RELU on int16: x - inZp >= 0 scaled by the identity multiplier, else by alpha's (double rounding), plus outZp, clamped to int16. */
export interface KLeakyRelu16 extends KOpBase {
  kind: 'leaky_relu16';
  elements: number;
  inZp: number;
  outZp: number;
  identity: QM;
  alpha: QM;
}

/**
 * LOGISTIC / TANH on int16 (compiler/quant/sigmoid16.ts): `lut`, TFLite's 256-entry sigmoid table with linear
 * interpolation after (x * multiplier + round) >> shift; `gemmlowp`, gemmlowp logistic / tanh on Q3.12 (desktop
 * TFLite's power-of-two case; TANH's input doubled with saturation first when preShift is 1). Output Q0.15.
 */
export interface KSigmoid16 extends KOpBase {
  kind: 'sigmoid16';
  fn: 'logistic' | 'tanh';
  elements: number;
  mode: 'lut' | 'gemmlowp';
  multiplier: number;
  shift: number;
  preShift: number;
}

/**
 * SOFTMAX int16 -> int16 (TFLite's SoftmaxInt16, compiler/quant/softmax16.ts): per row, exp of the rescaled
 * difference to the maximum from `expLut`, 1 / sum from `recipLut` (int16 [513] constants, interpolated).
 */
export interface KSoftmax16 extends KOpBase {
  kind: 'softmax16';
  rows: number;
  depth: number;
  multiplier: number;
  shift: number;
  expLut: number;
  recipLut: number;
}

export interface KQuantize extends KOpBase {
  kind: 'quantize';
  /** The input buffer's dtype (which of the two computations runs). */
  from: 'float32' | 'int8' | 'int16' | 'int32';
  elements: number;
  /** float32 input: the output's float32 scale and how the division rounds (unused for integer inputs). */
  scale: number;
  division: 'float32' | 'float64';
  inputOffset: number;
  outputOffset: number;
  /** Integer input: real multiplier = multiplier * 2^(shift - 31) (unused for float input). */
  multiplier: number;
  shift: number;
  actMin: number;
  actMax: number;
}

/** DEQUANTIZE to float32: y = float32(scale) * float32(x + inputOffset), one float32 multiply. */
export interface KDequantize extends KOpBase {
  kind: 'dequantize';
  elements: number;
  scale: number;
  inputOffset: number;
}

/** One LSTM gate's constants: int8 weights [nCell, nInput] / [nCell, nOutput], the effective int32 biases
 *  (bias - x_zp * row sums; -h_zp * row sums) and the two matmuls' multipliers to Q3.12. */
export interface KLstmGate {
  inputWeights: number;
  recurrentWeights: number;
  inputBias: number;
  recurrentBias: number;
  input: QM;
  recurrent: QM;
}

/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM, integer 8x8_16 (desktop TFLite's integer step, docs/lstm.md). inputs [x int8,
 * output state h int8, cell state c int16]; h and c are `state` buffers the op updates in place; output y int8
 * [.., nOutput]. Per step and batch row: each gate = sat16(sat16(MBQM(inputBias + x.W, input)) + MBQM(recurrentBias
 * + h.R, recurrent)); f, i, o = gemmlowp int16 logistic (Q3.12 -> Q0.15), g = gemmlowp int16 tanh; CIFG
 * (gates[0] undefined): i = 32767 - f; c = sat16(RDBPOT(f * c, 15) + RDBPOT(i * g, 30 + cellScale)), clipped
 * to +-cellClip when > 0; h = y = clamp8(MBQM(o * tanh_(15 + cellScale)(c), hidden) + hiddenZeroPoint).
 */
export interface KLstm extends KOpBase {
  kind: 'lstm';
  batches: number;
  steps: number;
  nInput: number;
  nCell: number;
  nOutput: number;
  timeMajor: boolean;
  /** Input, forget, cell, output gate; the input gate is undefined for CIFG. */
  gates: (KLstmGate | undefined)[];
  cellScale: number;
  cellClip: number;
  hidden: QM;
  hiddenZeroPoint: number;
  /** Optional projection of the hidden state (int8 [nOutput, nCell], effective bias = bias + hiddenZeroPoint *
   *  row sums): y = h = clamp8(MBQM(bias + hidden.P, scale) + outputZeroPoint), clipped to +-clip when > 0. */
  projection?: { weights: number; bias: number; scale: QM; clip: number; outputZeroPoint: number };
}

/**
 * SVDF (TFLite Micro's integer reference, runtime-wasm/assembly/svdf.ts states the steps): inputs [x, state],
 * x int8 [batches, inputSize], state a `state` buffer int8 or int16 [batches, filters * memory] (the time
 * weights share its type) that the op shifts left by one element and updates in place, output int8
 * [batches, filters / rank]. Feature: MBQM(sum wf * (x + inputOffset), feature) + stateZp, clamped to the
 * state type; time: sum wt * (state - stateZp) per filter; per unit the rank filters' sums plus the bias,
 * MBQM(., output) + outputOffset, clamped to int8. Double rounding (both arithmetics); int32 sums wrap.
 */
export interface KSvdf extends KOpBase {
  kind: 'svdf';
  batches: number;
  inputSize: number;
  filters: number;
  memory: number;
  rank: number;
  /** KConst ids: int8 [filters, inputSize]; int8 or int16 (the state's type) [filters, memory]; int32 [filters / rank]. */
  weightsFeature: number;
  weightsTime: number;
  bias: number;
  /** -input zero point. */
  inputOffset: number;
  stateZp: number;
  outputOffset: number;
  feature: QM;
  outputQ: QM;
}

export type KernelOp =
  | KLstm
  | KSvdf
  | KCopy
  | KConv16x8
  | KLeakyRelu16
  | KSigmoid16
  | KSoftmax16
  | KResizeNearest
  | KConv2d
  | KDepthwiseConv2d
  | KFullyConnected
  | KShiftConv2d
  | KAddConv2d
  | KAdd
  | KBinary
  | KPool2d
  | KReshape
  | KSoftmax
  | KLut
  | KPrelu
  | KReduce
  | KResizeBilinear
  | KTransposeConv
  | KQuantize
  | KDequantize;

export type KernelOpKind = KernelOp['kind'];

export interface KernelModule {
  name: string;
  arith: Arith;
  buffers: KBuffer[];
  consts: KConst[];
  ops: KernelOp[];
  inputs: number[];
  outputs: number[];
}
