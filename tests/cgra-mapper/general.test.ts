// The general mapper (issue 16, cgra-mapper/general/): random conv / pointwise / strided / depthwise / FC
// layers on 4x4, 2x2, 4x8 and 8x8 arrays must give the int8 output of a direct loop over the layer's
// definition pushed through TFLite's requantisation (written here, independent of the mapper), on both bus
// models, with the estimate equal to the simulated cycles; every schedule passes the independent check;
// the modulo schedule never beats its lower bound; the strategy table lets `auto` fall through to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeArch, type CgraArch } from '../../cgra-mapper/arch.ts';
import type { CgraLayer } from '../../cgra-mapper/layer.ts';
import { runPlan } from '../../cgra-mapper/run.ts';
import { blockOf, buildPlan, planGeneral, replicate, scheduleFor, schedulesFor, setSearchBudget } from '../../cgra-mapper/general/index.ts';
import { buildDfg, loopNest, windowOf } from '../../cgra-mapper/general/dfg.ts';
import { searchSchedule, WORK_PER_MS } from '../../cgra-mapper/general/schedule.ts';
import { checkSchedule } from '../../cgra-mapper/general/check.ts';
import { chooseOrHost } from '../../cgra-mapper/strategies/index.ts';
import { randomCgraLayer, referenceOutput, type LayerQuant, type LayerShape } from '../helpers/cgra-layer.ts';

const Q: LayerQuant = { inputOffset: 7, base: 1_300_000_000, step: 7_000_000, shiftCycle: 3 };
const makeLayer = (sh: Shape, seed: number) => randomCgraLayer(sh, seed, Q);
const expected = referenceOutput;
type Shape = LayerShape;
// Searches without an explicit budget (auto's fall-through) do a twentieth of the default work: these tests
// check exactness and the schedule rules, not schedule quality.
setSearchBudget(0.05);

const SHAPES: Shape[] = [
  { kind: 'conv2d', h: 7, w: 6, c: 5, o: 9, k: 3, s: 1, p: 1 },
  { kind: 'conv2d', h: 9, w: 8, c: 3, o: 6, k: 3, s: 2, p: 1 },
  { kind: 'conv2d', h: 5, w: 6, c: 20, o: 7, k: 1, s: 1, p: 0 },
  { kind: 'depthwise_conv2d', h: 7, w: 7, c: 10, o: 10, k: 3, s: 1, p: 1 },
  { kind: 'depthwise_conv2d', h: 8, w: 9, c: 6, o: 6, k: 3, s: 2, p: 1 },
  { kind: 'fully_connected', h: 1, w: 1, c: 61, o: 13, k: 1, s: 1, p: 0 },
];

function checkLayer(L: CgraLayer, input: Int8Array, arch: CgraArch, what: string): void {
  const plan = planGeneral(L, arch, { work: 40 * WORK_PER_MS });
  assert.equal(plan.strategy, 'general');
  const want = expected(L, input);
  for (const bus of ['shared', 'ports'] as const) {
    const r = runPlan(plan, input, 'tflm', arch, bus);
    assert.deepEqual(r.output, want, `${what} (${bus}): int8 output`);
    assert.equal(r.figures.arrayCycles, plan.cost[bus], `${what}: estimate = simulated cycles on ${bus}`);
  }
}

for (const [rows, cols] of [[4, 4], [2, 2]] as const) {
  test(`general on ${rows}x${cols}: conv, strided, pointwise, depthwise and FC layers are bit-exact`, () => {
    const arch = makeArch({ rows, cols });
    SHAPES.forEach((sh, i) => { const { L, input } = makeLayer(sh, 300 + i + rows); checkLayer(L, input, arch, `${sh.kind} #${i} on ${rows}x${cols}`); });
  });
}

test('general on 4x8 and 8x8: a conv and a depthwise layer are bit-exact', () => {
  for (const [rows, cols] of [[4, 8], [8, 8]] as const) {
    const arch = makeArch({ rows, cols });
    for (const i of [0, 3]) { const { L, input } = makeLayer(SHAPES[i], 400 + i); checkLayer(L, input, arch, `${SHAPES[i].kind} on ${rows}x${cols}`); }
  }
});

test('general: long reductions split into chunks of at most 127 pairs stay exact', () => {
  // 3x3 x 40 channels = 360 taps = 180 pairs: two chunks of 90.
  const { L, input } = makeLayer({ kind: 'conv2d', h: 4, w: 5, c: 40, o: 5, k: 3, s: 1, p: 1 }, 11);
  checkLayer(L, input, makeArch(), 'two-chunk conv');
});

test('general: schedules pass the independent check, and II is never below its lower bound', () => {
  for (const [rows, cols] of [[4, 4], [2, 2]] as const) {
    const arch = makeArch({ rows, cols });
    for (const u of [{ up: 1, uo: 1 }, { up: 2, uo: 2 }, { up: 1, uo: 3 }]) for (const dw of [false, true]) {
      const s = scheduleFor(arch, u, dw);
      assert.ok(s, `a schedule for ${u.up}x${u.uo} on ${rows}x${cols}`);
      assert.equal(checkSchedule(arch, s), undefined);
      assert.ok(s.II >= Math.max(s.mii.res, s.mii.rec), 'II >= its lower bound');
    }
  }
});

