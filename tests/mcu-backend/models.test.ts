// The five real models through the Cortex-M backend, bit-exact with the golden runtime (tflm) on four
// random inputs each: on the host (the generic kernels' SIMD source through the portable intrinsics),
// on QEMU Cortex-M4 (the whole variant table: fast DSP kernels where they apply) and on QEMU Cortex-M3
// (portable path; DSP instructions fault there). All inputs of a model run in one process per target.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModel } from '../../compiler/frontend/load.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import type { RunOn } from '../../mcu-backend/harness/run.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { MODELS, modelPath, scratchDir, type ModelKey } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-mcu-models-');
let golden: GoldenRuntime | undefined;

for (const key of Object.keys(MODELS) as ModelKey[]) {
  test(`${key}: Cortex-M C equals the golden runtime on 4 inputs (host, QEMU M4, QEMU M3, QEMU M7)`, async (t) => {
    const path = modelPath(key);
    if (!path) { t.skip(`model ${MODELS[key]} not found`); return; }
    if (!needTools(t, 'host')) return;
    golden ??= await GoldenRuntime.load();
    const graph = loadModel(path).graph;
    const module = runPipeline(graph, { arith: 'tflm' });
    const inputs = randomInputs(graph.inputs.reduce((s, id) => s + graph.tensors[id].shape.reduce((a, b) => a * b, 1), 0), 4, 17);
    const targets: RunOn[] = ['host'];
    if (needTools(t, 'm4')) targets.push('m4', 'm3');
    // M7 (mps2-an500, DSP): the fast kernels' inline assembly on a second core.
    if (needTools(t, 'm7')) targets.push('m7');
    for (const on of targets) {
      // Host: a core without DSP selects the generic variants (the fast M4 kernels' host build is slow
      // to compile and is covered by their own tests); the source still compiles its SIMD path.
      const em = emitModel(module, { cpu: on === 'host' ? 'm4' : on, dsp: on === 'm4' || on === 'm7' });
      const v = await verifyMcu(graph, module, em, on, { inputs, workDir: join(work, key), count: on === 'm4', golden });
      assert.equal(v.results.length, 4);
      for (const r of v.results) assert.ok(r.ok, `${key} on ${on}, input ${r.input}: ${JSON.stringify(r)}`);
      if (on === 'm4') {
        // One count per layer, and the layers add up to (at most) the whole invoke.
        assert.equal(v.layerInstructions?.length, module.ops.length);
        const sum = v.layerInstructions!.reduce((a, b) => a + b, 0);
        assert.ok(sum > 0 && sum <= v.invokeInstructions![0], `${sum} vs ${v.invokeInstructions![0]}`);
      }
    }
  });
}

test('kws in the tflite arithmetic (single rounding for CONV_2D / FULLY_CONNECTED): equal on the host and QEMU M4', async (t) => {
  const path = modelPath('kws');
  if (!path) { t.skip('kws model not found'); return; }
  if (!needTools(t, 'host')) return;
  golden ??= await GoldenRuntime.load();
  const graph = loadModel(path).graph;
  const module = runPipeline(graph, { arith: 'tflite' });
  assert.ok(module.ops.some((o) => 'rounding' in o && o.rounding === 'single'));
  const inputs = randomInputs(49 * 10, 4, 23);
  for (const on of (needTools(t, 'm4') ? ['host', 'm4'] : ['host']) as RunOn[]) {
    const em = emitModel(module, { cpu: 'm4', dsp: on === 'm4' });
    const v = await verifyMcu(graph, module, em, on, { inputs, workDir: join(work, 'kws-tflite'), golden });
    assert.ok(v.ok, `${on}: ${JSON.stringify(v.results)}`);
  }
});
