// The DVFS plot must be readable without hovering: both panels name their axis and unit, every clock the
// plan uses is a labelled tick, and the time axis marks 0, the end of the work and the deadline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PARTS, operatingPoints } from '../../../mcu-backend/dvfs/parts.ts';
import { raceToIdle } from '../../../mcu-backend/dvfs/planner.ts';
import { buildSegments } from '../../../mcu-backend/dvfs/segments.ts';
import { dvfsSvg, runDvfs } from '../../../mcu-backend/dvfs/report.ts';

test('dvfsSvg labels axes, the clocks used, the end of the work and the deadline', () => {
  const part = PARTS.stm32h743!;
  const points = operatingPoints(part);
  const segments = buildSegments([
    { name: 'conv', instructions: 2_000_000, loads: 400_000, weightBytes: 20_000 },
    { name: 'fc', instructions: 50_000, loads: 20_000, weightBytes: 60_000 },
  ], part);
  const fast = raceToIdle({ part, points, segments, deadlineUs: 1e9 }).busyUs;
  const input = { part, points, segments, deadlineUs: 2 * fast };
  const r = runDvfs(input);
  const svg = dvfsSvg(part, points, input, r.plan, 'test');
  assert.match(svg, />clock \(MHz\)</);
  assert.match(svg, />power \(mW\)</);
  const used = new Set(r.plan.choice.map((c) => points[c]!.fMHz));
  for (const f of used) assert.match(svg, new RegExp(`text-anchor="end">${f}</text>`), `tick label for ${f} MHz`);
  assert.match(svg, new RegExp(`deadline ${(input.deadlineUs / 1000).toFixed(2)} ms`));
  assert.match(svg, /work ends \d+\.\d\d ms/);
  assert.match(svg, />idle</);
});
