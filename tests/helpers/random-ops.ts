// Seeded generator of random single-op int8 graphs (one op, its weights, random quantisation) for oracle tests:
// conv2d (optionally grouped), depthwise_conv2d, fully_connected (per-tensor or per-channel), add (with broadcast), average/max pool, reshape
// and softmax, with random shapes, strides, dilations, padding, activations, depth multipliers, per-channel
// weight scales and zero points. Scales are float32-exact (a .tflite file stores float32 scales, so the golden
// runtime and TFLite's interpreter see the same numbers), and output scales are chosen from the expected
// accumulator spread so that outputs are mostly not saturated. Same seed -> same graph, on every machine.
import type { Activation, Graph, Op, OpKind, Padding, Quant, Tensor, TensorData } from '../../compiler/ir/graph.ts';
import { convOutSize, numElements } from '../../compiler/ir/graph.ts';
import { mulberry32 } from '../../compiler/rng.ts';

/** Seeded test data on top of mulberry32 (compiler/rng.ts). */
export class Rng {
  readonly next: () => number;
  constructor(seed: number) { this.next = mulberry32(seed); }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.next() * xs.length)]; }
  chance(p: number): boolean { return this.next() < p; }
  /** 2^u with u uniform in [lo, hi], rounded to float32. */
  logScale(lo: number, hi: number): number { return Math.fround(2 ** (lo + this.next() * (hi - lo))); }
  int8(n: number, lo = -128, hi = 127): Int8Array {
    const a = new Int8Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(lo, hi);
    return a;
  }
  int32(n: number, lo: number, hi: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(lo, hi);
    return a;
  }
}

export const RANDOM_OP_KINDS = [
  'conv2d', 'depthwise_conv2d', 'fully_connected', 'add', 'average_pool2d', 'max_pool2d', 'reshape', 'softmax',
] as const satisfies readonly OpKind[];
/** The element-wise binary ops (random broadcasting up to `maxRank`, constant operands, activations). */
export const BINARY_OP_KINDS = ['add', 'sub', 'mul', 'squared_difference', 'maximum', 'minimum'] as const satisfies readonly OpKind[];
export type RandomOpKind = (typeof RANDOM_OP_KINDS)[number] | (typeof BINARY_OP_KINDS)[number];

/** The element-wise activations and int8 requantisation (random-unary cases, oracle-unary.test.ts). */
export const UNARY_OP_KINDS = [
  'relu', 'relu6', 'relu_n1_to_1', 'leaky_relu', 'prelu', 'logistic', 'tanh', 'hard_swish', 'quantize',
] as const satisfies readonly OpKind[];
export type UnaryOpKind = (typeof UNARY_OP_KINDS)[number];
export type AnyRandomOpKind = RandomOpKind | UnaryOpKind;

export interface RandomOpOptions {
  /** Grouped conv2d: never (default), in about 30% of the cases, or always. */
  groups?: 'none' | 'mixed' | 'only';
  /** Allow batch 2 (default true). */
  batch?: boolean;
  /** Element-wise binary ops other than ADD: the highest rank drawn (default 4). ADD draws ranks up to 4
   *  unless this is set (its seeds keep their graphs). */
  maxRank?: number;
  /** Element-wise binary ops other than ADD: how often one operand is a constant (default 0.2). */
  constantRate?: number;
  /** DEPTHWISE_CONV_2D: draw the depth multiplier from these (default: 1 in 60%, else 2-3; seeds keep their graphs). */
  depthMultipliers?: readonly number[];
}

const ACTIVATIONS: readonly Activation[] = ['none', 'relu', 'relu6', 'relu_n1_to_1'];
const PADDINGS: readonly Padding[] = ['same', 'valid'];
/** RMS of a uniform int8 value (about 74): used to predict accumulator spread. */
const RMS8 = 74;

class GraphBuilder {
  tensors: Tensor[] = [];
  add(name: string, shape: number[], dtype: Tensor['dtype'], quant?: Quant, data?: TensorData): number {
    const id = this.tensors.length;
    this.tensors.push({ id, name, shape, dtype, ...(quant ? { quant } : {}), ...(data ? { data } : {}) });
    return id;
  }
}

function perTensor(scale: number, zeroPoint: number): Quant {
  return { scale: [scale], zeroPoint: [zeroPoint] };
}

/** Activation quantisation: scale 2^[-8,-3], zero point anywhere in int8 (biased towards the middle). */
function actQuant(r: Rng): Quant {
  const zp = r.chance(0.3) ? 0 : r.int(-100, 100);
  return perTensor(r.logScale(-8, -3), r.chance(0.1) ? r.int(-128, 127) : zp);
}

/**
 * Output scale for an accumulator whose real RMS is `realRms`: outputs land around +-40, give or take 3x; one
 * case in ten is extreme (outputs from nearly constant to mostly saturated, requantisation multipliers > 1).
 */
function outQuant(r: Rng, realRms: number): Quant {
  const u = r.chance(0.1) ? r.next() * 14 - 6 : r.next() * 3 - 1.5;
  return perTensor(Math.fround(realRms / (40 * 2 ** u)), r.int(-60, 60));
}

/** A channel count: usually small, sometimes wide (SIMD tails, long accumulations). */
function channels(r: Rng, max: number): number {
  return r.chance(0.15) ? r.int(max + 1, 5 * max) : r.int(1, max);
}

