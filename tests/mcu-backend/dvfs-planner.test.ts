// The DVFS planner's DP against exhaustive enumeration on random small instances, plus hand-checked
// properties of the part model (wait states, transition costs) and of the baselines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PARTS, operatingPoints, transitionCost, waitStates } from '../../mcu-backend/dvfs/parts.ts';
import { bruteForce, evaluate, lowestSinglePoint, planDvfs, raceToIdle, type PlanInput, type Segment } from '../../mcu-backend/dvfs/planner.ts';
import { mulberry32 } from '../../compiler/rng.ts';


test('wait states follow the datasheet thresholds (L4R5 range 1: one per 20 MHz)', () => {
  const r1 = PARTS.stm32l4r5!.ranges.find((r) => r.name === 'range1-boost')!;
  assert.equal(waitStates(r1, 20), 0);
  assert.equal(waitStates(r1, 21), 1);
  assert.equal(waitStates(r1, 80), 3);
  assert.equal(waitStates(r1, 120), 5);
  const h7 = PARTS.stm32h743!;
  const p480 = operatingPoints(h7).find((p) => p.fMHz === 480)!;
  assert.equal(p480.waitStates, 4); // AXI at 240 MHz under VOS0
});

test('transition costs: same point free, prescaler-only cheap, range change pays VOS + relock', () => {
  const part = PARTS.stm32l4r5!;
  const pts = operatingPoints(part);
  const a = pts.find((p) => p.pllMHz === 120 && p.hpre === 1)!;
  const b = pts.find((p) => p.pllMHz === 120 && p.hpre === 2)!;
  const c = pts.find((p) => p.range === 'range2')!;
  assert.equal(transitionCost(part, a, a).us, 0);
  assert.equal(transitionCost(part, a, b).us, 1);
  assert.equal(transitionCost(part, a, c).us, 80);
});

test('DP equals brute force on 240 random small instances', () => {
  const rand = mulberry32(12345);
  const partNames = Object.keys(PARTS);
  let feasibleCount = 0;
  for (let inst = 0; inst < 240; inst++) {
    const part = PARTS[partNames[inst % partNames.length]!]!;
    const all = operatingPoints(part);
    // 2..5 points (always including the fastest, the home point), 1..5 segments.
    const k = 2 + Math.floor(rand() * 4);
    const picked = [all[0]!, ...all.slice(1).sort(() => rand() - 0.5).slice(0, k - 1)].map((p, id) => ({ ...p, id }));
    const n = 1 + Math.floor(rand() * 5);
    const segments: Segment[] = Array.from({ length: n }, (_, i) => ({
      name: `s${i}`, layer: i >> 1, kind: rand() < 0.5 ? 'access' : 'execute',
      cycles: Math.floor(1e3 + rand() * 2e6), flashLines: rand() < 0.5 ? Math.floor(rand() * 1e5) : 0,
    }));
    const base: PlanInput = { part, points: picked, segments, deadlineUs: 1 };
    const fast = raceToIdle(base).busyUs;
    const input = { ...base, deadlineUs: fast * (0.9 + rand() * 3) };
    const dp = planDvfs(input);
    const bf = bruteForce(input);
    if (!bf) { assert.equal(dp.feasible, false, `instance ${inst}: DP found a plan where none exists`); continue; }
    feasibleCount++;
    assert.ok(dp.feasible, `instance ${inst}: DP found no plan, brute force did`);
    assert.ok(Math.abs(dp.energyUj - bf.energyUj) <= 1e-9 * bf.energyUj, `instance ${inst}: DP ${dp.energyUj} vs brute force ${bf.energyUj}`);
  }
  assert.ok(feasibleCount >= 200, `only ${feasibleCount} feasible instances`);
});

test('baselines: race-to-idle meets any feasible deadline; the single lowest point is never faster than needed', () => {
  const part = PARTS.stm32h743!;
  const points = operatingPoints(part);
  const segments: Segment[] = [{ name: 'x', layer: 0, kind: 'execute', cycles: 4_000_000, flashLines: 0 }];
  const fast = raceToIdle({ part, points, segments, deadlineUs: 1e9 }).busyUs;
  const input = { part, points, segments, deadlineUs: 2 * fast };
  assert.ok(raceToIdle(input).feasible);
  const low = lowestSinglePoint(input);
  assert.ok(low.feasible);
  // 4 M cycles in 2x the time at 480 MHz (~16.7 ms) needs >= ~240 MHz: the chosen clock is the slowest such.
  const f = points[low.choice[0]!]!.fMHz;
  assert.ok(f >= 240 && points.every((p) => p.fMHz >= f || evaluateTooSlow(p.fMHz)), `chose ${f} MHz`);
  function evaluateTooSlow(fm: number) { return 4_000_000 / fm + part.wakeUs + part.pllRelockUs > 2 * fast; }
  // The DP is never worse than either baseline.
  const dp = planDvfs(input);
  assert.ok(dp.energyUj <= raceToIdle(input).energyUj + 1e-9 && dp.energyUj <= low.energyUj + 1e-9);
});

