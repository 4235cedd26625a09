// The graph-op -> kernel-op lowering, as a table of typed pattern rules (in the spirit of Cranelift's
// ISLE): each rule names the graph op kinds it matches, an optional guard, a priority, and a builder.
// For every op, the applicable rule with the highest priority wins; two applicable rules with the same
// priority are a bug in this table and are reported as such. Rules produce structure only: geometry
// with explicit padding, layouts, buffers and constants. Quantisation (offsets, multipliers, clamps) is
// left neutral here and filled in by the fold-requant and fuse-activation passes.

import { TinyforgeError } from '../diagnostics.ts';
import {
  numElements, padBefore, type DType, type Graph, type Op, type OpKind, type Padding, type Tensor,
} from '../ir/graph.ts';
import { opLabel } from '../ir/lookup.ts';
import type { KernelOp, Requantise, Window } from '../kernel-ir/types.ts';
import type { Arith } from '../quant/multiplier.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A kernel op without the fields the driver fills in (position, source, name, MACs, schedule). */
export type KernelOpDraft = DistributiveOmit<KernelOp, 'index' | 'sourceOp' | 'name' | 'macs' | 'schedule'>;

export interface LowerOptions {
  /** Lower a grouped conv2d with groups == input channels to depthwise_conv2d. */
  groupedAsDepthwise: boolean;
}

/** What a rule may use: the graph, options, and the module builder's buffer and constant tables. */
export interface LowerCtx {
  graph: Graph;
  arith: Arith;
  options: LowerOptions;
  t(id: number): Tensor;
  /** The activation buffer of a tensor (created on first use). */
  buffer(tensorId: number): number;
  /** The constant-table entry of a constant tensor (created on first use, shared by all users). */
  constant(tensorId: number): number;
  /** A new constant derived by lowering (e.g. re-laid-out weights). */
  newConstant(name: string, dtype: DType, shape: number[], data: Int8Array | Int16Array | Int32Array): number;
}

type OpOf<K extends OpKind> = Extract<Op, { kind: K }>;

export interface LoweringRule<K extends OpKind = OpKind> {
  name: string;
  kinds: readonly K[];
  priority: number;
  when?: (ctx: LowerCtx, op: OpOf<K>) => boolean;
  lower: (ctx: LowerCtx, op: OpOf<K>) => KernelOpDraft;
}

function rule<K extends OpKind>(r: LoweringRule<K>): LoweringRule {
  return r as unknown as LoweringRule;
}

/** Requantisation not yet folded: fold-requant and fuse-activation replace every field. */
export function unfolded(): Requantise {
  return {
    inputOffset: 0, outputOffset: 0, requant: { multiplier: new Int32Array(0), shift: new Int32Array(0) },
    rounding: 'double', actMin: -128, actMax: 127,
  };
}

/** NHWC window geometry with TFLite's explicit padding (the odd pixel of `same` goes after). */
export function windowOf(x: Tensor, y: Tensor, k: readonly [number, number], stride: readonly [number, number],
  dilation: readonly [number, number], padding: Padding): Window {
  const [batches, inH, inW, inC] = x.shape;
  const [, outH, outW, outC] = y.shape;
  const pads = (inS: number, outS: number, kk: number, s: number, d: number): [number, number] => {
    const total = Math.max(0, (outS - 1) * s + (kk - 1) * d + 1 - inS);
    const before = padBefore(inS, kk, s, d, padding);
    return [before, total - before];
  };
  const [padTop, padBottom] = pads(inH, outH, k[0], stride[0], dilation[0]);
  const [padLeft, padRight] = pads(inW, outW, k[1], stride[1], dilation[1]);
  return {
    batches, inH, inW, inC, outH, outW, outC, kH: k[0], kW: k[1],
    strideH: stride[0], strideW: stride[1], dilationH: dilation[0], dilationW: dilation[1],
    padTop, padLeft, padBottom, padRight,
  };
}

