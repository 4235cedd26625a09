// Fast 3x3 depthwise conv2d for Cortex-M4 whose working memory is bounded by its window, not by the tensor
// (stride 1, and stride 2 with a plain C inner loop; depth multiplier 1, padding up to same, any channel count).
//
// Scratch: a ring of R = 2k + 2 input rows for a group of G channels, each channel a small zero-padded
// int16 plane (x + inputOffset, two horizontally adjacent pixels per word, word j = plane columns 2j, 2j+1),
// [channel][slot][word]. The layer walks the channel groups; per group, steps of 2k output rows: the two
// rows the next step shares are copied to slots 0, 1, then the next 2k input rows are widened from the
// int8 NHWC input into slots 2.. (two pixels x four channels per LDR, LDR, PKHBT, PKHTB, 4 SXTAB16, 4 STR),
// then every channel of the group runs 2x2 output quads over the ring: per kernel row, the words
// A = (ox, ox+1) and B = (ox+2, ox+3) (one LDRD) and two weight words P = (w0, w1), R = (w2, w1):
//     out(ox)   += SMLAD(A, P) + SMLABB(B, R)        = A.lo*w0 + A.hi*w1 + B.lo*w2
//     out(ox+1) += SMLATB(A, P) + SMLADX(B, R)       = A.hi*w0 + B.lo*w1 + B.hi*w2
// 4 LDRD + 24 MAC instructions for 36 MACs, then the 4-instruction requantisation (requant.ts). (G, k) are
// chosen so that the ring stays within RING_BUDGET bytes (at least one channel quad and k = 1).
// On DSP cores each channel and step is one call of a naked function written in assembly (it loads and widens
// the channel's weights itself); the widening is straight-line (STRD per two words, pixels outside the image
// as zero-point bytes); a 4-row ring (k = 1) alternates a plain and a rotated quad loop instead of copying rows;
// stride 2 runs 2x2 blocks over two output rows (10 loads, 24 MAC instructions per 36 MACs). A quad's
// requantisation borrows P1, R1's registers for M, C and one LDM restores them with the bias (46 instructions per
// quad); on rows of 8+ quads a step's first and last row pair skip their padding plane row (edge flags).
// Weights stay int8 in flash, 3 words per channel ordered [w0, w2, w1, w1] per kernel row, so SXTB16 gives
// P and SXTB16 ROR #8 gives R once per channel and step; they are scaled by the requantisation's 2^(left+1)
// with a lane-safe shift.
// The output may overlay the input (in-place execution, variant mode `prepass`): a group writes output
// channel c only in its own channels, and output row r only after every input row up to r has been widened
// into its ring, so no input byte is overwritten before it has been read (depth multiplier 1, stride 1,
// padding <= 2: output rows are never longer than input rows).

import type { KDepthwiseConv2d, KernelModule } from '../../compiler/kernel-ir/types.ts';
import { cIdent, type FastResult } from './fast-kernel.ts';
import { requantC, signFix } from './requant.ts';
import { depthwise3x3Requant } from './depthwise-fast.ts';
import { SIMD_PRELUDE } from './simd-prelude.ts';

/** Scratch the ring may take before falling back to the least ring (one channel quad, k = 1). */
export const RING_BUDGET = 2048;

export interface RingGeom {
  C: number;
  /** Channels per group (multiple of 4 unless it is all of C) and groups. */
  G: number; groups: number;
  /** Output row pairs per step; ring slots R = 2k + 2; steps. */
  k: number; R: number; steps: number;
  /** Words per plane row, words per channel (R * words). */
  words: number; chanWords: number;
  bytes: number;
}

export function depthwiseRingApplies(op: KDepthwiseConv2d): string | undefined {
  if (op.rounding === 'single') return 'single rounding (this kernel requantises with double rounding only)';
  if (op.kH !== 3 || op.kW !== 3) return 'kernel is not 3x3';
  if (op.strideH !== op.strideW || op.strideH > 2) return 'stride is not 1 or 2 in both directions';
  if (op.strideH === 2 && (op.padTop > 1 || op.padLeft > 1)) return 'stride 2 with padding > 1';
  if (op.dilationH !== 1 || op.dilationW !== 1) return 'dilated';
  if (op.depthMultiplier !== 1) return 'depth multiplier > 1';
  if (op.batches !== 1) return 'batches > 1';
  if (op.padTop > 2 || op.padLeft > 2) return 'padding > 2';
  // In-place overlay (see the header) needs output rows no longer than input rows.
  if (op.outW > op.inW || op.outH > op.inH) return 'output larger than the input (padding beyond same)';
  // Row offsets of the quad's LDRD (3 plane rows) must fit the +-1020 byte immediate.
  if (3 * ringWords(op) * 4 > 1016) return `rows too wide for LDRD offsets (${op.outW} output columns, at most 168)`;
  return undefined;
}

/** Words per plane row: stride 1 reads words ox/2, ox/2 + 1 per output pair; stride 2 words ox, ox + 1 per output. */
function ringWords(op: KDepthwiseConv2d): number { return op.strideW === 2 ? op.outW + 1 : Math.ceil(op.outW / 2) + 1; }
/** Output rows per ring step (k row pairs at stride 1, k rows at stride 2) and the ring's rows. */
const stepRows = (op: KDepthwiseConv2d, k: number) => (op.strideH === 2 ? k : 2 * k);
const ringRows = (op: KDepthwiseConv2d, k: number) => (stepRows(op, k) - 1) * op.strideH + 3;

/** Instructions spent outside the quads (widening, copies, calls, step loops) for a ring choice; for picking (G, k). */
function overheadEstimate(op: KDepthwiseConv2d, G: number, k: number): number {
  const C = op.outC, words = ringWords(op);
  const steps = Math.ceil(op.outH / stepRows(op, k));
  const groups = Math.ceil(C / G);
  const widenRows = steps * stepRows(op, k) * op.strideH + 2;
  const widen = widenRows * words * (C / 4) * (12 + 16 / G) + widenRows * groups * 12;
  const copy = (steps - 1) * C * ((3 - op.strideH) * words * 2 + 10);
  // A call per channel and step: weights, frame, register saves (measured about 100 instructions on QEMU M4).
  const calls = steps * C * 110;
  return widen + copy + calls + steps * groups * 30;
}

function geomOf(op: KDepthwiseConv2d, G: number, k: number): RingGeom {
  const C = op.outC, words = ringWords(op), R = ringRows(op, k);
  return { C, G, groups: Math.ceil(C / G), k, R, steps: Math.ceil(op.outH / stepRows(op, k)), words, chanWords: R * words, bytes: G * R * words * 4 };
}

export function ringGeom(op: KDepthwiseConv2d): RingGeom {
  const C = op.outC;
  const maxK = Math.max(1, Math.ceil(op.outH / stepRows(op, 1)));
  let best: RingGeom | undefined, bestCost = Infinity;
  const Gs: number[] = [];
  for (let g = 4; g < C; g += 4) Gs.push(g);
  Gs.push(C);
  for (const G of Gs) {
    for (let k = 1; k <= maxK; k++) {
      const cand = geomOf(op, G, k);
      const least = G === Gs[0] && k === 1;
      if (cand.bytes > RING_BUDGET && !least) continue;
      const cost = overheadEstimate(op, G, k);
      if (cost < bestCost) { bestCost = cost; best = cand; }
    }
  }
  return best!;
}

export function depthwiseRingScratch(op: KDepthwiseConv2d): number {
  return Math.ceil(ringGeom(op).bytes / 8) * 8;
}

/** Runs [from, to) of plane-row words by which of their two pixels lie inside the image ('11', '10', '01', '00'). */
function wordRuns(op: KDepthwiseConv2d, words: number): Array<[number, number, string]> {
  const cls = (j: number) => { const x0 = 2 * j - op.padLeft; return `${x0 >= 0 && x0 < op.inW ? 1 : 0}${x0 + 1 >= 0 && x0 + 1 < op.inW ? 1 : 0}`; };
  const runs: Array<[number, number, string]> = [];
  for (let j = 0; j < words; j++) {
    const k = cls(j);
    const last = runs[runs.length - 1];
    if (last && last[2] === k && last[1] === j) last[1] = j + 1;
    else runs.push([j, j + 1, k]);
  }
  return runs;
}

/**
 * C statements zeroing, in every slot of every channel plane of the ring, the words with no pixel inside
 * the image (the widening skips them; row copies and padding rows keep them zero).
 */
function zeroWords(op: KDepthwiseConv2d, g: RingGeom, ring: string): string[] {
  const zs = wordRuns(op, g.words).filter(([, , k]) => k === '00');
  if (!zs.length) return [];
  return [`  for (int r = 0; r < ${g.G * g.R}; r++) { uint32_t *z = ${ring} + r * ${g.words};`,
    ...zs.map(([a, b]) => `    for (int j = ${a}; j < ${b}; j++) z[j] = 0;`), `  }`];
}

/**
 * `static void <name>(const int8_t *x, uint32_t *ring, int t0, int t1, int y0)`: widen input rows y0 + t into
 * slots t in [t0, t1), G channels from x on; `xs` bytes between input pixels.
 */
