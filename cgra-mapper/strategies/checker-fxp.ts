// Strategy `checker-fxp`: two int8 products per multiply, for CONV_2D (any kernel, stride, padding,
// dilation), pointwise and FULLY_CONNECTED layers. It goes past the 2.0 MAC/cycle limit of `checker`
// (docs/openedgecgra.md §9) with FXPMUL, which returns bits 46:15 of the full 64-bit product:
//   X = x1 + 2^23 x2 (two inputs of one pixel at taps 2i, 2i+1), W = w2 + 2^23 w1 (one channel's weights at
//   the same taps), X * W = x1 w2 + 2^23 (x1 w1 + x2 w2) + 2^46 x2 w1, so
//   FXPMUL(X, W) = 2^8 (x1 w1 + x2 w2) + floor(x1 w2 / 2^15) + 2^31 x2 w1   (mod 2^32),
// i.e. a two-tap dot product in bits 30:8, a term in {-1, 0} below it and garbage only in bit 31.
// Summing n such words: S = 2^8 D + F (mod 2^31) with F in [-n, 0]. For n <= 127 pairs (254 taps),
// |2^8 D + F| < 2^30 (|x w| <= 2^14), so sign-extending bits 30:0 of S gives T = 2^8 D + F exactly and
// D = (T + 255) >> 8 (F >= -255). Longer reductions are split into chunks of <= 127 pairs, one launch each;
// the host decodes every chunk's sums and adds them.
// Dataflow: the checkerboard of `checker` (8 multipliers, 4 weight feeders, 4 input feeders), but without
// any unpacking: a pass covers 4 pixels (one per input feeder) x 8 output channels (each weight feeder
// shows channel set A for two multiply steps, then set B for two). On the 4x4 torus every (weight feeder,
// input feeder) pair has exactly two common multiplier neighbours, so in two multiply steps the 8
// multipliers cover all 16 pairs (assignment found by search below); each multiplier keeps 4 accumulators.
// Per pair of taps: 12 word loads (8 weight words, 4 packed input words) spread 3 per multiply step, so a
// multiply step costs 4 cycles on the shared bus: 64 MACs per 20 cycles = 3.2 MAC/cycle in the body.
// A pass runs one iteration per tap pair; its last iteration already loads the next pass's first pair, so
// only a launch's first pass has an extra (priming) iteration, whose products are zero (registers reset).
// Host work: a packed im2col stream (one word per pixel per tap pair) built per inference, the offline
// packed weights, the decode above, the input-offset fold (offline, into the bias) and requantisation.
import type { BusModel, CgraArch } from '../arch.ts';
import { kernelCycles } from '../cost.ts';
import type { CgraLayer } from '../layer.ts';
import { inputAt, weightAt } from '../layer.ts';
import { MemLayout, type Launch, type LayerPlan, type MemBlock } from '../plan.ts';
import { feederPairs, ins, KernelBuilder, torusDir, type PE } from './program.ts';

/** Pairs per accumulation chunk: the exactness bound proven in the header. */
export const MAX_PAIRS = 127;
const SHIFT = 23;

const W_FEED: PE[] = [[0, 1], [2, 1], [0, 3], [2, 3]]; // f = 0..3; rows 0 load early (M1, M3), rows 2 late (M2, M4)
const I_FEED: PE[] = [[1, 0], [3, 0], [1, 2], [3, 2]]; // j = 0..3; loads at M1, M2, M3, M4 respectively
const MULS: PE[] = [[0, 0], [0, 2], [1, 1], [1, 3], [2, 0], [2, 2], [3, 1], [3, 3]];
const ITER_CTR: PE = [1, 0];
const PASS_CTR: PE = [2, 1];

const dirOf = torusDir;
const ASSIGN = feederPairs(MULS, W_FEED, I_FEED, true, 'checker-fxp');

/** Accumulator s (0..3) of multiplier m: weight feeder f with set A (s < 2) or B, input feeder j. */
const accRole = (m: number, s: number): { f: number; set: 0 | 1; j: number } => {
  const [f, j] = ASSIGN[m][s % 2];
  return { f, set: s < 2 ? 0 : 1, j };
};
/** Output channel within an 8-channel tile of weight feeder f, set A/B. */
const chanOf = (f: number, set: 0 | 1): number => 4 * set + f;

/**
 * The kernel: 1 prologue step, an 8-step body (A0 M1 A1 M2 A2 M3 A3 M4) run n times per pass (n + 1 in the
 * first pass of a launch: its first iteration only primes the feeders), 9 epilogue steps, EXIT.
 */
