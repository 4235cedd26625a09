// Seeded random single-op int8 graphs for the operators added after the first eight (MEAN, SUM,
// RESIZE_BILINEAR, TRANSPOSE_CONV), in the style of random-ops.ts (same Rng, float32-exact scales, output
// scales chosen from the expected spread so that most outputs are not saturated):
//   mean / sum       rank 1-5, random non-empty axis sets (negative and repeated axes too), keep_dims or
//                    not; a third of the MEANs are the 4-D H,W keep_dims case desktop TFLite special-cases,
//                    some MEANs keep the input's quantisation;
//   resize_bilinear  1-8 -> 1-16 pixels per side (exact 2x upsampling included), align_corners,
//                    half_pixel_centers or neither;
//   transpose_conv   kernels 1-4, strides 1-3, same / valid with every output size TFLite accepts for
//                    the input size, per-tensor or per-channel weights, with or without bias.
import type { Activation, Graph, Op, Padding, Quant, Tensor, TensorData } from '../../compiler/ir/graph.ts';
import { numElements } from '../../compiler/ir/graph.ts';
import { reduceShape } from '../../compiler/ops/reduce.ts';
import { Rng } from './random-ops.ts';

export const EXTRA_OP_KINDS = ['mean', 'sum', 'resize_bilinear', 'transpose_conv'] as const;
export type ExtraOpKind = (typeof EXTRA_OP_KINDS)[number];

export interface ExtraOpOptions {
  /** Fused activations for transpose_conv (default: none only). */
  activations?: boolean;
}

const RMS8 = 74;

class Builder {
  tensors: Tensor[] = [];
  add(name: string, shape: number[], dtype: Tensor['dtype'], quant?: Quant, data?: TensorData): number {
    const id = this.tensors.length;
    this.tensors.push({ id, name, shape, dtype, ...(quant ? { quant } : {}), ...(data ? { data } : {}) });
    return id;
  }
}

const perTensor = (scale: number, zeroPoint: number): Quant => ({ scale: [scale], zeroPoint: [zeroPoint] });

function actQuant(r: Rng): Quant {
  const zp = r.chance(0.3) ? 0 : r.int(-100, 100);
  return perTensor(r.logScale(-8, -3), r.chance(0.1) ? r.int(-128, 127) : zp);
}

/** Output scale for a real spread `realRms`: outputs around +-40, give or take 3x (one case in ten extreme). */
function outQuant(r: Rng, realRms: number): Quant {
  const u = r.chance(0.1) ? r.next() * 10 - 5 : r.next() * 3 - 1.5;
  return perTensor(Math.fround(realRms / (40 * 2 ** u)), r.int(-60, 60));
}

type Gen = (r: Rng, g: Builder, o: ExtraOpOptions) => { op: Op; input: number[]; output: number };

function reduceGen(kind: 'mean' | 'sum'): Gen {
  return (r, g) => {
    let shape: number[];
    let axes: number[];
    let keepDims: boolean;
    if (kind === 'mean' && r.chance(0.35)) {
      shape = [r.chance(0.15) ? 2 : 1, r.int(1, 10), r.int(1, 10), r.int(1, 24)];
      axes = r.chance(0.5) ? [1, 2] : [2, 1];
      keepDims = true;
    } else {
      const rank = r.chance(0.1) ? 5 : r.int(1, 4);
      shape = Array.from({ length: rank }, () => r.int(1, rank > 3 ? 5 : 8));
      const set = Array.from({ length: rank }, (_, i) => i).filter(() => r.chance(0.5));
      if (set.length === 0) set.push(r.int(0, rank - 1));
      axes = set.map((a) => (r.chance(0.2) ? a - rank : a));
      if (r.chance(0.1)) axes.push(axes[0]!);
      if (r.chance(0.5)) axes.reverse();
      keepDims = r.chance(0.5);
      if (!keepDims && set.length === rank) keepDims = true;
    }
    const xq = actQuant(r);
    const x = g.add('input', shape, 'int8', xq);
    const outShape = reduceShape(shape, axes, keepDims);
    const count = numElements(shape) / numElements(outShape);
    let yq: Quant;
    if (kind === 'mean' && r.chance(0.2)) yq = xq;
    else {
      const spread = kind === 'mean' ? RMS8 / Math.sqrt(count) + Math.abs(xq.zeroPoint[0]!) * 0.5 : RMS8 * Math.sqrt(count) + Math.abs(xq.zeroPoint[0]!) * count * 0.5;
      yq = outQuant(r, xq.scale[0]! * spread);
    }
    const y = g.add('output', outShape, 'int8', yq);
    return { op: { kind, inputs: [x], outputs: [y], axes, keepDims }, input: [x], output: y };
  };
}

