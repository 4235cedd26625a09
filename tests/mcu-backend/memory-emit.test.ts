// The emitted C really executes the memory plan: ops written in place through a delay buffer (forward and
// backward row orders), outputs over inputs after a fast kernel's widening prepass, elementwise add over
// its input, and channel-split chains (partial execution),
// bit-exact with the independent TypeScript evaluation (helpers/kmodule.ts) on random shapes: one module
// of many small chains, each run in one process on the host (SIMD source) and on QEMU
// Cortex-M4 (DSP path) and M3 (portable). Plus planner invariants on the real plans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import { emitModel, type EmittedModel } from '../../mcu-backend/emit/model.ts';
import { LEAN_VARIANTS } from '../../mcu-backend/emit/registry.ts';
import { planConflicts } from '../../mcu-backend/memory/arena.ts';
import { findChains, type SplitChain } from '../../mcu-backend/memory/partial.ts';
import type { RunOn } from '../../mcu-backend/harness/run.ts';
import { scratchDir } from '../helpers/paths.ts';
import { check as checkIn, randomModule } from './helpers/memory-module.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-mcu-memory-');

const check = (m: KernelModule, em: EmittedModel, on: RunOn, tag: string, simd = true) => checkIn(work, m, em, on, tag, simd);

const M = randomModule(5, 14);
const target = { cpu: 'm4' as const, dsp: true };
// In place wherever the rules allow (no splits).
const inPlace = () => emitModel(M, target, { table: LEAN_VARIANTS });
// Every chain split, at a factor drawn per chain (in place elsewhere).
const splits: SplitChain[] = findChains(M).map((c, i) => {
  const ds = [1, 2, 3, 4, 6, 8, 12, 16].filter((d) => d > 1 && c.channels % d === 0);
  return { ...c, split: ds.length ? ds[i % ds.length]! : 1 };
}).filter((c) => c.split > 1);
const split = () => emitModel(M, target, { table: LEAN_VARIANTS, splits });

test('random module: the plan exercises forward and backward in-place rows with delays, and split chains', () => {
  const a = inPlace().plan;
  assert.ok(a.inPlace.some((ip) => ip.direction === 'forward' && ip.delay > 0), 'a forward in-place op with delay rows');
  assert.ok(a.inPlace.some((ip) => ip.direction === 'forward' && ip.delay === 0));
  assert.ok(a.inPlace.some((ip) => ip.direction === 'backward'), 'a backward in-place op (growing output)');
  const b = split().plan;
  assert.ok(b.chains.length >= 3, `split chains: ${b.chains.length}`);
  assert.ok(b.chains.some((c) => M.ops[c.ops[0]!]!.kind === 'conv2d') && b.chains.some((c) => M.ops[c.ops[0]!]!.kind !== 'conv2d'));
  for (const p of [a, b]) {
    assert.deepEqual(planConflicts(p), []);
    // In place means the output starts where the input does.
    for (const ip of p.inPlace) assert.equal(p.bufferOffset.get(M.ops[ip.op]!.output), p.bufferOffset.get(ip.input));
  }
});

test('random module with the fast M4 kernels: outputs overlay inputs after the widening prepass, bit-exact on QEMU M4', (t) => {
  const em = emitModel(M, target);
  const pre = em.plan.inPlace.filter((ip) => ip.direction === 'prepass');
  assert.ok(pre.length >= 3, `prepass overlays: ${pre.length}`);
  for (const ip of pre) {
    assert.match(em.layers[ip.op]!.variant, /-m4$/);
    assert.equal(em.plan.bufferOffset.get(M.ops[ip.op]!.output), em.plan.bufferOffset.get(ip.input));
  }
  assert.deepEqual(planConflicts(em.plan), []);
  if (needTools(t, 'm4')) check(M, em, 'm4', 'prepass');
});

test('random module with the windowed M4 conv kernels as split-chain producers and in place row by row: bit-exact on the host and QEMU M4', (t) => {
  const em = emitModel(M, target, { splits });
  const windowed = (op: number) => /^conv2d\.window8?-m4$/.test(em.layers[op]!.variant);
  const chains = em.plan.chains.filter((c) => windowed(c.ops[0]!));
  assert.ok(chains.length >= 1, `chains led by a windowed conv: ${chains.length}`);
  const rows = em.plan.inPlace.filter((ip) => (ip.direction === 'forward' || ip.direction === 'backward') && windowed(ip.op));
  const whole = em.plan.inPlace.filter((ip) => ip.direction === 'prepass' && windowed(ip.op));
  assert.ok(rows.length + whole.length >= 1, 'a windowed conv runs in place');
  assert.deepEqual(planConflicts(em.plan), []);
  if (needTools(t, 'host')) check(M, em, 'host', 'window-split');
  if (needTools(t, 'm4')) check(M, em, 'm4', 'window-split');
});

for (const [tag, make] of [['inplace', inPlace], ['split', split]] as const) {
  test(`random module (${tag}): bit-exact on the host (SIMD source through the portable intrinsics)`, (t) => {
    if (needTools(t, 'host')) check(M, make(), 'host', tag);
  });
  test(`random module (${tag}): bit-exact on QEMU Cortex-M4 (DSP)${tag === 'split' ? ' and M3 (portable)' : ''}`, (t) => {
    if (!needTools(t, 'm4')) return;
    check(M, make(), 'm4', tag);
    // M3 once: the split run goes through the same modal kernel functions the in-place rows use.
    if (tag === 'split') check(M, emitModel(M, { cpu: 'm3', dsp: false }, { table: LEAN_VARIANTS, splits }), 'm3', tag);
  });
}