/** int32 bias [n] with scale inputScale * weightScale (per channel when the weights are). */
function bias(r: Rng, g: GraphBuilder, n: number, inScale: number, wScales: number[], accRms: number): number {
  const q: Quant = { scale: wScales.map((w) => Math.fround(inScale * w)), zeroPoint: wScales.map(() => 0), ...(wScales.length > 1 ? { axis: 0 } : {}) };
  const lim = Math.max(1, Math.round(accRms));
  return g.add('bias', [n], 'int32', q, r.int32(n, -lim, lim));
}

function spatial(r: Rng, maxK: number): { k: [number, number]; stride: [number, number]; dilation: [number, number]; padding: Padding; inHW: [number, number] } {
  const k: [number, number] = [r.int(1, maxK), r.int(1, maxK)];
  const stride: [number, number] = r.chance(0.5) ? [1, 1] : [r.int(1, 3), r.int(1, 3)];
  const dilation: [number, number] = r.chance(0.75) ? [1, 1] : [r.int(1, 3), r.int(1, 3)];
  const padding = r.pick(PADDINGS);
  const inHW = [0, 1].map((d) => {
    const effK = (k[d] - 1) * dilation[d] + 1;
    return r.int(padding === 'valid' ? effK : 1, Math.max(effK, 12));
  }) as [number, number];
  return { k, stride, dilation, padding, inHW };
}

function batch(r: Rng, o: RandomOpOptions): number {
  return o.batch !== false && r.chance(0.1) ? 2 : 1;
}

type Gen = (r: Rng, g: GraphBuilder, o: RandomOpOptions) => { op: Op; input: number[]; output: number };

/** A random tensor shape of rank 1-4 (batch 2 sometimes), up to 8 per dimension, sometimes one long row. */
function elementShape(r: Rng, o: RandomOpOptions): number[] {
  const rank = r.int(1, 4);
  const s = Array.from({ length: rank }, (_, d) => (rank === 4 && d === 0 ? batch(r, o) : r.int(1, 8)));
  if (r.chance(0.1)) s[s.length - 1] = r.int(9, 70);
  return s;
}

/** An output quantisation near the input's (scale x 2^[-span, span]), the input's own one case in five. */
function nearQuant(r: Rng, q: Quant, span: number): Quant {
  if (r.chance(0.2)) return q;
  return perTensor(Math.fround(q.scale[0] * 2 ** (r.next() * 2 * span - span)), r.chance(0.3) ? q.zeroPoint[0] : r.int(-128, 127));
}

function unary(kind: 'relu' | 'relu6' | 'relu_n1_to_1' | 'logistic' | 'tanh' | 'hard_swish' | 'quantize'): Gen {
  return (r, g, o) => {
    const shape = elementShape(r, o);
    let xq = actQuant(r);
    let yq: Quant;
    switch (kind) {
      case 'relu': yq = nearQuant(r, xq, 1.5); if (r.chance(0.3)) yq = perTensor(yq.scale[0], -128); break;
      case 'relu6':
        // Scales where 6 falls inside the int8 range most of the time.
        if (r.chance(0.5)) xq = perTensor(Math.fround(r.logScale(-1, 1) * 12 / 255), r.int(-128, 40));
        yq = r.chance(0.4) ? perTensor(Math.fround(6 / 255), -128) : nearQuant(r, xq, 1.5);
        break;
      case 'relu_n1_to_1':
        if (r.chance(0.5)) xq = perTensor(Math.fround(r.logScale(-1, 1) * 4 / 255), r.int(-60, 60));
        yq = r.chance(0.4) ? perTensor(Math.fround(2 / 255), r.int(-2, 2)) : nearQuant(r, xq, 1.5);
        break;
      case 'logistic': case 'tanh':
        // Inputs spanning about [-2, 2] to [-64, 64], sometimes far beyond (saturated).
        xq = perTensor(r.logScale(-6, r.chance(0.15) ? 0 : -1), r.chance(0.3) ? 0 : r.int(-100, 100));
        yq = kind === 'logistic' ? perTensor(1 / 256, -128) : r.chance(0.85) ? perTensor(1 / 128, 0) : perTensor(r.logScale(-8, -5), r.int(-50, 50));
        break;
      case 'hard_swish':
        // Input scales below 2^-7.4 give a right-shifting "reluish" multiplier.
        xq = perTensor(r.logScale(-10, -2), r.int(-100, 100));
        // Output multiplier s_in / 128 / s_out must stay <= 1 (TFLite's HARD_SWISH requires it); one case in
        // ten has an output shift beyond 15 (TFLite's int16 rounding divide degenerates there).
        yq = perTensor(Math.fround(xq.scale[0] * 2 ** (r.chance(0.1) ? 9 + r.next() * 3 : r.next() * 3.5 - 2)), r.int(-128, 100));
        break;
      case 'quantize':
        yq = r.chance(0.1) ? perTensor(xq.scale[0], r.int(-128, 127)) : nearQuant(r, xq, 3);
        break;
    }
    const x = g.add('input', shape, 'int8', xq);
    const y = g.add('output', shape, 'int8', yq);
    return { op: { kind, inputs: [x], outputs: [y] }, input: [x], output: y };
  };
}

