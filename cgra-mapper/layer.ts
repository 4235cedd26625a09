// The CGRA mapper's view of one kernel-IR layer: a convolution-like op (CONV_2D, DEPTHWISE_CONV_2D or
// FULLY_CONNECTED) reduced to one geometry record plus its int8 weights, int32 bias and requantisation.
// FULLY_CONNECTED is a 1x1 convolution over a [batches, 1, inDepth] image. Strategies read only this.
// The host-side arithmetic around the array lives here too: the input-offset fold
// (bias' = bias + inputOffset * sum(w), exact because padded taps hold the input zero point) and the
// requantisation of the array's int32 accumulators (compiler/quant/multiplier.ts, the one home of it).
import type { Arith } from '../compiler/quant/multiplier.ts';
import { clamp, multiplyByQuantizedMultiplier } from '../compiler/quant/multiplier.ts';
import type { KConst, KernelOp, Requantise } from '../compiler/kernel-ir/types.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import { opDef } from '../compiler/ops/index.ts';

export type LayerKind = 'conv2d' | 'depthwise_conv2d' | 'fully_connected';

export interface CgraLayer {
  index: number;
  name: string;
  kind: LayerKind;
  inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  kH: number; kW: number;
  strideH: number; strideW: number;
  dilH: number; dilW: number;
  padTop: number; padLeft: number;
  /** Depthwise: output channel o reads input channel floor(o / depthMultiplier). */
  depthMultiplier: number;
  /** conv2d: OHWI [outC, kH, kW, inC]; depthwise: [kH, kW, outC]; FC: [outC, inC]. */
  weights: Int8Array;
  bias: Int32Array;
  q: Requantise;
  /** Input zero point (= -inputOffset): the value padded taps hold. */
  inZero: number;
  macs: number;
}

export const isMappable = (op: KernelOp): boolean => hostReason(op) === undefined;

/**
 * Why the host CPU runs `op` instead of the array (undefined when a strategy maps it): the kernel-IR
 * shapes no strategy covers, else the reason the op's definition gives (compiler/ops/<op>.ts `cgra`).
 */
export function hostReason(op: KernelOp, graph?: Graph): string | undefined {
  if (op.kind === 'conv2d' || op.kind === 'depthwise_conv2d' || op.kind === 'fully_connected') {
    if (op.kind === 'conv2d' && op.groups !== 1) return `grouped convolution (${op.groups} groups): no strategy maps groups > 1`;
    if (op.kind !== 'fully_connected' && op.batches !== 1) return `batch ${op.batches}: the strategies map batch 1`;
    return undefined;
  }
  const src = graph?.ops[op.sourceOp];
  const def = src ? opDef(src.kind).cgra : undefined;
  return def && 'host' in def ? def.host : `kernel op ${op.kind} has no CGRA strategy`;
}

function constData(consts: KConst[], id: number): KConst['data'] {
  const c = consts.find((k) => k.id === id);
  if (!c) throw new Error(`kernel IR: constant ${id} missing`);
  return c.data;
}

/** The mapper's record of a kernel-IR op; undefined for ops the CGRA does not run. */
export function layerOf(op: KernelOp, consts: KConst[]): CgraLayer | undefined {
  if (!isMappable(op)) return undefined;
  const q: Requantise = { inputOffset: 0, outputOffset: 0, requant: { multiplier: new Int32Array(0), shift: new Int32Array(0) }, actMin: 0, actMax: 0, rounding: 'double' };
  if (op.kind === 'fully_connected') {
    Object.assign(q, { inputOffset: op.inputOffset, outputOffset: op.outputOffset, requant: op.requant, actMin: op.actMin, actMax: op.actMax, rounding: op.rounding });
    return {
      index: op.index, name: op.name, kind: 'fully_connected',
      inH: op.batches, inW: 1, inC: op.inDepth, outH: op.batches, outW: 1, outC: op.outDepth,
      kH: 1, kW: 1, strideH: 1, strideW: 1, dilH: 1, dilW: 1, padTop: 0, padLeft: 0, depthMultiplier: 1,
      weights: constData(consts, op.weights) as Int8Array, bias: constData(consts, op.bias) as Int32Array,
      q, inZero: -op.inputOffset, macs: op.macs,
    };
  }
  if (op.kind !== 'conv2d' && op.kind !== 'depthwise_conv2d') return undefined;
  Object.assign(q, { inputOffset: op.inputOffset, outputOffset: op.outputOffset, requant: op.requant, actMin: op.actMin, actMax: op.actMax, rounding: op.rounding });
  return columnsToRows({
    index: op.index, name: op.name, kind: op.kind,
    inH: op.inH, inW: op.inW, inC: op.inC, outH: op.outH, outW: op.outW, outC: op.outC,
    kH: op.kH, kW: op.kW, strideH: op.strideH, strideW: op.strideW, dilH: op.dilationH, dilW: op.dilationW,
    padTop: op.padTop, padLeft: op.padLeft,
    depthMultiplier: op.kind === 'depthwise_conv2d' ? op.depthMultiplier : 1,
    weights: constData(consts, op.weights) as Int8Array, bias: constData(consts, op.bias) as Int32Array,
    q, inZero: -op.inputOffset, macs: op.macs,
  });
}