const GENERATORS: Record<ExtraOpKind, Gen> = {
  mean: reduceGen('mean'),
  sum: reduceGen('sum'),
  resize_bilinear: (r, g) => {
    const n = r.chance(0.1) ? 2 : 1;
    const h = r.int(1, 8), w = r.int(1, 8), c = r.int(1, 12);
    const [oh, ow] = r.chance(0.25) ? [2 * h, 2 * w] : [r.int(1, 16), r.int(1, 16)];
    const mode = r.int(0, 2);
    const q = actQuant(r);
    const x = g.add('input', [n, h, w, c], 'int8', q);
    const y = g.add('output', [n, oh, ow, c], 'int8', q);
    return { op: { kind: 'resize_bilinear', inputs: [x], outputs: [y], alignCorners: mode === 1, halfPixelCenters: mode === 2 }, input: [x], output: y };
  },
  transpose_conv: (r, g, o) => {
    const n = r.chance(0.1) ? 2 : 1;
    const k: [number, number] = [r.int(1, 4), r.int(1, 4)];
    const stride: [number, number] = r.chance(0.3) ? [1, 1] : [r.int(1, 3), r.int(1, 3)];
    const padding: Padding = r.chance(0.5) ? 'same' : 'valid';
    const inHW = [r.int(1, 7), r.int(1, 7)];
    // Every output size whose convolution back to the output has the input's size.
    const outHW = [0, 1].map((d) => (padding === 'same'
      ? r.int((inHW[d]! - 1) * stride[d]! + 1, inHW[d]! * stride[d]!)
      : r.int((inHW[d]! - 1) * stride[d]! + k[d]!, inHW[d]! * stride[d]! + k[d]! - 1)));
    const inC = r.chance(0.15) ? r.int(9, 24) : r.int(1, 8);
    const outC = r.chance(0.15) ? r.int(9, 24) : r.int(1, 8);
    const xq = actQuant(r);
    const x = g.add('input', [n, inHW[0]!, inHW[1]!, inC], 'int8', xq);
    const ws = r.chance(0.7) ? Array.from({ length: outC }, () => r.logScale(-9, -5)) : [r.logScale(-9, -5)];
    const w = g.add('weights', [outC, k[0], k[1], inC], 'int8', { scale: ws, zeroPoint: ws.map(() => 0), ...(ws.length > 1 ? { axis: 0 } : {}) },
      r.int8(outC * k[0] * k[1] * inC, -127, 127));
    const taps = Math.max(1, (k[0] * k[1]) / (stride[0] * stride[1])) * inC;
    const accRms = RMS8 * RMS8 * Math.sqrt(taps);
    let b = -1;
    if (r.chance(0.8)) {
      const lim = Math.max(1, Math.round(accRms));
      b = g.add('bias', [outC], 'int32', { scale: ws.map((s) => Math.fround(xq.scale[0]! * s)), zeroPoint: ws.map(() => 0), ...(ws.length > 1 ? { axis: 0 } : {}) },
        r.int32(outC, -lim, lim));
    }
    const y = g.add('output', [n, outHW[0]!, outHW[1]!, outC], 'int8', outQuant(r, accRms * xq.scale[0]! * ws[0]!));
    const activation: Activation = o.activations ? r.pick(['none', 'relu', 'relu6', 'relu_n1_to_1'] as const) : 'none';
    const op: Op = { kind: 'transpose_conv', inputs: b >= 0 ? [x, w, b] : [x, w], outputs: [y], stride, padding, activation };
    return { op, input: [x], output: y };
  },
};

export interface ExtraOpCase { seed: number; kind: ExtraOpKind; graph: Graph }

