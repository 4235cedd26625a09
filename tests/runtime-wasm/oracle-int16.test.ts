// 16x8 operators (int16 activations, int8 weights, int64 biases) against TFLite's interpreter: random
// single-op graphs (tests/helpers/random-int16.ts) written as .tflite and run by the interpreter, the golden
// runtime in the `tflite` arithmetic must give every output element (docs/int16.md). The `tflm` arithmetic
// must agree too for the ops whose TFLite Micro and desktop kernels compute alike (all but SUB, whose
// multipliers TFLite Micro computes in float32: there it may differ by 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeTflite } from '../../compiler/frontend/tflite/writer.ts';
import { validateGraph } from '../../compiler/ir/validate.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { INT16_GOLDEN_ONLY_KINDS, INT16_OP_KINDS, randomInt16Graph, randomInt16Inputs } from '../helpers/random-int16.ts';

const CASES = Number(process.env.INT16_CASES ?? 40);
const interp = await TfliteInterpreter.load();
const golden = await GoldenRuntime.load();

[...INT16_OP_KINDS, ...INT16_GOLDEN_ONLY_KINDS].forEach((kind, k) => {
  test(`16x8 ${kind}: ${CASES} random models, golden (tflite and tflm) == TFLite's interpreter`, () => {
    const bad: string[] = [];
    let unsaturated = 0, nonzero = 0, total = 0;
    for (let i = 0; i < CASES; i++) {
      const seed = 500000 + 1000 * k + i;
      const graph = randomInt16Graph(seed, kind);
      validateGraph(graph);
      const inputs = randomInt16Inputs(graph, seed);
      const want = interp.runTensors(writeTflite(graph), inputs)[0]!.data as ArrayLike<number>;
      for (const arith of ['tflite', 'tflm'] as const) {
        const got = golden.run(graph, inputs, { arith }).outputs[0]!;
        let diff = 0, max = 0;
        for (let j = 0; j < want.length; j++) if (got[j] !== want[j]) { diff++; max = Math.max(max, Math.abs(got[j]! - want[j]!)); }
        if (got.length !== want.length) bad.push(`seed ${seed} ${arith}: ${got.length} values, TFLite ${want.length}`);
        else if (diff && !(arith === 'tflm' && kind === 'sub' && max <= 1)) bad.push(`seed ${seed} ${arith}: ${diff}/${want.length} differ (max ${max})`);
      }
      for (let j = 0; j < want.length; j++) { total++; if (want[j] !== 32767 && want[j] !== -32768) unsaturated++; if (want[j] !== 0) nonzero++; }
    }
    assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of ${CASES} cases differ`);
    assert.ok(unsaturated > total / 4, `only ${unsaturated}/${total} outputs unsaturated: the generator's scales need adjusting`);
    assert.ok(nonzero > total / 5, `only ${nonzero}/${total} outputs are non-zero`);
  });
});
