// Fast 3x3 stride-1 depthwise conv2d for Cortex-M4 (depth multiplier 1, any padding, any channel count).
// Layout: a prepass writes every channel as its own zero-padded int16 plane (x + inputOffset), two
// horizontally adjacent pixels per word, word-aligned on even plane columns (SXTAB16 + PKHBT/PKHTB move 4
// channels x 2 pixels per 14 instructions). A kernel row then needs, for the output pair (ox, ox+1), just
// the words A = (ox, ox+1) and B = (ox+2, ox+3) and two weight words P = (w0, w1), R = (w2, w1):
//     out(ox)   += SMLAD(A, P) + SMLABB(B, R)        = A.lo*w0 + A.hi*w1 + B.lo*w2
//     out(ox+1) += SMLATB(A, P) + SMLADX(B, R)       = A.hi*w0 + B.lo*w1 + B.hi*w2
// so a channel's 6 weight words stay in registers for the whole channel, and a 2x2 output quad reads 4
// input rows x 2 words: 8 loads and 24 MAC instructions for 36 MACs, then the 4-instruction requantisation
// (requant.ts). Channels are visited grouped by their requantisation shift (one function per shift).

import type { KDepthwiseConv2d, KernelModule } from '../../compiler/kernel-ir/types.ts';
import { cIdent, constById, type FastResult } from './fast-kernel.ts';
import { accRangeOf, maxAbsInput, planRequant, requantC } from './requant.ts';
import { channelAt, padBytes as padBytesG, padGeom as padGeomG, widenInt16C as widenG } from './prepass.ts';
import { SIMD_PRELUDE } from './simd-prelude.ts';

export interface PlanarGeom {
  C: number; bufH: number; words: number; padTop: number; padLeft: number; inH: number; inW: number;
  /** Words between plane rows and between channels: row-major [H][C][words] when a 4-row window fits LDR's
   *  immediate offsets (then the prepass stores of 4 channels are close too), else plane-major [C][H][words]. */
  rowStride: number; chanStride: number;
}

export function depthwise3x3Applies(op: KDepthwiseConv2d): string | undefined {
  if (op.rounding === 'single') return 'single rounding (this kernel requantises with double rounding only)';
  if (op.kH !== 3 || op.kW !== 3) return 'kernel is not 3x3';
  if (op.strideH !== 1 || op.strideW !== 1) return 'stride is not 1';
  if (op.dilationH !== 1 || op.dilationW !== 1) return 'dilated';
  if (op.depthMultiplier !== 1) return 'depth multiplier > 1';
  if (op.batches !== 1) return 'batches > 1';
  return undefined;
}

export function planarGeom(op: KDepthwiseConv2d): PlanarGeom {
  // Rows: 2x2 quads read rows oy..oy+3, so an odd output height still reads one row past the last output's window.
  const needH = 2 * Math.ceil(op.outH / 2) + 2;
  const needW = 2 * Math.ceil(op.outW / 2) + 2;
  const bufH = Math.max(op.padTop + op.inH, needH);
  const bufW = Math.max(op.padLeft + op.inW, needW);
  const words = Math.ceil(bufW / 2);
  const rowMajor = 3 * op.inC * words * 4 <= 4000;
  return { C: op.inC, bufH, words, padTop: op.padTop, padLeft: op.padLeft, inH: op.inH, inW: op.inW,
    rowStride: rowMajor ? op.inC * words : words, chanStride: rowMajor ? words : bufH * words };
}

export function depthwise3x3Scratch(op: KDepthwiseConv2d): number {
  const g = planarGeom(op);
  return g.C * g.bufH * g.words * 4;
}


