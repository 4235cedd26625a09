// Quantisation parameters of the integer UNIDIRECTIONAL_SEQUENCE_LSTM ("8x8_16": int8 input, weights and
// hidden state, int16 cell state), computed as desktop TFLite's Prepare computes them
// (PopulateQuantizedLstmParams8x8_16 and PopulatePrecomputedZPTimesWeightsWithBias of
// kernels/unidirectional_sequence_lstm.cc):
//   - each gate's pre-activation is Q3.12 (intermediate scale 2^-12 without layer normalisation): the input
//     and the recurrent matmul each have an effective scale weight_scale * in_scale / 2^-12, computed in
//     float32 (two float32 roundings), decomposed by QuantizeMultiplier;
//   - the hidden state is o * tanh(c), two Q0.15 values: effective scale 2^-15 / hidden_scale * 2^-15 (double,
//     then stored as float32), hidden_scale and hidden zero point from the operator's intermediate 4;
//   - the cell state scale must be a power of two 2^cell_scale (CheckedLog2); the cell clip becomes
//     int16(trunc(min(max(clip / cell_scale, -32768), 32767))) in float32;
//   - the effective biases (for the C kernel): gate bias - input_zp * row sums of the input weights, and
//     -output_state_zp * row sums of the recurrent weights;
//   - an optional projection (int8 [nOutput, nCell]): effective scale projection_scale * hidden_scale /
//     output_state_scale in float32, effective bias projection bias + hidden_zp * row sums (TFLite's sign:
//     the hidden state is stored with its zero point subtracted, docs/lstm.md), projection clip
//     int8(trunc(min(max(clip / output_scale, -128), 127))) in float32.
import { TinyforgeError } from '../diagnostics.ts';
import type { Graph, Tensor } from '../ir/graph.ts';
import { quantizeMultiplier, type QuantizedMultiplier } from './multiplier.ts';

/** Operand slots of the op (TFLite's lstm::full tensor indices). */
export const LSTM_SLOT = {
  input: 0,
  inputWeights: [1, 2, 3, 4], // input_to_{input, forget, cell, output}_weights
  recurrentWeights: [5, 6, 7, 8],
  peephole: [9, 10, 11],
  bias: [12, 13, 14, 15], // {input, forget, cell, output}_gate_bias
  projectionWeights: 16,
  projectionBias: 17,
  outputState: 18,
  cellState: 19,
  layerNorm: [20, 21, 22, 23],
} as const;

/** The four gates in TFLite's order (input, forget, cell, output). */
export const LSTM_GATES = ['input', 'forget', 'cell', 'output'] as const;

export interface LstmGateParams {
  /** Effective scales of the input and the recurrent matmul (to Q3.12). */
  input: QuantizedMultiplier;
  recurrent: QuantizedMultiplier;
}

export interface LstmQuantParams {
  batches: number;
  steps: number;
  nInput: number;
  nCell: number;
  nOutput: number;
  timeMajor: boolean;
  /** No input gate (CIFG): i = 1 - f. */
  cifg: boolean;
  inputZeroPoint: number;
  /** Zero point of the output state (the recurrent input h). */
  outputStateZeroPoint: number;
  /** Per gate (input, forget, cell, output); `gates[0]` is unused with CIFG. */
  gates: LstmGateParams[];
  /** log2 of the cell state scale (e.g. -11). */
  cellScale: number;
  /** Cell clip in cell-state units, 0 for none. */
  cellClip: number;
  hidden: QuantizedMultiplier;
  hiddenZeroPoint: number;
  /** The projection layer's effective scale and clip (in output units, 0: none), when it has one. */
  projection?: { scale: QuantizedMultiplier; clip: number };
}

const f32 = Math.fround;

function scaleOf(t: Tensor, role: string): number {
  const s = t.quant?.scale;
  if (!s || s.length !== 1) throw new TinyforgeError(`LSTM ${role} '${t.name}' needs one (per-tensor) scale, has ${s?.length ?? 0}`);
  return s[0]!;
}

