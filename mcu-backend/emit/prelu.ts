// prelu: TFLite's int8 PRELU with alpha (int8, flash) broadcast over the 4-D output: v = x + inputOffset;
// v >= 0 -> v * (mult1, shift1), else v * (alpha + alphaOffset) * (mult2, shift2); + outputOffset, clamped
// (double rounding, as TFLite and TFLite Micro; the two differ only in how the multipliers were computed,
// which the kernel IR already holds). Alpha's broadcast dimensions are stride-0 literals; the output is
// written in order after its input element is read, so it may overlay the input (KernelModes elementwise).
import type { KPrelu } from '../../compiler/kernel-ir/types.ts';
import { cArray, cInt } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

function strides(shape: readonly number[], out: readonly number[]): number[] {
  const s = [0, 0, 0, 0];
  let acc = 1;
  for (let d = 3; d >= 0; d--) {
    s[d] = shape[d] === 1 && out[d] !== 1 ? 0 : acc;
    acc *= shape[d]!;
  }
  return s;
}

export function emitPrelu(op: KPrelu, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const a = ctx.konst(op.alpha);
  const data = cArray(`${f}_alpha`, 'int8_t', a.data);
  const sa = strides(op.alphaShape, op.outShape);
  const [n0, n1, n2, n3] = op.outShape;
  const code = `static void ${f}(const int8_t *in, int8_t *out)
{
  int k = 0;
  for (int i0 = 0; i0 < ${n0}; i0++)
  for (int i1 = 0; i1 < ${n1}; i1++)
  for (int i2 = 0; i2 < ${n2}; i2++) {
    const int8_t *pa = ${f}_alpha + i0 * ${sa[0]} + i1 * ${sa[1]} + i2 * ${sa[2]};
    for (int i3 = 0; i3 < ${n3}; i3++, k++) {
      const int32_t v = in[k] + ${op.inputOffset};
      int32_t r;
      if (v >= 0) r = tf_requant_tflm(v, ${cInt(op.mult1)}, ${op.shift1});
      else r = tf_requant_tflm(v * (pa[i3 * ${sa[3]}] + ${op.alphaOffset}), ${cInt(op.mult2)}, ${op.shift2});
      out[k] = (int8_t)tf_clamp(r + ${op.outputOffset}, -128, 127);
    }
  }
}
`;
  return { data, code, constBytes: a.data.byteLength };
}

export const preluGeneric = defineVariant<KPrelu>({
  name: 'prelu.generic',
  kind: 'prelu',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  modes: { elementwise: true },
  emit: emitPrelu,
  estimate: (op) => ({ instructions: op.outShape.reduce((p, d) => p * d, 1) * 30, loads: op.outShape.reduce((p, d) => p * d, 1) * 2 }),
});
