// The stm32h7a3 and stm32u575 DVFS parts against the figures they come from (RM0455 wait states; ST's MLPerf
// Tiny v1.3 board measurements of the streaming wake word at two clocks, recomputed here by hand), and the
// pricing of cycle-model segments: zero-wait cycles plus flash misses stalled at each point's wait states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PARTS, operatingPoints } from '../../mcu-backend/dvfs/parts.ts';
import { segmentCost, type Segment } from '../../mcu-backend/dvfs/planner.ts';
import { pointsWithMisses, profileSegments } from '../../mcu-backend/dvfs/wire.ts';
import type { EmittedModel } from '../../mcu-backend/emit/model.ts';

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('H7A3 wait states per VOS follow RM0455 Table 16 (VOS0 one per 42 MHz, VOS3 one per 22 MHz)', () => {
  const pts = operatingPoints(PARTS.stm32h7a3!);
  const at = (range: string, f: number) => pts.find((p) => p.range === range && p.fMHz === f)!.waitStates;
  assert.equal(at('vos0', 280), 6);
  assert.equal(at('vos0', 140), 3);
  assert.equal(at('vos1', 225), 5);
  assert.equal(at('vos2', 160), 4);
  assert.equal(at('vos3', 88), 3);
  assert.equal(at('vos3', 40), 1);
  assert.equal(at('vos3', 22), 0);
});

test('H7A3 run power reproduces the MLPerf Tiny board measurements (163 mW at 280 MHz; sww 30.45 mW and 16.17 mW)', () => {
  const pts = operatingPoints(PARTS.stm32h7a3!);
  const p280 = pts.find((p) => p.range === 'vos0' && p.fMHz === 280)!.powerMw;
  const p40 = pts.find((p) => p.range === 'vos3' && p.fMHz === 40)!.powerMw;
  near(p280, 163, 1e-6, 'run power at 280 MHz');
  // Idle at 280 MHz from the sww average at duty 0.13259, as a fraction of run power, applied at 40 MHz.
  const idle280 = (30.4526 - 0.13259 * 163) / (1 - 0.13259);
  const rho = idle280 / 163;
  near(0.92807 * p40 + (1 - 0.92807) * rho * p40, 16.1655, 1e-6, 'sww average at 40 MHz');
  // The measured saving of the slow clock on the stream: 1 - 19.453 J / 36.632 J = 46.9 %.
  near(1 - (0.92807 * p40 + (1 - 0.92807) * rho * p40) / (0.13259 * p280 + (1 - 0.13259) * idle280), 0.469, 0.001, 'sww saving');
});

test('U575 run power reproduces the MLPerf Tiny board measurements (23.07 mW at 160 MHz; sww at 60 MHz in range 2)', () => {
  const u5 = PARTS.stm32u575!;
  const p160 = operatingPoints(u5).find((p) => p.range === 'range1' && p.fMHz === 160)!.powerMw;
  near(p160, 23.0679, 1e-6, 'run power at 160 MHz');
  const r2 = u5.ranges.find((r) => r.name === 'range2')!;
  const p60 = u5.vddV * (r2.i0mA + r2.kmAPerMHz * 60) + u5.boardRunMw;
  const rho = (11.4741 - 0.36346 * 23.0679) / (1 - 0.36346) / 23.0679;
  near(0.96974 * p60 + (1 - 0.96974) * rho * p60, 9.5213, 1e-6, 'sww average at 60 MHz');
});

test('a flash miss stalls for the point\'s wait states in CPU cycles plus the line fill (H7A3: WS + 4; U575: WS)', () => {
  const h7 = pointsWithMisses(PARTS.stm32h7a3!);
  assert.equal(h7.find((p) => p.range === 'vos0' && p.fMHz === 280)!.missCycles, 10);
  assert.equal(h7.find((p) => p.range === 'vos3' && p.fMHz === 88)!.missCycles, 7);
  assert.equal(h7.find((p) => p.range === 'vos3' && p.fMHz === 22)!.missCycles, 0);
  const u5 = pointsWithMisses(PARTS.stm32u575!);
  assert.equal(u5.find((p) => p.range === 'range1' && p.fMHz === 160)!.missCycles, 4);
  assert.equal(u5.find((p) => p.range === 'range2' && p.fMHz === 100)!.missCycles, 3);
  assert.equal(u5.find((p) => p.range === 'range3' && p.fMHz === 48)!.missCycles, 3); // ST's table: 37.5 < 48 <= 50 MHz in range 3
  // 1000 zero-wait cycles and 100 misses: 2000 cycles at 280 MHz, 1700 at 88 MHz.
  const seg: Segment = { name: 's', layer: 0, kind: 'access', cycles: 1000, flashLines: 0, misses: 100 };
  near(segmentCost(seg, h7.find((p) => p.fMHz === 280)!).us, 2000 / 280, 1e-12, '280 MHz');
  near(segmentCost(seg, h7.find((p) => p.range === 'vos3' && p.fMHz === 88)!).us, 1700 / 88, 1e-12, '88 MHz');
});

test('profile segments: markers 6 and 2 close the access and execute segments, hooks and glue join the segment they start', () => {
  const em = {
    layers: [{ index: 0, name: 'conv' }, { index: 1, name: 'fc' }],
    segments: [{ layer: 0, kind: 'access' }, { layer: 0, kind: 'execute' }, { layer: 1, kind: 'execute' }],
  } as unknown as EmittedModel;
  const seg = (marker: number, cycles: number, misses = 0) => ({ marker, cycles, misses });
  const s = profileSegments(em, [seg(7, 1), seg(8, 10), seg(5, 2), seg(6, 100, 7), seg(7, 1), seg(8, 10), seg(1, 2), seg(2, 500, 1),
    seg(7, 1), seg(8, 10), seg(1, 2), seg(2, 300, 40), seg(4, 5)]);
  assert.deepEqual(s.map((x) => [x.name, x.kind, x.cycles, x.misses]), [
    ['0:conv.access', 'access', 113, 7], ['0:conv.execute', 'execute', 513, 1], ['1:fc.execute', 'execute', 318, 40]]);
  assert.throws(() => profileSegments(em, [seg(2, 1)]), /access/);
});
