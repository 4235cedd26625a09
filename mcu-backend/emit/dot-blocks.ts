// The register-blocked inner-product engine shared by the fast Cortex-M4 conv2d, pointwise, fully
// connected, shift and add convolution kernels. The caller supplies a widened, padded input buffer in
// scratch (int16 for SMLAD kernels, biased uint8 for USADA8 add convolution), a geometry, and per output
// channel the stored weight values (already in the buffer's channel order and scaled), an accumulator
// start value and a requantisation plan; this file emits:
//   - one `static` block function per (pixels, channel-block key): P output pixels x Q output channels,
//     fully unrolled over the reduction (looped over kernel rows, or over chunks of a long 1x1 reduction,
//     when long), operands loaded with LDRD at immediate offsets from one input pointer and a
//     post-incremented weight pointer, in the order the block consumes them; the function also walks the
//     row's pixel blocks itself (rewinding the weight pointer), with the output pointer and loop end in
//     volatile stack slots so that all 14 registers serve the reduction;
//   - one const word table per kernel: per channel block the weights in consumption order with the bias
//     words riding after the first step's pairs (read at negative offsets, no extra register), then the
//     requantisation parameters (start, multiplier, rounding constant, output channel) and the group's
//     input offset, reached through the weight pointer after the reduction;
//   - the driver loop over channel blocks (outer, so a block's weights stay hot) and rows.
// Output channels of a group are sorted by their requantisation shift so that blocks share one SSAT
// immediate tuple; the block function is specialised per tuple and the channel index comes from the table.

import { requantC, signFix, type ChannelRequant } from './requant.ts';
import type { Requantise } from '../../compiler/kernel-ir/types.ts';
import type { Blocking } from './blocking.ts';
import { WORD_STEP_PRELUDE, wordStepLines, type WordOrder } from './word-steps.ts';

export interface DotGeometry {
  /** Scratch buffer geometry, in stored values: padded width and channels per pixel (multiple of 4). */
  bufW: number;
  bufC: number;
  rows: number;
  rowPixels: number;
  /** Buffer elements between consecutive output rows and consecutive output pixels. */
  rowStep: number;
  pixelStep: number;
  kH: number; kW: number;
  /** Buffer elements between kernel rows / columns. */
  kRowStep: number;
  kColStep: number;
  groups: number;
  /** Stored input values per group (multiple of 4) and output channels per group. */
  inPerGroup: number;
  outPerGroup: number;
  outC: number;
  /** Output bytes between consecutive output rows (pixels are outC apart). */
  outRowStep: number;
}

export type DotKind = 'smlad' | 'usada8';

export interface DotSpec {
  name: string;
  kind: DotKind;
  geom: DotGeometry;
  blocking: Blocking;
  /** Stored weight value for (output channel, ky, kx, stored input position within the group). */
  weight: (oc: number, ky: number, kx: number, pos: number) => number;
  /** Accumulator start (smlad: scaled bias) or subtrahend base (usada8: scaled bias' from which S << k is subtracted). */
  start: (oc: number) => number;
  requant: ChannelRequant[];
  rq: Requantise;
  /** Requantise with TFLite's single rounding (conv-like ops in 'tflite' arithmetic) instead of the trick. */
  singleRounding?: boolean;
  /**
   * smlad only: bytes per stored weight. 2 (default): int16 pairs, one LDRD per step and channel. 1: int8
   * weights in flash, one LDR per step and channel, bytes in natural channel order c0,c1,c2,c3 so that
   * SXTB16 gives (c0, c2) and SXTB16 ROR #8 gives (c1, c3): the pairs of the widened input's c0,c2 | c1,c3 words.
   */
  weightBytes?: 1 | 2;
  /**
   * With weightBytes 1: the words are pair-encoded (ldm-blocks.ts header) and the input holds (A, B) words:
   * one LDR + SXTB16 per word, SMLAD(word, A) + SMLAD(SXTB16(word), B); the accumulator is 256 x the true
   * one, shifted right by -accShift before the requantisation.
   */
  pair?: boolean;
  /** Left shift applied to channel oc's accumulator before requantisation (int8 weights cannot carry 2^left). */
  accShift?: (oc: number) => number;
  /** int16 weights: issue each LDRD step as two word steps in this order (word-steps.ts). */
  wordOrder?: WordOrder;
}

