// `npm run bench [-- <name substring>]`: bundles every bench/*.bench.ts with esbuild and runs each in its
// own process. A bench file's default export is `async () => figures` (a JSON-able object); the runner
// writes it to bench/results/<name>.json with the command and the date, and the bench prints its own table.
// With TF_BENCH_ONLY or TF_BENCH_COLUMNS set (a bench's own workload / column filters, e.g. cgra-e2e's) the run is partial: results stay in
// .cache/bench/<name>.json and bench/results is not written.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync, readFileSync, renameSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, root } from './build.mjs';

const filters = process.argv.slice(2);
const benchDir = join(root, 'bench');
const cache = join(root, '.cache', 'bench');
const results = join(benchDir, 'results');
mkdirSync(cache, { recursive: true });
mkdirSync(results, { recursive: true });
await ensureBuilt();

const files = (existsSync(benchDir) ? readdirSync(benchDir) : [])
  .filter((f) => f.endsWith('.bench.ts') && (filters.length === 0 || filters.some((x) => f.includes(x)))).sort();
const esbuild = await import('esbuild');
let failures = 0;
for (const f of files) {
  const name = f.replace(/\.bench\.ts$/, '');
  const entry = join(cache, `${name}.entry.mjs`);
  const bundle = join(cache, `${name}.mjs`);
  await esbuild.build({ entryPoints: [join(benchDir, f)], outfile: bundle, bundle: true, platform: 'node', format: 'esm',
    target: 'node20', packages: 'external', sourcemap: 'inline', logLevel: 'warning' });
  const out = join(cache, `${name}.json`);
  writeFileSync(entry, `import run from ${JSON.stringify(bundle)};\nimport { writeFileSync } from 'node:fs';\n` +
    `writeFileSync(${JSON.stringify(out)}, JSON.stringify(await run(), null, 2));\n`);
  console.log(`\n=== bench ${name}`);
  const r = spawnSync(process.execPath, ['--enable-source-maps', entry], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) { console.log(`bench ${name} failed (exit ${r.status})`); failures++; continue; }
  if (process.env.TF_BENCH_ONLY || process.env.TF_BENCH_COLUMNS) { console.log(`TF_BENCH_ONLY / TF_BENCH_COLUMNS set: a partial run, figures in ${out} (bench/results untouched)`); continue; }
  const figures = JSON.parse(readFileSync(out, 'utf8'));
  const doc = { command: `npm run bench -- ${name}`, date: new Date().toISOString(), node: process.version, ...figures };
  const dest = join(results, `${name}.json`);
  writeFileSync(dest + '.tmp', JSON.stringify(doc, null, 2) + '\n');
  renameSync(dest + '.tmp', dest);
  console.log(`wrote bench/results/${name}.json`);
}
process.exitCode = failures ? 1 : 0;