const UNARY_GENERATORS: Record<UnaryOpKind, Gen> = {
  relu: unary('relu'),
  relu6: unary('relu6'),
  relu_n1_to_1: unary('relu_n1_to_1'),
  logistic: unary('logistic'),
  tanh: unary('tanh'),
  hard_swish: unary('hard_swish'),
  quantize: unary('quantize'),
  leaky_relu: (r, g, o) => {
    const shape = elementShape(r, o);
    const xq = actQuant(r);
    const alpha = r.chance(0.5) ? r.pick([0.1, 0.2, 0.01, 0.3]) : r.chance(0.85) ? r.next() * 1.5 : -r.next();
    const y = g.add('output', shape, 'int8', nearQuant(r, xq, 1.5));
    const x = g.add('input', shape, 'int8', xq);
    return { op: { kind: 'leaky_relu', inputs: [x], outputs: [y], alpha: Math.fround(alpha) }, input: [x], output: y };
  },
  prelu: (r, g, o) => {
    const shape = elementShape(r, o);
    // alpha: one per channel (the usual case), the trailing dims, a scalar, or the whole shape.
    const c = shape[shape.length - 1]!;
    const form = r.int(0, 3);
    let aShape = form === 0 ? [c] : form === 1 ? shape.slice(1) : form === 2 ? [1] : shape.map((d) => (r.chance(0.5) ? 1 : d));
    if (aShape.length === 0) aShape = [1];
    if (r.chance(0.3) && aShape.length < shape.length) aShape = [...Array(shape.length - aShape.length).fill(1), ...aShape];
    const xq = actQuant(r);
    const aq = perTensor(r.logScale(-9, -6), r.chance(0.6) ? 0 : r.int(-60, 60));
    const x = g.add('input', shape, 'int8', xq);
    const a = g.add('alpha', aShape, 'int8', aq, r.int8(numElements(aShape)));
    const y = g.add('output', shape, 'int8', nearQuant(r, xq, 1.5));
    return { op: { kind: 'prelu', inputs: [x, a], outputs: [y] }, input: [x], output: y };
  },
};