export interface DotEmitted {
  data: string;
  code: string;
  /** Bytes of const data (weights + parameters). */
  constBytes: number;
  /** Number of block-function instances. */
  instances: number;
}

export const MAX_UNROLLED_STEPS = 64;
const LDRD_MAX = 1020;

interface ChannelBlock { group: number; channels: number[] }

/** Elements per stored value. */
function elemBytes(kind: DotKind): number { return kind === 'smlad' ? 2 : 1; }

export function emitDotBlocks(spec: DotSpec): DotEmitted {
  const { geom: g, blocking: bl, name } = spec;
  if (bl.width !== 2) throw new Error('dot-blocks emits LDRD (width 2) blockings only');
  const eb = elemBytes(spec.kind);
  const valsPerLoad = 8 / eb; // values per LDRD
  if (g.inPerGroup % valsPerLoad !== 0 && !(g.kH * g.kW * g.inPerGroup % valsPerLoad === 0 && contiguousRow(g)))
    throw new Error(`${name}: stored input channels per group (${g.inPerGroup}) must fill whole LDRDs`);

  // Channel blocks: per group, channels sorted by shift, chunked by Q; keyed by (size, shift tuple).
  const Q = bl.channels;
  const blocksByKey = new Map<string, ChannelBlock[]>();
  for (let gr = 0; gr < g.groups; gr++) {
    const chans = Array.from({ length: g.outPerGroup }, (_, i) => gr * g.outPerGroup + i)
      .sort((a, b) => spec.requant[a]!.e - spec.requant[b]!.e || a - b);
    for (let i = 0; i < chans.length; i += Q) {
      const blk = { group: gr, channels: chans.slice(i, i + Q) };
      const key = blk.channels.map((c) => spec.singleRounding ? spec.requant[c]!.shift : spec.requant[c]!.e).join('_') +
        (spec.kind === 'usada8' ? 'k' + blk.channels.map((c) => Math.log2(spec.requant[c]!.wScale)).join('_') : '');
      (blocksByKey.get(key) ?? blocksByKey.set(key, []).get(key)!).push(blk);
    }
  }

  // The reduction as a list of steps; each step is one LDRD per operand. Row-contiguous buffers (one group,
  // unit column step) let a step straddle kernel columns.
  const steps = reductionSteps(g, valsPerLoad);
  const loop = reductionLoop(g, steps.length, valsPerLoad * eb);
  if (steps.length > MAX_UNROLLED_STEPS && !loop) throw new Error(`${name}: reduction of ${steps.length} steps too long to unroll`);
  const rowLoop = loop !== undefined;

  const wTab: number[] = [];
  const biasInStream = spec.kind === 'smlad' && !rowLoop;
  const parts: string[] = [];
  const driver: string[] = [];
  let inst = 0;
  const P = bl.pixels;
  const tailP = g.rowPixels % P;
  const valType = spec.kind === 'smlad' ? 'int16_t' : 'uint8_t';

  for (const blocks of blocksByKey.values()) {
    const q = blocks[0]!.channels.length;
    const es = blocks[0]!.channels.map((c) => spec.requant[c]!.e);
    const ks = blocks[0]!.channels.map((c) => Math.log2(spec.requant[c]!.wScale));
    const ss = blocks[0]!.channels.map((c) => spec.requant[c]!.shift);
    const fn = `${name}_b${inst++}`;
    const wOff = wTab.length;
    for (const blk of blocks) {
      if (rowLoop && spec.kind === 'smlad') for (const oc of blk.channels) wTab.push(spec.start(oc) >>> 0);
      steps.forEach((st, si) => {
        for (const oc of blk.channels) {
          const vals = st.vals.map(([ky, kx, pos]) => spec.weight(oc, ky, kx, pos));
          wTab.push(...packWords(vals, spec.kind));
          // Bias rides in the weight stream after each channel's first pair (read at a negative offset).
          if (si === 0 && biasInStream) wTab.push(spec.start(oc) >>> 0);
        }
      });
      // Parameters follow the weights, so the block reaches them through the weight pointer it already
      // holds (no extra live register during the reduction).
      for (const oc of blk.channels) wTab.push(spec.start(oc) >>> 0);
      for (const oc of blk.channels) wTab.push(spec.requant[oc]!.M >>> 0);
      for (const oc of blk.channels) wTab.push(spec.requant[oc]!.C >>> 0);
      for (const oc of blk.channels) wTab.push(oc);
      wTab.push(blk.group * g.inPerGroup);
    }
    const wPerBlock = (wTab.length - wOff) / blocks.length;
    parts.push(emitBlockFn(spec, `${fn}_p${P}`, P, q, es, ks, ss, steps, loop, valType, biasInStream));
    if (tailP) parts.push(emitBlockFn(spec, `${fn}_p${tailP}`, tailP, q, es, ks, ss, steps, loop, valType, biasInStream));
    const fullEnd = Math.floor(g.rowPixels / P) * P;
    driver.push(
      `  for (int b = 0; b < ${blocks.length}; b++) {`,
      `    const uint32_t *wb = W + ${wOff} + b * ${wPerBlock};`,
      `    const ${valType} *sb = s + wb[${wPerBlock - 1}];`,
      `    for (int r = 0; r < ${g.rows}; r++) {`,
      `      const ${valType} *in = sb + r * ${g.rowStep}; int8_t *o = y + r * ${g.outRowStep};`,
      `      ${fn}_p${P}(in, wb, o, ${fullEnd / P});`,
      ...(tailP ? [`      ${fn}_p${tailP}(in + ${fullEnd * g.pixelStep}, wb, o + ${fullEnd * g.outC}, 1);`] : []),
      `    }`, `  }`);
  }
  const wDecl = `static const uint32_t ${name}_w[${wTab.length}] __attribute__((aligned(8))) = {${wTab.map((v) => v + 'u').join(',')}};`;
  const data = wDecl;
  const code = [
    ...parts,
    `static void ${name}_dot(const ${valType} *s, int8_t *y) {`,
    `  const uint32_t *W = (const uint32_t *)tfk_hide(${name}_w);`,
    ...driver,
    `}`,
  ].join('\n');
  return { data, code, constBytes: wTab.length * 4, instances: inst };
}

