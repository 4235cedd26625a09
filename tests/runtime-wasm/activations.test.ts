// The element-wise activations and int8 QUANTIZE against hand-computed values, in both arithmetics, on the
// golden runtime (its AssemblyScript kernels) and on the host tables the Cortex-M backend uses
// (compiler/quant/unary.ts unaryTable): where TFLite Micro's kernels differ from desktop TFLite's (RELU6's
// plain clamp, TANH's fixed output scale, LOGISTIC / TANH fixed point, PRELU's double multipliers), and the
// integers of each op's Prepare. Expected values are worked out by hand in the comments (real arithmetic,
// rounded half away from zero, at points far from a rounding boundary unless a rounding rule is the point).
// Plus the TFLite round trip of every new kind (writer -> importer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTflite } from '../../compiler/frontend/tflite/import.ts';
import { writeTflite } from '../../compiler/frontend/tflite/writer.ts';
import type { Graph, Op, Tensor } from '../../compiler/ir/graph.ts';
import type { Arith } from '../../compiler/quant/multiplier.ts';
import type { OpAttrs } from '../../compiler/ops/op-def.ts';
import { expf, tanhf } from '../../compiler/quant/libm.ts';
import { preluParams, unaryParams, unaryTable } from '../../compiler/quant/unary.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { UNARY_OP_KINDS, describeOp, randomOpGraph } from '../helpers/random-ops.ts';

const golden = GoldenRuntime.load({ simd: true });

/** x -> op -> y, one input of `values.length` elements. */
function single(op: OpAttrs, inQ: [number, number], outQ: [number, number], n: number, alpha?: { shape: number[]; q: [number, number]; data: number[] }): Graph {
  const tensors: Tensor[] = [
    { id: 0, name: 'x', shape: [1, n], dtype: 'int8', quant: { scale: [Math.fround(inQ[0])], zeroPoint: [inQ[1]] } },
    { id: 1, name: 'y', shape: [1, n], dtype: 'int8', quant: { scale: [Math.fround(outQ[0])], zeroPoint: [outQ[1]] } },
  ];
  const inputs = [0];
  if (alpha) {
    tensors.push({ id: 2, name: 'alpha', shape: alpha.shape, dtype: 'int8', quant: { scale: [Math.fround(alpha.q[0])], zeroPoint: [alpha.q[1]] }, data: Int8Array.from(alpha.data) });
    inputs.push(2);
  }
  return { name: 'one', tensors, ops: [{ ...op, name: op.kind, inputs, outputs: [1] } as Op], inputs: [0], outputs: [1] };
}

/** Golden runtime and host table outputs for `xs` in `arith`. */
async function both(g: Graph, xs: number[], arith: Arith): Promise<{ golden: number[]; table: number[] }> {
  const out = (await golden).run(g, [Int8Array.from(xs)], { arith }).outputs[0]!;
  const op = g.ops[0]!;
  const table = op.kind === 'prelu' ? [] : Array.from(xs, (v) => unaryTable(g, op, arith)[v & 0xff]!);
  return { golden: Array.from(out), table };
}

async function expect(g: Graph, xs: number[], arith: Arith, want: number[]): Promise<void> {
  const r = await both(g, xs, arith);
  assert.deepEqual(r.golden, want, `${g.ops[0]!.kind} ${arith}: golden runtime`);
  if (r.table.length) assert.deepEqual(r.table, want, `${g.ops[0]!.kind} ${arith}: host table`);
}

test('logistic: TFLite Micro Q4 parameters and outputs (input scale 1/16)', async () => {
  const g = single({ kind: 'logistic' }, [1 / 16, 0], [1 / 256, -128], 8);
  // s_in * 2^27 = 2^23 = 0.5 * 2^24: multiplier 2^30, shift 24; radius floor(15 * 2^27 / 2^24) = 120.
  assert.deepEqual(unaryParams(g, g.ops[0]!, 'tflm'), { type: 'logistic_fx', inZp: 0, radius: 120, mult: 2 ** 30, shift: 24 });
  // x = 0, 1, -1, 3 (x / 16): 256 * sigmoid = 128, 187.15, 68.85, 243.86 -> minus 128: 0, 59, -59, 116;
  // 7.4375 -> 255.85 -> 256 -> 127; |x| >= radius 120 saturates.
  const xs = [0, 16, -16, 48, 119, 120, -120, -128];
  const want = [0, 59, -59, 116, 127, 127, -128, -128];
  for (const arith of ['tflm', 'tflite'] as const) await expect(g, xs, arith, want);
});