/** The planar prepass: `static void <name>(const int8_t *x, uint32_t *pl)`. */
function planarPrepassC(name: string, g: PlanarGeom, inputOffset: number): string {
  const planeWords = g.chanStride;
  const total = g.bufH * g.C * g.words;
  const off = ((inputOffset & 0xffff) * 65537) >>> 0;
  // Word j holds plane columns 2j, 2j+1 = input columns 2j - padLeft (+1).
  const L = [`static void __attribute__((noinline)) ${name}(const int8_t *x, uint32_t *pl) {`,
    `  const uint32_t off2 = ${off}u; (void)off2;`,
    // Zero rows outside the image.
    ...(g.rowStride === g.words ? [
      `  for (int c = 0; c < ${g.C}; c++) {`,
      `    uint32_t *p = pl + c * ${g.chanStride}; (void)p;`,
      ...(g.padTop ? [`    for (int i = 0; i < ${g.padTop * g.words}; i++) p[i] = 0;`] : []),
      ...(g.bufH > g.padTop + g.inH ? [`    for (int i = ${(g.padTop + g.inH) * g.words}; i < ${g.chanStride}; i++) p[i] = 0;`] : []),
      `  }`] : [
      ...(g.padTop ? [`  for (int i = 0; i < ${g.padTop * g.rowStride}; i++) pl[i] = 0;`] : []),
      ...(g.bufH > g.padTop + g.inH ? [`  for (int i = ${(g.padTop + g.inH) * g.rowStride}; i < ${total}; i++) pl[i] = 0;`] : [])]),
    `  for (int y = 0; y < ${g.inH}; y++) {`,
    `    const int8_t *row = x + y * ${g.inW * g.C};`,
    `    uint32_t *prow = pl + (y + ${g.padTop}) * ${g.rowStride};`];
  // Runs of words by which of their two pixels lie inside the image; a missing pixel reads as 0.
  const cls = (j: number) => { const x0 = 2 * j - g.padLeft; return `${x0 >= 0 && x0 < g.inW ? 1 : 0}${x0 + 1 >= 0 && x0 + 1 < g.inW ? 1 : 0}`; };
  const runs: Array<[number, number, string]> = [];
  for (let j = 0; j < g.words; j++) {
    const k = cls(j);
    if (runs.length && runs[runs.length - 1]![2] === k && runs[runs.length - 1]![1] === j) runs[runs.length - 1]![1] = j + 1;
    else runs.push([j, j + 1, k]);
  }
  for (const [a, b, k] of runs) {
    const lo = k[0] === '1', hi = k[1] === '1';
    L.push(`    for (int j = ${a}; j < ${b}; j++) {`, `      const int8_t *s = row + (2 * j - ${g.padLeft}) * ${g.C}; uint32_t *d = prow + j; (void)s;`);
    if (!lo && !hi) L.push(`      for (int c = 0; c < ${g.C}; c++) d[c * ${planeWords}] = 0;`);
    else if (g.C % 4 === 0) {
      const unroll = g.C * planeWords * 4 <= 4000 && g.C <= 64;
      L.push(unroll ? `      _Pragma("GCC unroll 16") for (int c = 0; c < ${g.C}; c += 4) {` : `      for (int c = 0; c < ${g.C}; c += 4) {`,
        lo ? `        const uint32_t a = (uint32_t)tfk_ld32(s), al = tfk_sxtab16(off2, a), ah = tfk_sxtab16_ror8(off2, a);` : `        const uint32_t al = 0, ah = 0;`,
        hi ? `        const uint32_t b = (uint32_t)tfk_ld32(s + ${g.C}), bl = tfk_sxtab16(off2, b), bh = tfk_sxtab16_ror8(off2, b);` : `        const uint32_t bl = 0, bh = 0;`,
        `        s += 4;`,
        `        d[0] = tfk_pkhbt(al, bl); d[${planeWords}] = tfk_pkhbt(ah, bh); d[${2 * planeWords}] = tfk_pkhtb(bl, al); d[${3 * planeWords}] = tfk_pkhtb(bh, ah);`,
        `        d += ${4 * planeWords};`, `      }`);
    } else {
      L.push(`      for (int c = 0; c < ${g.C}; c++) d[c * ${planeWords}] = ${lo ? `(uint16_t)(s[c] + ${inputOffset})` : '0'} | (uint32_t)${hi ? `(uint16_t)(s[c + ${g.C}] + ${inputOffset})` : '0'} << 16;`);
    }
    L.push(`    }`);
  }
  L.push(`  }`, `}`);
  return L.join('\n');
}

/**
 * The constants of a 3x3 depthwise layer and its 4-instruction requantisation plan (requant.ts), shared by
 * the planar and the ring kernel: weights (HWC), bias, weight lookup and the per-channel plan.
 */
