// Tiny graphs whose answers are computed by hand in the comments: conv2d (same padding, zero point,
// groups, dilation, tflm/tflite ties), depthwise (multiplier 1 and 2), FC (per-tensor, per-channel),
// pooling (rounding of averages, clipped windows), ADD (broadcast, clamp), softmax, shift and add conv.
// Scales are chosen so the real multiplier is 1 (QuantizeMultiplier(1) = (2^30, 1): exact) unless a
// rounding case is the point. Every case runs on both the scalar and the SIMD module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import type { Arith } from '../../compiler/quant/multiplier.ts';
import { GraphBuilder } from './graphs.ts';

const runtimes = [await GoldenRuntime.load({ simd: false }), await GoldenRuntime.load({ simd: true })];
const i8 = (...v: number[]) => Int8Array.from(v);
const i32 = (...v: number[]) => Int32Array.from(v);

function check(name: string, build: () => { b: GraphBuilder; out: number; inputs: Int8Array[] }, expected: number[], arith: Arith = 'tflm') {
  for (const rt of runtimes) {
    test(`${rt.simd ? 'simd' : 'scalar'}: ${name}${arith === 'tflite' ? ' (tflite)' : ''}`, () => {
      const { b, out, inputs } = build();
      const got = rt.run(b.graph([out]), inputs, { arith }).outputs[0];
      assert.deepEqual(Array.from(got), expected);
    });
  }
}

// 3x3 image 1..9, 2x2 all-ones kernel, bias 10, valid: window sums 12, 16, 24, 28 (+10).
check('conv2d valid 2x2', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 3, 3, 1], 1, 0);
  const w = b.tensor([1, 2, 2, 1], 1, 0, i8(1, 1, 1, 1), 0);
  const bias = b.tensor([1], 1, 0, i32(10));
  const y = b.tensor([1, 2, 2, 1], 1, 0);
  const out = b.op({ kind: 'conv2d', inputs: [x, w, bias], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'valid', activation: 'none' });
  return { b, out, inputs: [i8(1, 2, 3, 4, 5, 6, 7, 8, 9)] };
}, [22, 26, 34, 38]);

// Same padding (pad bottom/right only for a 2x2 kernel on 3x3), input zero point 1 (values x - 1 = 0..8),
// output zero point -5: sums 0+1+3+4=8, 1+2+4+5=12, 2+5=7 | 3+4+6+7=20, 24, 5+8=13 | 6+7=13, 15, 8.
check('conv2d same padding with zero points', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 3, 3, 1], 1, 1);
  const w = b.tensor([1, 2, 2, 1], 1, 0, i8(1, 1, 1, 1), 0);
  const y = b.tensor([1, 3, 3, 1], 1, -5);
  const out = b.op({ kind: 'conv2d', inputs: [x, w, -1], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'same', activation: 'none' });
  return { b, out, inputs: [i8(1, 2, 3, 4, 5, 6, 7, 8, 9)] };
}, [3, 7, 2, 15, 19, 8, 8, 10, 3]);

// Output scale 4 -> real multiplier 0.25 = (2^30, -1). Accumulators 5, -6, 6, 7 (1x1 conv, weight 1):
// tflm: 5 -> 2.5 -> 3 -> 1.5 -> 2; -6 -> -3 -> -1.5 -> -2; 6 -> 3 -> 2; 7 -> 3.5 -> 4 -> 2.
// tflite: round-half-up of 1.25, -1.5, 1.5, 1.75 -> 1, -1, 2, 2.
for (const [arith, expected] of [['tflm', [2, -2, 2, 2]], ['tflite', [1, -1, 2, 2]]] as const) {
  check('conv2d requantisation ties', () => {
    const b = new GraphBuilder();
    const x = b.input([1, 1, 4, 1], 1, 0);
    const w = b.tensor([1, 1, 1, 1], 1, 0, i8(1), 0);
    const y = b.tensor([1, 1, 4, 1], 4, 0);
    const out = b.op({ kind: 'conv2d', inputs: [x, w, -1], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'valid', activation: 'none' });
    return { b, out, inputs: [i8(5, -6, 6, 7)] };
  }, [...expected], arith);
}

