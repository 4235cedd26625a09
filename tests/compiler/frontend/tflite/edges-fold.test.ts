// The importer around the int8 body, on hand-built flatbuffers: float32 edges (accepted only as a graph
// input read by QUANTIZE and a DEQUANTIZE graph output; every other float32 tensor is a one-line error),
// a 1-D bias whose quantized_dimension is not 0 (TFLite Micro's person_detect.tflite), and compile-time
// folding of constant int32 chains (SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE, CONCATENATION, GATHER). The
// folded shapes are checked against values worked out by hand and the folded graph runs on the golden
// runtime like the file does in TFLite's interpreter.
import { join } from 'node:path';
import { test } from 'node:test';
import { modelsDir } from '../../../helpers/paths.ts';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { Builder } from 'flatbuffers';
import { foldConstantOps } from '../../../../compiler/frontend/tflite/fold-constants.ts';
import { importTflite } from '../../../../compiler/frontend/tflite/import.ts';
import { writeTflite } from '../../../../compiler/frontend/tflite/writer.ts';
import { BuiltinOperator as B, BuiltinOptionsType, TensorType } from '../../../../compiler/frontend/tflite/schema.ts';
import { TinyforgeError } from '../../../../compiler/diagnostics.ts';
import { GoldenRuntime } from '../../../../runtime-wasm/host.ts';
import { TfliteInterpreter } from '../../../../runtime-wasm/oracle/tflite-interpreter.ts';
import { buildTflite, type TModel, type TTensor } from '../../../helpers/tflite-builder.ts';

const q = (scale: number, zp = 0) => ({ scale: [scale], zeroPoint: [zp] });
const i32 = (v: number[]) => new Uint8Array(Int32Array.from(v).buffer);
const f32 = (name: string, shape: number[]): TTensor => ({ name, shape, type: TensorType.FLOAT32 });
const int32 = (name: string, shape: number[], data?: number[]): TTensor => ({ name, shape, type: TensorType.INT32, ...(data ? { data: i32(data) } : {}) });

function expectError(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof TinyforgeError, `expected a TinyforgeError, got ${e}`);
    assert.match(e.format(), re);
    assert.ok(!e.format().includes('\n'), 'one line');
    return true;
  });
}

/** float32 [1,4] -> QUANTIZE -> int8 -> DEQUANTIZE -> float32 [1,4]. */
function edgeModel(): TModel {
  return {
    tensors: [f32('x', [1, 4]), { name: 'xq', shape: [1, 4], ...q(0.5, -3) }, f32('y', [1, 4])],
    ops: [{ code: B.QUANTIZE, inputs: [0], outputs: [1] }, { code: B.DEQUANTIZE, inputs: [1], outputs: [2] }],
    inputs: [0], outputs: [2],
  };
}

test('float32 edges: a graph input read by QUANTIZE and a DEQUANTIZE graph output import as float32 tensors', () => {
  const g = importTflite(buildTflite(edgeModel()), 'edge.tflite');
  assert.deepEqual(g.ops.map((o) => o.kind), ['quantize', 'dequantize']);
  assert.deepEqual(g.tensors.map((t) => t.dtype), ['float32', 'int8', 'float32']);
  assert.equal(g.tensors[0]!.quant, undefined);
});

