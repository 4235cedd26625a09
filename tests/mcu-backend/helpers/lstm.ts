// The Cortex-M LSTM checks shared by tests/mcu-backend/lstm.test.ts (host) and lstm-m4.test.ts (QEMU M4): a
// sequence of inputs through the C with the LSTM layers on one variant, against the golden runtime with one
// GoldenState; the zoo's three LSTM models over 10 invocations and random LSTM graphs over 4 (graph 101 has a
// projection layer: every variant runs it on the host, lstm.lut on QEMU M4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../../compiler/frontend/load.ts';
import type { Graph } from '../../../compiler/ir/graph.ts';
import type { Arith } from '../../../compiler/quant/multiplier.ts';
import { runPipeline } from '../../../compiler/passes/registry.ts';
import { mulberry32 } from '../../../compiler/rng.ts';
import { emitModel } from '../../../mcu-backend/emit/model.ts';
import { VARIANTS } from '../../../mcu-backend/emit/registry.ts';
import type { RunOn } from '../../../mcu-backend/harness/run.ts';
import { runModel } from '../../../mcu-backend/runner.ts';
import { GoldenRuntime, GoldenState } from '../../../runtime-wasm/host.ts';
import { scratchDir } from '../../helpers/paths.ts';
import { randomLstm } from '../../helpers/random-lstm.ts';
import { zooDir } from '../../helpers/zoo.ts';
import { needTools } from './tools.ts';

const ci = process.env.CI === 'true';
const work = scratchDir('tinyforge-lstm-');
const golden = await GoldenRuntime.load();
export const LSTM_ZOO = ['tflm-mnist_lstm_int8', 'tflm-dtln_noise_suppression', 'tflm-xtensa-micro_speech_lstm'];
const ZOO = LSTM_ZOO;

export type LstmVariant = 'lstm.generic' | 'lstm.dsp' | 'lstm.lut';

/** Runs `inputs` as one sequence through the C on `on` with the LSTM layers on `variant` and asserts every output
 *  equals the golden runtime's. */
function checkSequence(graph: Graph, inputs: Int8Array[], arith: Arith, on: RunOn, dir: string, what: string, variant: LstmVariant): void {
  const module = runPipeline(graph, { arith });
  const table = VARIANTS.filter((v) => v.kind !== 'lstm' || v.name === variant);
  const em = emitModel(module, { cpu: 'm4', dsp: on === 'm4' || variant !== 'lstm.generic' }, { table });
  assert.ok(em.stateBytes > 0, 'the model has recurrent state');
  assert.ok(em.layers.some((l) => l.variant === variant), `variant ${variant} chosen`);
  const run = runModel(em, inputs, on, { workDir: dir });
  const state = new GoldenState(graph);
  inputs.forEach((x, k) => {
    const want = golden.run(graph, [x], { arith, state }).outputs[0]!;
    const got = run.outputs[k]!;
    assert.equal(got.length, want.length);
    const at = Array.from(want).findIndex((v, i) => v !== got[i]);
    assert.equal(at, -1, `${what}, invocation ${k}: element ${at} is ${got[at]}, golden ${want[at]}`);
  });
}

/** Per zoo model, the variants each target runs (every variant somewhere; the DSP ones on the host through
 *  runtime.h's portable SMLAD, the DSP source compiled for the host). */
const ZOO_VARIANTS: Record<string, { host: readonly LstmVariant[]; m4: readonly LstmVariant[] }> = {
  'tflm-mnist_lstm_int8': { host: ['lstm.generic', 'lstm.lut'], m4: ['lstm.lut'] },
  'tflm-dtln_noise_suppression': { host: ['lstm.lut'], m4: ['lstm.lut'] },
  'tflm-xtensa-micro_speech_lstm': { host: ['lstm.generic', 'lstm.dsp', 'lstm.lut'], m4: ['lstm.lut', 'lstm.dsp'] },
};

export function lstmTests(on: RunOn): void {
  for (const name of ZOO) {
    const path = join(zooDir, `${name}.tflite`);
    const missing = existsSync(path) ? undefined : `${path} not found`;
    const variants = ZOO_VARIANTS[name]![on === 'm4' ? 'm4' : 'host'];
    test(`${name} on ${on}: C (tflite; ${variants.join(', ')}) == golden over 10 invocations`, { skip: missing && !ci ? missing : false }, (t) => {
      if (missing) assert.fail(missing);
      if (!needTools(t, on)) return;
      const graph = loadModel(path).graph;
      const rnd = mulberry32(77);
      const n = graph.tensors[graph.inputs[0]!]!.shape.reduce((a, b) => a * b, 1);
      const inputs = Array.from({ length: 10 }, () => Int8Array.from({ length: n }, () => Math.floor(rnd() * 256) - 128));
      for (const v of variants) checkSequence(graph, inputs, 'tflite', on, join(work, on, `${name}-${v}`), `${name} (${v})`, v);
      if (on === 'host' && name === ZOO[0]) checkSequence(graph, inputs, 'tflm', on, join(work, on, `${name}-tflm`), `${name} (tflm)`, 'lstm.lut');
    });
  }
  test(`random LSTM graphs on ${on}: C == golden over 4 invocations`, (t) => {
    if (!needTools(t, on)) return;
    const plan: Array<[number, LstmVariant]> = on === 'host'
      ? [0, 1, 2, 3, 4, 5].flatMap((s) => [[s, 'lstm.generic'], [s, 'lstm.dsp']] as Array<[number, LstmVariant]>).concat([[1, 'lstm.lut'], [6, 'lstm.lut'], [7, 'lstm.lut']])
      : [[0, 'lstm.dsp'], [1, 'lstm.lut'], [2, 'lstm.dsp']];
    for (const [s, v] of plan) {
      const c = randomLstm(100 + s, 4);
      checkSequence(c.graph, c.inputs, 'tflite', on, join(work, on, `rand${s}-${v}`), `graph ${100 + s} (${c.desc}, ${v})`, v);
    }
  });
}

