// softmax: TFLite Micro's int8 reference softmax (gemmlowp fixed-point exp and reciprocal), implemented
// once in runtime.h (tf_softmax_s8); the layer passes its folded constants as literals. An int16 output (the
// int8 -> int16 form) runs the same steps written out here, shifted down to 16 bits and offset by -32768.
import type { KSoftmax } from '../../compiler/kernel-ir/types.ts';
import { cInt } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitSoftmax(op: KSoftmax, ctx: EmitContext): EmittedKernel {
  if (ctx.buffer(op.output).dtype === 'int16') return { data: '', code: softmax16(op, ctx.fn), constBytes: 0 };
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

/** int8 -> int16 softmax: tf_softmax_s8's fixed-point steps with a 16-bit output. */
function softmax16(op: KSoftmax, fn: string): string {
  return `static void ${fn}(const int8_t *in, int8_t *out8)
{
  int16_t *out = (int16_t *)(void *)out8;
  for (int r = 0; r < ${op.rows}; r++, in += ${op.depth}, out += ${op.depth}) {
    int32_t max_in_row = -128;
    for (int c = 0; c < ${op.depth}; c++) max_in_row = tf_max(max_in_row, in[c]);
    int32_t sum_of_exps = 0;
    for (int c = 0; c < ${op.depth}; c++) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= ${cInt(op.diffMin)}) {
        const int32_t scaled = tf_srdhm((int32_t)((uint32_t)diff << ${op.inputLeftShift}), ${cInt(op.inputMultiplier)});
        sum_of_exps = tf_add_wrap(sum_of_exps, tf_rdbpot(tf_exp_neg_q5_26(scaled), 12));
      }
    }
    const int headroom_plus_one = tf_clz32((uint32_t)sum_of_exps);
    const int num_bits_over_unit = 12 - headroom_plus_one;
    const int32_t shifted_scale = tf_one_over_one_plus_x((int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - (1u << 31)));
    for (int c = 0; c < ${op.depth}; c++) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= ${cInt(op.diffMin)}) {
        const int32_t scaled = tf_srdhm((int32_t)((uint32_t)diff << ${op.inputLeftShift}), ${cInt(op.inputMultiplier)});
        const int32_t unsat = tf_rdbpot(tf_srdhm(shifted_scale, tf_exp_neg_q5_26(scaled)), num_bits_over_unit + 31 - 16);
        out[c] = (int16_t)tf_clamp(unsat - 32768, -32768, 32767);
      } else {
        out[c] = -32768;
      }
    }
  }
}
`;
}
