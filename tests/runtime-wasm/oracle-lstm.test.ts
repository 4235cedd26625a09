// UNIDIRECTIONAL_SEQUENCE_LSTM (integer 8x8_16) on the golden runtime against TFLite's interpreter, with the
// recurrent state carried across invocations (one GoldenState; one interpreter handle, whose variable tensors
// persist between Infer() calls):
//   - the zoo's three LSTM models (mnist_lstm_int8, dtln_noise_suppression with two stacked LSTMs,
//     xtensa micro_speech_lstm): 10 consecutive invocations on seeded random inputs, `tflite` arithmetic,
//     every operator output of the file compared element for element (withAllOutputs);
//   - 24 random single-op LSTM graphs written with the project's .tflite writer (tests/helpers/random-lstm.ts:
//     batch- and time-major, CIFG, cell clip, cell scales 2^-9 .. 2^-15, hidden zero points of both signs),
//     4 invocations each, in both arithmetics (the op computes the same in both).
// Under CI=true a missing zoo model fails; otherwise it is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importTflite } from '../../compiler/frontend/tflite/import.ts';
import { writeTflite } from '../../compiler/frontend/tflite/writer.ts';
import { mulberry32 } from '../../compiler/rng.ts';
import { GoldenRuntime, GoldenState } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter, withAllOutputs } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { randomLstm } from '../helpers/random-lstm.ts';
import { zooDir } from '../helpers/zoo.ts';

const ci = process.env.CI === 'true';
export const LSTM_ZOO = ['tflm-mnist_lstm_int8', 'tflm-dtln_noise_suppression', 'tflm-xtensa-micro_speech_lstm'];
const golden = await GoldenRuntime.load();
const interp = await TfliteInterpreter.load();

for (const name of LSTM_ZOO) {
  const path = join(zooDir, `${name}.tflite`);
  const missing = existsSync(path) ? undefined : `${path} not found`;
  test(`${name}: golden (tflite) == TFLite's interpreter on every tensor over 10 invocations`, { skip: missing && !ci ? missing : false }, () => {
    if (missing) assert.fail(missing);
    const bytes = new Uint8Array(readFileSync(path));
    const g = importTflite(bytes, path);
    const handle = interp.prepare(withAllOutputs(bytes));
    try {
      const rnd = mulberry32(2024);
      const x = g.tensors[g.inputs[0]!]!;
      const n = x.shape.reduce((a, b) => a * b, 1);
      const state = new GoldenState(g);
      let compared = 0;
      for (let k = 0; k < 10; k++) {
        const input = Int8Array.from({ length: n }, () => Math.floor(rnd() * 256) - 128);
        const want = handle.runTensors([input]);
        const got = golden.run(g, [input], { arith: 'tflite', state, keepAll: true }).tensors!;
        for (const t of want) {
          const id = g.tensors.find((gt) => gt.name === t.name)?.id;
          assert.ok(id !== undefined, `no golden tensor named '${t.name}'`);
          const mine = got.get(id)!;
          assert.equal(mine.length, t.data.length, `${t.name}: length`);
          const at = Array.from(t.data).findIndex((v, i) => v !== mine[i]);
          assert.equal(at, -1, `invocation ${k}, '${t.name}': element ${at} is ${mine[at]}, TFLite gives ${t.data[at]}`);
          compared++;
        }
      }
      assert.equal(compared, 10 * g.ops.length);
    } finally {
      handle.dispose();
    }
  });
}

test('24 random LSTM graphs (writer -> TFLite interpreter): golden == interpreter over 4 invocations, both arithmetics', () => {
  for (let s = 0; s < 24; s++) {
    const c = randomLstm(s, 4);
    const bytes = writeTflite(c.graph);
    const handle = interp.prepare(bytes);
    const want = c.inputs.map((x) => handle.runTensors([x])[0]!.data);
    handle.dispose();
    for (const arith of ['tflite', 'tflm'] as const) {
      const got = golden.runSequence(c.graph, c.inputs.map((x) => [x]), { arith }).map((r) => r.outputs[0]!);
      got.forEach((y, k) => {
        const at = Array.from(want[k]!).findIndex((v, i) => v !== y[i]);
        assert.equal(at, -1, `graph ${s} (${c.desc}), ${arith}, invocation ${k}: element ${at} is ${y[at]}, TFLite gives ${want[k]![at]}`);
      });
    }
  }
});

test('the importer reads the writer\'s LSTM back: intermediates, clip, time-major, state tensors', () => {
  for (const s of [0, 1, 2, 3]) {
    const c = randomLstm(s, 1);
    const g = importTflite(writeTflite(c.graph), 'lstm.tflite');
    const a = c.graph.ops[0]!, b = g.ops[0]!;
    assert.equal(b.kind, 'unidirectional_sequence_lstm');
    if (a.kind !== 'unidirectional_sequence_lstm' || b.kind !== 'unidirectional_sequence_lstm') return;
    assert.deepEqual([b.hiddenScale, b.hiddenZeroPoint, b.cellClip, b.timeMajor], [a.hiddenScale, a.hiddenZeroPoint, a.cellClip, a.timeMajor]);
    assert.deepEqual(b.inputs.map((id) => id < 0), a.inputs.map((id) => id < 0));
    assert.deepEqual(g.tensors.filter((t) => t.variable).map((t) => t.dtype), ['int8', 'int16']);
  }
});
