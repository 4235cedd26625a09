// `npm run fuzz -- --cases N [--seed S] [--kind tflite|yaml|cgra|build] [--models <substring of the seed model names>]` (bundled by
// scripts/fuzz.mjs): runs the fuzz driver (without --kind: tflite, yaml and cgra; `build` cases take seconds each, so only when named), prints the counts per kind and writes bench/results/fuzz.json; exits 1 when a case failed
// (reproducers in .cache/fuzz-failures/).
import { parseArgs } from 'node:util';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_TIMEOUT_MS, KINDS, runFuzz, type Kind } from './driver.ts';
import { modelsDir, repoRoot } from '../helpers/paths.ts';

export async function fuzzCli(argv: string[], workerPath: string): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { cases: { type: 'string' }, seed: { type: 'string' }, kind: { type: 'string', multiple: true }, models: { type: 'string' } }, strict: true });
  const cases = Number(values.cases ?? 300);
  const seed = Number(values.seed ?? 1);
  const kinds = (values.kind ?? KINDS.filter((k) => k !== 'build')) as Kind[];
  if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(seed) || kinds.some((k) => !KINDS.includes(k))) {
    process.stderr.write(`usage: npm run fuzz -- --cases N [--seed S] [--kind ${KINDS.join('|')}]... [--models <file-name substring>]\n`);
    return 2;
  }
  console.log(`fuzz: ${cases} cases, seed ${seed}, kinds ${kinds.join(', ')}`);
  const res = await runFuzz({ cases, seed, kinds, workerPath, repoRoot, modelsDir, ...(values.models ? { modelFilter: values.models } : {}), log: (l) => console.log(l) });
  console.log(`\n${'kind'.padEnd(8)} ${['cases', 'clean err', 'success', 'internal', 'hangs', 'memory', 'partial'].map((h) => h.padStart(9)).join(' ')}`);
  for (const [k, c] of Object.entries(res.counts)) {
    console.log(`${k.padEnd(8)} ${[c.cases, c.cleanErrors, c.successes, c.internalErrors, c.hangs, c.memory, c.partial].map((n) => String(n).padStart(9)).join(' ')}`);
  }
  console.log(`${res.failures.length} failures in ${res.seconds.toFixed(1)} s`);
  const results = join(repoRoot, 'bench', 'results');
  mkdirSync(results, { recursive: true });
  const dest = join(results, 'fuzz.json');
  // One entry per kind, merged into the existing file: `--kind tflite` then `--kind yaml` keeps both runs.
  let prev: { kinds?: Record<string, unknown> } = {};
  try { prev = JSON.parse(readFileSync(dest, 'utf8')); } catch { prev = {}; }
  const kindsDoc: Record<string, unknown> = { ...(prev.kinds ?? {}) };
  const date = new Date().toISOString();
  for (const [k, c] of Object.entries(res.counts)) {
    kindsDoc[k] = { command: `npm run fuzz -- ${argv.join(' ')}`, date, seed, seconds: Math.round(res.seconds), ...c,
      failures: res.failures.filter((f) => f.kind === k).map((f) => ({ case: f.caseIndex, class: f.class, reason: f.reason.split('\n')[0] })) };
  }
  const doc = { command: 'npm run fuzz -- --cases N [--seed S] [--kind tflite|yaml|cgra|build]', date, node: process.version,
    limits: { secondsPerCase: 20, secondsPerBuildCase: BUILD_TIMEOUT_MS / 1000, heapMb: 1024 }, kinds: kindsDoc };
  writeFileSync(dest + '.tmp', JSON.stringify(doc, null, 2) + '\n');
  renameSync(dest + '.tmp', dest);
  console.log('wrote bench/results/fuzz.json');
  return res.failures.length ? 1 : 0;
}