export interface Step {
  /** Byte offset of the LDRD relative to the pixel's kernel-window origin (row part and column part). */
  ky: number;
  off: number;
  /** The stored values the LDRD brings, in memory order: [ky, kx, position within the group]. */
  vals: Array<[number, number, number]>;
}

function contiguousRow(g: DotGeometry): boolean {
  return g.groups === 1 && g.kColStep === g.bufC && g.inPerGroup === g.bufC;
}

export function reductionSteps(g: DotGeometry, vpl: number): Step[] {
  const steps: Step[] = [];
  for (let ky = 0; ky < g.kH; ky++) {
    if (contiguousRow(g)) {
      const run = g.kW * g.bufC;
      for (let i = 0; i < run; i += vpl) {
        const vals: Array<[number, number, number]> = [];
        for (let j = 0; j < vpl; j++) vals.push([ky, Math.floor((i + j) / g.bufC), (i + j) % g.bufC]);
        steps.push({ ky, off: i, vals });
      }
    } else {
      for (let kx = 0; kx < g.kW; kx++)
        for (let i = 0; i < g.inPerGroup; i += vpl) {
          const vals: Array<[number, number, number]> = [];
          for (let j = 0; j < vpl; j++) vals.push([ky, kx, i + j]);
          steps.push({ ky, off: kx * g.kColStep + i, vals });
        }
    }
  }
  return steps;
}

