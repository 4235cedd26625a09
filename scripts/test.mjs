// `npm test`: builds, bundles every tests/**/*.test.ts with esbuild (tsx-style loaders are ~10x slower on
// binaryen), runs them under node's test runner, runs the as-pect specs of the AssemblyScript kernels,
// and ends with one `N passed, N failed, N skipped` line summing every suite (the line CI reads). Under
// CI=true a skipped test is a failure: CI has every tool and model, so a skip there hides a missing check.
// Usage: npm test [-- <substring filter on test file paths>]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureBuilt, root } from './build.mjs';

const filters = process.argv.slice(2);
// One bundle directory per run, so concurrent runs (a filtered run beside a full one) never clobber each other.
const cache = join(root, '.cache', `tests-${process.pid}`);

function findTests(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...findTests(p));
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { out += d; process.stderr.write(d); });
    child.on('close', (code) => resolve({ code, out }));
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
const ci = process.env.CI === 'true';

await ensureBuilt();

// 1. Type check (one check: the whole program is strict-typed).
if (filters.length === 0) {
  const tsc = await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'tsconfig.json']);
  if (tsc.code === 0) { passed++; console.log('ok - typecheck (tsc --noEmit)'); } else { failed++; console.log('not ok - typecheck (tsc --noEmit)'); }
}

// 2. Node test suites, bundled.
const tests = findTests(join(root, 'tests')).filter((t) => filters.length === 0 || filters.some((f) => t.includes(f)));
if (tests.length > 0) {
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  const esbuild = await import('esbuild');
  const outs = tests.map((t) => join(cache, relative(join(root, 'tests'), t).replace(/\.ts$/, '.mjs')));
  let bundled = true;
  // A test that does not bundle is a failure in the closing line, not a crash without one.
  await esbuild.build({
    entryPoints: tests.map((t, i) => ({ in: t, out: relative(cache, outs[i]).replace(/\.mjs$/, '') })),
    outdir: cache, outExtension: { '.js': '.mjs' }, bundle: true, platform: 'node', format: 'esm',
    target: 'node20', packages: 'external', sourcemap: 'inline', logLevel: 'warning',
  }).catch((e) => { bundled = false; failed++; console.log(`not ok - bundling the tests: ${String(e.message).split('\n')[0]}`); });
  const r = !bundled ? { code: 0, out: '' } : await run(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=spec', '--test-concurrency=2', ...outs]);
  const p = /ℹ pass (\d+)/.exec(r.out);
  const f = /ℹ fail (\d+)/.exec(r.out);
  const sk = /ℹ skipped (\d+)/.exec(r.out);
  const todo = /ℹ todo (\d+)/.exec(r.out);
  skipped += (sk ? Number(sk[1]) : 0) + (todo ? Number(todo[1]) : 0);
  passed += p ? Number(p[1]) : 0;
  failed += f ? Number(f[1]) : (r.code === 0 ? 0 : 1);
  if (!p && r.code !== 0) console.log('node --test did not report a summary');
}

// 3. as-pect specs of the AssemblyScript kernels (SIMD enabled in as-pect.asconfig.json).
const specDir = join(root, 'runtime-wasm', 'assembly', '__tests__');
// Runs with the whole suite, or when a filter names the spec folder (e.g. `npm test -- assembly/__tests__`).
if (existsSync(specDir) && (filters.length === 0 || filters.some((f) => relative(root, specDir).includes(f) || f === 'as-pect'))) {
  const r = await run(process.execPath, [join(root, 'node_modules', '@as-pect', 'cli', 'lib', 'test.js'),
    '--config', 'runtime-wasm/as-pect.config.js', '--as-config', 'runtime-wasm/as-pect.asconfig.json'], { FORCE_COLOR: '0' });
  const m = /\[Tests\]:\s*(\d+)\s*\/\s*(\d+)/.exec(r.out.replace(/\x1b\[[0-9;]*m/g, ''));
  if (m) { passed += Number(m[1]); failed += Number(m[2]) - Number(m[1]); }
  if (!m || r.code !== 0) { failed += m ? 0 : 1; if (!m) console.log('as-pect did not report a summary'); }
}

rmSync(cache, { recursive: true, force: true });
if (ci && skipped > 0) {
  console.log(`CI=true: ${skipped} skipped test(s) count as failures (every tool and model must be present in CI)`);
  failed += skipped;
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