const GENERATORS: Record<RandomOpKind, Gen> = {
  conv2d: (r, g, o) => {
    const n = batch(r, o);
    const sp = spatial(r, 5);
    const groups = o.groups === 'only' || (o.groups === 'mixed' && r.chance(0.3)) ? r.int(2, 3) : 1;
    const inC = groups * channels(r, 8);
    const outC = groups * channels(r, 8);
    const xq = actQuant(r);
    const x = g.add('input', [n, ...sp.inHW, inC], 'int8', xq);
    const wScales = Array.from({ length: outC }, () => r.logScale(-9, -5));
    const perChannel = r.chance(0.8);
    const ws = perChannel ? wScales : [wScales[0]];
    const w = g.add('weights', [outC, ...sp.k, inC / groups], 'int8',
      { scale: ws, zeroPoint: ws.map(() => 0), ...(ws.length > 1 ? { axis: 0 } : {}) }, r.int8(outC * sp.k[0] * sp.k[1] * (inC / groups), -127, 127));
    const kSize = sp.k[0] * sp.k[1] * (inC / groups);
    const accRms = RMS8 * RMS8 * Math.sqrt(kSize);
    // TFLite's int8 CONV_2D / DEPTHWISE_CONV_2D require the bias input.
    const b = bias(r, g, outC, xq.scale[0], ws, accRms);
    const oh = convOutSize(sp.inHW[0], sp.k[0], sp.stride[0], sp.dilation[0], sp.padding);
    const ow = convOutSize(sp.inHW[1], sp.k[1], sp.stride[1], sp.dilation[1], sp.padding);
    const y = g.add('output', [n, oh, ow, outC], 'int8', outQuant(r, accRms * xq.scale[0] * ws[0]));
    const op: Op = { kind: 'conv2d', inputs: [x, w, b], outputs: [y], stride: sp.stride, dilation: sp.dilation, padding: sp.padding, activation: r.pick(ACTIVATIONS) };
    return { op, input: [x], output: y };
  },
  depthwise_conv2d: (r, g, o) => {
    const n = batch(r, o);
    const sp = spatial(r, 5);
    const inC = channels(r, 12);
    const mult = o.depthMultipliers ? r.pick(o.depthMultipliers) : r.chance(0.6) ? 1 : r.int(2, 3);
    const outC = inC * mult;
    const xq = actQuant(r);
    const x = g.add('input', [n, ...sp.inHW, inC], 'int8', xq);
    const perChannel = r.chance(0.8);
    const ws = perChannel ? Array.from({ length: outC }, () => r.logScale(-9, -5)) : [r.logScale(-9, -5)];
    const w = g.add('weights', [1, ...sp.k, outC], 'int8',
      { scale: ws, zeroPoint: ws.map(() => 0), ...(ws.length > 1 ? { axis: 3 } : {}) }, r.int8(sp.k[0] * sp.k[1] * outC, -127, 127));
    const accRms = RMS8 * RMS8 * Math.sqrt(sp.k[0] * sp.k[1]);
    // TFLite's int8 CONV_2D / DEPTHWISE_CONV_2D require the bias input.
    const b = bias(r, g, outC, xq.scale[0], ws, accRms);
    const oh = convOutSize(sp.inHW[0], sp.k[0], sp.stride[0], sp.dilation[0], sp.padding);
    const ow = convOutSize(sp.inHW[1], sp.k[1], sp.stride[1], sp.dilation[1], sp.padding);
    const y = g.add('output', [n, oh, ow, outC], 'int8', outQuant(r, accRms * xq.scale[0] * ws[0]));
    const op: Op = { kind: 'depthwise_conv2d', inputs: [x, w, b], outputs: [y], stride: sp.stride, dilation: sp.dilation, padding: sp.padding, depthMultiplier: mult, activation: r.pick(ACTIVATIONS) };
    return { op, input: [x], output: y };
  },
  fully_connected: (r, g, o) => {
    const keepNumDims = r.chance(0.2);
    const outC = r.int(1, 32);
    let inShape: number[];
    let outShape: number[];
    let k: number;
    if (keepNumDims) {
      k = channels(r, 64);
      inShape = r.chance(0.5) ? [batch(r, o), k] : [1, r.int(1, 4), k];
      outShape = [...inShape.slice(0, -1), outC];
    } else if (r.chance(0.5)) {
      const b = batch(r, o);
      k = channels(r, 64);
      inShape = [b, k];
      outShape = [b, outC];
    } else {
      // A 4-D input flattened by the op, as after a pooling layer.
      inShape = [1, r.int(1, 3), r.int(1, 3), r.int(1, 8)];
      k = numElements(inShape);
      outShape = [1, outC];
    }
    const xq = actQuant(r);
    const x = g.add('input', inShape, 'int8', xq);
    // Per-channel FC weights (TFLite's FULLY_CONNECTED accepts them) in a third of the cases.
    const ws = outC > 1 && r.chance(0.33) ? Array.from({ length: outC }, () => r.logScale(-9, -5)) : [r.logScale(-9, -5)];
    const w = g.add('weights', [outC, k], 'int8', { scale: ws, zeroPoint: ws.map(() => 0), ...(ws.length > 1 ? { axis: 0 } : {}) },
      r.int8(outC * k, -127, 127));
    const accRms = RMS8 * RMS8 * Math.sqrt(k);
    const b = r.chance(0.9) ? bias(r, g, outC, xq.scale[0], ws, accRms) : -1;
    const y = g.add('output', outShape, 'int8', outQuant(r, accRms * xq.scale[0] * ws[0]));
    const op: Op = { kind: 'fully_connected', inputs: [x, w, b], outputs: [y], activation: r.pick(ACTIVATIONS), keepNumDims };
    return { op, input: [x], output: y };
  },
  add: (r, g, o) => {
    if (o.maxRank !== undefined) return binaryOp(r, g, o, 'add');
    const rank = r.int(1, 4);
    const shape = Array.from({ length: rank }, (_, d) => (rank === 4 && d === 0 ? batch(r, o) : r.int(1, 8)));
    // The other operand: same shape, or broadcast (dims set to 1 and/or fewer leading dims).
    let other = [...shape];
    if (r.chance(0.5)) {
      other = other.map((d) => (r.chance(0.5) ? 1 : d));
      if (r.chance(0.3)) other = other.slice(r.int(0, other.length - 1));
    }
    const swap = r.chance(0.5);
    // Sometimes the (possibly broadcast) other operand is a constant, as a bias-like ADD in a real model.
    const constant = r.chance(0.2) ? r.int8(numElements(other)) : undefined;
    const aq = actQuant(r), bq = actQuant(r);
    const a = g.add('input_a', swap ? other : shape, 'int8', aq, swap ? constant : undefined);
    const b = g.add('input_b', swap ? shape : other, 'int8', bq, swap ? undefined : constant);
    const realRms = RMS8 * Math.hypot(aq.scale[0], bq.scale[0]);
    const y = g.add('output', shape, 'int8', outQuant(r, realRms));
    const op: Op = { kind: 'add', inputs: [a, b], outputs: [y], activation: r.pick(ACTIVATIONS) };
    return { op, input: constant ? [swap ? b : a] : [a, b], output: y };
  },
  sub: (r, g, o) => binaryOp(r, g, o, 'sub'),
  mul: (r, g, o) => binaryOp(r, g, o, 'mul'),
  squared_difference: (r, g, o) => binaryOp(r, g, o, 'squared_difference'),
  maximum: (r, g, o) => binaryOp(r, g, o, 'maximum'),
  minimum: (r, g, o) => binaryOp(r, g, o, 'minimum'),
  average_pool2d: (r, g, o) => pool(r, g, o, 'average_pool2d'),
  max_pool2d: (r, g, o) => pool(r, g, o, 'max_pool2d'),
  reshape: (r, g, o) => {
    const shape = [batch(r, o), r.int(1, 6), r.int(1, 6), r.int(1, 8)];
    const total = numElements(shape);
    // A random factorisation of the element count into 1-4 dims.
    const outShape: number[] = [];
    let rest = total;
    const rank = r.int(1, 4);
    for (let d = 0; d < rank - 1; d++) {
      const divisors = Array.from({ length: rest }, (_, i) => i + 1).filter((v) => rest % v === 0);
      const f = r.pick(divisors);
      outShape.push(f);
      rest /= f;
    }
    outShape.push(rest);
    const q = actQuant(r);
    const x = g.add('input', shape, 'int8', q);
    const y = g.add('output', outShape, 'int8', q);
    return { op: { kind: 'reshape', inputs: [x], outputs: [y] }, input: [x], output: y };
  },
  softmax: (r, g, o) => {
    const shape = r.chance(0.5) ? [batch(r, o), r.int(1, 40)] : [1, r.int(1, 4), r.int(1, 4), r.int(1, 16)];
    const x = g.add('input', shape, 'int8', perTensor(r.logScale(-7, -3), r.int(-128, 127)));
    const y = g.add('output', shape, 'int8', perTensor(1 / 256, -128));
    const beta = r.chance(0.7) ? 1 : Math.fround(0.25 + r.next() * 1.75);
    return { op: { kind: 'softmax', inputs: [x], outputs: [y], beta }, input: [x], output: y };
  },
};