// Two groups (4 input channels, 2 per group), 2 output channels, 1x1: oc0 = x0 + 2*x1, oc1 = x2 - x3.
// Pixel (1,2,3,4) -> 5, -1; pixel (-1,-2,10,-20) -> -5, 30. Relu clamps -1 and -5 to 0.
check('conv2d groups + relu', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 1, 2, 4], 1, 0);
  const w = b.tensor([2, 1, 1, 2], 1, 0, i8(1, 2, 1, -1), 0);
  const y = b.tensor([1, 1, 2, 2], 1, 0);
  const out = b.op({ kind: 'conv2d', inputs: [x, w, -1], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'valid', activation: 'relu' });
  return { b, out, inputs: [i8(1, 2, 3, 4, -1, -2, 10, -20)] };
}, [5, 0, 0, 30]);

// Dilation 2 on a 1x5 row, kernel 1x2 (taps x and x+2), weights (1, 10), valid: out width 3:
// 1 + 30 = 31, 2 + 40 = 42, 3 + 50 = 53. Stride 2 would give 31, 53.
check('conv2d dilation', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 1, 5, 1], 1, 0);
  const w = b.tensor([1, 1, 2, 1], 1, 0, i8(1, 10), 0);
  const y = b.tensor([1, 1, 3, 1], 1, 0);
  const out = b.op({ kind: 'conv2d', inputs: [x, w, -1], outputs: [y], stride: [1, 1], dilation: [1, 2], padding: 'valid', activation: 'none' });
  return { b, out, inputs: [i8(1, 2, 3, 4, 5)] };
}, [31, 42, 53]);

// Depthwise 2x2 valid on a 2x2x2 image (one output pixel): channel 0 values 1,2,3,4 * weights 1,1,1,1 = 10;
// channel 1 values 10,20,30,40 * weights 1,0,0,-1 = -30; biases 1, 2 -> 11, -28.
check('depthwise multiplier 1', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 2, 2, 2], 1, 0);
  const w = b.tensor([1, 2, 2, 2], 1, 0, i8(1, 1, 1, 0, 1, 0, 1, -1), 3);
  const bias = b.tensor([2], 1, 0, i32(1, 2));
  const y = b.tensor([1, 1, 1, 2], 1, 0);
  const out = b.op({ kind: 'depthwise_conv2d', inputs: [x, w, bias], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'valid', depthMultiplier: 1, activation: 'none' });
  return { b, out, inputs: [i8(1, 10, 2, 20, 3, 30, 4, 40)] };
}, [11, -28]);

// Depth multiplier 2, 1x1 kernel, one pixel (3, -4): outputs 3*2, 3*-1, -4*5, -4*1 = 6, -3, -20, -4.
check('depthwise multiplier 2', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 1, 1, 2], 1, 0);
  const w = b.tensor([1, 1, 1, 4], 1, 0, i8(2, -1, 5, 1), 3);
  const y = b.tensor([1, 1, 1, 4], 1, 0);
  const out = b.op({ kind: 'depthwise_conv2d', inputs: [x, w, -1], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'valid', depthMultiplier: 2, activation: 'none' });
  return { b, out, inputs: [i8(3, -4)] };
}, [6, -3, -20, -4]);

// 16 channels, 3x3 same padding on a 1x1 image: only the centre tap is in bounds, so out = x * w_centre.
check('depthwise 16 channels, padding taps skipped', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 1, 1, 16], 1, 0);
  const wd = new Int8Array(9 * 16).fill(100);
  for (let c = 0; c < 16; c++) wd[4 * 16 + c] = c - 8;
  const w = b.tensor([1, 3, 3, 16], 1, 0, wd, 3);
  const y = b.tensor([1, 1, 1, 16], 1, 0);
  const out = b.op({ kind: 'depthwise_conv2d', inputs: [x, w, -1], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'same', depthMultiplier: 1, activation: 'none' });
  return { b, out, inputs: [new Int8Array(16).fill(3)] };
}, Array.from({ length: 16 }, (_, c) => 3 * (c - 8)));

// FC per tensor: x = (1, 2), w = [[1, 1], [2, -1]], bias (0, 5) -> 3, 5.
check('fully connected per tensor', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 2], 1, 0);
  const w = b.tensor([2, 2], 1, 0, i8(1, 1, 2, -1));
  const bias = b.tensor([2], 1, 0, i32(0, 5));
  const y = b.tensor([1, 2], 1, 0);
  const out = b.op({ kind: 'fully_connected', inputs: [x, w, bias], outputs: [y], activation: 'none', keepNumDims: false });
  return { b, out, inputs: [i8(1, 2)] };
}, [3, 5]);