test('logistic: fixed point (tflm) and the float32 table (tflite) part at a value 4e-6 below a rounding tie', async () => {
  // s_in = 0.15927833 (float32), zp -16, x = 13: real input float32(0.15927833 * 29) = 4.6190715; 256 sigmoid =
  // 253.4999960 exactly -> 253 -> 125 (TFLite Micro's Q31 fixed point resolves it); float32 1/(1+expf(-x)) =
  // 0.9902344 = 253.5 / 256 exactly -> rounds half away to 254 -> 126 (desktop TFLite's table).
  const g = single({ kind: 'logistic' }, [0.15927833318710327, -16], [1 / 256, -128], 1);
  await expect(g, [13], 'tflm', [125]);
  await expect(g, [13], 'tflite', [126]);
});

test('tanh: TFLite Micro writes scale 1/128, zero point 0 whatever the output tensor says; TFLite honours it', async () => {
  const g = single({ kind: 'tanh' }, [1 / 16, 0], [1 / 64, 10], 7);
  const xs = [0, 16, -16, 8, 32, 119, -125];
  // tanh(0, 1, -1, 0.5, 2, 7.4375, -7.8125) = 0, .76159, -.76159, .46212, .96403, ~1, ~-1.
  // tflm: x 128 -> 0, 97.48, -97.48, 59.15, 123.40, 128 (clamp 127), radius 120 -> -128.
  await expect(g, xs, 'tflm', [0, 97, -97, 59, 123, 127, -128]);
  // tflite: 10 + x 64 -> 10, 58.74, -38.74, 39.58, 71.70, 74, -54.
  await expect(g, xs, 'tflite', [10, 59, -39, 40, 72, 74, -54]);
});

test('relu6: TFLite Micro clamps the input bytes, TFLite rescales to the output', async () => {
  const g = single({ kind: 'relu6' }, [0.05, -10], [0.1, 5], 7);
  const xs = [-128, -10, 0, 50, 100, 110, 127];
  // tflm: six = -10 + round(6 / 0.05) = 110; clamp to [-10, 110].
  await expect(g, xs, 'tflm', [-10, -10, 0, 50, 100, 110, 110]);
  // tflite: 5 + (x + 10) / 2 (68.5 rounds to 69), clamped to [5, 5 + 60].
  await expect(g, xs, 'tflite', [5, 5, 10, 35, 60, 65, 65]);
});

test('relu and relu_n1_to_1 rescale and clamp the same in both arithmetics', async () => {
  const g = single({ kind: 'relu' }, [0.1, -20], [0.05, -128], 6);
  // -128 + 2 (x + 20), clamped at the quantised 0 (-128).
  for (const arith of ['tflm', 'tflite'] as const) await expect(g, [-30, -20, 0, 50, 100, 127], arith, [-128, -128, -88, 12, 112, 127]);
  const h = single({ kind: 'relu_n1_to_1' }, [0.02, 0], [0.01, 3], 5);
  // 3 + 2x clamped to [3 - 100, 3 + 100].
  for (const arith of ['tflm', 'tflite'] as const) await expect(h, [-128, -50, -1, 10, 60], arith, [-97, -97, 1, 23, 103]);
});

test('leaky_relu: identity and alpha multipliers, rounding half away from zero', async () => {
  const g = single({ kind: 'leaky_relu', alpha: 0.125 }, [0.5, 0], [0.25, 0], 9);
  // x >= 0: 2x (64 -> 128 clamps); x < 0: x / 4: -32, -1.25, -1.5 -> -2, -0.75 -> -1, -0.5 -> -1.
  for (const arith of ['tflm', 'tflite'] as const) await expect(g, [-128, -5, -6, -3, -2, 0, 3, 63, 64], arith, [-32, -1, -2, -1, -1, 0, 6, 126, 127]);
  const n = single({ kind: 'leaky_relu', alpha: -0.5 }, [0.5, 0], [0.25, 0], 3);
  // Negative alpha: x < 0 -> -x (a negative multiplier).
  for (const arith of ['tflm', 'tflite'] as const) await expect(n, [-100, -1, 10], arith, [100, 1, 20]);
});

