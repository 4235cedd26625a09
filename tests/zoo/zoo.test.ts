// The published TFLite Micro / ML-zoo models (../shared/models/zoo), data-driven over the directory, so a
// model that starts loading after an operator lands is picked up without editing this file:
//  - golden runtime (`tflite` arithmetic) == TFLite's interpreter on every operator output, 5 seeded inputs;
//  - Cortex-M C (tflm arithmetic) == the golden runtime on the host, 5 inputs, and on QEMU Cortex-M4 for the
//    small ones (constants <= 64 KiB; the big ones are measured by `npm run bench -- zoo`).
// Models on the MUST_PASS list (tests/helpers/zoo.ts) must pass; every other in-scope model runs as a `todo`
// test (reported, not counted as a failure) until the lead adds it there. ZOO_STRICT=1 makes every in-scope
// model a must-pass (issue #11's final bar). Out-of-scope models (int16 activations, recurrent operators) and
// the rest's status are printed by the summary test. When CI=true a missing zoo or MUST_PASS model fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../compiler/frontend/load.ts';
import type { Graph } from '../../compiler/ir/graph.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { verifyMcu } from '../../mcu-backend/verify.ts';
import type { RunOn } from '../../mcu-backend/harness/run.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { scratchDir } from '../helpers/paths.ts';
import {
  MUST_PASS, SEANET_PREFIX, compareLayers, rawBytes, missingMustPass, oneLine, outOfScope, scanTflite, zooFiles, zooInputs,
} from '../helpers/zoo.ts';
import { needTools } from '../mcu-backend/helpers/tools.ts';

const SEED = 11;
const INPUTS = 5;
/** Constants up to this size also run on QEMU Cortex-M4 here. */
const QEMU_CONST_BYTES = 64 * 1024;
const strict = process.env.ZOO_STRICT === '1';

const work = scratchDir('tinyforge-zoo-');
const golden = await GoldenRuntime.load();
const tfl = await TfliteInterpreter.load();

const files = zooFiles();
const seanet = files.filter((m) => m.name.startsWith(SEANET_PREFIX));
const models = files.filter((m) => !m.name.startsWith(SEANET_PREFIX)).map((m) => {
  const bytes = new Uint8Array(readFileSync(m.path));
  const scan = scanTflite(bytes, m.file);
  return { ...m, bytes, scan, scope: outOfScope(m.name, scan) };
});
const inScope = models.filter((m) => !m.scope);

const loaded = new Map(inScope.map((m): [string, { graph?: Graph; why?: string }] => {
  try { return [m.name, { graph: loadModel(m.path).graph }]; } catch (e) { return [m.name, { why: oneLine(e) }]; }
}));

for (const m of inScope) {
  const must = strict || MUST_PASS.includes(m.name);
  const l = loaded.get(m.name)!;
  // A model that does not load yet is a skip (counted in the summary), unless it must pass.
  const opts = must ? {} : l.why ? { skip: `not supported yet: ${l.why}` } : { todo: 'loads; not on the MUST_PASS list yet (tests/helpers/zoo.ts)' };
  const load = () => {
    if (!l.graph) throw new Error(`not supported: ${l.why}`);
    return l.graph;
  };

  test(`zoo ${m.name}: golden (tflite) equals TFLite's interpreter on every layer, ${INPUTS} seeded inputs`, opts, () => {
    const graph = load();
    const r = compareLayers(graph, m.bytes, zooInputs(m.scan, INPUTS, SEED), golden, tfl);
    assert.ok(r.ok, r.error);
    assert.equal(r.inputs, INPUTS);
    assert.ok(r.layers >= graph.ops.length, `${r.layers} TFLite operator outputs compared, graph has ${graph.ops.length} ops`);
  });

  test(`zoo ${m.name}: Cortex-M C equals the golden runtime (tflm), host and QEMU M4 when small`, opts, async (t) => {
    const graph = load();
    if (!needTools(t, 'host')) return;
    // Raw bytes (float32 edges as their little-endian bytes), as the harness and verifyMcu take them.
    const inputs = zooInputs(m.scan, INPUTS, SEED).map(rawBytes);
    const module = runPipeline(graph, { arith: 'tflm' });
    const targets: RunOn[] = ['host'];
    const small = emitModel(module, { cpu: 'm4', dsp: true }).constBytes <= QEMU_CONST_BYTES;
    if (small && needTools(t, 'm4')) targets.push('m4');
    for (const on of targets) {
      const em = emitModel(module, { cpu: 'm4', dsp: on === 'm4' });
      const v = await verifyMcu(graph, module, em, on, { inputs, workDir: join(work, m.name), golden });
      assert.equal(v.results.length, INPUTS);
      for (const r of v.results) assert.ok(r.ok, `${m.name} on ${on}, input ${r.input}: ${JSON.stringify(r)}`);
    }
    if (!targets.includes('m4')) t.diagnostic(`QEMU M4 not run here (${small ? 'tools missing' : 'constants > 64 KiB: see npm run bench -- zoo'})`);
  });
}

test('zoo: the MUST_PASS models are present and in scope; the status of the rest', (t) => {
  const missing = missingMustPass();
  if (missing.length) {
    if (process.env.CI === 'true') assert.fail(`zoo models required when CI=true are missing: ${missing.join(', ')}`);
    t.skip(`missing: ${missing.join(', ')}`);
    return;
  }
  for (const n of MUST_PASS) assert.ok(inScope.some((m) => m.name === n), `${n} is out of scope: ${models.find((m) => m.name === n)?.scope}`);
  const loads = inScope.map((m) => ({ m, ok: !loaded.get(m.name)!.why, why: loaded.get(m.name)!.why ?? '' }));
  for (const l of loads) if (MUST_PASS.includes(l.m.name)) assert.ok(l.ok, `${l.m.name}: ${l.why}`);
  const lines = [
    `${files.length} zoo models: ${inScope.length} in scope (${loads.filter((l) => l.ok).length} load, ${MUST_PASS.length} must pass), ` +
      `${models.length - inScope.length + seanet.length} out of scope (${seanet.length} ${SEANET_PREFIX}*: int16 activations)`,
    ...loads.filter((l) => !l.ok).map((l) => `not supported: ${l.m.name}: ${l.why}`),
    ...loads.filter((l) => l.ok && !MUST_PASS.includes(l.m.name)).map((l) => `loads, not on MUST_PASS yet: ${l.m.name}`),
    ...models.filter((m) => m.scope).map((m) => `out of scope: ${m.name}: ${m.scope}`),
  ];
  for (const l of lines) t.diagnostic(l);
  assert.ok(inScope.length >= MUST_PASS.length);
});
