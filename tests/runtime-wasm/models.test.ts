// The five real models end to end: the SIMD and scalar modules give identical bits on every tensor (both
// arithmetics), and in tflite mode every op output equals TFLite's own interpreter (XNNPACK off,
// runtime-wasm/oracle) on random inputs; tflm mode runs and differs from tflite only from a conv/FC on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter, withAllOutputs } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { loadModel } from '../../compiler/frontend/load.ts';
import { numElements, type Graph } from '../../compiler/ir/graph.ts';
import { MODELS, modelPath, repoRoot, type ModelKey } from '../helpers/paths.ts';
import { join } from 'node:path';
import { randI8, rng } from './graphs.ts';

const scalar = await GoldenRuntime.load({ simd: false });
const simd = await GoldenRuntime.load({ simd: true });
const tfl = await TfliteInterpreter.load();

const randomInputs = (g: Graph, seed: number) => {
  const r = rng(seed);
  return g.inputs.map((id) => randI8(r, numElements(g.tensors[id].shape)));
};
const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => v === b[i]);

for (const key of Object.keys(MODELS) as ModelKey[]) {
  const path = modelPath(key);
  test(`${key}: SIMD == scalar on every tensor, tflm and tflite`, { skip: path ? false : 'model missing' }, () => {
    const { graph } = loadModel(path!);
    const inputs = randomInputs(graph, 7);
    for (const arith of ['tflm', 'tflite'] as const) {
      const a = scalar.run(graph, inputs, { arith, keepAll: true });
      const b = simd.run(graph, inputs, { arith, keepAll: true });
      assert.equal(a.tensors!.size, graph.ops.length + graph.inputs.length);
      for (const [id, t] of a.tensors!) assert.ok(same(t, b.tensors!.get(id)!), `${arith}: tensor ${graph.tensors[id].name}`);
    }
  });

  test(`${key}: tflite mode equals TFLite's interpreter on every op output (3 random inputs)`, { skip: path ? false : 'model missing' }, () => {
    const { graph } = loadModel(path!);
    const all = withAllOutputs(new Uint8Array(readFileSync(path!)));
    const byName = new Map(graph.tensors.map((t) => [t.name, t.id]));
    for (let s = 0; s < 3; s++) {
      const inputs = randomInputs(graph, 100 + s);
      const want = tfl.runTensors(all, inputs);
      const got = simd.run(graph, inputs, { arith: 'tflite', keepAll: true });
      assert.equal(want.length, graph.ops.length);
      for (const w of want) {
        const g = got.tensors!.get(byName.get(w.name)!);
        assert.ok(g, `tensor ${w.name} missing from the golden run`);
        assert.ok(same(g, w.data as Int8Array), `input ${s}: tensor ${w.name} differs from TFLite`);
      }
      const m = simd.run(graph, inputs, { arith: 'tflm' });
      assert.equal(m.outputs[0].length, got.outputs[0].length);
    }
  });
}

test('configs/examples/primitives.yaml (grouped, shift and add convs, residual ADDs): SIMD == scalar on every tensor', () => {
  const { graph, config } = loadModel(join(repoRoot, 'configs', 'examples', 'primitives.yaml'));
  const kinds = new Set(graph.ops.map((o) => o.kind));
  for (const k of ['shift_conv2d', 'add_conv2d', 'add', 'depthwise_conv2d']) assert.ok(kinds.has(k as never), `network has a ${k}`);
  for (let s = 0; s < 3; s++) {
    const inputs = randomInputs(graph, 300 + s);
    for (const arith of ['tflm', 'tflite'] as const) {
      const a = scalar.run(graph, inputs, { arith, keepAll: true });
      const b = simd.run(graph, inputs, { arith, keepAll: true });
      for (const [id, t] of a.tensors!) assert.ok(same(t, b.tensors!.get(id)!), `${arith}: tensor ${graph.tensors[id].name}`);
    }
  }
  assert.equal(config?.arith, 'tflm');
});
