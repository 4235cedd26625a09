// TFLite Micro's seanet integration tests on the golden runtime: each of the tflm-it-seanet-*.tflite models
// (one int16 op each: CONV_2D, TRANSPOSE_CONV, ADD, SUB, PAD, STRIDED_SLICE, LEAKY_RELU, QUANTIZE) is fed the
// input CSVs of TFLite Micro's integration tests and compared, every element, with their golden CSV.
// Where those CSVs come from (docs/int16.md): TFLite Micro's generator (tools/generate_test_for_model.py)
// runs desktop TFLite's Python interpreter with the reference op resolver, and TFLite Micro's own test then
// accepts |difference| <= 1. So:
//  - `tflite` arithmetic: every model equal to the CSV, and TFLite's interpreter (the oracle) too;
//  - `tflm` arithmetic: equal to the CSV except the models in TFLM_DIFFERS, where TFLite Micro's kernel
//    computes differently from desktop TFLite's (SUB's multipliers in float32): there within 1, the tolerance
//    TFLite Micro's own test applies, and at least one element differs (the list stays exact).
// A graph input no op reads (TRANSPOSE_CONV's output-shape operand, input0 of its CSVs) must equal the output
// tensor's static shape. Each model also runs 4 seeded random input sets against TFLite's interpreter
// (`tflite` arithmetic). Under CI=true a missing model or CSV fails; otherwise it is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { loadModel } from '../../compiler/frontend/load.ts';
import { surveyTflite } from '../../compiler/frontend/tflite/survey.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { TFLM_DIFFERS, csvDiff, readCsv, seanetCases, seanetCsvDir, seanetFamily, seanetFeeds, seanetRandomFeeds } from '../helpers/seanet.ts';
import { oneLine } from '../helpers/zoo.ts';

const ci = process.env.CI === 'true';
/** Seeded random input sets per model checked against TFLite's interpreter. */
const RANDOM_SETS = 4;
const golden = await GoldenRuntime.load();
const tfl = await TfliteInterpreter.load();
const cases = seanetCases();
const results: Array<{ name: string; exact: boolean; ok: boolean; why?: string }> = [];

test('seanet: the integration-test models and their CSVs are present', { skip: !ci && cases.length === 0 ? 'model zoo not found' : false }, () => {
  assert.equal(cases.length, 99, `expected TFLite Micro's 99 seanet integration-test models, found ${cases.length}`);
  assert.ok(existsSync(seanetCsvDir), `${seanetCsvDir} is missing`);
  const incomplete = cases.filter((c) => c.inputs.length === 0 || !c.golden).map((c) => c.name);
  assert.deepEqual(incomplete, [], 'every model needs its input and golden CSVs');
});

for (const c of cases) {
  const missing = c.inputs.length === 0 || !c.golden ? `${c.name}: input or golden CSV missing in ${seanetCsvDir}` : undefined;
  test(`seanet ${c.name}: golden (tflm and tflite) and TFLite's interpreter against the CSV`, { skip: missing && !ci ? missing : false }, () => {
    if (missing) assert.fail(missing);
    try {
      const graph = loadModel(c.path).graph;
      // `inspect --ops` agrees: every operator supported (validator and legalize).
      const unsupported = surveyTflite(new Uint8Array(readFileSync(c.path)), c.path).filter((o) => !o.supported);
      assert.deepEqual(unsupported.map((o) => `${o.op}: ${o.why}`), [], 'inspect --ops reports unsupported operators');
      const feeds = seanetFeeds(graph, c.inputs.map(readCsv));
      const want = readCsv(c.golden!);
      const run = (arith: 'tflm' | 'tflite') => {
        const out = golden.run(graph, feeds as never, { arith }).outputs;
        assert.equal(out.length, 1, 'one output');
        assert.equal(out[0]!.constructor.name, want.constructor.name, 'output type');
        return out[0]!;
      };
      const oracle = csvDiff(tfl.runTensors(new Uint8Array(readFileSync(c.path)), feeds)[0]!.data as ArrayLike<number>, want);
      assert.equal(oracle.bad, 0, `TFLite's interpreter differs from the CSV in ${oracle.bad} elements`);
      const lite = csvDiff(run('tflite'), want);
      assert.equal(lite.bad, 0, `tflite arithmetic: ${lite.bad}/${want.length} elements differ; first at ${lite.first}`);
      const micro = csvDiff(run('tflm'), want);
      if (TFLM_DIFFERS[c.name]) {
        assert.ok(micro.bad > 0, `tflm arithmetic now equals the CSV: drop ${c.name} from TFLM_DIFFERS`);
        assert.ok(micro.max <= 1, `tflm arithmetic: ${micro.bad} elements differ by up to ${micro.max} (TFLite Micro's own test allows 1)`);
      } else {
        assert.equal(micro.bad, 0, `tflm arithmetic: ${micro.bad}/${want.length} elements differ; first at ${micro.first} (max ${micro.max})`);
      }
      // Beyond the CSVs: seeded random inputs (saturating and not), golden (`tflite`) == TFLite's interpreter.
      const model = tfl.prepare(new Uint8Array(readFileSync(c.path)));
      try {
        for (let s = 0; s < RANDOM_SETS; s++) {
          const rnd = seanetRandomFeeds(graph, feeds, s);
          const o = model.runTensors(rnd)[0]!.data as ArrayLike<number>;
          const g = golden.run(graph, rnd as never, { arith: 'tflite' }).outputs[0]!;
          const d = csvDiff(g, o as never);
          assert.equal(d.bad, 0, `random input set ${s}: golden (tflite) differs from TFLite's interpreter in ${d.bad} elements; first at ${d.first}`);
        }
      } finally {
        model.dispose();
      }
      results.push({ name: c.name, exact: micro.bad === 0, ok: true });
    } catch (e) {
      results.push({ name: c.name, exact: false, ok: false, why: oneLine(e) });
      throw e;
    }
  });
}

test('seanet: summary per op family', () => {
  const fam = new Map<string, { exact: number; ok: number; total: number }>();
  for (const r of results) {
    const f = seanetFamily(r.name);
    const e = fam.get(f) ?? { exact: 0, ok: 0, total: 0 };
    e.total++;
    if (r.ok) e.ok++;
    if (r.exact) e.exact++;
    fam.set(f, e);
  }
  const ok = results.filter((r) => r.ok).length, exact = results.filter((r) => r.exact).length;
  console.log(`seanet: ${ok}/${results.length} pass (tflite arithmetic and TFLite's interpreter equal every CSV); tflm arithmetic equals ${exact}/${results.length} exactly`);
  for (const [f, e] of [...fam].sort()) console.log(`  ${f.padEnd(16)} ${e.ok}/${e.total} pass, ${e.exact} exact in tflm`);
  for (const r of results.filter((x) => !x.ok)) console.log(`  FAIL ${r.name}: ${r.why}`);
  assert.equal(results.length, cases.length, 'every model ran');
});