test('hard_swish: TFLite\'s int16 fixed point (input scale 1/16, output 1/64)', async () => {
  const g = single({ kind: 'hard_swish' }, [1 / 16, 0], [1 / 64, 0], 5);
  // Output multiplier (1/16/128) / (1/64) = 2^-5 -> (2^30, -4) -> int16 16384; reluish multiplier
  // (1/2048) / (3/32768) = 16/3 -> float 5.3333335 -> (1431655808, 3) -> int16 21845.
  assert.deepEqual(unaryParams(g, g.ops[0]!, 'tflite'), { type: 'hard_swish', inZp: 0, outZp: 0, outMult16: 16384, outExp: -4, reluishMult16: 21845, reluishExp: 3 });
  // hard_swish(0, 2, -3, 4, -1) x 64 = 0, 106.67, 0, 256 (clamp 127), -21.33.
  for (const arith of ['tflm', 'tflite'] as const) await expect(g, [0, 32, -48, 64, -16], arith, [0, 107, 0, 127, -21]);
});

test('quantize int8 -> int8: (x - 3) * 2 - 2, saturating', async () => {
  const g = single({ kind: 'quantize' }, [0.5, 3], [0.25, -2], 4);
  for (const arith of ['tflm', 'tflite'] as const) await expect(g, [-128, 3, 10, 70], arith, [-128, -2, 12, 127]);
});

test('prelu: TFLite Micro computes the multipliers in double, TFLite in float32', async () => {
  const g = single({ kind: 'prelu' }, [3, 0], [7, 0], 2, { shape: [1], q: [0.75, 0], data: [1] });
  // 3 / 7 = 0.857142857... x 2^-1: Q31 mantissa 1840700269.7 -> 1840700270 (double); float32 3/7 =
  // 0.42857143 -> 1840700288. 3 x 0.75 / 7: 1380525201.7 -> 1380525202 (double), 1380525184 (float).
  assert.deepEqual(preluParams(g, g.ops[0]!, 'tflm'), { inputOffset: -0, alphaOffset: -0, outputOffset: 0, mult1: 1840700270, shift1: -1, mult2: 1380525202, shift2: -1 });
  assert.deepEqual(preluParams(g, g.ops[0]!, 'tflite'), { inputOffset: -0, alphaOffset: -0, outputOffset: 0, mult1: 1840700288, shift1: -1, mult2: 1380525184, shift2: -1 });
  // Per-channel alpha (2 channels, values 1.0 and 0.25 at scale 0.25), input/output scale 0.5, zero point 0:
  // x >= 0 -> x; x < 0 -> x * alpha: -100 -> -100 and -25, -3 -> -3 and -0.75 -> -1.
  const h: Graph = single({ kind: 'prelu' }, [0.5, 0], [0.5, 0], 4, { shape: [2], q: [0.25, 0], data: [4, 1] });
  h.tensors[0]!.shape = [1, 2, 2];
  h.tensors[1]!.shape = [1, 2, 2];
  for (const arith of ['tflm', 'tflite'] as const) assert.deepEqual(Array.from((await golden).run(h, [Int8Array.from([-100, -100, -3, -3])], { arith }).outputs[0]!), [-100, -25, -3, -1]);
  // Lowered: one prelu kernel op with alpha as a constant.
  const m = runPipeline(h, { arith: 'tflm' });
  assert.deepEqual(m.ops.map((o) => o.kind), ['prelu']);
});

