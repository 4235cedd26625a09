// Cortex-M C kernels of the kernel-IR op 'lstm' (UNIDIRECTIONAL_SEQUENCE_LSTM, integer 8x8_16; docs/lstm.md).
// One kernel-IR op rather than a decomposition into matmuls and element-wise ops: the gates' int16 Q3.12
// accumulators, the int16 cell update and the hidden state never leave one step of one batch row, the
// state (h int8, c int16: kind 'state' buffers, static and persistent outside the arena) is read and
// written in place, and no kernel-IR op exists for int16 element-wise gate arithmetic. Per step: each gate's
// two matmuls from the effective biases the lowering folded (bias - zero point * row sums), requantised
// separately and summed with int16 saturation; the activations (gemmlowp's int16 fixed point); the cell
// update; the hidden state h = clamp8(MBQM(o * tanh(c)) - hidden zero point) (TFLite's portable CwiseMul
// subtracts it), which is the output row and, after every cell is done, the new h. Variants:
//   lstm.generic  portable: runtime.h's tf_lstm_gate (int8 dot products), tf_logistic16 / tf_tanh16
//   lstm.dsp      int16 weights, x and h widened per step, one SMLAD per gate per pair (shared x loads)
//   lstm.lut      lstm.dsp with the activations looked up in compile-time half tables (64 KiB each)
// All three give the same bits (int32 sums; the tables are the functions), checked against the golden.
import type { KLstm } from '../../compiler/kernel-ir/types.ts';
import { logistic16, tanh16 } from '../../compiler/quant/fixedpoint.ts';
import { cArray, cInt } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

const GATE_NAMES = ['input', 'forget', 'cell', 'output'] as const;

/** How a variant evaluates the activations: computed (runtime.h's int16 fixed point) or looked up (lstm.lut). */
interface Acts { logistic(a: string): string; tanhGate(a: string): string; tanhCell(a: string): string }

function computedActs(op: KLstm): Acts {
  return {
    logistic: (a) => `tf_logistic16(${a}, 3)`,
    tanhGate: (a) => `tf_tanh16(${a}, 3)`,
    tanhCell: (a) => `tf_tanh16(${a}, ${15 + op.cellScale})`,
  };
}

/** The projection of the hidden state hb (int8, nCell) into the output row, when the op has one: effective bias
 *  (the lowering's), double rounding, the output zero point, the clip. */
function projectionCode(op: KLstm, f: string): string {
  const p = op.projection;
  if (!p) return '';
  const clip = p.clip > 0 ? `\n        v = tf_clamp(v, ${-p.clip}, ${p.clip});` : '';
  return `
      for (int o = 0; o < ${op.nOutput}; o++) {
        const int8_t *w = ${f}_p + o * ${op.nCell};
        int32_t acc = ${f}_pb[o];
        for (int i = 0; i < ${op.nCell}; i++) acc += (int32_t)hb[i] * (int32_t)w[i];
        int32_t v = tf_clamp(tf_requant_tflm(acc, ${cInt(p.scale.multiplier)}, ${p.scale.shift}) + (${outZp(op)}), -128, 127);${clip}
        yp[o] = (int8_t)v;
      }`;
}

/** The output zero point (the output state's), recorded on the op for the projection. */
const outZp = (op: KLstm): number => op.projection?.outputZeroPoint ?? 0;

/** Constants and scratch of the projection (int8 weights and effective bias; the int8 hidden row). */
function projectionData(op: KLstm, ctx: EmitContext): { data: string; bytes: number } {
  const p = op.projection;
  if (!p) return { data: '', bytes: 0 };
  const W = ctx.konst(p.weights), B = ctx.konst(p.bias);
  return { data: cArray(`${ctx.fn}_p`, 'int8_t', W.data) + cArray(`${ctx.fn}_pb`, 'int32_t', B.data), bytes: W.data.length + 4 * B.data.length };
}

/** Scratch bytes: four int16 gate rows (+ the DSP variants' widened x and h) + the projection's hidden row. */
const scratchOf = (op: KLstm, dsp: boolean) => 8 * op.nCell + (dsp ? 2 * (even(op.nInput) + even(op.nOutput)) : 0) + (op.projection ? op.nCell + (op.nCell & 1) : 0);

/** The per-cell part of a step (activations, cell update, hidden state), shared by the variants. */
function cellUpdate(op: KLstm, act: Acts, f: string): string {
  const cifg = !op.gates[0];
  const clip = op.cellClip > 0 ? `\n        cell = tf_clamp(cell, ${-op.cellClip}, ${op.cellClip});` : '';
  const zp = op.hiddenZeroPoint >= 0 ? `- ${op.hiddenZeroPoint}` : `+ ${-op.hiddenZeroPoint}`;
  return `      for (int i = 0; i < ${op.nCell}; i++) {
        const int32_t fg = ${act.logistic(`gate[${op.nCell} + i]`)};
        const int32_t gg = ${act.tanhGate(`gate[${2 * op.nCell} + i]`)};
        const int32_t ig = ${cifg ? '32767 - fg' : act.logistic('gate[i]')};
        const int32_t og = ${act.logistic(`gate[${3 * op.nCell} + i]`)};
        int32_t cell = tf_sat16(tf_w16(tf_rdbpot(fg * cp[i], 15)) + tf_w16(tf_rdbpot(ig * gg, ${30 + op.cellScale})));${clip}
        cp[i] = (int16_t)cell;
        ${op.projection ? 'hb' : 'yp'}[i] = (int8_t)tf_clamp(tf_requant_tflm(og * ${act.tanhCell('cell')}, ${cInt(op.hidden.multiplier)}, ${op.hidden.shift}) ${zp}, -128, 127);
      }${projectionCode(op, f)}
      memcpy(hp, yp, ${op.nOutput});`;
}

