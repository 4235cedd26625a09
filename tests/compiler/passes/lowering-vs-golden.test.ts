// Lowering preserves meaning: every kernel op, evaluated naively from its kernel-IR fields on the golden
// runtime's own values of its inputs, must reproduce the golden runtime's value of its output exactly
// (the golden runtime executes the graph IR directly). Checked in both arithmetics on the all-ops YAML
// network, on random networks of the data-movement ops, and on the real models with one random input each.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { loadModel } from '../../../compiler/frontend/load.ts';
import { importTflite } from '../../../compiler/frontend/tflite/import.ts';
import { numElements, type Graph } from '../../../compiler/ir/graph.ts';
import type { Arith } from '../../../compiler/quant/multiplier.ts';
import { runPipeline } from '../../../compiler/passes/registry.ts';
import { GoldenRuntime } from '../../../runtime-wasm/host.ts';
import { MODELS, modelPath, repoRoot, type ModelKey } from '../../helpers/paths.ts';
import { evalKernelOp } from './kernel-eval.ts';
import { randomMovementNet } from '../../helpers/random-movement.ts';

let golden: GoldenRuntime;
before(async () => { golden = await GoldenRuntime.load({ simd: true }); });

function randomInput(n: number, seed: number): Int8Array {
  let s = seed >>> 0;
  return Int8Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s >>> 24) - 128;
  });
}

/** Returns the number of ops compared; fails on the first mismatching op. */
function check(graph: Graph, arith: Arith, seed: number): number {
  const inputs = graph.inputs.map((id, i) => randomInput(numElements(graph.tensors[id].shape), seed + i));
  const { tensors } = golden.run(graph, inputs, { arith, keepAll: true });
  const value = (id: number) => (tensors!.get(id) ?? inputs[graph.inputs.indexOf(id)]) as Int8Array; // int8 models
  const m = runPipeline(graph, { arith });
  let compared = 0;
  const firstOf = new Map<number, number>();
  for (const op of m.ops) if (!firstOf.has(op.sourceOp)) firstOf.set(op.sourceOp, op.index);
  for (const op of m.ops) {
    const gop = graph.ops[op.sourceOp];
    // a copy reads one input per region (CONCATENATION, PACK: all of them); SPLIT / UNPACK lower to one
    // kernel op per output, in order
    const n = op.kind === 'add' ? 2 : op.kind === 'copy' ? op.regions.length : 1;
    const ins = gop.inputs.slice(0, n).map(value);
    const got = evalKernelOp(m, op, ins);
    if (!got) continue;
    const want = value(gop.outputs[op.index - firstOf.get(op.sourceOp)!]);
    const firstDiff = got.findIndex((v, i) => v !== want[i]);
    assert.equal(firstDiff, -1, `${graph.name} ${arith} op ${op.index} ${op.kind} '${op.name}': element ${firstDiff} is ${got[firstDiff]}, golden ${want[firstDiff]}`);
    compared++;
  }
  return compared;
}

for (const arith of ['tflm', 'tflite'] as const) {
  test(`all-ops network, ${arith}: every kernel op matches the golden runtime`, () => {
    const { graph } = loadModel(join(repoRoot, 'tests/compiler/passes/fixtures/all-ops.yaml'));
    assert.equal(check(graph, arith, 1), 11); // 12 ops, softmax not evaluated
  });
}

test('40 random data-movement networks, both arithmetics: every kernel op matches the golden runtime', () => {
  let compared = 0;
  for (let seed = 700; seed < 740; seed++) {
    const graph = randomMovementNet(seed);
    for (const arith of ['tflm', 'tflite'] as const) compared += check(graph, arith, seed);
  }
  assert.ok(compared >= 2 * 40 * 4, `only ${compared} kernel ops compared`);
});

// The two largest models in tflm only (the naive evaluator takes ~1 s per arithmetic on them); the tflite
// rounding paths are covered by the other three and the all-ops network.
const ARITHS: Record<ModelKey, readonly Arith[]> = {
  kws: ['tflm', 'tflite'], vww: ['tflm'], resnet: ['tflm'], ad01: ['tflm', 'tflite'], str_ww: ['tflm', 'tflite'],
};
for (const key of Object.keys(MODELS) as ModelKey[]) {
  test(`${key}: every kernel op matches the golden runtime (${ARITHS[key].join(', ')})`, (t) => {
    const p = modelPath(key);
    if (!p) { t.skip('model absent'); return; }
    const graph = importTflite(new Uint8Array(readFileSync(p)), MODELS[key]);
    const softmaxes = graph.ops.filter((o) => o.kind === 'softmax').length;
    for (const arith of ARITHS[key]) assert.equal(check(graph, arith, 7), graph.ops.length - softmaxes);
  });
}
