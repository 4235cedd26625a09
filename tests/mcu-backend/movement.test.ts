// The data-movement operators through the whole Cortex-M path: the same random single-op graphs as the
// oracle test (tests/helpers/random-movement.ts; its first CASES seeds per operator, so 200 per family:
// pad/padv2, split/split_v, pack/unpack, expand_dims/squeeze), BATCH of them side by side in one graph,
// lowered (kernel `copy` / `resize_nearest` / aliasing `reshape`), emitted as C, compiled once and run on the
// host; every output equals the golden runtime's (which tests/runtime-wasm/movement.test.ts checks against
// TFLite's interpreter), and the kernel IR read literally (helpers/kmodule.ts evaluate) gives the same
// bytes. A sample of every operator also runs on QEMU Cortex-M4, and 40 random chains of them (the oracle
// test's networks) on the host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { numElements, type Graph } from '../../compiler/ir/graph.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { runModel } from '../../mcu-backend/runner.ts';
import type { RunOn } from '../../mcu-backend/harness/run.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { scratchDir } from '../helpers/paths.ts';
import { randomInputs } from '../helpers/random-ops.ts';
import { MOVEMENT_KINDS, mergeGraphs, randomMovementGraph, randomMovementNet, type MovementKind } from '../helpers/random-movement.ts';
import { evaluate } from './helpers/kmodule.ts';
import { needTools } from './helpers/tools.ts';

const CASES = 100;
const BATCH = 50;
const work = scratchDir('tinyforge-mcu-movement-');
const golden = GoldenRuntime.load();

const concat = (xs: Int8Array[]) => {
  const out = new Int8Array(xs.reduce((s, x) => s + x.length, 0));
  let at = 0;
  for (const x of xs) { out.set(x, at); at += x.length; }
  return out;
};

/** Runs `graph` through the pipeline and the C on `on`; returns the outputs that differ from the golden runtime's. */
async function check(graph: Graph, seed: number, on: RunOn): Promise<string[]> {
  const g = await golden;
  const inputs = randomInputs(graph, seed);
  const want = g.run(graph, inputs, { arith: 'tflite' }).outputs;
  const module = runPipeline(graph, { arith: 'tflite' });
  const em = emitModel(module, { cpu: 'm4', dsp: on === 'm4' });
  const run = runModel(em, [concat(inputs)], on, { workDir: join(work, `${graph.name}-${on}`) });
  const got = run.outputs[0]!;
  const bad: string[] = [];
  // the kernel IR evaluated literally
  const perOp = evaluate(module, concat(inputs));
  const valueOf = new Map<number, Int8Array>();
  module.ops.forEach((op, i) => valueOf.set(op.output, perOp[i]!));
  let at = 0;
  graph.outputs.forEach((id, k) => {
    const n = numElements(graph.tensors[id]!.shape);
    const c = got.subarray(at, at + n);
    const w = want[k]!;
    const op = graph.ops.find((o) => o.outputs.includes(id))!;
    if (c.length !== w.length || c.some((v, i) => v !== w[i])) bad.push(`${op.name} output '${graph.tensors[id]!.name}' (${on}): C differs from golden`);
    const e = valueOf.get(module.outputs[k]!);
    if (!e || e.length !== w.length || e.some((v, i) => v !== w[i])) bad.push(`${op.name} output '${graph.tensors[id]!.name}': kernel IR differs from golden`);
    at += n;
  });
  assert.equal(at, got.length, 'output bytes');
  return bad;
}

const batch = (kind: MovementKind, first: number, n: number) =>
  mergeGraphs(`mv_${kind}_${first}`, Array.from({ length: n }, (_, i) => randomMovementGraph(first + i, kind, { ellipsis: kind === 'strided_slice' }).graph));

MOVEMENT_KINDS.forEach((kind, i) => {
  test(`${kind}: ${CASES} random ops as Cortex-M C on the host equal the golden runtime`, async (t) => {
    if (!needTools(t, 'host')) return;
    const bad: string[] = [];
    for (let at = 0; at < CASES; at += BATCH) {
      const graph = batch(kind, 200_000 + 10_000 * i + at, BATCH);
      assert.equal(graph.ops.length, BATCH);
      bad.push(...await check(graph, 77 + i + at, 'host'));
    }
    assert.deepEqual(bad, [], `${bad.length} mismatches:\n${bad.slice(0, 12).join('\n')}`);
  });
});

test('every data-movement operator, 4 random ops each, on QEMU Cortex-M4 equals the golden runtime', async (t) => {
  if (!needTools(t, 'm4')) return;
  const graph = mergeGraphs('mv_all', MOVEMENT_KINDS.flatMap((kind, i) =>
    Array.from({ length: 4 }, (_, k) => randomMovementGraph(300_000 + 10_000 * i + k, kind, { ellipsis: true }).graph)));
  const bad = await check(graph, 5, 'm4');
  assert.deepEqual(bad, [], `${bad.length} mismatches:\n${bad.slice(0, 12).join('\n')}`);
});

test('40 random data-movement networks as Cortex-M C on the host equal the golden runtime', async (t) => {
  if (!needTools(t, 'host')) return;
  const graph = mergeGraphs('mv_nets', Array.from({ length: 40 }, (_, i) => randomMovementNet(700 + i)));
  const bad = await check(graph, 9, 'host');
  assert.deepEqual(bad, [], `${bad.length} mismatches:\n${bad.slice(0, 12).join('\n')}`);
});
