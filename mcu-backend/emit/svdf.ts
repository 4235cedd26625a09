// Cortex-M kernel of the kernel-IR `svdf` op (TFLite Micro's integer SVDF, the steps in
// runtime-wasm/assembly/svdf.ts): `static void f(const int8_t *in, int8_t *state, int8_t *out)`, where
// `state` is the op's slot in the model's static `<name>_state` block (outside the arena), read and updated
// in place. The history is a ring instead of TFLite Micro's shifted buffer (the shift was a third of the
// keyword models' instructions): a kernel-private head index names the slot the newest value replaces (the
// oldest), and the time step reads each filter's ring oldest first, in two runs. After a reset every element
// holds the same value, so any head is valid there and the reset needs no hook into the kernel; the outputs
// are TFLite Micro's, the state's layout is rotated relative to the golden runtime's. Per invocation: the
// feature dot products (int8 x int8 with the input offset; SMLAD pairs under TF_DSP through dotSnippet, the
// portable loop otherwise, the same int32 sums) are requantised (double rounding) into the newest slot of each
// filter, then each unit sums its `rank` filters' time dot products (history minus its zero point times the
// time weights) onto its bias, in uint32 so the sums wrap as the golden runtime's i32 sums do, and
// requantises to int8. No scratch.
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
  const M = op.memory;
  const code = `/* ring position of the newest history element (the oldest is next to it); any value is valid after a
 * reset, which makes every element equal */
static int32_t ${f}_head;
static void ${f}(const int8_t *in, int8_t *state8, int8_t *out)
{
  ${T} *s = (${T} *)(void *)state8;
  const int p = ${f}_head + 1 < ${M} ? ${f}_head + 1 : 0; /* the oldest slot takes the newest value */
  ${f}_head = p;
  for (int b = 0; b < ${op.batches}; b++) {
    const int8_t *x = in + b * ${op.inputSize};
    ${T} *hist = s + b * ${op.filters * M};
    for (int f = 0; f < ${op.filters}; f++) {
      const int8_t *w = ${f}_wf + f * ${op.inputSize};
      int32_t acc = 0;
${dotSnippet('acc', 'x', 'w', op.inputSize, op.inputOffset, '      ')}
      hist[f * ${M} + p] = (${T})tf_clamp(tf_requant_tflm(acc, ${cInt(op.feature.multiplier)}, ${op.feature.shift}) + ${op.stateZp}, ${lo}, ${hi});
    }
    for (int u = 0; u < ${units}; u++) {
      uint32_t sum = (uint32_t)${f}_b[u];
      for (int f = u * ${op.rank}; f < (u + 1) * ${op.rank}; f++) {
        const ${T} *h = hist + f * ${M};
        /* oldest to newest: h[p + 1 .. ${M - 1}], then h[0 .. p], against the time weights in order */
        const ${T} *w = ${f}_wt + f * ${M};
        int k = 0;
        for (int j = p + 1; j < ${M}; j++, k++) sum += (uint32_t)((int32_t)w[k] * ((int32_t)h[j] - ${op.stateZp}));
        for (int j = 0; j <= p; j++, k++) sum += (uint32_t)((int32_t)w[k] * ((int32_t)h[j] - ${op.stateZp}));
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
