// The golden runtime's SIMD fast paths on shapes the random-op suites rarely draw, against TFLite's own
// interpreter (XNNPACK off), bit for bit, on the SIMD and the scalar golden module: TRANSPOSE with both
// innermost dimensions >= 16 (16 x 16 byte tiles, edges) or few channels against large planes (interleave / split), CONCATENATION along channels (inline row copies),
// ADD / MUL / SUB on long coalesced rows and with broadcasting ([1,128,128,1]-like, 16-wide ADD), MEAN / SUM
// over H, W with >= 16 channels (16-wide sums), and LEAKY_RELU / RELU on large tensors (256-entry table).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeTflite } from '../../compiler/frontend/tflite/writer.ts';
import type { Graph, Op } from '../../compiler/ir/graph.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { GraphBuilder } from '../helpers/graph-builder.ts';
import { Rng, randomInputs } from '../helpers/random-ops.ts';

const interp = TfliteInterpreter.load();
const goldenSimd = GoldenRuntime.load({ simd: true });
const goldenScalar = GoldenRuntime.load({ simd: false });

type Mk = (ids: number[], y: number) => Op;
function oneOp(name: string, ins: Array<{ shape: number[]; scale: number; zp: number }>, out: { shape: number[]; scale: number; zp: number }, mk: Mk): Graph {
  const b = new GraphBuilder(name);
  // Scales as float32 (what the .tflite file stores and TFLite derives its multipliers from).
  const ids = ins.map((t, i) => b.act(`x${i}`, t.shape, Math.fround(t.scale), t.zp));
  const y = b.act('y', out.shape, Math.fround(out.scale), out.zp);
  b.op(mk(ids, y));
  return b.io(ids, [y]);
}

async function mismatches(graphs: Graph[]): Promise<string[]> {
  const [it, simd, scalar] = await Promise.all([interp, goldenSimd, goldenScalar]);
  const bad: string[] = [];
  graphs.forEach((g, k) => {
    const x = randomInputs(g, 100 + k);
    const [ref] = it.run(writeTflite(g), x);
    for (const [label, rt] of [['simd', simd], ['scalar', scalar]] as const) {
      const y = rt.run(g, x, { arith: 'tflite' }).outputs[0]!;
      let n = 0, first = -1;
      for (let i = 0; i < y.length; i++) if (y[i] !== ref![i]) { n++; if (first < 0) first = i; }
      if (y.length !== ref!.length || n > 0) bad.push(`${g.name} [${label}]: ${n}/${y.length} differ, first at ${first}: golden ${y[first]}, tflite ${ref![first]}, inputs ${x.map((v) => v[first]).join(" ")}`);
    }
  });
  return bad;
}

test('transpose with both innermost dimensions >= 16 or 2-15 channels: random shapes and perms equal TFLite (SIMD and scalar golden)', async () => {
  const r = new Rng(4242);
  const graphs: Graph[] = [];
  const perms = [[0, 3, 1, 2], [0, 2, 3, 1], [0, 1, 3, 2], [0, 2, 1, 3], [3, 1, 2, 0]];
  for (let i = 0; i < 20; i++) {
    const x = [1, r.int(1, 40), r.int(16, 50), r.int(16, 70)];
    if (i % 4 === 3) x[0] = r.int(2, 3);
    const perm = perms[i % perms.length]!;
    const q = { scale: 0.05, zp: r.int(-20, 20) };
    graphs.push(oneOp(`transpose${i} [${x}] perm [${perm}]`, [{ shape: x, ...q }], { shape: perm.map((p) => x[p]!), ...q },
      (ids, y) => ({ kind: 'transpose', inputs: ids, outputs: [y], perm }) as Op));
  }
  // Few channels against large planes: interleave / split of 2-15 planes (swizzles; shuffle networks for 4 and 8).
  for (let i = 0; i < 16; i++) {
    const c = [2, 3, 4, 5, 8, 15][(i >> 1) % 6]!;
    const hw = [r.int(4, 40), r.int(17, 60)];
    const q = { scale: 0.05, zp: r.int(-20, 20) };
    const [x, perm] = i % 2 === 0 ? [[1, c, ...hw], [0, 2, 3, 1]] : [[1, ...hw, c], [0, 3, 1, 2]];
    graphs.push(oneOp(`transpose-c${c} [${x}] perm [${perm}]`, [{ shape: x, ...q }], { shape: perm.map((p) => x[p]!), ...q },
      (ids, y) => ({ kind: 'transpose', inputs: ids, outputs: [y], perm }) as Op));
  }
  const bad = await mismatches(graphs);
  assert.deepEqual(bad, [], bad.join('\n'));
});

