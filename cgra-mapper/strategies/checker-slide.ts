// Strategy `checker-slide`: checker-fxp's packed pairs (FXPMUL on x1 + 2^23 x2 and w2 + 2^23 w1, see
// checker-fxp.ts for the decode) with input reuse along the kernel's width, for CONV_2D with kW = 3 and
// strideW = dilW (the paper layer, resnet's 3x3 convolutions). A pass covers 8 pixels (4 horizontal pairs
// (x, x + 1) of one output row, one pair per input feeder) x 4 output channels (one per weight feeder).
// The taps run as blocks (ky, channel pair) of 3 iterations kx = 0, 1, 2; in iteration kx an input feeder
// shows E = I(x + kx) for the pair's left pixel (multiply steps 1, 2) and O = I(x + kx + 1) for the right one
// (steps 3, 4), and since strideW = dilW, the next iteration's E is this one's O: a block loads 4 words per
// feeder instead of 6, and a weight feeder one word per iteration instead of two. Per block 28 loads for 96
// FXPMULs (checker-fxp: 36): 52 cycles on the shared bus for 3 x 64 MACs (3.69 MAC/cycle, checker-fxp 3.2).
// Kernel (32 steps, the context limit): S0 (each pass: feeders load the pass's first words, the weight
// columns' second load rewinds the pointer to the tile's first block; multipliers clear R2), the body of 3
// iterations (A0 M1 A1 M2 A2 M3 A3 M4: a multiply step's product is added in the next step; the weight
// feeder (0,1) counts blocks and branches at the last M4), e0..e6 (the last add; the 8 feeders store the
// multipliers' 4th accumulators (read below them), the multipliers store their other 3; clears; input feeder
// (1,0) branches back to S0 unless the word its last block loaded (the next block's first word, unused after a
// pass's last block) is the launch's end mark -1, EXIT beside it). The pass count is thus data, not an
// immediate: launches may run different numbers of passes with one kernel (the 32 steps fill the context
// memory), so the end-to-end split starts and ends with small pieces (the host's unhidden first stage group
// and last post-step shrink).
// Host work as checker-fxp: the packed stream (4 words per pixel pair and block), decode, bias, requantise.
import type { BusModel, CgraArch } from '../arch.ts';
import { kernelCycles } from '../cost.ts';
import type { CgraLayer } from '../layer.ts';
import { inputAt, weightAt } from '../layer.ts';
import { MemLayout, type Launch, type LayerPlan, type MemBlock } from '../plan.ts';
import { decodeFxp, fxpPieces, MAX_PAIRS } from './checker-fxp.ts';
import { feederPairs, ins, KernelBuilder, torusDir, type PE } from './program.ts';

const SHIFT = 23;
const W_FEED: PE[] = [[0, 1], [2, 1], [0, 3], [2, 3]]; // f = 0..3 (channel f of the 4-channel tile)
const I_FEED: PE[] = [[1, 0], [3, 0], [1, 2], [3, 2]]; // j = 0..3 (pixel pair j of the group)
const MULS: PE[] = [[0, 0], [0, 2], [1, 1], [1, 3], [2, 0], [2, 2], [3, 1], [3, 3]];
const BLOCK_CTR = 0; // W_FEED index counting blocks
const PASS_END = 0; // I_FEED index branching on the end mark
const EXIT_PE: PE = [0, 3];
/** The word after a launch's last block in input column 0 (a pass's last block loads it as the next block's first word). */
export const END_MARK = -1;

const dirOf = torusDir;
const ASSIGN = feederPairs(MULS, W_FEED, I_FEED, false, 'checker-slide');

/** Accumulator s (0..3) of multiplier m: weight feeder f, input feeder j, right pixel of the pair (s >= 2). */
const accRole = (m: number, s: number): { f: number; j: number; odd: 0 | 1 } => {
  const [f, j] = ASSIGN[m][s % 2];
  return { f, j, odd: s < 2 ? 0 : 1 };
};

/** The multiplier below feeder PE p (it stores that multiplier's 4th accumulator in e1). */
const below = (p: PE): PE => [(p[0] + 1) % 4, p[1]];

