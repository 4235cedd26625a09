// Helium (MVE) depthwise conv2d for Cortex-M55 and M85, any kernel size, stride, dilation and depth
// multiplier, both arithmetics, scratch bounded by a window of rows (<= 2 KB where one channel fits).
//
// Pixels along the lanes: four horizontally adjacent output pixels of one channel are one int32 vector.
// Per tap, VLDRB.S32 gathers the four input bytes (offsets 0, s, 2s, 3s: s = strideW * G) from a window of
// R = (kH - 1) * dilationH + 1 rows holding a group of G input channels (NHWC, G bytes per pixel, padding
// filled with the input zero point), and VMLA.S32 multiplies them by the tap's weight, a scalar register:
// 2 instructions per 4 MACs. The input offset is folded into the bias (bias + inputOffset * sum(w)), so
// the window holds the raw bytes. The window is wide enough for the last, partial block of four: its extra
// lanes read zero-point padding and are not stored (VSTRB.32 scatter predicated by VCTP.32).
// Requantisation per vector of four outputs of one channel (the channel's M and shift are scalars), exact:
//   double rounding, right shift e: t = VQRDMULH(acc, M) + (acc >> 31); out = VRSHL(t, -e) + zp
//     (VQRDMULH = floor((acc*M + 2^30) / 2^31) = SaturatingRoundingDoublingHighMul for M >= 0, the sign
//     term makes VRSHL's round-half-up round half away from zero, as RoundingDivideByPOT does);
//   single rounding, right shift e: out = VRSHL(VQDMULH(acc, M), -e) + zp;
//   left shift (both): out = VQRDMULH(acc << left, M) + zp;
// then clamped by VMAX/VMIN and scattered into the NHWC output (offsets 0, o, 2o, 3o: o = output pixel stride).
// Loop order: channel groups, then output rows (the window slides: kept rows copied up, new rows copied
// in), then channels, then blocks of four pixels; per channel one record of int32: bias, M, shift
// (negative: right), zero point (the constant of a dead channel), the kH * kW weights.
// Modes: output rows [oy0, oy1) (the window refills at oy0) and channel slices (depth multiplier 1); the
// plain kernel reads an input row only when it enters the window, per group and in the group's channels
// only, so the output may overlay the input where `depthwiseHeliumOverlay` holds.

import type { KDepthwiseConv2d, KernelModule } from '../../compiler/kernel-ir/types.ts';
import { cIdent, constById, type FastResult } from './fast-kernel.ts';
import { HELIUM_PRELUDE } from './helium-prelude.ts';
import { accRangeOf, maxAbsInput, planRequant } from './requant.ts';
import type { ModalForm } from './variant.ts';

/** Scratch the window may take (more only when one channel's window is larger). */
export const DW_WINDOW_BUDGET = 2048;

export interface DwHeliumPlan { G: number; R: number; bufW: number; rowBytes: number; scratchBytes: number }

export function depthwiseHeliumApplies(op: KDepthwiseConv2d, mode?: ModalForm): string | undefined {
  if (op.batches !== 1) return 'batches > 1';
  if (mode && op.depthMultiplier !== 1) return 'channel slices with a depth multiplier';
  if (op.kH * op.kW > 64) return 'kernel larger than 64 taps';
  return undefined;
}

export function planDepthwiseHelium(op: KDepthwiseConv2d, mode?: ModalForm): DwHeliumPlan {
  const R = (op.kH - 1) * op.dilationH + 1;
  const blocksW = Math.ceil(op.outW / 4) * 4;
  const bufW = Math.max(op.padLeft + op.inW, (blocksW - 1) * op.strideW + (op.kW - 1) * op.dilationW + 1);
  const inC = mode ? mode.width : op.inC;
  let G = Math.min(16, inC);
  while (G > 1 && R * bufW * G > DW_WINDOW_BUDGET) G = G > 4 ? G - 4 : G - 1;
  const rowBytes = bufW * G;
  return { G, R, bufW, rowBytes, scratchBytes: Math.ceil(R * rowBytes / 8) * 8 };
}

export function depthwiseHeliumScratch(op: KDepthwiseConv2d): number { return planDepthwiseHelium(op).scratchBytes; }

/** The plain kernel may write its output over its input (same start address). */
export function depthwiseHeliumOverlay(op: KDepthwiseConv2d): boolean {
  if (op.depthMultiplier !== 1 || op.outW > op.inW || op.outH > op.inH) return false;
  const R = (op.kH - 1) * op.dilationH + 1, S = op.strideH;
  for (let oy = 0; oy + 1 < op.outH; oy++) {
    const next = Math.max(0, (oy + 1) * S - op.padTop + Math.max(R - S, 0));
    if (next < op.inH && (oy + 1) * op.outW > next * op.inW) return false;
  }
  return true;
}

export function estimateDepthwiseHelium(op: KDepthwiseConv2d): { instructions: number; loads: number } {
  const blocks = op.outH * Math.ceil(op.outW / 4) * op.outC;
  const taps = op.kH * op.kW;
  return { instructions: Math.round(blocks * (2 * taps + 12) + op.outH * op.outC * (taps + 8) + op.inH * op.inW * Math.ceil(op.inC / 16) * 4), loads: blocks * taps };
}

