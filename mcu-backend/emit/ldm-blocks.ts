// LDM-fed inner products for the windowed int16-weight conv / pointwise / fully connected kernels
// (conv-window.ts) on Cortex-M4: one output pixel x Q <= 4 output channels per block, the reduction in
// steps of 8 values, each step one LDMIA of 4 widened input words and per channel one LDMIA of 4 weight
// words feeding 4 SMLADs: 1 + 5Q instructions per 16Q MACs (0.656 instructions/MAC at Q = 4, against
// 0.708 for the LDRD blocking of dot-blocks.ts at 3 pixels x 2 channels). Registers (a fixed plan, so the
// LDM register lists ascend): r0 input, r1 weights, r2-r5 input words, r6-r9 weight words, r10-r12/lr
// accumulators; the loop ends, the output pointer and the block's weight start live on the stack. The
// whole per-block loop over the pixels of a row or chunk is one inline-assembly statement that saves and
// restores every register (it constrains the compiler in nothing); the portable C path (host builds,
// TF_HOST_SIMD) computes the same sums from the same table. Two special forms: a partial last step of 1-3
// words (gathered columns whose length is not a multiple of 8 values), and the pixel-major form of a 1x1
// over 8 input channels (the pixel's 4 words held, one LDMIA per output channel: 9 instructions per 8 MACs).
//
// Applies to a single-group convolution whose kernel rows are contiguous runs of the widened buffer
// (dilationW = 1, not packed) of a multiple of 8 values (kW * bufC; bufC for a 1x1 / FC), int16 weights and
// double rounding (the 4-instruction requantisation of requant.ts). A reduction is unrolled up to 32 steps,
// else looped over kernel rows (<= 32 steps each) or, for a single row, over chunks of 8-16 steps.
//
// Table per channel block: Q accumulator starts (bias * wScale), the weights in consumption order (per
// step, per channel, 8 int16 values = 4 words), per channel (M, C, output index[, shift]). One call walks
// every block of a function's range (consecutive entries) over the same pixels.
//
// Int8 weights (`pair`, conv-window.ts's 'int8p' form): the same blocks with the weights int8 in flash, 2
// words per channel and step, at the same modelled cycles on the M4 (LDM of 2 words, 2 SXTB16, 4 SMLAD =
// 9 cycles, as LDM of 4 words and 4 SMLAD). Each word holds two pairs (lo, hi) of adjacent input positions
// stored so that its halfwords are exactly h = 256 * w_hi + w_lo (bytes w_lo, w_hi - [w_lo < 0]); SXTB16
// gives (w_lo, w_lo'). The widened input holds per 4 values the words A = (q_hi - 127, q_hi' - 127) and
// B = 256 * q_lo - A (q the raw int8 input, lane-wise, always within int16), and
//   SMLAD(word, A) + SMLAD(SXTB16(word), B) = 256 * (w_lo * q_lo + w_hi * (q_hi - 127) + (same for ')),
// so one SXTB16 per 4 weights (not 2), and the accumulator is 256 x the true one (the input offset and
// the 127 folded into the start; the requantisation first shifts it to 2^(left+1) x). Exact while the
// true accumulator stays within 2^23 and no pair has w_hi = -128 with w_lo < 0 (conv-window.ts checks).

import type { Requantise } from '../../compiler/kernel-ir/types.ts';
import type { DotGeometry } from './dot-blocks.ts';
import { pairWordRun } from './pair-words.ts';
import { requantC, signFix } from './requant.ts';
import type { WordOrder } from './word-steps.ts';

export const LDM_Q = 4;
/** Values per step (4 words of int16 pairs). */
const STEP_VALUES = 8;
const MAX_UNROLLED = 32;