/** Block loop over `blocks` blocks per pass; passes until the end mark. `counts(passes)`: executions per step of a launch. */
export function slideKernel(arch: CgraArch, id: number, blocks: number): { kernel: ReturnType<KernelBuilder['toKernel']>; counts: (passes: number) => number[] } {
  if (arch.rows !== 4 || arch.cols !== 4) throw new Error('checker-slide needs a 4x4 array');
  if (blocks < 1 || 3 * blocks > MAX_PAIRS) throw new Error(`checker-slide: ${blocks} blocks per pass (1..${Math.floor(MAX_PAIRS / 3)})`);
  const wBack = -(24 * blocks + 4);
  if (wBack < -4096) throw new Error('checker-slide: weight rewind exceeds the immediate');
  const b = new KernelBuilder(arch, id, 'checker-slide');
  const s0 = b.step('S0');
  const body = Array.from({ length: 24 }, (_, i) => b.step(i === 0 ? 'body' : undefined));
  const ep = Array.from({ length: 7 }, () => b.step());
  const A = (k: number, s: number): number => body[8 * k + 2 * s]; // A0..A3 of iteration k
  const M = (k: number, s: number): number => body[8 * k + 2 * s - 1]; // M1..M4 of iteration k
  const acc = ['R0', 'R1', 'R2', 'R3'] as const;

  // Multipliers: FXPMUL in M1..M4 (accumulators 0..3), add in the next step; M4's sum lands in the next A0.
  MULS.forEach((m, mi) => {
    for (let k = 0; k < 3; k++) for (let s = 0; s < 4; s++) {
      const r = accRole(mi, s);
      b.set(M(k, s + 1), m, ins.fxpmul('ROUT', dirOf(m, W_FEED[r.f]), dirOf(m, I_FEED[r.j])));
      b.set(s < 3 ? A(k, s + 1) : k < 2 ? A(k + 1, 0) : ep[0], m, ins.sadd(acc[s], acc[s], 'SELF'));
    }
    b.set(A(0, 0), m, ins.sadd('R3', 'R3', 'SELF')); // the previous block's M4 (S0 left ROUT = 0 at a pass start)
    b.set(ep[1], m, ins.sadd('R3', 'ZERO', 'ZERO')); // its 4th accumulator is stored by the feeder above
    for (let i = 0; i < 3; i++) b.set(ep[2 + i], m, ins.swd(acc[i], 4));
    b.set(ep[5], m, ins.sadd('R0', 'ZERO', 'ZERO'));
    b.set(ep[6], m, ins.sadd('R1', 'ZERO', 'ZERO'));
    b.set(s0, m, ins.sadd('R2', 'ZERO', 'ZERO'));
  });
  // Weight feeders: R0 = this iteration's word (shown in A0..A3), R1 = the next one. Feeders 0, 1 (column 1)
  // load in M3 and show R0 again in A3; feeders 2, 3 (column 3) load in M4. A0 copies R1 into R0 and ROUT.
  W_FEED.forEach((pe, f) => {
    // S0: the pass's first word; the column's second load steps back to the tile's first body word.
    b.set(s0, pe, ins.lwd('R1', pe[0] === 2 ? wBack : 4));
    for (let k = 0; k < 3; k++) {
      b.set(A(k, 0), pe, ins.sadd('R0', 'R1', 'ZERO'));
      if (f < 2) { b.set(M(k, 3), pe, ins.lwd('R1', 4)); b.set(A(k, 3), pe, ins.sadd('ROUT', 'R0', 'ZERO')); }
      else b.set(M(k, 4), pe, ins.lwd('R1', 4));
    }
    b.set(ep[1], pe, ins.swd('RCB', 4));
  });
  // Block counter (R2 up to R3 = blocks) in weight feeder 0: its M1/M4 are free; A1 shows R0 again.
  const bc = W_FEED[BLOCK_CTR];
  b.set(M(0, 1), bc, ins.sadd('R3', 'ZERO', blocks));
  b.set(A(0, 1), bc, ins.sadd('ROUT', 'R0', 'ZERO'));
  b.set(M(1, 1), bc, ins.sadd('R2', 'R2', 1));
  b.set(A(1, 1), bc, ins.sadd('ROUT', 'R0', 'ZERO'));
  b.set(M(2, 4), bc, ins.bne('R2', 'R3', 'body'));
  b.set(ep[0], bc, ins.sadd('R2', 'ZERO', 'ZERO'));
  // Pass loop: input feeder 0's R0 holds the word its last M4 loaded; the end mark (-1) falls through to EXIT.
  b.set(ep[6], I_FEED[PASS_END], ins.bge('R0', 'ZERO', 'S0'));
  b.set(ep[6], EXIT_PE, ins.exit());
  // Input feeders. Values of a block: a = I(x), b = I(x+1), c = I(x+2), d = I(x+3); shown E, E, O, O per
  // iteration: (a, b), (b, c), (c, d). Feeders 0, 1 (column 0) load straight into ROUT in M2 (b, c, d) and
  // M4 of the last iteration (the next block's a); feeders 2, 3 (column 2) load in M1 into alternating
  // registers and show them in A1 / A2.
  I_FEED.forEach((pe, j) => {
    b.set(s0, pe, ins.lwd('R0', 4));
    b.set(M(2, 4), pe, ins.lwd('R0', 4));
    if (j < 2) { for (let k = 0; k < 3; k++) b.set(M(k, 2), pe, ins.lwd('R0', 4)); }
    else {
      const reg = (k: number): { E: 'R0' | 'R1'; O: 'R0' | 'R1' } => (k % 2 === 0 ? { E: 'R0', O: 'R1' } : { E: 'R1', O: 'R0' });
      for (let k = 0; k < 3; k++) {
        const { E, O } = reg(k);
        b.set(M(k, 1), pe, ins.lwd(O, 4));
        b.set(A(k, 1), pe, ins.sadd('ROUT', E, 'ZERO'));
        b.set(A(k, 2), pe, ins.sadd('ROUT', O, 'ZERO'));
      }
    }
    b.set(ep[1], pe, ins.swd('RCB', 4));
  });
  const counts = (passes: number): number[] => {
    const c = new Array<number>(b.steps.length).fill(0);
    c[s0] = passes;
    for (const t of body) c[t] = passes * blocks;
    for (const t of ep) c[t] = passes;
    return c;
  };
  return { kernel: b.toKernel(), counts };
}