test('float32 anywhere else is a one-line error naming the tensor and why', () => {
  const notOutput = edgeModel();
  notOutput.tensors.push({ name: 'z', shape: [1, 4], ...q(0.5, -3) });
  notOutput.ops.push({ code: B.QUANTIZE, inputs: [2], outputs: [3] });
  notOutput.outputs = [3];
  expectError(() => importTflite(buildTflite(notOutput), 'a.tflite'), /^a\.tflite: tensor 2 'y' is FLOAT32 \(written by DEQUANTIZE op 1\) but not a graph output \(float32 is supported only at the edges/);
  const fromOther = edgeModel();
  fromOther.tensors.push(f32('w', [1, 4]));
  fromOther.ops.push({ code: B.RESHAPE, inputs: [2], outputs: [3] });
  fromOther.outputs = [3];
  expectError(() => importTflite(buildTflite(fromOther), 'b.tflite'), /tensor 2 'y' is FLOAT32 \(written by DEQUANTIZE op 1\) but not a graph output/);
  const floatConst: TModel = {
    tensors: [{ name: 'x', shape: [1, 4], ...q(0.5) }, { name: 'c', shape: [1, 4], type: TensorType.FLOAT32, data: new Uint8Array(16) }, { name: 'y', shape: [1, 4], ...q(0.5) }],
    ops: [{ code: B.ADD, inputs: [0, 1], outputs: [2] }], inputs: [0], outputs: [2],
  };
  expectError(() => importTflite(buildTflite(floatConst), 'c.tflite'), /tensor 1 'c' is FLOAT32 \(a float constant\)/);
  const toInt16: TModel = { tensors: [f32('x', [1, 4]), { name: 'xq', shape: [1, 4], type: TensorType.INT16, ...q(0.5) }], ops: [{ code: B.QUANTIZE, inputs: [0], outputs: [1] }], inputs: [0], outputs: [1] };
  expectError(() => importTflite(buildTflite(toInt16), 'd.tflite'), /op 0 \(quantize 'quantize_0'\): float32 -> int16 is not supported \(a float32 input quantises to int8\)/);
});

test('a 1-D bias quantised along dimension 3 (person_detect) reads as dimension 0', () => {
  const m: TModel = {
    tensors: [
      { name: 'x', shape: [1, 4], ...q(0.5) },
      { name: 'w', shape: [2, 4], scale: [0.25, 0.125], zeroPoint: [0, 0], axis: 0, data: new Uint8Array(8) },
      { name: 'b', shape: [2], type: TensorType.INT32, scale: [0.125, 0.0625], zeroPoint: [0, 0], axis: 3, data: i32([1, 2]) },
      { name: 'y', shape: [1, 2], ...q(0.5) },
    ],
    ops: [{ code: B.FULLY_CONNECTED, inputs: [0, 1, 2], outputs: [3] }], inputs: [0], outputs: [3],
  };
  const g = importTflite(buildTflite(m), 'bias.tflite');
  assert.equal(g.tensors[2]!.quant!.axis, 0);
  // A 2-D tensor keeps its dimension (and a wrong one is still an error).
  m.tensors[1]!.axis = 1;
  assert.throws(() => importTflite(buildTflite(m), 'w.tflite'), /tensor 1 'w' has 2 scales along axis 1 of shape \[2,4\]/);
});

test('TFLite Micro\'s person_detect.tflite imports (its biases carry quantized_dimension 3)', { skip: !existsSync(join(modelsDir, 'zoo', 'tflm-person_detect.tflite')) && 'model missing' }, async () => {
  const path = join(modelsDir, 'zoo', 'tflm-person_detect.tflite');
  const bytes = new Uint8Array(readFileSync(path));
  const g = importTflite(bytes, path);
  assert.equal(g.ops.length, 31);
  // Desktop TFLite refuses the file itself ("quantized_dimension must be in range [0, 1). Was 3."); written
  // back by the project's writer (bias dimension 0), it runs in TFLite's interpreter as in the golden runtime.
  const [it, rt] = await Promise.all([TfliteInterpreter.load(), GoldenRuntime.load()]);
  assert.throws(() => it.run(bytes, [new Int8Array(96 * 96)]), /quantized_dimension must be in range/);
  const x = Int8Array.from({ length: 96 * 96 }, (_, i) => ((i * 37) % 256) - 128);
  assert.deepEqual(Array.from(rt.run(g, [x], { arith: 'tflite' }).outputs[0]!), Array.from(it.run(writeTflite(g), [x])[0]!));
});

// ---- constant folding ----

const stridedSlice = (shrink: number) => ({
  optionsType: 32, // StridedSliceOptions
  options: (b: Builder) => { b.startObject(6); b.addFieldInt32(4, shrink, 0); return b.endObject(); },
});
const axisOptions = (tag: number, slot: number, axis: number) => ({
  optionsType: tag,
  options: (b: Builder) => { b.startObject(2); b.addFieldInt32(slot, axis, 0); return b.endObject(); },
});

/**
 * x int8 [2,3,4] -> RESHAPE to [2, 12] whose shape is [SHAPE(x)[0], -1] computed in the file:
 * SHAPE(x) = [2,3,4]; STRIDED_SLICE [0:1] with shrink -> 2 (scalar); PACK(2, -1) -> [2,-1].
 */
function keras(): TModel {
  return {
    tensors: [
      { name: 'x', shape: [2, 3, 4], ...q(0.5, 1) }, // 0
      int32('shape', [3]), // 1
      int32('begin', [1], [0]), int32('end', [1], [1]), int32('strides', [1], [1]), // 2 3 4
      int32('batch', []), // 5
      int32('minus1', [], [-1]), // 6
      int32('newshape', [2]), // 7
      { name: 'y', shape: [2, 12], ...q(0.5, 1) }, // 8
    ],
    ops: [
      { code: B.SHAPE, inputs: [0], outputs: [1], ...axisOptions(55, 0, TensorType.INT32) }, // ShapeOptions.out_type
      { code: B.STRIDED_SLICE, inputs: [1, 2, 3, 4], outputs: [5], ...stridedSlice(1) },
      { code: B.PACK, inputs: [5, 6], outputs: [7], optionsType: 59, options: (b: Builder) => { b.startObject(2); b.addFieldInt32(0, 2, 0); return b.endObject(); } }, // values_count 2, axis 0
      { code: B.RESHAPE, inputs: [0, 7], outputs: [8], optionsType: BuiltinOptionsType.ReshapeOptions, options: (b: Builder) => { b.startObject(1); return b.endObject(); } },
    ],
    inputs: [0], outputs: [8],
  };
}

test('SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE folds away: the graph keeps only the reshape', async () => {
  const file = buildTflite(keras());
  const g = importTflite(file, 'keras.tflite');
  assert.deepEqual(g.ops.map((o) => o.kind), ['reshape']);
  assert.deepEqual(g.tensors.map((t) => t.name), ['x', 'y']);
  // The file runs the same way in TFLite's interpreter (which evaluates the chain at run time).
  const [it, rt] = await Promise.all([TfliteInterpreter.load(), GoldenRuntime.load()]);
  const x = Int8Array.from({ length: 24 }, (_, i) => i * 5 - 60);
  assert.deepEqual(Array.from(rt.run(g, [x]).outputs[0]!), Array.from(it.run(file, [x])[0]!));
});

test('folded values feed op parameters: CONCATENATION and GATHER of shape pieces', () => {
  // shape = CONCATENATION(GATHER(SHAPE(x), [0]), [-1]) = [2, -1]; the chain is folded, the reshape remains.
  const m = keras();
  m.tensors[5] = int32('batch', [1]);
  m.tensors[2] = int32('idx', [1], [0]);
  m.tensors[6] = int32('minus1', [1], [-1]);
  m.ops = [
    m.ops[0]!,
    { code: B.GATHER, inputs: [1, 2], outputs: [5], ...axisOptions(23, 0, 0) },
    { code: B.CONCATENATION, inputs: [5, 6], outputs: [7], ...axisOptions(10, 0, 0) },
    m.ops[3]!,
  ];
  const g = importTflite(buildTflite(m), 'concat.tflite');
  assert.deepEqual(g.ops.map((o) => o.kind), ['reshape']);
});

test('a STRIDED_SLICE of activations is not folded (it is an operator, reported by name)', () => {
  const m: TModel = {
    tensors: [{ name: 'x', shape: [1, 4], ...q(0.5) }, int32('b', [2], [0, 0]), int32('e', [2], [1, 2]), int32('s', [2], [1, 1]), { name: 'y', shape: [1, 2], ...q(0.5) }],
    ops: [{ code: B.STRIDED_SLICE, inputs: [0, 1, 2, 3], outputs: [4], ...stridedSlice(0) }], inputs: [0], outputs: [4],
  };
  let g;
  try { g = importTflite(buildTflite(m), 'ss.tflite'); } catch (e) {
    assert.ok(e instanceof TinyforgeError);
    assert.match(e.format(), /op 0: unsupported operator STRIDED_SLICE/);
    return;
  }
  // (with an int8 STRIDED_SLICE operator registered, it imports as that op)
  assert.deepEqual(g.ops.map((o) => o.kind), ['strided_slice']);
});

test('the constant evaluator on hand-worked cases (masks, negative strides, shrink, gather, pack, concatenation)', () => {
  const opts = (fields: Record<number, number>) => ({ i8: (s: number, d = 0) => fields[s] ?? d, i32: (s: number, d = 0) => fields[s] ?? d, f32: (_s: number, d = 0) => d, bool: (s: number, d = false) => (fields[s] ?? (d ? 1 : 0)) !== 0, i32s: () => [] });
  // tensors: 0 = x [2,3,4] (activation), the rest constants
  const T: Record<number, { shape: number[]; type: number; values?: number[] }> = {
    0: { shape: [2, 3, 4], type: TensorType.INT8 },
    1: { shape: [3], type: TensorType.INT32 },
    10: { shape: [1], type: TensorType.INT32, values: [1] }, 11: { shape: [1], type: TensorType.INT32, values: [0] }, 12: { shape: [1], type: TensorType.INT32, values: [1] },
    2: { shape: [2], type: TensorType.INT32 },
    13: { shape: [1], type: TensorType.INT32, values: [-1] }, 14: { shape: [1], type: TensorType.INT32, values: [-4] }, 15: { shape: [1], type: TensorType.INT32, values: [-1] },
    3: { shape: [3], type: TensorType.INT32 },
    16: { shape: [1], type: TensorType.INT32, values: [2] },
    4: { shape: [], type: TensorType.INT32 },
    17: { shape: [2], type: TensorType.INT32, values: [2, 0] },
    5: { shape: [2], type: TensorType.INT32 },
    18: { shape: [], type: TensorType.INT32, values: [-1] },
    6: { shape: [2], type: TensorType.INT32 },
    19: { shape: [2, 2], type: TensorType.INT32, values: [1, 2, 3, 4] }, 20: { shape: [2, 1], type: TensorType.INT32, values: [9, 8] },
    7: { shape: [2, 3], type: TensorType.INT32 },
  };
  const { folded, values } = foldConstantOps([
    { index: 0, code: B.SHAPE, inputs: [0], outputs: [1], opts: opts({}) },
    // shape[1:] with end_mask: [3, 4]
    { index: 1, code: B.STRIDED_SLICE, inputs: [1, 10, 11, 12], outputs: [2], opts: opts({ 1: 1 }) },
    // shape[-1:-4:-1] = [4, 3, 2]
    { index: 2, code: B.STRIDED_SLICE, inputs: [1, 13, 14, 15], outputs: [3], opts: opts({}) },
    // shape[2] (shrink) = 4
    { index: 3, code: B.STRIDED_SLICE, inputs: [1, 16, 16, 12], outputs: [4], opts: opts({ 4: 1 }) },
    // gather(shape, [2, 0]) = [4, 2]
    { index: 4, code: B.GATHER, inputs: [1, 17], outputs: [5], opts: opts({}) },
    // pack(4, -1) = [4, -1]
    { index: 5, code: B.PACK, inputs: [4, 18], outputs: [6], opts: opts({ 0: 2 }) },
    // concatenation([[1,2],[3,4]], [[9],[8]], axis 1) = [[1,2,9],[3,4,8]]
    { index: 6, code: B.CONCATENATION, inputs: [19, 20], outputs: [7], opts: opts({ 0: 1 }) },
  ], (t) => T[t]!);
  assert.deepEqual([...folded].sort(), [0, 1, 2, 3, 4, 5, 6]);
  const v = (t: number) => values.get(t)?.values;
  assert.deepEqual(v(1), [2, 3, 4]);
  assert.deepEqual(v(2), [3, 4]);
  assert.deepEqual(v(3), [4, 3, 2]);
  assert.deepEqual(v(4), [4]);
  assert.deepEqual(values.get(4)!.shape, []);
  assert.deepEqual(v(5), [4, 2]);
  assert.deepEqual(v(6), [4, -1]);
  assert.deepEqual(v(7), [1, 2, 9, 3, 4, 8]);
});

test('element-wise int32 ADD / SUB / MUL fold with broadcasting and int32 wrap-around', () => {
  const opts = { i8: (_s: number, d = 0) => d, i32: (_s: number, d = 0) => d, f32: (_s: number, d = 0) => d, bool: (_s: number, d = false) => d, i32s: () => [] };
  const T: Record<number, { shape: number[]; type: number; values?: number[] }> = {
    0: { shape: [2, 2], type: TensorType.INT32, values: [1, 2, 3, 4] },
    1: { shape: [2], type: TensorType.INT32, values: [10, 20] },
    2: { shape: [], type: TensorType.INT32, values: [65536] },
    3: { shape: [2, 2], type: TensorType.INT32 }, 4: { shape: [2, 2], type: TensorType.INT32 }, 5: { shape: [2, 2], type: TensorType.INT32 },
  };
  const { values } = foldConstantOps([
    { index: 0, code: B.ADD, inputs: [0, 1], outputs: [3], opts },
    { index: 1, code: B.SUB, inputs: [3, 1], outputs: [4], opts },
    { index: 2, code: B.MUL, inputs: [4, 2], outputs: [5], opts },
  ], (t) => T[t]!);
  assert.deepEqual(values.get(3)!.values, [11, 22, 13, 24]); // rows + [10, 20]
  assert.deepEqual(values.get(4)!.values, [1, 2, 3, 4]);
  assert.deepEqual(values.get(5)!.values, [65536, 131072, 196608, 262144]);
  T[2]!.values = [2 ** 30];
  const wrap = foldConstantOps([{ index: 0, code: B.MUL, inputs: [0, 2], outputs: [3], opts }], (t) => T[t]!).values.get(3)!.values;
  assert.deepEqual(wrap, [2 ** 30, -(2 ** 31), -(2 ** 30), 0]); // 1, 2, 3, 4 times 2^30 in int32
});