export interface LdmGeometry {
  /** Kernel rows and 8-value steps per row. */
  rows: number; steps: number;
  /** Bytes between kernel rows and between consecutive output pixels, in the widened buffer. */
  rowBytes: number; pixelBytes: number;
  /** Output bytes between consecutive pixels. */
  outPixel: number;
  loop: { kind: 'none' } | { kind: 'rows' } | { kind: 'chunks'; U: number; iters: number };
  /** Int8 weights in the pair encoding (2 words per channel and step), the input widened to (A, B) words. */
  pair?: boolean;
  /**
   * Words (1-3) of a last, partial step after the `steps` whole ones (one row, unrolled, int16 weights, at
   * least one whole step): LDMIA of that many input words and, per channel, of that many weight words.
   */
  tail?: number;
  /**
   * Pixel-major form of a single 8-value step (a 1x1 convolution over 8 input channels, plain form, one
   * group, at most 64 output channels): per pixel one LDMIA of the 4 input words, kept in registers, then per
   * output channel one LDMIA of its entry (4 weight words, accumulator start, M, C), 4 SMLADs and the
   * requantisation with the shift and output index as immediates: 9 instructions per channel, where the
   * channel blocks reload the input and the loop state per block of 4 (45 per 4 channels).
   */
  pixelMajor?: boolean;
}

/** Weight words per channel and 8-value step. */
function weightWords(lg: LdmGeometry): number { return lg.pair ? 2 : 4; }

/** The pair-encoded word of int8 weights (w0, w1, w2, w3) (see the header), or undefined when unencodable. */
export function pairWord(w0: number, w1: number, w2: number, w3: number): number | undefined {
  const b1 = w1 - (w0 < 0 ? 1 : 0), b3 = w3 - (w2 < 0 ? 1 : 0);
  if (b1 < -128 || b3 < -128) return undefined;
  return ((w0 & 0xff) | (b1 & 0xff) << 8 | (w2 & 0xff) << 16 | (b3 & 0xff) << 24) >>> 0;
}

/** The LDM geometry of a windowed plan, or why it does not apply. */
export function ldmGeometry(g: DotGeometry, packed: boolean, dilationW: number): LdmGeometry | { reason: string } {
  if (g.groups !== 1) return { reason: 'grouped convolution' };
  if (packed || dilationW !== 1 || g.kColStep !== g.bufC) return { reason: 'kernel rows not contiguous' };
  const run = g.kW * g.bufC;
  if (run % STEP_VALUES) return { reason: `kernel row of ${run} values is not a multiple of ${STEP_VALUES}` };
  const steps = run / STEP_VALUES, rows = g.kH;
  let loop: LdmGeometry['loop'];
  if (rows * steps <= MAX_UNROLLED) loop = { kind: 'none' };
  else if (steps <= MAX_UNROLLED && rows > 1) loop = { kind: 'rows' };
  else if (rows === 1) {
    let U = 16;
    for (let u = 16; u >= 8; u--) if (steps % u === 0) { U = u; break; }
    loop = { kind: 'chunks', U, iters: Math.floor(steps / U) };
  } else return { reason: `kernel rows of ${steps} steps are too long` };
  return { rows, steps, rowBytes: g.kRowStep * 2, pixelBytes: g.pixelStep * 2, outPixel: g.outC, loop };
}

/** Estimated instructions of one block of q channels over n pixels (a call adds about 25 for its frame). */
export function ldmBlockInstructions(lg: LdmGeometry, q: number, n: number, perOutput: number): number {
  const steps = lg.rows * lg.steps;
  const loopCost = lg.loop.kind === 'rows' ? 5 * lg.rows + 3 : lg.loop.kind === 'chunks' ? 4 * lg.loop.iters + 3 : lg.rows - 1;
  const tail = lg.tail ? 1 + (1 + lg.tail) * q : 0;
  return 8 + n * (steps * (1 + (lg.pair ? 7 : 5) * q) + tail + q * (perOutput + (lg.pair ? 2 : 1)) + loopCost + 10);
}

/**
 * Whether a block's accumulator starts ride in the first weight LDM (fully unrolled reductions: words 4.. of
 * the entry, after the first channel's first step), saving one LDM per pixel and block.
 */
function biasMerged(lg: LdmGeometry): boolean { return lg.loop.kind === 'none'; }

