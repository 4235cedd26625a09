// The schedule search of the select stage (mcu-backend/stages/search.ts): on a small network (the default
// config's DS-CNN) an independent brute force over every kernel selection -- each planned by the memory
// planner, flash from the emitted C, instructions from the variants' estimates -- gives the same optimum
// and the same Pareto front as the search, at budgets from loose to tight; the chosen point is on the
// front and within both budgets; the greedy-seeded descent (forced on the same space) is never worse than
// the greedy selection and meets the budgets; and on kws at tight sram budgets the search is at least as
// good as the greedy selection it replaces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from '../../compiler/frontend/yaml/config.ts';
import { loadModel } from '../../compiler/frontend/load.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import { VARIANTS } from '../../mcu-backend/emit/registry.ts';
import { candidates, selectVariants, type AnyVariant, type McuTargetInfo } from '../../mcu-backend/emit/variant.ts';
import { estimateLayerFlash } from '../../mcu-backend/emit/flash-estimate.ts';
import { planFor } from '../../mcu-backend/stages/plan.ts';
import { searchSchedule, type SchedulePoint } from '../../mcu-backend/stages/search.ts';
import { modelPath, repoRoot } from '../helpers/paths.ts';

const target: McuTargetInfo = { cpu: 'm4', dsp: true };

/**
 * The variant table of the brute-force tests: the whole table less five variants and the narrowed-table
 * variants (narrow-consts.ts, one more candidate per fast conv / FC / depthwise layer), so that the default
 * network's space stays within the search's exhaustive limit (4,096 selections: 2,048) and the brute force
 * fast (the whole table gives 25,000: 5 conv / FC and 5 depthwise candidates per layer). Every op kind keeps
 * several candidates of different scratch, flash and estimate.
 */
const BRUTE_DROP = new Set(['depthwise.3x3-planar-m4', 'depthwise.nhwc16-m4', 'depthwise.chan4', 'conv2d.window8p-m4', 'fully_connected.window8p-m4']);
const TABLE = VARIANTS.filter((v) => !BRUTE_DROP.has(v.name) && !v.name.endsWith('.narrowed'));

function setup(m: KernelModule, budget: number | undefined) {
  const peakOf = (vs: AnyVariant[]) => { const p = planFor(m, vs, 'auto', budget); return { peak: p.peak, liveByOp: p.live }; };
  const cost = (i: number, v: AnyVariant) => estimateLayerFlash(m, target, 'm', i, v);
  return { peakOf, cost };
}

/** Instructions as the search defines them: each variant's estimate, at least one more than any higher-priority one's. */
function ranked(xs: number[]): number[] {
  const out: number[] = [];
  let top = -Infinity;
  for (const x of xs) { const y = Math.max(x, top + 1); out.push(y); top = Math.max(top, y); }
  return out;
}

/** Every selection, evaluated independently of the search: arena from the planner, flash and instructions summed. */
function bruteForce(m: KernelModule, budget: number | undefined) {
  const cands = m.ops.map((op) => candidates(TABLE, op, target, m));
  const { peakOf, cost } = setup(m, budget);
  const instr = cands.map((c, i) => ranked(c.map((v) => v.estimate!(m.ops[i]!).instructions)));
  const points: Array<SchedulePoint & { rank: number }> = [];
  const picks = cands.map(() => 0);
  for (;;) {
    const vs = picks.map((j, i) => cands[i]![j]!);
    points.push({ variants: vs.map((v) => v.name), arenaBytes: peakOf(vs).peak, flashBytes: vs.reduce((s, v, i) => s + cost(i, v), 0),
      instructions: picks.reduce((s, j, i) => s + instr[i]![j]!, 0), rank: picks.reduce((s, j) => s + j, 0) });
    let k = 0;
    while (k < picks.length && ++picks[k]! === cands[k]!.length) picks[k++] = 0;
    if (k === picks.length) break;
  }
  return points;
}

const triple = (p: SchedulePoint) => `${p.arenaBytes}/${p.flashBytes}/${p.instructions}`;

function front(points: SchedulePoint[]): Set<string> {
  return new Set(points.filter((a) => !points.some((b) => b.arenaBytes <= a.arenaBytes && b.flashBytes <= a.flashBytes && b.instructions <= a.instructions &&
    (b.arenaBytes < a.arenaBytes || b.flashBytes < a.flashBytes || b.instructions < a.instructions))).map(triple));
}

