// Cortex-M kernel of the kernel-IR `svdf` op (TFLite Micro's integer SVDF, the steps in
// runtime-wasm/assembly/svdf.ts): `static void f(const int8_t *in, int8_t *state, int8_t *out)`, where
// `state` is the op's slot in the model's static `<name>_state` block (outside the arena), read and updated
// in place. Per invocation: the history moves left one element (memmove), the feature dot products (int8 x
// int8 with the input offset; SMLAD pairs under TF_DSP through dotSnippet, the portable loop otherwise, the
// same int32 sums) are requantised (double rounding) into the newest slot of each filter, then each unit sums
// its `rank` filters' time dot products (history minus its zero point times the time weights) onto its bias,
// in uint32 so the sums wrap as the golden runtime's i32 sums do, and requantises to int8. No scratch.
import type { KSvdf } from '../../compiler/kernel-ir/types.ts';
import { cArray, cInt, dotSnippet } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitSvdf(op: KSvdf, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const wf = ctx.konst(op.weightsFeature), wt = ctx.konst(op.weightsTime), b = ctx.konst(op.bias);
  const st = ctx.buffer(op.inputs[1]!);
  const T = st.dtype === 'int16' ? 'int16_t' : 'int8_t';
  const [lo, hi] = st.dtype === 'int16' ? [-32768, 32767] : [-128, 127];
  const units = op.filters / op.rank;
  const data = cArray(`${f}_wf`, 'int8_t', wf.data) + cArray(`${f}_wt`, T, wt.data) + cArray(`${f}_b`, 'int32_t', b.data);
  const code = `static void ${f}(const int8_t *in, int8_t *state8, int8_t *out)
{
  ${T} *s = (${T} *)(void *)state8;
  /* the history moves left by one element (the newest slot of every filter is rewritten below) */
  memmove(s, s + 1, ${(op.batches * op.filters * op.memory - 1) * (st.dtype === 'int16' ? 2 : 1)});
  for (int b = 0; b < ${op.batches}; b++) {
    const int8_t *x = in + b * ${op.inputSize};
    ${T} *hist = s + b * ${op.filters * op.memory};
    for (int f = 0; f < ${op.filters}; f++) {
      const int8_t *w = ${f}_wf + f * ${op.inputSize};
      int32_t acc = 0;
${dotSnippet('acc', 'x', 'w', op.inputSize, op.inputOffset, '      ')}
      hist[f * ${op.memory} + ${op.memory - 1}] = (${T})tf_clamp(tf_requant_tflm(acc, ${cInt(op.feature.multiplier)}, ${op.feature.shift}) + ${op.stateZp}, ${lo}, ${hi});
    }
    for (int u = 0; u < ${units}; u++) {
      uint32_t sum = (uint32_t)${f}_b[u];
      for (int f = u * ${op.rank}; f < (u + 1) * ${op.rank}; f++) {
        const ${T} *h = hist + f * ${op.memory};
        const ${T} *w = ${f}_wt + f * ${op.memory};
        for (int j = 0; j < ${op.memory}; j++) sum += (uint32_t)((int32_t)w[j] * ((int32_t)h[j] - ${op.stateZp}));
      }
      out[b * ${units} + u] = (int8_t)tf_clamp(tf_requant_tflm((int32_t)sum, ${cInt(op.outputQ.multiplier)}, ${op.outputQ.shift}) + ${op.outputOffset}, -128, 127);
    }
  }
}
`;
  return { data, code, constBytes: wf.data.length + wt.data.length * (st.dtype === 'int16' ? 2 : 1) + 4 * b.data.length };
}

export const svdfGeneric = defineVariant<KSvdf>({
  name: 'svdf.generic',
  kind: 'svdf',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitSvdf,
  estimate: (op) => ({
    instructions: Math.round(op.batches * (op.filters * (op.inputSize * 1.5 + 25) + op.filters * op.memory * 5 + op.filters * op.memory / 2)),
    loads: op.batches * op.filters * (op.inputSize / 2 + op.memory * 2),
  }),
});
