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

export function emitSvdf(op: KSvdf, ctx: EmitContext, dsp = false): EmittedKernel {
  const f = ctx.fn;
  const wf = ctx.konst(op.weightsFeature), wt = ctx.konst(op.weightsTime), b = ctx.konst(op.bias);
  const st = ctx.buffer(op.inputs[1]!);
  const T = st.dtype === 'int16' ? 'int16_t' : 'int8_t';
  const [lo, hi] = st.dtype === 'int16' ? [-32768, 32767] : [-128, 127];
  const units = op.filters / op.rank;
  const data = cArray(`${f}_wf`, dsp ? 'int16_t' : 'int8_t', wf.data) + cArray(`${f}_wt`, T, wt.data) + cArray(`${f}_b`, 'int32_t', b.data);
  const n = op.inputSize;
  // dsp with int16 state (zero point 0): the time dot products as SMLAD on (weight, history) int16 pairs, each of
  // the ring's two runs paired from its start; SMLAD's sum wraps as the uint32 one does.
  const pairs = dsp && st.dtype === 'int16' && op.stateZp === 0;
  // dsp with int8 state: each run as dotSnippet (SXTAB16 folds in minus the state zero point, SMLAD), int32 per
  // filter (at most memory products of |w| <= 128 and |h - zp| <= 255: no overflow), then added to the wrapping sum.
  const pairs8 = dsp && st.dtype === 'int8';
  const newest = (acc: string, filter: string) =>
    `hist[(${filter}) * ${op.memory} + p] = (${T})tf_clamp(tf_requant_tflm(${acc}, ${cInt(op.feature.multiplier)}, ${op.feature.shift}) + ${op.stateZp}, ${lo}, ${hi});`;
  // The feature filter: generic, one row at a time (dotSnippet: SMLAD on the fly-widened int8 under TF_DSP); dsp,
  // the input widened once (with its offset) into scratch and the int16 weight rows four at a time, one SMLAD per
  // row per input pair, every input pair loaded once for the four rows.
  const feature = !dsp ? `    for (int f = 0; f < ${op.filters}; f++) {
      const int8_t *w = ${f}_wf + f * ${n};
      int32_t acc = 0;
${dotSnippet('acc', 'x', 'w', n, op.inputOffset, '      ')}
      ${newest('acc', 'f')}
    }` : `    int16_t *xw = (int16_t *)(void *)scratch;
    for (int i = 0; i < ${n}; i++) xw[i] = (int16_t)(x[i] + ${op.inputOffset});
    int f = 0;
    for (; f + 4 <= ${op.filters}; f += 4) {
      const int16_t *w0 = ${f}_wf + f * ${n}, *w1 = w0 + ${n}, *w2 = w1 + ${n}, *w3 = w2 + ${n};
      int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      int i = 0;
#if TF_DSP
      for (; i + 2 <= ${n}; i += 2) {
        const int32_t xv = tf_read32(xw + i);
        a0 = __smlad(xv, tf_read32(w0 + i), a0);
        a1 = __smlad(xv, tf_read32(w1 + i), a1);
        a2 = __smlad(xv, tf_read32(w2 + i), a2);
        a3 = __smlad(xv, tf_read32(w3 + i), a3);
      }
#endif
      for (; i < ${n}; i++) {
        const int32_t xv = xw[i];
        a0 += xv * w0[i];
        a1 += xv * w1[i];
        a2 += xv * w2[i];
        a3 += xv * w3[i];
      }
      ${newest('a0', 'f')}
      ${newest('a1', 'f + 1')}
      ${newest('a2', 'f + 2')}
      ${newest('a3', 'f + 3')}
    }
    for (; f < ${op.filters}; f++) {
      const int16_t *w = ${f}_wf + f * ${n};
      int32_t acc = 0;
      for (int i = 0; i < ${n}; i++) acc += (int32_t)xw[i] * w[i];
      ${newest('acc', 'f')}
    }`;
  const M = op.memory;
  const code = `/* ring position of the newest history element (the oldest is next to it); any value is valid after a
 * reset, which makes every element equal */
static int32_t ${f}_head;
static void ${f}(const int8_t *in, int8_t *state8, int8_t *out${dsp ? ', int8_t *scratch' : ''})
{
  ${T} *s = (${T} *)(void *)state8;
  const int p = ${f}_head + 1 < ${M} ? ${f}_head + 1 : 0; /* the oldest slot takes the newest value */
  ${f}_head = p;
  for (int b = 0; b < ${op.batches}; b++) {
    const int8_t *x = in + b * ${n};
    ${T} *hist = s + b * ${op.filters * M};
${feature}
    for (int u = 0; u < ${units}; u++) {
      uint32_t sum = (uint32_t)${f}_b[u];
      for (int f = u * ${op.rank}; f < (u + 1) * ${op.rank}; f++) {
        const ${T} *h = hist + f * ${M};
        /* oldest to newest: h[p + 1 .. ${M - 1}], then h[0 .. p], against the time weights in order */
        const ${T} *w = ${f}_wt + f * ${M};
        int k = 0;
${pairs8 ? `        int32_t t = 0;
${dotSnippet('t', '(h + p + 1)', 'w', `(${M} - 1 - p)`, -op.stateZp, '        ')}
${dotSnippet('t', 'h', `(w + ${M} - 1 - p)`, '(p + 1)', -op.stateZp, '        ')}
        sum += (uint32_t)t;
        (void)k;` : pairs ? `        int j = p + 1;
#if TF_DSP
        for (; j + 2 <= ${M}; j += 2, k += 2) sum = (uint32_t)__smlad(tf_read32(w + k), tf_read32(h + j), (int32_t)sum);
#endif
        for (; j < ${M}; j++, k++) sum += (uint32_t)((int32_t)w[k] * (int32_t)h[j]);
        j = 0;
#if TF_DSP
        for (; j + 2 <= p + 1; j += 2, k += 2) sum = (uint32_t)__smlad(tf_read32(w + k), tf_read32(h + j), (int32_t)sum);
#endif
        for (; j <= p; j++, k++) sum += (uint32_t)((int32_t)w[k] * (int32_t)h[j]);` : `        for (int j = p + 1; j < ${M}; j++, k++) sum += (uint32_t)((int32_t)w[k] * ((int32_t)h[j] - ${op.stateZp}));
        for (int j = 0; j <= p; j++, k++) sum += (uint32_t)((int32_t)w[k] * ((int32_t)h[j] - ${op.stateZp}));`}
      }
      out[b * ${units} + u] = (int8_t)tf_clamp(tf_requant_tflm((int32_t)sum, ${cInt(op.outputQ.multiplier)}, ${op.outputQ.shift}) + ${op.outputOffset}, -128, 127);
    }
  }
}
`;
  return { data, code, constBytes: wf.data.length * (dsp ? 2 : 1) + wt.data.length * (st.dtype === 'int16' ? 2 : 1) + 4 * b.data.length };
}

/** DSP cores: the feature filter with int16 weight rows (flash x2 for them) and the input widened once into scratch;
 *  with int16 state, SMLAD pairs in the time filter too. */
export const svdfDsp = defineVariant<KSvdf>({
  name: 'svdf.dsp',
  kind: 'svdf',
  priority: 10,
  applies: (op, t) => t.dsp && op.inputSize >= 2,
  scratchBytes: (op) => 2 * op.inputSize,
  emit: (op, ctx) => emitSvdf(op, ctx, true),
  estimate: (op) => ({
    instructions: Math.round(op.batches * (op.inputSize * 3 + op.filters * (op.inputSize * 0.7 + 25) + op.filters * op.memory * 5)),
    loads: op.batches * op.filters * (op.inputSize * 0.6 + op.memory * 2),
  }),
});

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