export function packWords(vals: number[], kind: DotKind): number[] {
  const out: number[] = [];
  if (kind === 'smlad') for (let i = 0; i < vals.length; i += 2) out.push(((vals[i]! & 0xffff) | (vals[i + 1]! & 0xffff) << 16) >>> 0);
  else for (let i = 0; i < vals.length; i += 4) out.push(((vals[i]! & 0xff) | (vals[i + 1]! & 0xff) << 8 | (vals[i + 2]! & 0xff) << 16 | (vals[i + 3]! & 0xff) << 24) >>> 0);
  return out;
}

/**
 * Long reductions are looped: over kernel rows when a row fits the unroll limit (body = the steps of
 * kernel row 0, advance one kernel row), else, for a contiguous single-row reduction (1x1 / FC), over
 * chunks of U steps (a divisor in 16..32 of the step count if there is one, else 32 and an unrolled remainder).
 */
export interface ReductionLoop { iters: number; bodySteps: number; advanceBytes: number; byRow: boolean }

export function reductionLoop(g: DotGeometry, nSteps: number, stepBytes: number, limit = MAX_UNROLLED_STEPS, maxChunk = 32): ReductionLoop | undefined {
  if (nSteps <= limit) return undefined;
  if (g.kH > 1 && nSteps / g.kH <= MAX_UNROLLED_STEPS) return { iters: g.kH, bodySteps: nSteps / g.kH, advanceBytes: 0, byRow: true };
  if (g.kH === 1 && (g.kW === 1 || contiguousRow(g))) {
    // Chunks of U steps; a remainder (< U) is unrolled after the loop.
    let U = maxChunk;
    for (let u = maxChunk; u >= Math.ceil(maxChunk / 2); u--) if (nSteps % u === 0) { U = u; break; }
    return { iters: Math.floor(nSteps / U), bodySteps: U, advanceBytes: U * stepBytes, byRow: false };
  }
  return undefined;
}

