// Graph IR: *what* a network computes, in TFLite's terms. Tensors carry shape, dtype, quantisation and
// (for weights and biases) constant data; operators carry their attributes. Front ends produce it, the
// golden runtime executes it directly, and the pass pipeline lowers it to kernel IR.
//
// Conventions (shared with TFLite): activations are NHWC; conv2d weights are OHWI with I = inC / groups;
// depthwise weights are [1, KH, KW, inC * depthMultiplier]; fully-connected weights are [outC, inC];
// biases are int32 [outC] with scale = inputScale * weightScale[c] and zero point 0.

import { roundHalfAway } from '../quant/multiplier.ts';

/** float32 appears only at a model's edges: a graph input read by QUANTIZE, a graph output written by DEQUANTIZE.
 *  int64 only holds the constant biases of 16x8 layers (int16 activations, int8 weights). */
export type DType = 'int8' | 'int16' | 'int32' | 'int64' | 'float32';

/** Per-tensor quantisation has one scale and zero point; per-axis has one per index along `axis`. */
export interface Quant {
  scale: number[];
  zeroPoint: number[];
  /** Quantised dimension for per-axis quantisation (TFLite's quantized_dimension); absent = per tensor. */
  axis?: number;
}

export type TensorData = Int8Array | Int16Array | Int32Array | BigInt64Array;

export interface Tensor {
  id: number;
  name: string;
  shape: number[];
  dtype: DType;
  quant?: Quant;
  /** Constant contents (weights, biases), row-major in `shape`. */
  data?: TensorData;
  /**
   * A variable tensor (TFLite's is_variable): recurrent state (SVDF's activation history, an LSTM's cell and
   * output state). It has no data; it holds `initialStateValue` before the first invocation, the op that
   * reads it also updates it in place, and its value carries over from one invocation to the next.
   */
  variable?: boolean;
}

/**
 * The value every element of a variable tensor holds before the first invocation (and after a reset), as
 * TFLite's and TFLite Micro's ResetVariableTensor: the zero point for int8 tensors, 0 for every other type.
 */
export function initialStateValue(t: Tensor): number {
  return t.dtype === 'int8' ? t.quant?.zeroPoint[0] ?? 0 : 0;
}

/** The graph's variable tensors (recurrent state), by id. */
export function stateTensors(g: Graph): Tensor[] {
  return g.tensors.filter((t) => t.variable);
}

export type Padding = 'same' | 'valid';
/** Fused activation, as TFLite's ActivationFunctionType (tanh/sign-bit are not supported). */
export type Activation = 'none' | 'relu' | 'relu_n1_to_1' | 'relu6';

export interface OpBase {
  /** Inputs and outputs are tensor ids; an optional input (a missing bias) is -1. */
  inputs: number[];
  outputs: number[];
  /** Name for messages; the front end's op index or layer name. */
  name?: string;
}

// Each operator's attribute type lives with its definition (compiler/ops/<op>.ts).
export type { Conv2dOp } from '../ops/conv2d.ts';
export type { DepthwiseConv2dOp } from '../ops/depthwise-conv2d.ts';
export type { FullyConnectedOp } from '../ops/fully-connected.ts';
export type { AddOp } from '../ops/add.ts';
export type { Pool2dOp } from '../ops/pool2d.ts';
export type { ReshapeOp } from '../ops/reshape.ts';
export type { SoftmaxOp } from '../ops/softmax.ts';
export type { ShiftConv2dOp } from '../ops/shift-conv2d.ts';
export type { AddConv2dOp } from '../ops/add-conv2d.ts';
export type { ElementwiseOp } from '../ops/unary.ts';
export type { LeakyReluOp } from '../ops/leaky-relu.ts';
export type { PreluOp } from '../ops/prelu.ts';
export type { PadOp, PadV2Op } from '../ops/pad.ts';
export type { TransposeOp } from '../ops/transpose.ts';
export type { SliceOp, StridedSliceOp } from '../ops/slice.ts';
export type { ConcatenationOp } from '../ops/concatenation.ts';
export type { SplitOp, SplitVOp } from '../ops/split.ts';
export type { PackOp, UnpackOp } from '../ops/pack.ts';
export type { ExpandDimsOp, SqueezeOp } from '../ops/expand-squeeze.ts';
export type { ResizeNearestNeighborOp } from '../ops/resize-nearest.ts';
export type { SubOp } from '../ops/sub.ts';
export type { MulOp } from '../ops/mul.ts';
export type { SquaredDifferenceOp } from '../ops/squared-difference.ts';
export type { MaximumMinimumOp } from '../ops/maximum-minimum.ts';
export type { ReduceOp } from '../ops/reduce.ts';
export type { ResizeBilinearOp } from '../ops/resize-bilinear.ts';
export type { TransposeConvOp } from '../ops/transpose-conv.ts';
export type { QuantizeOp } from '../ops/quantize.ts';
export type { DequantizeOp } from '../ops/dequantize.ts';
export type { UnidirectionalSequenceLstmOp } from '../ops/unidirectional-sequence-lstm.ts';
export type { SvdfOp } from '../ops/svdf.ts';
import type { Conv2dOp } from '../ops/conv2d.ts';
import type { DepthwiseConv2dOp } from '../ops/depthwise-conv2d.ts';
import type { FullyConnectedOp } from '../ops/fully-connected.ts';
import type { AddOp } from '../ops/add.ts';
import type { Pool2dOp } from '../ops/pool2d.ts';
import type { ReshapeOp } from '../ops/reshape.ts';
import type { SoftmaxOp } from '../ops/softmax.ts';
import type { ShiftConv2dOp } from '../ops/shift-conv2d.ts';
import type { AddConv2dOp } from '../ops/add-conv2d.ts';
import type { ElementwiseOp } from '../ops/unary.ts';
import type { LeakyReluOp } from '../ops/leaky-relu.ts';
import type { PreluOp } from '../ops/prelu.ts';
import type { PadOp, PadV2Op } from '../ops/pad.ts';
import type { TransposeOp } from '../ops/transpose.ts';
import type { SliceOp, StridedSliceOp } from '../ops/slice.ts';
import type { ConcatenationOp } from '../ops/concatenation.ts';
import type { SplitOp, SplitVOp } from '../ops/split.ts';
import type { PackOp, UnpackOp } from '../ops/pack.ts';
import type { ExpandDimsOp, SqueezeOp } from '../ops/expand-squeeze.ts';
import type { ResizeNearestNeighborOp } from '../ops/resize-nearest.ts';
import type { SubOp } from '../ops/sub.ts';
import type { MulOp } from '../ops/mul.ts';
import type { SquaredDifferenceOp } from '../ops/squared-difference.ts';
import type { MaximumMinimumOp } from '../ops/maximum-minimum.ts';
import type { ReduceOp } from '../ops/reduce.ts';
import type { ResizeBilinearOp } from '../ops/resize-bilinear.ts';
import type { TransposeConvOp } from '../ops/transpose-conv.ts';
import type { QuantizeOp } from '../ops/quantize.ts';
import type { DequantizeOp } from '../ops/dequantize.ts';
import type { UnidirectionalSequenceLstmOp } from '../ops/unidirectional-sequence-lstm.ts';
import type { SvdfOp } from '../ops/svdf.ts';