/**
 * A one-column image (W = 1, a 1-D signal stored as [H, 1, C]) is the same bytes as a one-row image
 * [1, H, C]; the pair dataflows pair pixels along a row, so such layers are turned on their side.
 * Weight indexing is unchanged too ([.., kH, 1, ..] and [.., 1, kH, ..] are the same bytes).
 */
export function columnsToRows(L: CgraLayer): CgraLayer {
  if (L.inW !== 1 || L.outW !== 1 || L.kW !== 1 || L.padLeft !== 0 || L.inH === 1) return L;
  return {
    ...L, inH: 1, inW: L.inH, outH: 1, outW: L.outH, kH: 1, kW: L.kH, strideH: 1, strideW: L.strideH,
    dilH: 1, dilW: L.dilH, padTop: 0, padLeft: L.padTop,
  };
}

/** Weight of output channel o at tap (ky, kx) and input channel i (i is ignored for depthwise). */
export function weightAt(L: CgraLayer, o: number, ky: number, kx: number, i: number): number {
  if (L.kind === 'depthwise_conv2d') return L.weights[(ky * L.kW + kx) * L.outC + o];
  if (L.kind === 'fully_connected') return L.weights[o * L.inC + i];
  return L.weights[((o * L.kH + ky) * L.kW + kx) * L.inC + i];
}

/** Input value at (y, x, c), the input zero point outside the image (what a padded tap holds). */
export function inputAt(L: CgraLayer, input: Int8Array, y: number, x: number, c: number): number {
  if (y < 0 || y >= L.inH || x < 0 || x >= L.inW) return L.inZero;
  return input[(y * L.inW + x) * L.inC + c];
}

/** Per output channel: bias + inputOffset * (sum of its weights over the whole window). Offline. */
export function foldedBias(L: CgraLayer): Int32Array {
  const out = new Int32Array(L.outC);
  const cin = L.kind === 'depthwise_conv2d' ? 1 : L.inC;
  for (let o = 0; o < L.outC; o++) {
    let s = 0;
    for (let ky = 0; ky < L.kH; ky++) for (let kx = 0; kx < L.kW; kx++) for (let i = 0; i < cin; i++) s += weightAt(L, o, ky, kx, i);
    out[o] = (L.bias[o] + L.q.inputOffset * s) | 0;
  }
  return out;
}

/**
 * Host post-step: int32 raw sums (sum of w * x over the window, padding = zero point) -> int8 output, with
 * the op's own rounding from the kernel IR (single rounding = the tflite arithmetic's conv/FC path).
 */
export function requantise(L: CgraLayer, raw: Int32Array, _arith: Arith, bias = foldedBias(L)): Int8Array {
  const out = new Int8Array(raw.length);
  const { multiplier, shift } = L.q.requant;
  const perChannel = multiplier.length > 1;
  for (let p = 0; p < raw.length; p++) {
    const o = p % L.outC;
    const m = { multiplier: multiplier[perChannel ? o : 0], shift: shift[perChannel ? o : 0] };
    const acc = (raw[p] + bias[o]) | 0;
    out[p] = clamp(multiplyByQuantizedMultiplier(acc, m, L.q.rounding === 'single' ? 'tflite' : 'tflm') + L.q.outputOffset, L.q.actMin, L.q.actMax);
  }
  return out;
}

/** Output pixels (NHWC order, batch 1). */
export const outPixels = (L: CgraLayer): number => L.outH * L.outW;