test('concatenation along channels, element-wise binary ops on long rows and broadcasts, MEAN / SUM over H, W, large LEAKY_RELU / RELU equal TFLite (SIMD and scalar golden)', async () => {
  const r = new Rng(777);
  const graphs: Graph[] = [];
  for (let i = 0; i < 6; i++) {
    const hw = [1, r.int(5, 30), r.int(5, 30)];
    const cs = [r.int(1, 70), r.int(1, 70), r.int(1, 70)];
    const q = { scale: 0.05, zp: 3 };
    graphs.push(oneOp(`concat${i} [${hw}] ${cs}`, cs.map((c) => ({ shape: [...hw, c], ...q })), { shape: [...hw, cs[0]! + cs[1]! + cs[2]!], ...q },
      (ids, y) => ({ kind: 'concatenation', inputs: ids, outputs: [y], axis: 3, activation: 'none' }) as Op));
  }
  const shapes: Array<[number[], number[]]> = [
    [[1, 128, 128, 1], [1, 128, 128, 1]], [[1, 37, 23, 5], [1, 37, 23, 5]], [[1, 20, 20, 33], [33]], [[1, 20, 20, 33], [1, 20, 20, 1]],
    [[2, 9, 1, 40], [2, 1, 7, 40]], [[1, 1, 1, 1], [1, 30, 30, 3]],
  ];
  for (const kind of ['add', 'sub', 'mul', 'squared_difference', 'maximum', 'minimum'] as const) {
    shapes.forEach(([a, b], i) => {
      const out = a.map((d, k) => Math.max(d, b[b.length - a.length + k] ?? 1));
      const sameQ = kind === 'maximum' || kind === 'minimum';
      const qa = { scale: 0.02 + 0.01 * r.int(0, 5), zp: r.int(-30, 30) }, qb = sameQ ? qa : { scale: 0.03 + 0.01 * r.int(0, 5), zp: r.int(-30, 30) };
      const qy = sameQ ? qa : { scale: kind === 'mul' ? 0.05 : kind === 'squared_difference' ? 0.3 : 0.06, zp: r.int(-30, 30) };
      graphs.push(oneOp(`${kind}${i} [${a}] [${b}]`, [{ shape: a, ...qa }, { shape: b, ...qb }], { shape: out, ...qy },
        (ids, y) => ({ kind, inputs: ids, outputs: [y], ...(kind === 'add' || kind === 'sub' || kind === 'mul' ? { activation: r.pick(['none', 'relu', 'relu6'] as const) } : {}) }) as Op));
    });
  }
  for (let i = 0; i < 6; i++) {
    const s = [1, r.int(2, 9), r.int(2, 9), r.int(16, 300)];
    const keepDims = i % 2 === 0;
    const sameQ = i % 3 === 0;
    const q = { scale: 0.05, zp: r.int(-20, 20) };
    const kind = i < 4 ? 'mean' : 'sum';
    graphs.push(oneOp(`${kind}${i} [${s}]`, [{ shape: s, ...q }], { shape: keepDims ? [1, 1, 1, s[3]!] : [1, s[3]!], ...(sameQ ? q : { scale: kind === 'sum' ? 0.5 : 0.03, zp: r.int(-20, 20) }) },
      (ids, y) => ({ kind, inputs: ids, outputs: [y], axes: [1, 2], keepDims }) as Op));
  }
  for (let i = 0; i < 4; i++) {
    const s = [1, r.int(8, 40), r.int(8, 40), r.int(3, 40)];
    const alpha = Math.fround(r.pick([0.1, 0.2, 0.01]));
    graphs.push(oneOp(`leaky_relu${i} [${s}]`, [{ shape: s, scale: 0.05, zp: r.int(-20, 20) }], { shape: s, scale: 0.04, zp: r.int(-20, 20) },
      (ids, y) => ({ kind: 'leaky_relu', inputs: ids, outputs: [y], alpha }) as Op));
    graphs.push(oneOp(`relu${i} [${s}]`, [{ shape: s, scale: 0.05, zp: r.int(-20, 20) }], { shape: s, scale: 0.03, zp: -128 },
      (ids, y) => ({ kind: 'relu', inputs: ids, outputs: [y] }) as Op));
  }
  const bad = await mismatches(graphs);
  assert.deepEqual(bad, [], bad.join('\n'));
});