export function fxpKernel(arch: CgraArch, id: number, n: number, passes: number): { kernel: ReturnType<KernelBuilder['toKernel']>; counts: number[] } {
  if (arch.rows !== 4 || arch.cols !== 4) throw new Error('checker-fxp needs a 4x4 array');
  if (n < 1 || n > MAX_PAIRS) throw new Error(`checker-fxp: ${n} tap pairs per pass (1..${MAX_PAIRS})`);
  if (passes < 1 || passes > 4095) throw new Error(`checker-fxp: ${passes} passes per launch (1..4095)`);
  const b = new KernelBuilder(arch, id, 'checker-fxp');
  const pro = b.step();
  b.set(pro, ITER_CTR, ins.sadd('R2', 'ZERO', n + 1));
  b.set(pro, PASS_CTR, ins.sadd('R2', 'ZERO', passes));
  const body = Array.from({ length: 8 }, (_, i) => b.step(i === 0 ? 'body' : undefined));
  const M = [1, 3, 5, 7].map((i) => body[i]);
  const acc = ['R0', 'R1', 'R2', 'R3'] as const;
  MULS.forEach((m, mi) => {
    for (let s = 0; s < 4; s++) {
      const r = accRole(mi, s);
      b.set(M[s], m, ins.fxpmul('ROUT', dirOf(m, W_FEED[r.f]), dirOf(m, I_FEED[r.j])));
      // The sum of multiply step s lands in the next step; step 4's opens the next iteration.
      b.set(body[(2 * s + 2) % 8], m, ins.sadd(acc[s], acc[s], 'SELF'));
    }
  });
  // Weight feeders: R0 = set A word (shown for M1, M2), R1 = set B word (M3, M4). Every load also writes
  // ROUT, so a value still needed is shown again in the following single-cycle step.
  W_FEED.forEach((pe) => {
    const early = pe[0] === 0;
    b.set(body[0], pe, ins.sadd('ROUT', 'R0', 'ZERO'));
    if (early) {
      b.set(body[1], pe, ins.lwd('R1', 4));
      b.set(body[2], pe, ins.sadd('ROUT', 'R0', 'ZERO'));
      b.set(body[4], pe, ins.sadd('ROUT', 'R1', 'ZERO'));
      b.set(body[5], pe, ins.lwd('R0', 4));
      b.set(body[6], pe, ins.sadd('ROUT', 'R1', 'ZERO'));
    } else {
      b.set(body[3], pe, ins.lwd('R1', 4));
      b.set(body[7], pe, ins.lwd('R0', 4));
    }
  });
  // Input feeders: R0 = the packed input word of this iteration, R1 = the next one (loaded at M(j+1)).
  I_FEED.forEach((pe, j) => {
    b.set(body[0], pe, ins.sadd('R0', 'R1', 'ZERO'));
    b.set(M[j], pe, ins.lwd('R1', 4));
    if (j < 3) b.set(body[2 * j + 2], pe, ins.sadd('ROUT', 'R0', 'ZERO'));
  });
  // Iteration counter in the input feeder that loads at M1: decrement at M2 (its ROUT is shown again at A2).
  b.set(M[1], ITER_CTR, ins.ssub('R2', 'R2', 1));
  b.set(body[4], ITER_CTR, ins.sadd('ROUT', 'R0', 'ZERO'));
  b.set(M[3], ITER_CTR, ins.bne('R2', 'ZERO', 'body'));

  const ep = Array.from({ length: 9 }, () => b.step());
  for (const m of MULS) {
    b.set(ep[0], m, ins.sadd('R3', 'R3', 'SELF'));
    for (let j = 0; j < 4; j++) b.set(ep[1 + j], m, ins.swd(acc[j], 4));
    for (let j = 0; j < 4; j++) b.set(ep[5 + j], m, ins.sadd(acc[j], 'ZERO', 'ZERO'));
  }
  b.set(ep[0], ITER_CTR, ins.sadd('R2', 'ZERO', n));
  b.set(ep[0], PASS_CTR, ins.ssub('R2', 'R2', 1));
  // Weight streams back to the tile's first tap pair (a dummy load that only writes ROUT).
  b.set(ep[5], [0, 1], ins.lwd('ROUT', -16 * n));
  b.set(ep[6], [0, 3], ins.lwd('ROUT', -16 * n));
  b.set(ep[8], PASS_CTR, ins.bne('R2', 'ZERO', 'body'));
  const exit = b.step();
  b.set(exit, [0, 0], ins.exit());

  const counts = new Array<number>(b.steps.length).fill(0);
  counts[pro] = counts[exit] = 1;
  for (const t of body) counts[t] = passes * n + 1;
  for (const t of ep) counts[t] = passes;
  return { kernel: b.toKernel(), counts };
}

