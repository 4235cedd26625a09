// Test fixtures for the fast Cortex-M4 kernels: random kernel-IR ops with their constants, straightforward
// TFLite-Micro-style reference implementations (independent of the generators: plain loops over the
// definitions, requantised with compiler/quant/multiplier.ts), and the C driver that runs generated
// kernels on given inputs lives in mcu-backend/emit/fast-run.ts.

import { multiplyByQuantizedMultiplier, clamp } from '../../compiler/quant/multiplier.ts';
import type { KConst, KConv2d, KDepthwiseConv2d, KFullyConnected, KAddConv2d, KShiftConv2d, Requantise } from '../../compiler/kernel-ir/types.ts';

export class Rng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0 || 1; }
  next(): number { let x = this.s; x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; this.s = x; return x / 4294967296; }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
}

export interface Fixture<Op> { op: Op; consts: KConst[]; input: Int8Array; expected: Int8Array; label: string }

export type InputPattern = 'random' | 'min' | 'max' | 'alternating' | 'zero-point';

export function makeInput(n: number, pattern: InputPattern, zeroPoint: number, rng: Rng): Int8Array {
  const a = new Int8Array(n);
  for (let i = 0; i < n; i++) a[i] = pattern === 'min' ? -128 : pattern === 'max' ? 127 : pattern === 'alternating' ? (i % 2 ? 127 : -128)
    : pattern === 'zero-point' ? zeroPoint : rng.int(-128, 127);
  return a;
}

function requantOf(rng: Rng, outC: number, perOut: number, opts: { zpIn?: number; zpOut?: number; act?: [number, number]; single?: boolean } = {}): Requantise {
  const multiplier = new Int32Array(outC), shift = new Int32Array(outC);
  for (let c = 0; c < outC; c++) {
    multiplier[c] = rng.int(1 << 30, 2 ** 31 - 1);
    // Real multipliers ~ 1 / (perOut * 64): right shifts around log2 of that, varied per channel.
    shift[c] = -Math.round(Math.log2(perOut * 64)) + rng.int(-1, 2);
  }
  const [actMin, actMax] = opts.act ?? [-128, 127];
  return { inputOffset: -(opts.zpIn ?? rng.int(-128, 127)), outputOffset: opts.zpOut ?? rng.int(-20, 20), requant: { multiplier, shift }, rounding: opts.single ? 'single' : 'double', actMin, actMax };
}

function requantise(acc: number, rq: Requantise, c: number): number {
  const i = rq.requant.multiplier.length === 1 ? 0 : c;
  const v = multiplyByQuantizedMultiplier(acc, { multiplier: rq.requant.multiplier[i]!, shift: rq.requant.shift[i]! }, rq.rounding === 'single' ? 'tflite' : 'tflm') + rq.outputOffset;
  return clamp(v, rq.actMin, rq.actMax);
}

function randInt8(n: number, rng: Rng, lo = -128): Int8Array { const a = new Int8Array(n); for (let i = 0; i < n; i++) a[i] = rng.int(lo, 127); return a; }
function randBias(n: number, rng: Rng, mag: number): Int32Array { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = rng.int(-mag, mag); return a; }

export interface ConvParams { inH: number; inW: number; inC: number; outC: number; kH: number; kW: number; stride?: number; dilation?: number;
  pad?: number; groups?: number; zpIn?: number; act?: [number, number]; single?: boolean;
  /** Output zero point (default random in [-20, 20]); with act[0] >= it (ReLU) the requantisation drops its tie correction. */
  zpOut?: number;
  /** Channel 0 dead: zero weights and a bias near 2^31 (its output is constant). */
  dead?: boolean;
  /** The dead channel's bias (default 2147483000). */
  deadBias?: number;
  /** Weights in TFLite's int8 weight range [-127, 127] (no -128). */
  symmetric?: boolean }

function windowOf(p: ConvParams) {
  const s = p.stride ?? 1, d = p.dilation ?? 1, pad = p.pad ?? 0;
  const outH = Math.floor((p.inH + 2 * pad - (d * (p.kH - 1) + 1)) / s) + 1;
  const outW = Math.floor((p.inW + 2 * pad - (d * (p.kW - 1) + 1)) / s) + 1;
  return { batches: 1, inH: p.inH, inW: p.inW, inC: p.inC, outH, outW, outC: p.outC, kH: p.kH, kW: p.kW, strideH: s, strideW: s,
    dilationH: d, dilationW: d, padTop: pad, padLeft: pad, padBottom: pad, padRight: pad };
}

const base = { index: 0, sourceOp: 0, inputs: [0], output: 1, schedule: {} };

