// The CF'24 paper's layer (docs/openedgecgra.md section 7), 16x16x16 -> 14x14x16, 3x3 CONV_2D, stride 1, valid:
//  - paperLayer(): the mapper's record of it (CgraLayer) with seeded int8 weights, input and requantisation,
//    and its output computed directly from TFLite's definition (bench/cgra-map, the host program's tests);
//  - paperLayerGraph(): the same shape as an int8 graph (seeded weights, bias and scales, compiler/rng.ts),
//    the workload of bench/cgra-e2e (host-only baseline and end-to-end columns), the golden runtime its reference.
import type { Graph } from '../../compiler/ir/graph.ts';
import { mulberry32 } from '../../compiler/rng.ts';
import { GraphBuilder } from './graph-builder.ts';
import { clamp, multiplyByQuantizedMultiplier } from '../../compiler/quant/multiplier.ts';
import type { CgraLayer } from '../../cgra-mapper/layer.ts';

export const PAPER_LAYER_MACS = 14 * 14 * 16 * 3 * 3 * 16;

export function paperLayerGraph(seed = 2024): Graph {
  const rnd = mulberry32(seed);
  const int8 = (n: number) => Int8Array.from({ length: n }, () => Math.floor(rnd() * 255) - 127);
  const g = new GraphBuilder('paper_layer');
  const inScale = 0.02, inZero = -7;
  const x = g.act('input', [1, 16, 16, 16], inScale, inZero);
  const wScales = Array.from({ length: 16 }, () => 0.004 + 0.004 * rnd());
  const w = g.constant('weights', [16, 3, 3, 16], int8(16 * 3 * 3 * 16), wScales, 0);
  const b = g.constant('bias', [16], Int32Array.from({ length: 16 }, () => Math.floor(rnd() * 4000) - 2000), wScales.map((s) => s * inScale), 0);
  // Output scale from the accumulator's spread: 144 products of two values of RMS ~73.
  const y = g.act('output', [1, 14, 14, 16], inScale * 0.006 * 73 * 73 * 12 / 33, -3);
  g.op({ kind: 'conv2d', inputs: [x, w, b], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'valid', activation: 'none' });
  return g.io([x], [y]);
}

export function paperLayer(): { L: CgraLayer; input: Int8Array; want: Int8Array } {
  let s = 12345;
  const r = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s >>> 24) - 128; };
  const weights = Int8Array.from({ length: 16 * 3 * 3 * 16 }, r);
  const input = Int8Array.from({ length: 16 * 16 * 16 }, r);
  const bias = Int32Array.from({ length: 16 }, () => r() * 50);
  const multiplier = Int32Array.from({ length: 16 }, (_, i) => 1_300_000_000 + 9_000_000 * i);
  const shift = Int32Array.from({ length: 16 }, () => -9);
  const L: CgraLayer = {
    index: 0, name: 'paper-3x3', kind: 'conv2d', inH: 16, inW: 16, inC: 16, outH: 14, outW: 14, outC: 16, kH: 3, kW: 3,
    strideH: 1, strideW: 1, dilH: 1, dilW: 1, padTop: 0, padLeft: 0, depthMultiplier: 1, weights, bias,
    q: { inputOffset: 7, outputOffset: -3, requant: { multiplier, shift }, rounding: 'double', actMin: -128, actMax: 127 }, inZero: -7, macs: 14 * 14 * 16 * 9 * 16,
  };
  const want = new Int8Array(14 * 14 * 16);
  for (let oy = 0; oy < 14; oy++) for (let ox = 0; ox < 14; ox++) for (let o = 0; o < 16; o++) {
    let acc = bias[o];
    for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) for (let c = 0; c < 16; c++) {
      acc += weights[((o * 3 + ky) * 3 + kx) * 16 + c] * (input[((oy + ky) * 16 + ox + kx) * 16 + c] + 7);
    }
    want[(oy * 14 + ox) * 16 + o] = clamp(multiplyByQuantizedMultiplier(acc, { multiplier: multiplier[o], shift: -9 }, 'tflm') - 3, -128, 127);
  }
  return { L, input, want };
}