export function slideSupports(L: CgraLayer): string | undefined {
  if (L.kind !== 'conv2d') return 'only CONV_2D (packed pairs slide along the kernel width)';
  if (L.kW !== 3) return `kernel width ${L.kW} (the body unrolls kx = 0, 1, 2)`;
  if (L.strideW !== L.dilW) return `strideW ${L.strideW} != dilationW ${L.dilW} (the next pixel's window does not start at the next tap)`;
  return undefined;
}

const pack = (lo: number, hi: number): number => (lo + hi * (1 << SHIFT)) | 0;

/**
 * Piece sizes (pixel groups per launch) for the end-to-end split that ramps: 1 group first (the host stages it
 * before the array starts), growing by about 1.5x while the host stages the next piece during the current
 * one's launches, pieces of at most `peak` groups, and 2, 1 at the end (the last launch's post-step is unhidden).
 */
export function rampPieces(groups: number, peak: number): number[] {
  const up: number[] = [], down = [1, 2];
  let left = groups;
  if (groups <= 3) return [groups];
  left -= 3;
  for (let s = 1; left > 0 && s < peak; s = Math.max(s + 1, Math.floor(s * 1.5))) { const t = Math.min(s, left); up.push(t); left -= t; }
  const mid: number[] = [];
  if (left > 0) { const n = Math.ceil(left / peak); for (let i = 0; i < n; i++) mid.push(Math.floor(left / n) + (i < left % n ? 1 : 0)); }
  return [...up, ...mid, ...down.reverse()].filter((x) => x > 0);
}

/**
 * `pipelined`: split the pixel groups into pieces and declare each launch's stream: equal pieces
 * (checker-fxp's fxpPieces, up to `maxLaunches`), or with `ramp` rampPieces(groups, ramp).
 */