/**
 * An element-wise binary op: rank 1..maxRank (dims up to 8, up to 3 beyond 4-D), the other operand equal or
 * broadcast (dims set to 1, fewer leading dims), operands swapped half the time, one of them constant at
 * `constantRate`. MAXIMUM / MINIMUM share one quantisation (TFLite compares raw values); the others draw
 * each scale and zero point and an output scale from the result's spread.
 */
function binaryOp(r: Rng, g: GraphBuilder, o: RandomOpOptions, kind: (typeof BINARY_OP_KINDS)[number]) {
  const rank = r.int(1, o.maxRank ?? 4);
  const shape = Array.from({ length: rank }, (_, d) => (d === 0 && rank >= 4 ? batch(r, o) : r.int(1, rank > 4 ? 3 : 8)));
  let other = [...shape];
  if (r.chance(0.6)) {
    other = other.map((d) => (r.chance(0.5) ? 1 : d));
    if (r.chance(0.3)) other = other.slice(r.int(0, other.length - 1));
  }
  const swap = r.chance(0.5);
  const constant = r.chance(o.constantRate ?? 0.2) ? r.int8(numElements(other)) : undefined;
  const minMax = kind === 'maximum' || kind === 'minimum';
  const aq = actQuant(r);
  const bq = minMax ? aq : actQuant(r);
  const a = g.add('input_a', swap ? other : shape, 'int8', aq, swap ? constant : undefined);
  const b = g.add('input_b', swap ? shape : other, 'int8', bq, swap ? undefined : constant);
  const sa = aq.scale[0], sb = bq.scale[0];
  const spread = kind === 'mul' ? RMS8 * RMS8 * sa * sb : kind === 'squared_difference' ? (RMS8 * Math.hypot(sa, sb)) ** 2 : RMS8 * Math.hypot(sa, sb);
  const y = g.add('output', shape, 'int8', minMax ? aq : outQuant(r, spread));
  const operands = { inputs: [a, b], outputs: [y] };
  const op: Op = kind === 'squared_difference' || minMax ? { kind, ...operands } : { kind, ...operands, activation: r.pick(ACTIVATIONS) };
  return { op, input: constant ? [swap ? b : a] : [a, b], output: y };
}

function pool(r: Rng, g: GraphBuilder, o: RandomOpOptions, kind: 'average_pool2d' | 'max_pool2d') {
  const n = batch(r, o);
  const filter: [number, number] = [r.int(1, 4), r.int(1, 4)];
  const stride: [number, number] = [r.int(1, 3), r.int(1, 3)];
  const padding = r.pick(PADDINGS);
  const inHW = filter.map((f) => r.int(padding === 'valid' ? f : 1, 12)) as [number, number];
  const c = r.int(1, 12);
  // TFLite's int8 pooling requires the output quantisation to equal the input's.
  const q = actQuant(r);
  const x = g.add('input', [n, ...inHW, c], 'int8', q);
  const oh = convOutSize(inHW[0], filter[0], stride[0], 1, padding);
  const ow = convOutSize(inHW[1], filter[1], stride[1], 1, padding);
  const y = g.add('output', [n, oh, ow, c], 'int8', q);
  const op: Op = { kind, inputs: [x], outputs: [y], filter, stride, padding, activation: r.pick(ACTIVATIONS) };
  return { op, input: [x], output: y };
}

export interface RandomOpCase {
  seed: number;
  kind: AnyRandomOpKind;
  graph: Graph;
}

/** A random single-op graph of `kind` (or a kind picked from the seed). */
export function randomOpGraph(seed: number, kind?: AnyRandomOpKind, opts: RandomOpOptions = {}): RandomOpCase {
  const r = new Rng(seed);
  const k = kind ?? r.pick(RANDOM_OP_KINDS);
  const g = new GraphBuilder();
  const gen = (GENERATORS as Record<string, Gen>)[k] ?? (UNARY_GENERATORS as Record<string, Gen>)[k]!;
  const { op, input, output } = gen(r, g, opts);
  op.name = `${k}#${seed}`;
  return { seed, kind: k, graph: { name: `random_${k}_${seed}`, tensors: g.tensors, ops: [op], inputs: input, outputs: [output] } };
}

/** Random int8 data for each graph input (seeded separately from the graph). */
export function randomInputs(graph: Graph, seed: number): Int8Array[] {
  const r = new Rng(seed ^ 0x5bd1e995);
  return graph.inputs.map((id) => r.int8(numElements(graph.tensors[id].shape)));
}

/** One line describing a case, for failure messages. */
export function describeOp(c: RandomOpCase): string {
  const op = c.graph.ops[0];
  const t = (id: number) => (id < 0 ? '-' : `[${c.graph.tensors[id].shape}]`);
  const attrs = Object.entries(op).filter(([k]) => !['inputs', 'outputs', 'kind', 'name'].includes(k))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return `seed ${c.seed} ${op.kind} in ${op.inputs.map(t).join(' ')} out ${op.outputs.map(t).join(' ')} ${attrs}`;
}

// ---- Random small networks: chains of the ops above with residual ADDs and a classifier head -------------

interface Cur { id: number; shape: number[]; quant: Quant }

type Layer = (r: Rng, g: GraphBuilder, x: Cur, ops: Op[]) => Cur;

