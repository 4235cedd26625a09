// The zoo's SVDF models, keyword_scrambled (int16 state and time weights; int16 input, QUANTIZE to int8, seven
// SVDF and four FULLY_CONNECTED layers, an int8 -> int16 SOFTMAX, QUANTIZE to an int32 output) and
// keyword_scrambled_8bit (the same with int8 state and time weights), over INVOCATIONS consecutive
// invocations with the state carried:
//   1. keyword_scrambled: every operator output of the golden runtime (`tflite` arithmetic) equals TFLite's
//      interpreter's (every op output made a model output, the interpreter keeping its variable tensors
//      between Invoke calls), on every invocation;
//   2. both models, layer by layer: each SVDF output and its activation history (state) equal the independent
//      TFLite Micro reference of tests/helpers/svdf.ts (its own state, fed the golden runtime's input of that layer), each other
//      operator's equals TFLite's interpreter on a one-op model fed the same input. For keyword_scrambled_8bit
//      this is the check: desktop TFLite reads int8 time weights and state as int16 (out of bounds), so its
//      whole-model outputs are not a reference (docs/svdf.md);
//   3. the Cortex-M C (`tflite` arithmetic; svdf.generic on the host, svdf.dsp on the M4) equals the golden
//      runtime on every invocation, on the host (gcc) and on QEMU Cortex-M4;
//   4. `tinyforge run --invocations N` writes the N outputs of the API's runSequence (state carried), and
//      verify({ invocations }) / `tinyforge verify --invocations` run the sequence; an invalid N is a usage error.
// Under CI=true a missing model or tool fails; otherwise the test is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importTflite } from '../../compiler/frontend/tflite/import.ts';
import type { Graph } from '../../compiler/ir/graph.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime, GoldenState, type TensorValues } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter, allOpOutputs, withAllOutputs } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { repoRoot, scratchDir } from '../helpers/paths.ts';
import { generateInputs, loadModel as apiLoad, runSequence, splitInputBytes, verify as apiVerify } from '../../compiler/api/index.ts';
import { compareByLayer, randomSvdfGraph } from '../helpers/svdf.ts';
import { writeTflite } from '../../compiler/frontend/tflite/writer.ts';
import { rawBytes, scanTflite, zooDir, zooInputs } from '../helpers/zoo.ts';
import { needTools } from '../mcu-backend/helpers/tools.ts';

const INVOCATIONS = 10;
const MODELS = ['tflm-keyword_scrambled', 'tflm-keyword_scrambled_8bit'] as const;
const ci = process.env.CI === 'true';
const work = scratchDir('tinyforge-svdf-zoo-');

function load(name: string): { graph: Graph; bytes: Uint8Array; inputs: TensorValues[][] } | undefined {
  const path = join(zooDir, `${name}.tflite`);
  if (!existsSync(path)) {
    if (ci) throw new Error(`${path} is required when CI=true`);
    return undefined;
  }
  const bytes = new Uint8Array(readFileSync(path));
  return { graph: importTflite(bytes, path), bytes, inputs: zooInputs(scanTflite(bytes, path), INVOCATIONS, 77) as TensorValues[][] };
}

/** The golden runtime over the sequence (one GoldenState), every tensor of every invocation. */
function goldenSequence(golden: GoldenRuntime, graph: Graph, inputs: TensorValues[][]): Array<Map<number, TensorValues>> {
  const state = new GoldenState(graph);
  return inputs.map((x) => golden.run(graph, x, { arith: 'tflite', keepAll: true, state }).tensors!);
}

test(`keyword_scrambled: every layer of the golden runtime (tflite) equals TFLite's interpreter over ${INVOCATIONS} invocations`, async (t) => {
  const m = load('tflm-keyword_scrambled');
  if (!m) { t.skip('model zoo not found'); return; }
  const [it, golden] = await Promise.all([TfliteInterpreter.load(), GoldenRuntime.load()]);
  const all = it.prepare(withAllOutputs(m.bytes));
  // The file's tensors are unnamed: the importer names file tensor i `t<i>`, and the interpreter returns the
  // op outputs in allOpOutputs order.
  const byName = new Map(m.graph.tensors.map((x) => [x.name, x.id]));
  const fileIds = allOpOutputs(m.bytes);
  const kept = goldenSequence(golden, m.graph, m.inputs);
  const svdfOut = m.graph.ops.filter((o) => o.kind === 'svdf').map((o) => o.outputs[0]!);
  const seen = new Map<number, Set<string>>(svdfOut.map((id) => [id, new Set()]));
  let compared = 0;
  try {
    m.inputs.forEach((x, k) => {
      const want = all.runTensors(x);
      assert.equal(want.length, m.graph.ops.length);
      for (const [j, w] of want.entries()) {
        const name = w.name || `t${fileIds[j]}`;
        const got = kept[k]!.get(byName.get(name)!);
        assert.ok(got, `invocation ${k}: tensor '${name}' missing from the golden run`);
        const i = Array.from(got).findIndex((v, j) => v !== w.data[j]);
        assert.equal(i, -1, `invocation ${k}: tensor '${name}' differs at ${i}: golden ${got[i]}, TFLite ${w.data[i]}`);
        compared++;
      }
      for (const id of svdfOut) seen.get(id)!.add(Array.from(kept[k]!.get(id)!).join());
    });
  } finally { all.dispose(); }
  assert.equal(compared, INVOCATIONS * m.graph.ops.length);
  // The state matters: every SVDF layer's output changes along the sequence.
  for (const [id, outs] of seen) assert.ok(outs.size > 1, `SVDF output '${m.graph.tensors[id]!.name}' never changes`);
});

