// add through two tables (DSP cores, same-shape operands): TFLite's quantised ADD rescales each input on
// its own before summing, s_i = MBQM((x_i + offset_i) << leftShift, input_iQ), and x_i is an int8, so
// each s_i is one of 256 values: T1[x1] = s1 * 2^(left + 1) and T2[x2] = s2 * 2^(left + 1) (int32, 2 KB of
// flash per layer), and the output is the 4-instruction requantisation of requant.ts applied to
// T1[x1] + T2[x2] (the output multiplier's left shift and the factor 2 of the SMMLAR identity ride on the
// tables). planRequant proves the identity for the layer (|s1 + s2| * 2^left < 2^30 over every pair, M >= 0,
// e <= 31); otherwise the variant does not apply and add.generic (three double-rounding requantisations per
// element in C, about 56 instructions) stays. About 10 instructions per element on a Cortex-M4 (four elements
// per iteration, a word of each input).
// Each output element is written after both its inputs are read at the same index: the output may
// overlay either input (elementwise mode), as with add.generic.

import type { KAdd, Requantise } from '../../compiler/kernel-ir/types.ts';
import { multiplyByQuantizedMultiplier } from '../../compiler/quant/multiplier.ts';
import { planRequant, requantC } from './requant.ts';
import { SIMD_PRELUDE } from './simd-prelude.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export interface AddLutPlan { t1: number[]; t2: number[]; M: number; C: number; e: number; rq: Requantise }

const sameShape = (op: KAdd) => op.aShape.every((d, i) => d === op.outShape[i]) && op.bShape.every((d, i) => d === op.outShape[i]);

const plans = new WeakMap<KAdd, AddLutPlan | { reason: string }>();

/** The tables and output requantisation of an add, or why the table form does not apply. */
export function planAddLut(op: KAdd): AddLutPlan | { reason: string } {
  let p = plans.get(op);
  if (!p) { p = planAddLutUncached(op); plans.set(op, p); }
  return p;
}

function planAddLutUncached(op: KAdd): AddLutPlan | { reason: string } {
  if (!sameShape(op)) return { reason: 'broadcasting add' };
  const s = (x: number, off: number, q: { multiplier: number; shift: number }) =>
    multiplyByQuantizedMultiplier(Math.imul(x + off, 2 ** op.leftShift) | 0, q, 'tflm');
  const s1 = Array.from({ length: 256 }, (_, i) => s(i - 128, op.input1Offset, op.input1Q));
  const s2 = Array.from({ length: 256 }, (_, i) => s(i - 128, op.input2Offset, op.input2Q));
  const bound = Math.max(Math.abs(Math.max(...s1) + Math.max(...s2)), Math.abs(Math.min(...s1) + Math.min(...s2)));
  const rq: Requantise = { inputOffset: 0, outputOffset: op.outputOffset, requant: { multiplier: Int32Array.of(op.outputQ.multiplier), shift: Int32Array.of(op.outputQ.shift) },
    rounding: 'double', actMin: op.actMin, actMax: op.actMax };
  const p = planRequant(rq, 1, () => bound, () => 0);
  if (!p.ok) return { reason: p.reason };
  const ch = p.channels[0]!;
  if (ch.constant !== undefined) return { reason: 'constant output' };
  // Tables indexed by the byte's unsigned value (x & 0xff).
  const byByte = (t: number[]) => Array.from({ length: 256 }, (_, u) => t[((u + 128) & 0xff)]! * ch.wScale);
  return { t1: byByte(s1), t2: byByte(s2), M: ch.M, C: ch.C, e: ch.e, rq };
}

/**
 * Index extraction and table loads as volatile asm, so that gcc keeps them grouped: per two elements four
 * UBFX, then the four table LDRs back to back (Cortex-M4 TRM: an LDR after an LDR whose result its address
 * does not need costs 1 cycle, 2 otherwise; interleaved with the UBFX every one costs 2).
 */