/** The block's table entry. */
export function ldmBlockWords(q: number, lg: LdmGeometry, weight: (oc: number, ky: number, v: number) => number, chans: number[],
  start: (oc: number) => number, params: (oc: number) => number[]): number[] {
  const out: number[] = [];
  const merged = biasMerged(lg);
  const ww = weightWords(lg);
  if (!merged) for (const oc of chans) out.push(start(oc) >>> 0);
  for (let ky = 0; ky < lg.rows; ky++)
    for (let s = 0; s < lg.steps; s++)
      for (const oc of chans) {
        const v = (i: number) => weight(oc, ky, s * STEP_VALUES + i);
        if (lg.pair) for (let i = 0; i < STEP_VALUES; i += 4) {
          const word = pairWord(v(i), v(i + 1), v(i + 2), v(i + 3));
          if (word === undefined) throw new Error(`channel ${oc}: int8 weight pair (${v(i)}, ${v(i + 1)}) or (${v(i + 2)}, ${v(i + 3)}) has no pair encoding`);
          out.push(word);
        }
        else for (let i = 0; i < STEP_VALUES; i += 2) out.push(((v(i) & 0xffff) | (v(i + 1) & 0xffff) << 16) >>> 0);
        // Unrolled reductions: the accumulator starts follow the first channel's first weights (one LDM).
        if (merged && out.length === ww) for (const c of chans) out.push(start(c) >>> 0);
      }
  const tail = lg.tail ?? 0;
  for (const oc of chans) for (let i = 0; i < tail; i++) {
    const v = (j: number) => weight(oc, 0, lg.steps * STEP_VALUES + 2 * i + j);
    out.push(((v(0) & 0xffff) | (v(1) & 0xffff) << 16) >>> 0);
  }
  for (const oc of chans) out.push(...params(oc).map((v) => v >>> 0));
  if (out.length !== q * (1 + lg.rows * lg.steps * ww + tail + params(chans[0]!).length)) throw new Error('ldm table size');
  return out;
}

/** `add dst, src, #imm` for any imm (tmp may be clobbered). */
function addImm(dst: string, src: string, imm: number, tmp: string): string[] {
  if (imm === 0) return dst === src ? [] : [`mov ${dst}, ${src}`];
  const a = Math.abs(imm), op = imm > 0 ? 'add' : 'sub';
  if (a <= 4095) return [`${op}w ${dst}, ${src}, #${a}`];
  return [`movw ${tmp}, #${a & 0xffff}`, ...(a > 0xffff ? [`movt ${tmp}, #${a >>> 16}`] : []), `${op} ${dst}, ${src}, ${tmp}`];
}

const ACC = ['r10', 'r11', 'r12', 'lr'];

/**
 * `static void <fn>(const int16_t *in, const uint32_t *w, int8_t *out, int n, int nb)`: n output pixels of
 * each of the nb blocks whose table entries start at w (consecutive), input at in (pixel 0's first kernel row), outputs at out (pixel 0,
 * channel index from the table). es: the channels' SSAT shifts (regShift: 1 when e > 0, the shift read
 * from the table).
 */