function widenC(name: string, op: KDepthwiseConv2d, g: RingGeom, G: number, xs: number, padZeroed = false, dspSkip: number[] = []): string {
  const C = xs, cw = g.chanWords, words = g.words;
  const off = ((op.inputOffset & 0xffff) * 65537) >>> 0;
  const L = [`static void __attribute__((noinline)) ${name}(const int8_t *x, uint32_t *ring, int t0, int t1, int y0) {`,
    `  const uint32_t off2 = ${off}u; (void)off2;`,
    `  for (int t = t0; t < t1; t++) {`,
    `    const int y = y0 + t; uint32_t *prow = ring + t * ${words};`,
    `    if (y < 0 || y >= ${op.inH}) {`,
    // Padding rows the DSP run functions never read (the edge pairs skip them) are not zeroed there.
    ...(dspSkip.length ? [`#if defined(__ARM_FEATURE_DSP)`, `      if (${dspSkip.map((y) => `y == ${y}`).join(' || ')}) continue;`, `#endif`] : []),
    // Zero padding rows word by word (a memset call per channel costs more than the stores), unless the
    // caller zeroed them once for every group (padSlotsC).
    // Straight-line word stores: gcc turns a zeroing loop into a memset call per channel (about 3 times the
    // instructions of the stores on QEMU M4); a long row keeps a loop that the empty asm keeps a loop.
    ...(padZeroed ? [] : [`      for (int c = 0; c < ${G}; c++) { uint32_t *z = prow + c * ${cw}; ${words <= 32
      ? Array.from({ length: words }, (_, j) => `z[${j}] = 0;`).join(' ')
      : `for (int j = 0; j < ${words}; j++) { __asm__ volatile("" ::: "memory"); z[j] = 0; }`} }`]),
    `      continue;`,
    `    }`,
    `    const int8_t *row = x + y * ${op.inW * C};`];
  // Words with at least one pixel inside the image, straight-line, two words (four pixels) at a time where
  // both are such words: each channel's two words with one STRD. A pixel outside the image reads as the
  // word zw of four zero-point bytes, which SXTAB16 against the offset turns into int16 zeros, so the edge
  // words take the interior path (words with no pixel inside stay zero: zeroWords, once per call).
  const zp = (-op.inputOffset) & 0xff;
  L.push(`    const uint32_t zw = ${(zp * 0x01010101) >>> 0}u; (void)zw;`);
  const inside = (px: number) => px >= 0 && px < op.inW;
  const live = Array.from({ length: words }, (_, j) => inside(2 * j - op.padLeft) || inside(2 * j - op.padLeft + 1));
  const quads = Math.floor(G / 4);
  /** The word of four channel bytes c0..c0+3 of pixel px (zw outside the image). */
  const px32 = (px: number, c0: number) => (inside(px) ? `(uint32_t)tfk_ld32(row + ${px * C + c0})` : 'zw');
  /** Channel c of pixel px plus the offset, as a 16-bit lane (0 outside the image). */
  const px16 = (px: number, c: number) => (inside(px) ? `(uint32_t)(uint16_t)(row[${px * C + c}] + ${op.inputOffset})` : '0u');
  /** STRD base and immediate for word j of channel c: prow plus whole KB (the immediate reaches 1020 bytes). */
  const at = (c: number, j: number) => { const o = 4 * (c * cw + j), m = Math.floor(o / 1024); return `${m ? `prow + ${256 * m}` : 'prow'}, ${o - 1024 * m}`; };
  for (let j = 0; j < words; j++) {
    if (!live[j]) continue;
    const x0 = 2 * j - op.padLeft;
    if (j + 1 < words && live[j + 1]) {
      L.push(`    {`);
      for (let q = 0; q < quads; q++) {
        const c0 = 4 * q;
        L.push(`      { const uint32_t a0 = ${px32(x0, c0)}, b0 = ${px32(x0 + 1, c0)};`,
          `        const uint32_t a1 = ${px32(x0 + 2, c0)}, b1 = ${px32(x0 + 3, c0)};`,
          `        const uint32_t p0 = tfk_pkhbt(a0, b0), q0 = tfk_pkhtb(b0, a0), p1 = tfk_pkhbt(a1, b1), q1 = tfk_pkhtb(b1, a1);`,
          `        TFR_STRD(tfk_sxtab16(off2, p0), tfk_sxtab16(off2, p1), ${at(c0, j)});`,
          `        TFR_STRD(tfk_sxtab16_ror8(off2, p0), tfk_sxtab16_ror8(off2, p1), ${at(c0 + 1, j)});`,
          `        TFR_STRD(tfk_sxtab16(off2, q0), tfk_sxtab16(off2, q1), ${at(c0 + 2, j)});`,
          `        TFR_STRD(tfk_sxtab16_ror8(off2, q0), tfk_sxtab16_ror8(off2, q1), ${at(c0 + 3, j)}); }`);
      }
      for (let u = 0; u < 2; u++) {
        for (let c = 4 * quads; c < G; c++) L.push(`      prow[${c * cw + j + u}] = ${px16(x0 + 2 * u, c)} | (${px16(x0 + 2 * u + 1, c)} << 16);`);
      }
      L.push(`    }`);
      j++;
      continue;
    }
    L.push(`    {`);
    for (let q = 0; q < quads; q++) {
      const c0 = 4 * q;
      // [a0 a1 b0 b1] and [a2 a3 b2 b3], then SXTAB16 / ROR #8 give (a_c, b_c) + offset per channel.
      L.push(`      { const uint32_t a = ${px32(x0, c0)}, b = ${px32(x0 + 1, c0)};`,
        `        const uint32_t p = tfk_pkhbt(a, b), q = tfk_pkhtb(b, a);`,
        `        prow[${c0 * cw + j}] = tfk_sxtab16(off2, p); prow[${(c0 + 1) * cw + j}] = tfk_sxtab16_ror8(off2, p);`,
        `        prow[${(c0 + 2) * cw + j}] = tfk_sxtab16(off2, q); prow[${(c0 + 3) * cw + j}] = tfk_sxtab16_ror8(off2, q); }`);
    }
    for (let c = 4 * quads; c < G; c++) L.push(`      prow[${c * cw + j}] = ${px16(x0, c)} | (${px16(x0 + 1, c)} << 16);`);
    L.push(`    }`);
  }
  L.push(`  }`, `}`);
  return L.join('\n');
}

/** Code bytes the two edge bodies of a layer's run functions may add (all requantisation keys together). */
const EDGE_CODE_BUDGET = 4096;

/**
 * Whether the stride-1 run functions take the edge flags (quadLoopAsm `edges`), and the flag values of the first
 * step (256: its first pair's plane row 0 is padding) and the last (512: its last pair's plane row 3 is).
 */
function ringEdges(op: KDepthwiseConv2d, g: RingGeom, FP: number, oddW: boolean, nKeys: number): { any: boolean; top: number; bottom: number } {
  const none = { any: false, top: 0, bottom: 0 };
  const np = op.outH >> 1;
  // Rows of 8+ quads only: an edge body is a loop of two quads whatever the row width, while its saving grows
  // with it (kws's 25x5x64 layers would take 10 KB of code for 0.1% of the model's instructions).
  if (op.strideH !== 1 || FP < 8 || np === 0 || (g.steps === 1 && np === 1) || (g.k === 1 && g.steps > 1)) return none;
  const K = stepRows(op, g.k);
  const npL = (op.outH - (g.steps - 1) * K) >> 1;
  const top = op.padTop >= 1 ? 256 : 0;
  const bottom = npL >= 1 && (g.steps - 1) * K + 2 * (npL - 1) + 3 - op.padTop >= op.inH ? 512 : 0;
  const u = Math.min(FP >= 8 ? 4 : 2, 2);
  const bodyBytes = 4 * ((FP % u + Math.min(FP, u)) * 46 + (oddW ? 30 : 0) + 10);
  const bytes = nKeys * ((top ? 1 : 0) + (bottom ? 1 : 0)) * bodyBytes;
  if (!top && !bottom || bytes > EDGE_CODE_BUDGET) return none;
  return { any: true, top, bottom };
}

/**
 * `opts.slice`: the channel-slice form (variant.ts ModalForm, for channel-split chains): `static void
 * <fn>(const int8_t *in, int8_t *out, int oy0, int oy1, int c0, int8_t *scratch)` computes the `width`
 * channels [c0, c0 + width) of all output rows (oy0 = 0, oy1 = outH: the whole height, as the chain calls
 * it), `in` / `out` at channel c0 with `inStride` / `outStride` bytes between pixels.
 */