test('schedule search: the brute force over every selection of a small network agrees (optimum and Pareto front)', () => {
  const cfg = loadConfig(join(repoRoot, 'configs', 'default.yaml'));
  const m = runPipeline(cfg.graph, { arith: cfg.arith });
  const cands = m.ops.map((op) => candidates(TABLE, op, target, m));
  const space = cands.reduce((s, c) => s * c.length, 1);
  assert.ok(space >= 8 && space <= 4096, `space of ${space} selections`);
  const all = bruteForce(m, undefined);
  const arenas = all.map((p) => p.arenaBytes), flashes = all.map((p) => p.flashBytes);
  const [aLo, aHi] = [Math.min(...arenas), Math.max(...arenas)], [fLo, fHi] = [Math.min(...flashes), Math.max(...flashes)];
  assert.ok(aLo < aHi && fLo < fHi, 'the budgets below must bind');
  const cases: Array<[number | undefined, number | undefined]> = [[undefined, undefined], [aHi, fHi], [Math.round((aLo + aHi) / 2), undefined],
    [undefined, Math.round((fLo + fHi) / 2)], [Math.round((aLo + aHi) / 2), Math.round((fLo + fHi) / 2)], [aLo, fLo]];
  for (const [ram, flash] of cases) {
    // The planner's schedule depends on the budget (splits only when over it): the brute force plans with the same budget.
    const pts = ram === undefined ? all : bruteForce(m, ram);
    const ok = pts.filter((p) => (ram === undefined || p.arenaBytes <= ram) && (flash === undefined || p.flashBytes <= flash));
    const best = ok.sort((a, b) => a.instructions - b.instructions || a.arenaBytes - b.arenaBytes || a.flashBytes - b.flashBytes || a.rank - b.rank)[0];
    const { peakOf, cost } = setup(m, ram);
    // every signature vector of this network planned (its space has more than the default 512 since the windowed and ring kernels)
    const { schedule: s, selection } = searchSchedule(m, TABLE, target, peakOf, ram, { budget: flash, cost }, { signatureLimit: 4096 });
    const at = `budgets arena ${ram} flash ${flash}`;
    assert.equal(s.method, 'exhaustive', at);
    assert.ok(best, at);
    assert.equal(s.feasible, true, at);
    assert.equal(s.chosen.instructions, best!.instructions, at);
    assert.deepEqual(s.chosen.variants, best!.variants, at);
    assert.deepEqual(selection.variants.map((v) => v.name), best!.variants, at);
    assert.deepEqual(new Set(s.front.map(triple)), front(pts), at);
    assert.ok(s.front.some((p) => triple(p) === triple(s.chosen)), `${at}: chosen on the front`);
  }
});

test('schedule search: the greedy-seeded descent meets the budgets and is never worse than the greedy selection', () => {
  const cfg = loadConfig(join(repoRoot, 'configs', 'default.yaml'));
  const m = runPipeline(cfg.graph, { arith: cfg.arith });
  const all = bruteForce(m, undefined);
  const arenas = all.map((p) => p.arenaBytes);
  for (const ram of [Math.max(...arenas), Math.round((Math.min(...arenas) + Math.max(...arenas)) / 2), Math.min(...arenas)]) {
    const { peakOf, cost } = setup(m, ram);
    const { schedule: s } = searchSchedule(m, TABLE, target, peakOf, ram, { cost }, { exhaustiveLimit: 0 });
    assert.equal(s.method, 'greedy+descent');
    const greedy = selectVariants(m, TABLE, target, peakOf, ram);
    const gPeak = peakOf(greedy.variants).peak;
    if (gPeak <= ram) {
      assert.equal(s.feasible, true);
      assert.ok(s.chosen.arenaBytes <= ram);
    }
    const gInstr = bruteForce(m, ram).find((p) => p.variants.join() === greedy.variants.map((v) => v.name).join())!.instructions;
    assert.ok(s.chosen.instructions <= gInstr, `arena ${ram}: ${s.chosen.instructions} > greedy ${gInstr}`);
    assert.ok(s.front.some((p) => triple(p) === triple(s.chosen)), 'chosen on the front');
  }
});

test('schedule search on kws at tight sram budgets: within the budget and at least as good as the greedy selection', (t) => {
  const path = modelPath('kws');
  if (!path) { t.skip('kws model missing'); return; }
  const m = runPipeline(loadModel(path).graph, { arith: 'tflm' });
  for (const ram of [32 * 1024 - 2048 - 500, 24 * 1024 - 2048 - 500]) {
    const { peakOf, cost } = setup(m, ram);
    const { schedule: s } = searchSchedule(m, VARIANTS, target, peakOf, ram, { cost });
    const greedy = selectVariants(m, VARIANTS, target, peakOf, ram);
    const cands = m.ops.map((op) => candidates(VARIANTS, op, target, m));
    // The greedy selection's instructions by the search's own measure (estimates ranked by priority).
    const gInstr = greedy.variants.reduce((sum, v, i) => sum + ranked(cands[i]!.map((c) => c.estimate!(m.ops[i]!).instructions))[cands[i]!.indexOf(v)]!, 0);
    assert.equal(s.feasible, true, `arena ${ram}`);
    assert.ok(s.chosen.arenaBytes <= ram);
    assert.ok(s.chosen.instructions <= gInstr, `arena ${ram}: ${s.chosen.instructions} > greedy ${gInstr}`);
  }
});