// FC per channel, weight scales (1, 0.5): channel 1's 5 * 0.5 = 2.5 -> 3 (both arithmetics round the tie up);
// input zero point -1 makes x + 1 = (2, 3): channel 0 = 2 + 3 = 5, channel 1 = (4 - 3 + 5) * 0.5 = 3.
check('fully connected per channel', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 2], 1, -1);
  const w = b.tensor([2, 2], [1, 0.5], 0, i8(1, 1, 2, -1), 0);
  const bias = b.tensor([2], [1, 0.5], 0, i32(0, 5));
  const y = b.tensor([1, 2], 1, 0);
  const out = b.op({ kind: 'fully_connected', inputs: [x, w, bias], outputs: [y], activation: 'none', keepNumDims: false });
  return { b, out, inputs: [i8(1, 2)] };
}, [5, 3]);

// Average pool 2x2 stride 2 on 2x4, one channel: windows (1,2,5,6) = 14/4 = 3.5 -> 4;
// (-1,-2,-5,-6) = -3.5 -> -4 (half away from zero); count 4.
check('average pool rounding', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 2, 4, 1], 0.1, 0);
  const y = b.tensor([1, 1, 2, 1], 0.1, 0);
  const out = b.op({ kind: 'average_pool2d', inputs: [x], outputs: [y], filter: [2, 2], stride: [2, 2], padding: 'valid', activation: 'none' });
  return { b, out, inputs: [i8(1, 2, -1, -2, 5, 6, -5, -6)] };
}, [4, -4]);

// Same padding 3x3 stride 1 on a 1x3 row: windows clip to the row: (10,11) -> 10.5 -> 11, (10,11,13) -> 34/3 = 11.33 -> 11,
// (11,13) -> 12; the divisor is the in-bounds count (2, 3, 2), not 9.
check('average pool counts only in-bounds taps', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 1, 3, 1], 0.1, 0);
  const y = b.tensor([1, 1, 3, 1], 0.1, 0);
  const out = b.op({ kind: 'average_pool2d', inputs: [x], outputs: [y], filter: [3, 3], stride: [1, 1], padding: 'same', activation: 'none' });
  return { b, out, inputs: [i8(10, 11, 13)] };
}, [11, 11, 12]);

// Max pool 2x2 stride 2 with relu (scale 1, zero point 0 -> clamp at 0): max(-3,-1,-7,-2) = -1 -> 0; max(4,0,-1,9) = 9.
check('max pool + relu', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 2, 4, 1], 1, 0);
  const y = b.tensor([1, 1, 2, 1], 1, 0);
  const out = b.op({ kind: 'max_pool2d', inputs: [x], outputs: [y], filter: [2, 2], stride: [2, 2], padding: 'valid', activation: 'relu' });
  return { b, out, inputs: [i8(-3, -1, 4, 0, -7, -2, -1, 9)] };
}, [0, 9]);

// ADD with all scales 1 and zero points 0 is exact: a + b, clamped to int8. b = [1] broadcasts over a [1,2,2,1].
check('add broadcast + clamp', () => {
  const b = new GraphBuilder();
  const xa = b.input([1, 2, 2, 1], 1, 0);
  const xb = b.input([1], 1, 0);
  const y = b.tensor([1, 2, 2, 1], 1, 0);
  const out = b.op({ kind: 'add', inputs: [xa, xb], outputs: [y], activation: 'none' });
  return { b, out, inputs: [i8(1, -50, 100, -128), i8(30)] };
}, [31, -20, 127, -98]);

// Broadcast along a middle axis: a [1,2,1,2] + b [1,1,3,1] -> [1,2,3,2]; a = (1,2 | 10,20), b = (100, 0, -100).
check('add broadcast on both operands', () => {
  const b = new GraphBuilder();
  const xa = b.input([1, 2, 1, 2], 1, 0);
  const xb = b.input([1, 1, 3, 1], 1, 0);
  const y = b.tensor([1, 2, 3, 2], 1, 0);
  const out = b.op({ kind: 'add', inputs: [xa, xb], outputs: [y], activation: 'none' });
  return { b, out, inputs: [i8(1, 2, 10, 20), i8(100, 0, -100)] };
}, [101, 102, 1, 2, -99, -98, 110, 120, 10, 20, -90, -80]);