function convLayer(r: Rng, g: GraphBuilder, x: Cur, ops: Op[], k: number, stride: number, outC: number, keepShape = false): Cur {
  const [n, h, w, c] = x.shape;
  const padding: Padding = !keepShape && k <= Math.min(h, w) && r.chance(0.3) ? 'valid' : 'same';
  const ws = Array.from({ length: outC }, () => r.logScale(-9, -5));
  const wt = g.add(`w${ops.length}`, [outC, k, k, c], 'int8', { scale: ws, zeroPoint: ws.map(() => 0), ...(outC > 1 ? { axis: 0 } : {}) },
    r.int8(outC * k * k * c, -127, 127));
  const accRms = RMS8 * RMS8 * Math.sqrt(k * k * c);
  const b = bias(r, g, outC, x.quant.scale[0], ws, accRms);
  const shape = [n, convOutSize(h, k, stride, 1, padding), convOutSize(w, k, stride, 1, padding), outC];
  const quant = outQuant(r, accRms * x.quant.scale[0] * ws[0]);
  const y = g.add(`conv${ops.length}`, shape, 'int8', quant);
  ops.push({ kind: 'conv2d', inputs: [x.id, wt, b], outputs: [y], stride: [stride, stride], dilation: [1, 1], padding, activation: r.pick(ACTIVATIONS) });
  return { id: y, shape, quant };
}

const LAYERS: Record<'conv' | 'depthwise' | 'pool' | 'residual', Layer> = {
  conv: (r, g, x, ops) => convLayer(r, g, x, ops, r.int(1, 3), r.int(1, 2), channels(r, 12)),
  depthwise: (r, g, x, ops) => {
    const [n, h, w, c] = x.shape;
    const k = r.int(1, 3), stride = r.int(1, 2), mult = r.chance(0.7) ? 1 : 2;
    const padding: Padding = k <= Math.min(h, w) && r.chance(0.3) ? 'valid' : 'same';
    const outC = c * mult;
    const ws = Array.from({ length: outC }, () => r.logScale(-9, -5));
    const wt = g.add(`w${ops.length}`, [1, k, k, outC], 'int8', { scale: ws, zeroPoint: ws.map(() => 0), ...(outC > 1 ? { axis: 3 } : {}) },
      r.int8(k * k * outC, -127, 127));
    const accRms = RMS8 * RMS8 * k;
    const b = bias(r, g, outC, x.quant.scale[0], ws, accRms);
    const shape = [n, convOutSize(h, k, stride, 1, padding), convOutSize(w, k, stride, 1, padding), outC];
    const quant = outQuant(r, accRms * x.quant.scale[0] * ws[0]);
    const y = g.add(`dw${ops.length}`, shape, 'int8', quant);
    ops.push({ kind: 'depthwise_conv2d', inputs: [x.id, wt, b], outputs: [y], stride: [stride, stride], dilation: [1, 1], padding, depthMultiplier: mult, activation: r.pick(ACTIVATIONS) });
    return { id: y, shape, quant };
  },
  pool: (r, g, x, ops) => {
    const [n, h, w, c] = x.shape;
    const shape = [n, convOutSize(h, 2, 2, 1, 'same'), convOutSize(w, 2, 2, 1, 'same'), c];
    const y = g.add(`pool${ops.length}`, shape, 'int8', x.quant);
    ops.push({ kind: r.chance(0.5) ? 'max_pool2d' : 'average_pool2d', inputs: [x.id], outputs: [y], filter: [2, 2], stride: [2, 2], padding: 'same', activation: 'none' });
    return { id: y, shape, quant: x.quant };
  },
  residual: (r, g, x, ops) => {
    // y = x + conv1x1(x): a two-op block whose ADD reads a tensor produced two ops earlier.
    const branch = convLayer(r, g, x, ops, r.pick([1, 3]), 1, x.shape[3], true);
    const quant = outQuant(r, RMS8 * Math.hypot(x.quant.scale[0], branch.quant.scale[0]));
    const y = g.add(`add${ops.length}`, x.shape, 'int8', quant);
    ops.push({ kind: 'add', inputs: [x.id, branch.id], outputs: [y], activation: r.pick(ACTIVATIONS) });
    return { id: y, shape: x.shape, quant };
  },
};