export function emitDepthwiseRing(op: KDepthwiseConv2d, m: Pick<KernelModule, 'consts'>,
  opts: { fn?: string; geom?: { G: number; k: number }; slice?: { width: number; inStride: number; outStride: number } } = {}): FastResult {
  const why = depthwiseRingApplies(op);
  if (why) return { ok: false, reason: why };
  const { C, bias, wAt, rp } = depthwise3x3Requant(op, m);
  if (!rp.ok) return { ok: false, reason: rp.reason };
  const name = opts.fn ?? cIdent(`tf_dwr_${op.index}_${op.name}`);
  const base = opts.geom ? geomOf(op, opts.geom.G, opts.geom.k) : ringGeom(op);
  // Channels computed per call, bytes between input / output pixels; a slice keeps the whole op's (G, k), so
  // its ring is never larger than scratchBytes(op).
  const W = opts.slice?.width ?? C, IS = opts.slice?.inStride ?? C, OS = opts.slice?.outStride ?? C;
  const g = opts.slice ? geomOf({ ...op, outC: W }, Math.min(base.G, W), base.k) : base;
  const c0Expr = opts.slice ? 'c0 + ' : '';
  const byte = (v: number) => v & 0xff;

  // Per channel, 6 words: the int8 weight words of the three kernel rows, bias * wScale, M, C.
  // Each channel's function key: its shift e and the weight scale 2^d (d = 0 for a constant channel).
  const keyOf = (c: number) => { const ch = rp.channels[c]!; const d = ch.wScale ? Math.log2(ch.wScale) : 0; return `${ch.e}_${d}`; };
  const prm: number[] = [];
  for (let c = 0; c < C; c++) {
    const ch = rp.channels[c]!;
    for (let ky = 0; ky < 3; ky++) {
      const w = ch.wScale ? [wAt(c, ky, 0), wAt(c, ky, 2), wAt(c, ky, 1), wAt(c, ky, 1)] : [0, 0, 0, 0];
      prm.push((byte(w[0]!) | byte(w[1]!) << 8 | byte(w[2]!) << 16 | byte(w[3]!) << 24) >>> 0);
    }
    prm.push((bias[c]! * ch.wScale) >>> 0, ch.M >>> 0, ch.C >>> 0);
  }
  const keys = [...new Set(Array.from({ length: C }, (_, c) => keyOf(c)))];

  const RW = g.words * 4; // bytes per plane row
  const oRow = op.outW * OS;
  const FP = Math.floor(op.outW / 2), oddW = op.outW % 2 === 1;
  const parts: string[] = [
    `#ifndef TF_DWR_HELPERS`,
    `#define TF_DWR_HELPERS`,
    `#if defined(__ARM_FEATURE_DSP)`,
    `#define TFR_LDRD_POST4(a, b, p) __asm__ volatile("ldrd %0, %1, [%2], #4" : "=r"(a), "=r"(b), "+r"(p))`,
    `#define TFR_LDRD_MEM(a, b, m) __asm__ volatile("ldrd %0, %1, %2" : "=r"(a), "=r"(b) : "m"(m))`,
    `#define TFR_LDRD_POST8(a, b, p) __asm__ volatile("ldrd %0, %1, [%2], #8" : "=r"(a), "=r"(b), "+r"(p))`,
    `#define TFR_STRD_POST8(a, b, p) __asm__ volatile("strd %1, %2, [%0], #8" : "+r"(p) : "r"(a), "r"(b) : "memory")`,
    `#define TFR_STRD(a, b, p, off) __asm__ volatile("strd %0, %1, [%2, #" #off "]" : : "r"(a), "r"(b), "r"(p) : "memory")`,
    `#else`,
    `#define TFR_LDRD_POST4(a, b, p) do { memcpy(&(a), (p), 4); memcpy(&(b), (const char *)(p) + 4, 4); (p) = (const void *)((const char *)(p) + 4); } while (0)`,
    `#define TFR_LDRD_MEM(a, b, m) do { memcpy(&(a), &(m), 4); memcpy(&(b), (const char *)&(m) + 4, 4); } while (0)`,
    `#define TFR_LDRD_POST8(a, b, p) do { (a) = (p)[0]; (b) = (p)[1]; (p) += 2; } while (0)`,
    `#define TFR_STRD_POST8(a, b, p) do { (p)[0] = (a); (p)[1] = (b); (p) += 2; } while (0)`,
    `#define TFR_STRD(a, b, p, off) do { uint32_t *tfr_q = (p) + (off) / 4; tfr_q[0] = (a); tfr_q[1] = (b); } while (0)`,
    `#endif`,
    `#endif`,
  ];
  const fnOf = (key: string, rows: 1 | 2) => `${name}_r${rows}_${key.replace('-', 'm')}`;
  // The odd last row of a layer (plane row 2 of it zero where the padding below reaches it).
  const oddBottom = op.outH > 1 && op.outH + 1 - op.padTop >= op.inH;
  // One ring step and an odd height: on DSP cores the row-pair function ends with the odd last row (rowBody),
  // which saves a call per channel; the one-row function is then only the portable build's.
  const mergeOdd = op.strideH === 1 && g.steps === 1 && op.outH % 2 === 1 && op.outH >= 3 && FP > 0
    && quadLoopAsm(0, 0, op, FP, RW, OS, oRow, 2 * g.words * 4, oddW) !== undefined && rowLoopAsm(0, 0, op, FP, RW, OS, oRow, g.words) !== undefined;
  // Edge pairs (DSP, stride 1, several row pairs per call, not the rotated 4-row ring): the run function skips the
  // zero plane row 0 of a step's first pair (padding above) and row 3 of its last (padding below), flagged per call
  // in nrp's bits 8 and 9, where the two edge bodies' code (per requantisation key) stays within EDGE_CODE_BUDGET.
  const edges = quadLoopAsm(0, 0, op, FP, RW, OS, oRow, 2 * g.words * 4, oddW) !== undefined ? ringEdges(op, g, FP, oddW, keys.length)
    : { any: false, top: 0, bottom: 0 };
  const notDsp = (lines: string[]) => (mergeOdd ? [`#if !defined(__ARM_FEATURE_DSP)`, ...lines, `#endif`] : lines);
  const emitRun = (key: string, rows: 1 | 2): string => {
    const [e, d] = key.split('_').map(Number) as [number, number];
    const scale = (x: string) => (d === 0 ? x : `((${x} << ${d}) & ${(~(((1 << d) - 1) << 16)) >>> 0}u)`);
    const rq = (acc: string, dst: string) => requantC(acc, 'mm', 'cc', e, dst, op);
    const L = [`static void __attribute__((noinline)) ${fnOf(key, rows)}(const uint32_t *p, const uint32_t *prm, int8_t *o, int nrp) {`,
      `  const uint32_t P0 = ${scale('tfk_sxtab16(0u, prm[0])')}, R0 = ${scale('tfk_sxtab16_ror8(0u, prm[0])')};`,
      `  const uint32_t P1 = ${scale('tfk_sxtab16(0u, prm[1])')}, R1 = ${scale('tfk_sxtab16_ror8(0u, prm[1])')};`,
      `  const uint32_t P2 = ${scale('tfk_sxtab16(0u, prm[2])')}, R2 = ${scale('tfk_sxtab16_ror8(0u, prm[2])')};`,
      `  volatile int32_t bv = (int32_t)prm[3];`,
      `  int32_t mc[2] __attribute__((aligned(8))); mc[0] = (int32_t)prm[4]; mc[1] = (int32_t)prm[5];`,
      ];
    // One quad (both columns) or the last odd column (ox only), rows 1 or 2.
    const body = (both: boolean, post: boolean): string[] => {
      const B: string[] = [`      uint32_t A, B; int32_t t0, t1${rows === 2 ? ', b0, b1' : ''};`];
      const base = post ? -4 : 0;
      B.push(post ? `      TFR_LDRD_POST4(A, B, in);` : `      TFK_LDRD(A, B, in, 0);`);
      B.push(`      { const int32_t bias = bv;`,
        `        t0 = tfk_smlad(A, P0, bias); t0 = tfk_smlabb(B, R0, t0);`,
        both ? `        t1 = tfk_smlatb(A, P0, bias); t1 = tfk_smladx(B, R0, t1);` : `        t1 = 0;`,
        rows === 2 ? `        b0 = bias; }` : `      }`);
      for (let r = 1; r <= (rows === 2 ? 3 : 2); r++) {
        B.push(`      TFK_LDRD(A, B, in, ${r * RW + base});`);
        if (r <= 2) {
          B.push(`      t0 = tfk_smlad(A, P${r}, t0); t0 = tfk_smlabb(B, R${r}, t0);`);
          if (both) B.push(`      t1 = tfk_smlatb(A, P${r}, t1); t1 = tfk_smladx(B, R${r}, t1);`);
        }
        if (rows === 2) {
          const k = r - 1;
          if (k === 0) {
            if (both) B.push(`      b1 = tfk_smlatb(A, P0, b0); b1 = tfk_smladx(B, R0, b1);`);
            else B.push(`      b1 = 0;`);
            B.push(`      b0 = tfk_smlad(A, P0, b0); b0 = tfk_smlabb(B, R0, b0);`);
          } else {
            B.push(`      b0 = tfk_smlad(A, P${k}, b0); b0 = tfk_smlabb(B, R${k}, b0);`);
            if (both) B.push(`      b1 = tfk_smlatb(A, P${k}, b1); b1 = tfk_smladx(B, R${k}, b1);`);
          }
        }
      }
      B.push(`      { int32_t mm, cc; TFR_LDRD_MEM(mm, cc, mc);`,
        `        { ${rq('t0', 'r0')} ov[0] = (int8_t)r0; }`,
        both ? `        { ${rq('t1', 'r1')} ov[${OS}] = (int8_t)r1; }` : `        (void)t1;`);
      if (rows === 2) {
        B.push(`        { ${rq('b0', 'r2')} ov[${oRow}] = (int8_t)r2; }`,
          both ? `        { ${rq('b1', 'r3')} ov[${oRow + OS}] = (int8_t)r3; }` : `        (void)b1;`);
      }
      B.push(`      }`);
      return B;
    };
    const generic: string[] = [...(edges.any && rows === 2 ? [`  nrp = (nrp & 255) + ((nrp >> 9) & 1);`] : []), `  do {`, `    const uint32_t *in = p; int8_t *ov = o;`];
    if (FP > 0) {
      generic.push(`    const uint32_t *volatile endv = p + ${FP - 1};`,
        `    for (;;) {`, ...body(true, true), `      ov += ${2 * OS};`, `      if (in > endv) break;`, `    }`);
    }
    if (oddW) generic.push(`    {`, ...body(false, false), `    }`);
    generic.push(`    p += ${rows * g.words}; o += ${rows * oRow};`, `  } while (--nrp > 0);`);
    // One ring step of one row pair (e.g. 3x3 and 4x4 planes): the call covers exactly that pair, so the padding
    // rows above and below it are known zero and skipped (as is the one below an odd last row). With more row
    // pairs the first and last take bodies of their own only on rows of 8+ quads (`edges`, ringEdges): on
    // narrower rows the code outweighs the saving (vww's 6x6x128: 40 KB for 0.5% of its instructions).
    const np = op.outH >> 1;
    const fixed = g.steps === 1 && np === 1 ? { np, top: op.padTop === 1, bottom: 2 * np + 1 - op.padTop >= op.inH } : undefined;
    const asm = rows === 2 && FP > 0 ? quadLoopAsm(e, d, op, FP, RW, OS, oRow, 2 * g.words * 4, oddW, false, fixed,
        mergeOdd ? rowBody(e, op, FP, RW, OS, oddBottom) : [], edges.any)
      : rows === 1 ? rowLoopAsm(e, d, op, FP, RW, OS, oRow, g.words, oddBottom) : undefined;
    if (!asm) { L.push(...generic, `}`); return L.join('\n'); }
    // DSP: a naked function, all of it one inline-assembly block (fixed register plan, 50-51 instructions
    // per quad, then the odd last column's two outputs, if any, 28-30 instructions): it reads the channel's
    // weights and constants itself, so a call costs about 25 instructions besides its quads.
    return [`#if defined(__ARM_FEATURE_DSP)`,
      `static void __attribute__((naked, noinline)) ${fnOf(key, rows)}(${NAKED_PARAMS}) {`,
      `  __asm__ volatile(${asm});`, `}`, `#else`, ...L, ...generic, `}`, `#endif`].join('\n');
  };
  // Stride 2, one output row at a time: per kernel row the words W0 = (2ox, 2ox+1), W1, W2 (LDRD + LDR),
  //   out(ox) += SMLAD(W0, P) + SMLABB(W1, R),   out(ox+1) += SMLAD(W1, P) + SMLABB(W2, R).
  const emitRunS2 = (key: string): string => {
    const [e, d] = key.split('_').map(Number) as [number, number];
    const scale = (x: string) => (d === 0 ? x : `((${x} << ${d}) & ${(~(((1 << d) - 1) << 16)) >>> 0}u)`);
    const rq = (acc: string, dst: string) => requantC(acc, 'mm', 'cc', e, dst, op);
    const pairs = Math.floor(op.outW / 2);
    const row = (both: boolean) => {
      const B: string[] = [`      uint32_t A, B, D; int32_t t0${both ? ', t1' : ''}; const int32_t bias = bv;`];
      for (let r = 0; r < 3; r++) {
        B.push(`      TFK_LDRD(A, B, in, ${r * RW});`, ...(both ? [`      TFK_LDR_OFF(D, in, ${r * RW + 8});`] : [`      D = 0; (void)D;`]),
          r === 0 ? `      t0 = tfk_smlad(A, P0, bias); t0 = tfk_smlabb(B, R0, t0);` : `      t0 = tfk_smlad(A, P${r}, t0); t0 = tfk_smlabb(B, R${r}, t0);`);
        if (both) B.push(r === 0 ? `      t1 = tfk_smlad(B, P0, bias); t1 = tfk_smlabb(D, R0, t1);` : `      t1 = tfk_smlad(B, P${r}, t1); t1 = tfk_smlabb(D, R${r}, t1);`);
      }
      B.push(`      { const int32_t mm = mv, cc = cv;`, `        { ${rq('t0', 'r0')} ov[0] = (int8_t)r0; }`,
        ...(both ? [`        { ${rq('t1', 'r1')} ov[${OS}] = (int8_t)r1; }`] : []), `      }`);
      return B;
    };
    const generic = [`  do {`,
      `    const uint32_t *in = p; int8_t *ov = o;`,
      ...(pairs > 0 ? [`    for (int i = 0; i < ${pairs}; i++) {`, ...row(true), `      in += 2; ov += ${2 * OS};`, `    }`] : []),
      ...(op.outW % 2 ? [`    {`, ...row(false), `    }`] : []),
      `    p += ${2 * g.words}; o += ${oRow};`,
      `  } while (--nrows > 0);`];
    // DSP: a naked function, all of it one assembly block reading the weights itself (about 25 instructions
    // a call besides its outputs, against about 60 through a C frame).
    const nakedAsm = pairLoopAsmS2(e, op, pairs, RW, OS, oRow, g.words, d);
    const asm = pairs > 0 && !nakedAsm ? pairLoopAsmS2(e, op, pairs, RW, OS, oRow, g.words) : undefined;
    const L = [`static void __attribute__((noinline)) ${fnOf(key, 1)}(const uint32_t *p, const uint32_t *prm, int8_t *o, int nrows) {`,
      `  const uint32_t P0 = ${scale('tfk_sxtab16(0u, prm[0])')}, R0 = ${scale('tfk_sxtab16_ror8(0u, prm[0])')};`,
      `  const uint32_t P1 = ${scale('tfk_sxtab16(0u, prm[1])')}, R1 = ${scale('tfk_sxtab16_ror8(0u, prm[1])')};`,
      `  const uint32_t P2 = ${scale('tfk_sxtab16(0u, prm[2])')}, R2 = ${scale('tfk_sxtab16_ror8(0u, prm[2])')};`,
      `  volatile int32_t bv = (int32_t)prm[3], mv = (int32_t)prm[4], cv = (int32_t)prm[5];`];
    if (nakedAsm) {
      return [`#if defined(__ARM_FEATURE_DSP)`,
        `static void __attribute__((naked, noinline)) ${fnOf(key, 1)}(${NAKED_PARAMS}) {`,
        `  __asm__ volatile(${nakedAsm});`, `}`, `#else`, ...L, ...generic, `}`, `#endif`].join('\n');
    }
    if (!asm) L.push(...generic);
    else {
      // DSP: the output pairs of every row in one inline-assembly loop; the odd last column, if any, in C.
      L.push(`#if defined(__ARM_FEATURE_DSP)`,
        `  { uint32_t fr[12]; const uint32_t *pend = p + nrows * ${2 * g.words};`,
        `    fr[0] = P0; fr[1] = R0; fr[2] = P1; fr[3] = R1; fr[4] = P2; fr[5] = R2; fr[6] = (uint32_t)bv; fr[7] = (uint32_t)(uintptr_t)pend;`,
        `    fr[8] = (uint32_t)mv; fr[9] = (uint32_t)cv; fr[10] = (uint32_t)(uintptr_t)p; fr[11] = (uint32_t)(uintptr_t)o;`,
        `    __asm__ volatile(${asm} : : [fr] "r"(fr) : "cc", "memory"); }`);
      if (op.outW % 2) {
        L.push(`  p += ${2 * pairs}; o += ${2 * pairs * OS};`, `  do {`, `    const uint32_t *in = p; int8_t *ov = o;`,
          `    {`, ...row(false), `    }`, `    p += ${2 * g.words}; o += ${oRow};`, `  } while (--nrows > 0);`);
      }
      L.push(`#else`, ...generic, `#endif`);
    }
    L.push(`}`);
    return L.join('\n');
  };
  const s2 = op.strideH === 2;
  const lastOdd = !s2 && op.outH % 2 === 1;
  // Stride 2, DSP: two output rows per 2x2 block where the five plane rows' offsets reach (blockLoopAsmS2);
  // the portable build calls the one-row function for both rows.
  // An odd step height costs one more call per channel and step (about 30 instructions), which narrow rows
  // (about 2.3 instructions saved per output) do not repay.
  const s2pair = s2 && op.outH >= 2 && (stepRows(op, g.k) % 2 === 0 || op.outW >= 8) && blockLoopAsmS2(0, 0, op, Math.floor(op.outW / 2), RW, OS, oRow, g.words) !== undefined;
  const emitPairS2 = (key: string): string => {
    const [e, d] = key.split('_').map(Number) as [number, number];
    const asm = blockLoopAsmS2(e, d, op, Math.floor(op.outW / 2), RW, OS, oRow, g.words)!;
    return [`#if defined(__ARM_FEATURE_DSP)`,
      `static void __attribute__((naked, noinline)) ${fnOf(key, 2)}(${NAKED_PARAMS}) {`,
      `  __asm__ volatile(${asm});`, `}`, `#else`,
      `static void __attribute__((noinline)) ${fnOf(key, 2)}(const uint32_t *p, const uint32_t *prm, int8_t *o, int nrp) { ${fnOf(key, 1)}(p, prm, o, 2 * nrp); }`,
      `#endif`].join('\n');
  };
  // A 4-row ring (k = 1, stride 1) on DSP cores copies no rows: odd steps widen their two new rows into slots
  // 0, 1 and run the rotated quad loop (plane rows in slots 2, 3, 0, 1), so the next step finds its shared
  // rows in slots 0, 1 again. (A step of one row, the last of an odd height, copies as before.)
  const rotOK = !s2 && g.k === 1 && g.steps > 1 && FP > 0 && quadLoopAsm(0, 0, op, FP, RW, OS, oRow, 2 * g.words * 4, oddW, true) !== undefined;
  const rotOf = (key: string) => `${fnOf(key, 2)}_rot`;
  for (const key of keys) {
    if (s2) { parts.push(emitRunS2(key)); if (s2pair) parts.push(emitPairS2(key)); continue; }
    if (op.outH >= 2) parts.push(emitRun(key, 2));
    if (lastOdd) parts.push(...notDsp([emitRun(key, 1)]));
    if (rotOK) {
      const [e, d] = key.split('_').map(Number) as [number, number];
      parts.push(`#if defined(__ARM_FEATURE_DSP)`,
        `static void __attribute__((naked, noinline)) ${rotOf(key)}(${NAKED_PARAMS}) {`,
        `  __asm__ volatile(${quadLoopAsm(e, d, op, FP, RW, OS, oRow, 2 * g.words * 4, oddW, true)});`, `}`, `#endif`);
    }
  }
  const sig = '(const uint32_t *, const uint32_t *, int8_t *, int)';
  const table = (rows: 1 | 2) => keys.length === 1 ? '' :
    `static void (*const ${name}_f${rows}[${C}])${sig} = {${Array.from({ length: C }, (_, c) => fnOf(keyOf(c), rows)).join(', ')}};`;
  const callOf = (rows: 1 | 2, c: string) => keys.length === 1 ? fnOf(keys[0]!, rows) : `${name}_f${rows}[${c}]`;
  if (keys.length > 1) { if ((!s2 && op.outH >= 2) || s2pair) parts.push(table(2)); if (s2 || lastOdd) parts.push(...notDsp([table(1)])); }
  if (keys.length > 1 && rotOK) {
    parts.push(`#if defined(__ARM_FEATURE_DSP)`,
      `static void (*const ${name}_fr[${C}])${sig} = {${Array.from({ length: C }, (_, c) => rotOf(keyOf(c))).join(', ')}};`, `#endif`);
  }
  const rotCall = (c: string) => keys.length === 1 ? rotOf(keys[0]!) : `${name}_fr[${c}]`;

  // Widening functions: full groups and, when C % G != 0, the last group.
  const lastG = W - (g.groups - 1) * g.G;
  // One step: the padding rows sit in the same slots for every group, so the call zeroes them once.
  const padSlots = g.steps === 1 ? Array.from({ length: ringRows(op, g.k) }, (_, t) => t).filter((t) => t - op.padTop < 0 || t - op.padTop >= op.inH) : [];
  // Multi-step rings with edge pairs: the row above the image (one padding row) and the row below it (when it is
  // only the last pair's plane row 3) are read by no DSP run function.
  const K1 = stepRows(op, g.k), lastRead = (g.steps - 1) * K1 + (op.outH - (g.steps - 1) * K1) + 1 - op.padTop;
  const dspSkip = edges.any && g.steps > 1 && !s2 ? [...(edges.top && op.padTop === 1 ? [-1] : []),
    ...(edges.bottom && op.outH % 2 === 0 && lastRead === op.inH ? [op.inH] : [])] : [];
  parts.push(widenC(`${name}_widen`, op, g, g.G, IS, padSlots.length > 0, dspSkip));
  if (lastG !== g.G) parts.push(widenC(`${name}_widenl`, op, g, lastG, IS, padSlots.length > 0, dspSkip));

  // A step computes K output rows from (K - 1) * stride + 3 input rows; the next step shares 3 - stride of them.
  const K = stepRows(op, g.k), S = op.strideH, keep = 3 - S;
  const driverGroup = (G: number, widen: string, gExpr: string, rot = false): string[] => [
    `    const int8_t *x = in + ${gExpr};`,
    `    for (int s = 0; s < ${g.steps}; s++) {`,
    `      const int oy = s * ${K}; const int nOut = oy + ${K} <= ${op.outH} ? ${K} : ${op.outH} - oy;`,
    `      const int rows = (nOut - 1) * ${S} + 3;`,
    ...(rot ? [`      const int rot = (s & 1) && nOut == 2;`] : []),
    `      if (s == 0) ${widen}(x, ring, 0, rows, oy * ${S} - ${op.padTop});`,
    // Rotated ring: after an odd step the shared rows are in slots 0, 1; an odd two-row step widens into 0, 1.
    ...(rot ? [`      else if ((s - 1) & 1) ${widen}(x, ring, 2, rows, oy - ${op.padTop});`,
      `      else if (rot) ${widen}(x, ring, 0, rows - 2, oy + 2 - ${op.padTop});`] : []),
    `      else {`,
    // The shared rows to the front of each channel's ring, straight-line, two words per LDRD / STRD.
    `        for (int c = 0; c < ${G}; c++) { uint32_t *dd = ring + c * ${g.chanWords}; const uint32_t *ss = dd + ${K * S * g.words}; uint32_t a, b;`,
    ...Array.from({ length: Math.floor(keep * g.words / 2) }, () => `          TFR_LDRD_POST8(a, b, ss); TFR_STRD_POST8(a, b, dd);`),
    ...(keep * g.words % 2 ? [`          dd[0] = ss[0];`] : []),
    `          (void)a; (void)b; }`,
    `        ${widen}(x, ring, ${keep}, rows, oy * ${S} - ${op.padTop});`,
    `      }`,
    `      for (int c = 0; c < ${G}; c++) {`,
    `        const int ch = ${gExpr} + c; const uint32_t *pr = P + (${c0Expr}ch) * 6; const uint32_t *pl = ring + c * ${g.chanWords};`,
    `        int8_t *o = out + oy * ${oRow} + ch;`,
    ...(s2 && !s2pair ? [`        ${callOf(1, `${c0Expr}ch`)}(pl, pr, o, nOut);`] : []),
    ...(s2pair ? [`        if (nOut >= 2) ${callOf(2, `${c0Expr}ch`)}(pl, pr, o, nOut >> 1);`,
      `        if (nOut & 1) ${callOf(1, `${c0Expr}ch`)}(pl + (nOut - 1) * ${2 * g.words}, pr, o + (nOut - 1) * ${oRow}, 1);`] : []),
    ...(!s2 && op.outH >= 2 && rot ? [`        if (rot) ${rotCall(`${c0Expr}ch`)}(pl, pr, o, 1);`,
      `        else if (nOut >= 2) ${callOf(2, `${c0Expr}ch`)}(pl, pr, o, nOut >> 1);`] : []),
    ...(!s2 && op.outH >= 2 && !rot ? [`        if (nOut >= 2) ${callOf(2, `${c0Expr}ch`)}(pl, pr, o, ${edges.any ? `((nOut >> 1) - (s == ${g.steps - 1} ? ${edges.bottom ? 1 : 0} : 0)) | (s == 0 ? ${edges.top} : 0) | (s == ${g.steps - 1} ? ${edges.bottom} : 0)` : 'nOut >> 1'});`] : []),
    ...(lastOdd ? notDsp([`        if (nOut & 1) ${callOf(1, `${c0Expr}ch`)}(pl + (nOut - 1) * ${g.words}, pr, o + (nOut - 1) * ${oRow}, 1);`]) : []),
    `      }`,
    `    }`,
  ];
  const fullGroups = lastG === g.G ? g.groups : g.groups - 1;
  const groupsC = (rot: boolean) => [
    ...(fullGroups > 0 ? [`  for (int gi = 0; gi < ${fullGroups}; gi++) {`, ...driverGroup(g.G, `${name}_widen`, `gi * ${g.G}`, rot), `  }`] : []),
    ...(lastG !== g.G ? [`  {`, ...driverGroup(lastG, `${name}_widenl`, `${fullGroups * g.G}`, rot), `  }`] : []),
  ];
  const code = [
    SIMD_PRELUDE,
    ...parts,
    opts.slice ? `static void ${name}(const int8_t *in, int8_t *out, int oy0, int oy1, int c0, int8_t *scratch) {`
      : `static void ${name}(const int8_t *in, int8_t *out, int8_t *scratch) {`,
    ...(opts.slice ? [`  (void)oy0; (void)oy1;`] : []),
    `  uint32_t *ring = (uint32_t *)(void *)scratch;`,
    ...zeroWords(op, g, 'ring'),
    ...(padSlots.length ? [`  for (int c = 0; c < ${g.G}; c++) {`,
      ...padSlots.map((t) => `    { uint32_t *z = ring + c * ${g.chanWords} + ${t * g.words}; for (int j = 0; j < ${g.words}; j++) z[j] = 0; }`), `  }`] : []),
    `  const uint32_t *P = (const uint32_t *)tfk_hide(${name}_p);`,
    ...(rotOK ? [`#if defined(__ARM_FEATURE_DSP)`, ...groupsC(true), `#else`, ...groupsC(false), `#endif`] : groupsC(false)),
    `}`,
  ].join('\n');
  const data = `static const uint32_t ${name}_p[${prm.length}] __attribute__((aligned(8))) = {${prm.map((v) => v + 'u').join(',')}};`;
  return { ok: true, kernel: { fn: name, data, code, scratchBytes: Math.ceil(g.bytes / 8) * 8, constBytes: prm.length * 4, estimate: estimateDepthwiseRing(op) } };
}

