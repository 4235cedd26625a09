// Per-op quantisation parameters on hand-built one-op graphs; expected values derived by hand from
// TFLite's formulas (see compiler/quant/params.ts) in the comments.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activationRange } from '../../../compiler/ir/graph.ts';
import {
  addQuantParams, convQuantParams, minMaxQuantParams, mulQuantParams, poolQuantParams, singleRounding, softmaxQuantParams, squaredDifferenceQuantParams,
  subQuantParams,
} from '../../../compiler/quant/params.ts';
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

// ---- element-wise binary ops. Expected integers computed independently (Python: IEEE float32 via
// struct.pack('f'), math.frexp, mantissa * 2^31 rounded; no ties) from TFLite's Prepare formulas. ----

function binaryGraph<K extends 'sub' | 'mul' | 'squared_difference' | 'maximum' | 'minimum'>(kind: K, s: [number, number, number], z: [number, number, number], activation?: string) {
  const b = new GraphBuilder();
  const x1 = b.act('a', [1, 2, 2, 3], Math.fround(s[0]), z[0]);
  const x2 = b.act('b', [3], Math.fround(s[1]), z[1]);
  const y = b.act('y', [1, 2, 2, 3], Math.fround(s[2]), z[2]);
  const op = b.op({ kind, inputs: [x1, x2], outputs: [y], ...(activation ? { activation } : {}) } as never) as never;
  return { g: b.io([x1, x2], [y]), op };
}

test('subQuantParams: desktop TFLite in double with the second multiplier negated; TFLite Micro in float32', () => {
  // scales 0.3f, 0.1f -> 0.05f. twice = 0.6f. input1: 0.3/0.6 = 0.5 -> (2^30, 0) in both.
  // input2, double: 0.1f / 0.6f = 0.16666666252745538 -> (1431655730, -2), negated for TFLite's ADD kernel.
  //         float:  f32(0.1f / 0.6f) = 0.1666666567325592 -> (1431655680, -2).
  // output, double: 0.6f / (2^20 * 0.05f) -> (1610612776, -16); float -> (1610612736, -16).
  const { g, op } = binaryGraph('sub', [0.3, 0.1, 0.05], [-1, 2, 4], 'relu');
  const l = subQuantParams(g, op, 'tflite');
  assert.deepEqual([l.input1Q, l.input2Q, l.outputQ], [{ multiplier: 1073741824, shift: 0 }, { multiplier: -1431655730, shift: -2 }, { multiplier: 1610612776, shift: -16 }]);
  const m = subQuantParams(g, op, 'tflm');
  assert.deepEqual([m.input1Q, m.input2Q, m.outputQ], [{ multiplier: 1073741824, shift: 0 }, { multiplier: 1431655680, shift: -2 }, { multiplier: 1610612736, shift: -16 }]);
  // offsets -z, left shift 20; relu: [zOut, 127]
  assert.deepEqual([m.input1Offset, m.input2Offset, m.outputOffset, m.leftShift, m.actMin, m.actMax], [1, -2, 4, 20, 4, 127]);
});

test('mulQuantParams: one multiplier s1 * s2 / sOut of any magnitude, in double (tflm) or float32 (tflite)', () => {
  // 0.5 * 0.25 / 0.0625 = 2 = 0.5 * 2^2 -> (2^30, 2), exact in both; relu6 at scale 1/16, zp 5: [5, 5 + 96 = 101]
  const a = binaryGraph('mul', [0.5, 0.25, 0.0625], [-1, 3, 5], 'relu6');
  for (const arith of ['tflm', 'tflite'] as const) {
    const p = mulQuantParams(a.g, a.op, arith);
    assert.deepEqual(p.outputQ, { multiplier: 1073741824, shift: 2 });
    assert.deepEqual([p.input1Offset, p.input2Offset, p.outputOffset, p.actMin, p.actMax], [1, -3, 5, 5, 101]);
  }
  // 0.1f * 0.2f / 0.003f: double 6.666666807399856 -> (1789569744, 3); float32 6.6666669845581055 -> (1789569792, 3)
  const b = binaryGraph('mul', [0.1, 0.2, 0.003], [0, 0, 0], 'none');
  assert.deepEqual(mulQuantParams(b.g, b.op, 'tflm').outputQ, { multiplier: 1789569744, shift: 3 });
  assert.deepEqual(mulQuantParams(b.g, b.op, 'tflite').outputQ, { multiplier: 1789569792, shift: 3 });
});

test('squaredDifferenceQuantParams: left shift 7; output (2 max s)^2 / (2^14 sOut), desktop TFLite requires it below one', () => {
  // 0.02f, 0.03f -> 0.001f: twice = 0.06f; input1 0.02/0.06 -> (1431655765, -1); input2 0.5 -> (2^30, 0);
  // output 0.06^2 / (16384 * 0.001) = 0.00021972654... -> (1932735105, -12). Clamp: the int8 range.
  const { g, op } = binaryGraph('squared_difference', [0.02, 0.03, 0.001], [7, -9, -128]);
  for (const arith of ['tflm', 'tflite'] as const) {
    const p = squaredDifferenceQuantParams(g, op, arith);
    assert.deepEqual([p.input1Q, p.input2Q, p.outputQ], [{ multiplier: 1431655765, shift: -1 }, { multiplier: 1073741824, shift: 0 }, { multiplier: 1932735105, shift: -12 }]);
    assert.deepEqual([p.input1Offset, p.input2Offset, p.outputOffset, p.leftShift, p.actMin, p.actMax], [-7, 9, -128, 7, -128, 127]);
  }
  // Output scale 1e-7: real multiplier 2.197... -> (1179647933, 2) in TFLite Micro; desktop TFLite fails.
  const big = binaryGraph('squared_difference', [0.02, 0.03, 1e-7], [0, 0, 0]);
  assert.deepEqual(squaredDifferenceQuantParams(big.g, big.op, 'tflm').outputQ, { multiplier: 1179647933, shift: 2 });
  assert.throws(() => squaredDifferenceQuantParams(big.g, big.op, 'tflite'), (e: unknown) => e instanceof TinyforgeError && /output multiplier 2\.19\d* is outside \(0, 1\)/.test(e.message));
});

test('minMaxQuantParams: no parameters, the int8 range', () => {
  const { g, op } = binaryGraph('maximum', [0.1, 0.1, 0.1], [3, 3, 3]);
  const p = minMaxQuantParams(g, op);
  assert.deepEqual([p.input1Offset, p.input2Offset, p.outputOffset, p.actMin, p.actMax, p.outputQ.multiplier], [0, 0, 0, -128, 127, 0]);
});
