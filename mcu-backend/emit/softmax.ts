// softmax: TFLite Micro's int8 reference softmax (gemmlowp fixed-point exp and reciprocal), implemented
// once in runtime.h (tf_softmax_s8); the layer passes its folded constants as literals.
import type { KSoftmax } from '../../compiler/kernel-ir/types.ts';
import { cInt } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitSoftmax(op: KSoftmax, ctx: EmitContext): EmittedKernel {
  const code = `static void ${ctx.fn}(const int8_t *in, int8_t *out)
{
  tf_softmax_s8(in, out, ${op.rows}, ${op.depth}, ${cInt(op.inputMultiplier)}, ${op.inputLeftShift}, ${cInt(op.diffMin)});
}
`;
  return { data: '', code, constBytes: 0 };
}

export const softmaxReference = defineVariant<KSoftmax>({
  name: 'softmax.reference',
  kind: 'softmax',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitSoftmax,
  estimate: (op) => ({ instructions: op.rows * op.depth * 250, loads: op.rows * op.depth * 3 }),
});