export function depthwise3x3Requant(op: KDepthwiseConv2d, m: Pick<KernelModule, 'consts'>) {
  const C = op.outC;
  const wc = constById(m, op.weights).data;
  const bias = constById(m, op.bias).data;
  const xMax = maxAbsInput(op.inputOffset);
  const wAt = (c: number, ky: number, kx: number) => wc[(ky * 3 + kx) * C + c]!;
  const rp = planRequant(op, C,
    (c) => { let s = Math.abs(bias[c]!); for (let t = 0; t < 9; t++) s += Math.abs(wAt(c, Math.floor(t / 3), t % 3)) * xMax; return s; },
    (c) => { let s = 0; for (let t = 0; t < 9; t++) s = Math.max(s, Math.abs(wAt(c, Math.floor(t / 3), t % 3))); return s; },
    (c) => accRangeOf(bias[c]!, wc, op.inputOffset, c, 9, C));
  return { C, wc, bias, wAt, rp };
}

export function emitDepthwise3x3Fast(op: KDepthwiseConv2d, m: Pick<KernelModule, 'consts'>, opts: { fn?: string } = {}): FastResult {
  const why = depthwise3x3Applies(op);
  if (why) return { ok: false, reason: why };
  const { C, bias, wAt, rp } = depthwise3x3Requant(op, m);
  if (!rp.ok) return { ok: false, reason: rp.reason };
  const name = opts.fn ?? cIdent(`tf_dw_${op.index}_${op.name}`);
  const g = planarGeom(op);
  const pack = (lo: number, hi: number) => (((lo & 0xffff) | (hi & 0xffff) << 16) >>> 0);

  // Per channel: P0,R0,P1,R1,P2,R2, bias, M, C (9 words), channels in shift order.
  const order = Array.from({ length: C }, (_, c) => c).sort((a, b) => rp.channels[a]!.e - rp.channels[b]!.e || a - b);
  const tab: number[] = [];
  for (const c of order) {
    const ch = rp.channels[c]!;
    for (let ky = 0; ky < 3; ky++) {
      const w0 = wAt(c, ky, 0) * ch.wScale, w1 = wAt(c, ky, 1) * ch.wScale, w2 = wAt(c, ky, 2) * ch.wScale;
      tab.push(pack(w0, w1), pack(w2, w1));
    }
    tab.push(bias[c]! * ch.wScale >>> 0, ch.M >>> 0, ch.C >>> 0, c);
  }
  const per = 10;
  const byE = new Map<number, number[]>();
  order.forEach((c, i) => { const e = rp.channels[c]!.e; (byE.get(e) ?? byE.set(e, []).get(e)!).push(i); });

  const W = g.rowStride * 4; // bytes per plane row
  const oRow = op.outW * C;
  const parts: string[] = [];
  const runName = (e: number, rows: number, both: boolean) => `${name}_e${e}_r${rows}${both ? '' : 'h'}`;
  const emitRun = (e: number, rows: 1 | 2, both: boolean): string => {
    const rq = (acc: string, dst: string) => requantC(acc, 'mm', 'cc', e, dst, op);
    const L = [`static void __attribute__((noinline)) ${runName(e, rows, both)}(const uint32_t *in, const uint32_t *w, int8_t *o_, int n) {`,
      `  const uint32_t P0 = w[0], R0 = w[1], P1 = w[2], R1 = w[3], P2 = w[4], R2 = w[5];`,
      `  volatile int32_t biasv = (int32_t)w[6], mv = (int32_t)w[7], cv = (int32_t)w[8];`,
      `  int8_t *volatile ov = o_; const uint32_t *volatile endv = in + n;`,
      `  for (;;) {`,
      `    uint32_t A, B; int32_t t0, t1${rows === 2 ? ', b0, b1' : ''}; const int32_t bias = biasv;`,
      `    TFK_LDR_POST(A, in, 4); B = in[0];`,
      `    t0 = tfk_smlad(A, P0, bias); t1 = tfk_smlatb(A, P0, bias); t0 = tfk_smlabb(B, R0, t0); t1 = tfk_smladx(B, R0, t1);`];
    const rowsK: Array<[number, string, string]> = [[1, 'P1', 'R1'], [2, 'P2', 'R2']];
    for (const [r, Pk, Rk] of rowsK) {
      L.push(`    TFK_LDR_OFF(A, in, ${r * W - 4}); TFK_LDR_OFF(B, in, ${r * W});`,
        `    t0 = tfk_smlad(A, ${Pk}, t0); t1 = tfk_smlatb(A, ${Pk}, t1); t0 = tfk_smlabb(B, ${Rk}, t0); t1 = tfk_smladx(B, ${Rk}, t1);`);
      if (rows === 2) {
        const [Pb, Rb] = r === 1 ? ['P0', 'R0'] : ['P1', 'R1'];
        const init = r === 1;
        L.push(init
          ? `    b0 = tfk_smlad(A, ${Pb}, bias); b1 = tfk_smlatb(A, ${Pb}, bias); b0 = tfk_smlabb(B, ${Rb}, b0); b1 = tfk_smladx(B, ${Rb}, b1);`
          : `    b0 = tfk_smlad(A, ${Pb}, b0); b1 = tfk_smlatb(A, ${Pb}, b1); b0 = tfk_smlabb(B, ${Rb}, b0); b1 = tfk_smladx(B, ${Rb}, b1);`);
      }
    }
    if (rows === 2) L.push(`    TFK_LDR_OFF(A, in, ${3 * W - 4}); TFK_LDR_OFF(B, in, ${3 * W});`,
      `    b0 = tfk_smlad(A, P2, b0); b1 = tfk_smlatb(A, P2, b1); b0 = tfk_smlabb(B, R2, b0); b1 = tfk_smladx(B, R2, b1);`);
    L.push(`    { const int32_t mm = mv, cc = cv; int8_t *o = ov;`,
      `      { ${rq('t0', 'r0')} o[0] = (int8_t)r0; }`,
      ...(both ? [`      { ${rq('t1', 'r1')} o[${C}] = (int8_t)r1; }`] : [`      (void)t1;`]),
      ...(rows === 2 ? [`      { ${rq('b0', 'r2')} o[${oRow}] = (int8_t)r2; }`,
        ...(both ? [`      { ${rq('b1', 'r3')} o[${oRow + C}] = (int8_t)r3; }`] : [`      (void)b1;`])] : []),
      `      ov = o + ${2 * C}; }`,
      `    if (in >= endv) break;`,
      `  }`, `}`);
    return L.join('\n');
  };
  const driver: string[] = [];
  const fullPairs = Math.floor(op.outW / 2), oddW = op.outW % 2 === 1;
  const fullRows = Math.floor(op.outH / 2), oddH = op.outH % 2 === 1;
  for (const [e, idx] of byE) {
    // Only the (rows, both columns) variants the driver below calls.
    const variants: Array<[1 | 2, boolean]> = [];
    if (fullRows && fullPairs) variants.push([2, true]);
    if (fullRows && oddW) variants.push([2, false]);
    if (oddH && fullPairs) variants.push([1, true]);
    if (oddH && oddW) variants.push([1, false]);
    for (const [r, b] of variants) parts.push(emitRun(e, r, b));
    driver.push(`  for (int i = ${idx[0]}; i <= ${idx[idx.length - 1]}; i++) {`,
      `    const uint32_t *w = W + i * ${per}; const int c = (int)w[9];`,
      `    const uint32_t *p = pl + c * ${g.chanStride}; int8_t *o = y + c;`);
    const call = (rows: 1 | 2, oy: string, rowsCount: number) => {
      if (rowsCount === 0) return;
      const lines = [
        ...(fullPairs ? [`      ${runName(e, rows, true)}(p + (${oy}) * ${g.rowStride}, w, o + (${oy}) * ${oRow}, ${fullPairs});`] : []),
        ...(oddW ? [`      ${runName(e, rows, false)}(p + (${oy}) * ${g.rowStride} + ${fullPairs}, w, o + (${oy}) * ${oRow} + ${2 * fullPairs * C}, 1);`] : []),
      ];
      driver.push(...lines);
    };
    if (fullRows) { driver.push(`    for (int oy = 0; oy < ${2 * fullRows}; oy += 2) {`); call(2, 'oy', fullRows); driver.push(`    }`); }
    if (oddH) { driver.push(`    {`); call(1, String(op.outH - 1), 1); driver.push(`    }`); }
    driver.push(`  }`);
  }
  const data = `static const uint32_t ${name}_w[${tab.length}] __attribute__((aligned(8))) = {${tab.map((v) => v + 'u').join(',')}};`;
  const code = [
    SIMD_PRELUDE,
    planarPrepassC(`${name}_planes`, g, op.inputOffset),
    ...parts,
    `static void ${name}(const int8_t *in, int8_t *out, int8_t *scratch) {`,
    `  uint32_t *pl = (uint32_t *)(void *)scratch; int8_t *y = out;`,
    `  ${name}_planes(in, pl);`,
    `  const uint32_t *W = (const uint32_t *)tfk_hide(${name}_w);`,
    ...driver,
    `}`,
  ].join('\n');
  const macs = op.outH * op.outW * C * 9;
  return { ok: true, kernel: { fn: name, data, code, scratchBytes: depthwise3x3Scratch(op), constBytes: tab.length * 4,
    estimate: { instructions: Math.round(macs * 57 / 36 + op.inH * op.inW * C * 1.75), loads: Math.round(macs * 10 / 36 + op.inH * op.inW * C / 4) } } };
}

