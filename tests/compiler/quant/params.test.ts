// Per-op quantisation parameters on hand-built one-op graphs; expected values derived by hand from
// TFLite's formulas (see compiler/quant/params.ts) in the comments.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activationRange } from '../../../compiler/ir/graph.ts';
import { addQuantParams, convQuantParams, poolQuantParams, singleRounding, softmaxQuantParams } from '../../../compiler/quant/params.ts';
import { TinyforgeError } from '../../../compiler/diagnostics.ts';
import { GraphBuilder } from '../../helpers/graph-builder.ts';

function convGraph(wScales: number[], outScale = 0.125, outZp = 3) {
  const b = new GraphBuilder();
  const x = b.act('x', [1, 4, 4, 2], 0.5, -1);
  const w = b.constant('w', [wScales.length === 1 ? 3 : wScales.length, 1, 1, 2], new Int8Array(wScales.length === 1 ? 6 : 2 * wScales.length), wScales, 0);
  const y = b.act('y', [1, 4, 4, wScales.length === 1 ? 3 : wScales.length], outScale, outZp);
  const op = b.op({ kind: 'conv2d', inputs: [x, w, -1], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'same', activation: 'relu6' } as const);
  return { g: b.io([x], [y]), op };
}

test('convQuantParams: per-channel multipliers, offsets and relu6 clamp', () => {
  // channel 0: 0.5 * 0.25 / 0.125 = 1 = 0.5 * 2^1 -> (2^30, 1)
  // channel 1: 0.5 * 0.025 / 0.125 = 0.1 = 0.8 * 2^-3 -> 0.8 * 2^31 = 1717986918.4 -> (1717986918, -3)
  // channel 2: 0.5 * 2^-36 / 0.125 = 2^-34 = 0.5 * 2^-33 -> shift < -31 -> (0, 0)
  const { g, op } = convGraph([0.25, 0.025, 2 ** -36]);
  const p = convQuantParams(g, op, 'tflm');
  assert.deepEqual([...p.requant.multiplier], [1073741824, 1717986918, 0]);
  assert.deepEqual([...p.requant.shift], [1, -3, 0]);
  // inputOffset = -(-1); outputOffset = 3; relu6: [3 + round(0 / 0.125), 3 + round(6 / 0.125)] = [3, 51]
  assert.equal(p.inputOffset, 1);
  assert.equal(p.outputOffset, 3);
  assert.deepEqual([p.actMin, p.actMax], [3, 51]);
});

test('convQuantParams: per-tensor weight scale broadcast; single rounding caps the shift', () => {
  // 0.5 * 2^27 / 2^-4 = 2^30 = 0.5 * 2^31: shift 31 (tflm) or saturated (2^31 - 1, 30) (tflite)
  const { g, op } = convGraph([2 ** 27], 2 ** -4, 0);
  const tflm = convQuantParams(g, op, 'tflm');
  assert.deepEqual([...tflm.requant.multiplier], [1073741824, 1073741824, 1073741824]);
  assert.deepEqual([...tflm.requant.shift], [31, 31, 31]);
  const tflite = convQuantParams(g, op, 'tflite');
  assert.deepEqual([...tflite.requant.multiplier], [2147483647, 2147483647, 2147483647]);
  assert.deepEqual([...tflite.requant.shift], [30, 30, 30]);
});

test('convQuantParams: a weight scale count that matches nothing is an error naming the op', () => {
  const b = new GraphBuilder();
  const x = b.act('x', [1, 1, 1, 2], 1, 0);
  const w = b.constant('w', [3, 2], new Int8Array(6), [1, 1], 0);
  const y = b.act('y', [1, 3], 1, 0);
  const op = b.op({ kind: 'fully_connected', name: 'fc7', inputs: [x, w, -1], outputs: [y], activation: 'none', keepNumDims: false } as const);
  assert.throws(() => convQuantParams(b.io([x], [y]), op, 'tflm'),
    (e: unknown) => e instanceof TinyforgeError && e.where.op === 'fc7' && /2 scales for 3 output channels/.test(e.message));
});

test('activationRange: round half away from zero and float32 division, as CalculateActivationRangeQuantized', () => {
  // relu_n1_to_1, scale 2, zp 0: q(-1) = round(-0.5) = -1 (half away; Math.round gives -0), q(1) = round(0.5) = 1
  assert.deepEqual(activationRange('relu_n1_to_1', 2, 0), [-1, 1]);
  // relu6 with scale float32(2.4) = 2.400000095367431640625: 6 / scale = 2.49999990066 in double, but the
  // float32 quotient rounds to 2.5 (the gap, 9.9e-8, is below half the float32 spacing 2^-23 = 1.19e-7),
  // and round(2.5) = 3
  assert.deepEqual(activationRange('relu6', Math.fround(2.4), 0), [0, 3]);
  // clamps to the dtype range: relu with zp -128 and scale 1/256: [max(-128, -128), 127]
  assert.deepEqual(activationRange('relu', 1 / 256, -128), [-128, 127]);
  assert.deepEqual(activationRange('none', 0.1, 5, 'int16'), [-32768, 32767]);
});

