// add: TFLite's quantised ADD (both inputs offset, shifted left by `leftShift`, rescaled to a common
// scale, summed, rescaled to the output; double rounding in both arithmetics), with NumPy broadcasting
// over 4D shapes. Same shapes compile to one flat loop; broadcasting to four nested loops with
// stride-0 dimensions folded in as literals.
import type { KAdd } from '../../compiler/kernel-ir/types.ts';
import { cInt } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

function strides(shape: readonly number[], out: readonly number[]): number[] {
  const s = [0, 0, 0, 0];
  let acc = 1;
  for (let d = 3; d >= 0; d--) {
    s[d] = shape[d] === 1 && out[d] !== 1 ? 0 : acc;
    acc *= shape[d];
  }
  return s;
}

export function emitAdd(op: KAdd, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const body = (a: string, b: string) => `{
        const int32_t s1 = tf_requant_tflm((int32_t)((uint32_t)(${a} + ${op.input1Offset}) << ${op.leftShift}), ${cInt(op.input1Q.multiplier)}, ${op.input1Q.shift});
        const int32_t s2 = tf_requant_tflm((int32_t)((uint32_t)(${b} + ${op.input2Offset}) << ${op.leftShift}), ${cInt(op.input2Q.multiplier)}, ${op.input2Q.shift});
        const int32_t r = tf_requant_tflm(s1 + s2, ${cInt(op.outputQ.multiplier)}, ${op.outputQ.shift}) + ${op.outputOffset};
        *o++ = (int8_t)tf_clamp(r, ${op.actMin}, ${op.actMax});
      }`;
  const same = op.aShape.every((d, i) => d === op.outShape[i]) && op.bShape.every((d, i) => d === op.outShape[i]);
  const n = op.outShape.reduce((p, d) => p * d, 1);
  let loops: string;
  if (same) {
    loops = `  int8_t *o = out;
  for (int i = 0; i < ${n}; i++) ${body('a[i]', 'b[i]')}`;
  } else {
    const sa = strides(op.aShape, op.outShape), sb = strides(op.bShape, op.outShape);
    const [n0, n1, n2, n3] = op.outShape;
    loops = `  int8_t *o = out;
  for (int i0 = 0; i0 < ${n0}; i0++)
  for (int i1 = 0; i1 < ${n1}; i1++)
  for (int i2 = 0; i2 < ${n2}; i2++) {
    const int8_t *pa = a + i0 * ${sa[0]} + i1 * ${sa[1]} + i2 * ${sa[2]};
    const int8_t *pb = b + i0 * ${sb[0]} + i1 * ${sb[1]} + i2 * ${sb[2]};
    for (int i3 = 0; i3 < ${n3}; i3++) ${body(`pa[i3 * ${sa[3]}]`, `pb[i3 * ${sb[3]}]`)}
  }`;
  }
  const code = `static void ${f}(const int8_t *a, const int8_t *b, int8_t *out)
{
${loops}
}
`;
  return { data: '', code, constBytes: 0 };
}

export const addGeneric = defineVariant<KAdd>({
  name: 'add.generic',
  kind: 'add',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  // Each output element is written after both its inputs are read, at the index of the same-shaped
  // input: safe with the output over that input (the in-place rule only ties same-shape operands).
  modes: { elementwise: true },
  emit: emitAdd,
  estimate: (op) => ({ instructions: op.outShape.reduce((p, d) => p * d, 1) * 40, loads: op.outShape.reduce((p, d) => p * d, 1) * 2 }),
});
