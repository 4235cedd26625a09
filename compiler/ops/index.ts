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
import type { OpDef } from './op-def.ts';
import { averagePool2d, maxPool2d } from './pool2d.ts';
import { quantize } from './quantize.ts';
import { reshape } from './reshape.ts';
import { shiftConv2d } from './shift-conv2d.ts';
import { softmax } from './softmax.ts';

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
  quantize,
  dequantize,
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
