// The TFLite interpreter oracle on its own: XNNPACK is really patched out (no delegate log line, and results
// differ from the XNNPACK build on some layer), runs are deterministic across runs and instances, and
// withAllOutputs exposes every operator output without changing the final result; none of it is bundled
// into the CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TfliteInterpreter, allOpOutputs, withAllOutputs } from '../../../runtime-wasm/oracle/tflite-interpreter.ts';
import { MODELS, modelPath, repoRoot, type ModelKey } from '../../helpers/paths.ts';
import { Rng } from '../../helpers/random-ops.ts';

const interp = TfliteInterpreter.load();
const keys = Object.keys(MODELS) as ModelKey[];

function model(key: ModelKey): Uint8Array | undefined {
  const p = modelPath(key);
  return p ? new Uint8Array(readFileSync(p)) : undefined;
}

function inputShapes(it: TfliteInterpreter, m: Uint8Array): number[][] {
  const h = it.prepare(m);
  try { return h.inputs.map((t) => t.shape); } finally { h.dispose(); }
}

function inputsFor(shapes: number[][], seed: number): Int8Array[] {
  const r = new Rng(seed);
  return shapes.map((s) => r.int8(s.reduce((a, b) => a * b, 1)));
}

test('XNNPACK is patched out: the delegate factory is found and never logs', async () => {
  const it = await interp;
  assert.ok(it.patch, 'patch info');
  assert.ok(it.patch.functionIndex > 0 && it.patch.bodySize > 8);
  for (const key of keys) {
    const m = model(key);
    if (!m) continue;
    it.run(m, inputsFor(inputShapes(it, m), 1));
  }
  assert.equal(it.xnnpackCreated, false, `log: ${it.log.join(' | ')}`);
});

test('the unpatched build does create XNNPACK and gives different int8 results on some layer', async (t) => {
  const m = model('kws');
  if (!m) return t.skip('kws model missing');
  const all = withAllOutputs(m);
  const ref = await interp;
  const xnn = await TfliteInterpreter.load({ xnnpack: true });
  const shapes = inputShapes(ref, all);
  let differing = 0;
  for (let s = 0; s < 3; s++) {
    const x = inputsFor(shapes, 100 + s);
    const a = ref.run(all, x);
    const b = xnn.run(all, x);
    a.forEach((o, i) => { if (!o.every((v, k) => v === b[i][k])) differing++; });
  }
  assert.equal(xnn.xnnpackCreated, true);
  assert.ok(differing > 0, 'XNNPACK and the reference kernels agreed everywhere: the patch would be unobservable');
});

test('runs are deterministic across runs and interpreter instances', async () => {
  const a = await interp;
  const b = await TfliteInterpreter.load();
  for (const key of keys) {
    const m = model(key);
    if (!m) continue;
    const all = withAllOutputs(m);
    const shapes = inputShapes(a, all);
    const x = inputsFor(shapes, 7);
    const r1 = a.run(all, x);
    const r2 = a.run(all, x);
    const r3 = b.run(all, x);
    assert.deepEqual(r2, r1, `${key}: second run differs`);
    assert.deepEqual(r3, r1, `${key}: second instance differs`);
  }
  assert.equal(b.xnnpackCreated, false);
});

test('withAllOutputs lists every op output and keeps the final output unchanged', async () => {
  const it = await interp;
  for (const key of keys) {
    const m = model(key);
    if (!m) continue;
    const all = withAllOutputs(m);
    const ids = allOpOutputs(m);
    assert.ok(ids.length >= 5, `${key}: ${ids.length} op outputs`);
    const h = it.prepare(m);
    const x = inputsFor(h.inputs.map((t) => t.shape), 3);
    const final = h.run(x);
    h.dispose();
    const every = it.runTensors(all, x);
    assert.equal(every.length, ids.length);
    // The model's real output is the last op's output: it must be among the listed tensors, unchanged.
    assert.deepEqual(every[every.length - 1].data, final[final.length - 1], `${key}: final output changed`);
    // Intermediate tensors differ from one another (they are real activations, not one buffer repeated).
    assert.ok(new Set(every.map((t) => t.name)).size === every.length, `${key}: duplicate tensor names`);
  }
});

test('a malformed model is rejected with the interpreter message', async () => {
  const it = await interp;
  assert.throws(() => it.prepare(new Uint8Array(64)), /TFLite interpreter rejected the model/);
});

test('the oracle stays out of the CLI bundle', () => {
  const bundle = readFileSync(join(repoRoot, 'dist', 'tinyforge.mjs'), 'utf8');
  for (const marker of ['tflite_web_api', 'disableXnnpack', 'TfliteInterpreter']) {
    assert.equal(bundle.includes(marker), false, `dist/tinyforge.mjs contains ${marker}`);
  }
});
