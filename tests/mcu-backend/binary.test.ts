// The element-wise binary ops through the Cortex-M backend: the random single-op graphs of the oracle test
// (tests/helpers/random-ops.ts: ranks 1-6, broadcasting, constant operands, activations), CASES per op and
// arithmetic merged into one model, lowered, emitted as C (the generic variants) and
// compiled for the host (all ops of one arithmetic in one program, one gcc run): every output equals the
// golden runtime's on 2 random inputs, and the kernel IR evaluated naively from its fields
// (helpers/kmodule.ts) equals the golden runtime too. In-place execution on a smaller set; a few on QEMU M4 and M3.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Graph } from '../../compiler/ir/graph.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { BINARY_OP_KINDS, randomElementwiseNet, randomOpGraph } from '../helpers/random-ops.ts';
import { scratchDir } from '../helpers/paths.ts';
import { GENERIC } from './helpers/generic.ts';
import { evaluate } from './helpers/kmodule.ts';
import { needTools } from './helpers/tools.ts';

const CASES = 50;
const work = scratchDir('tinyforge-mcu-binary-');
const golden = GoldenRuntime.load();

/** Independent graphs side by side in one graph: inputs and outputs concatenated in order. */
export function mergeGraphs(name: string, graphs: Graph[]): Graph {
  const out: Graph = { name, tensors: [], ops: [], inputs: [], outputs: [] };
  graphs.forEach((g, i) => {
    const base = out.tensors.length;
    for (const t of g.tensors) out.tensors.push({ ...t, id: t.id + base, name: `c${i}_${t.name}` });
    for (const op of g.ops) out.ops.push({ ...op, name: `c${i}_${op.name ?? op.kind}`, inputs: op.inputs.map((t) => (t < 0 ? t : t + base)), outputs: op.outputs.map((t) => t + base) } as typeof op);
    out.inputs.push(...g.inputs.map((t) => t + base));
    out.outputs.push(...g.outputs.map((t) => t + base));
  });
  return out;
}

/** `count` random graphs of each kind in `kinds`, merged; seeds seed0 + 1000 * (kind index) + i. */
function casesOf(name: string, kinds: readonly (typeof BINARY_OP_KINDS)[number][], count: number, seed0: number): Graph {
  return mergeGraphs(name, kinds.flatMap((kind) =>
    Array.from({ length: count }, (_, i) => randomOpGraph(seed0 + 1000 * BINARY_OP_KINDS.indexOf(kind) + i, kind, { maxRank: 6 }).graph)));
}

const inputBytes = (g: Graph) => g.inputs.reduce((s, id) => s + g.tensors[id]!.shape.reduce((a, b) => a * b, 1), 0);

// Two programs per arithmetic (the memory planner and gcc grow faster than linearly with the op count).
// The tflite arithmetic runs the first CASES graphs of tests/runtime-wasm/oracle-binary.test.ts (its seeds).
const HALVES = [BINARY_OP_KINDS.slice(0, 3), BINARY_OP_KINDS.slice(3)] as const;
for (const arith of ['tflm', 'tflite'] as const) for (const kinds of HALVES) {
  test(`${CASES} random graphs of each of ${kinds.join(', ')} as Cortex-M C on the host equal the golden runtime, and so does the kernel IR (${arith})`, async (t) => {
    if (!needTools(t, 'host')) return;
    const g0 = await golden;
    const graph = casesOf(`bin_${arith}_${kinds[0]}`, kinds, CASES, arith === 'tflite' ? 200000 : 300000);
    const module = runPipeline(graph, { arith });
    // ADD of rank <= 4 without a constant keeps the `add` kernel op; every other case is `binary`.
    const binaryOps = module.ops.filter((o) => o.kind === 'binary').length;
    const total = kinds.length * CASES;
    if (kinds.includes('add' as never)) assert.ok(binaryOps > total - CASES + 10 && binaryOps < total - 10, `${binaryOps} binary kernel ops`);
    else assert.equal(binaryOps, total);
    assert.ok(module.ops.some((o) => o.kind === 'binary' && o.constOperand), 'no constant operand lowered');
    const inputs = randomInputs(inputBytes(graph), 2, arith === 'tflm' ? 31 : 32);
    // The kernel IR evaluated from its fields equals the golden runtime's op outputs.
    const x = inputs[0]!;
    let off = 0;
    const parts = graph.inputs.map((id) => { const n = graph.tensors[id]!.shape.reduce((a, b) => a * b, 1); const p = x.subarray(off, off + n); off += n; return p; });
    const keep = g0.run(graph, parts, { arith, keepAll: true }).tensors!;
    const evals = evaluate(module, x);
    module.ops.forEach((op, i) => {
      const want = keep.get(graph.ops[op.sourceOp]!.outputs[0]!)!;
      assert.deepEqual(Array.from(evals[i]!), Array.from(want), `${arith} ${op.name}: kernel IR evaluation differs from the golden runtime`);
    });
    // Whole-tensor memory plan (in place is covered below).
    const em = emitModel(module, { cpu: 'm4', dsp: false }, { table: GENERIC, memory: 'whole' });
    const v = await verifyMcu(graph, module, em, 'host', { inputs, workDir: join(work, `${arith}-${kinds[0]}`), golden: g0 });
    assert.ok(v.ok, `${arith}: ${JSON.stringify(v.results.map((r) => r.firstLayer ?? r))}`);
  });
}

