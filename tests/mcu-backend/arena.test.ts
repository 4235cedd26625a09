// The arena planner (buffers with disjoint lifetimes share bytes, views alias their root, scratch lives
// only during its op) and the variant selection under an SRAM budget (leaner variants for the ops at
// the peak, each replacement reported).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KConv2d, KernelModule } from '../../compiler/kernel-ir/types.ts';
import { planArena, planConflicts } from '../../mcu-backend/memory/arena.ts';
import { conv2dGeneric } from '../../mcu-backend/emit/conv2d.ts';
import { GENERIC } from './helpers/generic.ts';
import { defineVariant, selectVariants } from '../../mcu-backend/emit/variant.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { zooModule } from './helpers/zoo.ts';

/** A chain x -> a -> b -> c -> d of buffers with the given sizes (hand-made lifetimes). */
function chain(sizes: number[]): KernelModule {
  const buffers = sizes.map((bytes, id) => ({
    id, name: `t${id}`, kind: (id === 0 ? 'input' : id === sizes.length - 1 ? 'output' : 'activation') as 'input',
    shape: [bytes], dtype: 'int8' as const, bytes, scale: 1, zeroPoint: 0, def: id - 1, lastUse: id === sizes.length - 1 ? sizes.length - 1 : id,
  }));
  const ops = sizes.slice(1).map((_, i) => ({ kind: 'reshape' as const, index: i, sourceOp: i, name: `op${i}`, inputs: [i], output: i + 1, macs: 0, schedule: {} }));
  return { name: 'chain', arith: 'tflm', buffers, consts: [], ops, inputs: [0], outputs: [sizes.length - 1] };
}

test('a chain needs only two live buffers at a time: hand-computed arena and peak', () => {
  // Lifetimes: t0 [-1,0], t1 [0,1], t2 [1,2], t3 [2,3], t4 [3,4]. Live while op i runs: t_i + t_{i+1}.
  const m = chain([100, 300, 40, 200, 16]);
  const p = planArena(m, [0, 0, 0, 0]);
  assert.deepEqual(p.liveByOp, [400, 340, 240, 216]);
  assert.equal(p.peakOp, 0);
  assert.equal(p.peakLiveBytes, 400);
  // Greedy by size, 8-byte aligned: t1 (300) at 0; t3 (200) at 0 (lifetime disjoint from t1); t0 (100)
  // clashes with t1 -> 304; t2 (40) clashes with t1 and t3 -> 304; t4 (16) clashes with t3 -> 200.
  // End = 304 + 100 = 404 -> 408.
  assert.equal(p.arenaBytes, 408);
  assert.deepEqual(planConflicts(p), []);
});

test('scratch lives only during its op and is placed without conflicts', () => {
  const m = chain([100, 300, 40, 200, 16]);
  const p = planArena(m, [0, 0, 500, 0]);
  assert.deepEqual(p.liveByOp, [400, 340, 740, 216]);
  assert.equal(p.peakOp, 2);
  assert.ok(p.scratchOffset[2] >= 0 && p.scratchOffset[0] === -1);
  assert.deepEqual(planConflicts(p), []);
  assert.ok(p.arenaBytes >= 740 && p.arenaBytes < 100 + 300 + 40 + 200 + 16 + 500);
});

test('the zoo module: no conflicts, views share their root, sharing saves memory', () => {
  const m = zooModule('tflm');
  const em = emitModel(m, { cpu: 'm4', dsp: true });
  const p = em.plan;
  assert.deepEqual(planConflicts(p), []);
  const view = m.buffers.find((b) => b.aliasOf !== undefined)!;
  assert.equal(p.bufferOffset.get(view.id), p.bufferOffset.get(view.aliasOf!));
  const total = m.buffers.filter((b) => b.aliasOf === undefined).reduce((s, b) => s + b.bytes, 0);
  assert.ok(p.arenaBytes < total, `arena ${p.arenaBytes} should be below the sum of buffers ${total}`);
  assert.ok(p.arenaBytes >= p.peakLiveBytes);
  assert.match(em.files.header, new RegExp(`#define ZOO_TFLM_ARENA_BYTES ${p.arenaBytes}\\b`));
});

test('under a tight SRAM budget the op at the peak gets the leaner variant, and the swap is reported', () => {
  const m = zooModule('tflm');
  // A hypothetical faster conv2d needing 4 KiB of scratch, preferred when memory allows.
  const greedy = defineVariant<KConv2d>({
    ...conv2dGeneric, name: 'conv2d.greedy-test', priority: 10, scratchBytes: () => 4096,
    estimate: (op) => ({ instructions: op.macs, loads: 0 }),
  });
  const table = [greedy, ...GENERIC];
  const peakOf = (s: number[]) => { const p = planArena(m, s); return { peak: p.arenaBytes, liveByOp: p.liveByOp }; };
  const free = selectVariants(m, table, { cpu: 'm4', dsp: true }, peakOf);
  const convs = m.ops.filter((o) => o.kind === 'conv2d').map((o) => o.index);
  for (const i of convs) assert.equal(free.variants[i].name, 'conv2d.greedy-test');
  assert.equal(free.downgrades.length, 0);
  // Budget: what the plan needs when only the last convolution (the smallest layer, input 16x16x1) keeps
  // its scratch. The other convolutions run where more bytes are live, so they must give theirs up.
  const last = convs[convs.length - 1];
  const budget = planArena(m, m.ops.map((o) => (o.index === last ? 4096 : 0))).arenaBytes;
  const tight = selectVariants(m, table, { cpu: 'm4', dsp: true }, peakOf, budget);
  assert.deepEqual(tight.downgrades.map((d) => d.op).sort((a, b) => a - b), convs.slice(0, -1));
  for (const d of tight.downgrades) {
    assert.equal(d.from, 'conv2d.greedy-test');
    assert.equal(d.to, 'conv2d.generic');
    assert.equal(d.scratchSaved, 4096);
    assert.ok((d.instructionCost ?? 0) > 0);
  }
  const scratch = m.ops.map((op, i) => tight.variants[i].scratchBytes(op));
  assert.ok(planArena(m, scratch).arenaBytes <= budget);
  assert.equal(tight.variants[last].name, 'conv2d.greedy-test');
});