/** TFLite's CheckedLog2: the exponent when x is a power of two (within 1e-3), else undefined. */
export function checkedLog2(x: number): number | undefined {
  const l = Math.log(x) / Math.LN2;
  const r = Math.round(l);
  return Math.abs(l - r) < 1e-3 ? r : undefined;
}

export interface LstmAttrs { inputs: number[]; outputs: number[]; cellClip: number; projClip: number; timeMajor: boolean; hiddenScale: number; hiddenZeroPoint: number }

export function lstmQuantParams(g: Graph, op: LstmAttrs): LstmQuantParams {
  const t = (slot: number): Tensor | undefined => { const id = op.inputs[slot]; return id === undefined || id < 0 ? undefined : g.tensors[id]; };
  const x = t(LSTM_SLOT.input)!, h = t(LSTM_SLOT.outputState)!, c = t(LSTM_SLOT.cellState)!;
  const cifg = t(LSTM_SLOT.inputWeights[0]) === undefined;
  const wOut = t(LSTM_SLOT.inputWeights[3])!, rOut = t(LSTM_SLOT.recurrentWeights[3])!;
  const [nCell, nInput] = wOut.shape as [number, number];
  const nOutput = rOut.shape[1]!;
  const [d0, d1] = x.shape as [number, number, number];
  const batches = op.timeMajor ? d1 : d0, steps = op.timeMajor ? d0 : d1;
  const inScale = scaleOf(x, 'input'), hScale = scaleOf(h, 'output state');
  const q12 = 2 ** -12;
  const gates = LSTM_GATES.map((_, k) => {
    const wi = t(LSTM_SLOT.inputWeights[k]!), wr = t(LSTM_SLOT.recurrentWeights[k]!);
    if (!wi || !wr) return { input: { multiplier: 0, shift: 0 }, recurrent: { multiplier: 0, shift: 0 } };
    // float effective = weight_scale * in_scale / intermediate_scale, all float32 (C++ float arithmetic).
    return {
      input: quantizeMultiplier(f32(f32(scaleOf(wi, 'weights') * inScale) / q12)),
      recurrent: quantizeMultiplier(f32(f32(scaleOf(wr, 'weights') * hScale) / q12)),
    };
  });
  const cellScale = checkedLog2(scaleOf(c, 'cell state'));
  if (cellScale === undefined) throw new TinyforgeError(`LSTM cell state '${c.name}' has scale ${scaleOf(c, 'cell state')}, not a power of two`);
  const cellClip = op.cellClip > 0 ? Math.trunc(Math.min(Math.max(f32(op.cellClip / f32(2 ** cellScale)), -32768), 32767)) : 0;
  // std::pow(2, -15) / intermediate_scale[4] * std::pow(2, -15) in double, stored in a float.
  const hidden = quantizeMultiplier(f32((2 ** -15 / op.hiddenScale) * 2 ** -15));
  const pw = t(LSTM_SLOT.projectionWeights);
  const y = g.tensors[op.outputs[0]!];
  const projection = pw ? {
    scale: quantizeMultiplier(f32(f32(scaleOf(pw, 'projection weights') * op.hiddenScale) / hScale)),
    clip: op.projClip > 0 && y?.quant ? Math.trunc(Math.min(Math.max(f32(op.projClip / f32(y.quant.scale[0]!)), -128), 127)) : 0,
  } : undefined;
  return {
    ...(projection ? { projection } : {}),
    batches, steps, nInput, nCell, nOutput, timeMajor: op.timeMajor, cifg,
    inputZeroPoint: x.quant!.zeroPoint[0]!, outputStateZeroPoint: h.quant!.zeroPoint[0]!,
    gates, cellScale, cellClip, hidden, hiddenZeroPoint: op.hiddenZeroPoint,
  };
}

/** bias[r] + zeroPoint * sum(w[r, :]) (TFLite's PrecomputeZeroPointTimesWeightWithBias), int32 wrap-around. */
export function zeroPointTimesWeightWithBias(w: Int8Array, rows: number, cols: number, zeroPoint: number, bias?: Int32Array): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = 0; k < cols; k++) s += w[r * cols + k]!;
    out[r] = ((bias ? bias[r]! : 0) + Math.imul(s, zeroPoint)) | 0;
  }
  return out;
}
