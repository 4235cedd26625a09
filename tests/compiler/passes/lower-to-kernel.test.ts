// lower-to-kernel: explicit padding, rule selection by priority (grouped conv -> depthwise with its
// weight re-layout), and the errors of the rule table. Expected values are derived by hand below.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TinyforgeError } from '../../../compiler/diagnostics.ts';
import type { Graph, Padding } from '../../../compiler/ir/graph.ts';
import type { KConv2d, KDepthwiseConv2d, KernelModule } from '../../../compiler/kernel-ir/types.ts';
import { LOWERING_RULES, selectRule, type LowerCtx } from '../../../compiler/passes/lower-rules.ts';
import { runPipeline } from '../../../compiler/passes/registry.ts';
import { GraphBuilder } from '../../helpers/graph-builder.ts';

function convNet(inHW: [number, number], outHW: [number, number], k: [number, number], stride: [number, number],
  dilation: [number, number], padding: Padding): Graph {
  const b = new GraphBuilder('conv');
  const x = b.act('x', [1, inHW[0], inHW[1], 1], 0.5, 0);
  const w = b.constant('w', [1, k[0], k[1], 1], new Int8Array(k[0] * k[1]).fill(1), [0.5]);
  const y = b.act('y', [1, outHW[0], outHW[1], 1], 0.5, 0);
  b.op({ kind: 'conv2d', name: 'c', inputs: [x, w, -1], outputs: [y], stride, dilation, padding, activation: 'none' });
  return b.io([x], [y]);
}

const pads = (m: KernelModule) => {
  const op = m.ops[0] as KConv2d;
  return [op.padTop, op.padLeft, op.padBottom, op.padRight];
};

test('explicit padding: same, odd total (extra pixel after)', () => {
  // 4x6 input, 3x3, stride 2, same: out = ceil(4/2) x ceil(6/2) = 2x3
  // total H = (2-1)*2 + 3 - 4 = 1 -> top 0, bottom 1; total W = (3-1)*2 + 3 - 6 = 1 -> left 0, right 1
  assert.deepEqual(pads(runPipeline(convNet([4, 6], [2, 3], [3, 3], [2, 2], [1, 1], 'same'), { arith: 'tflm' })), [0, 0, 1, 1]);
});

test('explicit padding: same with dilation', () => {
  // 4x6 input, 3x3 dilated by 2 (effective 5x5), stride 1, same: out 4x6
  // total H = 3*1 + 5 - 4 = 4 -> 2 / 2; total W = 5*1 + 5 - 6 = 4 -> 2 / 2
  assert.deepEqual(pads(runPipeline(convNet([4, 6], [4, 6], [3, 3], [1, 1], [2, 2], 'same'), { arith: 'tflm' })), [2, 2, 2, 2]);
});

test('explicit padding: valid is always zero, even with leftover input', () => {
  // 4x6, 3x3, stride 2, valid: out = ceil((4-3+1)/2) x ceil((6-3+1)/2) = 1x2; row 3 and column 5 unused
  assert.deepEqual(pads(runPipeline(convNet([4, 6], [1, 2], [3, 3], [2, 2], [1, 1], 'valid'), { arith: 'tflm' })), [0, 0, 0, 0]);
});

/** conv2d with groups == inC = 2, 4 outputs (multiplier 2), 2x1 window; w[o][kh] = 10*o + kh. */
function groupedNet(): Graph {
  const b = new GraphBuilder('grouped');
  const x = b.act('x', [1, 3, 3, 2], 0.5, 0);
  const w = b.constant('w', [4, 2, 1, 1], Int8Array.from([0, 1, 10, 11, 20, 21, 30, 31]), [0.5, 0.25, 0.5, 0.25], 0);
  const y = b.act('y', [1, 3, 3, 4], 0.5, 0);
  b.op({ kind: 'conv2d', name: 'g', inputs: [x, w, -1], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'same', activation: 'none' });
  return b.io([x], [y]);
}

