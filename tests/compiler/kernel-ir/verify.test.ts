// The kernel-IR verifier accepts the pipeline's output and reports each kind of broken invariant.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KBinary, KConv2d, KernelModule } from '../../../compiler/kernel-ir/types.ts';
import { verifyKernelModule } from '../../../compiler/kernel-ir/verify.ts';
import { runPipeline } from '../../../compiler/passes/registry.ts';
import { smallNet } from '../passes/small-graphs.ts';
import { GraphBuilder } from '../../helpers/graph-builder.ts';

const fresh = (): KernelModule => runPipeline(smallNet(), { arith: 'tflm' });

test('verify: the pipeline output is well formed', () => {
  assert.deepEqual(verifyKernelModule(fresh()), []);
});

test('verify: each broken invariant is reported', () => {
  const cases: Array<[string, (m: KernelModule) => void, RegExp]> = [
    ['requant length', (m) => { (m.ops[0] as KConv2d).requant.shift = new Int32Array(3); }, /requant has 4\/3 entries for 4 channels/],
    ['padding', (m) => { (m.ops[0] as KConv2d).padBottom = 3; }, /outH does not follow/],
    ['lifetime', (m) => { m.buffers[1].lastUse = 1; }, /op #2 add 'res': reads %1 outside its lifetime \[0, 1\]/],
    ['view', (m) => { delete m.buffers[5].aliasOf; }, /output %5 is not a view of %4/],
    ['clamp', (m) => { (m.ops[0] as KConv2d).actMin = 60; }, /clamp \[60, 51\] is not an int8 range/],
    ['offset', (m) => { (m.ops[0] as KConv2d).inputOffset = -1; }, /inputOffset -1 is not -\(input zero point -1\)/],
    ['bytes', (m) => { m.buffers[2].bytes = 35; }, /35 bytes for int8 \[1,3,3,4\]/],
    ['weights', (m) => { m.consts[0].shape = [4, 3, 3, 1]; }, /72 values for \[4,3,3,1\]/],
    ['multiplier', (m) => { (m.ops[0] as KConv2d).requant.multiplier[1] = 5; }, /multiplier\[1\] = 5 is not a Q31 mantissa/],
    ['single-rounding shift', (m) => { m.arith = 'tflite'; (m.ops[0] as KConv2d).rounding = 'single'; (m.ops[0] as KConv2d).requant.shift[0] = 31; }, /shift\[0\] = 31 outside \[-31, 30\]/],
    ['single rounding in tflm', (m) => { (m.ops[0] as KConv2d).rounding = 'single'; }, /single rounding in a tflm module/],
  ];
  for (const [what, corrupt, expected] of cases) {
    const m = fresh();
    corrupt(m);
    const errors = verifyKernelModule(m);
    assert.ok(errors.some((e) => expected.test(e)), `${what}: ${JSON.stringify(errors)}`);
  }
});

test('verify: the binary op (6-D broadcast SUB with a constant operand, MAXIMUM) and its broken invariants', () => {
  const b = new GraphBuilder();
  const x = b.act('x', [1, 2, 1, 2, 3, 4], 0.05, 3);
  const k = b.tensor({ name: 'k', shape: [3, 1], dtype: 'int8', quant: { scale: [0.02], zeroPoint: [-5] }, data: Int8Array.from([1, -2, 3]) });
  const y = b.act('y', [1, 2, 1, 2, 3, 4], 0.1, 0);
  const z = b.act('z', [1, 2, 1, 2, 3, 4], 0.1, 0);
  b.op({ kind: 'sub', name: 'sub', inputs: [x, k], outputs: [y], activation: 'relu' });
  b.op({ kind: 'maximum', name: 'max', inputs: [y, y], outputs: [z] });
  const build = () => runPipeline(b.io([x], [z]), { arith: 'tflite' });
  const m0 = build();
  assert.deepEqual(verifyKernelModule(m0), []);
  const sub = m0.ops[0] as KBinary;
  assert.deepEqual([sub.kind, sub.op, sub.inputs.length, sub.constOperand?.slot, sub.bShape], ['binary', 'sub', 1, 1, [1, 1, 1, 1, 3, 1]]);
  // desktop TFLite's SUB: its ADD kernel with the second multiplier negated
  assert.ok(sub.input2Q.multiplier < 0);
  const cases: Array<[string, (o: KBinary) => void, RegExp]> = [
    ['broadcast', (o) => { o.bShape = [1, 1, 1, 1, 2, 1]; }, /operand 1 shape \[1,1,1,1,2,1\] disagrees with its constant|do not broadcast/],
    ['offsets', (o) => { o.input1Offset = 0; }, /offsets disagree with the zero points/],
    ['input multiplier', (o) => { o.input1Q = { multiplier: 5, shift: 0 }; }, /input multiplier \(5, 0\) is not below one/],
    ['rank', (o) => { o.outShape = [1, 1, 1, 2, 1, 2, 3, 4]; }, /expected one rank in 4\.\.6/],
  ];
  for (const [what, corrupt, expected] of cases) {
    const m = build();
    corrupt(m.ops[0] as KBinary);
    const errors = verifyKernelModule(m);
    assert.ok(errors.some((e) => expected.test(e)), `${what}: ${JSON.stringify(errors)}`);
  }
  const m = build();
  m.buffers[(m.ops[1] as KBinary).inputs[0]!]!.zeroPoint = 1;
  assert.ok(verifyKernelModule(m).some((e) => /maximum operand %\d+ is quantised unlike the output/.test(e)), 'maximum quantisation');
});