export function emitBlockFn(spec: DotSpec, fn: string, P: number, Q: number, es: number[], ks: number[], ss: number[], steps: Step[], loop: ReductionLoop | undefined,
  valType: string, biasInStream: boolean, accShifts: number[] = [], regShift = false): string {
  const w8 = spec.kind === 'smlad' && spec.weightBytes === 1;
  const g = spec.geom;
  const eb = elemBytes(spec.kind);
  const mac = spec.kind === 'smlad' ? 'tfk_smlad' : 'tfk_usada8';
  const held = spec.blocking.held;
  const L: string[] = [];
  const rowLoop = loop !== undefined;
  const acc = (p: number, q: number) => `a${p}_${q}`;
  const words = spec.wordOrder !== undefined && !w8 && spec.kind === 'smlad';
  if (words) L.push(WORD_STEP_PRELUDE);
  /** Bytes the weight pointer is behind the word steps' offsets (advanced by flushW). */
  let wAcc = 0;
  const flushW = () => { if (wAcc) { L.push(`  w += ${wAcc / 4};`); wAcc = 0; } };
  L.push(`static void __attribute__((noinline)) ${fn}(const ${valType} *in, const uint32_t *w, int8_t *out_, int n_) {`);
  // The output pointer and the count live in memory: all 14 registers go to the reduction.
  L.push(`  int8_t *volatile outv = out_; const ${valType} *volatile endv = in + (n_ - 1) * ${P * g.pixelStep};`, `  for (;;) {`);
  const accs = Array.from({ length: P * Q }, (_, i) => acc(Math.floor(i / Q), i % Q));
  if (rowLoop) {
    L.push(`  int32_t ${accs.map((a, i) => `${a} = ${spec.kind === 'smlad' ? `(int32_t)w[${i % Q}]` : '0'}`).join(', ')};`);
    if (spec.kind === 'smlad') L.push(`  w += ${Q};`);
  }
  else L.push(`  int32_t ${accs.join(', ')};`);
  if (!words) L.push(`  uint32_t u0, u1, ${Array.from({ length: held === 'weights' ? Q : P }, (_, i) => `h${i}a, h${i}b`).join(', ')};`);
  const body = loop ? steps.slice(0, loop.bodySteps) : steps;
  let base = 0; // byte offset already added to `in`
  // First MAC into an accumulator: from the bias in the stream (smlad), from nothing (usada8: USAD8).
  const first = (p: number, q: number, x: string, y: string, biasOff: number): string => {
    if (spec.kind === 'usada8') return `${acc(p, q)} = (int32_t)tfk_usad8(${x}, ${y});`;
    return `{ int32_t b_; TFK_LDR_OFF(b_, w, ${biasOff}); ${acc(p, q)} = ${mac}(${x}, ${y}, b_); }`;
  };
  const stepCode = (st: Step, isFirst: boolean): void => {
    const offs = Array.from({ length: P }, (_, p) => (p * g.pixelStep + st.off + (rowLoop ? 0 : st.ky * g.kRowStep)) * eb);
    const lo = Math.min(...offs), hi = Math.max(...offs);
    if (lo - base < 0 || hi - base > LDRD_MAX) {
      // Opaque to gcc, so it does not keep the old pointer alive to recompute the next block's address.
      L.push(`  in = (const ${valType} *)((const char *)in + ${lo - base}); __asm__("" : "+r"(in));`);
      base = lo;
    }
    const init = isFirst && !rowLoop;
    if (words) {
      if (init && !biasInStream) throw new Error(`${fn}: word steps need the bias in the weight stream`);
      // Per channel the step's two weight words (and, first step, the bias after them).
      const stride = init && biasInStream ? 12 : 8, w0 = wAcc;
      L.push(...wordStepLines({ P, Q, inOff: (p, k) => offs[p]! - base + 4 * k, wOff: (q, k) => w0 + stride * q + 4 * k,
        ...(init && biasInStream ? { biasOff: (q: number) => w0 + stride * q + 8 } : {}), acc, inPtr: 'in', wPtr: 'w', order: spec.wordOrder! }));
      wAcc += stride * Q;
      if (wAcc > 3500) flushW();
      return;
    }
    const post = init && biasInStream ? 'TFK_LDRD_POST12' : 'TFK_LDRD_POST';
    // int8 weights: one word, widened in registers (the raw word goes into the second register first).
    const wload = (a: string, b: string) => w8 && spec.pair
      ? `TFK_LDR_POST(${a}, w, ${init && biasInStream ? 8 : 4}); ${b} = tfk_sxtb16(${a});`
      : w8
      ? `TFK_LDR_POST(${b}, w, ${init && biasInStream ? 8 : 4}); ${a} = tfk_sxtb16(${b}); ${b} = tfk_sxtb16_ror8(${b});`
      : `${post}(${a}, ${b}, w);`;
    const macLine = (p: number, q: number, x0: string, x1: string, y0: string, y1: string, biasOff: number) =>
      init ? `  ${first(p, q, x0, y0, biasOff)} ${acc(p, q)} = ${mac}(${x1}, ${y1}, ${acc(p, q)});`
        : `  ${acc(p, q)} = ${mac}(${x0}, ${y0}, ${acc(p, q)}); ${acc(p, q)} = ${mac}(${x1}, ${y1}, ${acc(p, q)});`;
    if (held === 'weights') {
      for (let q = 0; q < Q; q++) L.push(`  ${wload(`h${q}a`, `h${q}b`)}`);
      for (let p = 0; p < P; p++) {
        L.push(`  TFK_LDRD(u0, u1, in, ${offs[p]! - base});`);
        for (let q = 0; q < Q; q++) L.push(macLine(p, q, 'u0', 'u1', `h${q}a`, `h${q}b`, w8 ? -(8 * (Q - q) - 4) : -(12 * (Q - q) - 8)));
      }
    } else {
      for (let p = 0; p < P; p++) L.push(`  TFK_LDRD(h${p}a, h${p}b, in, ${offs[p]! - base});`);
      for (let q = 0; q < Q; q++) {
        L.push(`  ${wload('u0', 'u1')}`);
        for (let p = 0; p < P; p++) L.push(macLine(p, q, `h${p}a`, `h${p}b`, 'u0', 'u1', -4));
      }
    }
  };
  if (loop) {
    const adv = loop.byRow ? g.kRowStep * eb : loop.advanceBytes;
    // The loop ends at an address kept in a stack slot, so no register holds a counter.
    L.push(`  { const char *volatile lend_ = (const char *)in + ${loop.iters * adv};`, `  do {`);
    body.forEach((st, i) => stepCode(st, i === 0));
    flushW();
    L.push(`    in = (const ${valType} *)((const char *)in + ${adv - base});`, `  } while ((const char *)in != lend_); }`);
    base = loop.iters * adv;
    if (!loop.byRow) steps.slice(loop.iters * loop.bodySteps).forEach((st) => stepCode(st, false));
  } else {
    body.forEach((st, i) => stepCode(st, i === 0));
  }
  flushW();
  // Requantise and store; the parameters follow the weights.
  L.push(`  const int32_t *prm = (const int32_t *)w; int8_t *o = outv;`);
  for (let q = 0; q < Q; q++) {
    L.push(`  { const int32_t m = prm[${Q + q}], c = prm[${2 * Q + q}]; int8_t *oq = o + prm[${3 * Q + q}];`);
    if (spec.kind === 'usada8') {
      // acc2 = wScale * (bias' - S) = start - (S << k)
      L.push(`    const int32_t st = prm[${q}];`);
      for (let p = 0; p < P; p++) L.push(`    ${acc(p, q)} = st - (int32_t)((uint32_t)${acc(p, q)} << ${ks[q]});`);
    }
    if (accShifts[q]! > 0) for (let p = 0; p < P; p++) L.push(`    ${acc(p, q)} = (int32_t)((uint32_t)${acc(p, q)} << ${accShifts[q]});`);
    if (accShifts[q]! < 0) for (let p = 0; p < P; p++) L.push(`    ${acc(p, q)} >>= ${-accShifts[q]!};`);
    const single = spec.singleRounding ? { k: ks[q]!, shift: ss[q]! } : undefined;
    if (regShift && !single) {
      // The shift from the table (one block function for every shift): asr by register, then ssat.
      L.push(`    const int32_t e_ = prm[${4 * Q + q}];`);
      for (let p = 0; p < P; p++) {
        const a = acc(p, q);
        let r = `int32_t r${p} = tfk_smmlar(${a}, m, c);${signFix(spec.rq, es[q]!) ? ` r${p} -= (int32_t)((uint32_t)${a} >> 31);` : ''} r${p} >>= e_; TFK_SSAT0(r${p}, r${p});`;
        if (spec.rq.actMin > -128) r += ` if (r${p} < ${spec.rq.actMin}) r${p} = ${spec.rq.actMin};`;
        if (spec.rq.actMax < 127) r += ` if (r${p} > ${spec.rq.actMax}) r${p} = ${spec.rq.actMax};`;
        L.push(`    { ${r} oq[${p * g.outC}] = (int8_t)r${p}; }`);
      }
    } else
    for (let p = 0; p < P; p++) L.push(`    { ${requantC(acc(p, q), 'm', 'c', es[q]!, `r${p}`, spec.rq, single)} oq[${p * g.outC}] = (int8_t)r${p}; }`);
    L.push(`  }`);
  }
  // Next pixel block of the row: same weights (rewind), next pixels.
  const wordsBeforePrm = (rowLoop && spec.kind === 'smlad' ? Q : 0) + steps.length * Q * (w8 ? 1 : 2) + (biasInStream ? Q : 0);
  L.push(`  in = (const ${valType} *)((const char *)in + ${P * g.pixelStep * eb - base});`,
    `  if (in > endv) break;`,
    `  w -= ${wordsBeforePrm}; outv = o + ${P * g.outC};`, `  }`);
  L.push(`}`);
  return L.join('\n');
}
