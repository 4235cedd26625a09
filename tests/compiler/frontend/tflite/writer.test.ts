// The .tflite writer: models it writes load in TFLite's own interpreter and compute what a hand-written
// integer loop predicts (scales chosen so that the requantisation multiplier is an exact power of two, hence
// no rounding question); kinds TFLite cannot express are rejected with a clear error; writer -> importer
// round trips give the same graph, and a real model rewritten by the writer computes exactly what the
// original file computes in TFLite's interpreter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeTflite } from '../../../../compiler/frontend/tflite/writer.ts';
import { readFileSync } from 'node:fs';
import { importTflite } from '../../../../compiler/frontend/tflite/import.ts';
import { numElements, type Graph } from '../../../../compiler/ir/graph.ts';
import { TfliteInterpreter } from '../../../../runtime-wasm/oracle/tflite-interpreter.ts';
import { MODELS, modelPath, type ModelKey } from '../../../helpers/paths.ts';
import { BINARY_OP_KINDS, RANDOM_OP_KINDS, Rng, describeOp, randomNetGraph, randomOpGraph } from '../../../helpers/random-ops.ts';

const interp = TfliteInterpreter.load();

test('CONV_2D (OHWI weights, per-channel scales, same padding, stride 2) matches a hand-written loop', async () => {
  const r = new Rng(11);
  const [H, W, C, O, K] = [5, 4, 2, 3, 3];
  const x = r.int8(H * W * C, -8, 8);
  const w = r.int8(O * K * K * C, -3, 3);
  const bias = Int32Array.from([5, -7, 0]);
  // in 0.5, weights [0.25, 0.5, 1], out 0.125: multipliers 1, 2, 4 (exact).
  const wScale = [0.25, 0.5, 1];
  const g: Graph = {
    name: 'conv', inputs: [0], outputs: [3],
    tensors: [
      { id: 0, name: 'x', shape: [1, H, W, C], dtype: 'int8', quant: { scale: [0.5], zeroPoint: [1] } },
      { id: 1, name: 'w', shape: [O, K, K, C], dtype: 'int8', quant: { scale: wScale, zeroPoint: [0, 0, 0], axis: 0 }, data: w },
      { id: 2, name: 'b', shape: [O], dtype: 'int32', quant: { scale: wScale.map((s) => 0.5 * s), zeroPoint: [0, 0, 0], axis: 0 }, data: bias },
      { id: 3, name: 'y', shape: [1, 3, 2, O], dtype: 'int8', quant: { scale: [0.125], zeroPoint: [-5] } },
    ],
    ops: [{ kind: 'conv2d', inputs: [0, 1, 2], outputs: [3], stride: [2, 2], dilation: [1, 1], padding: 'same', activation: 'none' }],
  };
  // same padding, out = ceil(5/2) x ceil(4/2) = 3 x 2; pad top = ((3-1)*2+3-5)/2 = 1, left = ((2-1)*2+3-4)/2 = 0.
  const expected: number[] = [];
  for (let oy = 0; oy < 3; oy++) for (let ox = 0; ox < 2; ox++) for (let o = 0; o < O; o++) {
    let acc = bias[o];
    for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) for (let c = 0; c < C; c++) {
      const iy = oy * 2 + ky - 1, ix = ox * 2 + kx;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
      acc += (x[(iy * W + ix) * C + c] - 1) * w[((o * K + ky) * K + kx) * C + c];
    }
    expected.push(Math.max(-128, Math.min(127, -5 + acc * (0.5 * wScale[o] / 0.125))));
  }
  const [y] = (await interp).run(writeTflite(g), [x]);
  assert.deepEqual(Array.from(y), expected);
});

