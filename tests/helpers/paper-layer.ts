// The CF'24 paper's layer (docs/openedgecgra.md §7) as an int8 graph: 16x16x16 -> 14x14x16, 3x3 CONV_2D,
// stride 1, valid padding, per-channel weight scales, no activation. Seeded weights, bias and scales
// (compiler/rng.ts), so every user (the host-only baseline and the end-to-end columns of bench/cgra-e2e)
// computes the same layer; the golden runtime is its reference.
import type { Graph } from '../../compiler/ir/graph.ts';
import { mulberry32 } from '../../compiler/rng.ts';
import { GraphBuilder } from './graph-builder.ts';

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