/** Taps of one pixel's reduction, as (ky, kx, c). */
function tapsOf(L: CgraLayer): [number, number, number][] {
  const t: [number, number, number][] = [];
  for (let ky = 0; ky < L.kH; ky++) for (let kx = 0; kx < L.kW; kx++) for (let c = 0; c < L.inC; c++) t.push([ky, kx, c]);
  return t;
}

export function fxpSupports(L: CgraLayer): string | undefined {
  if (L.kind === 'depthwise_conv2d') return 'depthwise has no reduction over channels';
  return undefined;
}

/** Packs two int8 values as lo + 2^23 hi. */
const pack = (lo: number, hi: number): number => (lo + hi * (1 << SHIFT)) | 0;

/** Decodes one accumulated word: sign-extend bits 30:0, then remove the floor terms (see the header). */
export const decodeFxp = (s: number): number => (((s << 1) >> 1) + 255) >> 8;

/**
 * Pieces for the host program's pipeline (end-to-end mode): the pixel groups split into equal runs, one launch
 * per (piece, tile, chunk), piece-major, so the host stages piece p + 1's stream and post-processes the previous
 * launch while the array runs (host/layer-program.ts, emit-c.ts). The most pieces with at least 4 groups each,
 * at most `maxLaunches` launches, and no more than 2% (or one group) of padding groups.
 */
export function fxpPieces(groups: number, launchesPerPiece: number, maxLaunches = 16): number {
  let best = 1;
  for (let p = 2; p * launchesPerPiece <= maxLaunches && groups / p >= 4; p++) {
    const pad = p * Math.ceil(groups / p) - groups;
    if (pad <= Math.max(1, 0.02 * groups)) best = p;
  }
  return best;
}