export function planCheckerSlide(L: CgraLayer, arch: CgraArch, opts: { pipelined?: boolean; maxLaunches?: number; ramp?: number; sizes?: number[] } = {}): LayerPlan {
  const why = slideSupports(L);
  if (why) throw new Error(`checker-slide: ${L.name}: ${why}`);
  const cpairs = Math.ceil(L.inC / 2);
  const allBlocks = L.kH * cpairs;
  const maxB = Math.floor(MAX_PAIRS / 3);
  const chunks = Math.ceil(allBlocks / maxB);
  const B = Math.ceil(allBlocks / chunks); // blocks per chunk (the last chunk padded with zero-weight blocks)
  const qW = Math.ceil(L.outW / 2); // pixel pairs per output row
  const pairs = L.outH * qW;
  const tiles = Math.ceil(L.outC / 4);
  const need = Math.ceil(pairs / 4);
  let sizes: number[]; // pixel groups (passes) per piece; launches piece-major
  if (opts.pipelined && opts.sizes) {
    sizes = opts.sizes;
    if (sizes.reduce((x, y) => x + y, 0) < need || sizes.some((x) => x < 1)) throw new Error(`checker-slide: pieces ${sizes} do not cover ${need} groups`);
  } else if (opts.pipelined && opts.ramp) sizes = rampPieces(need, opts.ramp);
  else {
    const pieces = opts.pipelined ? fxpPieces(need, tiles * chunks, opts.maxLaunches ?? 64) : 1;
    sizes = new Array<number>(pieces).fill(Math.ceil(need / pieces));
  }
  const pieces = sizes.length;
  const first = sizes.map((_, p) => sizes.slice(0, p).reduce((a, b2) => a + b2, 0)); // first group of each piece
  const groups = first[pieces - 1] + sizes[pieces - 1];
  const blockOf = (c: number, bi: number): [number, number] | undefined => {
    const i = c * B + bi;
    return i < allBlocks ? [Math.floor(i / cpairs), i % cpairs] : undefined;
  };
  // Weight word of output channel o, block bi of chunk c, kx: w2 + 2^23 w1 (channels 2cp, 2cp + 1).
  const wWord = (o: number, c: number, bi: number, kx: number): number => {
    const bl = blockOf(c, bi);
    if (!bl || o >= L.outC) return 0;
    const [ky, cp] = bl;
    const w1 = weightAt(L, o, ky, kx, 2 * cp), w2 = 2 * cp + 1 < L.inC ? weightAt(L, o, ky, kx, 2 * cp + 1) : 0;
    return pack(w2, w1);
  };
  const mem = new MemLayout();
  // Weight columns (1: feeders 0, 1; 3: feeders 2, 3), per (tile, chunk): 3B iterations x 2 words (the word
  // each iteration loads for the next one; the last loads a wrap word S0 reloads), then S0's 2 words.
  const wWords = 6 * B + 2;
  const wCol = [mem.alloc('weights col 1', tiles * chunks * wWords * 4), mem.alloc('weights col 3', tiles * chunks * wWords * 4)];
  // Input columns (0: pairs 0, 1; 2: pairs 2, 3), per chunk and group: S0's 2 words, then per block 8 words
  // (b, b, c, c, d, d, next a, next a: the last block's next a is never used, 0).
  const xWords = 2 + 8 * B;
  const xCol = [mem.alloc('packed inputs col 0', chunks * groups * xWords * 4), mem.alloc('packed inputs col 2', chunks * groups * xWords * 4)];
  const lastOfPiece = new Set(sizes.map((n, p) => first[p] + n - 1));
  const outAt: number[] = []; // per launch: its output region (4 columns x passes x 8 words)
  for (let p = 0; p < pieces; p++) for (let i = 0; i < tiles * chunks; i++) outAt.push(mem.alloc('output', 4 * sizes[p] * 8 * 4));

  const wBlocks = wCol.map(() => new Int32Array(tiles * chunks * wWords));
  for (let t = 0; t < tiles; t++) for (let c = 0; c < chunks; c++) {
    const base = (t * chunks + c) * wWords;
    for (let col = 0; col < 2; col++) {
      const [fLo, fHi] = [2 * col, 2 * col + 1];
      const words = wBlocks[col];
      for (let it = 0; it < 3 * B; it++) {
        const nx = (it + 1) % (3 * B);
        words[base + 2 * it] = wWord(4 * t + fLo, c, Math.floor(nx / 3), nx % 3);
        words[base + 2 * it + 1] = wWord(4 * t + fHi, c, Math.floor(nx / 3), nx % 3);
      }
      words[base + 6 * B] = wWord(4 * t + fLo, c, 0, 0);
      words[base + 6 * B + 1] = wWord(4 * t + fHi, c, 0, 0);
    }
  }
  const constBlocks: MemBlock[] = [
    { addr: wCol[0], words: wBlocks[0], what: 'packed weight words, column 1 (channels 0, 1 of each tile)' },
    { addr: wCol[1], words: wBlocks[1], what: 'packed weight words, column 3 (channels 2, 3 of each tile)' },
  ];
  /** Output pixel of pair P (row-major, qW pairs per row), half h; undefined past the image. */
  const pixelOf = (P: number, h: number): number | undefined => {
    const y = Math.floor(P / qW), x = 2 * (P % qW) + h;
    return y < L.outH && x < L.outW ? y * L.outW + x : undefined;
  };
  const stage = (input: Int8Array): MemBlock[] => {
    const cols = [new Int32Array(chunks * groups * xWords), new Int32Array(chunks * groups * xWords)];
    // Slide word u (0..3) of pair P in block bi of chunk c: input column 2q * sW - padLeft + u * dW.
    const word = (P: number, c: number, bi: number, u: number): number => {
      const bl = blockOf(c, bi);
      const y = Math.floor(P / qW);
      if (!bl || y >= L.outH) return 0;
      const [ky, cp] = bl;
      const iy = y * L.strideH - L.padTop + ky * L.dilH, ix = 2 * (P % qW) * L.strideW - L.padLeft + u * L.dilW;
      return pack(inputAt(L, input, iy, ix, 2 * cp), 2 * cp + 1 < L.inC ? inputAt(L, input, iy, ix, 2 * cp + 1) : 0);
    };
    for (let c = 0; c < chunks; c++) for (let g = 0; g < groups; g++) for (let col = 0; col < 2; col++) {
      const w = cols[col], at = (c * groups + g) * xWords;
      const [Pa, Pb] = [4 * g + 2 * col, 4 * g + 2 * col + 1];
      w[at] = word(Pa, c, 0, 0);
      w[at + 1] = word(Pb, c, 0, 0);
      for (let bi = 0; bi < B; bi++) {
        const o = at + 2 + 8 * bi;
        for (let u = 1; u <= 3; u++) { w[o + 2 * (u - 1)] = word(Pa, c, bi, u); w[o + 2 * (u - 1) + 1] = word(Pb, c, bi, u); }
        if (bi + 1 < B) { w[o + 6] = word(Pa, c, bi + 1, 0); w[o + 7] = word(Pb, c, bi + 1, 0); }
        else if (col === 0 && lastOfPiece.has(g)) w[o + 6] = END_MARK;
      }
    }
    return [{ addr: xCol[0], words: cols[0], what: 'packed input words, column 0 (pairs 0, 1 of each group)' },
      { addr: xCol[1], words: cols[1], what: 'packed input words, column 2 (pairs 2, 3 of each group)' }];
  };
  const { kernel, counts } = slideKernel(arch, 1, B);
  const launches: Launch[] = [];
  const stageReads: Array<Array<[number, number]>> = [];
  const launchOf: Array<{ piece: number; t: number; c: number }> = [];
  for (let piece = 0; piece < pieces; piece++) for (let t = 0; t < tiles; t++) for (let c = 0; c < chunks; c++) {
    const l = launches.length;
    const wAt = ((t * chunks + c) * wWords + 6 * B) * 4; // S0's words
    const xAt = (c * groups + first[piece]) * xWords * 4;
    launches.push({ kernel: 1, ptrIn: [xCol[0] + xAt, wCol[0] + wAt, xCol[1] + xAt, wCol[1] + wAt], ptrOut: [0, 1, 2, 3].map((col) => outAt[l] + col * sizes[piece] * 32) });
    launchOf.push({ piece, t, c });
    const bytes = sizes[piece] * xWords * 4;
    stageReads.push([[xCol[0] + xAt, bytes], [xCol[1] + xAt, bytes]]);
  }
  const outRegions = launches.map((_, l) => ({ addr: outAt[l], words: 4 * sizes[launchOf[l].piece] * 8 }));
  // Store order per column and pass: e1 the column's feeders (rows ascending) store the 4th accumulator of
  // the multiplier below them; e2..e4 the column's multipliers (rows ascending) store accumulators 0..2.
  const perCol: Array<Array<{ mi: number; s: number }>> = [0, 1, 2, 3].map((col) => {
    const feeders = [...W_FEED, ...I_FEED].filter((p) => p[1] === col).sort((a, b2) => a[0] - b2[0]);
    const muls = MULS.map((m, mi) => ({ m, mi })).filter((x) => x.m[1] === col).sort((a, b2) => a.m[0] - b2.m[0]);
    const seq: Array<{ mi: number; s: number }> = feeders.map((p) => {
      const bm = below(p);
      return { mi: MULS.findIndex((m) => m[0] === bm[0] && m[1] === bm[1]), s: 3 };
    });
    for (let s = 0; s < 3; s++) for (const { mi } of muls) seq.push({ mi, s });
    return seq;
  });
  const gather = (regions: Int32Array[]): Int32Array => {
    const raw = new Int32Array(L.outH * L.outW * L.outC);
    launches.forEach((_, l) => {
      const { piece, t } = launchOf[l];
      const outPerCol = sizes[piece] * 8;
      for (let col = 0; col < 4; col++) for (let g = 0; g < sizes[piece]; g++) {
        perCol[col].forEach(({ mi, s }, idx) => {
          const r = accRole(mi, s);
          const p = pixelOf(4 * (first[piece] + g) + r.j, r.odd), o = 4 * t + r.f;
          if (p === undefined || o >= L.outC) return;
          raw[p * L.outC + o] = (raw[p * L.outC + o] + decodeFxp(regions[l][col * outPerCol + g * 8 + idx])) | 0;
        });
      }
    });
    return raw;
  };
  // Per launch (its pass count), the kernel configured once: the simulator's accounting.
  const config = kernel.cols * (kernel.words.length + 1);
  const perLaunch = (bus: BusModel): number[] => launchOf.map(({ piece }, l) => kernelCycles(kernel, counts(sizes[piece]), 1, bus) - (l > 0 ? config : 0));
  const cost = (bus: BusModel): number => perLaunch(bus).reduce((a, b2) => a + b2, 0);
  const view = [
    `checker-slide: ${L.name}: ${L.kH} x ${cpairs} blocks (ky, channel pair) of 3 kx iterations${chunks > 1 ? ` in ${chunks} chunks of ${B}` : ''}, ${pieces > 1 ? `pieces of ${sizes.join(', ')}` : groups} passes of 8 pixels (4 horizontal pairs) x 4 channels per launch, ${launches.length} launch(es) (${pieces > 1 ? `${pieces} pieces x ` : ''}${tiles} tile(s) x ${chunks} chunk(s))`,
    'PE grid (row: col0 | col1 | col2 | col3):',
    ...[0, 1, 2, 3].map((r) => `  row ${r}: ` + [0, 1, 2, 3].map((c) => roleName(r, c)).join(' | ')),
    '  inputs: per pair and block 4 packed words I(x), I(x+1), I(x+2), I(x+3) (x1 + 2^23 x2 of a channel pair); iteration kx multiplies I(x+kx) (left pixel) and I(x+kx+1) (right pixel)',
    '  outputs: per pass each feeder stores the 4th accumulator of the multiplier below it, the multipliers their other 3; the host decodes as checker-fxp',
  ].join('\n');
  return {
    strategy: 'checker-slide', layer: L, kernels: [kernel], memoryBytes: mem.size, constBlocks, stage, launches, outRegions, gather,
    ...(pieces > 1 ? { stageReads } : {}),
    hostWork: {
      preBytes: 2 * chunks * groups * xWords * 4, requantOps: L.outH * L.outW * L.outC, adds: L.outH * L.outW * L.outC * (chunks + 2),
      notes: ['host builds the packed input stream (4 words per pixel pair and block of 3 taps)', 'host decodes each accumulator (shift, add, shift)'],
    },
    cost: { shared: cost('shared'), ports: cost('ports'), launches: launches.length }, launchCycles: perLaunch('shared'),
    view, peak: 192 / 52, slotMacs: tiles * chunks * groups * B * 192,
  };
}

function roleName(r: number, c: number): string {
  const f = W_FEED.findIndex((x) => x[0] === r && x[1] === c);
  if (f >= 0) return `W ch${f}`;
  const j = I_FEED.findIndex((x) => x[0] === r && x[1] === c);
  if (j >= 0) return `IN pair${j}`;
  const mi = MULS.findIndex((x) => x[0] === r && x[1] === c);
  return `FXPMUL ${[0, 1].map((s) => { const a = accRole(mi, s); return `P${a.j}c${a.f}`; }).join(',')} x L/R`;
}
