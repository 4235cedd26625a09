// TFLite Micro's seanet integration tests on the golden runtime (`tflm` arithmetic): each of the
// tflm-it-seanet-*.tflite models (one int16 op each: CONV_2D, TRANSPOSE_CONV, ADD, SUB, PAD, STRIDED_SLICE,
// LEAKY_RELU, QUANTIZE) is fed TFLite Micro's input CSVs and must give exactly its golden CSV, every element:
// real TFLite Micro results, not ours. Graph inputs the op does not read (TRANSPOSE_CONV's output-shape
// operand, fed as input0 by the test) must equal the output tensor's static shape. Under CI=true a missing
// model or CSV fails; otherwise it is skipped. A last test prints the count per op family.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { loadModel } from '../../compiler/frontend/load.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { readCsv, seanetCases, seanetCsvDir, seanetFamily } from '../helpers/seanet.ts';
import { oneLine } from '../helpers/zoo.ts';

const ci = process.env.CI === 'true';
const golden = await GoldenRuntime.load();
const cases = seanetCases();
const results: Array<{ name: string; ok: boolean; why?: string }> = [];

test('seanet: the integration-test models and their CSVs are present', { skip: !ci && cases.length === 0 ? 'model zoo not found' : false }, () => {
  assert.equal(cases.length, 99, `expected TFLite Micro's 99 seanet integration-test models, found ${cases.length}`);
  assert.ok(existsSync(seanetCsvDir), `${seanetCsvDir} is missing`);
  const incomplete = cases.filter((c) => c.inputs.length === 0 || !c.golden).map((c) => c.name);
  assert.deepEqual(incomplete, [], 'every model needs its input and golden CSVs');
});

for (const c of cases) {
  const missing = c.inputs.length === 0 || !c.golden ? `${c.name}: input or golden CSV missing in ${seanetCsvDir}` : undefined;
  test(`seanet golden (tflm) == TFLite Micro: ${c.name}`, { skip: missing && !ci ? missing : false }, () => {
    if (missing) assert.fail(missing);
    let ok = false;
    try {
      const graph = loadModel(c.path).graph;
      const csv = c.inputs.map(readCsv);
      // Feed each graph input its CSV by position; an input no op reads (TRANSPOSE_CONV's output shape) is checked
      // against the shape the graph computes instead.
      const { loaded } = { loaded: graph };
      const readers = new Set(loaded.ops.flatMap((o) => o.inputs));
      assert.equal(csv.length, loaded.inputs.length, `${csv.length} input CSVs for ${loaded.inputs.length} graph inputs`);
      const feeds = loaded.inputs.map((id, k) => {
        const t = loaded.tensors[id]!;
        const v = csv[k]!;
        if (!readers.has(id)) {
          const out = loaded.tensors[loaded.ops.find((o) => o.kind === 'transpose_conv')?.outputs[0] ?? -1];
          assert.ok(out, `graph input '${t.name}' is read by no op`);
          assert.deepEqual(Array.from(v), out.shape, `output-shape input '${t.name}' differs from the output tensor's shape`);
        }
        return v;
      });
      const got = golden.run(loaded, feeds as never, { arith: 'tflm' }).outputs;
      const want = readCsv(c.golden!);
      assert.equal(got.length, 1, 'one output');
      const g = got[0]!;
      assert.equal(g.constructor.name, want.constructor.name, 'output type');
      assert.equal(g.length, want.length, 'output length');
      let bad = 0, first = -1;
      for (let i = 0; i < g.length; i++) if (g[i] !== want[i]) { bad++; if (first < 0) first = i; }
      assert.equal(bad, 0, `${bad}/${g.length} elements differ; first at ${first}: golden ${g[first]}, TFLite Micro ${want[first]}`);
      ok = true;
    } catch (e) {
      results.push({ name: c.name, ok: false, why: oneLine(e) });
      throw e;
    }
    if (ok) results.push({ name: c.name, ok: true });
  });
}

test('seanet: summary per op family', () => {
  const fam = new Map<string, { pass: number; total: number }>();
  for (const r of results) {
    const f = seanetFamily(r.name);
    const e = fam.get(f) ?? { pass: 0, total: 0 };
    e.total++;
    if (r.ok) e.pass++;
    fam.set(f, e);
  }
  const pass = results.filter((r) => r.ok).length;
  console.log(`seanet on the golden runtime (tflm): ${pass}/${results.length} equal TFLite Micro's golden CSVs`);
  for (const [f, e] of [...fam].sort()) console.log(`  ${f.padEnd(16)} ${e.pass}/${e.total}`);
  for (const r of results.filter((x) => !x.ok)) console.log(`  FAIL ${r.name}: ${r.why}`);
  assert.equal(results.length, cases.length, 'every model ran');
});
