// IR-in / IR-out tests of the kernel passes on the small hand-built net (small-graphs.ts): the kernel IR
// is printed before and after each pass, and the test checks exactly which lines the pass changed and
// what they became. Expected values are derived by hand in the comments.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { printKernelModule } from '../../../compiler/kernel-ir/printer.ts';
import { passByName, runPass } from '../../../compiler/passes/registry.ts';
import type { PipelineState } from '../../../compiler/passes/pass.ts';
import { smallNet, stateBefore } from './small-graphs.ts';

/** Print before and after running `name` alone; return the changed lines as [before, after] pairs. */
function diff(name: string): Array<[string, string]> {
  const before: PipelineState = stateBefore(smallNet(), name);
  const textBefore = printKernelModule(before.module!);
  const after = runPass(passByName(name), before);
  const a = textBefore.split('\n');
  const b = printKernelModule(after.module!).split('\n');
  assert.equal(a.length, b.length, 'a kernel pass must not add or remove lines here');
  return a.map((l, i): [string, string] => [l.trim(), b[i].trim()]).filter(([x, y]) => x !== y);
}

test('fold-requant: offsets and multipliers appear; nothing else changes', () => {
  const changed = diff('fold-requant');
  const after = changed.map(([, a]) => a);
  // conv: x (0.5, zp -1), w scales [0.25, 0.025, 0.125, 0.5], a (0.125, zp 3):
  //   effective [1, 0.1, 0.5, 2] -> (2^30, 1), (1717986918, -3), (2^30, 0), (2^30, 2); offsets in +1, out 3
  assert.equal(changed.filter(([b]) => b === 'requant: rounding=double multiplier=[] shift=[]').length, 3); // conv, dw, fc
  assert.ok(after.includes('requant: rounding=double multiplier=[1073741824,1717986918,1073741824,1073741824] shift=[1,-3,0,2]'));
  assert.ok(after.includes('weights=@0 bias=@1 inputOffset=1 outputOffset=3 clamp=[-128,127]'));
  // dw: a (0.125, zp 3), w 0.5, b (0.25, zp 0): 0.25 -> (2^30, -1) on all 4 channels; offsets -3, 0
  assert.ok(after.includes('requant: rounding=double multiplier=[1073741824,1073741824,1073741824,1073741824] shift=[-1,-1,-1,-1]'));
  assert.ok(after.includes('weights=@2 bias=@3 inputOffset=-3 outputOffset=0 clamp=[-128,127]'));
  // add: a 0.125, b 0.25 -> twice max = 0.5; 0.25 -> (2^30,-1), 0.5 -> (2^30,0); out 0.5/(2^20*0.5) = 2^-20 -> (2^30,-19)
  assert.ok(after.includes('requant: input1=(1073741824,-1) input2=(1073741824,0) output=(1073741824,-19)'));
  assert.ok(after.includes('input1Offset=-3 input2Offset=0 outputOffset=-2 leftShift=20 clamp=[-128,127]'));
  // fc: e (0.5, zp -2), w 0.25, f (0.0625, zp 1): 2 -> (2^30, 2)
  assert.ok(after.includes('requant: rounding=double multiplier=[1073741824,1073741824,1073741824] shift=[2,2,2]'));
  // softmax: 0.0625 * 2^26 = 2^22 -> (2^30, 23); diff_min = -floor(31 * 2^26 / 2^23) = -248
  assert.ok(after.includes('rows=1 depth=3 inputMultiplier=1073741824 inputLeftShift=23 diffMin=-248 outputOffset=-128'));
  // 3 convolution-like ops x 2 lines + add 2 lines + softmax 1 line; clamps untouched
  assert.equal(changed.length, 3 * 2 + 2 + 1);
  for (const [b, a] of changed) assert.equal(b.match(/clamp=\[[^\]]*\]/)?.[0], a.match(/clamp=\[[^\]]*\]/)?.[0]);
});

test('fuse-activation: only the clamps of ops with a fused activation change', () => {
  const changed = diff('fuse-activation');
  // conv relu6 into (0.125, zp 3): [3 + 0, 3 + round(6 / 0.125)] = [3, 51]
  // add relu into (0.5, zp -2): [-2, 127]; dw, pool, fc have 'none' -> unchanged [-128, 127]
  assert.deepEqual(changed.map(([b, a]) => [b.replace(/.*clamp=/, ''), a.replace(/.*clamp=/, '')]), [
    ['[-128,127]', '[3,51]'],
    ['[-128,127]', '[-2,127]'],
  ]);
});

test('assign-buffers: lifetimes and the reshape view', () => {
  const after = diff('assign-buffers').map(([, a]) => a).map((l) => l.replace(/ =.*live=/, ' live='));
  // x read by op 0; a written by 0, read by 1 (dw) and 2 (add); b 1..2; c 2..3;
  // d written by pool (3), read by reshape (4), and its view e is read by fc (5) -> d lives to 5;
  // f 5..6; y is the graph output -> lastUse = 7 ops
  assert.deepEqual(after, [
    '%0 live=[-1..0]', '%1 live=[0..2]', '%2 live=[1..2]', '%3 live=[2..3]', '%4 live=[3..5]',
    '%5 live=[4..5] alias=%4', '%6 live=[5..6]', '%7 live=[6..7]',
  ]);
});

test('count-macs: per-op multiply-accumulates', () => {
  const changed = diff('count-macs').map(([, a]) => a.replace(/^(op \d+|kernel).*macs=(\d+).*$/, '$1:$2'));
  // conv: 3*3*4 outputs x 3*3*2 window = 36 * 18 = 648; dw: 36 x 9 = 324; fc: 4 x 3 = 12; the rest 0;
  // module total 648 + 324 + 12 = 984
  assert.deepEqual(changed, ['kernel:984', 'op 0:648', 'op 1:324', 'op 5:12']);
});

test('fold-requant in the tflite arithmetic: conv2d and fully_connected round once, depthwise twice', () => {
  const state = runPass(passByName('fold-requant'), stateBefore(smallNet(), 'fold-requant', 'tflite'));
  const rounding = state.module!.ops.map((o) => ('rounding' in o ? `${o.kind}:${o.rounding}` : undefined)).filter(Boolean);
  assert.deepEqual(rounding, ['conv2d:single', 'depthwise_conv2d:double', 'fully_connected:single']);
});