for (const name of MODELS) {
  test(`${name}: each SVDF layer (output and state) equals the TFLite Micro reference, each other layer TFLite's interpreter, over ${INVOCATIONS} invocations`, async (t) => {
    const m = load(name);
    if (!m) { t.skip('model zoo not found'); return; }
    const [it, golden] = await Promise.all([TfliteInterpreter.load(), GoldenRuntime.load()]);
    const r = compareByLayer(m.graph, m.inputs, golden, it);
    assert.ok(r.ok, r.error);
    assert.equal(r.inputs, INVOCATIONS);
    // The scrambled models' SVDF outputs saturate nearly everywhere; their histories do not.
    assert.ok(r.stateInside > r.stateValues / 2, `only ${r.stateInside} of ${r.stateValues} state values are inside the type's range`);
  });
}

for (const on of ['host', 'm4'] as const) {
  test(`SVDF zoo models on ${on}: the Cortex-M C equals the golden runtime over ${INVOCATIONS} invocations (state carried)`, async (t) => {
    if (!needTools(t, on)) return;
    const golden = await GoldenRuntime.load();
    for (const name of MODELS) {
      const m = load(name);
      if (!m) { t.skip('model zoo not found'); return; }
      const module = runPipeline(m.graph, { arith: 'tflite' });
      const em = emitModel(module, { cpu: 'm4', dsp: on === 'm4' });
      assert.ok(em.stateBytes > 0 && /_reset_state\(void\);/.test(em.files.header), `${name}: state outside the arena`);
      const v = await verifyMcu(m.graph, module, em, on, { inputs: m.inputs.map((x) => rawBytes(x)), workDir: join(work, name), golden });
      assert.ok(v.ok, `${name} on ${on}: ${JSON.stringify(v.results.filter((r) => !r.ok))}`);
      assert.equal(v.results.length, INVOCATIONS);
    }
  });
}

test('keyword_scrambled: run --invocations N equals runSequence; verify --invocations; invalid N is a usage error', async (t) => {
  const path = join(zooDir, 'tflm-keyword_scrambled.tflite');
  if (!load('tflm-keyword_scrambled')) { t.skip('model zoo not found'); return; }
  const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
  const dir = scratchDir('tinyforge-svdf-cli-');
  const input = join(dir, 'in.bin'), output = join(dir, 'out.bin');
  // A random SVDF model (unsaturated outputs, so a lost state shows), written with the project's writer.
  const svdfPath = join(dir, 'svdf.tflite');
  writeFileSync(svdfPath, writeTflite(randomSvdfGraph(9102, 'int16').graph));
  const r = spawnSync(process.execPath, [bin, 'run', svdfPath, '--input', input, '--output', output, '--gen-input', '5', '--invocations', '6', '--arith', 'tflite'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /6 invocations \(state carried\)/);
  const model = apiLoad(svdfPath);
  const bytes = generateInputs(model, 5, 6);
  assert.deepEqual(new Uint8Array(readFileSync(input)), bytes);
  const per = bytes.length / 6;
  const seq = await runSequence(model, Array.from({ length: 6 }, (_, k) => splitInputBytes(model, bytes.subarray(k * per, (k + 1) * per))), { arith: 'tflite' });
  const want = Buffer.concat(seq.map((x) => Buffer.from(x.outputs[0]!.buffer, x.outputs[0]!.byteOffset, x.outputs[0]!.byteLength)));
  assert.deepEqual(readFileSync(output), want);
  // Each invocation run alone (from the reset state) gives other outputs: the CLI carried the state.
  const alone = await Promise.all(Array.from({ length: 6 }, (_, k) => runSequence(model, [splitInputBytes(model, bytes.subarray(k * per, (k + 1) * per))], { arith: 'tflite' })));
  assert.ok(alone.slice(1).some((a, k) => a[0]!.outputs[0]!.join() !== seq[k + 1]!.outputs[0]!.join()));
  for (const bad of ['0', '2.5', 'x', '100001']) {
    const e = spawnSync(process.execPath, [bin, 'run', svdfPath, '--input', input, '--output', output, '--invocations', bad], { encoding: 'utf8' });
    assert.equal(e.status, 2, `--invocations ${bad}`);
    assert.match(e.stderr, /--invocations must be an integer in 1\.\.100000/);
  }
  const e2 = spawnSync(process.execPath, [bin, 'run', svdfPath, '--input', input, '--output', output, '--invocations', '4'], { encoding: 'utf8' });
  assert.equal(e2.status, 1);
  assert.match(e2.stderr, /expected \d+ \(4 invocations x \d+ bytes\)/);
  const e3 = spawnSync(process.execPath, [bin, 'verify', path, '--on', 'host', '--invocations', '0'], { encoding: 'utf8' });
  assert.equal(e3.status, 2);
  assert.match(e3.stderr, /--invocations must be an integer in 1\.\.1024/);
  if (!needTools(t, 'host')) return;
  const v = await apiVerify(apiLoad(path), { on: 'host', invocations: 10, arith: 'tflite' });
  assert.ok(v.ok, JSON.stringify(v.results));
  assert.equal(v.inputs, 10);
});
