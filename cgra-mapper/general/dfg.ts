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
//
// Window reuse (depthwise, `Unroll.win`): the pixel tile is `up` neighbouring output pixels along one axis
// A (a column of the output for A = y, a row for A = x) and one iteration is one kernel tap along the other
// axis B. The input words are packed pairs of neighbouring input positions along A, X(c) = x[c] + 2^23
// x[c+1] for even c over the span the tile's windows cover, so one loaded word is shared by every pixel
// whose window overlaps it (at stride 1 two pixels, as the hand strategy dw-reuse does for 3x3). Pixel j
// multiplies word c by the weight word of its offset rel = c - j * stride: lo tap at rel, hi tap at rel + 1
// (zero where the window has no tap), so a weight word is loaded per (channel, rel) and shared by the
// pixels with that offset. A pixel takes several products per iteration, all accumulated into its one
// accumulator (products of an accumulator group share its PE and register).
import { MAX_PAIRS } from '../strategies/checker-fxp.ts';
import type { CgraLayer } from '../layer.ts';

/** Window geometry along the tile axis: kernel extent, stride and dilation there. */
export interface Window { axis: 'y' | 'x'; k: number; s: number; d: number }

export interface Unroll { up: number; uo: number; win?: Window }

/** A loaded operand: packed input pair of tile pixel p (and tile channel o for depthwise; window reuse: word p
 *  of the span), or packed weight pair of tile channel o (window reuse: at offset rel). */
export type Operand = { kind: 'x'; p: number; o: number } | { kind: 'w'; o: number; rel?: number };

/** Product of loads a (input) and b (weight), accumulated into accumulator `acc` (pixel p, channel o). */
export interface Product { p: number; o: number; a: number; b: number; acc: number }

export interface Dfg {
  depthwise: boolean;
  u: Unroll;
  loads: Operand[];
  /** Product k: loads a (input) and b (weight); its accumulate is op k too. */
  products: Product[];
  /** Accumulators (one per tile pixel and channel): the products of a group are summed into one register. */
  accs: { p: number; o: number }[];
}

/** Window reuse: the words of the span and, per pixel j, the (word, rel) products its taps need. */
export function windowTerms(w: Window, up: number): { words: number; terms: { j: number; word: number; rel: number }[] } {
  const span = (up - 1) * w.s + (w.k - 1) * w.d + 1;
  const words = Math.ceil(span / 2);
  const isTap = (r: number): boolean => r >= 0 && r % w.d === 0 && r / w.d < w.k;
  const terms: { j: number; word: number; rel: number }[] = [];
  for (let j = 0; j < up; j++) for (let word = 0; word < words; word++) {
    const rel = 2 * word - j * w.s;
    if (isTap(rel) || isTap(rel + 1)) terms.push({ j, word, rel });
  }
  return { words, terms };
}

export function buildDfg(u: Unroll, depthwise: boolean): Dfg {
  const loads: Operand[] = [];
  const products: Product[] = [];
  const accs: { p: number; o: number }[] = [];
  for (let p = 0; p < u.up; p++) for (let o = 0; o < u.uo; o++) accs.push({ p, o });
  const accOf = (p: number, o: number): number => p * u.uo + o;
  if (u.win) {
    const { words, terms } = windowTerms(u.win, u.up);
    const rels = [...new Set(terms.map((t) => t.rel))].sort((a, b) => a - b);
    const wOf = new Map<string, number>();
    for (let o = 0; o < u.uo; o++) for (const rel of rels) { wOf.set(`${o},${rel}`, loads.length); loads.push({ kind: 'w', o, rel }); }
    const xOf = new Map<string, number>();
    for (let o = 0; o < u.uo; o++) for (let word = 0; word < words; word++) { xOf.set(`${word},${o}`, loads.length); loads.push({ kind: 'x', p: word, o }); }
    for (const t of terms) for (let o = 0; o < u.uo; o++) products.push({ p: t.j, o, a: xOf.get(`${t.word},${o}`)!, b: wOf.get(`${o},${t.rel}`)!, acc: accOf(t.j, o) });
    products.sort((a, b) => a.acc - b.acc);
    return { depthwise, u, loads, products, accs };
  }
  const wOf: number[] = [];
  for (let o = 0; o < u.uo; o++) { wOf.push(loads.length); loads.push({ kind: 'w', o }); }
  const xOf = new Map<string, number>();
  for (let p = 0; p < u.up; p++) for (let o = 0; o < u.uo; o++) {
    const key = depthwise ? `${p},${o}` : `${p}`;
    if (!xOf.has(key)) { xOf.set(key, loads.length); loads.push({ kind: 'x', p, o: depthwise ? o : -1 }); }
    products.push({ p, o, a: xOf.get(key)!, b: wOf[o], acc: accOf(p, o) });
  }
  return { depthwise, u, loads, products, accs };
}