test('binary ops run in place over a same-shape input they read last (host, tflm, 10 graphs per op)', async (t) => {
  if (!needTools(t, 'host')) return;
  const g0 = await golden;
  const graph = casesOf('bin_inplace', BINARY_OP_KINDS, 10, 320000);
  const module = runPipeline(graph, { arith: 'tflm' });
  const em = emitModel(module, { cpu: 'm4', dsp: false }, { table: GENERIC });
  const inPlace = em.memory.inPlace.filter((ip) => module.ops[ip.op]!.kind === 'binary').length;
  assert.ok(inPlace >= 15, `${inPlace} binary ops in place`);
  const v = await verifyMcu(graph, module, em, 'host', { inputs: randomInputs(inputBytes(graph), 2, 41), workDir: join(work, 'inplace'), golden: g0 });
  assert.ok(v.ok, JSON.stringify(v.results));
});

test('element-wise binary ops on QEMU Cortex-M4 (whole variant table; and decoupled access-execute) and M3: 8 random graphs per op in one program (tflm)', async (t) => {
  if (!needTools(t, 'm4')) return;
  const g0 = await golden;
  const graph = casesOf('bin_m4', BINARY_OP_KINDS, 8, 310000);
  const module = runPipeline(graph, { arith: 'tflm' });
  for (const [on, dae] of [['m4', false], ['m4', true], ['m3', false]] as const) {
    // DAE: a constant operand is staged to SRAM like any layer's constants (mcu-backend/emit/dae.ts).
    const em = emitModel(module, { cpu: on, dsp: on === 'm4' }, { dae });
    if (dae) assert.ok(em.layers.some((l) => l.kind === 'binary' && l.dae), 'no binary layer decoupled');
    const v = await verifyMcu(graph, module, em, on, { inputs: randomInputs(inputBytes(graph), 1, 77), workDir: join(work, `${on}${dae ? '-dae' : ''}`), golden: g0 });
    assert.ok(v.ok, `${on}${dae ? ' dae' : ''}: ${JSON.stringify(v.results)}`);
  }
});

test('random element-wise networks (hard-swish, clip, gates, mean subtraction, squared distance) as Cortex-M C on the host equal the golden runtime (tflm: 20, tflite: all 30, 1-channel CONV_2D layers included: the gcc 12 workaround in runtime.h)', async (t) => {
  if (!needTools(t, 'host')) return;
  const g0 = await golden;
  const nets = Array.from({ length: 30 }, (_, i) => randomElementwiseNet(1 + i));
  for (const arith of ['tflm', 'tflite'] as const) {
    const chosen = arith === 'tflm' ? nets.slice(0, 20) : nets;
    const graph = mergeGraphs(`bin_nets_${arith}`, chosen);
    const module = runPipeline(graph, { arith });
    assert.ok(module.ops.some((o) => o.kind === 'binary' && o.constOperand) && module.ops.some((o) => o.kind === 'conv2d'));
    const em = emitModel(module, { cpu: 'm4', dsp: false }, { table: GENERIC });
    const v = await verifyMcu(graph, module, em, 'host', { inputs: randomInputs(inputBytes(graph), 2, 55), workDir: join(work, `nets-${arith}`), golden: g0 });
    assert.ok(v.ok, `${arith}: ${JSON.stringify(v.results.map((r) => r.firstLayer ?? r))}`);
  }
});
