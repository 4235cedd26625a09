// The .tflite importer on the five MLPerf Tiny models (MAC totals, op histograms, weight and activation
// sizes: expected values from research.md, computed independently of this code) and on bad files built
// or damaged in the test (truncated, wrong identifier, unsupported op, second subgraph, float tensor).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Builder } from 'flatbuffers';
import { importTflite } from '../../../../compiler/frontend/tflite/import.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot, TensorType } from '../../../../compiler/frontend/tflite/schema.ts';
import { TinyforgeError } from '../../../../compiler/diagnostics.ts';
import { graphStats } from '../../../../compiler/ir/stats.ts';
import { modelPath, type ModelKey } from '../../../helpers/paths.ts';
import { buildTflite, type TModel } from '../../../helpers/tflite-builder.ts';

// research.md, "Real models": MACs (exact totals from the issue), op histogram, weights (KB), largest op in + out (KB).
const EXPECTED: Record<ModelKey, { macs: number; hist: Record<string, number>; weightsKB: number; actKB: number }> = {
  kws: { macs: 2_656_768, hist: { conv2d: 5, depthwise_conv2d: 4, average_pool2d: 1, reshape: 1, fully_connected: 1, softmax: 1 }, weightsKB: 24, actKB: 16.0 },
  vww: { macs: 7_489_664, hist: { conv2d: 14, depthwise_conv2d: 13, average_pool2d: 1, reshape: 1, fully_connected: 1, softmax: 1 }, weightsKB: 219, actKB: 55.3 },
  resnet: { macs: 12_501_632, hist: { conv2d: 9, add: 3, average_pool2d: 1, reshape: 1, fully_connected: 1, softmax: 1 }, weightsKB: 79, actKB: 49.2 },
  ad01: { macs: 264_192, hist: { fully_connected: 10 }, weightsKB: 271, actKB: 0.8 },
  str_ww: { macs: 826_368, hist: { conv2d: 4, depthwise_conv2d: 4, reshape: 1, fully_connected: 1, softmax: 1 }, weightsKB: 49, actKB: 6.7 },
};

for (const [key, exp] of Object.entries(EXPECTED) as [ModelKey, (typeof EXPECTED)[ModelKey]][]) {
  const path = modelPath(key);
  test(`${key}: MACs, op histogram, weight and activation bytes match research.md`, { skip: !path && 'model not present' }, () => {
    const g = importTflite(new Uint8Array(readFileSync(path!)), path!);
    const s = graphStats(g);
    assert.equal(s.totals.macs, exp.macs);
    assert.deepEqual({ ...s.totals.histogram }, exp.hist);
    assert.equal(Math.round(s.totals.weightBytes / 1000), exp.weightsKB);
    assert.equal(Math.round(s.totals.activationBytes / 100) / 10, exp.actKB);
    // Every scale is a float32 value, as in the file.
    for (const t of g.tensors) for (const sc of t.quant?.scale ?? []) assert.equal(Math.fround(sc), sc);
  });
}

test('kws: attributes of the first ops as stored in the file', { skip: !modelPath('kws') && 'model not present' }, () => {
  const g = importTflite(new Uint8Array(readFileSync(modelPath('kws')!)), 'kws');
  const op0 = g.ops[0]!;
  assert.equal(op0.kind, 'conv2d');
  if (op0.kind !== 'conv2d') return;
  assert.deepEqual(op0.stride, [2, 2]); // DS-CNN: 10x4 kernel, stride 2 (49x10 -> 25x5)
  assert.deepEqual(g.tensors[op0.inputs[1]!]!.shape, [64, 10, 4, 1]);
  assert.equal(g.tensors[op0.inputs[1]!]!.quant?.axis, 0);
  const dw = g.ops[1]!;
  assert.equal(dw.kind === 'depthwise_conv2d' && dw.depthMultiplier, 1);
  assert.equal(g.tensors[dw.inputs[1]!]!.quant?.axis, 3);
  // RESHAPE's shape input is dropped, so no int32 shape tensor reaches the graph.
  const reshape = g.ops.find((o) => o.kind === 'reshape')!;
  assert.equal(reshape.inputs.length, 1);
});

const q = (scale: number) => ({ scale: [scale], zeroPoint: [-3] });
const i32bytes = (v: number[]) => new Uint8Array(Int32Array.from(v).buffer);

/** A one-op FULLY_CONNECTED model: x [1,4] -> y [1,2], per-channel weights, bias, RELU6, keep_num_dims. */
function fcModel(): TModel {
  return {
    tensors: [
      { name: 'x', shape: [1, 4], ...q(0.5) },
      { name: 'w', shape: [2, 4], scale: [0.25, 0.1], zeroPoint: [0, 0], axis: 0, data: new Uint8Array([1, 2, 3, 4, 255, 254, 253, 252]) },
      { name: 'b', shape: [2], type: TensorType.INT32, scale: [0.125, 0.05], data: i32bytes([100, -7]) },
      { name: 'y', shape: [1, 2], ...q(0.75) },
    ],
    ops: [{
      code: BuiltinOperator.FULLY_CONNECTED, inputs: [0, 1, 2], outputs: [3], optionsType: BuiltinOptionsType.FullyConnectedOptions,
      options: (b: Builder) => { b.startObject(4); b.addFieldInt8(Slot.FullyConnectedOptions.activation, 3, 0); b.addFieldInt8(Slot.FullyConnectedOptions.keepNumDims, 1, 0); return b.endObject(); },
    }],
    inputs: [0], outputs: [3],
  };
}