export function estimateDepthwiseRing(op: KDepthwiseConv2d): { instructions: number; loads: number } {
  const g = ringGeom(op);
  // Stride 1: 49 instructions and 7 loads per 2x2 quad; stride 2: 29 and 8 per output pair (2x2 blocks over two
  // rows, QEMU M4). The overhead model ranks ring shapes; the naked run functions, STRD widening and LDRD/STRD
  // copies measure 0.55-0.66 of it (bench layer, vww's 48x48x16 stride-2 layer), hence the factor.
  const blocks = op.strideH === 2 ? op.outH * Math.ceil(op.outW / 2) * op.outC : Math.ceil(op.outH / 2) * Math.ceil(op.outW / 2) * op.outC;
  const [per, loads] = op.strideH === 2 ? [29, 8] : [49, 7];
  return { instructions: Math.round(blocks * per + 0.6 * overheadEstimate(op, g.G, g.k)), loads: Math.round(blocks * loads + op.inH * op.inW * op.inC / 4) };
}

/**
 * Entry of the naked stride-1 run functions `(const uint32_t *p, const uint32_t *prm, int8_t *o, int nrp)`:
 * saves r4-r11 and lr; prm = [3 int8 weight words, bias, M, C]; leaves P0, R0, P1, R1, P2, R2 (SXTB16 and
 * SXTB16 ROR #8 of the weight words, scaled by 2^d lane by lane) in r2-r7, r0 = p, r1 = o, r8 = bias,
 * r9 = p + nrp * step bytes, r10 = M, r11 = C.
 */