export type Op =
  | Conv2dOp
  | DepthwiseConv2dOp
  | FullyConnectedOp
  | AddOp
  | Pool2dOp
  | ReshapeOp
  | SoftmaxOp
  | ShiftConv2dOp
  | AddConv2dOp
  | ElementwiseOp
  | LeakyReluOp
  | PreluOp
  | PadOp
  | PadV2Op
  | TransposeOp
  | SliceOp
  | StridedSliceOp
  | ConcatenationOp
  | SplitOp
  | SplitVOp
  | PackOp
  | UnpackOp
  | ExpandDimsOp
  | SqueezeOp
  | ResizeNearestNeighborOp
  | SubOp
  | MulOp
  | SquaredDifferenceOp
  | MaximumMinimumOp
  | ReduceOp
  | ResizeBilinearOp
  | TransposeConvOp
  | QuantizeOp
  | DequantizeOp
  | UnidirectionalSequenceLstmOp
  | SvdfOp;

export type OpKind = Op['kind'];

export interface Graph {
  name: string;
  tensors: Tensor[];
  /** Topologically ordered. */
  ops: Op[];
  inputs: number[];
  outputs: number[];
}

export function numElements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function bytesPerElement(dtype: DType): number {
  return dtype === 'int8' ? 1 : dtype === 'int16' ? 2 : dtype === 'int64' ? 8 : 4; // int32 and float32: 4
}

/** Output spatial size for TFLite padding (same: ceil(in / stride); valid: ceil((in - effK + 1) / stride)). */
export function convOutSize(inSize: number, k: number, stride: number, dilation: number, padding: Padding): number {
  const effK = (k - 1) * dilation + 1;
  return padding === 'same' ? Math.ceil(inSize / stride) : Math.ceil((inSize - effK + 1) / stride);
}

/** TFLite's padding before (top or left) for `same`: max(0, ((out - 1) * stride + effK - in)) >> 1; 0 for valid. */
export function padBefore(inSize: number, k: number, stride: number, dilation: number, padding: Padding): number {
  if (padding === 'valid') return 0;
  const effK = (k - 1) * dilation + 1;
  const out = convOutSize(inSize, k, stride, dilation, padding);
  return Math.max(0, Math.floor(((out - 1) * stride + effK - inSize) / 2));
}

/**
 * Clamp range of a fused activation for an output with (scale, zeroPoint), as TFLite's
 * CalculateActivationRangeQuantized computes it: zeroPoint + TfLiteRound(f / scale), where f / scale is a
 * float32 division and TfLiteRound rounds half away from zero (Math.round would round -2.5 to -2).
 */
export function activationRange(act: Activation, scale: number, zeroPoint: number, dtype: DType = 'int8'): [number, number] {
  const qmin = dtype === 'int8' ? -128 : dtype === 'int16' ? -32768 : -2147483648;
  const qmax = dtype === 'int8' ? 127 : dtype === 'int16' ? 32767 : 2147483647;
  const q = (x: number) => zeroPoint + roundHalfAway(Math.fround(x / Math.fround(scale)));
  switch (act) {
    case 'none': return [qmin, qmax];
    case 'relu': return [Math.max(qmin, q(0)), qmax];
    case 'relu6': return [Math.max(qmin, q(0)), Math.min(qmax, q(6))];
    case 'relu_n1_to_1': return [Math.max(qmin, q(-1)), Math.min(qmax, q(1))];
  }
}