/** Products per accumulator (the most of any group). */
export const productsPerAcc = (d: Dfg): number => {
  const n = new Array<number>(d.accs.length).fill(0);
  for (const p of d.products) n[p.acc]++;
  return Math.max(...n);
};

/** Operations per iteration the array executes: loads, products, accumulates and the loop's decrement + branch. */
export const opsPerIteration = (d: Dfg): number => d.loads.length + 2 * d.products.length + 2;

export const dfgText = (d: Dfg): string => [
  `dfg ${d.depthwise ? 'depthwise' : 'dot'} ${d.u.up}x${d.u.uo}${d.u.win ? ` window reuse along ${d.u.win.axis} (kernel ${d.u.win.k}, stride ${d.u.win.s}, dilation ${d.u.win.d})` : ''}: ${d.loads.length} loads, ${d.products.length} FXPMUL, ${d.products.length} SADD into ${d.accs.length} accumulators`,
  ...d.loads.map((l, i) => `  L${i} = LWD ${l.kind === 'w' ? `W[o${l.o}${l.rel !== undefined ? `,rel ${l.rel}` : ''}]` : d.u.win ? `X[word ${l.p},o${l.o}]` : d.depthwise ? `X[p${l.p},o${l.o}]` : `X[p${l.p}]`}`),
  ...d.products.map((p, k) => `  M${k} = FXPMUL L${p.a}, L${p.b}; A${p.acc} += M${k}`),
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

/** The window geometry of a depthwise layer along `axis` (the tile axis). */
export function windowOf(L: CgraLayer, axis: 'y' | 'x'): Window {
  return axis === 'y' ? { axis, k: L.kH, s: L.strideH, d: L.dilH } : { axis, k: L.kW, s: L.strideW, d: L.dilW };
}

/** Output extents along the tile axis A and the other axis B of a window-reuse nest. */
const extents = (L: CgraLayer, w: Window): { A: number; B: number; kB: number } =>
  w.axis === 'y' ? { A: L.outH, B: L.outW, kB: L.kW } : { A: L.outW, B: L.outH, kB: L.kH };

export function loopNest(L: CgraLayer, u: Unroll): LoopNest {
  if (u.win) {
    // One iteration per kernel tap along B; tiles: B position outermost, then runs of `up` pixels along A.
    const { A, B, kB } = extents(L, u.win);
    const P = L.outH * L.outW;
    const pTiles = B * Math.ceil(A / u.up), oTiles = Math.ceil(L.outC / u.uo);
    return { L, u, P, taps: L.kH * L.kW, pairs: kB, chunks: 1, n: kB, pTiles, oTiles, passes: oTiles * pTiles };
  }
  const taps = L.kind === 'depthwise_conv2d' ? L.kH * L.kW : L.kH * L.kW * L.inC;
  const pairs = Math.ceil(taps / 2);
  const chunks = Math.ceil(pairs / MAX_PAIRS);
  const n = Math.ceil(pairs / chunks);
  const P = L.outH * L.outW;
  const pTiles = Math.ceil(P / u.up), oTiles = Math.ceil(L.outC / u.uo);
  return { L, u, P, taps, pairs, chunks, n, pTiles, oTiles, passes: chunks * oTiles * pTiles };
}

/** Output pixel (oy * outW + ox) of tile pixel j in pixel tile pt, or -1 past the layer's edge. */
export function pixelOf(nest: LoopNest, pt: number, j: number): number {
  const L = nest.L, w = nest.u.win;
  if (!w) { const p = pt * nest.u.up + j; return p < nest.P ? p : -1; }
  const { A, B } = extents(L, w);
  const b = pt % B, a = Math.floor(pt / B) * nest.u.up + j;
  if (a >= A) return -1;
  return w.axis === 'y' ? a * L.outW + b : b * L.outW + a;
}

/** Pass q -> (chunk, channel tile, pixel tile): pixel tiles innermost. */
export function passOf(nest: LoopNest, q: number): { chunk: number; ot: number; pt: number } {
  const pt = q % nest.pTiles, r = Math.floor(q / nest.pTiles);
  return { chunk: Math.floor(r / nest.oTiles), ot: r % nest.oTiles, pt };
}