/** Parameters of a naked run function: read by its assembly, so unused to the compiler. */
const NAKED_PARAMS = ['const uint32_t *p', 'const uint32_t *prm', 'int8_t *o', 'int nrp'].map((x) => `__attribute__((unused)) ${x}`).join(', ');

function weightPrologue(d: number, step: number, flags = false): string[] {
  const scale = (r: string): string[] => d === 0 ? [] : d === 1 ? [`sadd16 ${r}, ${r}, ${r}`]
    // Clear the bits shifted from the low lane into the high one (an 8-bit field per BIC immediate).
    : [`lsl ${r}, ${r}, #${d}`, ...(d <= 8 ? [`bic ${r}, ${r}, #${((1 << d) - 1) << 16}`]
      : [`bic ${r}, ${r}, #${0xff << 16}`, `bic ${r}, ${r}, #${(((1 << (d - 8)) - 1) << 24) >>> 0}`])];
  return [
    `push {r4, r5, r6, r7, r8, r9, r10, r11, lr}`,
    `ldm r1, {r4, r5, r6, r8, r10, r11}`,
    // flags: nrp's bits 8 (first pair's plane row 0 is padding) and 9 (last pair's row 3 is) into lr; with bit 9
    // the caller counts the pairs without the last one (the plane end excludes it: it runs after the loop).
    ...(flags ? [`lsr lr, r3, #8`, `and r3, r3, #255`] : []),
    `movw r12, #${step}`, `mla r9, r3, r12, r0`, `mov r1, r2`,
    `sxtb16 r2, r4`, `sxtb16 r3, r4, ror #8`, `sxtb16 r4, r5`, `sxtb16 r5, r5, ror #8`, `sxtb16 r7, r6, ror #8`, `sxtb16 r6, r6`,
    ...['r2', 'r3', 'r4', 'r5', 'r6', 'r7'].flatMap(scale),
  ];
}

