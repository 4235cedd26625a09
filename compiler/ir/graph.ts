// Graph IR: *what* a network computes, in TFLite's terms. Tensors carry shape, dtype, quantisation and
// (for weights and biases) constant data; operators carry their attributes. Front ends produce it, the
// golden runtime executes it directly, and the pass pipeline lowers it to kernel IR.
//
// Conventions (shared with TFLite): activations are NHWC; conv2d weights are OHWI with I = inC / groups;
// depthwise weights are [1, KH, KW, inC * depthMultiplier]; fully-connected weights are [outC, inC];
// biases are int32 [outC] with scale = inputScale * weightScale[c] and zero point 0.

import { roundHalfAway } from '../quant/multiplier.ts';

export type DType = 'int8' | 'int16' | 'int32';

/** Per-tensor quantisation has one scale and zero point; per-axis has one per index along `axis`. */
export interface Quant {
  scale: number[];
  zeroPoint: number[];
  /** Quantised dimension for per-axis quantisation (TFLite's quantized_dimension); absent = per tensor. */
  axis?: number;
}

export type TensorData = Int8Array | Int16Array | Int32Array;

export interface Tensor {
  id: number;
  name: string;
  shape: number[];
  dtype: DType;
  quant?: Quant;
  /** Constant contents (weights, biases), row-major in `shape`. */
  data?: TensorData;
}

export type Padding = 'same' | 'valid';
/** Fused activation, as TFLite's ActivationFunctionType (tanh/sign-bit are not supported). */
export type Activation = 'none' | 'relu' | 'relu_n1_to_1' | 'relu6';

interface OpBase {
  /** Inputs and outputs are tensor ids; an optional input (a missing bias) is -1. */
  inputs: number[];
  outputs: number[];
  /** Name for messages; the front end's op index or layer name. */
  name?: string;
}

/** inputs [x, w (OHWI), bias?]. Grouped when inC / w.shape[3] > 1 (groups = inC / w.shape[3]). */
export interface Conv2dOp extends OpBase {
  kind: 'conv2d';
  stride: [number, number];
  dilation: [number, number];
  padding: Padding;
  activation: Activation;
}

/** inputs [x, w (1,KH,KW,C*M), bias?]. */
export interface DepthwiseConv2dOp extends OpBase {
  kind: 'depthwise_conv2d';
  stride: [number, number];
  dilation: [number, number];
  padding: Padding;
  depthMultiplier: number;
  activation: Activation;
}

/** inputs [x, w (outC, inC), bias?]; x is flattened to [batches, inC]. */
export interface FullyConnectedOp extends OpBase {
  kind: 'fully_connected';
  activation: Activation;
  /** TFLite keep_num_dims: output keeps x's leading dims instead of [batches, outC]. */
  keepNumDims: boolean;
}

/** inputs [a, b]; b (or a) broadcast NumPy-style. */
export interface AddOp extends OpBase {
  kind: 'add';
  activation: Activation;
}

export interface Pool2dOp extends OpBase {
  kind: 'average_pool2d' | 'max_pool2d';
  filter: [number, number];
  stride: [number, number];
  padding: Padding;
  activation: Activation;
}

/** inputs [x] (a second shape input from TFLite is dropped by the front end); output tensor's shape rules. */
export interface ReshapeOp extends OpBase {
  kind: 'reshape';
}

/** TFLite int8 softmax over the last axis; output is normally scale 1/256, zero point -128. */
export interface SoftmaxOp extends OpBase {
  kind: 'softmax';
  beta: number;
}

/**
 * Shift convolution (Active-Shift / ShiftNet): each input channel c is first shifted spatially by a fixed
 * (dy[c], dx[c]) (out-of-range pixels read the input zero point, i.e. real 0), then a pointwise conv
 * (weights [outC, 1, 1, inC], optional stride) is applied. inputs [x, w, bias?].
 */
export interface ShiftConv2dOp extends OpBase {
  kind: 'shift_conv2d';
  /** One [dy, dx] per input channel: output pixel (y, x) of channel c reads input (y + dy, x + dx). */
  shifts: Array<[number, number]>;
  stride: [number, number];
  activation: Activation;
}

/**
 * Add convolution (AdderNet, L1): acc[o] = bias[o] - sum over window and input channels of
 * |(x - xZeroPoint) - w| (weights have zero point 0), then requantised exactly like conv2d with the real
 * multiplier inputScale * weightScale[o] / outputScale. Meaningful when weightScale == inputScale (the
 * YAML generator makes it so), but the integer arithmetic is defined for any scales. inputs [x, w (OHWI), bias?].
 * Padding taps (same padding) read real 0 (x - xZeroPoint = 0), so each contributes |w|, as AdderNet's
 * zero-padded unfold does (unlike conv2d, where a zero tap contributes nothing either way).
 */
export interface AddConv2dOp extends OpBase {
  kind: 'add_conv2d';
  stride: [number, number];
  dilation: [number, number];
  padding: Padding;
  activation: Activation;
}

export type Op =
  | Conv2dOp
  | DepthwiseConv2dOp
  | FullyConnectedOp
  | AddOp
  | Pool2dOp
  | ReshapeOp
  | SoftmaxOp
  | ShiftConv2dOp
  | AddConv2dOp;

export type OpKind = Op['kind'];

export interface Graph {
  name: string;
  tensors: Tensor[];
  /** Topologically ordered. */
  ops: Op[];
  inputs: number[];
  outputs: number[];
}

export const OP_KINDS: readonly OpKind[] = [
  'conv2d', 'depthwise_conv2d', 'fully_connected', 'add', 'average_pool2d', 'max_pool2d', 'reshape',
  'softmax', 'shift_conv2d', 'add_conv2d',
];

export function numElements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function bytesPerElement(dtype: DType): number {
  return dtype === 'int8' ? 1 : dtype === 'int16' ? 2 : 4;
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
