// Helium (MVE) depthwise conv2d for Cortex-M55 and M85, any kernel size, stride, dilation and depth
// multiplier, both arithmetics, scratch bounded (<= 2 KB where one channel's band of lines fits).
//
// Pixels along the lanes: four adjacent output pixels of one channel are one int32 vector, and each tap is
// VLDRB.S32 (four input bytes, contiguous, at an immediate offset) plus VMLA.S32 by the tap's weight (a
// scalar register): 2 instructions per 4 MACs. For that the kernel transposes, per channel, a band of the
// padded input plane into scratch (zero-point padding, so x + inputOffset = 0 there; the input offset is
// folded into the bias, bias + inputOffset * sum(w)), one "line" after the other, each line de-interleaved
// into strideA phase segments so that the lanes of a strided convolution are contiguous too. The lanes run
// along the output axis that fills them best: along W (lines are rows) or, for narrow tensors such as
// kws's 25x5 or str_ww's 28x1, along H (lines are columns). The segments are long enough for the last,
// partial block of four; its extra lanes read padding and are not stored (VSTRB.32 scatter predicated by
// VCTP.32, lane offsets 0, s, 2s, 3s for the output's pixel stride s along the lanes).
// Requantisation per vector of four outputs of one channel (the channel's M and shift are scalars), exact:
//   double rounding, right shift e: t = VQRDMULH(acc, M) + (acc >> 31); out = VRSHL(t, -e) + zp
//     (VQRDMULH = floor((acc*M + 2^30) / 2^31) = SaturatingRoundingDoublingHighMul for M >= 0, the sign
//     term makes VRSHL's round-half-up round half away from zero, as RoundingDivideByPOT does);
//   single rounding, right shift e: out = VRSHL(VQDMULH(acc, M), -e) + zp;
//   left shift (both): out = VQRDMULH(acc << left, M) + zp;
// then clamped by VMAX/VMIN. Per channel one record of int32: bias, M, shift (negative: right), zero point
// (the constant of a dead channel), the kH * kW weights.
// Modes: output rows [oy0, oy1) (lanes along W) and channel slices (output channels [c0, c0 + width), the
// input read from channel oc / multiplier of `in`, as the generic kernel does). The plain kernel
// reads a channel's input only while transposing it; when one band holds the whole plane, every output of
// the channel is written after its whole input was read, and only in that channel, so the output may
// overlay the input (`depthwiseHeliumOverlay`).

import type { KDepthwiseConv2d, KernelModule } from '../../compiler/kernel-ir/types.ts';
import { cIdent, constById, type FastResult } from './fast-kernel.ts';
import { HELIUM_PRELUDE } from './helium-prelude.ts';
import { accRangeOf, maxAbsInput, planRequant } from './requant.ts';
import type { ModalForm } from './variant.ts';

/** Scratch the window may take (more only when one channel's window is larger). */
export const DW_WINDOW_BUDGET = 2048;

export interface DwHeliumPlan {
  /** Lanes along W (false) or H (true). */
  swapped: boolean;
  /** Output extent along the lanes (A) and the lines (B); input extent, padding, stride, dilation, kernel. */
  outA: number; outB: number; inA: number; inB: number; padA: number; padB: number; sA: number; sB: number; dA: number; dB: number; kA: number; kB: number;
  /** Bytes per phase segment, per line (sA segments), lines per band, output lines per band. */
  seg: number; line: number; bandLines: number; bandOut: number;
  scratchBytes: number;
}

export function depthwiseHeliumApplies(op: KDepthwiseConv2d, mode?: ModalForm): string | undefined {
  if (op.batches !== 1) return 'batches > 1';
  if (mode && mode.width % op.depthMultiplier !== 0) return `modal form of ${mode.width} channels with depth multiplier ${op.depthMultiplier}`;
  if (op.kH * op.kW > 64) return 'kernel larger than 64 taps';
  return undefined;
}

const fill = (n: number) => n / (Math.ceil(n / 4) * 4);

