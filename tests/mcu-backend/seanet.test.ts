// TFLite Micro's seanet integration tests (16x8, one op each) through the Cortex-M backend: each model is
// compiled in the `tflm` arithmetic (portable C kernels: conv16x8, leaky_relu16, int16 binary, byte copies,
// QUANTIZE int16 <-> int32), run on the host (gcc) and on QEMU Cortex-M4 with TFLite Micro's input CSVs, and
// its output must equal the golden runtime's (`tflm`) element for element (on the CSV inputs and on two seeded
// random sets) and the golden CSV element for element,
// except for the models in TFLM_DIFFERS (tests/helpers/seanet.ts, docs/int16.md), which equal the CSV within
// 1 in `tflm` and exactly when compiled in the `tflite` arithmetic. Every tenth model (all of them with
// SANITIZE_LARGE=1) also runs on the host under AddressSanitizer and UndefinedBehaviorSanitizer
// ('host-asan'). Under CI=true a missing model, CSV or tool fails; otherwise it is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModel } from '../../compiler/frontend/load.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import type { RunOn } from '../../mcu-backend/harness/run.ts';
import { runModel } from '../../mcu-backend/runner.ts';
import { GoldenRuntime, valuesOf } from '../../runtime-wasm/host.ts';
import { scratchDir } from '../helpers/paths.ts';
import { TFLM_DIFFERS, csvDiff, readCsv, seanetCases, seanetCsvDir, seanetFeeds, seanetRandomFeeds } from '../helpers/seanet.ts';
import { rawBytes } from '../helpers/zoo.ts';
import { needTools } from './helpers/tools.ts';
import { SANITIZE_FLAGS, sanitizeAll } from './helpers/sanitize.ts';

const ci = process.env.CI === 'true';
const work = scratchDir('tinyforge-seanet-');
const golden = await GoldenRuntime.load();
const cases = seanetCases();

test('seanet (Cortex-M): the models are present', { skip: !ci && cases.length === 0 ? 'model zoo not found' : false }, () => {
  assert.equal(cases.length, 99, `expected 99 seanet models, found ${cases.length}`);
});

for (const mode of ['host', 'm4', 'host-asan'] as const) {
  const on: RunOn = mode === 'm4' ? 'm4' : 'host';
  for (const c of mode === 'host-asan' && !sanitizeAll ? cases.filter((_, i) => i % 10 === 0) : cases) {
    const missing = c.inputs.length === 0 || !c.golden ? `${c.name}: CSVs missing in ${seanetCsvDir}` : undefined;
    test(`seanet ${c.name} on ${mode}: C (tflm) == golden runtime and TFLite Micro's CSV`, { skip: missing && !ci ? missing : false }, (t) => {
      if (missing) assert.fail(missing);
      if (!needTools(t, on)) return;
      const graph = loadModel(c.path).graph;
      const feeds = seanetFeeds(graph, c.inputs.map(readCsv));
      const want = readCsv(c.golden!);
      const y = graph.tensors[graph.outputs[0]!]!;
      // The CSV inputs, then two seeded random sets (saturating and not) checked against the golden runtime only.
      const sets = [feeds, seanetRandomFeeds(graph, feeds, 0), seanetRandomFeeds(graph, feeds, 1)];
      const runC = (arith: 'tflm' | 'tflite', n: number) => {
        const em = emitModel(runPipeline(graph, { arith }), { cpu: 'm4', dsp: on === 'm4' });
        const outs = runModel(em, sets.slice(0, n).map((s) => rawBytes(s)), on, {
          workDir: join(work, mode, arith, c.name), ...(mode === 'host-asan' ? { host: { flags: SANITIZE_FLAGS } } : {}),
        }).outputs;
        return outs.map((out) => valuesOf(y.dtype, out.slice().buffer, 0, want.length) as ArrayLike<number>);
      };
      const outs = runC('tflm', sets.length);
      sets.forEach((s, k) => {
        const ref = golden.run(graph, s as never, { arith: 'tflm' }).outputs[0]!;
        const vsGolden = csvDiff(outs[k]!, ref as never);
        assert.equal(vsGolden.bad, 0, `input set ${k}: C differs from the golden runtime in ${vsGolden.bad} elements; first at ${vsGolden.first}`);
      });
      const got = outs[0]!;
      const d = csvDiff(got, want);
      if (TFLM_DIFFERS[c.name]) {
        assert.ok(d.bad > 0 && d.max <= 1, `tflm: ${d.bad} elements differ by up to ${d.max} (expected a few, by 1: ${TFLM_DIFFERS[c.name]})`);
        const lite = csvDiff(runC('tflite', 1)[0]!, want);
        assert.equal(lite.bad, 0, `tflite arithmetic: ${lite.bad} elements differ from the CSV; first at ${lite.first}`);
      } else {
        assert.equal(d.bad, 0, `${d.bad}/${want.length} elements differ from the CSV; first at ${d.first} (max ${d.max})`);
      }
    });
  }
}
