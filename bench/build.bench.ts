// Build time of a full `tinyforge build` of vww (MLPerf Tiny, vww_96_int8.tflite): both targets (mcu
// cortex-m4 and cgra 4x4) with verification (host and QEMU M4, 2 inputs; CGRA simulation), run as the
// command in a child process, with a cold object cache (a fresh TINYFORGE_CACHE_DIR) and then warm (the
// same folder again), side by side with the 10 s target of issue 13. Per-stage times come from the build's
// own `--json` (`timings`). Wall-clock on a shared machine: the load average is recorded with the figures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelPath, repoRoot } from '../tests/helpers/paths.ts';

const TARGET_S = 10;

export default async function run() {
  const model = modelPath('vww');
  if (!model) throw new Error('vww_96_int8.tflite missing');
  const dir = mkdtempSync(join(tmpdir(), 'tf-build-bench-'));
  const config = join(dir, 'vww.yaml');
  writeFileSync(config, `name: vww\nmodel: ${model}\narith: tflm\nout: out\ntargets:\n  mcu: { cpu: cortex-m4, flash: 1M, sram: 512K }\n  cgra: { rows: 4, cols: 4, bus: shared, strategy: auto }\n`);
  const cache = join(dir, 'cache');
  const runs: Array<Record<string, unknown>> = [];
  for (const cacheState of ['cold', 'warm'] as const) {
    const load = loadavg()[0];
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'tinyforge.mjs'), 'build', config, '--json', '--force'],
      { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, TINYFORGE_CACHE_DIR: cache } });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`build failed (${cacheState}, exit ${r.status}): ${r.stderr.slice(-2000)}`);
    const rep = JSON.parse(r.stdout);
    runs.push({ cache: cacheState, seconds: +wall.toFixed(2), withinTarget: wall <= TARGET_S, loadAverageBefore: +load.toFixed(2), timings: rep.timings,
      verified: { mcu: rep.verify.mcu.map((v: { on: string; ok: boolean }) => `${v.on}:${v.ok}`), cgraBitExact: rep.totals.cgra.bitExact } });
  }
  rmSync(dir, { recursive: true, force: true });
  const fmt = (x: number | undefined) => (x === undefined ? '-' : (x / 1000).toFixed(2));
  const stages = ['select', 'plan', 'emit', 'fit', 'compile', 'run', 'report'];
  console.log(`vww full build (mcu cortex-m4 + cgra 4x4, verification on), ${availableParallelism()} cores; target ${TARGET_S} s`);
  console.log(['cache', 'wall s', ...stages.map((s) => `mcu ${s}`), 'cgra', 'objects hit/miss'].join('  '));
  for (const r of runs) {
    const t = r.timings as { mcu: Record<string, number>; cgra: number; objectCache: { hits: number; misses: number } };
    console.log([r.cache, (r.seconds as number).toFixed(2), ...stages.map((s) => fmt(t.mcu[s])), fmt(t.cgra), `${t.objectCache.hits}/${t.objectCache.misses}`].join('  '));
  }
  return { model: 'vww_96_int8.tflite', targetSeconds: TARGET_S, cores: availableParallelism(), runs };
}
