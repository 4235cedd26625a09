// UNIDIRECTIONAL_SEQUENCE_LSTM's user errors: what the importer, the validator and legalize refuse, each
// with a message naming the op and what would be valid (docs/lstm.md "Supported").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph } from '../../../compiler/ir/graph.ts';
import { validateGraph } from '../../../compiler/ir/validate.ts';
import { unidirectionalSequenceLstm } from '../../../compiler/ops/unidirectional-sequence-lstm.ts';
import type { ImportCtx } from '../../../compiler/ops/op-def.ts';
import { runPipeline } from '../../../compiler/passes/registry.ts';
import { randomLstm } from '../../helpers/random-lstm.ts';

/** A valid random LSTM graph (not CIFG, no projection) to break. */
function base(): Graph {
  for (let s = 0; ; s++) {
    const g = randomLstm(s, 1).graph;
    if (g.ops[0]!.inputs[1]! >= 0 && g.ops[0]!.inputs[16]! < 0) return g;
  }
}

/** Adds a constant int8 [rows, cols] tensor and puts it in operand `slot`. */
function withConstant(g: Graph, slot: number, shape: number[], dtype: 'int8' | 'int16' = 'int8'): Graph {
  const n = shape.reduce((a, b) => a * b, 1);
  const id = g.tensors.length;
  g.tensors.push({ id, name: `extra${slot}`, shape, dtype, quant: { scale: [Math.fround(0.01)], zeroPoint: [0] }, data: dtype === 'int8' ? new Int8Array(n) : new Int16Array(n) });
  g.ops[0]!.inputs[slot] = id;
  return g;
}

test('a valid random LSTM passes the validator and the pipeline', () => {
  const g = base();
  validateGraph(g);
  assert.equal(runPipeline(g, { arith: 'tflm' }).ops[0]!.kind, 'lstm');
});

test('legalize refuses peephole weights and layer normalisation; the validator a projection of the wrong shape', () => {
  const cells = (g: Graph) => g.tensors[g.ops[0]!.inputs[19]!]!.shape[1]!;
  let g = base();
  assert.throws(() => runPipeline(withConstant(g, 10, [cells(g)], 'int16'), { arith: 'tflm' }), /unidirectional_sequence_lstm: peephole \(cell-to-gate\) weights are not supported/);
  g = base();
  assert.throws(() => runPipeline(withConstant(g, 21, [cells(g)], 'int16'), { arith: 'tflm' }), /layer normalisation is not supported/);
  g = base();
  assert.throws(() => validateGraph(withConstant(g, 16, [cells(g) + 1, cells(g)])), /projection weights 'extra16' are \[\d+,\d+\], expected \[\d+, \d+\]/);
  g = base();
  assert.throws(() => validateGraph(withConstant(g, 17, [cells(g)])), /projection bias 'extra17' .* needs projection weights/);
});

test('legalize refuses a cell state scale that is not a power of two, or outside 2^-15 .. 2^-9', () => {
  let g = base();
  g.tensors[g.ops[0]!.inputs[19]!]!.quant!.scale = [0.0003];
  assert.throws(() => runPipeline(g, { arith: 'tflm' }), /unidirectional_sequence_lstm: cell state 'c' has scale 0.0003/);
  g = base();
  g.tensors[g.ops[0]!.inputs[19]!]!.quant!.scale = [2 ** -7];
  assert.throws(() => runPipeline(g, { arith: 'tflm' }), /cell state scale 2\^-7; TFLite's integer tanh supports 2\^-15 \.\. 2\^-9/);
});

test('the validator refuses an int8 cell state, and state that is neither a variable tensor nor computed', () => {
  let g = base();
  const c = g.tensors[g.ops[0]!.inputs[19]!]!;
  c.dtype = 'int8';
  assert.throws(() => validateGraph(g), /cell state 'c' is int8; the integer LSTM takes an int16 cell state/);
  g = base();
  delete g.tensors[g.ops[0]!.inputs[18]!]!.variable;
  assert.throws(() => validateGraph(g), /reads tensor 13 'h' before any op writes it/);
});

test('the importer refuses an LSTM without the hidden-state intermediate, or with another activation', () => {
  const ctx = (act: number, hidden: boolean): ImportCtx => ({
    file: 'm.tflite', index: 0, name: 'lstm_0',
    opts: { i8: (slot) => (slot === 0 ? act : 0), i32: () => 0, f32: () => 0, bool: () => false, i32s: () => [] },
    operand: () => undefined, result: () => undefined,
    intermediate: (slot) => (hidden && slot === 4 ? { shape: [0], type: 'INT8', quant: { scale: [0.01], zeroPoint: [3] } } : undefined),
    fail: (m, h) => { throw new Error(`${m}${h ? ` (${h})` : ''}`); },
  });
  const imp = unidirectionalSequenceLstm.tflite!.import;
  assert.throws(() => imp(ctx(4, false)), /needs 5 quantised intermediate tensors/);
  assert.throws(() => imp(ctx(1, true)), /fused activation code 1; the integer LSTM supports TANH \(code 4\) only/);
  const ok = imp(ctx(4, true));
  assert.deepEqual([ok.hiddenScale, ok.hiddenZeroPoint], [0.01, 3]);
});