function to4d(shape: readonly number[]): [number, number, number, number] {
  const s = [1, 1, 1, 1, ...shape].slice(-4);
  return [s[0], s[1], s[2], s[3]];
}

/** [O, KH, KW, 1] grouped weights -> [1, KH, KW, O] depthwise weights (same channel order). */
function groupedToDepthwise(w: Int8Array, o: number, kh: number, kw: number): Int8Array {
  const out = new Int8Array(w.length);
  for (let c = 0; c < o; c++) {
    for (let i = 0; i < kh * kw; i++) out[i * o + c] = w[c * kh * kw + i];
  }
  return out;
}

export const LOWERING_RULES: readonly LoweringRule[] = [
  rule({
    name: 'conv2d-grouped-as-depthwise',
    kinds: ['conv2d'],
    priority: 10,
    // (Rounding is unaffected: TFLite rounds grouped convolutions twice in both arithmetics, as depthwise.)
    when: (ctx, op) => {
      const inC = ctx.t(op.inputs[0]).shape[3];
      return ctx.options.groupedAsDepthwise && inC > 1 && ctx.t(op.inputs[1]).shape[3] === 1;
    },
    lower: (ctx, op) => {
      const x = ctx.t(op.inputs[0]), w = ctx.t(op.inputs[1]), y = ctx.t(op.outputs[0]);
      const [o, kh, kw] = w.shape;
      const dw = groupedToDepthwise(w.data as Int8Array, o, kh, kw);
      return {
        kind: 'depthwise_conv2d', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
        ...windowOf(x, y, [kh, kw], op.stride, op.dilation, op.padding), ...unfolded(),
        depthMultiplier: o / x.shape[3],
        weights: ctx.newConstant(`${w.name}.depthwise`, 'int8', [1, kh, kw, o], dw),
        bias: ctx.constant(op.inputs[2]),
      };
    },
  }),
  rule({
    name: 'conv2d',
    kinds: ['conv2d'],
    priority: 0,
    lower: (ctx, op) => {
      const x = ctx.t(op.inputs[0]), w = ctx.t(op.inputs[1]), y = ctx.t(op.outputs[0]);
      return {
        kind: 'conv2d', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
        ...windowOf(x, y, [w.shape[1], w.shape[2]], op.stride, op.dilation, op.padding), ...unfolded(),
        groups: x.shape[3] / w.shape[3], weights: ctx.constant(w.id), bias: ctx.constant(op.inputs[2]),
      };
    },
  }),
  rule({
    name: 'depthwise_conv2d',
    kinds: ['depthwise_conv2d'],
    priority: 0,
    lower: (ctx, op) => {
      const x = ctx.t(op.inputs[0]), w = ctx.t(op.inputs[1]), y = ctx.t(op.outputs[0]);
      return {
        kind: 'depthwise_conv2d', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
        ...windowOf(x, y, [w.shape[1], w.shape[2]], op.stride, op.dilation, op.padding), ...unfolded(),
        depthMultiplier: op.depthMultiplier, weights: ctx.constant(w.id), bias: ctx.constant(op.inputs[2]),
      };
    },
  }),
  rule({
    name: 'fully_connected',
    kinds: ['fully_connected'],
    priority: 0,
    lower: (ctx, op) => {
      const x = ctx.t(op.inputs[0]), w = ctx.t(op.inputs[1]), y = ctx.t(op.outputs[0]);
      const [outDepth, inDepth] = w.shape;
      return {
        kind: 'fully_connected', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id), ...unfolded(),
        batches: numElements(x.shape) / inDepth, inDepth, outDepth,
        weights: ctx.constant(w.id), bias: ctx.constant(op.inputs[2]),
      };
    },
  }),
  rule({
    name: 'shift_conv2d',
    kinds: ['shift_conv2d'],
    priority: 0,
    lower: (ctx, op) => {
      const x = ctx.t(op.inputs[0]), w = ctx.t(op.inputs[1]), y = ctx.t(op.outputs[0]);
      return {
        kind: 'shift_conv2d', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
        ...windowOf(x, y, [1, 1], op.stride, [1, 1], 'valid'), ...unfolded(),
        shifts: op.shifts.map(([dy, dx]): [number, number] => [dy, dx]),
        weights: ctx.constant(w.id), bias: ctx.constant(op.inputs[2]),
      };
    },
  }),
  rule({
    name: 'add_conv2d',
    kinds: ['add_conv2d'],
    priority: 0,
    lower: (ctx, op) => {
      const x = ctx.t(op.inputs[0]), w = ctx.t(op.inputs[1]), y = ctx.t(op.outputs[0]);
      return {
        kind: 'add_conv2d', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
        ...windowOf(x, y, [w.shape[1], w.shape[2]], op.stride, op.dilation, op.padding), ...unfolded(),
        weights: ctx.constant(w.id), bias: ctx.constant(op.inputs[2]),
      };
    },
  }),
  rule({
    name: 'add',
    kinds: ['add'],
    priority: 0,
    lower: (ctx, op) => {
      const a = ctx.t(op.inputs[0]), b = ctx.t(op.inputs[1]), y = ctx.t(op.outputs[0]);
      const q = { multiplier: 0, shift: 0 };
      return {
        kind: 'add', inputs: [ctx.buffer(a.id), ctx.buffer(b.id)], output: ctx.buffer(y.id),
        outShape: to4d(y.shape), aShape: to4d(a.shape), bShape: to4d(b.shape),
        input1Offset: 0, input2Offset: 0, outputOffset: 0, leftShift: 0,
        input1Q: { ...q }, input2Q: { ...q }, outputQ: { ...q }, actMin: -128, actMax: 127,
      };
    },
  }),
  rule({
    name: 'pool2d',
    kinds: ['average_pool2d', 'max_pool2d'],
    priority: 0,
    lower: (ctx, op) => {
      const x = ctx.t(op.inputs[0]), y = ctx.t(op.outputs[0]);
      return {
        kind: op.kind, inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
        ...windowOf(x, y, op.filter, op.stride, [1, 1], op.padding), actMin: -128, actMax: 127,
      };
    },
  }),
  rule({
    name: 'reshape',
    kinds: ['reshape'],
    priority: 0,
    lower: (ctx, op) => ({ kind: 'reshape', inputs: [ctx.buffer(op.inputs[0])], output: ctx.buffer(op.outputs[0]) }),
  }),
  rule({
    name: 'softmax',
    kinds: ['softmax'],
    priority: 0,
    lower: (ctx, op) => {
      const x = ctx.t(op.inputs[0]);
      const depth = x.shape[x.shape.length - 1];
      return {
        kind: 'softmax', inputs: [ctx.buffer(x.id)], output: ctx.buffer(op.outputs[0]),
        rows: numElements(x.shape) / depth, depth, inputMultiplier: 0, inputLeftShift: 0, diffMin: 0, outputOffset: 0,
      };
    },
  }),
];

/** The rule that lowers `op`: the applicable one with the highest priority. */
export function selectRule(ctx: LowerCtx, op: Op, rules: readonly LoweringRule[] = LOWERING_RULES): LoweringRule {
  const applicable = rules
    .filter((r) => r.kinds.includes(op.kind) && (!r.when || r.when(ctx, op)))
    .sort((a, b) => b.priority - a.priority);
  if (applicable.length === 0) {
    throw new TinyforgeError(`${op.kind}: no lowering rule applies`, { op: opLabel(ctx.graph, op) },
      `kinds with rules: ${[...new Set(rules.flatMap((r) => r.kinds))].join(', ')}`);
  }
  if (applicable.length > 1 && applicable[0].priority === applicable[1].priority) {
    throw new Error(`lowering rules '${applicable[0].name}' and '${applicable[1].name}' both match ${op.kind} at priority ${applicable[0].priority}`);
  }
  return applicable[0];
}
