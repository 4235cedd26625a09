// Seeded random single-op graphs of every op kind (shapes, strides, dilation, padding, groups, depth
// multipliers, broadcasting, activations, per-tensor/per-channel weights): the SIMD module equals the
// scalar one bit for bit, both equal the naive TypeScript reference (tests/runtime-wasm/reference.ts), and
// the tflm and tflite arithmetics agree on every op except conv2d and fully_connected. (The element-wise
// ops are compared with TFLite's interpreter and hand-computed values in oracle-unary / activations.test.ts,
// MEAN, SUM, RESIZE_BILINEAR and TRANSPOSE_CONV in oracle-extra / reduce-resize-tconv.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { GRAPH_KINDS, randomOpGraph } from './graphs.ts';
import { referenceOp } from './reference.ts';

const scalar = await GoldenRuntime.load({ simd: false });
const simd = await GoldenRuntime.load({ simd: true });
const SEEDS = 120;

const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => v === b[i]);

for (const kind of GRAPH_KINDS) {
  test(`${kind}: SIMD == scalar${kind === 'softmax' ? '' : ' == naive reference'} on ${SEEDS} random graphs, both arithmetics`, () => {
    for (let seed = 0; seed < SEEDS; seed++) {
      const { graph, inputs } = randomOpGraph(kind, seed);
      for (const arith of ['tflm', 'tflite'] as const) {
        const a = scalar.run(graph, inputs, { arith }).outputs[0];
        const b = simd.run(graph, inputs, { arith }).outputs[0];
        assert.ok(same(a, b), `${graph.name} ${arith}: SIMD differs from scalar`);
        if (kind !== 'softmax') {
          const vals = new Map(graph.inputs.map((id, i) => [id, inputs[i]] as const));
          assert.ok(same(a, referenceOp(graph, graph.ops[0], vals as Map<number, Int8Array>, arith)), `${graph.name} ${arith}: differs from the reference`);
        }
      }
    }
  });
}

// SUB and MUL compute their parameters differently in the two arithmetics too, but that shows on about one
// large model in a hundred (tests/runtime-wasm/oracle-binary.test.ts), not on these small graphs.
test('tflm and tflite agree on every op kind but conv2d / fully_connected, and differ on those', () => {
  const differing = new Map<string, number>();
  for (const kind of GRAPH_KINDS) {
    for (let seed = 0; seed < SEEDS; seed++) {
      const { graph, inputs } = randomOpGraph(kind, seed);
      const m = simd.run(graph, inputs, { arith: 'tflm' }).outputs[0];
      const l = simd.run(graph, inputs, { arith: 'tflite' }).outputs[0];
      if (!same(m, l)) differing.set(kind, (differing.get(kind) ?? 0) + 1);
    }
  }
  assert.deepEqual([...differing.keys()].sort(), ['conv2d', 'fully_connected']);
});

test('softmax is close to the float softmax (within 1 LSB) on random rows', () => {
  for (let seed = 0; seed < SEEDS; seed++) {
    const { graph, inputs } = randomOpGraph('softmax', seed);
    const out = simd.run(graph, inputs).outputs[0];
    const x = graph.tensors[graph.inputs[0]];
    const depth = x.shape[x.shape.length - 1];
    const op = graph.ops[0] as { beta: number };
    for (let r = 0; r < out.length / depth; r++) {
      const row = Array.from(inputs[0].slice(r * depth, (r + 1) * depth), (v) => v * x.quant!.scale[0] * op.beta);
      const mx = Math.max(...row);
      const e = row.map((v) => Math.exp(v - mx));
      const s = e.reduce((a, b) => a + b, 0);
      e.forEach((v, i) => {
        const want = Math.min(127, Math.round((v / s) * 256) - 128);
        assert.ok(Math.abs(out[r * depth + i] - want) <= 1, `${graph.name} row ${r} [${i}]: ${out[r * depth + i]} vs ${want}`);
      });
    }
  }
});

test('extreme output scales (left shifts, right shifts near 31): SIMD == scalar == reference', () => {
  let cases = 0;
  for (const kind of ['conv2d', 'depthwise_conv2d', 'fully_connected', 'shift_conv2d', 'add_conv2d'] as const) {
    for (let seed = 0; seed < 40; seed++) {
      const { graph, inputs } = randomOpGraph(kind, 5000 + seed);
      const y = graph.tensors[graph.ops[0].outputs[0]];
      // 1e-4: real multipliers above 1 (left shifts); 1e5..1e7: right shifts of 20..30 bits.
      const factor = [1e-4, 1e-2, 1e5, 1e7][seed % 4];
      y.quant = { ...y.quant!, scale: [y.quant!.scale[0] * factor] };
      for (const arith of ['tflm', 'tflite'] as const) {
        const a = scalar.run(graph, inputs, { arith }).outputs[0];
        const b = simd.run(graph, inputs, { arith }).outputs[0];
        const vals = new Map(graph.inputs.map((id, i) => [id, inputs[i]] as const));
        assert.ok(same(a, b), `${graph.name} x${factor} ${arith}: SIMD differs from scalar`);
        assert.ok(same(a, referenceOp(graph, graph.ops[0], vals as Map<number, Int8Array>, arith)), `${graph.name} x${factor} ${arith}: differs from the reference`);
        cases++;
      }
    }
  }
  assert.equal(cases, 400);
});
