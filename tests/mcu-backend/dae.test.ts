// Decoupled access-execute kernels (mcu-backend/emit/dae.ts) with the DVFS hook calls on: every real model
// stays bit-exact with the golden runtime on QEMU Cortex-M4 (3 inputs in one run per model), every layer
// with constants runs decoupled, the access segment executes the 4-instruction LDM/STM loop once per
// 16 bytes (hand count: 4 per block plus a short call/return), and one hook call precedes every segment.
// Plus the sram-budget interplay (no QEMU): a budget too small for a staging buffer turns DAE off there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModel } from '../../compiler/frontend/load.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { PARTS, operatingPoints } from '../../mcu-backend/dvfs/parts.ts';
import { dvfsFiles, modelSegments } from '../../mcu-backend/dvfs/wire.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { MODELS, modelPath, scratchDir, type ModelKey } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-dae-');
let golden: GoldenRuntime | undefined;

for (const key of Object.keys(MODELS) as ModelKey[]) {
  test(`${key}: decoupled access-execute + DVFS hooks, bit-exact on QEMU Cortex-M4 (3 inputs)`, async (t) => {
    const path = modelPath(key);
    if (!path) { t.skip(`model ${MODELS[key]} not found`); return; }
    if (!needTools(t, 'm4')) return;
    golden ??= await GoldenRuntime.load();
    const graph = loadModel(path).graph;
    const module = runPipeline(graph, { arith: 'tflm' });
    const em = emitModel(module, { cpu: 'm4', dsp: true }, { dae: true, segmentHooks: true });
    const part = PARTS.stm32l4r5!;
    em.extraFiles = dvfsFiles(em, part, operatingPoints(part), modelSegments(em, part));
    const inputs = randomInputs(graph.inputs.reduce((s, id) => s + graph.tensors[id].shape.reduce((a, b) => a * b, 1), 0), 3, 23);
    const v = await verifyMcu(graph, module, em, 'm4', { inputs, workDir: join(work, key), count: true, golden });
    for (const r of v.results) assert.ok(r.ok, `${key} input ${r.input}: ${JSON.stringify(r)}`);
    const withConsts = em.layers.filter((l) => l.constBytes > 0);
    assert.ok(withConsts.length > 0);
    assert.ok(withConsts.every((l) => l.dae), 'every layer with constants is decoupled');
    for (const l of em.layers) {
      const a = v.accessInstructions![l.index]!;
      if (!l.dae) { assert.equal(a, 0, `layer ${l.index} has no access segment`); continue; }
      const blocks = l.dae.stageBytes / 16;
      assert.ok(a >= 4 * blocks && a <= 4 * blocks + 16, `layer ${l.index}: ${a} access instructions for ${blocks} blocks`);
    }
    assert.equal(v.hookInstructions!.length, em.segments.length);
    assert.equal(em.segments.length, em.layers.length + withConsts.length);
    for (const h of v.hookInstructions!) assert.ok(h > 0 && h <= 16, `hook call of ${h} instructions`);
  });
}

test('DAE is turned off for the layer at the peak when its staging buffer breaks the arena budget', () => {
  const path = modelPath('kws');
  if (!path) return;
  const module = runPipeline(loadModel(path).graph, { arith: 'tflm' });
  const base = emitModel(module, { cpu: 'm4', dsp: true });
  const all = emitModel(module, { cpu: 'm4', dsp: true }, { dae: true });
  assert.ok(all.plan.arenaBytes > base.plan.arenaBytes, 'staging buffers raise the arena');
  const budget = base.plan.arenaBytes; // room for the activations, not for every staging buffer
  const fit = emitModel(module, { cpu: 'm4', dsp: true }, { dae: true, arenaBudget: budget });
  assert.ok(fit.plan.arenaBytes <= budget, `${fit.plan.arenaBytes} > ${budget}`);
  assert.ok(fit.daeOff.length > 0 && fit.daeOff.every((d) => /sram budget/.test(d.reason)));
  // Layers whose staging buffer fits beside the live activations keep DAE.
  assert.ok(fit.layers.some((l) => l.dae), 'some layers stay decoupled');
  assert.equal(fit.segments.filter((s) => s.kind === 'access').length, fit.layers.filter((l) => l.dae).length);
});