test('conv2d with groups == input channels lowers to depthwise (priority 10) with re-laid-out weights', () => {
  const m = runPipeline(groupedNet(), { arith: 'tflm' });
  const op = m.ops[0] as KDepthwiseConv2d;
  assert.equal(op.kind, 'depthwise_conv2d');
  assert.equal(op.depthMultiplier, 2);
  // [O=4, KH=2, KW=1, I=1] -> [1, KH=2, KW=1, O=4]: dw[kh * 4 + o] = w[o * 2 + kh]
  assert.deepEqual(m.consts[op.weights].shape, [1, 2, 1, 4]);
  assert.deepEqual([...m.consts[op.weights].data], [0, 10, 20, 30, 1, 11, 21, 31]);
  // per-channel requant stays in output-channel order: 0.5*0.5/0.5 = 0.5 -> shift 0; 0.5*0.25/0.5 = 0.25 -> shift -1
  assert.deepEqual([...op.requant.shift], [0, -1, 0, -1]);
  assert.equal(op.rounding, 'double');
  // the same-padding geometry of a 2x1 window on 3x3: total H = 2*1 + 2 - 3 = 1 -> top 0, bottom 1
  assert.deepEqual([op.padTop, op.padBottom, op.padLeft, op.padRight], [0, 1, 0, 0]);
});

test('tflite arithmetic: a grouped conv rounds twice (as desktop TFLite), lowered or not', () => {
  const dw = runPipeline(groupedNet(), { arith: 'tflite' }).ops[0] as KDepthwiseConv2d;
  assert.deepEqual([dw.kind, dw.rounding], ['depthwise_conv2d', 'double']);
  const conv = runPipeline(groupedNet(), { arith: 'tflite', passOptions: { 'lower-to-kernel': { groupedAsDepthwise: false } } }).ops[0] as KConv2d;
  assert.deepEqual([conv.kind, conv.groups, conv.rounding], ['conv2d', 2, 'double']);
});

test('the grouped-as-depthwise rule can be switched off: plain grouped conv2d', () => {
  const m = runPipeline(groupedNet(), { arith: 'tflm', passOptions: { 'lower-to-kernel': { groupedAsDepthwise: false } } });
  const op = m.ops[0] as KConv2d;
  assert.equal(op.kind, 'conv2d');
  assert.equal(op.groups, 2);
  assert.deepEqual([...m.consts[op.weights].data], [0, 1, 10, 11, 20, 21, 30, 31]);
});

test('unknown pass options are rejected', () => {
  assert.throws(() => runPipeline(groupedNet(), { arith: 'tflm', passOptions: { 'lower-to-kernel': { nope: true } } }),
    (e: unknown) => e instanceof TinyforgeError && /has no option 'nope'/.test(e.message));
  assert.throws(() => runPipeline(groupedNet(), { arith: 'tflm', passOptions: { 'no-such-pass': {} } }),
    (e: unknown) => e instanceof TinyforgeError && /unknown pass 'no-such-pass'/.test(e.message));
});

test('rule table: every graph op kind has a rule; equal priorities are reported; no rule is an error naming the op', () => {
  const g = groupedNet();
  const ctx = { graph: g, arith: 'tflm', options: { groupedAsDepthwise: true }, t: (id: number) => g.tensors[id] } as unknown as LowerCtx;
  assert.equal(selectRule(ctx, g.ops[0]).name, 'conv2d-grouped-as-depthwise');
  assert.equal(selectRule({ ...ctx, options: { groupedAsDepthwise: false } }, g.ops[0]).name, 'conv2d');
  const twin = LOWERING_RULES.find((r) => r.name === 'conv2d')!;
  assert.throws(() => selectRule(ctx, g.ops[0], [twin, { ...twin, name: 'conv2d-copy' }]), /both match conv2d at priority 0/);
  assert.throws(() => selectRule(ctx, g.ops[0], LOWERING_RULES.filter((r) => !r.kinds.includes('conv2d'))),
    (e: unknown) => e instanceof TinyforgeError && e.where.op === 'g' && /no lowering rule applies/.test(e.message));
  const kinds = new Set(LOWERING_RULES.flatMap((r) => r.kinds));
  for (const k of ['conv2d', 'depthwise_conv2d', 'fully_connected', 'add', 'average_pool2d', 'max_pool2d', 'reshape', 'softmax', 'shift_conv2d', 'add_conv2d']) {
    assert.ok(kinds.has(k as never), `no rule for ${k}`);
  }
});