/** The kernel's frame: state pointers, the batch and step loops around `body` (which computes the gates). */
function frame(op: KLstm, f: string, body: string, act: Acts = computedActs(op), hiddenOffset = 8 * op.nCell): string {
  const row = op.timeMajor ? `t * ${op.batches} + b` : `b * ${op.steps} + t`;
  return `static void ${f}(const int8_t *x, const int8_t *h8, const int8_t *c8, int8_t *y, int8_t *scratch)
{
  int8_t *h = (int8_t *)(uintptr_t)h8;                 /* output state: updated in place */
  int16_t *c = (int16_t *)(uintptr_t)(const void *)c8; /* cell state: updated in place */
  int16_t *gate = (int16_t *)(void *)scratch;          /* 4 x ${op.nCell} int16: input, forget, cell, output */${op.projection ? `
  int8_t *hb = scratch + ${hiddenOffset};                     /* the hidden row before the projection */` : ''}
  for (int b = 0; b < ${op.batches}; b++) {
    int8_t *hp = h + b * ${op.nOutput};
    int16_t *cp = c + b * ${op.nCell};
    for (int t = 0; t < ${op.steps}; t++) {
      const int row = ${row};
      const int8_t *xp = x + row * ${op.nInput};
      int8_t *yp = y + row * ${op.nOutput};
${body}
${cellUpdate(op, act, f)}
    }
  }
}
`;
}

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
  const pd = projectionData(op, ctx);
  return { data: data + pd.data, code: frame(op, f, calls.join('\n')), constBytes: constBytes + pd.bytes };
}

/**
 * Cell updates per invocation, for the estimates (calibrated on QEMU M4, micro_speech_lstm: per MAC ~5.3
 * instructions generic, ~1.6 with SMLAD; per cell update ~1,500 with the activations computed, ~150 looked up).
 */
const cellSteps = (op: KLstm) => op.batches * op.steps * op.nCell;

/** Row lengths padded to an even count (int16 pairs for SMLAD). */
const even = (n: number) => n + (n & 1);

/** Weights [rows, cols] widened to int16 with each row padded to `even(cols)` with zeros. */
function widened(w: ArrayLike<number>, rows: number, cols: number): Int16Array {
  const cp = even(cols);
  const out = new Int16Array(rows * cp);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[r * cp + k] = w[r * cols + k]!;
  return out;
}

/**
 * `dsp`: the weights stored widened to int16 (rows padded to even length), x and h widened once per step
 * into scratch, and each cell's rows of all the gates computed together: one x (h) pair load feeds one
 * SMLAD per gate. The sums are the generic kernel's (int32, exact products), so the outputs are equal.
 */
