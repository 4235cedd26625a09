// The emitted C really executes the memory plan: ops written in place through a delay buffer (forward and
// backward row orders), outputs over inputs after a fast kernel's widening prepass, elementwise add over
// its input, and channel-split chains (partial execution),
// bit-exact with the independent TypeScript evaluation (helpers/kmodule.ts) on random shapes: one module
// of many small chains, each run in one process on the host (SIMD source) and on QEMU
// Cortex-M4 (DSP path) and M3 (portable). Plus planner invariants on the real plans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { KernelModule, Window } from '../../compiler/kernel-ir/types.ts';
import { emitModel, type EmittedModel } from '../../mcu-backend/emit/model.ts';
import { LEAN_VARIANTS } from '../../mcu-backend/emit/registry.ts';
import { planConflicts } from '../../mcu-backend/memory/arena.ts';
import { findChains, type SplitChain } from '../../mcu-backend/memory/partial.ts';
import { runModel } from '../../mcu-backend/runner.ts';
import type { RunOn } from '../../mcu-backend/harness/run.ts';
import { scratchDir } from '../helpers/paths.ts';
import { evaluate, KBuilder, randInt8, rng, window } from './helpers/kmodule.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-mcu-memory-');

/** Chains x_k -> op -> op -> 1x1 conv -> out_k of random window ops (conv2d, depthwise, pools), one input each. */
function randomModule(seed: number, chains: number): KernelModule {
  const r = rng(seed);
  const k = new KBuilder(`mem${seed}`, 'tflm', r);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const outs: number[] = [];
  for (let c = 0; c < chains; c++) {
    let shape = [1, 3 + Math.floor(r() * 7), 3 + Math.floor(r() * 7), pick([1, 3, 4, 6, 8, 12])];
    let cur = k.buffer(`x${c}`, shape, 'input', Math.floor(r() * 21) - 10);
    const step = (kind: string, last: boolean) => {
      const [, H, W, C] = shape as [number, number, number, number];
      const kk = last ? 1 : pick([1, 3]);
      const s = last ? 1 : pick([1, 1, 2]);
      const pad = kk === 1 || (H >= 3 && W >= 3 && r() < 0.5) ? 'valid' : 'same';
      const inputOffset = Math.floor(r() * 21) - 10;
      const outC = kind === 'conv2d' ? (last ? 4 : pick([2, 4, 8, 16, 3, 12])) : C;
      const w: Window = window({ inH: H, inW: W, inC: C, outC, kH: kk, kW: kk, strideH: s, strideW: s }, pad);
      const outShape = [1, w.outH, w.outW, w.outC];
      const name = `${kind}${k.m.ops.length}`;
      if (kind === 'conv2d') {
        const n = outC * kk * kk * C;
        cur = k.op({ kind, name, ...w, groups: 1, weights: k.konst('w', k.weights(n), [outC, kk, kk, C]), bias: k.konst('b', k.bias(outC), [outC]),
          macs: w.outH * w.outW * n, inputOffset, outputOffset: -3, requant: k.requant(outC, Math.sqrt(kk * kk * C) * 70 * 70, r() < 0.5), rounding: 'double', actMin: -128, actMax: 127 }, [cur], outShape);
      } else if (kind === 'depthwise_conv2d') {
        const n = kk * kk * C;
        cur = k.op({ kind, name, ...w, depthMultiplier: 1, weights: k.konst('w', k.weights(n), [1, kk, kk, C]), bias: k.konst('b', k.bias(C), [C]),
          macs: w.outH * w.outW * n, inputOffset, outputOffset: 4, requant: k.requant(C, kk * 70 * 70), rounding: 'double', actMin: -128, actMax: 127 }, [cur], outShape);
      } else {
        const pw = window({ inH: H, inW: W, inC: C, outC: C, kH: Math.min(H, 2 + Math.floor(r() * 2)), kW: Math.min(W, 2), strideH: s, strideW: s }, 'same');
        cur = k.op({ kind: kind as 'max_pool2d', name, ...pw, actMin: -128, actMax: 127, macs: 0 }, [cur], [1, pw.outH, pw.outW, pw.outC]);
      }
      shape = k.m.buffers[cur]!.shape;
    };
    step(pick(['conv2d', 'conv2d', 'depthwise_conv2d', 'max_pool2d', 'average_pool2d']), false);
    step(pick(['depthwise_conv2d', 'depthwise_conv2d', 'average_pool2d', 'max_pool2d', 'conv2d']), false);
    step('conv2d', true);
    outs.push(cur);
  }
  return k.done(outs);
}

/** Every layer the run reports (a split chain's inner layers have no whole tensor) and every output equal the reference. */
function check(m: KernelModule, em: EmittedModel, on: RunOn, tag: string, simd = true): void {
  const r = rng(99);
  const inputs = [randInt8(r, em.inputBytes), randInt8(r, em.inputBytes)];
  const res = runModel(em, inputs, on, { debug: true, simd, workDir: join(work, `${tag}-${on}-${simd}`) });
  const inChainInner = new Set(em.plan.chains.flatMap((c) => c.ops.slice(0, -1)));
  inputs.forEach((x, ri) => {
    const ref = evaluate(m, x);
    ref.forEach((want, li) => {
      const got = res.layers![ri]![li];
      if (inChainInner.has(li)) { assert.equal(got, undefined, `layer ${li} is inside a split chain`); return; }
      assert.ok(got, `${tag}: layer ${li} output missing`);
      assert.deepEqual(Array.from(got), Array.from(want), `${tag} on ${on}: input ${ri}, layer ${li} (${m.ops[li]!.kind})`);
    });
    const wantOut = m.outputs.flatMap((o) => Array.from(ref[m.ops.findIndex((op) => op.output === o)]!));
    assert.deepEqual(Array.from(res.outputs[ri]!), wantOut);
  });
}

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