test('schedule search with the cycle objective: the brute force over every selection by the given modelled cycles agrees, lower priorities included', () => {
  const cfg = loadConfig(join(repoRoot, 'configs', 'default.yaml'));
  const m = runPipeline(cfg.graph, { arith: cfg.arith });
  const cands = m.ops.map((op) => candidates(TABLE, op, target, m));
  // Modelled cycles per layer and candidate, made up here (independent of any variant): the last candidate of
  // every other layer is the cheapest, so the optimum takes variants the instruction ranking puts last.
  const cyc = cands.map((c, i) => c.map((_, j) => 10_000 + 997 * ((i * 7 + j * 13) % 11) - (i % 2 === 0 && j === c.length - 1 && c.length > 1 ? 20_000 : 0)));
  const layerCycles = () => ({ cycles: cyc, where: 'made-up table', probes: 0 });
  const all = bruteForce(m, undefined).map((p) => {
    const picks = p.variants.map((n, i) => cands[i]!.findIndex((v) => v.name === n));
    return { ...p, cycles: picks.reduce((s, j, i) => s + cyc[i]![j]!, 0) };
  });
  const arenas = all.map((p) => p.arenaBytes), flashes = all.map((p) => p.flashBytes);
  const key = (p: SchedulePoint) => `${p.arenaBytes}/${p.flashBytes}/${p.cycles}`;
  for (const [ram, flash] of [[undefined, undefined], [Math.round((Math.min(...arenas) + Math.max(...arenas)) / 2), Math.round((Math.min(...flashes) + Math.max(...flashes)) / 2)]] as Array<[number | undefined, number | undefined]>) {
    const pts = ram === undefined ? all : bruteForce(m, ram).map((p) => ({ ...p, cycles: p.variants.reduce((s, n, i) => s + cyc[i]![cands[i]!.findIndex((v) => v.name === n)]!, 0) }));
    const ok = pts.filter((p) => (ram === undefined || p.arenaBytes <= ram) && (flash === undefined || p.flashBytes <= flash));
    const best = ok.sort((a, b) => a.cycles - b.cycles || a.arenaBytes - b.arenaBytes || a.flashBytes - b.flashBytes || a.rank - b.rank)[0]!;
    const { peakOf, cost } = setup(m, ram);
    const { schedule: s, selection } = searchSchedule(m, TABLE, target, peakOf, ram, { budget: flash, cost }, { signatureLimit: 4096, layerCycles });
    const at = `budgets arena ${ram} flash ${flash}`;
    assert.deepEqual(s.objective, { kind: 'modelled cycles', note: 'made-up table', probes: 0 }, at);
    assert.equal(s.chosen.cycles, best.cycles, at);
    assert.deepEqual(s.chosen.variants, best.variants, at);
    assert.deepEqual(selection.variants.map((v) => v.name), best.variants, at);
    const front = new Set(pts.filter((a) => !pts.some((b) => b.arenaBytes <= a.arenaBytes && b.flashBytes <= a.flashBytes && b.cycles <= a.cycles &&
      (b.arenaBytes < a.arenaBytes || b.flashBytes < a.flashBytes || b.cycles < a.cycles))).map(key));
    assert.deepEqual(new Set(s.front.map(key)), front, at);
    if (ram === undefined) {
      // No budget: every layer at its cheapest candidate, some of them the last (lowest-priority) one; no replacement reported.
      assert.ok(best.variants.some((n, i) => cands[i]!.length > 1 && n === cands[i]![cands[i]!.length - 1]!.name));
      assert.deepEqual([selection.downgrades, selection.flashReplacements], [[], []]);
    }
  }
  // The greedy-seeded descent (forced) reaches the same optimum without budgets (its second seed is that optimum).
  const { peakOf, cost } = setup(m, undefined);
  const { schedule: d } = searchSchedule(m, TABLE, target, peakOf, undefined, { cost }, { exhaustiveLimit: 0, layerCycles });
  assert.equal(d.method, 'greedy+descent');
  assert.equal(d.chosen.cycles, Math.min(...all.map((p) => p.cycles)));
  // Cycles unavailable: the instruction objective, saying why, with the selection it makes without them.
  const { schedule: u } = searchSchedule(m, TABLE, target, peakOf, undefined, { cost }, { layerCycles: () => ({ unavailable: 'no QEMU board' }) });
  const { schedule: plain } = searchSchedule(m, TABLE, target, peakOf, undefined, { cost });
  assert.deepEqual(u.objective, { kind: 'instructions', note: 'no QEMU board' });
  assert.deepEqual(u.chosen, plain.chosen);
  assert.equal(u.chosen.cycles, undefined);
});