export function emitLdmBlockFn(fn: string, lg: LdmGeometry, q: number, es: number[], rq: Requantise, regShift: boolean, onePixel = false,
  preShift: number[] = [], words?: WordOrder): string {
  const np = regShift ? 4 : 3;
  const ww = weightWords(lg);
  const tail = lg.tail ?? 0;
  if (tail && (lg.pair || lg.rows !== 1 || lg.loop.kind !== 'none' || lg.steps < 1 || tail > 3)) throw new Error('ldm tail step: one unrolled int16 row after a whole step');
  // Table words per block.
  const entryWords = q * (1 + lg.rows * lg.steps * ww + tail + np);
  const stepWords = q * ww;
  const clamp = (r: string): string[] => [
    ...(rq.actMin > -128 ? [`cmp ${r}, #${rq.actMin}`, `it lt`, `movlt ${r}, #${rq.actMin}`] : []),
    ...(rq.actMax < 127 ? [`cmp ${r}, #${rq.actMax}`, `it gt`, `movgt ${r}, #${rq.actMax}`] : []),
  ];
  const accs = ACC.slice(0, q);
  const merged = biasMerged(lg);
  const step = (first = false): string[] => {
    const L = [`ldmia r0!, {r2, r3, r4, r5}`];
    // Pair form: r2, r3 = A, B of the first 4 values, r4, r5 of the next 4; r6, r7 the channel's 2 weight words, r8 SXTB16.
    if (lg.pair) accs.forEach((a, i) => L.push(first && i === 0 ? `ldmia r1!, {r6, r7, ${accs.join(', ')}}` : `ldmia r1!, {r6, r7}`,
      `sxtb16 r8, r6`, `smlad ${a}, r6, r2, ${a}`, `smlad ${a}, r8, r3, ${a}`,
      `sxtb16 r8, r7`, `smlad ${a}, r7, r4, ${a}`, `smlad ${a}, r8, r5, ${a}`));
    else accs.forEach((a, i) => L.push(first && i === 0 ? `ldmia r1!, {r6, r7, r8, r9, ${accs.join(', ')}}` : `ldmia r1!, {r6, r7, r8, r9}`,
      `smlad ${a}, r2, r6, ${a}`, `smlad ${a}, r3, r7, ${a}`, `smlad ${a}, r4, r8, ${a}`, `smlad ${a}, r5, r9, ${a}`));
    return L;
  };
  // The accumulator scaled to 2^(left+1) x the true one before the requantisation (pair form: from 256 x).
  const pre = (a: string, i: number): string[] => { const s = preShift[i] ?? 0; return s > 0 ? [`asr ${a}, ${a}, #${s}`] : s < 0 ? [`lsl ${a}, ${a}, #${-s}`] : []; };
  const runBytes = lg.steps * STEP_VALUES * 2 + tail * 4;
  // sp + 0 output pointer, + 4 last pixel's input, + 8 block weights, + 12 loop end.
  const red: string[] = [];
  let consumed: number; // bytes r0 moved from the pixel start when the reduction ends
  // Pair form with word loads (pair-words.ts): the same table and input reads as single LDRs, ordered for the core.
  const wordRun = lg.pair && words ? (steps: number, first: boolean, skip: (k: number) => number) => pairWordRun(words, accs, steps, first, skip, addImm) : undefined;
  if (wordRun && lg.loop.kind === 'none') {
    const steps = lg.steps;
    red.push(...wordRun(lg.rows * steps, merged, (k) => (k % steps === steps - 1 && k + 1 < lg.rows * steps ? lg.rowBytes - runBytes : 0)));
    consumed = (lg.rows - 1) * lg.rowBytes + runBytes;
  } else if (wordRun && lg.loop.kind === 'rows') {
    red.push(...addImm('r6', 'r0', lg.rows * lg.rowBytes, 'r7'), `str r6, [sp, #12]`, `2:`,
      ...wordRun(lg.steps, false, (k) => (k === lg.steps - 1 ? lg.rowBytes - runBytes : 0)), `ldr r6, [sp, #12]`, `cmp r0, r6`, `bne 2b`);
    consumed = lg.rows * lg.rowBytes;
  } else if (wordRun && lg.loop.kind === 'chunks') {
    const { U, iters } = lg.loop;
    red.push(...addImm('r6', 'r0', iters * U * STEP_VALUES * 2, 'r7'), `str r6, [sp, #12]`, `2:`,
      ...wordRun(U, false, () => 0), `ldr r6, [sp, #12]`, `cmp r0, r6`, `bne 2b`);
    if (lg.steps > iters * U) red.push(...wordRun(lg.steps - iters * U, false, () => 0));
    consumed = runBytes;
  } else if (lg.loop.kind === 'none') {
    for (let ky = 0; ky < lg.rows; ky++) {
      if (ky > 0) red.push(...addImm('r0', 'r0', lg.rowBytes - runBytes, 'r6'));
      for (let s = 0; s < lg.steps; s++) red.push(...step(merged && ky === 0 && s === 0));
    }
    if (tail) {
      const regs = (from: number) => Array.from({ length: tail }, (_, i) => `r${from + i}`);
      red.push(`ldmia r0!, {${regs(2).join(', ')}}`);
      for (const a of accs) red.push(`ldmia r1!, {${regs(6).join(', ')}}`, ...regs(2).map((x, i) => `smlad ${a}, ${x}, r${6 + i}, ${a}`));
    }
    consumed = (lg.rows - 1) * lg.rowBytes + runBytes;
  } else if (lg.loop.kind === 'rows') {
    red.push(...addImm('r6', 'r0', lg.rows * lg.rowBytes, 'r7'), `str r6, [sp, #12]`, `2:`);
    for (let s = 0; s < lg.steps; s++) red.push(...step());
    red.push(...addImm('r0', 'r0', lg.rowBytes - runBytes, 'r6'), `ldr r6, [sp, #12]`, `cmp r0, r6`, `bne 2b`);
    consumed = lg.rows * lg.rowBytes;
  } else {
    const { U, iters } = lg.loop;
    red.push(...addImm('r6', 'r0', iters * U * STEP_VALUES * 2, 'r7'), `str r6, [sp, #12]`, `2:`);
    for (let s = 0; s < U; s++) red.push(...step());
    red.push(`ldr r6, [sp, #12]`, `cmp r0, r6`, `bne 2b`);
    for (let s = iters * U; s < lg.steps; s++) red.push(...step());
    consumed = runBytes;
  }
  // Requantise: r6 the output pointer; immediate shifts take two channels' (M, C, index) per LDM.
  // When an input pixel is 2^k output pixels' bytes (k >= 0), the output pointer follows from r0 (at the
  // pixel's start + consumed): out = C0 + (r0 >> k), C0 in the frame, so the loop keeps no output pointer.
  const k = Math.log2(lg.pixelBytes / lg.outPixel);
  const fromInput = !onePixel && Number.isInteger(k) && k >= 0 && k < 32;
  // Several pixels: one LDRD takes the output pointer (r6) and the last pixel's input (r5, the loop bound).
  const ld6 = onePixel ? `ldr r6, [sp, #0]` : `ldrd r6, r5, [sp, #0]`;
  const rqL: string[] = fromInput ? [ld6, k ? `add r6, r6, r0, lsr #${k}` : `add r6, r6, r0`] : [ld6];
  // t = SMMLAR(acc, M, C) - (acc < 0): the sign taken off the channel's C first, so the accumulator takes t.
  const rqOne = (a: string, e: number, M: string, C: string, idx: string, sh?: string) => {
    rqL.push(...pre(a, accs.indexOf(a)));
    if (signFix(rq, e)) rqL.push(`sub ${C}, ${C}, ${a}, lsr #31`);
    rqL.push(`smmlar ${a}, ${a}, ${M}, ${C}`);
    if (sh) rqL.push(`asr ${a}, ${a}, ${sh}`, `ssat ${a}, #8, ${a}`);
    else rqL.push(e ? `ssat ${a}, #8, ${a}, asr #${e}` : `ssat ${a}, #8, ${a}`);
    rqL.push(...clamp(a), `strb ${a}, [r6, ${idx}]`);
  };
  for (let i = 0; i < q; i++) {
    if (regShift) { rqL.push(`ldmia r1!, {r2, r3, r4, r7}`); rqOne(accs[i]!, es[i]!, 'r2', 'r3', 'r4', 'r7'); continue; }
    if (i + 1 < q) {
      rqL.push(`ldmia r1!, {r2, r3, r4, r7, r8, r9}`);
      rqOne(accs[i]!, es[i]!, 'r2', 'r3', 'r4');
      rqOne(accs[i + 1]!, es[i + 1]!, 'r7', 'r8', 'r9');
      i++;
      continue;
    }
    rqL.push(`ldmia r1!, {r2, r3, r4}`);
    rqOne(accs[i]!, es[i]!, 'r2', 'r3', 'r4');
  }
  // The frame: in, w, out, last pixel's input, end of the blocks' table entries.
  const lines = [
    `push {r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, lr}`, `mov r12, %[fr]`,
    `ldrd r0, r1, [r12, #0]`, `ldrd r2, r3, [r12, #8]`, `ldr r4, [r12, #16]`,
    // sp + 0 output pointer, + 4 last pixel's input, + 8 block weights, + 12 loop end, + 16 input, + 20 output, + 24 table end.
    `sub sp, sp, #32`, `strd r2, r3, [sp, #0]`, `str r1, [sp, #8]`, `strd r0, r2, [sp, #16]`, `str r4, [sp, #24]`,
    `3:`,
    `1:`,
    ...(merged ? [] : [`ldmia r1!, {${accs.join(', ')}}`]),
    ...red,
    ...rqL,
  ];
  if (onePixel) lines.push(
    // One pixel per call (a fully connected layer's single row): the next entry follows the parameters.
    `ldr r0, [sp, #16]`, `ldr r2, [sp, #24]`, `cmp r1, r2`, `bne 3b`);
  else lines.push(
    ...(fromInput ? [] : [...addImm('r6', 'r6', lg.outPixel, 'r7'), `str r6, [sp, #0]`]),
    ...addImm('r0', 'r0', lg.pixelBytes - consumed, 'r7'),
    `ldr r1, [sp, #8]`, `cmp r0, r5`, `bls 1b`,
    // Next block of the same function: its table entry follows; same pixels again.
    ...addImm('r1', 'r1', entryWords * 4, 'r7'), `str r1, [sp, #8]`,
    `ldrd r0, r6, [sp, #16]`, `str r6, [sp, #0]`, `ldr r2, [sp, #24]`, `cmp r1, r2`, `bne 3b`);
  lines.push(`add sp, sp, #32`, `pop {r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, lr}`);
  const asm = lines.map((l) => `"${l}\\n\\t"`).join('\n      ');

  // Portable C over the same table.
  const C: string[] = [
    `  const uint32_t *x0 = (const uint32_t *)(const void *)in;`,
    `  for (int b = 0; b < nb; b++, w += ${entryWords})`,
    `  for (int px = 0; px < n; px++) {`,
    `    const uint32_t *x = (const uint32_t *)(const void *)((const char *)x0 + px * ${lg.pixelBytes});`,
    `    int32_t ${accs.map((_, i) => `a${i} = (int32_t)w[${(merged ? ww : 0) + i}]`).join(', ')};`,
    `    int k = 0; /* weight word in consumption order; the starts sit before it (or after its first 4 words) */`,
    `    for (int ky = 0; ky < ${lg.rows}; ky++) {`,
    `      const uint32_t *xr = (const uint32_t *)(const void *)((const char *)x + ky * ${lg.rowBytes});`,
    `      for (int s = 0; s < ${lg.steps}; s++, k += ${stepWords})`,
    ...(lg.pair ? [
      `        for (int i = 0; i < 2; i++) {`,
      `          const uint32_t va = (uint32_t)tfk_ld32(xr + s * 4 + 2 * i), vb = (uint32_t)tfk_ld32(xr + s * 4 + 2 * i + 1);`,
      ...accs.map((_, i) => `          { const int j = k + ${i * 2} + i; const uint32_t wd = w[${merged ? `j < 2 ? j : j + ${q}` : `j + ${q}`}]; a${i} = tfk_smlad(wd, va, a${i}); a${i} = tfk_smlad(tfk_sxtb16(wd), vb, a${i}); }`),
      `        }`,
    ] : [
      `        for (int i = 0; i < 4; i++) {`,
      `          const uint32_t v = (uint32_t)tfk_ld32(xr + s * 4 + i);`,
      ...accs.map((_, i) => `          { const int j = k + ${i * 4} + i; a${i} = tfk_smlad(v, w[${merged ? `j < 4 ? j : j + ${q}` : `j + ${q}`}], a${i}); }`),
      `        }`,
    ]),
    `    }`,
    ...(tail ? [
      `    for (int i = 0; i < ${tail}; i++) {`,
      `      const uint32_t v = (uint32_t)tfk_ld32(x + ${lg.steps * 4} + i);`,
      ...accs.map((_, i) => `      a${i} = tfk_smlad(v, w[k + ${q} + ${i * tail} + i], a${i});`),
      `    }`,
      `    k += ${q * tail};`,
    ] : []),
    `    const uint32_t *wp = w + ${q} + k;`,
    `    int8_t *o = out + px * ${lg.outPixel};`,
  ];
  accs.forEach((_, i) => {
    const m = `(int32_t)wp[${i * np}]`, c = `(int32_t)wp[${i * np + 1}]`, idx = `wp[${i * np + 2}]`;
    const s = preShift[i] ?? 0;
    if (s > 0) C.push(`    a${i} >>= ${s};`);
    else if (s < 0) C.push(`    a${i} = (int32_t)((uint32_t)a${i} << ${-s});`);
    if (regShift) {
      let r = `int32_t r${i} = tfk_smmlar(a${i}, ${m}, ${c});${signFix(rq, es[i]!) ? ` r${i} -= (int32_t)((uint32_t)a${i} >> 31);` : ''} r${i} >>= (int32_t)wp[${i * np + 3}]; TFK_SSAT0(r${i}, r${i});`;
      if (rq.actMin > -128) r += ` if (r${i} < ${rq.actMin}) r${i} = ${rq.actMin};`;
      if (rq.actMax < 127) r += ` if (r${i} > ${rq.actMax}) r${i} = ${rq.actMax};`;
      C.push(`    { ${r} o[${idx}] = (int8_t)r${i}; }`);
    } else C.push(`    { ${requantC(`a${i}`, m, c, es[i]!, `r${i}`, rq)} o[${idx}] = (int8_t)r${i}; }`);
  });
  C.push(`  }`);
  return [
    `static void __attribute__((noinline)) ${fn}(const int16_t *in, const uint32_t *w, int8_t *out, int n, int nb) {`,
    `#if defined(__ARM_FEATURE_DSP)`,
    `  uint32_t fr[5]; uint32_t *frp = fr;`,
    `  fr[0] = (uint32_t)(uintptr_t)in; fr[1] = (uint32_t)(uintptr_t)w;`,
    fromInput ? `  fr[2] = (uint32_t)(uintptr_t)out - (((uint32_t)(uintptr_t)in + ${consumed}u) >> ${k});` : `  fr[2] = (uint32_t)(uintptr_t)out;`,
    `  fr[3] = (uint32_t)(uintptr_t)((const char *)in + (n - 1) * ${lg.pixelBytes}); fr[4] = (uint32_t)(uintptr_t)(w + nb * ${entryWords});`,
    `  __asm__ volatile(${asm} : : [fr] "r"(frp) : "cc", "memory");`,
    `#else`,
    ...C,
    `#endif`,
    `}`,
  ].join('\n');
}