/** A random network: 2-6 spatial layers (conv, depthwise, pool, residual block), then usually a classifier head. */
export function randomNetGraph(seed: number): Graph {
  const r = new Rng(seed);
  const g = new GraphBuilder();
  const ops: Op[] = [];
  const shape = [r.chance(0.1) ? 2 : 1, r.int(4, 16), r.int(4, 16), r.int(1, 8)];
  const input = g.add('input', shape, 'int8', actQuant(r));
  let cur: Cur = { id: input, shape, quant: g.tensors[input].quant! };
  const layers = r.int(2, 6);
  for (let i = 0; i < layers; i++) cur = LAYERS[r.pick(['conv', 'depthwise', 'pool', 'residual'] as const)](r, g, cur, ops);
  if (r.chance(0.7)) {
    const [n, h, w, c] = cur.shape;
    const gap = g.add('gap', [n, 1, 1, c], 'int8', cur.quant);
    ops.push({ kind: 'average_pool2d', inputs: [cur.id], outputs: [gap], filter: [h, w], stride: [1, 1], padding: 'valid', activation: 'none' });
    const flat = g.add('flat', [n, c], 'int8', cur.quant);
    ops.push({ kind: 'reshape', inputs: [gap], outputs: [flat] });
    const outC = r.int(2, 12);
    const ws = [r.logScale(-9, -5)];
    const wt = g.add('fc_w', [outC, c], 'int8', perTensor(ws[0], 0), r.int8(outC * c, -127, 127));
    const accRms = RMS8 * RMS8 * Math.sqrt(c);
    const b = bias(r, g, outC, cur.quant.scale[0], ws, accRms);
    const logits = g.add('logits', [n, outC], 'int8', outQuant(r, accRms * cur.quant.scale[0] * ws[0]));
    ops.push({ kind: 'fully_connected', inputs: [flat, wt, b], outputs: [logits], activation: 'none', keepNumDims: false });
    cur = { id: logits, shape: [n, outC], quant: g.tensors[logits].quant! };
    if (r.chance(0.5)) {
      const probs = g.add('probs', cur.shape, 'int8', perTensor(1 / 256, -128));
      ops.push({ kind: 'softmax', inputs: [logits], outputs: [probs], beta: 1 });
      cur = { id: probs, shape: cur.shape, quant: g.tensors[probs].quant! };
    }
  }
  ops.forEach((op, i) => { op.name = `${op.kind}_${i}`; });
  return { name: `random_net_${seed}`, tensors: g.tensors, ops, inputs: [input], outputs: [cur.id] };
}

// ---- Random chains of element-wise ops (after a convolution half of the time) ---------------------------

/** One element-wise layer of `kind` on `x`, its output quantisation derived from x's as TFLite's rules allow. */
function unaryLayer(r: Rng, g: GraphBuilder, x: Cur, ops: Op[], kind: UnaryOpKind): Cur {
  let quant: Quant;
  switch (kind) {
    case 'logistic': quant = perTensor(1 / 256, -128); break;
    case 'tanh': quant = perTensor(1 / 128, 0); break;
    case 'hard_swish': quant = perTensor(Math.fround(x.quant.scale[0] * 2 ** (r.next() * 3.5 - 2)), r.int(-128, 100)); break;
    default: quant = nearQuant(r, x.quant, 1);
  }
  const y = g.add(`${kind}${ops.length}`, x.shape, 'int8', quant);
  if (kind === 'prelu') {
    const c = x.shape[x.shape.length - 1]!;
    const a = g.add(`alpha${ops.length}`, [c], 'int8', perTensor(r.logScale(-9, -6), r.chance(0.6) ? 0 : r.int(-60, 60)), r.int8(c));
    ops.push({ kind, inputs: [x.id, a], outputs: [y] });
  } else if (kind === 'leaky_relu') {
    ops.push({ kind, inputs: [x.id], outputs: [y], alpha: Math.fround(r.chance(0.5) ? 0.1 : r.next()) });
  } else {
    ops.push({ kind, inputs: [x.id], outputs: [y] });
  }
  return { id: y, shape: x.shape, quant };
}

/** A chain: [conv2d] then 2-5 element-wise ops of random kinds; every tensor an intermediate output. */
export function randomUnaryChain(seed: number): Graph {
  const r = new Rng(seed);
  const g = new GraphBuilder();
  const ops: Op[] = [];
  const shape = [1, r.int(1, 8), r.int(1, 8), r.int(1, 8)];
  const input = g.add('input', shape, 'int8', actQuant(r));
  let cur: Cur = { id: input, shape, quant: g.tensors[input].quant! };
  if (r.chance(0.5)) cur = convLayer(r, g, cur, ops, r.int(1, 3), 1, channels(r, 8), true);
  const n = r.int(2, 5);
  for (let i = 0; i < n; i++) cur = unaryLayer(r, g, cur, ops, r.pick(UNARY_OP_KINDS));
  ops.forEach((op, i) => { op.name = `${op.kind}_${i}`; });
  return { name: `unary_chain_${seed}`, tensors: g.tensors, ops, inputs: [input], outputs: [cur.id] };
}

// ---- Random networks of element-wise blocks, as real models use them ---------------------------------------

/** A constant int8 tensor of `shape` holding the quantised values `real(i)` in quantisation q. */
function constTensor(g: GraphBuilder, name: string, shape: number[], q: Quant, real: (i: number) => number): number {
  const s = q.scale[0]!, z = q.zeroPoint[0]!;
  const data = Int8Array.from({ length: numElements(shape) }, (_, i) => Math.max(-128, Math.min(127, Math.round(real(i) / s) + z)));
  return g.add(name, shape, 'int8', q, data);
}

type Block = (r: Rng, g: GraphBuilder, x: Cur, ops: Op[]) => Cur;