export function convFixture(p: ConvParams, rng: Rng, pattern: InputPattern = 'random', name = 'c'): Fixture<KConv2d> {
  const w = windowOf(p);
  const groups = p.groups ?? 1;
  const Ig = p.inC / groups;
  const wt = randInt8(p.outC * p.kH * p.kW * Ig, rng, p.symmetric ? -127 : -128);
  const rq = requantOf(rng, p.outC, p.kH * p.kW * Ig, p);
  const bias = randBias(p.outC, rng, 5000);
  if (p.dead) { for (let i = 0; i < p.kH * p.kW * Ig; i++) wt[i] = 0; bias[0] = p.deadBias ?? 2147483000; }
  const op: KConv2d = { ...base, ...w, ...rq, kind: 'conv2d', name, macs: w.outH * w.outW * p.outC * p.kH * p.kW * Ig, groups, weights: 10, bias: 11 };
  const consts: KConst[] = [{ id: 10, name: 'w', dtype: 'int8', shape: [p.outC, p.kH, p.kW, Ig], data: wt }, { id: 11, name: 'b', dtype: 'int32', shape: [p.outC], data: bias }];
  const input = makeInput(p.inH * p.inW * p.inC, pattern, -rq.inputOffset, rng);
  const out = new Int8Array(w.outH * w.outW * p.outC);
  const Og = p.outC / groups;
  for (let oy = 0; oy < w.outH; oy++) for (let ox = 0; ox < w.outW; ox++) for (let oc = 0; oc < p.outC; oc++) {
    const g = Math.floor(oc / Og);
    let acc = bias[oc]!;
    for (let ky = 0; ky < p.kH; ky++) for (let kx = 0; kx < p.kW; kx++) {
      const iy = oy * w.strideH - w.padTop + ky * w.dilationH, ix = ox * w.strideW - w.padLeft + kx * w.dilationW;
      if (iy < 0 || ix < 0 || iy >= p.inH || ix >= p.inW) continue;
      for (let ic = 0; ic < Ig; ic++) acc += (input[(iy * p.inW + ix) * p.inC + g * Ig + ic]! + rq.inputOffset) * wt[((oc * p.kH + ky) * p.kW + kx) * Ig + ic]!;
    }
    out[(oy * w.outW + ox) * p.outC + oc] = requantise(acc, rq, oc);
  }
  return { op, consts, input, expected: out, label: `${name} conv ${JSON.stringify(p)} ${pattern}` };
}

export function depthwiseFixture(p: ConvParams, rng: Rng, pattern: InputPattern = 'random', name = 'd'): Fixture<KDepthwiseConv2d> {
  const w = windowOf({ ...p, outC: p.inC });
  const C = p.inC;
  const wt = randInt8(p.kH * p.kW * C, rng);
  const rq = requantOf(rng, C, p.kH * p.kW, p);
  const bias = randBias(C, rng, 3000);
  const op: KDepthwiseConv2d = { ...base, ...w, ...rq, kind: 'depthwise_conv2d', name, macs: w.outH * w.outW * C * p.kH * p.kW, depthMultiplier: 1, weights: 10, bias: 11 };
  const consts: KConst[] = [{ id: 10, name: 'w', dtype: 'int8', shape: [1, p.kH, p.kW, C], data: wt }, { id: 11, name: 'b', dtype: 'int32', shape: [C], data: bias }];
  const input = makeInput(p.inH * p.inW * C, pattern, -rq.inputOffset, rng);
  const out = new Int8Array(w.outH * w.outW * C);
  for (let oy = 0; oy < w.outH; oy++) for (let ox = 0; ox < w.outW; ox++) for (let c = 0; c < C; c++) {
    let acc = bias[c]!;
    for (let ky = 0; ky < p.kH; ky++) for (let kx = 0; kx < p.kW; kx++) {
      const iy = oy * w.strideH - w.padTop + ky * w.dilationH, ix = ox * w.strideW - w.padLeft + kx * w.dilationW;
      if (iy < 0 || ix < 0 || iy >= p.inH || ix >= p.inW) continue;
      acc += (input[(iy * p.inW + ix) * C + c]! + rq.inputOffset) * wt[(ky * p.kW + kx) * C + c]!;
    }
    out[(oy * w.outW + ox) * C + c] = requantise(acc, rq, c);
  }
  return { op, consts, input, expected: out, label: `${name} dw ${JSON.stringify(p)} ${pattern}` };
}

export function fcFixture(p: { batches: number; inDepth: number; outDepth: number; zpIn?: number; single?: boolean; act?: [number, number]; symmetric?: boolean }, rng: Rng, pattern: InputPattern = 'random', name = 'f'): Fixture<KFullyConnected> {
  const wt = randInt8(p.outDepth * p.inDepth, rng, p.symmetric ? -127 : -128);
  const rq = requantOf(rng, p.outDepth, p.inDepth, p);
  const bias = randBias(p.outDepth, rng, 5000);
  const op: KFullyConnected = { ...base, ...rq, kind: 'fully_connected', name, macs: p.batches * p.inDepth * p.outDepth, batches: p.batches,
    inDepth: p.inDepth, outDepth: p.outDepth, weights: 10, bias: 11 };
  const consts: KConst[] = [{ id: 10, name: 'w', dtype: 'int8', shape: [p.outDepth, p.inDepth], data: wt }, { id: 11, name: 'b', dtype: 'int32', shape: [p.outDepth], data: bias }];
  const input = makeInput(p.batches * p.inDepth, pattern, -rq.inputOffset, rng);
  const out = new Int8Array(p.batches * p.outDepth);
  for (let b = 0; b < p.batches; b++) for (let o = 0; o < p.outDepth; o++) {
    let acc = bias[o]!;
    for (let i = 0; i < p.inDepth; i++) acc += (input[b * p.inDepth + i]! + rq.inputOffset) * wt[o * p.inDepth + i]!;
    out[b * p.outDepth + o] = requantise(acc, rq, o);
  }
  return { op, consts, input, expected: out, label: `${name} fc ${JSON.stringify(p)} ${pattern}` };
}