export function emitLstmDsp(op: KLstm, ctx: EmitContext, lut = false): EmittedKernel {
  const f = ctx.fn;
  const nInP = even(op.nInput), nOutP = even(op.nOutput);
  const gs = op.gates.map((g, k) => ({ g, k })).filter((e): e is { g: NonNullable<typeof e.g>; k: number } => !!e.g);
  let data = '';
  let constBytes = 0;
  for (const { g, k } of gs) {
    const W = ctx.konst(g.inputWeights), R = ctx.konst(g.recurrentWeights), BI = ctx.konst(g.inputBias), BR = ctx.konst(g.recurrentBias);
    data += cArray(`${f}_w${k}`, 'int16_t', widened(W.data, op.nCell, op.nInput)) + cArray(`${f}_r${k}`, 'int16_t', widened(R.data, op.nCell, op.nOutput))
      + cArray(`${f}_bi${k}`, 'int32_t', BI.data) + cArray(`${f}_br${k}`, 'int32_t', BR.data);
    constBytes += 2 * op.nCell * (nInP + nOutP) + 8 * op.nCell;
  }
  const dot = (src: string, n: number, np: number, w: 'w' | 'r', acc: 'a' | 'q') => `        {
          int j = 0;
#if TF_DSP
          for (; j + 2 <= ${np}; j += 2) {
            const int32_t v = tf_read32(${src} + j);
${gs.map(({ k }) => `            ${acc}${k} = __smlad(v, tf_read32(${f}_${w}${k} + o${w} + j), ${acc}${k});`).join('\n')}
          }
#endif
          for (; j < ${n}; j++) {
            const int32_t v = ${src}[j];
${gs.map(({ k }) => `            ${acc}${k} += v * ${f}_${w}${k}[o${w} + j];`).join('\n')}
          }
        }`;
  const body = `      int16_t *xs = gate + ${4 * op.nCell}, *hs = xs + ${nInP};
      for (int j = 0; j < ${op.nInput}; j++) xs[j] = xp[j];
      for (int j = 0; j < ${op.nOutput}; j++) hs[j] = hp[j];
${nInP > op.nInput ? `      xs[${op.nInput}] = 0;\n` : ''}${nOutP > op.nOutput ? `      hs[${op.nOutput}] = 0;\n` : ''}      for (int r = 0; r < ${op.nCell}; r++) {
        const int ow = r * ${nInP}, or = r * ${nOutP};
${gs.map(({ k }) => `        int32_t a${k} = ${f}_bi${k}[r], q${k} = ${f}_br${k}[r];`).join('\n')}
${dot('xs', op.nInput, nInP, 'w', 'a')}
${dot('hs', op.nOutput, nOutP, 'r', 'q')}
${gs.map(({ k }) => `        gate[${k * op.nCell} + r] = (int16_t)tf_sat16(tf_requant_tflm(q${k}, ${cInt(op.gates[k]!.recurrent.multiplier)}, ${op.gates[k]!.recurrent.shift}) + tf_sat16(tf_requant_tflm(a${k}, ${cInt(op.gates[k]!.input.multiplier)}, ${op.gates[k]!.input.shift}))); /* ${GATE_NAMES[k]} */`).join('\n')}
      }`;
  const pd = projectionData(op, ctx);
  const hiddenOffset = 8 * op.nCell + 2 * (nInP + nOutP);
  if (!lut) return { data: data + pd.data, code: frame(op, f, body, computedActs(op), hiddenOffset), constBytes: constBytes + pd.bytes };
  const t = lutTables(op, f);
  return { data: t.data + data + pd.data, code: frame(op, f, body, t.acts, hiddenOffset), constBytes: constBytes + t.bytes + pd.bytes };
}

/**
 * Half tables (the 32,768 non-negative inputs; runtime.h's tf_lut_* use the functions' symmetry) of
 * logistic on Q3.12, tanh on Q3.12 and tanh on the cell state (the same table when the cell state is Q3.12
 * too), filled at compile time by compiler/quant/fixedpoint.ts (checked equal to the golden runtime's and
 * runtime.h's on every input). Each layer owns its tables (named after it, so the build's per-layer flash
 * measurement prices them); the value at -32768 is a literal.
 */
function lutTables(op: KLstm, f: string): { data: string; bytes: number; acts: Acts } {
  const cellIb = 15 + op.cellScale;
  const tables = [{ fn: 'logistic', ib: 3 }, { fn: 'tanh', ib: 3 }, ...(cellIb === 3 ? [] : [{ fn: 'tanh', ib: cellIb }])];
  let data = '';
  for (const { fn, ib } of tables) {
    const g = fn === 'logistic' ? logistic16 : tanh16;
    data += cArray(`${f}_${fn}_q${ib}`, 'int16_t', Int16Array.from({ length: 32768 }, (_, a) => g(a, ib)));
  }
  const call = (fn: 'logistic' | 'tanh', ib: number) => (a: string) => `tf_lut_${fn}16(${f}_${fn}_q${ib}, ${(fn === 'logistic' ? logistic16 : tanh16)(-32768, ib)}, ${a})`;
  return { data, bytes: tables.length * 65536, acts: { logistic: call('logistic', 3), tanhGate: call('tanh', 3), tanhCell: call('tanh', cellIb) } };
}

/**
 * `lut`: lstm.dsp with the activations looked up in flash tables (64 KiB per distinct function: 128 or 192 KiB
 * per layer) instead of computed (~500 instructions each on the M4); under a flash budget the selection falls
 * back to lstm.dsp.
 */
export const lstmLut = defineVariant<KLstm>({
  name: 'lstm.lut',
  kind: 'lstm',
  priority: 20,
  applies: (_op, t) => t.dsp,
  scratchBytes: (op) => scratchOf(op, true),
  emit: (op, ctx) => emitLstmDsp(op, ctx, true),
  estimate: (op) => ({ instructions: Math.round(op.macs * 1.6 + cellSteps(op) * 150), loads: op.macs }),
});

export const lstmDsp = defineVariant<KLstm>({
  name: 'lstm.dsp',
  kind: 'lstm',
  priority: 10,
  applies: (_op, t) => t.dsp,
  scratchBytes: (op) => scratchOf(op, true),
  emit: emitLstmDsp,
  estimate: (op) => ({ instructions: Math.round(op.macs * 1.6 + cellSteps(op) * 1500), loads: op.macs }),
});

export const lstmGeneric = defineVariant<KLstm>({
  name: 'lstm.generic',
  kind: 'lstm',
  priority: 0,
  applies: () => true,
  scratchBytes: (op) => scratchOf(op, false),
  emit: emitLstm,
  estimate: (op) => ({ instructions: Math.round(op.macs * 5.3 + cellSteps(op) * 1500), loads: op.macs * 2 }),
});