export function emitDepthwiseHelium(op: KDepthwiseConv2d, m: Pick<KernelModule, 'consts'>, opts: { fn?: string; mode?: ModalForm } = {}): FastResult {
  const why = depthwiseHeliumApplies(op, opts.mode);
  if (why) return { ok: false, reason: why };
  const plan = planDepthwiseHelium(op, opts.mode);
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
  const { G, R, bufW, rowBytes } = plan;
  const inStride = opts.mode ? opts.mode.inStride : op.inC;
  const outStride = opts.mode ? opts.mode.outStride : op.outC;
  const width = opts.mode ? opts.mode.width : op.inC; // input channels the call walks
  const zp = -op.inputOffset;
  const S = op.strideH;
  const left = op.padLeft, right = bufW - op.padLeft - op.inW;
  const tapOff = (t: number) => { const ky = Math.floor(t / op.kW), kx = t % op.kW; return ky * op.dilationH * rowBytes + kx * op.dilationW * G; };
  const clampLo = Math.max(op.actMin, -128), clampHi = Math.min(op.actMax, 127);
  const inner = (kind: 'r' | 'l') => {
    const L: string[] = [`      for (int ox = 0; ox < ${op.outW}; ox += 4, xw += ${4 * op.strideW * G}, yo += ${4 * outStride}) {`,
      `        tfh_v32 a = tfh_dup32(rec[0]);`];
    for (let t = 0; t < taps; t++) L.push(`        a = tfh_mla(a, tfh_gather(xw + ${tapOff(t)}, offs), w${t});`);
    if (kind === 'r') {
      L.push(single ? `        tfh_v32 o = tfh_rshl(tfh_qdmulh(a, M), sh);`
        : `        tfh_v32 o = tfh_rshl(tfh_add(tfh_qrdmulh(a, M), tfh_sign(a)), sh);`);
    } else L.push(`        tfh_v32 o = tfh_qrdmulh(tfh_shl(a, sh), M);`);
    L.push(`        o = tfh_min(tfh_max(tfh_addn(o, z), lo), hi);`,
      op.outW % 4 === 0 ? `        tfh_scatter4(yo, offo, o);` : `        tfh_scatter(yo, offo, o, ${op.outW} - ox);`,
      `      }`);
    return L;
  };
  const code: string[] = [HELIUM_PRELUDE,
    `static void ${name}_fill(int8_t *d, const int8_t *x, int gn) {`,
    `  const tfh_v8 z = tfh_dup8(${zp});`,
    `  if (!x) { for (int i = 0; i < ${bufW}; i++) tfh_st8n(d + i * ${G}, z, gn); return; }`,
    ...(left ? [`  for (int i = 0; i < ${left}; i++) tfh_st8n(d + i * ${G}, z, gn);`] : []),
    `  d += ${left * G};`,
    `  for (int i = 0; i < ${op.inW}; i++) tfh_st8n(d + i * ${G}, tfh_ld8n(x + i * ${inStride}, gn), gn);`,
    ...(right ? [`  for (int i = ${op.inW}; i < ${op.inW + right}; i++) tfh_st8n(d + i * ${G}, z, gn);`] : []),
    `}`,
    `static void ${name}_run(const int8_t *in, int8_t *out, int oy0, int oy1, int c0, int8_t *s) {`,
    `  const int32_t *T = (const int32_t *)tfh_hide(${name}_t);`,
    `  const tfh_u32 offs = tfh_offsets(${op.strideW * G}), offo = tfh_offsets(${outStride});`,
    `  const tfh_v32 lo = tfh_dup32(${clampLo}), hi = tfh_dup32(${clampHi});`,
    `  for (int g0 = 0; g0 < ${width}; g0 += ${G}) {`,
    `    const int gn = ${width} - g0 < ${G} ? ${width} - g0 : ${G};`,
    `    for (int oy = oy0; oy < oy1; oy++) {`,
    `      const int iy0 = oy * ${S} - ${op.padTop};`,
    `      int r = 0;`,
    ...(S < R ? [`      if (oy > oy0) { for (int k = 0; k < ${R - S}; k++) memcpy(s + k * ${rowBytes}, s + (k + ${S}) * ${rowBytes}, ${rowBytes}); r = ${R - S}; }`] : []),
    `      for (; r < ${R}; r++) { const int iy = iy0 + r; ${name}_fill(s + r * ${rowBytes}, iy >= 0 && iy < ${op.inH} ? in + iy * ${op.inW * inStride} + g0 : 0, gn); }`,
    `      for (int ci = 0; ci < gn; ci++) for (int k = 0; k < ${mult}; k++) {`,
    `        const int oc = (g0 + ci) * ${mult} + k;`,
    `        const int32_t *rec = T + (c0 + oc) * ${per};`,
    `        const int32_t M = rec[1], sh = rec[2], z = rec[3];`,
    ...Array.from({ length: taps }, (_, t) => `        const int32_t w${t} = rec[${4 + t}];`),
    `        const int8_t *xw = s + ci; int8_t *yo = out + (oy - oy0) * ${op.outW * outStride} + oc;`,
    `        if (sh < 0) {`, ...inner('r').map((l) => '  ' + l), `        } else {`, ...inner('l').map((l) => '  ' + l), `        }`,
    `      }`,
    `    }`,
    `  }`,
    `}`];
  code.push(...(opts.mode
    ? [`static void ${name}(const int8_t *in, int8_t *out, int oy0, int oy1, int c0, int8_t *scratch) {`, `  ${name}_run(in, out, oy0, oy1, c0, scratch);`, `}`]
    : [`static void ${name}(const int8_t *in, int8_t *out, int8_t *scratch) {`, `  ${name}_run(in, out, 0, ${op.outH}, 0, scratch);`, `}`]));
  const data = `static const int32_t ${name}_t[${tab.length}] __attribute__((aligned(8))) = {${tab.map((v) => v | 0).join(',')}};`;
  return { ok: true, kernel: { fn: name, data, code: code.join('\n'), scratchBytes: plan.scratchBytes, constBytes: tab.length * 4,
    estimate: estimateDepthwiseHelium(op) } };
}