/** Table words of the pixel-major form: per output channel its 4 weight words, accumulator start, M, C. */
export function pixelMajorWords(outC: number, weight: (oc: number, v: number) => number, start: (oc: number) => number,
  M: (oc: number) => number, C: (oc: number) => number): number[] {
  const out: number[] = [];
  for (let oc = 0; oc < outC; oc++) {
    for (let i = 0; i < STEP_VALUES; i += 2) out.push(((weight(oc, i) & 0xffff) | (weight(oc, i + 1) & 0xffff) << 16) >>> 0);
    out.push(start(oc) >>> 0, M(oc) >>> 0, C(oc) >>> 0);
  }
  return out;
}

/** Estimated instructions of the pixel-major form over n pixels (a call adds about 25). */
export function pixelMajorInstructions(outC: number, n: number, rq: Requantise): number {
  const clamp = (rq.actMin > -128 ? 3 : 0) + (rq.actMax < 127 ? 3 : 0);
  return 20 + n * (outC * (9 + clamp) + 6);
}

/**
 * `static void <fn>(const int16_t *in, const uint32_t *w, int8_t *out, int n)`: the pixel-major form (see
 * LdmGeometry.pixelMajor) over n consecutive pixels of 8 widened values each (16 bytes), outputs at out
 * (outC bytes per pixel); es: the channels' SSAT shifts. Registers: r0 input, r1 table, r2-r5 the pixel's
 * words, r6-r9 weight words, r10 the accumulator, r11 M, r12 C (minus the accumulator's sign), lr output.
 */
