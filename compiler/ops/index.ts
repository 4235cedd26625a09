// The operator registry: every graph-IR operator's definition, by kind. Typed as a record over OpKind, so
// a kind without a definition (or a definition without a kind) does not compile. Passes, the front
// ends, the golden runtime and the reports look operators up here instead of switching over kinds.
// To add an operator: its module in this folder (attribute type + OpDef), one line in graph.ts's Op
// union, one entry below, its golden kernel (runtime-wasm/assembly/), its kernel-IR op and Cortex-M
// variant if it lowers to a new one, and its tests (docs/architecture.md walks through an example).
import type { OpKind } from '../ir/graph.ts';
import { add } from './add.ts';
import { addConv2d } from './add-conv2d.ts';
import { conv2d } from './conv2d.ts';
import { depthwiseConv2d } from './depthwise-conv2d.ts';
import { dequantize } from './dequantize.ts';
import { fullyConnected } from './fully-connected.ts';
import { maximum, minimum } from './maximum-minimum.ts';
import { mul } from './mul.ts';
import type { OpDef } from './op-def.ts';
import { averagePool2d, maxPool2d } from './pool2d.ts';
import { mean, sum } from './reduce.ts';
import { reshape } from './reshape.ts';
import { resizeBilinear } from './resize-bilinear.ts';
import { shiftConv2d } from './shift-conv2d.ts';
import { softmax } from './softmax.ts';
import { relu, relu6, reluN1To1 } from './relu.ts';
import { leakyRelu } from './leaky-relu.ts';
import { prelu } from './prelu.ts';
import { logistic, tanh } from './logistic-tanh.ts';
import { hardSwish } from './hard-swish.ts';
import { quantize } from './quantize.ts';
import { concatenation } from './concatenation.ts';
import { expandDims, squeeze } from './expand-squeeze.ts';
import { pack, unpack } from './pack.ts';
import { pad, padV2 } from './pad.ts';
import { resizeNearestNeighbor } from './resize-nearest.ts';
import { slice, stridedSlice } from './slice.ts';
import { split, splitV } from './split.ts';
import { transpose } from './transpose.ts';
import { squaredDifference } from './squared-difference.ts';
import { sub } from './sub.ts';
import { transposeConv } from './transpose-conv.ts';
import { unidirectionalSequenceLstm } from './unidirectional-sequence-lstm.ts';
import { svdf } from './svdf.ts';

export const OPS: { readonly [K in OpKind]: OpDef<K> } = {
  conv2d,
  depthwise_conv2d: depthwiseConv2d,
  fully_connected: fullyConnected,
  add,
  average_pool2d: averagePool2d,
  max_pool2d: maxPool2d,
  reshape,
  softmax,
  shift_conv2d: shiftConv2d,
  add_conv2d: addConv2d,
  relu,
  relu6,
  relu_n1_to_1: reluN1To1,
  leaky_relu: leakyRelu,
  prelu,
  logistic,
  tanh,
  hard_swish: hardSwish,
  quantize,
  pad,
  pad_v2: padV2,
  transpose,
  slice,
  strided_slice: stridedSlice,
  concatenation,
  split,
  split_v: splitV,
  pack,
  unpack,
  expand_dims: expandDims,
  squeeze,
  resize_nearest_neighbor: resizeNearestNeighbor,
  sub,
  mul,
  squared_difference: squaredDifference,
  maximum,
  minimum,
  mean,
  sum,
  svdf,
  resize_bilinear: resizeBilinear,
  transpose_conv: transposeConv,
  dequantize,
  unidirectional_sequence_lstm: unidirectionalSequenceLstm,
};

/** Every op kind, in registry order. */
export const OP_KINDS = Object.keys(OPS) as OpKind[];

/** Every definition, type-erased, in registry order. */
export const ALL_OPS: readonly OpDef[] = Object.values(OPS) as unknown as OpDef[];

/** The definition of a kind, type-erased for generic callers (passes, runtime). */
export function opDef(kind: OpKind): OpDef {
  const d = (OPS as unknown as Record<string, OpDef | undefined>)[kind];
  if (!d) throw new Error(`no operator definition for kind '${kind}'`);
  return d;
}

/** Definitions by TFLite builtin code. */
export const BY_BUILTIN: ReadonlyMap<number, OpDef> = new Map(
  ALL_OPS.flatMap((d) => (d.tflite ? [[d.tflite.builtin, d] as const] : [])),
);