test('hand-built FULLY_CONNECTED: options, data and quantisation read back exactly', () => {
  const g = importTflite(buildTflite(fcModel()), 'fc.tflite');
  assert.equal(g.ops.length, 1);
  assert.deepEqual({ ...g.ops[0]!, name: undefined }, { kind: 'fully_connected', name: undefined, activation: 'relu6', keepNumDims: true, inputs: [0, 1, 2], outputs: [3] });
  const [x, w, b] = g.tensors;
  assert.deepEqual(x!.quant, { scale: [0.5], zeroPoint: [-3] });
  assert.deepEqual(w!.quant, { scale: [Math.fround(0.25), Math.fround(0.1)], zeroPoint: [0, 0], axis: 0 });
  assert.notEqual(w!.quant!.scale[1], 0.1); // the float32 value, not the decimal
  assert.deepEqual(Array.from(w!.data as Int8Array), [1, 2, 3, 4, -1, -2, -3, -4]);
  assert.ok(b!.data instanceof Int32Array);
  assert.deepEqual(Array.from(b!.data), [100, -7]);
});

function expectError(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof TinyforgeError, `expected a TinyforgeError, got ${e}`);
    assert.match(e.format(), re);
    assert.ok(!e.format().includes('\n'), 'one line');
    return true;
  });
}

test('unsupported operator is named with its op index and the supported list', () => {
  const m: TModel = {
    tensors: [{ name: 'x', shape: [1, 4], ...q(0.5) }, { name: 'y', shape: [1, 4], ...q(1 / 128) }],
    ops: [{ code: BuiltinOperator.L2_NORMALIZATION, inputs: [0], outputs: [1] }], inputs: [0], outputs: [1],
  };
  expectError(() => importTflite(buildTflite(m), 'l2.tflite'), /^l2\.tflite: op 0: unsupported operator L2_NORMALIZATION \(builtin 11\) \(supported: .*CONV_2D.*SOFTMAX.*TANH/);
  m.ops[0]!.code = BuiltinOperator.CUSTOM;
  m.ops[0]!.customCode = 'MyOp';
  expectError(() => importTflite(buildTflite(m), 'custom.tflite'), /op 0: unsupported operator CUSTOM 'MyOp' \(builtin 32\)/);
  delete m.ops[0]!.customCode;
  // A code above 127 lives only in builtin_code (deprecated_builtin_code = 127).
  m.ops[0]!.code = 150;
  expectError(() => importTflite(buildTflite(m), 'new.tflite'), /op 0: unsupported operator BUILTIN_150 \(builtin 150\)/);
});

test('a second subgraph is rejected', () => {
  expectError(() => importTflite(buildTflite({ ...fcModel(), subgraphs: 2 }), 'two.tflite'), /two\.tflite: the model has 2 subgraphs; only single-subgraph/);
});

test('a float32 tensor outside the edges is rejected, naming the tensor and the op that reads it', () => {
  const m = fcModel();
  m.tensors[0]!.type = TensorType.FLOAT32;
  expectError(() => importTflite(buildTflite(m), 'f.tflite'), /tensor 0 'x' is FLOAT32 and read by op 0 \(fully_connected\), not QUANTIZE \(float32 is supported only at the edges/);
  m.tensors[0]!.type = TensorType.UINT8;
  expectError(() => importTflite(buildTflite(m), 'u.tflite'), /tensor 0 'x' has type UINT8; supported: INT8, INT16, INT32, INT64 \(FLOAT32 at the edges\)/);
});

test('wrong file identifier and tiny files', () => {
  expectError(() => importTflite(buildTflite({ ...fcModel(), identifier: 'ABCD' }), 'id.tflite'), /file identifier is "ABCD", expected "TFL3"/);
  expectError(() => importTflite(new Uint8Array(0), 'empty.tflite'), /only 0 bytes/);
  expectError(() => importTflite(new Uint8Array(7), 'seven.tflite'), /only 7 bytes/);
});

test('every truncation of a model fails with a TinyforgeError, never a crash or garbage', () => {
  const full = buildTflite(fcModel());
  importTflite(full, 'ok.tflite');
  for (let n = 8; n < full.length; n++) {
    assert.throws(() => importTflite(full.subarray(0, n), 'cut.tflite'), TinyforgeError, `truncated to ${n} bytes`);
  }
});

test('truncations of a real model fail cleanly', { skip: !modelPath('kws') && 'model not present' }, () => {
  const full = new Uint8Array(readFileSync(modelPath('kws')!));
  for (let n = 8; n < full.length; n += 487) {
    expectError(() => importTflite(full.subarray(0, n), 'kws.tflite'), /^kws\.tflite: not a valid \.tflite file: .* outside the \d+-byte file/);
  }
});

test('random byte changes in a real model give a graph or a TinyforgeError, never another exception', { skip: !modelPath('kws') && 'model not present' }, () => {
  const full = new Uint8Array(readFileSync(modelPath('kws')!));
  let a = 12345;
  const rnd = () => ((a = (Math.imul(a, 1103515245) + 12345) >>> 0) / 4294967296); // any fixed sequence will do
  for (let i = 0; i < 200; i++) {
    const b = full.slice();
    for (let k = 0; k < 3; k++) {
      // Mostly the flatbuffer's tables and vtables (its last bytes, after the weight data), sometimes anywhere.
      const pos = rnd() < 0.7 ? b.length - 1 - Math.floor(rnd() * 6000) : Math.floor(rnd() * b.length);
      b[pos] = Math.floor(rnd() * 256);
    }
    try {
      const g = importTflite(b, 'mutated.tflite');
      graphStats(g);
    } catch (e) {
      assert.ok(e instanceof TinyforgeError, `mutation ${i}: ${e}`);
    }
  }
});