test('addQuantParams: left shift 20 and the three multipliers', () => {
  const b = new GraphBuilder();
  const a = b.act('a', [1, 2, 2, 4], 0.5, 1);
  const c = b.act('c', [1, 2, 2, 4], 0.25, -2);
  const y = b.act('y', [1, 2, 2, 4], 1.0, 5);
  const op = b.op({ kind: 'add', inputs: [a, c], outputs: [y], activation: 'relu' } as const);
  const p = addQuantParams(b.io([a, c], [y]), op);
  // twice max input scale = 1.0; input1: 0.5 / 1 = 0.5 -> (2^30, 0); input2: 0.25 -> (2^30, -1)
  // output: 1 / (2^20 * 1.0) = 2^-20 = 0.5 * 2^-19 -> (2^30, -19)
  assert.deepEqual(p.input1Q, { multiplier: 1073741824, shift: 0 });
  assert.deepEqual(p.input2Q, { multiplier: 1073741824, shift: -1 });
  assert.deepEqual(p.outputQ, { multiplier: 1073741824, shift: -19 });
  assert.equal(p.leftShift, 20);
  assert.deepEqual([p.input1Offset, p.input2Offset, p.outputOffset], [-1, 2, 5]);
  // relu: [5 + 0, 127]
  assert.deepEqual([p.actMin, p.actMax], [5, 127]);
});

function softmaxGraph(inScale: number, beta = 1) {
  const b = new GraphBuilder();
  const x = b.act('x', [1, 10], inScale, 0);
  const y = b.act('y', [1, 10], 1 / 256, -128);
  const op = b.op({ kind: 'softmax', inputs: [x], outputs: [y], beta } as const);
  return { g: b.io([x], [y]), op };
}

test('softmaxQuantParams: multiplier, left shift and diff_min', () => {
  // beta * scale * 2^(31 - 5) = 2^-4 * 2^26 = 2^22 = 0.5 * 2^23 -> (2^30, 23)
  // radius = floor((2^5 - 1) * 2^26 / 2^23) = floor(31 * 8) = 248 -> diff_min = -248
  const { g, op } = softmaxGraph(2 ** -4);
  assert.deepEqual(softmaxQuantParams(g, op), { inputMultiplier: 1073741824, inputLeftShift: 23, diffMin: -248, outputOffset: -128 });
  // 0.1 * 2^26 = 6710886.4 = 0.8 * 2^23 -> (1717986918, 23), diff_min -248
  const s2 = softmaxGraph(0.1);
  assert.deepEqual(softmaxQuantParams(s2.g, s2.op), { inputMultiplier: 1717986918, inputLeftShift: 23, diffMin: -248, outputOffset: -128 });
});

test('softmaxQuantParams: the real multiplier is capped (2^31 - 1, or 2^30 - 1 for single rounding)', () => {
  // 64 * 2^26 = 2^32 > 2^31 - 1 -> (2^31 - 1) = ((2^31 - 1) / 2^31) * 2^31 -> (2147483647, 31);
  // radius = floor(31 * 2^26 / 2^31) = floor(0.97) = 0
  const { g, op } = softmaxGraph(64);
  const p = softmaxQuantParams(g, op, 'tflm');
  assert.deepEqual([p.inputMultiplier, p.inputLeftShift, p.diffMin], [2147483647, 31, 0]);
  // cap 2^30 - 1 = ((2^30 - 1) / 2^30) * 2^30 -> mantissa * 2^31 = 2^31 - 2 = 2147483646, shift 30;
  // radius = floor(31 * 2^26 / 2^30) = floor(1.94) = 1
  const q = softmaxQuantParams(g, op, 'tflite');
  assert.deepEqual([q.inputMultiplier, q.inputLeftShift, q.diffMin], [2147483646, 30, -1]);
});

test('poolQuantParams: relu clamp of the output', () => {
  const b = new GraphBuilder();
  const x = b.act('x', [1, 4, 4, 1], 0.5, -3);
  const y = b.act('y', [1, 2, 2, 1], 0.5, -3);
  const op = b.op({ kind: 'max_pool2d', inputs: [x], outputs: [y], filter: [2, 2], stride: [2, 2], padding: 'valid', activation: 'relu' } as const);
  assert.deepEqual(poolQuantParams(b.io([x], [y]), op), { actMin: -3, actMax: 127 });
});

test('singleRounding: only ungrouped conv2d and fully_connected, only in tflite', () => {
  const b = new GraphBuilder();
  const x = b.act('x', [1, 2, 2, 4], 0.5, 0);
  const y = b.act('y', [1, 2, 2, 4], 0.5, 0);
  const full = b.constant('wf', [4, 1, 1, 4], new Int8Array(16), [0.5]);
  const grouped = b.constant('wg', [4, 1, 1, 2], new Int8Array(8), [0.5]);
  const dw = b.constant('wd', [1, 1, 1, 4], new Int8Array(4), [0.5]);
  const fcw = b.constant('wfc', [4, 16], new Int8Array(64), [0.5]);
  const z = b.act('z', [1, 4], 0.5, 0);
  const conv = b.op({ kind: 'conv2d', inputs: [x, full, -1], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'same', activation: 'none' } as const);
  const gconv = b.op({ kind: 'conv2d', inputs: [x, grouped, -1], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'same', activation: 'none' } as const);
  const dconv = b.op({ kind: 'depthwise_conv2d', inputs: [x, dw, -1], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'same', depthMultiplier: 1, activation: 'none' } as const);
  const fc = b.op({ kind: 'fully_connected', inputs: [x, fcw, -1], outputs: [z], activation: 'none', keepNumDims: false } as const);
  const g = b.io([x], [z]);
  assert.deepEqual([conv, gconv, dconv, fc].map((op) => singleRounding(g, op, 'tflite')), [true, false, false, true]);
  assert.deepEqual([conv, gconv, dconv, fc].map((op) => singleRounding(g, op, 'tflm')), [false, false, false, false]);
});
