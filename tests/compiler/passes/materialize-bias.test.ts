// materialize-bias: ops without a bias get an all-zero int32 one; existing biases and the caller's graph
// are left alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { printGraph } from '../../../compiler/ir/printer.ts';
import { materializeBias } from '../../../compiler/passes/materialize-bias.ts';
import { runPass } from '../../../compiler/passes/registry.ts';
import { smallNet } from './small-graphs.ts';

test('materialize-bias: zero biases for conv and fc; dw keeps its own; input graph untouched', () => {
  const g = smallNet();
  const tensorsBefore = g.tensors.length;
  const out = runPass(materializeBias, { graph: g, arith: 'tflm' }).graph;
  // the input graph is unchanged
  assert.equal(g.tensors.length, tensorsBefore);
  assert.equal(g.ops[0].inputs[2], -1);
  // conv (4 output channels) and fc (3) got new tensors at the end; dw's bias b1 is kept
  assert.equal(out.tensors.length, tensorsBefore + 2);
  const convBias = out.tensors[out.ops[0].inputs[2]];
  assert.equal(convBias.name, 'conv.zero_bias');
  assert.equal(convBias.dtype, 'int32');
  assert.deepEqual(convBias.shape, [4]);
  assert.deepEqual([...(convBias.data as Int32Array)], [0, 0, 0, 0]);
  // bias scale = input scale x weight scale: 0.5 x [0.25, 0.025, 0.125, 0.5]
  assert.deepEqual(convBias.quant!.scale, [0.125, 0.0125, 0.0625, 0.25]);
  const fcBias = out.tensors[out.ops[5].inputs[2]];
  assert.deepEqual([fcBias.name, fcBias.shape, [...(fcBias.data as Int32Array)]], ['fc.zero_bias', [3], [0, 0, 0]]);
  assert.equal(out.ops[1].inputs[2], g.ops[1].inputs[2]);
  // ops without weights are the same objects
  assert.equal(out.ops[2], g.ops[2]);
});

test('materialize-bias, printed: two new const lines; the conv and fc op lines gain their bias operand', () => {
  const g = smallNet();
  const before = printGraph(g).split('\n');
  const after = printGraph(runPass(materializeBias, { graph: g, arith: 'tflm' }).graph).split('\n');
  const added = after.filter((l) => !before.includes(l));
  const removed = before.filter((l) => !after.includes(l));
  // smallNet has tensors %0..%11 (x w0 a w1 b1 b c d e w2 f y); the new ones are %12 (conv, 4 channels)
  // and %13 (fc, 3 channels)
  assert.deepEqual(removed.map((l) => l.trim().replace(/ \{.*/, '')), [
    'op 0 conv2d "conv" (%0, %1, _) -> %2',
    'op 5 fully_connected "fc" (%8, %9, _) -> %10',
  ]);
  assert.deepEqual(added.map((l) => l.trim().replace(/ (quant|\{).*/, '')), [
    '%12 = const "conv.zero_bias" [4] int32',
    '%13 = const "fc.zero_bias" [3] int32',
    'op 0 conv2d "conv" (%0, %1, %12) -> %2',
    'op 5 fully_connected "fc" (%8, %9, %13) -> %10',
  ]);
});