// ---------------------------------------------------------------------------------------------------
// General depthwise (any kernel size, stride, dilation, padding; depth multiplier 1). Layout: the padded
// NHWC int16 buffer of prepass.ts (SXTAB16 order c0,c2,c1,c3 per group of four channels). Per kernel tap
// and group of four channels one LDRD brings the four inputs and one post-incremented LDRD the four
// weights; SMLABB/SMLATT accumulate each channel (no tap pairs in this layout, so 4 MAC instructions per
// 4 MACs). Two adjacent output pixels share every weight load (8 accumulators + 2 + 2 operand registers
// + 2 pointers = 14). Groups of four channels are visited grouped by their requantisation-shift tuple.


export function depthwiseGeneralApplies(op: KDepthwiseConv2d): string | undefined {
  if (op.rounding === 'single') return 'single rounding (this kernel requantises with double rounding only)';
  if (op.depthMultiplier !== 1) return 'depth multiplier > 1';
  if (op.batches !== 1) return 'batches > 1';
  if (op.kH * op.kW > 64) return 'kernel larger than 64 taps';
  // 3 taps: a 1-D kernel (str_ww's first layer, 3x1 over 40 channels: 20 instructions/MAC in depthwise.chan4).
  if (op.kH * op.kW < 3) return 'fewer than 3 taps (the prepass would dominate)';
  return undefined;
}

