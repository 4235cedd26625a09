// Helium (MVE) element-wise ADD for Cortex-M55 / M85 (same-shape operands; broadcasting keeps add.generic):
// TFLite's quantised ADD on four int32 lanes at a time, VLDRB.S32 widening loads and a VSTRB.32 narrowing
// store (the last partial vector predicated by VCTP.32). Each input is (x + offset) << leftShift, then
// MultiplyByQuantizedMultiplier with double rounding (both arithmetics use it for ADD), the two summed and
// requantised to the output the same way:
//   SaturatingRoundingDoublingHighMul(a, M) = VQRDMULH(a, M)  (equal for every a, M but INT32_MIN twice,
//     which a Q31 multiplier >= 2^30 never is: floor((a*M + 2^30) / 2^31) is also gemmlowp's rounding of
//     negative products, trunc((a*M + 1 - 2^30) / 2^31))
//   RoundingDivideByPOT(t, e) = VRSHL(t + (t >> 31), -e)     (round half away from zero from VRSHL's half up)
// The left shift of a positive exponent is VSHL (wrapping like the reference's uint32 shift).
// The output element i is written after both inputs' element i are read: safe over either input (mode
// `elementwise`, in place).
import type { KAdd, QM } from '../../compiler/kernel-ir/types.ts';
import { helium, HELIUM_PRELUDE } from './helium-prelude.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

/** C expression: MultiplyByQuantizedMultiplier of vector `x` (tflm double rounding). */
function mbqm(x: string, q: QM): string {
  const left = q.shift > 0 ? q.shift : 0, right = q.shift > 0 ? 0 : -q.shift;
  let t = `tfh_qrdmulh(${left ? `tfh_shl(${x}, ${left})` : x}, ${q.multiplier | 0})`;
  if (right) t = `tfh_rshl(tfh_add_sign(${t}), ${-right})`;
  return t;
}

export function emitAddHelium(op: KAdd, ctx: EmitContext): EmittedKernel {
  const n = op.outShape.reduce((p, d) => p * d, 1);
  const one = (ind: string, pred: boolean) => [
    `${ind}const tfh_v32 xa = tfh_shl(tfh_addn(${pred ? 'tfh_ld32sn(a + i, n - i)' : 'tfh_ld32s(a + i)'}, ${op.input1Offset}), ${op.leftShift});`,
    `${ind}const tfh_v32 xb = tfh_shl(tfh_addn(${pred ? 'tfh_ld32sn(b + i, n - i)' : 'tfh_ld32s(b + i)'}, ${op.input2Offset}), ${op.leftShift});`,
    `${ind}const tfh_v32 s = tfh_add(${mbqm('xa', op.input1Q)}, ${mbqm('xb', op.input2Q)});`,
    `${ind}tfh_v32 o = tfh_addn(${mbqm('s', op.outputQ)}, ${op.outputOffset});`,
    ...(op.actMax < 127 ? [`${ind}o = tfh_minn(tfh_maxn(o, ${op.actMin}), ${op.actMax});`]
      : [...(op.actMin > -128 ? [`${ind}o = tfh_maxn(o, ${op.actMin});`] : []), `${ind}o = tfh_sat8(o);`]),
    pred ? `${ind}tfh_st32n(out + i, o, n - i);` : `${ind}tfh_st32(out + i, o);`,
  ];
  const code = [HELIUM_PRELUDE,
    `static void ${ctx.fn}(const int8_t *a, const int8_t *b, int8_t *out)`,
    `{`,
    `  const int n = ${n}; int i = 0;`,
    `  for (; i + 4 <= n; i += 4) {`, ...one('    ', false), `  }`,
    ...(n % 4 ? [`  if (i < n) {`, ...one('    ', true), `  }`] : []),
    `}`, ''].join('\n');
  return { data: '', code, constBytes: 0 };
}

const same = (op: KAdd) => op.aShape.every((d, i) => d === op.outShape[i]) && op.bShape.every((d, i) => d === op.outShape[i]);

export const addHelium = defineVariant<KAdd>({
  name: 'add.helium-m55',
  kind: 'add',
  priority: 20,
  applies: (op, t) => helium(t) && same(op),
  scratchBytes: () => 0,
  modes: { elementwise: true },
  emit: emitAddHelium,
  estimate: (op) => ({ instructions: Math.ceil(op.outShape.reduce((p, d) => p * d, 1) / 4) * 26, loads: Math.ceil(op.outShape.reduce((p, d) => p * d, 1) / 4) * 2 }),
});
