// TFLite's quantised ADD on X-HEEP's RV32IMC core, for the host program (app.ts) and the host-only baseline.
// The portable add (mcu-backend/emit/add.ts) runs three 64-bit double-rounding requantisations per element,
// ~80-100 CV32E40P cycles. Here each input's rescaling, s_i = MBQM((x_i + offset_i) << leftShift, input_iQ),
// depends on one int8 only, so it is a 256-entry int32 table (exact: computed by compiler/quant/multiplier.ts),
// stored already shifted by the fast requantisation's pre-shift; the output is requant.ts's one-MULH form of
// MBQM(s1 + s2, outputQ) (exact for both arithmetics: ADD always double-rounds, as the golden runtime does).
// Applies to same-shape operands when the fast form is valid over every pair of table values
// (|s1 + s2| <= fastLimit); otherwise undefined and the portable add stays. About 20 cycles per element.
import type { KAdd } from '../../compiler/kernel-ir/types.ts';
import { multiplyByQuantizedMultiplier } from '../../compiler/quant/multiplier.ts';
import { fastLimit, fastRequant, type FastRequant } from './requant.ts';

export interface HostAddPlan { t1: Int32Array; t2: Int32Array; f: FastRequant; n: number }

/** Tables (indexed by the byte's unsigned value, pre-shifted) and output requantisation, or why not. */
export function planHostAdd(op: KAdd): HostAddPlan | { reason: string } {
  const same = op.aShape.every((d, i) => d === op.outShape[i]) && op.bShape.every((d, i) => d === op.outShape[i]);
  if (!same) return { reason: 'broadcasting add' };
  const f = fastRequant(op.outputQ.multiplier, op.outputQ.shift, 'tflm', op.outputOffset, op.actMin);
  if (!f) return { reason: 'output multiplier outside the one-MULH form' };
  const s = (x: number, off: number, q: KAdd['input1Q']): number => multiplyByQuantizedMultiplier(Math.imul(x + off, 2 ** op.leftShift) | 0, q, 'tflm');
  const raw1 = Array.from({ length: 256 }, (_, u) => s(((u + 128) & 255) - 128, op.input1Offset, op.input1Q));
  const raw2 = Array.from({ length: 256 }, (_, u) => s(((u + 128) & 255) - 128, op.input2Offset, op.input2Q));
  const bound = Math.max(Math.abs(Math.max(...raw1) + Math.max(...raw2)), Math.abs(Math.min(...raw1) + Math.min(...raw2)));
  if (bound > fastLimit(f)) return { reason: `|s1 + s2| up to ${bound}: over the one-MULH bound ${fastLimit(f)}` };
  const sh = (t: number[]): Int32Array => Int32Array.from(t, (v) => v * 2 ** f.pre);
  return { t1: sh(raw1), t2: sh(raw2), f, n: op.outShape.reduce((a, d) => a * d, 1) };
}

/** The element computation in TypeScript (what the C does), for the tests. */
export function hostAddElement(p: HostAddPlan, a: number, b: number, actMin: number, actMax: number): number {
  const s = (p.t1[a & 255] + p.t2[b & 255]) | 0;
  const y = Number((BigInt(s) * BigInt(p.f.m)) >> 32n) | 0;
  const y2 = p.f.corr && y < 0 ? y - 2 : y;
  const v = (y2 + p.f.K) >> p.f.E;
  return v < actMin ? actMin : v > actMax ? actMax : v;
}

/** C of `void fn(const int8_t *a, const int8_t *b, int8_t *out)` (needs <stdint.h>). */
export function hostAddC(op: KAdd, p: HostAddPlan, fn: string): string {
  const list = (t: Int32Array): string => Array.from(t, String).join(',');
  const clamp = op.actMin === -128 && op.actMax === 127
    ? 'if (TF_UNLIKELY((uint32_t)(v + 128) > 255u)) v = (v >> 31) ^ 127;'
    : `if (TF_UNLIKELY((uint32_t)(v - ${op.actMin}) > ${op.actMax - op.actMin}u)) v = v < ${op.actMin} ? ${op.actMin} : ${op.actMax};`;
  return `/* ${op.name}: ADD through two exact rescaling tables and one MULH per element (cgra-mapper/host/cpu-add.ts). */
#ifndef TF_UNLIKELY
#if defined(__GNUC__)
#define TF_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define TF_UNLIKELY(x) (x)
#endif
#endif
static const int32_t ${fn}_t[512] = {${list(p.t1)},${list(p.t2)}};
void ${fn}(const int8_t *a, const int8_t *b, int8_t *out)
{
  const int32_t *const t1 = ${fn}_t, *const t2 = ${fn}_t + 256;
  #pragma GCC unroll 4
  for (int i = 0; i < ${p.n}; i++) {
    const int32_t s = t1[(uint8_t)a[i]] + t2[(uint8_t)b[i]];
    int32_t y = (int32_t)(((int64_t)s * ${p.f.m}) >> 32);
${p.f.corr ? '    y += (y >> 31) * 2;\n' : ''}    int32_t v = (y + ${p.f.K}) >> ${p.f.E};
    ${clamp}
    out[i] = (int8_t)v;
  }
}`;
}
