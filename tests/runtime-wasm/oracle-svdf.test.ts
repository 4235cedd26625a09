// SVDF in the golden runtime over consecutive invocations with the state carried (GoldenState), bit for bit:
//   int16 state (the converter's full-integer SVDF): CASES random single-SVDF models, written with the
//     project's .tflite writer, against TFLite's own interpreter (which keeps its variable tensors between
//     Invoke calls), INVOCATIONS invocations each, `tflite` and `tflm` arithmetic (the same for SVDF); the
//     test's independent reference of TFLite Micro's algorithm (tests/helpers/svdf.ts) must agree too, which
//     is what makes it a trustworthy check for the int8 variant;
//   int8 state with int8 time weights (TFLite Micro's variant): desktop TFLite reads those tensors as int16
//     (out of bounds), so the check is the independent reference alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeTflite } from '../../compiler/frontend/tflite/writer.ts';
import { importTflite } from '../../compiler/frontend/tflite/import.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { SvdfReference, randomSequence, randomSvdfGraph } from '../helpers/svdf.ts';

const CASES = 40;
const INVOCATIONS = 8;

test(`SVDF, int16 state: ${CASES} random models x ${INVOCATIONS} invocations equal TFLite's interpreter (and the reference)`, async () => {
  const [it, golden] = await Promise.all([TfliteInterpreter.load(), GoldenRuntime.load()]);
  const bad: string[] = [];
  let nonTrivial = 0, values = 0, inside = 0;
  for (let i = 0; i < CASES; i++) {
    const { graph, describe } = randomSvdfGraph(9100 + i, 'int16');
    graph.ops[0]!.kind === 'svdf' && (graph.ops[0]!.activation = 'relu'); // desktop TFLite's integer SVDF requires RELU
    const g = importTflite(writeTflite(graph), 'svdf.tflite');
    const seq = randomSequence(g, INVOCATIONS, 500 + i);
    const m = it.prepare(writeTflite(graph));
    const want = seq.map((x) => m.run([x])[0]!);
    m.dispose();
    const ref = new SvdfReference(g);
    const refOut = seq.map((x) => ref.run(x));
    for (const arith of ['tflite', 'tflm'] as const) {
      const got = golden.runSequence(g, seq.map((x) => [x]), { arith }).map((r) => r.outputs[0]!);
      got.forEach((o, k) => { if (o.join() !== want[k]!.join()) bad.push(`${describe}, ${arith}, invocation ${k}: golden [${o}] TFLite [${want[k]}]`); });
    }
    refOut.forEach((o, k) => { if (o.join() !== want[k]!.join()) bad.push(`${describe}, reference, invocation ${k}: [${o}] TFLite [${want[k]}]`); });
    if (new Set(want.map((o) => o.join())).size > 1) nonTrivial++;
    for (const o of want) for (const v of o) { values++; if (v > -128 && v < 127) inside++; }
  }
  assert.deepEqual(bad.slice(0, 10), []);
  assert.ok(nonTrivial >= CASES / 2, `only ${nonTrivial} of ${CASES} cases change their output over the sequence`);
  assert.ok(inside > values * 0.7, `only ${inside} of ${values} outputs are not saturated`);
});

test(`SVDF, int8 state and time weights: ${CASES} random models x ${INVOCATIONS} invocations equal the TFLite Micro reference`, async () => {
  const golden = await GoldenRuntime.load();
  const bad: string[] = [];
  for (let i = 0; i < CASES; i++) {
    const { graph, describe } = randomSvdfGraph(9300 + i, 'int8');
    const g = importTflite(writeTflite(graph), 'svdf8.tflite');
    const seq = randomSequence(g, INVOCATIONS, 700 + i);
    const ref = new SvdfReference(g);
    const want = seq.map((x) => ref.run(x));
    for (const arith of ['tflite', 'tflm'] as const) {
      const got = golden.runSequence(g, seq.map((x) => [x]), { arith }).map((r) => r.outputs[0]!);
      got.forEach((o, k) => { if (o.join() !== want[k]!.join()) bad.push(`${describe}, ${arith}, invocation ${k}: golden [${o}] reference [${want[k]}]`); });
    }
  }
  assert.deepEqual(bad.slice(0, 10), []);
});
