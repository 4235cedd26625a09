// Random CGRA layers for the mapper tests and their reference output: a direct loop over TFLite's
// definition (sum of w * (x + inputOffset) over the taps inside the image, plus bias, requantised with
// TFLite Micro's double rounding), written independently of every strategy and of the general mapper.
import type { CgraLayer, LayerKind } from '../../cgra-mapper/layer.ts';
import { clamp, multiplyByQuantizedMultiplier } from '../../compiler/quant/multiplier.ts';

export interface LayerShape { kind: LayerKind; h: number; w: number; c: number; o: number; k: number; s: number; p: number }

/** The requantisation of a random layer: per channel i, multiplier base + i * step, shift -8 - (i % shiftCycle). */
export interface LayerQuant { inputOffset: number; base: number; step: number; shiftCycle: number }

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s >>> 24) - 128; };
}

/** A seeded random layer of the given shape (output zero point -3, no activation) and its input. */
export function randomCgraLayer(sh: LayerShape, seed: number, q: LayerQuant): { L: CgraLayer; input: Int8Array } {
  const r = rng(seed);
  const outH = Math.floor((sh.h + 2 * sh.p - sh.k) / sh.s) + 1, outW = Math.floor((sh.w + 2 * sh.p - sh.k) / sh.s) + 1;
  const dw = sh.kind === 'depthwise_conv2d';
  const nW = sh.kind === 'fully_connected' ? sh.o * sh.c : dw ? sh.k * sh.k * sh.o : sh.o * sh.k * sh.k * sh.c;
  const L: CgraLayer = {
    index: 0, name: 'random', kind: sh.kind, inH: sh.h, inW: sh.w, inC: sh.c, outH, outW, outC: sh.o, kH: sh.k, kW: sh.k,
    strideH: sh.s, strideW: sh.s, dilH: 1, dilW: 1, padTop: sh.p, padLeft: sh.p, depthMultiplier: 1,
    weights: Int8Array.from({ length: nW }, r), bias: Int32Array.from({ length: sh.o }, () => r() * 41),
    q: {
      inputOffset: q.inputOffset, outputOffset: -3, rounding: 'double', actMin: -128, actMax: 127,
      requant: { multiplier: Int32Array.from({ length: sh.o }, (_, i) => q.base + i * q.step), shift: Int32Array.from({ length: sh.o }, (_, i) => -8 - (i % q.shiftCycle)) },
    },
    inZero: -q.inputOffset, macs: outH * outW * sh.o * sh.k * sh.k * (dw ? 1 : sh.c),
  };
  return { L, input: Int8Array.from({ length: sh.h * sh.w * sh.c }, r) };
}

/** TFLite's definition of the layer's int8 output. */
export function referenceOutput(L: CgraLayer, x: Int8Array): Int8Array {
  const out = new Int8Array(L.outH * L.outW * L.outC);
  const dw = L.kind === 'depthwise_conv2d', fc = L.kind === 'fully_connected';
  for (let oy = 0; oy < L.outH; oy++) for (let ox = 0; ox < L.outW; ox++) for (let o = 0; o < L.outC; o++) {
    let s = L.bias[o];
    for (let ky = 0; ky < L.kH; ky++) for (let kx = 0; kx < L.kW; kx++) for (let c = 0; c < (dw ? 1 : L.inC); c++) {
      const y = oy * L.strideH - L.padTop + ky, xx = ox * L.strideW - L.padLeft + kx;
      if (y < 0 || y >= L.inH || xx < 0 || xx >= L.inW) continue;
      const w = fc ? L.weights[o * L.inC + c] : dw ? L.weights[(ky * L.kW + kx) * L.outC + o] : L.weights[((o * L.kH + ky) * L.kW + kx) * L.inC + c];
      s += w * (x[(y * L.inW + xx) * L.inC + (dw ? o : c)] + L.q.inputOffset);
    }
    const v = multiplyByQuantizedMultiplier(s, { multiplier: L.q.requant.multiplier[o], shift: L.q.requant.shift[o] }, 'tflm');
    out[(oy * L.outW + ox) * L.outC + o] = clamp(v + L.q.outputOffset, L.q.actMin, L.q.actMax);
  }
  return out;
}
