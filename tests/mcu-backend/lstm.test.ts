// UNIDIRECTIONAL_SEQUENCE_LSTM through the Cortex-M backend (kernel-IR op 'lstm', variants lstm.generic and
// lstm.dsp (SMLAD; on the host through runtime.h's portable intrinsics), runtime.h's int16 fixed point), against the golden runtime, with the state carried: the program runs the
// inputs in order without a reset (one sequence), the golden runtime likewise with one GoldenState.
//   - runtime.h's tf_logistic16 / tf_tanh16 equal the golden runtime's logistic16 / tanh16 on all 65,536 int16
//     inputs for every integer-bit count the LSTM uses (logistic 0..6, tanh 0..6), on the host;
//   - the zoo's three LSTM models, 10 consecutive invocations, `tflite` arithmetic, on the host and QEMU M4
//     (and mnist_lstm also in `tflm`, on the host);
//   - random single-op LSTM graphs (tests/helpers/random-lstm.ts), 4 invocations: 8 on the host, 3 on QEMU M4.
// Under CI=true a missing model or tool fails; otherwise it is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../compiler/frontend/load.ts';
import type { Graph } from '../../compiler/ir/graph.ts';
import { printKernelModule } from '../../compiler/kernel-ir/printer.ts';
import type { Arith } from '../../compiler/quant/multiplier.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { mulberry32 } from '../../compiler/rng.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { compileHost, emitDir, harnessDir, runHost, type RunOn } from '../../mcu-backend/harness/run.ts';
import { runModel } from '../../mcu-backend/runner.ts';
import { GoldenRuntime, GoldenState } from '../../runtime-wasm/host.ts';
import { scratchDir } from '../helpers/paths.ts';
import { randomLstm } from '../helpers/random-lstm.ts';
import { zooDir } from '../helpers/zoo.ts';
import { needTools } from './helpers/tools.ts';

const ci = process.env.CI === 'true';
const work = scratchDir('tinyforge-lstm-');
const golden = await GoldenRuntime.load();
const ZOO = ['tflm-mnist_lstm_int8', 'tflm-dtln_noise_suppression', 'tflm-xtensa-micro_speech_lstm'];

/** Runs `inputs` as one sequence through the C on `on` and asserts every output equals the golden runtime's. */
function checkSequence(graph: Graph, inputs: Int8Array[], arith: Arith, on: RunOn, dir: string, what: string, dsp = on === 'm4'): void {
  const module = runPipeline(graph, { arith });
  const em = emitModel(module, { cpu: 'm4', dsp });
  assert.ok(em.stateBytes > 0, 'the model has recurrent state');
  assert.ok(em.layers.some((l) => l.variant === (dsp ? 'lstm.dsp' : 'lstm.generic')), `variant ${dsp ? 'lstm.dsp' : 'lstm.generic'} chosen`);
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

test('runtime.h tf_logistic16 / tf_tanh16 == golden logistic16 / tanh16 on every int16 input (host)', (t) => {
  if (!needTools(t, 'host')) return;
  const dir = join(work, 'act');
  const src = join(scratchDir('tinyforge-lstm-act-'), 'act.c');
  writeFileSync(src, `#include <stdio.h>
#include "runtime.h"
int main(void)
{
  for (int fn = 0; fn < 2; fn++)
    for (int ib = 0; ib <= 6; ib++) {
      for (int32_t a = -32768; a <= 32767; a++) printf("%04x", (unsigned)(uint16_t)(fn ? tf_tanh16(a, ib) : tf_logistic16(a, ib)));
      printf("\\n");
    }
  return 0;
}
`);
  compileHost({ sources: [src], includeDirs: [emitDir, harnessDir] }, `${dir}-host`, { simd: false });
  const r = runHost(`${dir}-host`, 30_000);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 14);
  const ex = golden.ex;
  for (let fn = 0; fn < 2; fn++) {
    for (let ib = 0; ib <= 6; ib++) {
      const line = lines[fn * 7 + ib]!;
      for (let a = -32768; a <= 32767; a++) {
        const got = (parseInt(line.substr((a + 32768) * 4, 4), 16) << 16) >> 16;
        const want = fn ? ex.tanh16(a, ib) : ex.logistic16(a, ib);
        if (got !== want) assert.fail(`${fn ? 'tanh' : 'logistic'} with ${ib} integer bits at ${a}: C ${got}, golden ${want}`);
      }
    }
  }
  // Spot values (Q0.15): logistic(0) = 1/2, logistic(+-8 in Q3.12) ~ 1 / 0, tanh(0) = 0.
  assert.deepEqual([ex.logistic16(0, 3), ex.logistic16(32767, 3) > 32700, ex.logistic16(-32768, 3) < 20, ex.tanh16(0, 3)], [16384, true, true, 0]);
});