/** AdderNet: acc = bias - sum |(x + inputOffset) - w| over the window; padded taps have x + inputOffset = 0. */
export function addConvFixture(p: ConvParams, rng: Rng, pattern: InputPattern = 'random', name = 'a'): Fixture<KAddConv2d> {
  const w = windowOf(p);
  const wt = randInt8(p.outC * p.kH * p.kW * p.inC, rng);
  const perOut = p.kH * p.kW * p.inC;
  const rq = requantOf(rng, p.outC, perOut * 4, p);
  const bias = randBias(p.outC, rng, 5000);
  const op: KAddConv2d = { ...base, ...w, ...rq, kind: 'add_conv2d', name, macs: w.outH * w.outW * p.outC * perOut, weights: 10, bias: 11 };
  const consts: KConst[] = [{ id: 10, name: 'w', dtype: 'int8', shape: [p.outC, p.kH, p.kW, p.inC], data: wt }, { id: 11, name: 'b', dtype: 'int32', shape: [p.outC], data: bias }];
  const input = makeInput(p.inH * p.inW * p.inC, pattern, -rq.inputOffset, rng);
  const out = new Int8Array(w.outH * w.outW * p.outC);
  for (let oy = 0; oy < w.outH; oy++) for (let ox = 0; ox < w.outW; ox++) for (let oc = 0; oc < p.outC; oc++) {
    let acc = bias[oc]!;
    for (let ky = 0; ky < p.kH; ky++) for (let kx = 0; kx < p.kW; kx++) {
      const iy = oy * w.strideH - w.padTop + ky, ix = ox * w.strideW - w.padLeft + kx;
      const inside = iy >= 0 && ix >= 0 && iy < p.inH && ix < p.inW;
      for (let ic = 0; ic < p.inC; ic++) {
        const xv = inside ? input[(iy * p.inW + ix) * p.inC + ic]! + rq.inputOffset : 0;
        acc -= Math.abs(xv - wt[((oc * p.kH + ky) * p.kW + kx) * p.inC + ic]!);
      }
    }
    out[(oy * w.outW + ox) * p.outC + oc] = requantise(acc, rq, oc);
  }
  return { op, consts, input, expected: out, label: `${name} addconv ${JSON.stringify(p)} ${pattern}` };
}

/** Shift conv: channel c reads input (y + dy_c, x + dx_c) (zero point outside), then a 1x1 conv with stride. */
export function shiftConvFixture(p: { inH: number; inW: number; inC: number; outC: number; stride?: number; zpIn?: number }, rng: Rng,
  pattern: InputPattern = 'random', name = 's'): Fixture<KShiftConv2d> {
  const w = windowOf({ ...p, kH: 1, kW: 1 });
  const shifts: Array<[number, number]> = Array.from({ length: p.inC }, () => [rng.int(-1, 1), rng.int(-1, 1)]);
  const wt = randInt8(p.outC * p.inC, rng);
  const rq = requantOf(rng, p.outC, p.inC, p);
  const bias = randBias(p.outC, rng, 5000);
  const op: KShiftConv2d = { ...base, ...w, ...rq, kind: 'shift_conv2d', name, macs: w.outH * w.outW * p.outC * p.inC, shifts, weights: 10, bias: 11 };
  const consts: KConst[] = [{ id: 10, name: 'w', dtype: 'int8', shape: [p.outC, 1, 1, p.inC], data: wt }, { id: 11, name: 'b', dtype: 'int32', shape: [p.outC], data: bias }];
  const input = makeInput(p.inH * p.inW * p.inC, pattern, -rq.inputOffset, rng);
  const out = new Int8Array(w.outH * w.outW * p.outC);
  for (let oy = 0; oy < w.outH; oy++) for (let ox = 0; ox < w.outW; ox++) for (let oc = 0; oc < p.outC; oc++) {
    let acc = bias[oc]!;
    for (let ic = 0; ic < p.inC; ic++) {
      const iy = oy * w.strideH + shifts[ic]![0], ix = ox * w.strideW + shifts[ic]![1];
      const xv = iy >= 0 && ix >= 0 && iy < p.inH && ix < p.inW ? input[(iy * p.inW + ix) * p.inC + ic]! + rq.inputOffset : 0;
      acc += xv * wt[oc * p.inC + ic]!;
    }
    out[(oy * w.outW + ox) * p.outC + oc] = requantise(acc, rq, oc);
  }
  return { op, consts, input, expected: out, label: `${name} shift ${JSON.stringify(p)} ${pattern}` };
}

