// Portable C kernel of the kernel-IR op 'lstm' (UNIDIRECTIONAL_SEQUENCE_LSTM, integer 8x8_16; docs/lstm.md).
// One kernel-IR op rather than a decomposition into matmuls and element-wise ops: the gates' int16 Q3.12
// accumulators, the int16 cell update and the hidden state never leave one step of one batch row, the
// state (h int8, c int16: kind 'state' buffers, static and persistent outside the arena) is read and
// written in place, and no kernel-IR op exists for int16 element-wise gate arithmetic. Per step:
// tf_lstm_gate (runtime.h) computes each gate's two matmuls from the effective biases the lowering folded
// (bias - zero point * row sums), requantised separately and summed with int16 saturation; then
// tf_logistic16 / tf_tanh16 (gemmlowp's int16 fixed point, in runtime.h), the cell update and the hidden
// state h = clamp8(MBQM(o * tanh(c)) - hidden zero point) (TFLite's portable CwiseMul subtracts it), which
// is the output row and, after every cell is done, the new h. Scratch: four int16 gate rows.
import type { KLstm } from '../../compiler/kernel-ir/types.ts';
import { cArray, cInt } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

const GATE_NAMES = ['input', 'forget', 'cell', 'output'] as const;

export function emitLstm(op: KLstm, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  let data = '';
  let constBytes = 0;
  const calls: string[] = [];
  op.gates.forEach((g, k) => {
    if (!g) return;
    const W = ctx.konst(g.inputWeights), R = ctx.konst(g.recurrentWeights), BI = ctx.konst(g.inputBias), BR = ctx.konst(g.recurrentBias);
    data += cArray(`${f}_w${k}`, 'int8_t', W.data) + cArray(`${f}_r${k}`, 'int8_t', R.data)
      + cArray(`${f}_bi${k}`, 'int32_t', BI.data) + cArray(`${f}_br${k}`, 'int32_t', BR.data);
    constBytes += W.data.length + R.data.length + 4 * (BI.data.length + BR.data.length);
    calls.push(`      tf_lstm_gate(xp, hp, ${f}_w${k}, ${f}_r${k}, ${f}_bi${k}, ${f}_br${k}, ${op.nInput}, ${op.nOutput}, ${op.nCell}, ${cInt(g.input.multiplier)}, ${g.input.shift}, ${cInt(g.recurrent.multiplier)}, ${g.recurrent.shift}, gate + ${k * op.nCell}); /* ${GATE_NAMES[k]} */`);
  });
  const cifg = !op.gates[0];
  const row = op.timeMajor ? `t * ${op.batches} + b` : `b * ${op.steps} + t`;
  const clip = op.cellClip > 0 ? `\n        cell = tf_clamp(cell, ${-op.cellClip}, ${op.cellClip});` : '';
  const code = `static void ${f}(const int8_t *x, const int8_t *h8, const int8_t *c8, int8_t *y, int8_t *scratch)
{
  int8_t *h = (int8_t *)(uintptr_t)h8;                 /* output state: updated in place */
  int16_t *c = (int16_t *)(uintptr_t)(const void *)c8; /* cell state: updated in place */
  int16_t *gate = (int16_t *)(void *)scratch;          /* 4 x ${op.nCell} int16: input, forget, cell, output */
  for (int b = 0; b < ${op.batches}; b++) {
    int8_t *hp = h + b * ${op.nOutput};
    int16_t *cp = c + b * ${op.nCell};
    for (int t = 0; t < ${op.steps}; t++) {
      const int row = ${row};
      const int8_t *xp = x + row * ${op.nInput};
      int8_t *yp = y + row * ${op.nOutput};
${calls.join('\n')}
      for (int i = 0; i < ${op.nCell}; i++) {
        const int32_t fg = tf_logistic16(gate[${op.nCell} + i], 3);
        const int32_t gg = tf_tanh16(gate[${2 * op.nCell} + i], 3);
        const int32_t ig = ${cifg ? '32767 - fg' : 'tf_logistic16(gate[i], 3)'};
        const int32_t og = tf_logistic16(gate[${3 * op.nCell} + i], 3);
        int32_t cell = tf_sat16(tf_w16(tf_rdbpot(fg * cp[i], 15)) + tf_w16(tf_rdbpot(ig * gg, ${30 + op.cellScale})));${clip}
        cp[i] = (int16_t)cell;
        yp[i] = (int8_t)tf_clamp(tf_requant_tflm(og * tf_tanh16(cell, ${15 + op.cellScale}), ${cInt(op.hidden.multiplier)}, ${op.hidden.shift}) ${op.hiddenZeroPoint >= 0 ? `- ${op.hiddenZeroPoint}` : `+ ${-op.hiddenZeroPoint}`}, -128, 127);
      }
      memcpy(hp, yp, ${op.nOutput});
    }
  }
}
`;
  return { data, code, constBytes };
}

export const lstmGeneric = defineVariant<KLstm>({
  name: 'lstm.generic',
  kind: 'lstm',
  priority: 0,
  applies: () => true,
  scratchBytes: (op) => 8 * op.nCell,
  emit: emitLstm,
  estimate: (op) => ({ instructions: Math.round(op.macs * 3 + op.batches * op.steps * op.nCell * 400), loads: op.macs * 2 }),
});