export function emitPixelMajorFn(fn: string, outC: number, es: number[], rq: Requantise): string {
  const entry = STEP_VALUES / 2 + 3;
  const clamp = (r: string): string[] => [
    ...(rq.actMin > -128 ? [`cmp ${r}, #${rq.actMin}`, `it lt`, `movlt ${r}, #${rq.actMin}`] : []),
    ...(rq.actMax < 127 ? [`cmp ${r}, #${rq.actMax}`, `it gt`, `movgt ${r}, #${rq.actMax}`] : []),
  ];
  const lines = [`push {r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, lr}`, `mov r12, %[fr]`,
    `ldrd r0, r1, [r12, #0]`, `ldrd r2, lr, [r12, #8]`,
    // sp + 0 the table, + 4 the end of the input.
    `sub sp, sp, #8`, `strd r1, r2, [sp, #0]`, `1:`, `ldmia r0!, {r2, r3, r4, r5}`];
  for (let oc = 0; oc < outC; oc++) {
    const e = es[oc]!;
    lines.push(`ldmia r1!, {r6, r7, r8, r9, r10, r11, r12}`,
      `smlad r10, r2, r6, r10`, `smlad r10, r3, r7, r10`, `smlad r10, r4, r8, r10`, `smlad r10, r5, r9, r10`,
      // t = SMMLAR(acc, M, C) - (acc < 0): the sign taken off C first, so the accumulator can take t.
      ...(signFix(rq, e) ? [`sub r12, r12, r10, lsr #31`] : []), `smmlar r10, r10, r11, r12`,
      e ? `ssat r10, #8, r10, asr #${e}` : `ssat r10, #8, r10`, ...clamp('r10'), `strb r10, [lr, #${oc}]`);
  }
  lines.push(...addImm('lr', 'lr', outC, 'r6'), `ldrd r1, r6, [sp, #0]`, `cmp r0, r6`, `bne 1b`,
    `add sp, sp, #8`, `pop {r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, lr}`);
  const asm = lines.map((l) => `"${l}\\n\\t"`).join('\n      ');
  const C = [
    `  for (int px = 0; px < n; px++) {`,
    `    const uint32_t *x = (const uint32_t *)(const void *)((const char *)in + px * ${STEP_VALUES * 2});`,
    `    const uint32_t *e = w;`,
    `    int8_t *o = out + px * ${outC};`,
  ];
  for (let oc = 0; oc < outC; oc++) {
    C.push(`    { int32_t a = (int32_t)e[4]; for (int i = 0; i < 4; i++) a = tfk_smlad((uint32_t)tfk_ld32(x + i), e[i], a);`,
      `      ${requantC('a', '(int32_t)e[5]', '(int32_t)e[6]', es[oc]!, 'r', rq)} o[${oc}] = (int8_t)r; e += ${entry}; }`);
  }
  C.push(`  }`);
  return [
    `static void __attribute__((noinline)) ${fn}(const int16_t *in, const uint32_t *w, int8_t *out, int n) {`,
    `#if defined(__ARM_FEATURE_DSP)`,
    `  uint32_t fr[4]; uint32_t *frp = fr;`,
    `  fr[0] = (uint32_t)(uintptr_t)in; fr[1] = (uint32_t)(uintptr_t)w;`,
    `  fr[2] = (uint32_t)(uintptr_t)((const char *)in + n * ${STEP_VALUES * 2}); fr[3] = (uint32_t)(uintptr_t)out;`,
    `  if (n > 0) __asm__ volatile(${asm} : : [fr] "r"(frp) : "cc", "memory");`,
    `#else`,
    ...C,
    `#endif`,
    `}`,
  ].join('\n');
}