test('FULLY_CONNECTED, MAX_POOL_2D and RESHAPE in one graph match hand computation', async () => {
  const r = new Rng(12);
  const x = r.int8(1 * 4 * 4 * 2, -20, 20);
  const w = r.int8(3 * 8, -4, 4);
  const g: Graph = {
    name: 'pool_reshape_fc', inputs: [0], outputs: [5],
    tensors: [
      { id: 0, name: 'x', shape: [1, 4, 4, 2], dtype: 'int8', quant: { scale: [0.25], zeroPoint: [3] } },
      { id: 1, name: 'pooled', shape: [1, 2, 2, 2], dtype: 'int8', quant: { scale: [0.25], zeroPoint: [3] } },
      { id: 2, name: 'flat', shape: [1, 8], dtype: 'int8', quant: { scale: [0.25], zeroPoint: [3] } },
      { id: 3, name: 'w', shape: [3, 8], dtype: 'int8', quant: { scale: [0.5], zeroPoint: [0] }, data: w },
      { id: 4, name: 'b', shape: [3], dtype: 'int32', quant: { scale: [0.125], zeroPoint: [0] }, data: Int32Array.from([1, 2, 3]) },
      // real multiplier 0.25 * 0.5 / 0.0625 = 2
      { id: 5, name: 'y', shape: [1, 3], dtype: 'int8', quant: { scale: [0.0625], zeroPoint: [0] } },
    ],
    ops: [
      { kind: 'max_pool2d', inputs: [0], outputs: [1], filter: [2, 2], stride: [2, 2], padding: 'valid', activation: 'none' },
      { kind: 'reshape', inputs: [1], outputs: [2] },
      { kind: 'fully_connected', inputs: [2, 3, 4], outputs: [5], activation: 'relu', keepNumDims: false },
    ],
  };
  const pooled: number[] = [];
  for (let oy = 0; oy < 2; oy++) for (let ox = 0; ox < 2; ox++) for (let c = 0; c < 2; c++) {
    let m = -128;
    for (let ky = 0; ky < 2; ky++) for (let kx = 0; kx < 2; kx++) m = Math.max(m, x[((oy * 2 + ky) * 4 + ox * 2 + kx) * 2 + c]);
    pooled.push(m);
  }
  const expected = [0, 1, 2].map((o) => {
    let acc = [1, 2, 3][o];
    for (let i = 0; i < 8; i++) acc += (pooled[i] - 3) * w[o * 8 + i];
    return Math.max(0, Math.min(127, 2 * acc)); // relu: clamp at the zero point 0
  });
  const [y] = (await interp).run(writeTflite(g), [x]);
  assert.deepEqual(Array.from(y), expected);
});

test('op kinds without a TFLite builtin are rejected with the op named', () => {
  const g: Graph = {
    name: 'shift', inputs: [0], outputs: [2],
    tensors: [
      { id: 0, name: 'x', shape: [1, 2, 2, 1], dtype: 'int8', quant: { scale: [1], zeroPoint: [0] } },
      { id: 1, name: 'w', shape: [1, 1, 1, 1], dtype: 'int8', quant: { scale: [1], zeroPoint: [0] }, data: Int8Array.from([1]) },
      { id: 2, name: 'y', shape: [1, 2, 2, 1], dtype: 'int8', quant: { scale: [1], zeroPoint: [0] } },
    ],
    ops: [{ kind: 'shift_conv2d', name: 'layer7', inputs: [0, 1, -1], outputs: [2], shifts: [[0, 1]], stride: [1, 1], activation: 'none' }],
  };
  assert.throws(() => writeTflite(g), (e: Error) => /shift_conv2d has no TFLite builtin/.test(e.message) && /layer7/.test((e as { format?: () => string }).format?.() ?? ''));
});

// ---- Round trips through the importer -------------------------------------------------------------------

function withoutNames(g: Graph) {
  return { ...g, name: '', ops: g.ops.map(({ name: _n, ...op }) => op) };
}

test('writer -> importer gives the same graph for 200 random single-op graphs', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const c = randomOpGraph(seed, RANDOM_OP_KINDS[seed % RANDOM_OP_KINDS.length], { groups: 'mixed' });
    const back = importTflite(writeTflite(c.graph), `${c.graph.name}.tflite`);
    assert.deepEqual(withoutNames(back), withoutNames(c.graph), describeOp(c));
  }
});

test('writer -> importer gives the same graph for 120 random element-wise binary ops (options, ranks 1-6, constants)', () => {
  for (let seed = 1; seed <= 120; seed++) {
    const c = randomOpGraph(seed, BINARY_OP_KINDS[seed % BINARY_OP_KINDS.length], { maxRank: 6 });
    const back = importTflite(writeTflite(c.graph), `${c.graph.name}.tflite`);
    assert.deepEqual(withoutNames(back), withoutNames(c.graph), describeOp(c));
  }
});

test('writer -> importer gives the same graph (and a valid one) for 50 random networks', () => {
  for (let seed = 500; seed < 550; seed++) {
    const g = randomNetGraph(seed);
    assert.deepEqual(withoutNames(importTflite(writeTflite(g), `${g.name}.tflite`)), withoutNames(g), g.name);
  }
});

test('the five real models: import -> write -> import is stable and the written model computes the same', async (t) => {
  const it = await interp;
  for (const key of Object.keys(MODELS) as ModelKey[]) {
    const p = modelPath(key);
    if (!p) { t.diagnostic(`${key} missing`); continue; }
    const original = new Uint8Array(readFileSync(p));
    const g = importTflite(original, p);
    const written = writeTflite(g);
    assert.deepEqual(withoutNames(importTflite(written, p)), withoutNames(g), key);
    // TFLite's interpreter gives byte-identical outputs for the original file and the rewritten one.
    const x = g.inputs.map((id, i) => new Rng(40 + i).int8(numElements(g.tensors[id].shape)));
    assert.deepEqual(it.run(written, x), it.run(original, x), `${key}: outputs differ`);
  }
});