test('H743 flash runs on the AXI clock, at most half the VOS maximum (DS12110 Table 122, RM0433 Table 17)', () => {
  const pts = operatingPoints(PARTS.stm32h743!);
  // VOS3 200 MHz: AXI 100 MHz -> 2 WS (1 below 90, 2 below 135).
  assert.equal(pts.find((p) => p.range === 'vos3' && p.fMHz === 200)!.waitStates, 2);
  // VOS1 400 MHz: AXI 200 MHz -> 2 WS (below 210).
  assert.equal(pts.find((p) => p.range === 'vos1' && p.fMHz === 400)!.waitStates, 2);
  // VOS1 160 MHz (320 / 2): AXI 160 MHz -> 2 WS; VOS1 100 MHz -> 1 WS (70 <= f < 140).
  assert.equal(pts.find((p) => p.range === 'vos1' && p.fMHz === 160)!.waitStates, 2);
  assert.equal(pts.find((p) => p.range === 'vos1' && p.fMHz === 100)!.waitStates, 1);
});

test('F746 (F722 proxy): 200 MHz is an over-drive point, Scale 1 stops at 180 MHz', () => {
  const pts = operatingPoints(PARTS.stm32f746!);
  assert.ok(pts.filter((p) => p.fMHz === 200).every((p) => p.range === 'scale1-od'));
  assert.ok(pts.filter((p) => p.range === 'scale1').every((p) => p.fMHz <= 180));
});

test('a period wakes from Stop with every PLL off: one PLL lock to the first point, no switch back at the end', () => {
  // H7A3: wake-up 4.4 us, PLL lock 150 us, VOS change 100 us (parts.ts). Hand timeline, no flash stalls:
  const part = PARTS.stm32h7a3!;
  const points = operatingPoints(part);
  const p160 = points.find((p) => p.range === 'vos2' && p.fMHz === 160)!;
  const p88 = points.find((p) => p.range === 'vos3' && p.fMHz === 88)!;
  const p280 = points[0]!;
  assert.equal(p280.fMHz, 280);
  const segments: Segment[] = [
    { name: 'a', layer: 0, kind: 'execute', cycles: 1_600_000, flashLines: 0 },
    { name: 'b', layer: 1, kind: 'execute', cycles: 880_000, flashLines: 0 },
  ];
  const input: PlanInput = { part, points, segments, deadlineUs: 1e6 };
  // Race-to-idle: wake 4.4, lock to 280 MHz 150 (same range as it stopped in), 2.48 M cycles at 280 MHz.
  const race = raceToIdle(input);
  assert.ok(Math.abs(race.busyUs - (4.4 + 150 + 2_480_000 / 280)) < 1e-6, `race busy ${race.busyUs}`);
  assert.equal(race.switches, 0);
  // vos2 160 then vos3 88: woke in vos3 (the last segment's range): lock + VOS change 250, 10,000 us,
  // switch vos2 -> vos3 250, 10,000 us; and nothing after the last segment.
  const mixed = evaluate(input, [p160.id, p88.id]);
  assert.ok(Math.abs(mixed.busyUs - (4.4 + 250 + 10_000 + 250 + 10_000)) < 1e-6, `mixed busy ${mixed.busyUs}`);
  assert.equal(mixed.switches, 1);
  // Both at 88 MHz: lock only (woke in vos3), 2.48 M cycles at 88 MHz.
  const low = evaluate(input, [p88.id, p88.id]);
  assert.ok(Math.abs(low.busyUs - (4.4 + 150 + 2_480_000 / 88)) < 1e-6, `low busy ${low.busyUs}`);
  // The DP agrees with enumeration here too.
  const dp = planDvfs({ ...input, deadlineUs: 2 * race.busyUs });
  const bf = bruteForce({ ...input, deadlineUs: 2 * race.busyUs })!;
  assert.ok(Math.abs(dp.energyUj - bf.energyUj) <= 1e-9 * bf.energyUj);
});