/** `pipelined`: split the pixels into pieces (fxpPieces) and declare each launch's stream (stageReads). */
export function planCheckerFxp(L: CgraLayer, arch: CgraArch, opts: { pipelined?: boolean; maxLaunches?: number } = {}): LayerPlan {
  const why = fxpSupports(L);
  if (why) throw new Error(`checker-fxp: ${L.name}: ${why}`);
  const taps = tapsOf(L);
  const pairs = Math.ceil(taps.length / 2);
  const chunks = Math.ceil(pairs / MAX_PAIRS);
  const n = Math.ceil(pairs / chunks); // pairs per chunk (the last chunk padded with zero taps)
  const P = L.outH * L.outW;
  const tiles = Math.ceil(L.outC / 8);
  // Up to 64 launches by default: the emitted C's limit for one post and one stage function per launch
  // (emit-c.ts). Small pieces keep the host work the array cannot hide (the first piece's stream, the last
  // launch's post) small; `auto` by end-to-end cycles also costs 16 (planEndToEndVariants).
  const pieces = opts.pipelined ? fxpPieces(Math.ceil(P / 4), tiles * chunks, opts.maxLaunches ?? 64) : 1;
  const perPiece = Math.ceil(Math.ceil(P / 4) / pieces); // pixel groups per launch
  const groups = pieces * perPiece; // pixel groups in the stream (padding groups: zero inputs, outputs dropped)
  if (perPiece > 4095) throw new Error(`checker-fxp: ${perPiece} pixel groups per launch (at most 4095)`);
  const tapOf = (chunk: number, i: number, h: number): [number, number, number] | undefined => taps[2 * (chunk * n + i) + h];
  // Weight word of output channel o at pair i of a chunk: w2 + 2^23 w1 (zero past the layer's channels or taps).
  const wWord = (o: number, chunk: number, i: number): number => {
    if (o >= L.outC || i < 0 || i >= n) return 0;
    const t1 = tapOf(chunk, i, 0), t2 = tapOf(chunk, i, 1);
    const w1 = t1 ? weightAt(L, o, t1[0], t1[1], t1[2]) : 0, w2 = t2 ? weightAt(L, o, t2[0], t2[1], t2[2]) : 0;
    return pack(w2, w1);
  };
  const mem = new MemLayout();
  const wWords = 4 + 4 * n; // per column per (tile, chunk): the priming group, then n iterations
  const w1 = mem.alloc('weights col 1', tiles * chunks * wWords * 4);
  const w3 = mem.alloc('weights col 3', tiles * chunks * wWords * 4);
  const xWords = 2 * n * groups + 2; // per column per chunk: every group's pairs in order, one dummy pair
  const x0 = mem.alloc('packed inputs col 0', chunks * xWords * 4);
  const x2 = mem.alloc('packed inputs col 2', chunks * xWords * 4);
  const outPerCol = perPiece * 8; // words per column per launch
  const nLaunch = pieces * tiles * chunks;
  const out = mem.alloc('output', nLaunch * 4 * outPerCol * 4);

  // Weights, offline. Iteration i (1..n) of a pass works on pair i - 1; its column loads are
  // [B(row 0), B(row 2)] of pair i - 1, then [A(row 0), A(row 2)] of pair i (pair 0 again after the last, for
  // the next pass of the launch; the epilogue rewinds 16n bytes). A launch starts with one priming
  // iteration whose products are all zero (the input registers are reset): its group loads pair 0's A words.
  const col1 = new Int32Array(tiles * chunks * wWords), col3 = new Int32Array(col1.length);
  for (let t = 0; t < tiles; t++) for (let c = 0; c < chunks; c++) {
    const base = (t * chunks + c) * wWords;
    for (const [col, f0] of [[col1, 0], [col3, 2]] as const) {
      col[base + 2] = wWord(8 * t + chanOf(f0, 0), c, 0);
      col[base + 3] = wWord(8 * t + chanOf(f0 + 1, 0), c, 0);
      for (let i = 1; i <= n; i++) {
        const at = base + 4 * i;
        col[at] = wWord(8 * t + chanOf(f0, 1), c, i - 1);
        col[at + 1] = wWord(8 * t + chanOf(f0 + 1, 1), c, i - 1);
        col[at + 2] = wWord(8 * t + chanOf(f0, 0), c, i % n);
        col[at + 3] = wWord(8 * t + chanOf(f0 + 1, 0), c, i % n);
      }
    }
  }
  const constBlocks: MemBlock[] = [
    { addr: w1, words: col1, what: 'packed weight pairs, column 1 (feeders 0, 1)' },
    { addr: w3, words: col3, what: 'packed weight pairs, column 3 (feeders 2, 3)' },
  ];
  const pixelXY = (p: number): [number, number] => [Math.floor(p / L.outW), p % L.outW];
  // Inputs, per inference: per column, every group's pairs in order (each iteration loads the next pair's
  // words, across pass boundaries; a dummy pair at the end).
  const stage = (input: Int8Array): MemBlock[] => {
    const c0 = new Int32Array(chunks * xWords), c2 = new Int32Array(c0.length);
    const xAt = (p: number, t?: [number, number, number]): number => {
      if (!t || p >= P) return 0;
      const [oy, ox] = pixelXY(p);
      return inputAt(L, input, oy * L.strideH - L.padTop + t[0] * L.dilH, ox * L.strideW - L.padLeft + t[1] * L.dilW, t[2]);
    };
    for (let c = 0; c < chunks; c++) for (let g = 0; g < groups; g++) for (let i = 0; i < n; i++) {
      const at = c * xWords + (g * n + i) * 2;
      const t1 = tapOf(c, i, 0), t2 = tapOf(c, i, 1);
      for (const [col, j0] of [[c0, 0], [c2, 2]] as const) {
        for (let h = 0; h < 2; h++) { const p = 4 * g + j0 + h; col[at + h] = pack(xAt(p, t1), xAt(p, t2)); }
      }
    }
    return [{ addr: x0, words: c0, what: 'packed input pairs, column 0 (pixels 0, 1 of each group)' },
      { addr: x2, words: c2, what: 'packed input pairs, column 2 (pixels 2, 3 of each group)' }];
  };
  const { kernel, counts } = fxpKernel(arch, 1, n, perPiece);
  const launches: Launch[] = [];
  const stageReads: Array<Array<[number, number]>> = [];
  const launchOf: Array<{ piece: number; t: number; c: number }> = [];
  for (let piece = 0; piece < pieces; piece++) for (let t = 0; t < tiles; t++) for (let c = 0; c < chunks; c++) {
    const l = launches.length;
    const wAt = (t * chunks + c) * wWords * 4;
    const xAt0 = (c * xWords + piece * perPiece * 2 * n) * 4;
    launches.push({
      kernel: 1,
      ptrIn: [x0 + xAt0, w1 + wAt, x2 + xAt0, w3 + wAt],
      ptrOut: [0, 1, 2, 3].map((col) => out + (l * 4 + col) * outPerCol * 4),
    });
    launchOf.push({ piece, t, c });
    // The piece's pairs, plus the next pair its last iteration loads ahead.
    const bytes = (perPiece * 2 * n + 2) * 4;
    stageReads.push([[x0 + xAt0, bytes], [x2 + xAt0, bytes]]);
  }
  const outRegions = launches.map((_, l) => ({ addr: out + l * 4 * outPerCol * 4, words: 4 * outPerCol }));
  // Store order within a column per pass: accumulator s, then the column's multipliers by row.
  const byCol = [0, 1, 2, 3].map((col) => MULS.map((m, mi) => ({ m, mi })).filter((x) => x.m[1] === col).sort((a, b2) => a.m[0] - b2.m[0]));
  const gather = (regions: Int32Array[]): Int32Array => {
    const raw = new Int32Array(P * L.outC);
    launches.forEach((_, l) => {
      const { piece, t } = launchOf[l];
      for (let col = 0; col < 4; col++) for (let g = 0; g < perPiece; g++) {
        byCol[col].forEach(({ mi }, idx) => {
          for (let s = 0; s < 4; s++) {
            const r = accRole(mi, s);
            const p = 4 * (piece * perPiece + g) + r.j, o = 8 * t + chanOf(r.f, r.set);
            if (p >= P || o >= L.outC) continue;
            raw[p * L.outC + o] = (raw[p * L.outC + o] + decodeFxp(regions[l][col * outPerCol + g * 8 + 2 * s + idx])) | 0;
          }
        });
      }
    });
    return raw;
  };
  const cost = (bus: BusModel): number => kernelCycles(kernel, counts, launches.length, bus);
  const view = [
    `checker-fxp: ${L.name}: ${taps.length} taps = ${pairs} packed pairs${chunks > 1 ? ` in ${chunks} chunks of ${n}` : ''}, ${perPiece} passes of 4 pixels x 8 channels per launch, ${launches.length} launch(es) (${pieces > 1 ? `${pieces} pieces x ` : ''}${tiles} tile(s) x ${chunks} chunk(s))`,
    'PE grid (row: col0 | col1 | col2 | col3):',
    ...[0, 1, 2, 3].map((r) => `  row ${r}: ` + [0, 1, 2, 3].map((c) => roleName(r, c)).join(' | ')),
    `  inputs: x1 + 2^23 x2 per pixel and tap pair (host-packed im2col, ${n} words per pixel per chunk); weights: w2 + 2^23 w1 per channel and tap pair`,
    '  FXPMUL (bits 46:15 of the product) puts the two-tap dot product in bits 30:8; the host sign-extends bit 30 and shifts 8 away',
    '  outputs: 4 SWD per multiplier per pass; the host decodes, adds the chunks and the folded bias, and requantises',
  ].join('\n');
  return {
    strategy: 'checker-fxp', layer: L, kernels: [kernel], memoryBytes: mem.size, constBlocks, stage, launches, outRegions, gather,
    ...(pieces > 1 ? { stageReads } : {}),
    hostWork: {
      preBytes: 2 * chunks * xWords * 4, requantOps: P * L.outC, adds: P * L.outC * (chunks + 2),
      notes: ['host builds the packed im2col input (one word per pixel per tap pair)', 'host decodes each accumulator (shift, add, shift)'],
    },
    cost: { shared: cost('shared'), ports: cost('ports'), launches: launches.length },
    view, peak: 3.2, slotMacs: launches.length * (perPiece * n + 1) * 64,
  };
}

function roleName(r: number, c: number): string {
  const f = W_FEED.findIndex((x) => x[0] === r && x[1] === c);
  if (f >= 0) return `W ch${chanOf(f, 0)}/${chanOf(f, 1)}`;
  const j = I_FEED.findIndex((x) => x[0] === r && x[1] === c);
  if (j >= 0) return `IN P${j}`;
  const mi = MULS.findIndex((x) => x[0] === r && x[1] === c);
  return `FXPMUL ${[0, 1].map((s) => { const a = accRole(mi, s); return `P${a.j}c${chanOf(a.f, 0)}`; }).join(',')}+B`;
}