/** A random single-op graph of `kind`. */
export function randomExtraOpGraph(seed: number, kind: ExtraOpKind, opts: ExtraOpOptions = {}): ExtraOpCase {
  const r = new Rng(seed);
  const g = new Builder();
  const { op, input, output } = GENERATORS[kind](r, g, opts);
  op.name = `${kind}#${seed}`;
  return { seed, kind, graph: { name: `random_${kind}_${seed}`, tensors: g.tensors, ops: [op], inputs: input, outputs: [output] } };
}

// ---- Audit of the older families: the options real models set that random-ops.ts draws rarely or never ----
//   fc_dims      FULLY_CONNECTED on rank-3/4 inputs: batch dimensions flattened (keep_num_dims false) or
//                kept (true), 4-D keep_num_dims, per-tensor / per-channel weights, with and without bias;
//   dilated      CONV_2D and DEPTHWISE_CONV_2D with dilation >= 2 on at least one axis (strides 1-2,
//                depth multipliers 1-3), every fused activation;
//   global_pool  AVERAGE_POOL_2D / MAX_POOL_2D with whole-image windows (up to 25 x 10, as keyword-spotting
//                models pool) and large SAME-padded windows whose taps are mostly outside the image.
export const AUDIT_FAMILIES = ['fc_dims', 'dilated', 'global_pool'] as const;
export type AuditFamily = (typeof AUDIT_FAMILIES)[number];

const ACTS: readonly Activation[] = ['none', 'relu', 'relu6', 'relu_n1_to_1'];

function weightScales(r: Rng, n: number, perChannel: boolean): number[] {
  return perChannel && n > 1 ? Array.from({ length: n }, () => r.logScale(-9, -5)) : [r.logScale(-9, -5)];
}

function biasTensor(r: Rng, g: Builder, n: number, inScale: number, ws: number[], accRms: number): number {
  const lim = Math.max(1, Math.round(accRms));
  return g.add('bias', [n], 'int32', { scale: ws.map((s) => Math.fround(inScale * s)), zeroPoint: ws.map(() => 0), ...(ws.length > 1 ? { axis: 0 } : {}) },
    r.int32(n, -lim, lim));
}

