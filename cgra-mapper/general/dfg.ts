// The general mapper's view of a layer (issue 16): a loop nest read off the kernel-IR layer, and the
// dataflow graph of one iteration of its innermost loop after unrolling.
//
// Loop nest. Every mapped layer is a reduction over "taps": out[p][o] = sum_t x[p][t](o) * w[o][t], with
// t = (ky, kx, c) for CONV_2D / FULLY_CONNECTED (x independent of o) and t = (ky, kx) for depthwise (x read
// at channel o). Taps are taken two at a time (a "pair"), because FXPMUL returns bits 46:15 of the 64-bit
// product: X = x1 + 2^23 x2 and W = w2 + 2^23 w1 give x1 w1 + x2 w2 in bits 30:8 (checker-fxp.ts derives
// it, with the host-side decode; sums of at most MAX_PAIRS pairs are exact). The nest is
//   for launch, for pass (chunk of pairs x channel tile x pixel tile), for pair i < n: body
// and the body of one pair is the dataflow graph below, unrolled over up pixels x uo channels.
//
// DFG. Loads: one packed input word per pixel (per pixel and channel for depthwise), one packed weight word
// per channel. Products: FXPMUL of an input word and a weight word for every (pixel, channel) of the tile.
// Accumulates: SADD of each product into its accumulator register (a recurrence of distance 1, latency 1).
import { MAX_PAIRS } from '../strategies/checker-fxp.ts';
import type { CgraLayer } from '../layer.ts';

export interface Unroll { up: number; uo: number }

/** A loaded operand: packed input pair of tile pixel p (and tile channel o for depthwise), or packed weight pair of tile channel o. */
export type Operand = { kind: 'x'; p: number; o: number } | { kind: 'w'; o: number };

export interface Product { p: number; o: number; a: number; b: number }

export interface Dfg {
  depthwise: boolean;
  u: Unroll;
  loads: Operand[];
  /** Product k: loads a (input) and b (weight); its accumulate is op k too. */
  products: Product[];
}

export function buildDfg(u: Unroll, depthwise: boolean): Dfg {
  const loads: Operand[] = [];
  const products: Product[] = [];
  const wOf: number[] = [];
  for (let o = 0; o < u.uo; o++) { wOf.push(loads.length); loads.push({ kind: 'w', o }); }
  const xOf = new Map<string, number>();
  for (let p = 0; p < u.up; p++) for (let o = 0; o < u.uo; o++) {
    const key = depthwise ? `${p},${o}` : `${p}`;
    if (!xOf.has(key)) { xOf.set(key, loads.length); loads.push({ kind: 'x', p, o: depthwise ? o : -1 }); }
    products.push({ p, o, a: xOf.get(key)!, b: wOf[o] });
  }
  return { depthwise, u, loads, products };
}

/** Operations per iteration the array executes: loads, products, accumulates and the loop's decrement + branch. */
export const opsPerIteration = (d: Dfg): number => d.loads.length + 2 * d.products.length + 2;

export const dfgText = (d: Dfg): string => [
  `dfg ${d.depthwise ? 'depthwise' : 'dot'} ${d.u.up}x${d.u.uo}: ${d.loads.length} loads, ${d.products.length} FXPMUL, ${d.products.length} SADD`,
  ...d.loads.map((l, i) => `  L${i} = LWD ${l.kind === 'w' ? `W[o${l.o}]` : d.depthwise ? `X[p${l.p},o${l.o}]` : `X[p${l.p}]`}`),
  ...d.products.map((p, k) => `  M${k} = FXPMUL L${p.a}, L${p.b}; A${k} += M${k}`),
].join('\n');

/** The loop nest of a layer under an unroll: geometry and the word every load reads. */
export interface LoopNest {
  L: CgraLayer;
  u: Unroll;
  P: number;
  taps: number;
  pairs: number;
  chunks: number;
  /** Pairs per pass (the last chunk padded with zero taps). */
  n: number;
  pTiles: number;
  oTiles: number;
  passes: number;
}

export function loopNest(L: CgraLayer, u: Unroll): LoopNest {
  const taps = L.kind === 'depthwise_conv2d' ? L.kH * L.kW : L.kH * L.kW * L.inC;
  const pairs = Math.ceil(taps / 2);
  const chunks = Math.ceil(pairs / MAX_PAIRS);
  const n = Math.ceil(pairs / chunks);
  const P = L.outH * L.outW;
  const pTiles = Math.ceil(P / u.up), oTiles = Math.ceil(L.outC / u.uo);
  return { L, u, P, taps, pairs, chunks, n, pTiles, oTiles, passes: chunks * oTiles * pTiles };
}

/** Pass q -> (chunk, channel tile, pixel tile): pixel tiles innermost. */
export function passOf(nest: LoopNest, q: number): { chunk: number; ot: number; pt: number } {
  const pt = q % nest.pTiles, r = Math.floor(q / nest.pTiles);
  return { chunk: Math.floor(r / nest.oTiles), ot: r % nest.oTiles, pt };
}