/** Stack frame of the stride-1 run functions (byte offsets from sp): P1, R1 and the row end first, so one LDM
 *  restores P1, R1, the row end and the bias after a quad's requantisation. */
const FRAME = { P1: 0, R1: 4, rowEnd: 8, bias: 12, M: 16, C: 20, planeEnd: 24, flags: 28 } as const;

/** weightPrologue, then the frame FRAME pushed (32 bytes) and the bias in r10. */
function framePrologue(d: number, step: number, flags = false): string[] {
  return [...weightPrologue(d, step, flags), `mov r12, r9`, `push {r4, r5, r6, r8, r10, r11, r12, lr}`, `mov r10, r8`];
}

/**
 * The 2-row quad loop as the body of a naked function (p, prm, o, nrp), DSP only.
 * Registers: r0 plane, r1 output, r2-r7 weights, r8-r11 accumulators, r12/lr data; the bias in r10 at a quad's start.
 * Frame (FRAME): P1, R1, row end, bias, M, C, plane end. A quad's requantisation (requant.ts) takes M, C into
 * r4, r5 (P1, R1, idle then) with r12 as the temporary, stores r8 last post-indexing r1 to the next quad, and
 * one LDM puts back P1, R1, the row end (r8, for the loop test) and the bias (r10): 46 instructions per quad
 * (4 LDRD, 24 MAC, 18 requantisation), 42 without the tie correction, and 2 per two quads for the loop.
 */
function quadLoopAsm(e: number, d: number, op: KDepthwiseConv2d, FP: number, RW: number, C: number, oRow: number, pairStep: number, oddW = false, rot = false,
  fixed?: { np: number; top: boolean; bottom: boolean }, tail: string[] = [], edges = false): string | undefined {
  // Plane row r at slot r, or, rotated (a 4-row ring whose shared rows stayed in slots 2, 3), at slot (r + 2) % 4;
  // the row in slot 0 advances r0 by a word (post-index), rows loaded after it address 4 bytes less.
  const slot = (r: number) => (rot ? (r + 2) % 4 : r);
  const ldq = (r: number) => slot(r) === 0 ? `ldrd r12, lr, [r0], #4` : `ldrd r12, lr, [r0, #${slot(r) * RW - (r > (rot ? 2 : 0) ? 4 : 0)}]`;
  const ldo = (r: number) => `ldrd r12, lr, [r0, #${slot(r) * RW}]`;
  // U quads per loop iteration (U = 4 where the row has at least two such iterations), FP % U before the loop.
  const U = FP >= 8 ? 4 : 2;
  if (oRow + 4 * C > 4095 || pairStep > 4095 || 2 * oRow > 4095 || 4 * FP > 4095) return undefined;
  const clamp = (r: string): string[] => [
    ...(op.actMin > -128 ? [`cmp ${r}, #${op.actMin}`, `it lt`, `movlt ${r}, #${op.actMin}`] : []),
    ...(op.actMax < 127 ? [`cmp ${r}, #${op.actMax}`, `it gt`, `movgt ${r}, #${op.actMax}`] : []),
  ];
  const ssat = (r: string) => (e > 0 ? `ssat ${r}, #8, ${r}, asr #${e}` : `ssat ${r}, #8, ${r}`);
  const mac4 = (acc0: string, acc1: string, P: string, R: string) => [
    `smlad ${acc0}, r12, ${P}, ${acc0}`, `smlatb ${acc1}, r12, ${P}, ${acc1}`, `smlabb ${acc0}, lr, ${R}, ${acc0}`, `smladx ${acc1}, lr, ${R}, ${acc1}`];
  const post = 2 * C <= 255;
  /** The quad's requantisation (see the header); r1 moves on to the next quad. */
  const rq = (): string[] => {
    const one = (acc: string, at: string) => [`smmlar r12, ${acc}, r4, r5`, ...(signFix(op, e) ? [`sub r12, r12, ${acc}, lsr #31`] : []),
      ssat('r12'), ...clamp('r12'), `strb r12, ${at}`];
    return [`ldrd r4, r5, [sp, #${FRAME.M}]`,
      ...one('r9', `[r1, #${C}]`), ...one('r10', `[r1, #${oRow}]`), ...one('r11', `[r1, #${oRow + C}]`),
      ...one('r8', post ? `[r1], #${2 * C}` : '[r1]'), ...(post ? [] : [`add r1, r1, #${2 * C}`]),
      `ldm sp, {r4, r5, r8, r10}`];
  };
  /** One 2x2 quad at r0 (which it advances by one word), its outputs at r1 (advanced by two pixels); the bias in r10. */
  const quad = (top = false, bottom = false): string[] => {
    // Plane row 0 all zero (top; r0 then addresses row 1): rows 1-3 only, the first of them starting both
    // accumulator pairs from the bias. Plane row 3 all zero (bottom): rows 0-2 only.
    if (top) {
      return [`ldrd r12, lr, [r0], #4`,
        `smlad r8, r12, r4, r10`, `smlatb r9, r12, r4, r10`, `smlabb r8, lr, r5, r8`, `smladx r9, lr, r5, r9`,
        `smlatb r11, r12, r2, r10`, `smlad r10, r12, r2, r10`, `smlabb r10, lr, r3, r10`, `smladx r11, lr, r3, r11`,
        `ldrd r12, lr, [r0, #${RW - 4}]`,
        ...mac4('r8', 'r9', 'r6', 'r7'), ...mac4('r10', 'r11', 'r4', 'r5'),
        ...(bottom ? [] : [`ldrd r12, lr, [r0, #${2 * RW - 4}]`, ...mac4('r10', 'r11', 'r6', 'r7')]),
        ...rq()];
    }
    // A bottom row pair has no fourth input row: its second output row stops after row 2's taps.
    return [
      ldq(0),
      `smlad r8, r12, r2, r10`, `smlatb r9, r12, r2, r10`, `smlabb r8, lr, r3, r8`, `smladx r9, lr, r3, r9`,
      ldq(1),
      ...mac4('r8', 'r9', 'r4', 'r5'),
      `smlatb r11, r12, r2, r10`, `smlad r10, r12, r2, r10`, `smlabb r10, lr, r3, r10`, `smladx r11, lr, r3, r11`,
      ldq(2),
      ...mac4('r8', 'r9', 'r6', 'r7'), ...mac4('r10', 'r11', 'r4', 'r5'),
      ...(bottom ? [] : [ldq(3), ...mac4('r10', 'r11', 'r6', 'r7')]),
      ...rq(),
    ];
  };
  /** One row pair's quads, odd last column and pointer steps; top / bottom: its plane row 0 / 3 is all zero. */
  const body = (top: boolean, bottom: boolean, u = U): string[] => {
    const q = () => quad(top, bottom);
    const nIter = Math.floor(FP / u), peel = FP % u, U_ = u;
    // Odd column loads: plane row r (r0 at row 1 when top).
    const lo = (r: number) => (top ? `ldrd r12, lr, [r0, #${(r - 1) * RW}]` : ldo(r));
    return [
      ...(top ? [`add r0, r0, #${RW}`] : []),
      // FP % U quads first, then U per iteration (the row end in the frame; the quads' LDM loads it into r8).
      ...Array.from({ length: peel }, q).flat(),
      ...(nIter === 1 ? Array.from({ length: U_ }, q).flat() : []),
      ...(nIter > 1 ? [
        `add r12, r0, #${4 * U_ * (nIter - 1)}`, `str r12, [sp, #${FRAME.rowEnd}]`,
        `2:`, ...Array.from({ length: U_ }, q).flat(), `cmp r0, r8`, `bls 2b`] : []),
      // The odd last column (r0 at its word, r1 at its output): out(ox) of both rows from the words (ox, ox+1) and
      // (ox+2, ox+3) of four plane rows: SMLAD with P and SMLABB with R per kernel row, bias from the frame.
      ...(oddW ? [
        ...(top ? [lo(1), `smlad r8, r12, r4, r10`, `smlabb r8, lr, r5, r8`]
          : [lo(0), `smlad r8, r12, r2, r10`, `smlabb r8, lr, r3, r8`,
            lo(1), `smlad r8, r12, r4, r8`, `smlabb r8, lr, r5, r8`]),
        `smlad r10, r12, r2, r10`, `smlabb r10, lr, r3, r10`,
        lo(2),
        `smlad r8, r12, r6, r8`, `smlabb r8, lr, r7, r8`, `smlad r10, r12, r4, r10`, `smlabb r10, lr, r5, r10`,
        ...(bottom ? [] : [lo(3), `smlad r10, r12, r6, r10`, `smlabb r10, lr, r7, r10`]),
        `ldrd r12, lr, [sp, #${FRAME.M}]`,
        `smmlar r9, r8, r12, lr`, ...(signFix(op, e) ? [`sub r9, r9, r8, lsr #31`] : []), ssat('r9'), ...clamp('r9'), `strb r9, [r1]`,
        `smmlar r9, r10, r12, lr`, ...(signFix(op, e) ? [`sub r9, r9, r10, lsr #31`] : []), ssat('r9'), ...clamp('r9'), `strb r9, [r1, #${oRow}]`,
        `ldr r10, [sp, #${FRAME.bias}]`,
      ] : []),
      // Next row pair: from the end of this one's quads.
      `add r0, r0, #${pairStep - 4 * FP - (top ? RW : 0)}`, `add r1, r1, #${2 * oRow - 2 * C * FP}`,
    ];
  };
  const lines = [
    // The body of a naked function (p, prm, o, nrp in r0-r3): weights and constants from prm, the plane end
    // p + nrp * pairStep; the frame FRAME, the bias in r10.
    ...framePrologue(d, pairStep, edges),
    ...(edges ? [
      // Runtime flags (FRAME.flags): the first pair without its plane row 0, the middle pairs, the last without its row 3
      // (edge bodies at most two quads per iteration, for their code).
      `tst lr, #1`, `beq 3f`, ...body(true, false, Math.min(U, 2)), `3:`,
      `ldr r8, [sp, #${FRAME.planeEnd}]`, `cmp r0, r8`, `beq 4f`,
      `1:`, ...body(false, false), `ldr r8, [sp, #${FRAME.planeEnd}]`, `cmp r0, r8`, `bne 1b`,
      `4:`, `ldr lr, [sp, #${FRAME.flags}]`, `tst lr, #2`, `beq 5f`, ...body(false, true, Math.min(U, 2)), `5:`,
    ] : fixed ? [
      // A fixed number of row pairs (one ring step): the first with a zero plane row 0, the last with a zero row 3
      // where the padding puts them, the others in the loop (its end one pair before the plane end).
      ...body(fixed.top, fixed.np === 1 && fixed.bottom),
      ...(fixed.np > 2 ? [`ldr r8, [sp, #${FRAME.planeEnd}]`, `sub r8, r8, #${pairStep}`, `str r8, [sp, #${FRAME.planeEnd}]`,
        `1:`, ...body(false, false), `ldr r8, [sp, #${FRAME.planeEnd}]`, `cmp r0, r8`, `bne 1b`] : []),
      ...(fixed.np >= 2 ? body(false, fixed.bottom) : []),
    ] : [`1:`, ...body(false, false), `ldr r8, [sp, #${FRAME.planeEnd}]`, `cmp r0, r8`, `bne 1b`]),
    // The odd last row after the last pair (one-step layers: r0, r1 are at its plane row and output row).
    ...tail,
    `add sp, sp, #32`, `pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}`,
  ];
  return lines.map((l) => `"${l}\\n\\t"`).join('\n      ');
}