const AUDIT: Record<AuditFamily, Gen> = {
  fc_dims: (r, g) => {
    const k = r.chance(0.2) ? r.int(33, 96) : r.int(1, 32);
    const outC = r.int(1, 24);
    const lead = r.chance(0.5) ? [r.int(1, 3), r.int(2, 4)] : [r.int(1, 2), r.int(1, 3), r.int(1, 3)];
    const keepNumDims = r.chance(0.5);
    const inShape = [...lead, k];
    const rows = numElements(lead);
    const outShape = keepNumDims ? [...lead, outC] : [rows, outC];
    const xq = actQuant(r);
    const x = g.add('input', inShape, 'int8', xq);
    const ws = weightScales(r, outC, r.chance(0.5));
    const w = g.add('weights', [outC, k], 'int8', { scale: ws, zeroPoint: ws.map(() => 0), ...(ws.length > 1 ? { axis: 0 } : {}) }, r.int8(outC * k, -127, 127));
    const accRms = RMS8 * RMS8 * Math.sqrt(k);
    const b = r.chance(0.5) ? biasTensor(r, g, outC, xq.scale[0]!, ws, accRms) : -1;
    const y = g.add('output', outShape, 'int8', outQuant(r, accRms * xq.scale[0]! * ws[0]!));
    return { op: { kind: 'fully_connected', inputs: [x, w, b], outputs: [y], activation: r.pick(ACTS), keepNumDims }, input: [x], output: y };
  },
  dilated: (r, g) => {
    const depthwise = r.chance(0.5);
    const k: [number, number] = [r.int(2, 3), r.int(2, 3)];
    const dilation: [number, number] = r.chance(0.5) ? [r.int(2, 4), r.int(2, 4)] : r.chance(0.5) ? [r.int(2, 4), 1] : [1, r.int(2, 4)];
    const stride: [number, number] = r.chance(0.7) ? [1, 1] : [r.int(1, 2), r.int(1, 2)];
    const padding: Padding = r.chance(0.5) ? 'same' : 'valid';
    const inHW = [0, 1].map((d) => r.int((k[d]! - 1) * dilation[d]! + 1, 16));
    const n = r.chance(0.1) ? 2 : 1;
    const inC = r.int(1, 12);
    const mult = depthwise ? r.int(1, 3) : 1;
    const outC = depthwise ? inC * mult : r.int(1, 12);
    const xq = actQuant(r);
    const x = g.add('input', [n, inHW[0]!, inHW[1]!, inC], 'int8', xq);
    const ws = weightScales(r, outC, r.chance(0.6));
    const axis = depthwise ? 3 : 0;
    const wShape = depthwise ? [1, k[0], k[1], outC] : [outC, k[0], k[1], inC];
    const w = g.add('weights', wShape, 'int8', { scale: ws, zeroPoint: ws.map(() => 0), ...(ws.length > 1 ? { axis } : {}) }, r.int8(numElements(wShape), -127, 127));
    const accRms = RMS8 * RMS8 * Math.sqrt(k[0] * k[1] * (depthwise ? 1 : inC));
    const b = biasTensor(r, g, outC, xq.scale[0]!, ws, accRms);
    const out = (i: number, d: number) => (padding === 'same' ? Math.ceil(i / stride[d]!) : Math.ceil((i - (k[d]! - 1) * dilation[d]!) / stride[d]!));
    const y = g.add('output', [n, out(inHW[0]!, 0), out(inHW[1]!, 1), outC], 'int8', outQuant(r, accRms * xq.scale[0]! * ws[0]!));
    const activation = r.pick(ACTS);
    const op: Op = depthwise
      ? { kind: 'depthwise_conv2d', inputs: [x, w, b], outputs: [y], stride, dilation, padding, depthMultiplier: mult, activation }
      : { kind: 'conv2d', inputs: [x, w, b], outputs: [y], stride, dilation, padding, activation };
    return { op, input: [x], output: y };
  },
  global_pool: (r, g) => {
    const kind = r.chance(0.6) ? 'average_pool2d' : 'max_pool2d';
    const n = r.chance(0.15) ? 2 : 1;
    const h = r.int(1, 25), w = r.int(1, 10), c = r.int(1, 16);
    let filter: [number, number], stride: [number, number], padding: Padding;
    if (r.chance(0.5)) { filter = [h, w]; stride = [r.int(1, 2), r.int(1, 2)]; padding = 'valid'; }
    else { filter = [r.int(h, h + 6), r.int(w, w + 4)]; stride = [r.int(1, h + 1), r.int(1, w + 1)]; padding = 'same'; }
    const q = actQuant(r);
    const x = g.add('input', [n, h, w, c], 'int8', q);
    const out = (i: number, d: number) => (padding === 'same' ? Math.ceil(i / stride[d]!) : Math.ceil((i - filter[d]! + 1) / stride[d]!));
    const y = g.add('output', [n, out(h, 0), out(w, 1), c], 'int8', q);
    return { op: { kind, inputs: [x], outputs: [y], filter, stride, padding, activation: r.pick(ACTS) }, input: [x], output: y };
  },
};

export interface AuditCase { seed: number; family: AuditFamily; graph: Graph }

/** A random single-op graph of an audit family. */
export function randomAuditGraph(seed: number, family: AuditFamily): AuditCase {
  const r = new Rng(seed);
  const g = new Builder();
  const { op, input, output } = AUDIT[family](r, g, {});
  op.name = `${family}#${seed}`;
  return { seed, family, graph: { name: `audit_${family}_${seed}`, tensors: g.tensors, ops: [op], inputs: input, outputs: [output] } };
}

// ---- Random small decoder-style networks using the new operators together ----

/**
 * conv (stride 2) -> transpose_conv (stride 2, back up) -> resize_bilinear -> MEAN or SUM -> (after a
 * spatial MEAN) fully_connected: every new op consumes a computed activation, and buffers are reused.
 */
