// Hand-computed answers for MEAN, SUM, RESIZE_BILINEAR and TRANSPOSE_CONV on the golden runtime, in the
// arithmetics where TFLite Micro (integer requantisation, double rounding) and desktop TFLite (float32 or
// plain integer mean) give different bits. The arithmetic of each expected value is in its comment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Graph, Op, Quant, Tensor } from '../../compiler/ir/graph.ts';
import type { OpAttrs } from '../../compiler/ops/op-def.ts';
import type { Arith } from '../../compiler/quant/multiplier.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';

const golden = GoldenRuntime.load({ simd: false });
const q = (scale: number, zeroPoint: number): Quant => ({ scale: [scale], zeroPoint: [zeroPoint] });

function single(op: OpAttrs, x: [number[], Quant], y: [number[], Quant], consts: Tensor[] = []): Graph {
  const tensors: Tensor[] = [
    { id: 0, name: 'x', shape: x[0], dtype: 'int8', quant: x[1] },
    { id: 1, name: 'y', shape: y[0], dtype: 'int8', quant: y[1] },
    ...consts.map((t, i) => ({ ...t, id: 2 + i })),
  ];
  return { name: 't', tensors, ops: [{ ...op, inputs: [0, ...consts.map((_, i) => 2 + i)], outputs: [1] } as Op], inputs: [0], outputs: [1] };
}

async function run(g: Graph, x: number[], arith: Arith): Promise<number[]> {
  return Array.from((await golden).run(g, [Int8Array.from(x)], { arith }).outputs[0]!);
}

test('MEAN over H, W: 10, 20, 30, 41 at scale 0.5 -> scale 0.25, zero point 3', async () => {
  // Real mean 101 * 0.5 / 4 = 12.625 = 50.5 output steps. TFLite Micro: multiplier of 0.5 / 0.25 = 2 is
  // (2^30, shift 2); 1/4 folds in as shift 2: (2^30, 0); SRDHM(101, 2^30) = (101 + 1) * 2^30 / 2^31 = 51.
  // Desktop spatial path: bias 3 - trunc(0 - 0.5) = 3, multiplier of 0.5 / (4 * 0.25) = 0.5 -> the same 51.
  const g = single({ kind: 'mean', axes: [1, 2], keepDims: true }, [[1, 2, 2, 1], q(0.5, 0)], [[1, 1, 1, 1], q(0.25, 3)]);
  assert.deepEqual(await run(g, [10, 20, 30, 41], 'tflm'), [54]);
  assert.deepEqual(await run(g, [10, 20, 30, 41], 'tflite'), [54]);
});

test('MEAN with the input quantisation kept: 1, 2, 2 -> TFLite Micro rounds 5/3 to 2, desktop truncates to 1', async () => {
  // TFLite Micro: multiplier of 1.0 is (2^30, 1); count 3 -> shift 1 folded: (2^31 / 3 truncated = 715827882, 0);
  // SRDHM(5, 715827882) = round(1.667) = 2. Desktop TFLite: reference_ops::Mean, 5 / 3 = 1 (C division).
  const g = single({ kind: 'mean', axes: [1], keepDims: false }, [[1, 3], q(0.1, 0)], [[1], q(0.1, 0)]);
  assert.deepEqual(await run(g, [1, 2, 2], 'tflm'), [2]);
  assert.deepEqual(await run(g, [1, 2, 2], 'tflite'), [1]);
});

test('SUM of 10, 20, 30, 41 at scale 0.5 -> scale 2, zero point -1: double rounding 26, float 25', async () => {
  // Real 50.5 / 2 = 25.25 output steps. TFLite Micro: multiplier of 0.25 = (2^30, -1): SRDHM(101, 2^30) =
  // 51 (50.5 rounded up), RoundingDivideByPOT(51, 1) = 26 (25.5 away from zero) -> 25. Desktop float:
  // round(101 * 0.25 + 0) = 25 -> 24.
  const g = single({ kind: 'sum', axes: [-1], keepDims: true }, [[1, 4], q(0.5, 0)], [[1, 1], q(2, -1)]);
  assert.deepEqual(await run(g, [10, 20, 30, 41], 'tflm'), [25]);
  assert.deepEqual(await run(g, [10, 20, 30, 41], 'tflite'), [24]);
});

test('RESIZE_BILINEAR 1x2 -> 1x3 with align_corners: 0, 100 -> 0, 50, 100', async () => {
  // Width scale (1024 * 1 + 1) / 2 = 512: x = 1 samples 512/1024 between the two pixels: 100 * 1024 * 512
  // / 2^20 = 50; x = 2 lands on pixel 1.
  const g = single({ kind: 'resize_bilinear', alignCorners: true, halfPixelCenters: false }, [[1, 1, 2, 1], q(0.1, 0)], [[1, 1, 3, 1], q(0.1, 0)]);
  for (const arith of ['tflm', 'tflite'] as const) assert.deepEqual(await run(g, [0, 100], arith), [0, 50, 100]);
});

test('RESIZE_BILINEAR 1x2 -> 1x4 with half_pixel_centers: taps at -0.25, 0.25, 0.75, 1.25', async () => {
  // Scale 512; x = 0: 0 * 512 + 256 - 512 = -256 -> x0 = x1 = 0 (weights 1280 and -256 on pixel 0) -> 0;
  // x = 1: 256 -> 1/4 of the way: 100 * 256 / 1024 = 25; x = 2: 768 -> 75; x = 3: 1280 -> x0 = 1, x1 = 1 -> 100.
  const g = single({ kind: 'resize_bilinear', alignCorners: false, halfPixelCenters: true }, [[1, 1, 2, 1], q(0.1, 0)], [[1, 1, 4, 1], q(0.1, 0)]);
  assert.deepEqual(await run(g, [0, 100], 'tflm'), [0, 25, 75, 100]);
});

test('TRANSPOSE_CONV 1x1 -> 2x2, stride 2, valid: the input times the 2x2 kernel, plus bias, requantised', async () => {
  // All scales 1 (multiplier (2^30, 1) is exact), zero points 0: 2 * [1, 2, 3, 4] + 1 = [3, 5, 7, 9].
  const w: Tensor = { id: 0, name: 'w', shape: [1, 2, 2, 1], dtype: 'int8', quant: q(1, 0), data: Int8Array.from([1, 2, 3, 4]) };
  const b: Tensor = { id: 0, name: 'b', shape: [1], dtype: 'int32', quant: q(1, 0), data: Int32Array.from([1]) };
  const g = single({ kind: 'transpose_conv', stride: [2, 2], padding: 'valid', activation: 'none' }, [[1, 1, 1, 1], q(1, 0)], [[1, 2, 2, 1], q(1, 0)], [w, b]);
  for (const arith of ['tflm', 'tflite'] as const) assert.deepEqual(await run(g, [2], arith), [3, 5, 7, 9]);
  // relu_n1_to_1 at scale 1: TFLite Micro clamps to [-1, 1]; desktop TFLite ignores the activation.
  const gr = single({ kind: 'transpose_conv', stride: [2, 2], padding: 'valid', activation: 'relu_n1_to_1' }, [[1, 1, 1, 1], q(1, 0)], [[1, 2, 2, 1], q(1, 0)], [w, b]);
  assert.deepEqual(await run(gr, [2], 'tflm'), [1, 1, 1, 1]);
  assert.deepEqual(await run(gr, [2], 'tflite'), [3, 5, 7, 9]);
});