export function planDepthwiseHelium(op: KDepthwiseConv2d, opts: { rows?: boolean } = {}): DwHeliumPlan {
  // Lanes along the axis with the better lane use (rows mode: along W, the lines are the rows it walks).
  const swapped = !opts.rows && fill(op.outH) > fill(op.outW) + 1e-9;
  const g = swapped
    ? { outA: op.outH, outB: op.outW, inA: op.inH, inB: op.inW, padA: op.padTop, padB: op.padLeft, sA: op.strideH, sB: op.strideW, dA: op.dilationH, dB: op.dilationW, kA: op.kH, kB: op.kW }
    : { outA: op.outW, outB: op.outH, inA: op.inW, inB: op.inH, padA: op.padLeft, padB: op.padTop, sA: op.strideW, sB: op.strideH, dA: op.dilationW, dB: op.dilationH, kA: op.kW, kB: op.kH };
  // Segment: the lanes of every block plus the farthest tap, per phase.
  const seg = Math.ceil(g.outA / 4) * 4 + Math.floor((g.kA - 1) * g.dA / g.sA);
  const line = seg * g.sA;
  const R = (g.kB - 1) * g.dB + 1;
  let bandOut = g.outB;
  while (bandOut > 1 && ((bandOut - 1) * g.sB + R) * line > DW_WINDOW_BUDGET) bandOut = Math.ceil(bandOut / 2);
  const bandLines = (bandOut - 1) * g.sB + R;
  return { swapped, ...g, seg, line, bandLines, bandOut, scratchBytes: Math.ceil(bandLines * line / 8) * 8 };
}

export function depthwiseHeliumScratch(op: KDepthwiseConv2d): number {
  return Math.max(planDepthwiseHelium(op).scratchBytes, planDepthwiseHelium(op, { rows: true }).scratchBytes);
}

/** The plain kernel may write its output over its input (same start address): one band per channel, multiplier 1. */
export function depthwiseHeliumOverlay(op: KDepthwiseConv2d): boolean {
  const p = planDepthwiseHelium(op);
  return op.depthMultiplier === 1 && p.bandOut === p.outB;
}

export function estimateDepthwiseHelium(op: KDepthwiseConv2d): { instructions: number; loads: number } {
  const p = planDepthwiseHelium(op);
  const blocks = p.outB * Math.ceil(p.outA / 4) * op.outC;
  const taps = op.kH * op.kW;
  const bands = Math.ceil(p.outB / p.bandOut);
  return { instructions: Math.round(blocks * (2 * taps + 11) + op.outC * bands * (taps + 12 + p.bandLines * (4 + p.line / 4 * 3 / p.sA))), loads: blocks * taps };
}

