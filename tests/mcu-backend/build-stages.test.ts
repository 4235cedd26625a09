// The Cortex-M build as stages (mcu-backend/build.ts over mcu-backend/stages/): timings per stage, the
// object cache across two builds of one config (the second compiles nothing and writes the same files),
// and the schedule's objective (estimated instructions: the config names a core, no part), chosen point,
// front and plot in the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../compiler/frontend/yaml/config.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { mcuBuildStep } from '../../mcu-backend/build.ts';
import { cacheStats } from '../../mcu-backend/stages/compile.ts';
import { StageTimer } from '../../mcu-backend/stages/timing.ts';
import { repoRoot, scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

test('two builds of the default config: the second takes every object from the cache and writes the same C and report', async (t) => {
  if (!needTools(t, 'm4')) return;
  const work = scratchDir('tinyforge-stages-');
  process.env.TINYFORGE_CACHE_DIR = join(work, 'cache');
  const cfg = loadConfig(join(repoRoot, 'configs', 'default.yaml'));
  const module = runPipeline(cfg.graph, { arith: cfg.arith });
  const builds = [];
  for (const k of [0, 1]) {
    const before = { ...cacheStats };
    const timer = new StageTimer();
    const step = await mcuBuildStep(cfg.graph, module, cfg.targets.mcu!, join(work, `out${k}`), { verifyInputs: 1, timer });
    assert.ok(step.ok);
    builds.push({ step, hits: cacheStats.hits - before.hits, misses: cacheStats.misses - before.misses, ms: timer.ms });
  }
  // First build: the model's object for the size program (reused by QEMU) and for the host; second: all hits.
  assert.ok(builds[0]!.misses >= 2, `first build misses ${builds[0]!.misses}`);
  assert.equal(builds[1]!.misses, 0);
  assert.ok(builds[1]!.hits >= 3, `second build hits ${builds[1]!.hits}`);
  for (const s of ['select', 'plan', 'emit', 'compile', 'run', 'report'] as const) assert.ok(builds[1]!.ms[s]! >= 0, s);
  const [a, b] = builds.map((x) => x.step.build);
  const file = (i: number, f: string) => readFileSync(join(work, `out${i}`, 'mcu', f), 'utf8');
  assert.equal(file(0, `${a!.em.cname}.c`), file(1, `${b!.em.cname}.c`));
  assert.equal(file(0, 'report.txt'), file(1, 'report.txt'));
  assert.deepEqual(a!.totals, b!.totals);
  assert.equal(a!.totals.instructions, b!.totals.instructions);
  // The schedule: chosen point on the front, within the budget, plotted next to the model.
  const s = a!.totals.schedule!;
  assert.ok(s.feasible);
  // The core alone (no part, no objective in the config): the search minimised estimated instructions (no probe runs).
  assert.equal(s.objective.kind, 'instructions');
  assert.ok(s.front.some((p) => p.arenaBytes === s.chosen.arenaBytes && p.flashBytes === s.chosen.flashBytes && p.instructions === s.chosen.instructions));
  assert.ok(existsSync(join(work, 'out0', 'mcu', s.plot!)));
  assert.match(file(0, s.plot!), /^<svg /);
  assert.match(file(0, 'report.txt'), /^schedule: (exhaustive|greedy\+descent) search over [\d,]+ selections \([\d,]+ memory plans\), objective: estimated instructions \(no cycle model requested\); chosen: /m);
});
