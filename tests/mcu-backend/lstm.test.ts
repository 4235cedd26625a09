// UNIDIRECTIONAL_SEQUENCE_LSTM through the Cortex-M backend on the host (kernel-IR op 'lstm'; variants
// lstm.generic, lstm.dsp (SMLAD, here through runtime.h's portable intrinsics) and lstm.lut (lstm.dsp with the
// activations in flash tables); runtime.h's int16 fixed point), against the golden runtime with the state
// carried: the program runs the inputs in order without a reset (one sequence), the golden runtime likewise.
//   - runtime.h's tf_logistic16 / tf_tanh16 and the host's (compiler/quant/fixedpoint.ts, lstm.lut's tables)
//     equal the golden runtime's logistic16 / tanh16 on all 65,536 int16 inputs for 0..6 integer bits;
//   - the zoo's three LSTM models, 10 consecutive invocations, `tflite` arithmetic (mnist_lstm also `tflm`),
//     and 8 random single-op LSTM graphs over 4 invocations, each variant on some (helpers/lstm.ts);
//   - the kernel IR and the emitted C of one graph.
// QEMU M4: lstm-m4.test.ts. Under CI=true a missing model or tool fails; otherwise it is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { printKernelModule } from '../../compiler/kernel-ir/printer.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { logistic16, tanh16 } from '../../compiler/quant/fixedpoint.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { compileHost, emitDir, harnessDir, runHost } from '../../mcu-backend/harness/run.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { scratchDir } from '../helpers/paths.ts';
import { randomLstm } from '../helpers/random-lstm.ts';
import { lstmTests } from './helpers/lstm.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-lstm-host-');
const golden = await GoldenRuntime.load();

test('runtime.h tf_logistic16 / tf_tanh16 == golden logistic16 / tanh16 == compiler/quant on every int16 input (host)', (t) => {
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
        // The host's copy (compiler/quant/fixedpoint.ts: lstm.lut's tables) too.
        const host = fn ? tanh16(a, ib) : logistic16(a, ib);
        if (got !== want || host !== want) assert.fail(`${fn ? 'tanh' : 'logistic'} with ${ib} integer bits at ${a}: C ${got}, host ${host}, golden ${want}`);
      }
    }
  }
  // Spot values (Q0.15): logistic(0) = 1/2, logistic(+-8 in Q3.12) ~ 1 / 0, tanh(0) = 0.
  assert.deepEqual([ex.logistic16(0, 3), ex.logistic16(32767, 3) > 32700, ex.logistic16(-32768, 3) < 20, ex.tanh16(0, 3)], [16384, true, true, 0]);
});

lstmTests('host');

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
