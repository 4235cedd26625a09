// SVDF through the Cortex-M backend: the random single-SVDF graphs of tests/runtime-wasm/oracle-svdf.test.ts
// (int16 state with int16 time weights, and int8 state with int8 time weights; scales that keep most values
// inside their ranges) merged into one graph per state type, lowered (kernel-IR `svdf` ops with `state`
// buffers), emitted as C (the state in the static <name>_state block, outside the arena), compiled once and
// run for INVOCATIONS consecutive invocations in one program on the host (gcc: svdf.generic, and svdf.dsp with
// runtime.h's portable intrinsics) and on QEMU Cortex-M4 (svdf.dsp, SMLAD); every invocation's outputs must equal the golden runtime's over the same sequence
// (one GoldenState), in both arithmetics; on the host also under AddressSanitizer and UndefinedBehaviorSanitizer.
// A mutant that never advances the ring must fail, so the sequence really exercises the state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Graph, Op, Tensor } from '../../compiler/ir/graph.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { runModel } from '../../mcu-backend/runner.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { scratchDir } from '../helpers/paths.ts';
import { randomSequence, randomSvdfGraph } from '../helpers/svdf.ts';
import { needTools } from './helpers/tools.ts';
import { SANITIZE_FLAGS } from './helpers/sanitize.ts';

const CASES = 12;
const INVOCATIONS = 8;
const work = scratchDir('tinyforge-mcu-svdf-');

function merge(graphs: Graph[], name: string): Graph {
  const tensors: Tensor[] = [], ops: Op[] = [], inputs: number[] = [], outputs: number[] = [];
  graphs.forEach((g, k) => {
    const base = tensors.length;
    for (const t of g.tensors) tensors.push({ ...t, id: base + t.id, name: `c${k}_${t.name}` });
    const re = (id: number) => (id < 0 ? id : base + id);
    for (const op of g.ops) ops.push({ ...op, name: `c${k}_${op.kind}`, inputs: op.inputs.map(re), outputs: op.outputs.map(re) } as Op);
    inputs.push(...g.inputs.map(re));
    outputs.push(...g.outputs.map(re));
  });
  return { name, tensors, ops, inputs, outputs };
}

const concat = (parts: ArrayLike<number>[]) => Int8Array.from(parts.flatMap((p) => Array.from(p)));

for (const state of ['int16', 'int8'] as const) {
  for (const on of ['host', 'm4'] as const) {
    test(`SVDF, ${state} state, ${CASES} random layers on ${on}: the C equals the golden runtime over ${INVOCATIONS} invocations`, async (t) => {
      if (!needTools(t, on)) return;
      const cases = Array.from({ length: CASES }, (_, i) => randomSvdfGraph((state === 'int16' ? 9100 : 9300) + i, state).graph);
      const graph = merge(cases, `svdf_${state}`);
      // One input per case per invocation, concatenated in case order.
      const perCase = cases.map((g, i) => randomSequence(g, INVOCATIONS, 500 + i));
      const seq = Array.from({ length: INVOCATIONS }, (_, k) => perCase.map((s) => s[k]!));
      const golden = await GoldenRuntime.load();
      for (const arith of on === 'host' ? (['tflm', 'tflite'] as const) : (['tflm'] as const)) {
        const module = runPipeline(graph, { arith });
        assert.equal(module.buffers.filter((b) => b.kind === 'state').length, CASES);
        const em = emitModel(module, { cpu: 'm4', dsp: on === 'm4' });
        const run = runModel(em, seq.map(concat), on, { workDir: join(work, `${state}-${on}-${arith}`) });
        const want = golden.runSequence(graph, seq, { arith }).map((r) => concat(r.outputs));
        run.outputs.forEach((o, k) => assert.deepEqual(Array.from(o), Array.from(want[k]!), `${arith}, invocation ${k}`));
        if (on === 'host') {
          // The DSP variant too, with runtime.h's portable SMLAD / SXTAB16 on the host.
          const dsp = emitModel(module, { cpu: 'm4', dsp: true });
          assert.ok(dsp.layers.filter((l) => l.variant === 'svdf.dsp').length >= CASES - 2);
          const r = runModel(dsp, seq.map(concat), on, { workDir: join(work, `${state}-host-dsp-${arith}`) });
          r.outputs.forEach((o, k) => assert.deepEqual(Array.from(o), Array.from(want[k]!), `svdf.dsp on the host, ${arith}, invocation ${k}`));
        }
        if (on === 'host' && arith === 'tflm') {
          const asan = runModel(em, seq.map(concat), on, { workDir: join(work, `${state}-asan`), host: { flags: SANITIZE_FLAGS } });
          asan.outputs.forEach((o, k) => assert.deepEqual(Array.from(o), Array.from(want[k]!), `ASan/UBSan build, invocation ${k}`));
          const mutant = { ...em, files: { ...em.files, source: em.files.source.replace(/(_head) = p;/g, '$1 = 0;') } };
          assert.notEqual(mutant.files.source, em.files.source);
          const bad = runModel(mutant, seq.map(concat), on, { workDir: join(work, `${state}-mutant`) });
          assert.ok(bad.outputs.some((o, k) => Array.from(o).join() !== Array.from(want[k]!).join()), 'a C kernel whose ring never advances goes unnoticed');
        }
      }
    });
  }
}