// Softmax of 4 equal values: each 1/4 -> 256/4 - 128 = -64. A dominant logit (diff below diff_min for the
// other) gives 1 -> 256 - 128 = 128, clamped to 127, and -128.
check('softmax uniform', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 4], 0.1, 0);
  const y = b.tensor([1, 4], 1 / 256, -128);
  const out = b.op({ kind: 'softmax', inputs: [x], outputs: [y], beta: 1 });
  return { b, out, inputs: [i8(7, 7, 7, 7)] };
}, [-64, -64, -64, -64]);
check('softmax saturated', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 2], 1, 0);
  const y = b.tensor([1, 2], 1 / 256, -128);
  const out = b.op({ kind: 'softmax', inputs: [x], outputs: [y], beta: 1 });
  return { b, out, inputs: [i8(100, -100)] };
}, [127, -128]);

// Shift conv: 1x3 row (1, 2, 3), one channel shifted by dx = +1 (reads x + 1; past the edge reads real 0),
// 1x1 weight 2 -> (4, 6, 0).
check('shift conv', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 1, 3, 1], 1, 0);
  const w = b.tensor([1, 1, 1, 1], 1, 0, i8(2), 0);
  const y = b.tensor([1, 1, 3, 1], 1, 0);
  const out = b.op({ kind: 'shift_conv2d', inputs: [x, w, -1], outputs: [y], shifts: [[0, 1]], stride: [1, 1], activation: 'none' });
  return { b, out, inputs: [i8(1, 2, 3)] };
}, [4, 6, 0]);

// Add conv (L1): acc = bias - |x - w| with x = (3, -2), w = 1, bias 10 -> 8, 7. With same padding a 1x3
// kernel (1, 1, 1) on (3, -2): padding reads real 0, so pixel 0 = 10 - (|0-1| + |3-1| + |-2-1|) = 4,
// pixel 1 = 10 - (|3-1| + |-2-1| + |0-1|) = 4.
check('add conv', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 1, 2, 1], 1, 0);
  const w = b.tensor([1, 1, 1, 1], 1, 0, i8(1), 0);
  const bias = b.tensor([1], 1, 0, i32(10));
  const y = b.tensor([1, 1, 2, 1], 1, 0);
  const out = b.op({ kind: 'add_conv2d', inputs: [x, w, bias], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'valid', activation: 'none' });
  return { b, out, inputs: [i8(3, -2)] };
}, [8, 7]);
check('add conv same padding', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 1, 2, 1], 1, 0);
  const w = b.tensor([1, 1, 3, 1], 1, 0, i8(1, 1, 1), 0);
  const bias = b.tensor([1], 1, 0, i32(10));
  const y = b.tensor([1, 1, 2, 1], 1, 0);
  const out = b.op({ kind: 'add_conv2d', inputs: [x, w, bias], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'same', activation: 'none' });
  return { b, out, inputs: [i8(3, -2)] };
}, [4, 4]);

// Reshape copies bytes unchanged.
check('reshape', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 2, 2, 1], 1, 0);
  const y = b.tensor([1, 4], 1, 0);
  const out = b.op({ kind: 'reshape', inputs: [x], outputs: [y] });
  return { b, out, inputs: [i8(-1, 2, -3, 4)] };
}, [-1, 2, -3, 4]);

// Grouped conv2d in the tflite arithmetic double-rounds (desktop TFLite runs grouped convs in its reference
// kernel): 2 groups of one channel, weights 1, output scale 4: 5 * 0.25 -> 2 (not the single-rounded 1).
check('grouped conv2d double-rounds in tflite mode', () => {
  const b = new GraphBuilder();
  const x = b.input([1, 1, 1, 2], 1, 0);
  const w = b.tensor([2, 1, 1, 1], 1, 0, i8(1, 1), 0);
  const y = b.tensor([1, 1, 1, 2], 4, 0);
  const out = b.op({ kind: 'conv2d', inputs: [x, w, -1], outputs: [y], stride: [1, 1], dilation: [1, 1], padding: 'valid', activation: 'none' });
  return { b, out, inputs: [i8(5, -6)] };
}, [2, -2], 'tflite');