/**
 * One output row at a time (stride 1: the odd last row of a step), as the body of a naked function
 * (p, prm, o, nrp): per output pair the words A, B of plane rows 0-2 (3 LDRD, 12 MAC instructions for 18
 * MACs), then two requantisations with r10, r11 free; the odd last column, if any, from SMLAD + SMLABB.
 * Frame as quadLoopAsm's.
 */
function rowLoopAsm(e: number, d: number, op: KDepthwiseConv2d, FP: number, RW: number, OS: number, oRow: number, words: number, bottom = false): string | undefined {
  if (2 * RW + 4 > 1020 || oRow > 4095 || 2 * OS * FP > 4095 || 4 * FP > 4095 || 4 * words > 4095) return undefined;
  const lines = [
    ...framePrologue(d, 4 * words),
    `1:`,
    ...rowBody(e, op, FP, RW, OS, bottom),
    `add r0, r0, #${4 * words - 4 * FP}`, `add r1, r1, #${oRow - 2 * OS * FP}`,
    `ldr r12, [sp, #${FRAME.planeEnd}]`, `cmp r0, r12`, `bne 1b`,
    `add sp, sp, #32`, `pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}`,
  ];
  return lines.map((l) => `"${l}\\n\\t"`).join('\n      ');
}

/** One output row's pairs and odd last column from r0 (plane) and r1 (output), frame as quadLoopAsm's. */
function rowBody(e: number, op: KDepthwiseConv2d, FP: number, RW: number, OS: number, bottom: boolean): string[] {
  // bottom: plane row 2 is all zero (the padding below the last row), skipped.
  const ks = bottom ? [0, 1] : [0, 1, 2];
  const clamp = (r: string): string[] => [
    ...(op.actMin > -128 ? [`cmp ${r}, #${op.actMin}`, `it lt`, `movlt ${r}, #${op.actMin}`] : []),
    ...(op.actMax < 127 ? [`cmp ${r}, #${op.actMax}`, `it gt`, `movgt ${r}, #${op.actMax}`] : []),
  ];
  const ssat = (r: string) => (e > 0 ? `ssat ${r}, #8, ${r}, asr #${e}` : `ssat ${r}, #8, ${r}`);
  const rq = (t: string, acc: string, at: string) => [`smmlar ${t}, ${acc}, r12, lr`, ...(signFix(op, e) ? [`sub ${t}, ${t}, ${acc}, lsr #31`] : []), ssat(t), ...clamp(t), `strb ${t}, ${at}`];
  const P = (k: number) => `r${2 + 2 * k}`, R = (k: number) => `r${3 + 2 * k}`;
  const pair = [
    `ldr r10, [sp, #${FRAME.bias}]`,
    ...ks.flatMap((k) => [k === 0 ? `ldrd r12, lr, [r0], #4` : `ldrd r12, lr, [r0, #${k * RW - 4}]`,
      `smlad r8, r12, ${P(k)}, ${k === 0 ? 'r10' : 'r8'}`, `smlatb r9, r12, ${P(k)}, ${k === 0 ? 'r10' : 'r9'}`,
      `smlabb r8, lr, ${R(k)}, r8`, `smladx r9, lr, ${R(k)}, r9`]),
    `ldrd r12, lr, [sp, #${FRAME.M}]`,
    ...rq('r10', 'r8', '[r1]'), ...rq('r11', 'r9', `[r1, #${OS}]`),
    `add r1, r1, #${2 * OS}`,
  ];
  const odd = [
    `ldr r10, [sp, #${FRAME.bias}]`,
    ...ks.flatMap((k) => [k === 0 ? `ldrd r12, lr, [r0]` : `ldrd r12, lr, [r0, #${k * RW}]`,
      `smlad r8, r12, ${P(k)}, ${k === 0 ? 'r10' : 'r8'}`, `smlabb r8, lr, ${R(k)}, r8`]),
    `ldrd r12, lr, [sp, #${FRAME.M}]`, ...rq('r10', 'r8', '[r1]'),
  ];
  return [
    ...(FP > 1 ? [`add r12, r0, #${4 * (FP - 1)}`, `str r12, [sp, #${FRAME.rowEnd}]`, `2:`] : []),
    ...(FP > 0 ? pair : []),
    ...(FP > 1 ? [`ldr r12, [sp, #${FRAME.rowEnd}]`, `cmp r0, r12`, `bls 2b`] : []),
    ...(op.outW % 2 ? odd : []),
  ];
}

/**
 * Requantisation of a 2x2 block's accumulators r8 (row 0, column 0), r9 (0, 1), r10 (1, 0), r11 (1, 1) to
 * r1 + base + {0, OS, oRow, oRow + OS}, with M, C at sp + 16, sp + 20 (requant.ts). r8 goes out in place
 * (the tie correction folded into C, then C reloaded); r8, r9, r10 are the temporaries for r9, r10, r11.
 */
function blockRequant(e: number, op: KDepthwiseConv2d, base: number, OS: number, oRow: number): string[] {
  const clamp = (r: string): string[] => [
    ...(op.actMin > -128 ? [`cmp ${r}, #${op.actMin}`, `it lt`, `movlt ${r}, #${op.actMin}`] : []),
    ...(op.actMax < 127 ? [`cmp ${r}, #${op.actMax}`, `it gt`, `movgt ${r}, #${op.actMax}`] : []),
  ];
  const ssat = (r: string) => (e > 0 ? `ssat ${r}, #8, ${r}, asr #${e}` : `ssat ${r}, #8, ${r}`);
  const rq: string[] = [`ldrd r12, lr, [sp, #16]`];
  const at = (off: number) => (base + off === 0 ? `[r1]` : `[r1, #${base + off}]`);
  if (signFix(op, e)) rq.push(`sub lr, lr, r8, lsr #31`, `smmlar r8, r8, r12, lr`, ssat('r8'), ...clamp('r8'), `strb r8, ${at(0)}`, `ldr lr, [sp, #20]`);
  else rq.push(`smmlar r8, r8, r12, lr`, ssat('r8'), ...clamp('r8'), `strb r8, ${at(0)}`);
  const outs: Array<[string, string, number]> = [['r9', 'r8', OS], ['r10', 'r9', oRow], ['r11', 'r10', oRow + OS]];
  for (const [acc, t, off] of outs) {
    rq.push(`smmlar ${t}, ${acc}, r12, lr`);
    if (signFix(op, e)) rq.push(`sub ${t}, ${t}, ${acc}, lsr #31`);
    rq.push(ssat(t), ...clamp(t), `strb ${t}, ${at(off)}`);
  }
  return rq;
}

/**
 * Stride 2, two output rows at a time, as the body of a naked function (p, prm, o, nrp): 2x2 blocks over
 * plane rows 0-4 (output row 0 reads rows 0-2, row 1 rows 2-4; row 2 serves both), per plane row the words
 * W0 = (2ox, 2ox+1), W1, W2 (LDRD + LDR):
 *     out(ox) += SMLAD(W0, P) + SMLABB(W1, R),   out(ox+1) += SMLAD(W1, P) + SMLABB(W2, R)
 * 10 loads and 24 MAC instructions for 36 MACs, then blockRequant; an odd last column as two outputs.
 * Frame as quadLoopAsm's (sp + 8 bias, + 12 plane end, + 16 M, + 20 C, + 24 row end).
 */
