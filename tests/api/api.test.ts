// The public API from its source (compiler/api): compareOutputs on hand-built tensors (expected values
// written out here), run vs runBatch on worker threads (same bits, progress reported once per input, input
// order kept), both arithmetics, per-layer tensors, errors, and compile/verify of a real model on the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  assertOutputsEqual, compareOutputs, compile, loadModel, loadModelFromBytes, OutputMismatchError, randomInputs, run, runBatch, TinyforgeError, verify,
} from '../../compiler/api/index.ts';
import { missingTools } from '../../mcu-backend/harness/run.ts';
import { modelPath, scratchDir } from '../helpers/paths.ts';

test('compareOutputs: equal tensors; the first differing output element with NHWC coordinates and both values', () => {
  const a = { outputs: [Int8Array.of(1, 2, 3, 4, 5, 6)], outputNames: ['probs'], outputShapes: [[1, 2, 3]] };
  assert.deepEqual(compareOutputs(a, [Int8Array.of(1, 2, 3, 4, 5, 6)]), { equal: true, message: 'equal (1 output(s), 6 values)' });
  const c = compareOutputs(a, [Int8Array.of(1, 2, 3, 4, 9, 7)]);
  assert.equal(c.equal, false);
  assert.deepEqual(c.first, { where: 'output', output: { index: 0, name: 'probs' }, element: 4, coords: [0, 1, 1], expected: 5, actual: 9, differing: 2, total: 6 });
  assert.equal(c.message, "output 0 'probs' differs at element 4 [0, 1, 1]: expected 5, got 9 (2 of 6 values differ)");
  // Plain arrays and a single tensor; a missing output.
  assert.equal(compareOutputs([1, 2], [1, 2]).equal, true);
  assert.equal(compareOutputs([[1], [2]], [[1]]).message, 'expected 2 output(s), got 1');
  // float32 outputs: NaN equals NaN.
  assert.equal(compareOutputs([Float32Array.of(NaN, 1.5)], [Float32Array.of(NaN, 1.5)]).equal, true);
});

test('compareOutputs: per-layer tensors name the first differing layer (by tensor name, else index), before the outputs', () => {
  const layers = (v: number) => [
    { index: 0, name: 'conv', kind: 'conv2d', tensor: 't0', shape: [1, 2], values: Int8Array.of(1, 2) },
    { index: 1, name: 'fc', kind: 'fully_connected', tensor: 't1', shape: [1, 2], values: Int8Array.of(3, v) },
  ];
  const want = { outputs: [Int8Array.of(3, 4)], layers: layers(4) };
  const c = compareOutputs(want, { outputs: [Int8Array.of(3, 5)], layers: layers(5) });
  assert.equal(c.first?.where, 'layer');
  assert.equal(c.message, "first differing layer 1 'fc' (fully_connected), tensor 't1': element 1 [0, 1]: expected 4, got 5 (1 of 2 values differ)");
  // Layers without tensor names are matched by index (e.g. a firmware's debug dump).
  const byIndex = compareOutputs(want, { outputs: [Int8Array.of(3, 4)], layers: [{ index: 0, values: [1, 2] }, { index: 1, values: [3, 0] }] });
  assert.equal(byIndex.first?.layer?.index, 1);
  assert.equal(byIndex.first?.layer?.name, 'fc');
  assert.throws(() => assertOutputsEqual(want, { outputs: [Int8Array.of(3, 5)], layers: layers(5) }, 'input 7'),
    (e: unknown) => e instanceof OutputMismatchError && e instanceof Error && e.message === `input 7: outputs differ from the expected ones: ${c.message}` && e.comparison.first?.layer?.index === 1);
  assert.doesNotThrow(() => assertOutputsEqual(want, { outputs: [Int8Array.of(3, 4)], layers: layers(4) }));
});

test('run and runBatch (2 worker threads) give the same bits in input order, with progress; layers; arithmetics; errors', async (t) => {
  const path = modelPath('ad01');
  if (!path) { t.skip('ad01 model missing'); return; }
  const model = loadModel(path);
  assert.equal(model.arith, 'tflm');
  assert.deepEqual(model.inputs.map((i) => [i.dtype, i.shape]), [['int8', [1, 640]]]);
  const xs = randomInputs(model, 5, 9);
  const one = await Promise.all(xs.map((x) => run(model, x)));
  const progress: number[] = [];
  const batch = await runBatch(model, xs, { workers: 2, onProgress: (done, total) => { assert.equal(total, 5); progress.push(done); } });
  assert.deepEqual(progress, [1, 2, 3, 4, 5]);
  batch.forEach((b, i) => assertOutputsEqual(one[i]!, b, `input ${i}`));
  assert.ok(compareOutputs(one[0]!, one[1]!).equal === false, 'different inputs give different outputs');
  // From bytes, raw input bytes, per-layer tensors in a worker, the other arithmetic.
  const fromBytes = loadModelFromBytes(new Uint8Array(readFileSync(path)), 'ad01.tflite');
  const raw = new Uint8Array(xs[0]![0]!.buffer.slice(0));
  const withLayers = await runBatch(fromBytes, [raw], { workers: 1, layers: true, arith: 'tflite' });
  const here = await run(model, xs[0]!, { layers: true, arith: 'tflite' });
  assert.equal(here.layers?.length, model.layers.length);
  assert.deepEqual(here.layers!.map((l) => l.kind), model.layers.map((l) => l.kind));
  assertOutputsEqual(here, withLayers[0]!);
  assert.equal(compareOutputs(here, withLayers[0]!).message, `equal (1 output(s), 640 values, ${model.layers.length} layer tensors)`);
  await assert.rejects(run(model, new Int8Array(3)), (e: unknown) => e instanceof TinyforgeError && /needs 640 int8 values, got 3/.test(e.message));
  await assert.rejects(runBatch(model, [xs[0]!, new Int8Array(3)], { workers: 1 }), (e: unknown) => e instanceof TinyforgeError && /^input 1: .*needs 640 int8 values, got 3/.test(e.message));
  await assert.rejects(run(model, xs[0]!, { arith: 'float' as never }), /arith must be one of tflm, tflite, got 'float'/);
});

test('compile (mcu) writes the C and verifies it on the host; verify() runs given inputs', { timeout: 300_000 }, async (t) => {
  const path = modelPath('ad01');
  if (!path) { t.skip('ad01 model missing'); return; }
  if (missingTools('host') || missingTools('arm-gcc')) {
    if (process.env.CI === 'true') throw new Error(`compile test needs ${missingTools('host') ?? missingTools('arm-gcc')}`);
    t.skip('toolchain missing'); return;
  }
  const model = loadModel(path);
  const out = scratchDir('tinyforge-api-');
  try {
    const r = await compile(model, { target: 'mcu', outDir: out, cpu: 'm33', verifyInputs: 1 });
    assert.equal(r.dir, join(out, 'mcu'));
    for (const f of ['ad01_int8.h', 'ad01_int8.c', 'runtime.h']) assert.ok(existsSync(join(r.dir, f)), f);
    assert.equal(r.totals.cpu, 'm33');
    assert.equal(r.layers.length > 0, true);
    assert.deepEqual(r.verify.map((v) => [v.on, v.ok]), [['host', true], ['m33', true]], 'the host and the M33 board (QEMU mps2-an505)');
    assert.equal(r.ok, true);
    const v = await verify(model, { on: 'host', inputs: randomInputs(model, 2, 4), workDir: join(out, 'v') });
    assert.equal(v.ok, true);
    assert.equal(v.inputs, 2);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
