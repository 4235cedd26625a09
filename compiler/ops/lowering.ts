// What a lowering rule is (in the spirit of Cranelift's ISLE): the graph op kinds it matches, an optional
// guard, a priority and a builder of one kernel op (or several, in order: one per output of a multi-output op). Each operator's rules live in its definition
// (compiler/ops/<op>.ts); compiler/passes/lower-rules.ts collects them and picks, per op, the applicable
// rule of highest priority. Rules produce structure only: geometry with explicit padding, layouts, buffers
// and constants. Quantisation (offsets, multipliers, clamps) is left neutral here and filled in by the
// fold-requant and fuse-activation passes, from the op definitions' `fold` and `clamp`.
import { padBefore, type DType, type Graph, type Op, type OpKind, type Padding, type Tensor } from '../ir/graph.ts';
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
  /** One kernel op, or several (e.g. one per output of SPLIT / UNPACK), run in order. */
  lower: (ctx: LowerCtx, op: OpOf<K>) => KernelOpDraft | KernelOpDraft[];
}

/** Identity helper that keeps a rule's matched kinds precise at its definition site. */
export function rule<K extends OpKind>(r: LoweringRule<K>): LoweringRule<K> {
  return r;
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

export function to4d(shape: readonly number[]): [number, number, number, number] {
  const s = [1, 1, 1, 1, ...shape].slice(-4);
  return [s[0], s[1], s[2], s[3]];
}


/**
 * The bias of a 16x8 layer as a kernel-IR int32 constant: the model's int64 bias narrowed (legalize checked
 * that every value fits int32, so the kernel's int64 sum is the same), or the int32 bias as it is.
 */
export function bias16x8(ctx: LowerCtx, id: number): number {
  const b = ctx.t(id);
  if (!(b.data instanceof BigInt64Array)) return ctx.constant(id);
  return ctx.newConstant(`${b.name}.int32`, 'int32', [...b.shape], Int32Array.from(b.data, (v) => Number(v)));
}