export function emitDepthwiseHelium(op: KDepthwiseConv2d, m: Pick<KernelModule, 'consts'>, opts: { fn?: string; mode?: ModalForm } = {}): FastResult {
  const why = depthwiseHeliumApplies(op, opts.mode);
  if (why) return { ok: false, reason: why };
  const wc = constById(m, op.weights).data;
  const bias = constById(m, op.bias).data;
  const taps = op.kH * op.kW;
  const C = op.outC;
  // Weights [1, kH, kW, outC]: tap t of channel c at t * C + c.
  const wAt = (c: number, t: number) => wc[t * C + c]!;
  const xMax = maxAbsInput(op.inputOffset);
  const rp = planRequant(op, C,
    (c) => { let s = Math.abs(bias[c]!); for (let t = 0; t < taps; t++) s += Math.abs(wAt(c, t)) * xMax; return s; },
    () => 0,
    (c) => accRangeOf(bias[c]!, wc, op.inputOffset, c, taps, C));
  if (!rp.ok) return { ok: false, reason: rp.reason };
  const single = op.rounding === 'single';
  const name = opts.fn ?? cIdent(`tf_dwh_${op.index}_${op.name}`);
  const mult = op.depthMultiplier;
  const per = 4 + taps;
  const tab: number[] = [];
  for (let c = 0; c < C; c++) {
    const r = rp.channels[c]!;
    if (r.constant !== undefined) { tab.push(0, 0, 0, r.constant, ...new Array<number>(taps).fill(0)); continue; }
    let s = 0; for (let t = 0; t < taps; t++) s += wAt(c, t);
    tab.push((bias[c]! + op.inputOffset * s) | 0, r.M | 0, r.e > 0 ? -r.e : Math.log2(r.wScale) - 1, op.outputOffset);
    for (let t = 0; t < taps; t++) tab.push(wAt(c, t));
  }
  const rowsMode = opts.mode !== undefined;
  const p = planDepthwiseHelium(op, { rows: rowsMode });
  const inStride = opts.mode ? opts.mode.inStride : op.inC;
  const outStride = opts.mode ? opts.mode.outStride : op.outC;
  // Input channels the call walks: output channels [c0, c0 + width) read input channels oc / multiplier from `in` on (as depthwise.ts).
  const width = opts.mode ? opts.mode.width / op.depthMultiplier : op.inC;
  const zp = -op.inputOffset;
  // Input / output strides (bytes) along the lanes (A) and the lines (B).
  const inA = p.swapped ? op.inW * inStride : inStride, inB = p.swapped ? inStride : op.inW * inStride;
  const outA = p.swapped ? op.outW * outStride : outStride, outB = p.swapped ? outStride : op.outW * outStride;
  // Tap (kb, ka) -> weight index and scratch offset from the block's first lane (line of the band, phase segment).
  const tapOff = (kb: number, ka: number) => kb * p.dB * p.line + ((ka * p.dA) % p.sA) * p.seg + Math.floor(ka * p.dA / p.sA);
  const wIdx = (kb: number, ka: number) => (p.swapped ? ka * op.kW + kb : kb * op.kW + ka);
  const clampLo = Math.max(op.actMin, -128), clampHi = Math.min(op.actMax, 127);
  const full = p.outA % 4 === 0;
  // One channel's lines of a band, one out-of-line function per kind (inlined into one function, gcc
  // allocated the second loop's registers badly); the channel's constants are vectors (the general
  // registers hold the weights).
  const chanFn = (kind: 'r' | 'l') => {
    const rq = (acc: string, yo: string, ind: string): string[] => [
      kind === 'r'
        ? (single ? `${ind}{ tfh_v32 o = tfh_rshlv(tfh_qdmulhv(${acc}, Mv), shv);`
          : `${ind}{ tfh_v32 o = tfh_rshlv(tfh_add(tfh_qrdmulhv(${acc}, Mv), tfh_sign(${acc})), shv);`)
        : `${ind}{ tfh_v32 o = tfh_qrdmulhv(tfh_shlv(${acc}, shv), Mv);`,
      `${ind}  o = tfh_add(o, zv);`,
      ...(clampHi < 127 ? [`${ind}  o = tfh_min(tfh_max(o, lo), hi);`] : [...(clampLo > -128 ? [`${ind}  o = tfh_max(o, lo);`] : []), `${ind}  o = tfh_sat8(o);`]),
      full ? `${ind}  tfh_scatter4(${yo}, offo, o); }` : `${ind}  tfh_scatter(${yo}, offo, o, ${p.outA} - a); }`];
    const L: string[] = [`static void __attribute__((noinline)) ${name}_${kind}(const int8_t *s, int8_t *y, const int32_t *rec, int nb) {`,
      `  const tfh_u32 offo = tfh_offsets(${outA});`,
      `  const tfh_v32 lo = tfh_dup32(${clampLo}), hi = tfh_dup32(${clampHi}); (void)lo; (void)hi;`,
      `  const tfh_v32 bv = tfh_dup32(rec[0]), Mv = tfh_dup32(rec[1]), shv = tfh_dup32(rec[2]), zv = tfh_dup32(rec[3]);`,
      ...Array.from({ length: taps }, (_, t) => `  const int32_t w${t} = rec[${4 + t}];`),
      `  int b = 0;`];
    // Two output lines at a time: each loaded input vector serves both where their kernel rows overlap.
    if (p.sB < (p.kB - 1) * p.dB + 1) {
      L.push(`  for (; b + 2 <= nb; b += 2) {`,
        `    const int8_t *xw = s + b * ${p.sB * p.line}; int8_t *yo = y + b * ${outB};`,
        `    for (int a = 0; a < ${p.outA}; a += 4, xw += 4, yo += ${4 * outA}) {`,
        `      tfh_v32 acc0 = bv, acc1 = bv;`);
      const rows = new Set<number>();
      for (let kb = 0; kb < p.kB; kb++) { rows.add(kb * p.dB); rows.add(p.sB + kb * p.dB); }
      for (const ro of [...rows].sort((x, y) => x - y)) for (let ka = 0; ka < p.kA; ka++) {
        const k0 = ro % p.dB === 0 && ro / p.dB < p.kB ? ro / p.dB : -1;
        const k1 = (ro - p.sB) >= 0 && (ro - p.sB) % p.dB === 0 && (ro - p.sB) / p.dB < p.kB ? (ro - p.sB) / p.dB : -1;
        const off = ro * p.line + ((ka * p.dA) % p.sA) * p.seg + Math.floor(ka * p.dA / p.sA);
        L.push(`      { const tfh_v32 v = tfh_ld32s(xw + ${off});`);
        if (k0 >= 0) L.push(`        acc0 = tfh_mla(acc0, v, w${wIdx(k0, ka)});`);
        if (k1 >= 0) L.push(`        acc1 = tfh_mla(acc1, v, w${wIdx(k1, ka)});`);
        L.push(`      }`);
      }
      L.push(...rq('acc0', 'yo', '      '), ...rq('acc1', `yo + ${outB}`, '      '), `    }`, `  }`);
    }
    L.push(`  for (; b < nb; b++) {`,
      `    const int8_t *xw = s + b * ${p.sB * p.line}; int8_t *yo = y + b * ${outB};`,
      `    for (int a = 0; a < ${p.outA}; a += 4, xw += 4, yo += ${4 * outA}) {`,
      `      tfh_v32 acc = bv;`);
    for (let kb = 0; kb < p.kB; kb++) for (let ka = 0; ka < p.kA; ka++)
      L.push(`      acc = tfh_mla(acc, tfh_ld32s(xw + ${tapOff(kb, ka)}), w${wIdx(kb, ka)});`);
    L.push(...rq('acc', 'yo', '      '), `    }`, `  }`, `}`);
    return L.join('\n');
  };

  // Transposing fill of lines [b0, b0 + n) of the padded plane (line b = input line b - padB) of channel x.
  const fillFn = [
    `static void ${name}_fill(int8_t *d, const int8_t *x, int b0, int n) {`,
    `  const tfh_v8 z = tfh_dup8(${zp});`,
    `  { const int e = n * ${p.line}; int i = 0; for (; i + 16 <= e; i += 16) tfh_st8(d + i, z); if (i < e) tfh_st8n(d + i, z, e - i); }`,
    `  const tfh_u32 offi = tfh_offsets(${p.sA * inA}); const tfh_u16 off8 = tfh_offsets16(${p.sA * inA}); (void)offi; (void)off8;`,
    `  for (int l = 0; l < n; l++) {`,
    `    const int ib = b0 + l - ${p.padB};`,
    `    if (ib < 0 || ib >= ${p.inB}) continue;`,
    `    const int8_t *xl = x + ib * ${inB}; int8_t *dl = d + l * ${p.line};`,
    // Phase ph holds padded positions ph, ph + sA, ...: input positions (j * sA + ph) - padA, j in [j0, j1).
    ...Array.from({ length: p.sA }, (_, ph) => {
      let j0 = 0; while (j0 * p.sA + ph < p.padA) j0++;
      let j1 = p.seg; while (j1 > j0 && (j1 - 1) * p.sA + ph - p.padA >= p.inA) j1--;
      if (j1 <= j0) return [];
      const octs = Math.floor((j1 - j0) / 8), j8 = j0 + 8 * octs;
      const quads = Math.floor((j1 - j8) / 4), rest = j1 - j8 - 4 * quads;
      const src = (j: string) => `xl + (${j} * ${p.sA} + ${ph - p.padA}) * ${inA}`;
      return [
        ...(octs ? [`    for (int j = ${j0}; j < ${j8}; j += 8) tfh_copy8(dl + ${ph * p.seg} + j, ${src('j')}, off8);`] : []),
        ...(quads ? [`    tfh_st32(dl + ${ph * p.seg + j8}, tfh_gather(${src(String(j8))}, offi));`] : []),
        ...(rest ? [`    tfh_st32n(dl + ${ph * p.seg + j8 + 4 * quads}, tfh_gathern(${src(String(j8 + 4 * quads))}, offi, ${rest}), ${rest});`] : []),
      ];
    }).flat(),
    `  }`,
    `}`];
  const code: string[] = [HELIUM_PRELUDE, ...fillFn, chanFn('r'), chanFn('l'),
    `static void ${name}_run(const int8_t *in, int8_t *out, int ob0, int ob1, int c0, int8_t *s) {`,
    `  const int32_t *T = (const int32_t *)tfh_hide(${name}_t);`,
    `  for (int ci = 0; ci < ${width}; ci++) {`,
    `    for (int b0 = ob0; b0 < ob1; b0 += ${p.bandOut}) {`,
    `      const int nb = ob1 - b0 < ${p.bandOut} ? ob1 - b0 : ${p.bandOut};`,
    `      ${name}_fill(s, in + ci, b0 * ${p.sB}, (nb - 1) * ${p.sB} + ${(p.kB - 1) * p.dB + 1});`,
    `      for (int k = 0; k < ${mult}; k++) {`,
    `        const int oc = ci * ${mult} + k;`,
    `        const int32_t *rec = T + (c0 + oc) * ${per};`,
    `        int8_t *y = out + (b0 - ob0) * ${outB} + oc;`,
    `        if (rec[2] < 0) ${name}_r(s, y, rec, nb); else ${name}_l(s, y, rec, nb);`,
    `      }`,
    `    }`,
    `  }`,
    `}`];
  code.push(...(opts.mode
    ? [`static void ${name}(const int8_t *in, int8_t *out, int oy0, int oy1, int c0, int8_t *scratch) {`, `  ${name}_run(in, out, oy0, oy1, c0, scratch);`, `}`]
    : [`static void ${name}(const int8_t *in, int8_t *out, int8_t *scratch) {`, `  ${name}_run(in, out, 0, ${p.outB}, 0, scratch);`, `}`]));
  const data = `static const int32_t ${name}_t[${tab.length}] __attribute__((aligned(8))) = {${tab.map((v) => v | 0).join(',')}};`;
  return { ok: true, kernel: { fn: name, data, code: code.join('\n'), scratchBytes: depthwiseHeliumScratch(op), constBytes: tab.length * 4,
    estimate: estimateDepthwiseHelium(op) } };
}