test('musl expf / tanhf on the host: known values and the table arithmetic', () => {
  assert.equal(expf(0), 1);
  assert.equal(expf(1), Math.fround(Math.E));
  assert.equal(tanhf(0), 0);
  assert.equal(tanhf(20), 1);
  // musl's tanhf is not correctly rounded: tanh(0.5) = 0.4621171572... lies nearer 0.46211716533 (float), musl
  // returns the neighbour below (as AssemblyScript's port does; the oracle test compares the tables).
  assert.equal(tanhf(-0.5), -0.46211713552474976);
  // Within one float32 ulp (expf) and two (tanhf, via expm1f) of the exact values across the tables' range.
  for (let x = -12; x <= 12; x += 0.0371) {
    const ulp = (v: number) => Math.abs(Math.fround(v) - Math.fround(v * (1 + 2 ** -23))) || 2 ** -149;
    assert.ok(Math.abs(expf(x) - Math.exp(Math.fround(x))) <= ulp(Math.exp(Math.fround(x))), `expf(${x})`);
    assert.ok(Math.abs(tanhf(x) - Math.tanh(Math.fround(x))) <= 2 * ulp(Math.tanh(Math.fround(x))), `tanhf(${x})`);
  }
});

test('every new kind survives the .tflite writer and importer (kind, alpha, operands)', () => {
  const kinds: OpAttrs[] = [
    { kind: 'relu' }, { kind: 'relu6' }, { kind: 'relu_n1_to_1' }, { kind: 'leaky_relu', alpha: Math.fround(0.2) },
    { kind: 'logistic' }, { kind: 'tanh' }, { kind: 'hard_swish' }, { kind: 'quantize' },
  ] as never;
  for (const k of kinds) {
    const g = single(k, [0.1, 0], k.kind === 'logistic' ? [1 / 256, -128] : [0.1, 0], 3);
    const back = importTflite(writeTflite(g), 'mem.tflite');
    assert.equal(back.ops.length, 1);
    assert.equal(back.ops[0]!.kind, k.kind);
    if (k.kind === 'leaky_relu') assert.equal((back.ops[0] as { alpha: number }).alpha, Math.fround(0.2));
  }
  const p = single({ kind: 'prelu' }, [0.5, 0], [0.5, 0], 2, { shape: [2], q: [0.25, 0], data: [4, 1] });
  const back = importTflite(writeTflite(p), 'mem.tflite');
  assert.equal(back.ops[0]!.kind, 'prelu');
  assert.deepEqual(Array.from(back.tensors[back.ops[0]!.inputs[1]!]!.data as Int8Array), [4, 1]);
});

test('host tables (compiler/quant/unary.ts) equal the golden runtime on all 256 input bytes: 240 random cases per LUT kind, both arithmetics', async () => {
  const g = await golden;
  const all = Int8Array.from({ length: 256 }, (_, i) => i - 128);
  const mismatches: string[] = [];
  let cases = 0;
  UNARY_OP_KINDS.filter((k) => k !== 'prelu').forEach((kind) => {
    const k = UNARY_OP_KINDS.indexOf(kind);
    for (let i = 0; i < 240; i++) {
      const c = randomOpGraph(200000 + 10000 * k + i, kind);
      // The same op on a [256] input holding every byte.
      const x = c.graph.tensors[c.graph.inputs[0]!]!, y = c.graph.tensors[c.graph.outputs[0]!]!;
      const graph: Graph = { ...c.graph, tensors: c.graph.tensors.map((t) => (t === x || t === y ? { ...t, shape: [256] } : t)) };
      for (const arith of ['tflm', 'tflite'] as const) {
        let want: Int8Array;
        try { want = g.run(graph, [all], { arith }).outputs[0] as Int8Array; } catch (e) { mismatches.push(`${describeOp(c)} ${arith}: golden threw ${(e as Error).message}`); continue; }
        const table = unaryTable(graph, graph.ops[0]!, arith);
        const bad = Array.from(all).findIndex((v, j) => table[v & 0xff] !== want[j]);
        if (bad >= 0) mismatches.push(`${describeOp(c)} ${arith}: input ${all[bad]} golden ${want[bad]} table ${table[all[bad]! & 0xff]}`);
        cases++;
      }
    }
  });
  assert.deepEqual(mismatches, [], `${mismatches.length} mismatches:\n${mismatches.slice(0, 12).join('\n')}`);
  assert.equal(cases, 8 * 240 * 2);
});
