// The emitted DVFS plan: PLL settings that reach every operating point's clock exactly (checked by
// recomputing the clock from the register fields), and C that compiles warning-free with
// arm-none-eabi-gcc together with the STM32L4+ and STM32H7 example hooks (they cannot run on QEMU's boards).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { PARTS, operatingPoints } from '../../mcu-backend/dvfs/parts.ts';
import { planDvfs, raceToIdle } from '../../mcu-backend/dvfs/planner.ts';
import { emitDvfsPlan, solvePll } from '../../mcu-backend/dvfs/emit.ts';
import { buildSegments } from '../../mcu-backend/dvfs/segments.ts';
import { repoRoot, scratchDir } from '../helpers/paths.ts';

const pllInput: Record<string, number> = { stm32l4r5: 16, stm32h743: 64, stm32h7a3: 64 }; // HSI of each part (others: HSI16)

test('every operating point of every part has an exact PLL setting', () => {
  for (const part of Object.values(PARTS)) {
    for (const p of operatingPoints(part)) {
      const { m, n, r } = solvePll(part, p.pllMHz);
      assert.equal(((pllInput[part.name] ?? 16) / m) * n / r, p.pllMHz, `${part.name} ${p.pllMHz} MHz`);
    }
  }
});

const haveArmGcc = spawnSync('arm-none-eabi-gcc', ['--version']).status === 0;
for (const [partName, example, cpu] of [['stm32l4r5', 'stm32l4plus_opp.c', 'cortex-m4'], ['stm32h743', 'stm32h7_opp.c', 'cortex-m7']] as const) {
  test(`emitted plan + ${example} compile with arm-none-eabi-gcc -Wall -Wextra -Werror`, { skip: !haveArmGcc && process.env.CI !== 'true' ? 'arm-none-eabi-gcc not installed' : false }, () => {
    const part = PARTS[partName]!;
    const points = operatingPoints(part);
    const segments = buildSegments([
      { name: 'conv', instructions: 2_000_000, loads: 400_000, weightBytes: 20_000 },
      { name: 'fc', instructions: 50_000, loads: 20_000, weightBytes: 60_000 },
    ], part);
    const fast = raceToIdle({ part, points, segments, deadlineUs: 1e9 }).busyUs;
    const plan = planDvfs({ part, points, segments, deadlineUs: 1.5 * fast });
    assert.ok(plan.feasible);
    const { header, source } = emitDvfsPlan('net', part, points, plan, segments);
    const dir = scratchDir();
    writeFileSync(join(dir, 'net_dvfs.h'), header);
    writeFileSync(join(dir, 'net_dvfs.c'), source);
    const ex = join(repoRoot, 'mcu-backend', 'dvfs', 'examples');
    copyFileSync(join(ex, 'tinyforge_opp.h'), join(dir, 'tinyforge_opp.h'));
    writeFileSync(join(dir, 'hook.c'), `#include "net_dvfs.h"\nvoid tinyforge_apply_operating_point(const tinyforge_opp_t *p);\nvoid net_set_operating_point(int id) { tinyforge_apply_operating_point(&net_opp[id]); }\n`);
    for (const f of ['net_dvfs.c', 'hook.c', join(ex, example)]) {
      const r = spawnSync('arm-none-eabi-gcc', [`-mcpu=${cpu}`, '-mthumb', '-O2', '-std=c99', '-Wall', '-Wextra', '-Werror', '-I', dir, '-c', f, '-o', join(dir, 'x.o')], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, `${f}: ${r.stderr}`);
    }
  });
}