function blockLoopAsmS2(e: number, d: number, op: KDepthwiseConv2d, pairs: number, RW: number, OS: number, oRow: number, words: number): string | undefined {
  if (4 * RW + 8 > 1020 || 2 * oRow + OS > 4095 || 2 * OS * pairs > 4095 || 8 * pairs > 4095 || 16 * words > 4095) return undefined;
  const clamp = (r: string): string[] => [
    ...(op.actMin > -128 ? [`cmp ${r}, #${op.actMin}`, `it lt`, `movlt ${r}, #${op.actMin}`] : []),
    ...(op.actMax < 127 ? [`cmp ${r}, #${op.actMax}`, `it gt`, `movgt ${r}, #${op.actMax}`] : []),
  ];
  const ssat = (r: string) => (e > 0 ? `ssat ${r}, #8, ${r}, asr #${e}` : `ssat ${r}, #8, ${r}`);
  // Weights of kernel row k: P in r(2+2k), R in r(3+2k). Plane row r, after the first LDRD advanced r0 by 8.
  const P = (k: number) => `r${2 + 2 * k}`, R = (k: number) => `r${3 + 2 * k}`;
  const ld = (r: number) => (r === 0 ? [`ldrd r12, lr, [r0], #8`, `ldr r12, [r0, #0]`] : [`ldrd r12, lr, [r0, #${r * RW - 8}]`, `ldr r12, [r0, #${r * RW}]`]);
  /** Plane row r into accumulators a0 (column ox) and a1 (ox + 1) with kernel row k; `init` = the bias register. */
  const row = (r: number, k: number, a0: string, a1: string, init?: string): string[] => {
    const [l2, l3] = ld(r);
    return [l2!, `smlad ${a0}, r12, ${P(k)}, ${init ?? a0}`, `smlabb ${a0}, lr, ${R(k)}, ${a0}`, `smlad ${a1}, lr, ${P(k)}, ${init ?? a1}`,
      l3!, `smlabb ${a1}, r12, ${R(k)}, ${a1}`];
  };
  const block = [
    `ldr r10, [sp, #8]`,
    ...row(0, 0, 'r8', 'r9', 'r10'), ...row(1, 1, 'r8', 'r9'),
    // Plane row 2: kernel row 2 of output row 0 and row 0 of output row 1 (r10 holds the bias until its last use).
    `ldrd r12, lr, [r0, #${2 * RW - 8}]`,
    `smlad r8, r12, ${P(2)}, r8`, `smlabb r8, lr, ${R(2)}, r8`, `smlad r9, lr, ${P(2)}, r9`,
    `smlad r11, lr, ${P(0)}, r10`, `smlad r10, r12, ${P(0)}, r10`, `smlabb r10, lr, ${R(0)}, r10`,
    `ldr r12, [r0, #${2 * RW}]`,
    `smlabb r9, r12, ${R(2)}, r9`, `smlabb r11, r12, ${R(0)}, r11`,
    ...row(3, 1, 'r10', 'r11'), ...row(4, 2, 'r10', 'r11'),
    ...blockRequant(e, op, 0, OS, oRow),
    `add r1, r1, #${2 * OS}`,
  ];
  // The odd last column of both rows: W0, W1 of plane rows 0-4 (r0 at its word, not advanced).
  const odd = [
    `ldr r10, [sp, #8]`,
    ...[0, 1, 2, 3, 4].flatMap((r) => {
      const l = r === 0 ? `ldrd r12, lr, [r0]` : `ldrd r12, lr, [r0, #${r * RW}]`;
      const out: string[] = [l];
      if (r <= 2) out.push(`smlad r8, r12, ${P(r)}, ${r === 0 ? 'r10' : 'r8'}`, `smlabb r8, lr, ${R(r)}, r8`);
      if (r >= 2) out.push(`smlad r9, r12, ${P(r - 2)}, ${r === 2 ? 'r10' : 'r9'}`, `smlabb r9, lr, ${R(r - 2)}, r9`);
      return out;
    }),
    `ldrd r12, lr, [sp, #16]`,
    `smmlar r10, r8, r12, lr`, ...(signFix(op, e) ? [`sub r10, r10, r8, lsr #31`] : []), ssat('r10'), ...clamp('r10'), `strb r10, [r1]`,
    `smmlar r10, r9, r12, lr`, ...(signFix(op, e) ? [`sub r10, r10, r9, lsr #31`] : []), ssat('r10'), ...clamp('r10'), `strb r10, [r1, #${oRow}]`,
  ];
  const lines = [
    ...weightPrologue(d, 16 * words),
    `mov lr, r8`,
    `push {r0, r1, r8, r9, r10, r11, r12, lr}`,
    `1:`,
    ...(pairs > 1 ? [`add r12, r0, #${8 * (pairs - 1)}`, `str r12, [sp, #24]`, `2:`] : []),
    ...(pairs > 0 ? block : []),
    ...(pairs > 1 ? [`ldr r12, [sp, #24]`, `cmp r0, r12`, `bls 2b`] : []),
    ...(op.outW % 2 ? odd : []),
    `add r0, r0, #${16 * words - 8 * pairs}`, `add r1, r1, #${2 * oRow - 2 * OS * pairs}`,
    `ldr r12, [sp, #12]`, `cmp r0, r12`, `bne 1b`,
    `add sp, sp, #32`, `pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}`,
  ];
  return lines.map((l) => `"${l}\\n\\t"`).join('\n      ');
}

/**
 * The stride-2 loop over output pairs as inline assembly (DSP only; every register saved and restored).
 * Frame fr[12]: P0, R0, P1, R1, P2, R2, bias, plane pointer after the last row, M, C, plane pointer, output.
 * Registers: r0 plane, r1 output, r2-r7 weights, r8/r9 accumulators, r10-r12 the words W0, W1, W2 of a
 * kernel row (then M, C and a temporary), lr bias then temporary. 32 instructions per pair (18 MACs).
 */
function pairLoopAsmS2(e: number, op: KDepthwiseConv2d, pairs: number, RW: number, OS: number, oRow: number, words: number, nakedScale?: number): string | undefined {
  if (oRow > 4095 || 2 * OS > 4095 || 8 * pairs > 4095 || 2 * RW + 8 > 1020) return undefined;
  const clamp = (r: string): string[] => [
    ...(op.actMin > -128 ? [`cmp ${r}, #${op.actMin}`, `it lt`, `movlt ${r}, #${op.actMin}`] : []),
    ...(op.actMax < 127 ? [`cmp ${r}, #${op.actMax}`, `it gt`, `movgt ${r}, #${op.actMax}`] : []),
  ];
  const ssat = (r: string) => (e > 0 ? `ssat ${r}, #8, ${r}, asr #${e}` : `ssat ${r}, #8, ${r}`);
  const rq = (t: string, acc: string, at: string) => [`smmlar ${t}, ${acc}, r10, r11`, ...(signFix(op, e) ? [`sub ${t}, ${t}, ${acc}, lsr #31`] : []), ssat(t), ...clamp(t), `strb ${t}, ${at}`];
  const rows: string[] = [];
  for (let r = 0; r < 3; r++) {
    const [P, R] = [`r${2 + 2 * r}`, `r${3 + 2 * r}`];
    if (r === 0) rows.push(`ldrd r10, r11, [r0], #8`, `ldr r12, [r0, #0]`,
      `smlad r8, r10, ${P}, lr`, `smlabb r8, r11, ${R}, r8`, `smlad r9, r11, ${P}, lr`, `smlabb r9, r12, ${R}, r9`);
    else rows.push(`ldrd r10, r11, [r0, #${r * RW - 8}]`, `ldr r12, [r0, #${r * RW}]`,
      `smlad r8, r10, ${P}, r8`, `smlabb r8, r11, ${R}, r8`, `smlad r9, r11, ${P}, r9`, `smlabb r9, r12, ${R}, r9`);
  }
  const naked = nakedScale !== undefined;
  const lines = [
    // Naked: the prologue reads the weights (r2-r7), bias, M, C and sets the plane end; otherwise from fr.
    ...(naked ? weightPrologue(nakedScale, 8 * words) : [
      `push {r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, lr}`, `mov r12, %[fr]`,
      `ldrd r2, r3, [r12, #0]`, `ldrd r4, r5, [r12, #8]`, `ldrd r6, r7, [r12, #16]`,
      `ldrd r8, r9, [r12, #24]`, `ldrd r10, r11, [r12, #32]`, `ldrd r0, r1, [r12, #40]`]),
    // sp + 0 bias, + 4 plane end, + 8 M, + 12 C, + 16 row end, + 20 spare.
    `push {r8, r9, r10, r11, r12, lr}`,
    `1:`,
    // The row's output pairs: a loop, or straight code for one pair.
    ...(pairs > 1 ? [`add r12, r0, #${8 * (pairs - 1)}`, `str r12, [sp, #16]`, `2:`] : []),
    ...(pairs > 0 ? [`ldr lr, [sp, #0]`,
      ...rows,
      `ldrd r10, r11, [sp, #8]`,
      ...rq('r12', 'r8', '[r1]'), ...rq('lr', 'r9', `[r1, #${OS}]`),
      `add r1, r1, #${2 * OS}`] : []),
    ...(pairs > 1 ? [`ldr r12, [sp, #16]`, `cmp r0, r12`, `bls 2b`] : []),
    // Naked, odd widths: the last column, out(ox) = SMLAD(W0, P) + SMLABB(W1, R) per kernel row (r0, r1 stay).
    ...(naked && op.outW % 2 ? [`ldr lr, [sp, #0]`,
      ...[0, 1, 2].flatMap((r) => [r === 0 ? `ldrd r10, r11, [r0]` : `ldrd r10, r11, [r0, #${r * RW}]`,
        `smlad r8, r10, r${2 + 2 * r}, ${r === 0 ? 'lr' : 'r8'}`, `smlabb r8, r11, r${3 + 2 * r}, r8`]),
      `ldrd r10, r11, [sp, #8]`, ...rq('r12', 'r8', '[r1]')] : []),
    `add r0, r0, #${8 * words - 8 * pairs}`, `add r1, r1, #${oRow - 2 * OS * pairs}`,
    `ldr r12, [sp, #4]`, `cmp r0, r12`, `bne 1b`,
    `add sp, sp, #24`, naked ? `pop {r4, r5, r6, r7, r8, r9, r10, r11, pc}` : `pop {r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, lr}`,
  ];
  return lines.map((l) => `"${l}\\n\\t"`).join('\n      ');
}