const LUT_PRELUDE = `#ifndef TFK_ADD_LUT
#define TFK_ADD_LUT
#if defined(__ARM_FEATURE_DSP)
#define TFK_UBFX8(d, v, lsb) __asm__ volatile("ubfx %0, %1, #" #lsb ", #8" : "=r"(d) : "r"(v))
#define TFK_LDR_IDX(d, base, i) __asm__ volatile("ldr %0, [%1, %2, lsl #2]" : "=r"(d) : "r"(base), "r"(i))
#else
#define TFK_UBFX8(d, v, lsb) ((d) = ((v) >> (lsb)) & 0xffu)
#define TFK_LDR_IDX(d, base, i) ((d) = (uint32_t)(base)[i])
#endif
#endif`;

export function emitAddLut(op: KAdd, ctx: Pick<EmitContext, 'fn'>): EmittedKernel {
  const p = planAddLut(op);
  if ('reason' in p) throw new Error(`add table kernel for op ${op.index} '${op.name}' not applicable: ${p.reason}`);
  const f = ctx.fn;
  const n = op.outShape.reduce((a, d) => a * d, 1);
  const data = `static const int32_t ${f}_t[512] TF_ALIGN(4) = {${[...p.t1, ...p.t2].map((v) => String(v | 0)).join(',')}};`;
  // Four elements per iteration: one word of each input (both read before any of the four outputs is
  // written, so the output may still overlay either input), the four table pairs and requantisations, four
  // byte stores (packing the word costs more than the three extra stores).
  const rqE = (k: number) => requantC(`s${k}`, 'm', 'c', p.e, `r${k}`, p.rq);
  const code = `${SIMD_PRELUDE}
${LUT_PRELUDE}
static void ${f}(const int8_t *a, const int8_t *b, int8_t *out)
{
  const int32_t *t1 = (const int32_t *)tfk_hide(${f}_t), *t2 = t1 + 256;
  const int32_t m = ${p.M | 0}, c = ${p.C | 0};
  int i = 0;
  for (; i + 4 <= ${n}; i += 4) {
    const uint32_t va = (uint32_t)tfk_ld32(a + i), vb = (uint32_t)tfk_ld32(b + i);
    int32_t s0, s1, s2, s3;
${[0, 2].map((k) => `    { uint32_t ia, ib, ja, jb, ua, ub, wa, wb;
      TFK_UBFX8(ia, va, ${8 * k}); TFK_UBFX8(ib, vb, ${8 * k}); TFK_UBFX8(ja, va, ${8 * k + 8}); TFK_UBFX8(jb, vb, ${8 * k + 8});
      TFK_LDR_IDX(ua, t1, ia); TFK_LDR_IDX(ub, t2, ib); TFK_LDR_IDX(wa, t1, ja); TFK_LDR_IDX(wb, t2, jb);
      s${k} = (int32_t)(ua + ub); s${k + 1} = (int32_t)(wa + wb); }`).join('\n')}
${[0, 1, 2, 3].map((k) => `    ${rqE(k)}`).join('\n')}
    out[i] = (int8_t)r0; out[i + 1] = (int8_t)r1; out[i + 2] = (int8_t)r2; out[i + 3] = (int8_t)r3;
  }
  for (; i < ${n}; i++) {
    const int32_t acc = t1[(uint8_t)a[i]] + t2[(uint8_t)b[i]];
    ${requantC('acc', 'm', 'c', p.e, 'r', p.rq)}
    out[i] = (int8_t)r;
  }
}
`;
  // Two table words read per element: the reuse the decoupled access-execute rule weighs (2 KB staged).
  return { data, code, constBytes: 2048, constantReads: 8 * n };
}

export const addLut = defineVariant<KAdd>({
  name: 'add.lut-m4',
  kind: 'add',
  priority: 5,
  applies: (op, t) => t.dsp && !('reason' in planAddLut(op)),
  scratchBytes: () => 0,
  modes: { elementwise: true },
  emit: emitAddLut,
  estimate: (op) => ({ instructions: op.outShape.reduce((p, d) => p * d, 1) * 11, loads: op.outShape.reduce((p, d) => p * d, 1) * 4 }),
});