/**
 * A column (width 1, kernel width 1, no horizontal padding) as the row it is in memory: NHWC [H][1][C] and
 * [1][H][C] are the same bytes, and the kernel taps keep their order (t = ky). Along a row the kernel pairs
 * output pixels (one call per two outputs instead of one).
 */
function asRow(op: KDepthwiseConv2d): KDepthwiseConv2d {
  if (op.inW !== 1 || op.outW !== 1 || op.kW !== 1 || op.padLeft !== 0 || op.padRight !== 0 || op.inH === 1) return op;
  return { ...op, inH: 1, inW: op.inH, outH: 1, outW: op.outH, kH: 1, kW: op.kH, strideH: op.strideW, strideW: op.strideH,
    dilationH: op.dilationW, dilationW: op.dilationH, padTop: 0, padBottom: 0, padLeft: op.padTop, padRight: op.padBottom };
}

function generalBufC(op: KDepthwiseConv2d): number { return Math.ceil(op.inC / 4) * 4; }

export function depthwiseGeneralScratch(op: KDepthwiseConv2d): number {
  const r = asRow(op);
  return padBytesG(padGeomG(r, generalBufC(r)), 2);
}

export function emitDepthwiseGeneralFast(op0: KDepthwiseConv2d, m: Pick<KernelModule, 'consts'>, opts: { fn?: string } = {}): FastResult {
  const op = asRow(op0);
  const why = depthwiseGeneralApplies(op);
  if (why) return { ok: false, reason: why };
  const C = op.outC, bufC = generalBufC(op);
  const wc = constById(m, op.weights).data;
  const bias = constById(m, op.bias).data;
  const taps = op.kH * op.kW;
  const xMax = maxAbsInput(op.inputOffset);
  const wAt = (c: number, t: number) => wc[t * C + c]!;
  const rp = planRequant(op, C,
    (c) => { let s = Math.abs(bias[c]!); for (let t = 0; t < taps; t++) s += Math.abs(wAt(c, t)) * xMax; return s; },
    (c) => { let s = 0; for (let t = 0; t < taps; t++) s = Math.max(s, Math.abs(wAt(c, t))); return s; },
    (c) => accRangeOf(bias[c]!, wc, op.inputOffset, c, taps, C));
  if (!rp.ok) return { ok: false, reason: rp.reason };
  const name = opts.fn ?? cIdent(`tf_dwg_${op.index}_${op.name}`);
  const pg = padGeomG(op, bufC);
  const pixB = op.strideW * bufC * 2; // bytes between adjacent output pixels
  // The LDRD immediates of one tap window for two pixels must fit (+-1020): else no pixel pairing / not applicable.
  const tapOff = (t: number) => ((Math.floor(t / op.kW) * op.dilationH * pg.bufW + (t % op.kW) * op.dilationW) * bufC) * 2;
  if (pixB + 8 > 1020) return { ok: false, reason: 'pixels too far apart for immediate offsets' };
  const P2 = op.outW >= 2;
  const groups = bufC / 4;
  // Group key: the four stored positions' shifts (absent channels take e = 0).
  const chOf = (g: number, j: number) => 4 * g + channelAt(j);
  const eOf = (c: number) => (c < C ? rp.channels[c]!.e : 0);
  const keyOf = (g: number, flags: boolean) => [0, 1, 2, 3].map((j) => (flags ? Math.min(1, eOf(chOf(g, j))) : eOf(chOf(g, j)))).join('_');
  // SSAT takes its shift as an immediate: a block function per tuple of the group's shifts. With more than
  // two tuples, one function per tuple of (shift > 0) flags reads each channel's shift from the table
  // instead (an LDR and ASR by register more per output): far less code (str_ww's 15 x 9 depthwise: 14
  // functions of 646 bytes each before).
  const regShift = new Set(Array.from({ length: groups }, (_, g) => keyOf(g, false))).size > 2;
  const byKey = new Map<string, number[]>();
  for (let g = 0; g < groups; g++) {
    const key = keyOf(g, regShift);
    (byKey.get(key) ?? byKey.set(key, []).get(key)!).push(g);
  }
  const per = taps * 2 + 4 * (regShift ? 5 : 4) + 1;
  const tab: number[] = [];
  const pack = (lo: number, hi: number) => (((lo & 0xffff) | (hi & 0xffff) << 16) >>> 0);
  const parts: string[] = [];
  const driver: string[] = [];
  let inst = 0;
  const oRow = op.outW * C;
  for (const [key, gs] of byKey) {
    const es = key.split('_').map(Number);
    const off = tab.length;
    for (const g of gs) {
      const cs = [0, 1, 2, 3].map((j) => chOf(g, j));
      const sw = (c: number, t: number) => (c < C ? wAt(c, t) * rp.channels[c]!.wScale : 0);
      for (let t = 0; t < taps; t++) tab.push(pack(sw(cs[0]!, t), sw(cs[1]!, t)), pack(sw(cs[2]!, t), sw(cs[3]!, t)));
      for (const c of cs) tab.push(c < C ? (bias[c]! * rp.channels[c]!.wScale) >>> 0 : 0);
      for (const c of cs) tab.push(c < C ? rp.channels[c]!.M >>> 0 : 0);
      for (const c of cs) tab.push(c < C ? rp.channels[c]!.C >>> 0 : 0);
      for (const c of cs) tab.push(c < C ? c : -1 >>> 0);
      if (regShift) for (const c of cs) tab.push(eOf(c));
      tab.push(g * 4);
    }
    const fnName = `${name}_g${inst++}`;
    const body = (P: 1 | 2): string => {
      const L = [`static void __attribute__((noinline)) ${fnName}_p${P}(const int16_t *in, const uint32_t *w, int8_t *out_) {`,
        `  const int32_t *bq = (const int32_t *)w + ${taps * 2};`,
        `  int32_t ${Array.from({ length: 4 * P }, (_, i) => `a${i} = bq[${i % 4}]`).join(', ')};`,
        `  uint32_t x0, x1, w0, w1;`];
      let base = 0;
      for (let t = 0; t < taps; t++) {
        L.push(`  TFK_LDRD_POST(w0, w1, w);`);
        if (tapOff(t) + (P - 1) * pixB - base > 1020) {
          L.push(`  in = (const int16_t *)((const char *)in + ${tapOff(t) - base}); __asm__("" : "+r"(in));`);
          base = tapOff(t);
        }
        for (let p = 0; p < P; p++) {
          const o = tapOff(t) + p * pixB - base;
          L.push(`  TFK_LDRD(x0, x1, in, ${o}); a${4 * p} = tfk_smlabb(x0, w0, a${4 * p}); a${4 * p + 1} = tfk_smlatt(x0, w0, a${4 * p + 1});`,
            `  a${4 * p + 2} = tfk_smlabb(x1, w1, a${4 * p + 2}); a${4 * p + 3} = tfk_smlatt(x1, w1, a${4 * p + 3});`);
        }
      }
      L.push(`  const int32_t *prm = (const int32_t *)w + 4;`);
      for (let j = 0; j < 4; j++) {
        if (chOf(gs[0]!, j) >= C && gs.every((g) => chOf(g, j) >= C)) continue;
        const someAbsent = gs.some((g) => chOf(g, j) >= C);
        L.push(`  ${someAbsent ? `if (prm[${8 + j}] >= 0) ` : ''}{ const int32_t mm = prm[${j}], cc = prm[${4 + j}]; int8_t *o = out_ + prm[${8 + j}];`);
        for (let p = 0; p < P; p++) {
          const a = `a${4 * p + j}`;
          L.push(regShift
            ? `    { int32_t r${p}_t = tfk_smmlar(${a}, mm, cc);${es[j] ? ` r${p}_t -= (int32_t)((uint32_t)(${a}) >> 31);` : ''} r${p}_t >>= prm[${12 + j}]; int32_t r${p}; TFK_SSAT0(r${p}, r${p}_t);` +
              `${op.actMin > -128 ? ` if (r${p} < ${op.actMin}) r${p} = ${op.actMin};` : ''}${op.actMax < 127 ? ` if (r${p} > ${op.actMax}) r${p} = ${op.actMax};` : ''} o[${p * C}] = (int8_t)r${p}; }`
            : `    { ${requantC(a, 'mm', 'cc', es[j]!, `r${p}`, op)} o[${p * C}] = (int8_t)r${p}; }`);
        }
        L.push(`  }`);
      }
      for (let j = 0; j < 4; j++) if (chOf(gs[0]!, j) >= C && gs.every((g) => chOf(g, j) >= C)) for (let p = 0; p < P; p++) L.push(`  (void)a${4 * p + j};`);
      L.push(`}`);
      return L.join('\n');
    };
    if (P2) parts.push(body(2));
    if (!P2 || op.outW % 2) parts.push(body(1));
    const fullEnd = P2 ? op.outW - (op.outW % 2) : 0;
    driver.push(`  for (int i = 0; i < ${gs.length}; i++) {`,
      `    const uint32_t *w = W + ${off} + i * ${per}; const int16_t *sg = s + w[${per - 1}];`,
      `    for (int oy = 0; oy < ${op.outH}; oy++) {`,
      `      const int16_t *row = sg + oy * ${op.strideH * pg.bufW * bufC}; int8_t *o = out + oy * ${oRow};`,
      ...(P2 ? [`      for (int ox = 0; ox < ${fullEnd}; ox += 2) ${fnName}_p2(row + ox * ${op.strideW * bufC}, w, o + ox * ${C});`] : []),
      ...(fullEnd < op.outW ? [`      for (int ox = ${fullEnd}; ox < ${op.outW}; ox++) ${fnName}_p1(row + ox * ${op.strideW * bufC}, w, o + ox * ${C});`] : []),
      `    }`, `  }`);
  }
  const data = `static const uint32_t ${name}_w[${tab.length}] __attribute__((aligned(8))) = {${tab.map((v) => v + 'u').join(',')}};`;
  const code = [
    SIMD_PRELUDE,
    widenG(`${name}_widen`, pg, op.inputOffset),
    ...parts,
    `static void ${name}(const int8_t *in, int8_t *out, int8_t *scratch) {`,
    `  int16_t *s = (int16_t *)(void *)scratch;`,
    `  ${name}_widen(in, s);`,
    `  const uint32_t *W = (const uint32_t *)tfk_hide(${name}_w);`,
    ...driver,
    `}`,
  ].join('\n');
  const macs = op.outH * op.outW * C * taps;
  return { ok: true, kernel: { fn: name, data, code, scratchBytes: depthwiseGeneralScratch(op), constBytes: tab.length * 4,
    estimate: { instructions: Math.round(macs * 1.45 + op.outH * op.outW * bufC * 6), loads: Math.round(macs * 0.4) } } };
}