const BLOCKS: Record<'hswish' | 'sqdiff' | 'bias' | 'clip' | 'gate', Block> = {
  // hard-swish: x * relu6(x + 3) * (1/6): ADD with a constant scalar (fused relu6), MUL, MUL by a constant.
  hswish: (r, g, x, ops) => {
    const sx = x.quant.scale[0]!;
    const three = constTensor(g, `three${ops.length}`, [1], perTensor(Math.fround(3 / 127), 0), () => 3);
    const t = g.add(`hs_t${ops.length}`, x.shape, 'int8', perTensor(Math.fround(6 / 255), -128));
    ops.push({ kind: 'add', inputs: [x.id, three], outputs: [t], activation: 'relu6' });
    const p = g.add(`hs_p${ops.length}`, x.shape, 'int8', outQuant(r, RMS8 * sx * 3));
    ops.push({ kind: 'mul', inputs: [x.id, t], outputs: [p], activation: 'none' });
    const sixth = constTensor(g, `sixth${ops.length}`, [1], perTensor(Math.fround(1 / 6 / 100), 0), () => 1 / 6);
    const q = outQuant(r, RMS8 * g.tensors[p]!.quant!.scale[0]! / 6);
    const y = g.add(`hswish${ops.length}`, x.shape, 'int8', q);
    ops.push({ kind: 'mul', inputs: r.chance(0.5) ? [p, sixth] : [sixth, p], outputs: [y], activation: 'none' });
    return { id: y, shape: x.shape, quant: q };
  },
  // (x - conv1x1(x))^2, as in a distance or variance layer.
  sqdiff: (r, g, x, ops) => {
    const c = convLayer(r, g, x, ops, 1, 1, x.shape[3]!, true);
    const q = outQuant(r, (RMS8 * Math.hypot(x.quant.scale[0]!, c.quant.scale[0]!)) ** 2);
    const y = g.add(`sqd${ops.length}`, x.shape, 'int8', q);
    ops.push({ kind: 'squared_difference', inputs: [x.id, c.id], outputs: [y] });
    return { id: y, shape: x.shape, quant: q };
  },
  // x - per-channel constant (a mean subtraction), with a fused activation.
  bias: (r, g, x, ops) => {
    const c = x.shape[3]!;
    const k = constTensor(g, `mean${ops.length}`, [c], actQuant(r), () => (r.next() - 0.5) * 40 * x.quant.scale[0]!);
    const q = outQuant(r, RMS8 * Math.hypot(x.quant.scale[0]!, g.tensors[k]!.quant!.scale[0]!));
    const y = g.add(`sub${ops.length}`, x.shape, 'int8', q);
    ops.push({ kind: 'sub', inputs: [x.id, k], outputs: [y], activation: r.pick(ACTIVATIONS) });
    return { id: y, shape: x.shape, quant: q };
  },
  // clip(x, lo, hi) as MINIMUM(MAXIMUM(x, lo), hi) with per-channel / scalar constants in x's quantisation.
  clip: (r, g, x, ops) => {
    const c = x.shape[3]!;
    const lo = constTensor(g, `lo${ops.length}`, r.chance(0.5) ? [c] : [1], x.quant, () => -r.next() * 30 * x.quant.scale[0]!);
    const m = g.add(`max${ops.length}`, x.shape, 'int8', x.quant);
    ops.push({ kind: 'maximum', inputs: [x.id, lo], outputs: [m] });
    const hi = constTensor(g, `hi${ops.length}`, [1], x.quant, () => r.next() * 30 * x.quant.scale[0]!);
    const y = g.add(`min${ops.length}`, x.shape, 'int8', x.quant);
    ops.push({ kind: 'minimum', inputs: r.chance(0.5) ? [m, hi] : [hi, m], outputs: [y] });
    return { id: y, shape: x.shape, quant: x.quant };
  },
  // x * conv1x1(x) (a multiplicative gate), broadcast over a per-pixel gate of one channel half the time.
  gate: (r, g, x, ops) => {
    const c = convLayer(r, g, x, ops, 1, 1, r.chance(0.5) ? 1 : x.shape[3]!, true);
    const q = outQuant(r, RMS8 * RMS8 * x.quant.scale[0]! * c.quant.scale[0]!);
    const y = g.add(`gate${ops.length}`, x.shape, 'int8', q);
    ops.push({ kind: 'mul', inputs: r.chance(0.5) ? [x.id, c.id] : [c.id, x.id], outputs: [y], activation: r.pick(ACTIVATIONS) });
    return { id: y, shape: x.shape, quant: q };
  },
};

/** A random network mixing convolutions with element-wise blocks (hard-swish, clip, gates, mean subtraction). */
export function randomElementwiseNet(seed: number): Graph {
  const r = new Rng(seed);
  const g = new GraphBuilder();
  const ops: Op[] = [];
  const shape = [1, r.int(2, 10), r.int(2, 10), r.int(1, 8)];
  const input = g.add('input', shape, 'int8', actQuant(r));
  let cur: Cur = { id: input, shape, quant: g.tensors[input]!.quant! };
  // Real activations stay within a few units; products and squares would otherwise compound the scales
  // from block to block, so a layer whose outputs would spread beyond that gets a scale for about +-8.
  const bounded = (c: Cur): Cur => {
    if (c.quant.scale[0]! * 40 <= 8) return c;
    const quant = perTensor(Math.fround(8 / 40 * 2 ** (r.next() - 0.5)), c.quant.zeroPoint[0]!);
    g.tensors[c.id]!.quant = quant;
    return { ...c, quant };
  };
  const n = r.int(2, 5);
  for (let i = 0; i < n; i++) {
    if (r.chance(0.4)) cur = bounded(convLayer(r, g, cur, ops, r.pick([1, 3]), 1, channels(r, 8), true));
    const block = r.pick(['hswish', 'sqdiff', 'bias', 'clip', 'gate'] as const);
    // MAXIMUM / MINIMUM keep their input's quantisation (bounded already).
    cur = block === 'clip' ? BLOCKS.clip(r, g, cur, ops) : bounded(BLOCKS[block](r, g, cur, ops));
  }
  ops.forEach((op, i) => { op.name = `${op.kind}_${i}`; });
  return { name: `random_elementwise_net_${seed}`, tensors: g.tensors, ops, inputs: [input], outputs: [cur.id] };
}
