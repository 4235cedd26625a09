// The CF'24 paper's layer in int8 (16x16x16 -> 14x14x16, 3x3, valid) with seeded weights and input, and
// its int8 output computed directly from TFLite's definition (the independent reference the CGRA
// benchmarks check against). Shared by bench/cgra-map.bench.ts and bench/cgra-e2e.bench.ts.
import { clamp, multiplyByQuantizedMultiplier } from '../../compiler/quant/multiplier.ts';
import type { CgraLayer } from '../../cgra-mapper/layer.ts';
import type { Graph, Op } from '../../compiler/ir/graph.ts';
import { GraphBuilder } from './graph-builder.ts';

export const PAPER_LAYER_MACS = 14 * 14 * 16 * 3 * 3 * 16;

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

/**
 * The paper layer's shape as a one-op graph (same int8 weights and input; quantisation scales chosen here,
 * so the requantisation constants differ from paperLayer()'s): what the host CPU alone runs for the
 * host-only baseline.
 */
export function paperLayerGraph(): { graph: Graph; input: Int8Array } {
  const { L, input } = paperLayer();
  const b = new GraphBuilder('paper_layer');
  const x = b.act('x', [1, 16, 16, 16], 0.05, L.inZero);
  const w = b.constant('w', [16, 3, 3, 16], L.weights, Array.from({ length: 16 }, (_, i) => 0.004 + 0.0001 * i), 0);
  const bias = b.constant('b', [16], L.bias, Array.from({ length: 16 }, (_, i) => 0.05 * (0.004 + 0.0001 * i)), 0);
  const y = b.act('y', [1, 14, 14, 16], 0.4, -3);
  b.op({ kind: 'conv2d', inputs: [x, w, bias], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'valid', activation: 'none' } as Op);
  return { graph: b.io([x], [y]), input };
}
