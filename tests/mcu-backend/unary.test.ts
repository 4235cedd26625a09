// The element-wise activations and int8 QUANTIZE through the Cortex-M backend on the host: the random
// single-op graphs of the oracle test (tests/runtime-wasm/oracle-unary.test.ts, the first 50 seeds of each
// kind) merged into one
// graph per arithmetic (every op reads its own graph input), lowered (lut / prelu kernel ops, the lut tables
// computed by compiler/quant/unary.ts), emitted as C, compiled with host gcc once and run on three input
// sets; every op's output must equal the golden runtime's (which computes each op with its own
// AssemblyScript arithmetic, not with the tables) in the same arithmetic. A small sample also runs on QEMU
// Cortex-M4, in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { numElements, type Graph, type Op, type Tensor } from '../../compiler/ir/graph.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import type { Arith } from '../../compiler/quant/multiplier.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import type { MemorySchedule } from '../../mcu-backend/memory/plan.ts';
import { runModel } from '../../mcu-backend/runner.ts';
import type { RunOn } from '../../mcu-backend/harness/run.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { scratchDir } from '../helpers/paths.ts';
import { UNARY_OP_KINDS, describeOp, randomInputs, randomOpGraph, randomUnaryChain } from '../helpers/random-ops.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-mcu-unary-');
const PER_KIND = Number(process.env.UNARY_MCU_CASES ?? 50);
/** A small sample on QEMU Cortex-M4 (the first cases of each kind). */
const PER_KIND_M4 = 4;

/** Independent graphs side by side: tensors renumbered, inputs and outputs concatenated in case order. */
function mergeGraphs(cases: Array<{ graph: Graph }>): Graph {
  const tensors: Tensor[] = [];
  const ops: Op[] = [];
  const inputs: number[] = [];
  const outputs: number[] = [];
  cases.forEach((c, k) => {
    const base = tensors.length;
    for (const t of c.graph.tensors) tensors.push({ ...t, id: base + t.id, name: `c${k}_${t.name}` });
    const re = (id: number) => (id < 0 ? id : base + id);
    c.graph.ops.forEach((op, j) => ops.push({ ...op, name: `c${k}_${j}_${op.kind}`, inputs: op.inputs.map(re), outputs: op.outputs.map(re) } as Op));
    inputs.push(...c.graph.inputs.map(re));
    outputs.push(...c.graph.outputs.map(re));
  });
  return { name: 'unary_cases', tensors, ops, inputs, outputs };
}

function concat(parts: Int8Array[]): Int8Array {
  const out = new Int8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

async function check(arith: Arith, on: RunOn, perKind: number, memory: MemorySchedule): Promise<void> {
  {
    const cases = UNARY_OP_KINDS.flatMap((kind, k) => Array.from({ length: perKind }, (_, i) => randomOpGraph(200000 + 10000 * k + i, kind)));
    const graph = mergeGraphs(cases);
    const module = runPipeline(graph, { arith });
    assert.equal(module.ops.filter((o) => o.kind === 'lut').length, cases.filter((c) => c.kind !== 'prelu').length);
    assert.equal(module.ops.filter((o) => o.kind === 'prelu').length, cases.filter((c) => c.kind === 'prelu').length);
    const em = emitModel(module, { cpu: 'm4', dsp: true }, { memory });
    if (memory === 'auto') assert.ok(em.plan.inPlace.length > 0, 'some ops run in place');
    // Three input sets: the oracle test's inputs, their negation, and all -128 then all 127 halves.
    const sets = [
      cases.flatMap((c) => randomInputs(c.graph, c.seed)),
      cases.flatMap((c) => randomInputs(c.graph, c.seed).map((x) => x.map((v) => (v === -128 ? 127 : -v)))),
      cases.flatMap((c) => c.graph.inputs.map((id, j) => new Int8Array(numElements(c.graph.tensors[id]!.shape)).fill(j % 2 ? 127 : -128))),
    ];
    const run = runModel(em, sets.map(concat), on, { workDir: join(work, `${arith}-${on}`) });
    const golden = await GoldenRuntime.load();
    const mismatches: string[] = [];
    sets.forEach((inputs, s) => {
      const want = golden.run(graph, inputs, { arith }).outputs;
      let off = 0;
      want.forEach((w, k) => {
        const got = run.outputs[s]!.subarray(off, off + w.length);
        off += w.length;
        const i = w.findIndex((v, j) => v !== got[j]);
        if (i >= 0) mismatches.push(`input set ${s}, ${describeOp(cases[k]!)}: index ${i} golden ${w[i]} C ${got[i]}`);
      });
      assert.equal(off, run.outputs[s]!.length);
    });
    assert.deepEqual(mismatches, [], `${mismatches.length} mismatches:\n${mismatches.slice(0, 12).join('\n')}`);
  }
}

for (const arith of ['tflm', 'tflite'] as const) {
  test(`${UNARY_OP_KINDS.length} x ${PER_KIND} random element-wise ops: Cortex-M C on the host equals the golden runtime (${arith})`, async (t) => {
    // Whole tensors (the in-place search over hundreds of independent ops is slow; the M4 sample runs in place).
    if (needTools(t, 'host')) await check(arith, 'host', PER_KIND, 'whole');
  });
}
test(`${UNARY_OP_KINDS.length} x ${PER_KIND_M4} random element-wise ops on QEMU Cortex-M4 equal the golden runtime (tflm)`, async (t) => {
  if (needTools(t, 'm4')) await check('tflm', 'm4', PER_KIND_M4, 'auto');
});

// The oracle test's element-wise chains (after a conv2d half of the time), 20 per arithmetic, in place (the in-place search grows quickly with the op count).
for (const arith of ['tflm', 'tflite'] as const) {
  test(`20 random element-wise chains: Cortex-M C on the host equals the golden runtime (${arith})`, async (t) => {
    if (!needTools(t, 'host')) return;
    const chains = Array.from({ length: 20 }, (_, i) => ({ graph: randomUnaryChain(700 + i), seed: 700 + i }));
    const graph = mergeGraphs(chains);
    const module = runPipeline(graph, { arith });
    const em = emitModel(module, { cpu: 'm4', dsp: true });
    const inputs = chains.flatMap((c) => randomInputs(c.graph, c.seed));
    const run = runModel(em, [concat(inputs)], 'host', { workDir: join(work, `chains-${arith}`) });
    const want = concat((await GoldenRuntime.load()).run(graph, inputs, { arith }).outputs as Int8Array[]);
    const bad = Array.from(want).findIndex((v, i) => v !== run.outputs[0]![i]);
    assert.equal(bad, -1, `first difference at output byte ${bad}`);
    assert.equal(run.outputs[0]!.length, want.length);
  });
}