test('general: both pass structures (strict epilogue PEs, and drained passes) are exact on conv and depthwise', () => {
  const arch = makeArch();
  for (const drain of [false, true]) for (const i of [0, 3]) {
    const { L, input } = makeLayer(SHAPES[i], 500 + i);
    const s = searchSchedule(arch, buildDfg({ up: 2, uo: 3 }, L.kind === 'depthwise_conv2d'), { work: 150 * WORK_PER_MS, modes: [drain], seed: 3 });
    assert.ok(s, `a ${drain ? 'drain' : 'strict'} schedule`);
    assert.equal(s.drain, drain);
    assert.equal(checkSchedule(arch, s), undefined);
    const plan = buildPlan(L, arch, s);
    for (const bus of ['shared', 'ports'] as const) {
      const r = runPlan(plan, input, 'tflm', arch, bus);
      assert.deepEqual(r.output, expected(L, input), `${drain ? 'drain' : 'strict'} ${L.kind} (${bus})`);
      assert.equal(r.figures.arrayCycles, plan.cost[bus]);
    }
  }
});

test('auto falls through to general when no hand strategy accepts the array', () => {
  const { L, input } = makeLayer(SHAPES[0], 5);
  const arch = makeArch({ rows: 2, cols: 2 });
  const c = chooseOrHost(L, arch, 'auto');
  assert.ok(c.plan, 'a plan on 2x2');
  assert.equal(c.plan.strategy, 'general');
  assert.deepEqual(runPlan(c.plan, input, 'tflm', arch, 'shared').output, expected(L, input));
  // On 4x4 the hand strategies accept the layer, so auto keeps them unless general is asked for.
  assert.notEqual(chooseOrHost(L, makeArch(), 'auto').plan?.strategy, 'general');
  assert.equal(chooseOrHost(L, makeArch(), 'general').plan?.strategy, 'general');
});

test('general: window reuse on depthwise layers (tiles along y and along x, stride 1 and 2) is bit-exact', () => {
  // Packed pairs of neighbouring inputs shared by neighbouring pixels; several products per accumulator.
  const arch = makeArch();
  const cases: { sh: Shape; tiles: [number, number, 'y' | 'x'][] }[] = [
    { sh: { kind: 'depthwise_conv2d', h: 9, w: 6, c: 3, o: 3, k: 3, s: 1, p: 1 }, tiles: [[5, 1, 'y'], [3, 2, 'x']] },
    { sh: { kind: 'depthwise_conv2d', h: 9, w: 8, c: 2, o: 2, k: 3, s: 2, p: 1 }, tiles: [[3, 1, 'y']] },
  ];
  const axes = new Set<string>();
  cases.forEach(({ sh, tiles }, i) => {
    const { L, input } = makeLayer(sh, 700 + i);
    for (const [up, uo, axis] of tiles) {
      const u = { up, uo, win: windowOf(L, axis) };
      const s = schedulesFor(arch, u, true, { work: 60 * WORK_PER_MS }, loopNest(L, u).n)[0];
      assert.ok(s, `a schedule for window ${up}x${uo} along ${axis}`);
      assert.equal(checkSchedule(arch, s), undefined);
      assert.ok(s.dfg.products.length > s.dfg.accs.length, 'some accumulator takes more than one product');
      axes.add(`${axis}${sh.s}`);
      const plan = buildPlan(L, arch, s);
      for (const bus of ['shared', 'ports'] as const) {
        const r = runPlan(plan, input, 'tflm', arch, bus);
        assert.deepEqual(r.output, expected(L, input), `window ${up}x${uo} along ${axis}, stride ${sh.s} (${bus})`);
        assert.equal(r.figures.arrayCycles, plan.cost[bus]);
      }
    }
  });
  assert.ok(axes.has('y1') && axes.has('x1') && axes.has('y2'), `window tiles along both axes and stride 2 were mapped (${[...axes]})`);
});

test('general: block schedules copied across 4x8 and 8x8 arrays are bit-exact, and the II bound counts the loop control', () => {
  for (const [rows, cols, copies] of [[4, 8, 2], [8, 8, 4]] as const) {
    const arch = makeArch({ rows, cols });
    const block = blockOf(arch)!;
    assert.equal(block.rows * block.cols * copies, rows * cols);
    const { L, input } = makeLayer({ kind: 'conv2d', h: 5, w: 6, c: 6, o: 12, k: 1, s: 1, p: 0 }, 800 + rows);
    const s = scheduleFor(block, { up: 2, uo: 2 }, false, { work: 60 * WORK_PER_MS }, loopNest(L, { up: 2, uo: 2 }).n)!;
    for (const along of ['o', 'p'] as const) {
      const rep = replicate(arch, block, s, along);
      assert.equal(rep.copies, copies);
      assert.equal(rep.dfg.products.length, copies * s.dfg.products.length);
      assert.equal(checkSchedule(arch, rep), undefined, `copies along ${along} on ${rows}x${cols}`);
      assert.ok(rep.mii.rec >= 2 && rep.II >= Math.max(rep.mii.res, rep.mii.rec));
      const plan = buildPlan(L, arch, rep);
      for (const bus of ['shared', 'ports'] as const) {
        const r = runPlan(plan, input, 'tflm', arch, bus);
        assert.deepEqual(r.output, expected(L, input), `copies along ${along} on ${rows}x${cols} (${bus})`);
        assert.equal(r.figures.arrayCycles, plan.cost[bus]);
      }
    }
  }
});
