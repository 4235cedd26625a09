// UNIDIRECTIONAL_SEQUENCE_LSTM, the integer "8x8_16" variant the TFLite converter emits for int8 models:
// int8 input, weights and hidden state, int16 cell state (scale a power of two), int32 gate biases, tanh
// cell activation, batch- or time-major. Operands are TFLite's 24 (lstm::full: input, 4 input weights, 4
// recurrent weights, 3 peephole, 4 biases, projection weights and bias, output state, cell state, 4 layer-norm
// coefficients; an absent optional one is -1). The output state (int8) and cell state (int16) are variable
// tensors: recurrent state, carried from one invocation to the next (Tensor.variable). The gate scales come
// from the operator's intermediates (the fifth: the hidden state's scale and zero point; without layer
// normalisation the four gate intermediates are fixed at Q3.12). CIFG (no input gate) and a projection
// layer are supported; peephole and layer normalisation are refused by legalize. Arithmetic: compiler/quant/lstm.ts
// (parameters), runtime-wasm/assembly/lstm.ts (golden), mcu-backend/emit/lstm.ts (C); docs/lstm.md.
import { TinyforgeError } from '../diagnostics.ts';
import { numElements, type OpBase, type Tensor } from '../ir/graph.ts';
import { ActivationCode, BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { LSTM_GATES, LSTM_SLOT, checkedLog2, lstmQuantParams, zeroPointTimesWeightWithBias } from '../quant/lstm.ts';
import { int8Data } from './golden-abi.ts';
import { rule } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { table } from './tflite-options.ts';

/** inputs: TFLite's 24 operands (-1 where absent); outputs [y]. */
export interface UnidirectionalSequenceLstmOp extends OpBase {
  kind: 'unidirectional_sequence_lstm';
  /** Cell clip (0: none), in real units. */
  cellClip: number;
  /** Projection clip (0: none). */
  projClip: number;
  timeMajor: boolean;
  /** Scale and zero point of intermediate 4 (the hidden state o * tanh(c)). */
  hiddenScale: number;
  hiddenZeroPoint: number;
}

const S = Slot.UnidirectionalSequenceLSTMOptions;

/** The effective scales take one scale per weights tensor (TFLite's integer LSTM has no per-channel weights). */
function perTensor(t: Tensor, fail: (m: string, h?: string) => never, role: string): void {
  const n = t.quant?.scale.length ?? 0;
  if (n !== 1) fail(`${role} '${t.name}' have ${n} scales`, 'the integer LSTM takes per-tensor weights (one scale)');
}

export const unidirectionalSequenceLstm = defineOp<'unidirectional_sequence_lstm'>({
  kind: 'unidirectional_sequence_lstm',
  summary: 'LSTM over a sequence, integer 8x8_16 (int8 input and hidden state, int16 cell state), state across invocations',
  arith: 'desktop TFLite\'s integer LSTM (lstm_eval.cc, gemmlowp int16 logistic/tanh, double rounding) in both; TFLite Micro\'s newer kernel differs (docs/lstm.md)',
  tflite: {
    builtin: BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM,
    optionsType: BuiltinOptionsType.UnidirectionalSequenceLSTMOptions,
    import: (c) => {
      const act = c.opts.i8(S.activation);
      if (act !== ActivationCode.TANH) c.fail(`fused activation code ${act}; the integer LSTM supports TANH (code 4) only`);
      if (c.opts.bool(S.diagonalRecurrentTensors)) c.fail('diagonal recurrent weights are not supported');
      const hidden = c.intermediate(4);
      if (!hidden?.quant || hidden.quant.scale.length !== 1) {
        return c.fail('the integer LSTM needs 5 quantised intermediate tensors (the fifth gives the hidden state\'s scale)', 'convert the model with the TFLite converter\'s full-integer quantisation');
      }
      return {
        kind: 'unidirectional_sequence_lstm', name: c.name,
        cellClip: c.opts.f32(S.cellClip), projClip: c.opts.f32(S.projClip), timeMajor: c.opts.bool(S.timeMajor),
        hiddenScale: hidden.quant.scale[0]!, hiddenZeroPoint: hidden.quant.zeroPoint[0] ?? 0,
      };
    },
    version: 1,
    export: (b, o) => [BuiltinOptionsType.UnidirectionalSequenceLSTMOptions, table(b, 6, () => {
      b.addFieldInt8(S.activation, ActivationCode.TANH, 0);
      b.addFieldFloat32(S.cellClip, o.cellClip, 0);
      b.addFieldFloat32(S.projClip, o.projClip, 0);
      b.addFieldInt8(S.timeMajor, o.timeMajor ? 1 : 0, 0);
    })],
    // Four gate intermediates (unquantised: no layer normalisation) and the hidden state's.
    exportIntermediates: (o) => [
      ...LSTM_GATES.map((g) => ({ name: `${o.name ?? 'lstm'}/${g}_intermediate`, dtype: 'float32' as const, shape: [0], values: [] })),
      { name: `${o.name ?? 'lstm'}/hidden_intermediate`, dtype: 'int8' as const, shape: [0], values: [], quant: { scale: [o.hiddenScale], zeroPoint: [o.hiddenZeroPoint] } },
    ],
  },
  arity: { inputs: [24, 24], activations: () => [LSTM_SLOT.input, LSTM_SLOT.outputState, LSTM_SLOT.cellState] },
  infer: (c, op) => {
    const x = c.tensor(LSTM_SLOT.input, 'input');
    c.rank(x, 'input', 3);
    const wo = c.tensor(LSTM_SLOT.inputWeights[3], 'input-to-output weights');
    const ro = c.tensor(LSTM_SLOT.recurrentWeights[3], 'recurrent-to-output weights');
    c.rank(wo, 'input-to-output weights', 2);
    c.rank(ro, 'recurrent-to-output weights', 2);
    const [nCell, nInput] = wo.shape as [number, number];
    const nOutput = ro.shape[1]!;
    if (x.shape[2] !== nInput) c.fail(`input '${x.name}' [${x.shape}] has ${x.shape[2]} features; the weights take ${nInput}`);
    const cifg = op.inputs[LSTM_SLOT.inputWeights[0]]! < 0;
    LSTM_GATES.forEach((g, k) => {
      if (k === 0 && cifg) return;
      const wi = c.tensor(LSTM_SLOT.inputWeights[k]!, `input-to-${g} weights`), wr = c.tensor(LSTM_SLOT.recurrentWeights[k]!, `recurrent-to-${g} weights`);
      if (wi.shape.join() !== `${nCell},${nInput}`) c.fail(`input-to-${g} weights '${wi.name}' are [${wi.shape}], expected [${nCell}, ${nInput}]`);
      if (wr.shape.join() !== `${nCell},${nOutput}`) c.fail(`recurrent-to-${g} weights '${wr.name}' are [${wr.shape}], expected [${nCell}, ${nOutput}]`);
      const bias = c.tensor(LSTM_SLOT.bias[k]!, `${g} gate bias`);
      if (numElements(bias.shape) !== nCell) c.fail(`${g} gate bias '${bias.name}' has shape [${bias.shape}], expected [${nCell}]`);
    });
    const pw = c.optional(LSTM_SLOT.projectionWeights);
    if (pw && pw.shape.join() !== `${nOutput},${nCell}`) c.fail(`projection weights '${pw.name}' are [${pw.shape}], expected [${nOutput}, ${nCell}]`);
    if (!pw && nOutput !== nCell) c.fail(`the recurrent weights take ${nOutput} outputs but there are ${nCell} cells and no projection`);
    const pb = c.optional(LSTM_SLOT.projectionBias);
    if (pb && (!pw || numElements(pb.shape) !== nOutput)) c.fail(`projection bias '${pb.name}' [${pb.shape}] needs projection weights and ${nOutput} values`);
    const batches = op.timeMajor ? x.shape[1]! : x.shape[0]!;
    const h = c.tensor(LSTM_SLOT.outputState, 'output state'), cs = c.tensor(LSTM_SLOT.cellState, 'cell state');
    if (numElements(h.shape) !== batches * nOutput) c.fail(`output state '${h.name}' [${h.shape}] must hold ${batches} x ${nOutput} values`);
    if (numElements(cs.shape) !== batches * nCell) c.fail(`cell state '${cs.name}' [${cs.shape}] must hold ${batches} x ${nCell} values`);
    return [x.shape[0]!, x.shape[1]!, nOutput];
  },
  types: (c) => {
    const x = c.tensor(LSTM_SLOT.input, 'input'), y = c.g.tensors[c.op.outputs[0]!]!;
    const h = c.tensor(LSTM_SLOT.outputState, 'output state'), cs = c.tensor(LSTM_SLOT.cellState, 'cell state');
    for (const [t, role, dt] of [[x, 'input', 'int8'], [y, 'output', 'int8'], [h, 'output state', 'int8'], [cs, 'cell state', 'int16']] as const) {
      if (t.dtype !== dt) c.fail(`${role} '${t.name}' is ${t.dtype}; the integer LSTM takes an ${dt} ${role} (8x8_16)`);
      if (!t.quant || t.quant.scale.length !== 1) c.fail(`${role} '${t.name}' needs per-tensor quantisation`);
    }
    if (!h.variable || !cs.variable) c.fail(`the output state '${h.name}' and cell state '${cs.name}' must be variable tensors (recurrent state)`);
  },
  legalize: (c, op) => {
    const fail = (m: string, h?: string): never => c.fail(m, h);
    c.act(op.inputs[LSTM_SLOT.input], 'input');
    const y = c.act(op.outputs[0], 'output');
    const present = (slot: number) => (op.inputs[slot] ?? -1) >= 0;
    if (LSTM_SLOT.peephole.some(present)) fail('peephole (cell-to-gate) weights are not supported');
    if (LSTM_SLOT.layerNorm.some(present)) fail('layer normalisation is not supported');
    const h = c.t(op.inputs[LSTM_SLOT.outputState], 'output state'), cs = c.t(op.inputs[LSTM_SLOT.cellState], 'cell state');
    // The output is the new output state (TFLite copies one to the other).
    if (h.quant!.scale[0] !== y.quant!.scale[0] || h.quant!.zeroPoint[0] !== y.quant!.zeroPoint[0]) {
      fail(`output state '${h.name}' and output '${y.name}' are quantised differently`, 'the output is the new output state: one quantisation');
    }
    const projected = present(LSTM_SLOT.projectionWeights);
    if (!projected && (op.hiddenScale !== y.quant!.scale[0] || op.hiddenZeroPoint !== y.quant!.zeroPoint[0])) {
      fail(`the hidden intermediate (scale ${op.hiddenScale}, zero point ${op.hiddenZeroPoint}) differs from the output '${y.name}'`, 'without a projection TFLite writes the hidden state to the output unchanged');
    }
    if (projected) {
      const out = y.shape[y.shape.length - 1]!;
      perTensor(c.weights(op.inputs[LSTM_SLOT.projectionWeights], 2, 0, out), fail, 'projection weights');
      if (present(LSTM_SLOT.projectionBias)) {
        const pb = c.t(op.inputs[LSTM_SLOT.projectionBias], 'projection bias');
        if (pb.dtype !== 'int32' || !(pb.data instanceof Int32Array)) fail(`projection bias '${pb.name}' must be a constant int32 vector, is ${pb.dtype}`);
      }
    }
    if (cs.quant!.zeroPoint[0] !== 0) fail(`cell state '${cs.name}' has zero point ${cs.quant!.zeroPoint[0]}; int16 state is symmetric`);
    if (checkedLog2(cs.quant!.scale[0]!) === undefined) fail(`cell state '${cs.name}' has scale ${cs.quant!.scale[0]}`, 'TFLite\'s integer LSTM needs a power-of-two cell state scale');
    const q = lstmQuantParams(c.g, op);
    if (q.cellScale < -15 || q.cellScale > -9) fail(`cell state scale 2^${q.cellScale}; TFLite's integer tanh supports 2^-15 .. 2^-9`);
    LSTM_GATES.forEach((g, k) => {
      if (k === 0 && q.cifg) return;
      for (const slot of [LSTM_SLOT.inputWeights[k]!, LSTM_SLOT.recurrentWeights[k]!]) {
        const w = c.weights(op.inputs[slot], 2, 0, q.nCell);
        perTensor(w, fail, `${g} gate weights`);
      }
      const b = c.t(op.inputs[LSTM_SLOT.bias[k]!], `${g} gate bias`);
      if (b.dtype !== 'int32' || !(b.data instanceof Int32Array)) fail(`${g} gate bias '${b.name}' must be a constant int32 vector, is ${b.dtype}`);
    });
    for (const m of q.gates.flatMap((g, k) => (k === 0 && q.cifg ? [] : [g.input, g.recurrent])).concat([q.hidden], q.projection ? [q.projection.scale] : [])) {
      if (m.shift > 30 || m.shift < -31) fail(`an effective scale has shift ${m.shift}`, 'the gate scales must be within 2^-31 .. 2^30');
    }
  },
  lower: [
    rule({
      name: 'lstm',
      kinds: ['unidirectional_sequence_lstm'],
      priority: 0,
      lower: (ctx, op) => {
        const q = lstmQuantParams(ctx.graph, op);
        const gates = LSTM_GATES.map((g, k) => {
          if (k === 0 && q.cifg) return undefined;
          const wi = ctx.t(op.inputs[LSTM_SLOT.inputWeights[k]!]!), wr = ctx.t(op.inputs[LSTM_SLOT.recurrentWeights[k]!]!);
          const bias = ctx.t(op.inputs[LSTM_SLOT.bias[k]!]!).data as Int32Array;
          // TFLite's Prepare: input zero point and bias folded into one effective bias per matmul.
          return {
            inputWeights: ctx.constant(wi.id),
            recurrentWeights: ctx.constant(wr.id),
            inputBias: ctx.newConstant(`${op.name}.${g}.input_bias`, 'int32', [q.nCell], zeroPointTimesWeightWithBias(int8Data(wi), q.nCell, q.nInput, -q.inputZeroPoint, bias)),
            recurrentBias: ctx.newConstant(`${op.name}.${g}.recurrent_bias`, 'int32', [q.nCell], zeroPointTimesWeightWithBias(int8Data(wr), q.nCell, q.nOutput, -q.outputStateZeroPoint)),
            input: q.gates[k]!.input,
            recurrent: q.gates[k]!.recurrent,
          };
        });
        // Projection: TFLite's effective bias is the bias plus the hidden zero point times the row sums.
        const pw = op.inputs[LSTM_SLOT.projectionWeights]!;
        const pbId = op.inputs[LSTM_SLOT.projectionBias] ?? -1;
        const projection = q.projection && pw >= 0 ? {
          weights: ctx.constant(pw),
          bias: ctx.newConstant(`${op.name}.projection_bias`, 'int32', [q.nOutput], zeroPointTimesWeightWithBias(int8Data(ctx.t(pw)), q.nOutput, q.nCell, q.hiddenZeroPoint,
            pbId >= 0 ? ctx.t(pbId).data as Int32Array : undefined)),
          scale: q.projection.scale, clip: q.projection.clip, outputZeroPoint: q.outputStateZeroPoint,
        } : undefined;
        return {
          ...(projection ? { projection } : {}),
          kind: 'lstm',
          inputs: [ctx.buffer(op.inputs[LSTM_SLOT.input]!), ctx.buffer(op.inputs[LSTM_SLOT.outputState]!), ctx.buffer(op.inputs[LSTM_SLOT.cellState]!)],
          output: ctx.buffer(op.outputs[0]!),
          batches: q.batches, steps: q.steps, nInput: q.nInput, nCell: q.nCell, nOutput: q.nOutput, timeMajor: q.timeMajor,
          gates, cellScale: q.cellScale, cellClip: q.cellClip, hidden: q.hidden, hiddenZeroPoint: q.hiddenZeroPoint,
        };
      },
    }),
  ],
  macs: (g, op) => {
    const q = lstmQuantParams(g, op);
    return q.batches * q.steps * ((q.cifg ? 3 : 4) * q.nCell * (q.nInput + q.nOutput) + (q.projection ? q.nCell * q.nOutput : 0));
  },
  golden: (ctx, op) => {
    const q = lstmQuantParams(ctx.graph, op);
    const T = (slot: number) => ctx.graph.tensors[op.inputs[slot]!]!;
    const desc = new Int32Array(14 + 4 * 7 + 1 + 5);
    desc.set([q.batches, q.steps, q.nInput, q.nCell, q.nOutput, q.timeMajor ? 1 : 0, q.cifg ? 1 : 0, q.inputZeroPoint, q.outputStateZeroPoint,
      q.cellScale, q.cellClip, q.hidden.multiplier, q.hidden.shift, q.hiddenZeroPoint]);
    LSTM_GATES.forEach((_, k) => {
      if (k === 0 && q.cifg) return;
      const bias = T(LSTM_SLOT.bias[k]!).data;
      if (!(bias instanceof Int32Array)) throw new TinyforgeError(`LSTM gate bias '${T(LSTM_SLOT.bias[k]!).name}' must be constant int32`);
      // Weights as int16 rows padded to a multiple of 8 (the kernel's dot products).
      desc.set([ctx.weightRows(T(LSTM_SLOT.inputWeights[k]!), q.nCell, q.nInput).ptr, ctx.weightRows(T(LSTM_SLOT.recurrentWeights[k]!), q.nCell, q.nOutput).ptr, ctx.upload(bias),
        q.gates[k]!.input.multiplier, q.gates[k]!.input.shift, q.gates[k]!.recurrent.multiplier, q.gates[k]!.recurrent.shift], 14 + 7 * k);
    });
    // The activation tables (logistic and tanh of Q3.12, tanh of the cell state), filled by the kernel module.
    const tables = ctx.upload(new Int16Array(3 * 65536));
    ctx.ex.lstmTables(tables, 15 + q.cellScale);
    desc[14 + 4 * 7] = tables;
    if (q.projection) {
      // Projection: int16 rows of nCell (padded to 8), the raw bias (0: none), its scale and clip.
      const pb = op.inputs[LSTM_SLOT.projectionBias] ?? -1;
      desc.set([ctx.weightRows(T(LSTM_SLOT.projectionWeights), q.nOutput, q.nCell).ptr, pb >= 0 ? ctx.upload(T(LSTM_SLOT.projectionBias).data as Int32Array) : 0,
        q.projection.scale.multiplier, q.projection.scale.shift, q.projection.clip], 15 + 4 * 7);
    }
    const dp = ctx.upload(desc);
    const ids = [op.inputs[LSTM_SLOT.input]!, op.outputs[0]!, op.inputs[LSTM_SLOT.outputState]!, op.inputs[LSTM_SLOT.cellState]!] as const;
    const pad8 = (n: number) => Math.ceil(n / 8) * 8;
    return { scratch: 8 * q.nCell + 2 * (pad8(q.nInput) + pad8(q.nOutput) + pad8(q.nCell)), make: (scratch) => (p) => ctx.ex.lstm8x8_16(p[ids[0]]!, p[ids[1]]!, p[ids[2]]!, p[ids[3]]!, dp, scratch) };
  },
  cgra: { host: 'recurrent state and int16 gate arithmetic: the host runs it' },
});
