// legalize: accepts a well-formed graph unchanged; rejects each kind of malformed graph with an error
// naming the op and saying what is wrong and what is valid.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TinyforgeError } from '../../../compiler/diagnostics.ts';
import type { Graph, Op } from '../../../compiler/ir/graph.ts';
import { legalize } from '../../../compiler/passes/legalize.ts';
import { runPass } from '../../../compiler/passes/registry.ts';
import { GraphBuilder } from '../../helpers/graph-builder.ts';
import { smallNet } from './small-graphs.ts';

const run = (g: Graph) => runPass(legalize, { graph: g, arith: 'tflm' });
const opNamed = (g: Graph, name: string): Op => g.ops.find((o) => o.name === name)!;

function rejects(g: Graph, op: string, message: RegExp, hint?: RegExp): void {
  assert.throws(() => run(g), (e: unknown) => {
    assert.ok(e instanceof TinyforgeError, `expected a TinyforgeError, got ${e}`);
    assert.equal(e.where.op, op);
    assert.match(e.message, message);
    if (hint) assert.match(e.hint ?? '', hint);
    return true;
  });
}

test('legalize: a well-formed graph passes through unchanged', () => {
  const g = smallNet();
  assert.equal(run(g).graph, g);
});

test('legalize: int16 activations are rejected where no int16 kernel exists, or asymmetric, or mixed with int8', () => {
  const g = smallNet();
  g.tensors[opNamed(g, 'conv').outputs[0]].dtype = 'int16';
  // CONV_2D runs 16x8, but int16 activations are symmetric.
  rejects(g, 'conv', /output 'a' is int16 with zero point/, /symmetric \(zero point 0\)/);
  g.tensors[opNamed(g, 'conv').outputs[0]].quant!.zeroPoint = [0];
  // ... and int8 in, int16 out is no TFLite kernel.
  rejects(g, 'conv', /input is int8 but output is int16/, /int16 -> int16/);
  // CONV_2D, DEPTHWISE_CONV_2D and ADD run 16x8; AVERAGE_POOL_2D too, but int16 in, int8 out is no pooling.
  const h = smallNet();
  for (const id of [opNamed(h, 'conv').inputs[0], opNamed(h, 'conv').outputs[0], opNamed(h, 'dw').outputs[0], opNamed(h, 'res').outputs[0]]) {
    h.tensors[id].dtype = 'int16';
    h.tensors[id].quant!.zeroPoint = [0];
  }
  rejects(h, 'pool', /input is int16 but output is int8/, /keeps the type/);
  // An op without an int16 kernel (HARD_SWISH) names the int16 ops there are.
  const k = smallNet();
  const hs = opNamed(k, 'pool');
  Object.assign(hs, { kind: 'hard_swish', filter: undefined, stride: undefined, padding: undefined, activation: undefined });
  for (const id of [opNamed(k, 'conv').inputs[0]!, opNamed(k, 'conv').outputs[0]!, opNamed(k, 'dw').outputs[0]!, hs.inputs[0]!, hs.outputs[0]!]) {
    k.tensors[id].dtype = 'int16';
    k.tensors[id].quant!.zeroPoint = [0];
  }
  k.tensors[hs.outputs[0]!].shape = [...k.tensors[hs.inputs[0]!].shape];
  rejects(k, 'pool', /input 'c' is int16/, /int8 activations only here \(int16: CONV_2D/);
});

test('legalize: asymmetric weights are rejected', () => {
  const g = smallNet();
  g.tensors[opNamed(g, 'dw').inputs[1]].quant!.zeroPoint = [3];
  rejects(g, 'dw', /weights 'w1' have a non-zero zero point/, /symmetric/);
});

test('legalize: an output shape that TFLite padding rules do not give is rejected', () => {
  // 5x5 input, 3x3 window, stride 2, same padding -> ceil(5 / 2) = 3, not 2
  const g = smallNet();
  const a = g.tensors[opNamed(g, 'conv').outputs[0]];
  a.shape = [1, 2, 2, 4];
  rejects(g, 'conv', /output 'a' has shape \[1,2,2,4\]/, /expected \[1,3,3,4\]/);
});

test('legalize: a per-channel scale count that matches no output channel count', () => {
  const g = smallNet();
  g.tensors[opNamed(g, 'conv').inputs[1]].quant!.scale = [0.1, 0.2];
  g.tensors[opNamed(g, 'conv').inputs[1]].quant!.zeroPoint = [0, 0];
  rejects(g, 'conv', /2 scales for 4 output channels/);
});

test('legalize: a bias of the wrong length', () => {
  const g = smallNet();
  const b = g.tensors[opNamed(g, 'dw').inputs[2]];
  b.shape = [3];
  b.data = new Int32Array(3);
  rejects(g, 'dw', /bias 'b1' has shape \[3\]/, /expected \[4\]/);
});

test('legalize: operands that do not broadcast', () => {
  // [1,2,2,4] + [1,3,1,4]: dimension 1 is 2 vs 3, neither 1
  const b = new GraphBuilder();
  const x = b.act('x', [1, 2, 2, 4], 0.5, 0);
  const y = b.act('y', [1, 3, 1, 4], 0.5, 0);
  const z = b.act('z', [1, 2, 2, 4], 0.5, 0);
  b.op({ kind: 'add', name: 'sum', inputs: [x, y], outputs: [z], activation: 'none' });
  rejects(b.io([x, y], [z]), 'sum', /shapes \[1,2,2,4\] and \[1,3,1,4\] do not broadcast to \[1,2,2,4\]/);
  // while [1,2,2,4] + [4] broadcasts
  const c = new GraphBuilder();
  const p = c.act('p', [1, 2, 2, 4], 0.5, 0);
  const q = c.act('q', [4], 0.5, 0);
  const r = c.act('r', [1, 2, 2, 4], 0.5, 0);
  c.op({ kind: 'add', name: 'sum', inputs: [p, q], outputs: [r], activation: 'none' });
  assert.doesNotThrow(() => run(c.io([p, q], [r])));
});

test('legalize: ops out of topological order', () => {
  const g = smallNet();
  [g.ops[0], g.ops[1]] = [g.ops[1], g.ops[0]];
  rejects(g, 'dw', /reads 'a' before any op writes it/, /topological order/);
});

test('legalize: a reshape that changes the element count', () => {
  const g = smallNet();
  g.tensors[opNamed(g, 'flat').outputs[0]].shape = [1, 5];
  rejects(g, 'flat', /\[1,1,1,4\] has 4 elements, \[1,5\] has 5/);
});

test('legalize: a constant operand that is not int8 (a bias)', () => {
  const g = smallNet();
  const res = opNamed(g, 'res');
  res.inputs[1] = opNamed(g, 'dw').inputs[2];
  rejects(g, 'res', /constant second input '\w+' is not an int8 tensor/);
});