for (const on of ['host', 'm4'] as const) {
  for (const name of ZOO) {
    const path = join(zooDir, `${name}.tflite`);
    const missing = existsSync(path) ? undefined : `${path} not found`;
    test(`${name} on ${on}: C (tflite) == golden over 10 invocations`, { skip: missing && !ci ? missing : false }, (t) => {
      if (missing) assert.fail(missing);
      if (!needTools(t, on)) return;
      const graph = loadModel(path).graph;
      const rnd = mulberry32(77);
      const n = graph.tensors[graph.inputs[0]!]!.shape.reduce((a, b) => a * b, 1);
      const inputs = Array.from({ length: 10 }, () => Int8Array.from({ length: n }, () => Math.floor(rnd() * 256) - 128));
      checkSequence(graph, inputs, 'tflite', on, join(work, on, name), name);
      // The host also runs lstm.dsp (runtime.h's portable SMLAD: the DSP source on the host).
      if (on === 'host') checkSequence(graph, inputs, 'tflite', on, join(work, on, `${name}-dsp`), `${name} (lstm.dsp)`, true);
      if (on === 'host' && name === ZOO[0]) checkSequence(graph, inputs, 'tflm', on, join(work, on, `${name}-tflm`), `${name} (tflm)`);
    });
  }
  test(`random LSTM graphs on ${on}: C == golden over 4 invocations`, (t) => {
    if (!needTools(t, on)) return;
    for (let s = 0; s < (on === 'host' ? 8 : 3); s++) {
      const c = randomLstm(100 + s, 4);
      checkSequence(c.graph, c.inputs, 'tflite', on, join(work, on, `rand${s}`), `graph ${100 + s} (${c.desc})`);
      if (on === 'host') checkSequence(c.graph, c.inputs, 'tflite', on, join(work, on, `rand${s}-dsp`), `graph ${100 + s} (${c.desc}, lstm.dsp)`, true);
    }
  });
}

test('kernel IR: one lstm op reading the two state buffers; the C keeps them in the static state block', () => {
  const c = randomLstm(5, 1);
  const module = runPipeline(c.graph, { arith: 'tflm' });
  assert.deepEqual(module.ops.map((o) => o.kind), ['lstm']);
  const op = module.ops[0]!;
  assert.deepEqual(op.inputs.slice(1).map((b) => [module.buffers[b]!.kind, module.buffers[b]!.dtype]), [['state', 'int8'], ['state', 'int16']]);
  assert.match(printKernelModule(module), /op 0 lstm "lstm" .*\n +batches=1 steps=1 in=18 cell=5 out=5 cellScale=2\^-10 cellClip=0 hidden=/);
  assert.match(printKernelModule(module), /input: none \(CIFG\)/);
  const em = emitModel(module, { cpu: 'm4', dsp: false });
  assert.equal(em.stateBytes, 8 + 16);
  assert.match(em.files.source, /tf_lstm_gate\(xp, hp, /);
  // DSP: int16 weights with rows padded to even length (18 inputs, 5 cells -> 6), one SMLAD per gate and x pair.
  const dsp = emitModel(module, { cpu: 'm4', dsp: true });
  assert.match(dsp.files.source, /static const int16_t lstm_5_l0_r1\[30\]/);
  assert.match(dsp.files.source, /a1 = __smlad\(v, tf_read32\(lstm_5_l0_w1 \+ ow \+ j\), a1\);/);
});