export function randomExtraNetGraph(seed: number): Graph {
  const r = new Rng(seed);
  const g = new Builder();
  const ops: Op[] = [];
  const n = 1, h = r.int(4, 10), w = r.int(4, 10), c = r.int(1, 6);
  const xq = actQuant(r);
  const input = g.add('input', [n, h, w, c], 'int8', xq);
  // conv 3x3 stride 2 same
  const c1 = r.int(2, 8);
  const ws1 = weightScales(r, c1, true);
  const w1 = g.add('w1', [c1, 3, 3, c], 'int8', { scale: ws1, zeroPoint: ws1.map(() => 0), ...(c1 > 1 ? { axis: 0 } : {}) }, r.int8(c1 * 9 * c, -127, 127));
  const acc1 = RMS8 * RMS8 * Math.sqrt(9 * c);
  const b1 = biasTensor(r, g, c1, xq.scale[0]!, ws1, acc1);
  const h1 = Math.ceil(h / 2), w1o = Math.ceil(w / 2);
  const q1 = outQuant(r, acc1 * xq.scale[0]! * ws1[0]!);
  const y1 = g.add('conv', [n, h1, w1o, c1], 'int8', q1);
  ops.push({ kind: 'conv2d', inputs: [input, w1, b1], outputs: [y1], stride: [2, 2], dilation: [1, 1], padding: 'same', activation: 'relu' });
  // transpose_conv 3x3 stride 2 same, back to h x w
  const c2 = r.int(1, 8);
  const ws2 = weightScales(r, c2, r.chance(0.5));
  const w2 = g.add('w2', [c2, 3, 3, c1], 'int8', { scale: ws2, zeroPoint: ws2.map(() => 0), ...(ws2.length > 1 ? { axis: 0 } : {}) }, r.int8(c2 * 9 * c1, -127, 127));
  const acc2 = RMS8 * RMS8 * Math.sqrt(9 * c1 / 4);
  const b2 = r.chance(0.5) ? biasTensor(r, g, c2, q1.scale[0]!, ws2, acc2) : -1;
  const q2 = outQuant(r, acc2 * q1.scale[0]! * ws2[0]!);
  const y2 = g.add('tconv', [n, h, w, c2], 'int8', q2);
  ops.push({ kind: 'transpose_conv', inputs: b2 >= 0 ? [y1, w2, b2] : [y1, w2], outputs: [y2], stride: [2, 2], padding: 'same', activation: 'none' });
  // resize_bilinear
  const h3 = r.int(2, 12), w3 = r.int(2, 12);
  const mode = r.int(0, 2);
  const y3 = g.add('resize', [n, h3, w3, c2], 'int8', q2);
  ops.push({ kind: 'resize_bilinear', inputs: [y2], outputs: [y3], alignCorners: mode === 1, halfPixelCenters: mode === 2 });
  // MEAN over H, W (spatial, keep_dims) or SUM / MEAN over channels
  let out = y3;
  if (r.chance(0.6)) {
    const keepDims = r.chance(0.5);
    const q4 = r.chance(0.3) ? q2 : outQuant(r, q2.scale[0]! * RMS8 / 4);
    const y4 = g.add('mean', keepDims ? [n, 1, 1, c2] : [n, c2], 'int8', q4);
    ops.push({ kind: 'mean', inputs: [y3], outputs: [y4], axes: [1, 2], keepDims });
    const k = c2, o = r.int(2, 10);
    const ws5 = weightScales(r, o, false);
    const w5 = g.add('w5', [o, k], 'int8', { scale: ws5, zeroPoint: [0] }, r.int8(o * k, -127, 127));
    const acc5 = RMS8 * RMS8 * Math.sqrt(k);
    const y5 = g.add('logits', [n, o], 'int8', outQuant(r, acc5 * q4.scale[0]! * ws5[0]!));
    ops.push({ kind: 'fully_connected', inputs: [y4, w5, biasTensor(r, g, o, q4.scale[0]!, ws5, acc5)], outputs: [y5], activation: 'none', keepNumDims: false });
    out = y5;
  } else {
    const y4 = g.add('sum', [n, h3, w3, 1], 'int8', outQuant(r, q2.scale[0]! * RMS8 * Math.sqrt(c2)));
    ops.push({ kind: 'sum', inputs: [y3], outputs: [y4], axes: [3], keepDims: true });
    out = y4;
  }
  ops.forEach((op, i) => { op.name = `${op.kind}_${i}`; });
  return { name: `random_extra_net_${seed}`, tensors: g.tensors, ops, inputs: [input], outputs: [out] };
}
