// `npm run fuzz -- --cases N [--seed S] [--kind tflite|yaml|cgra|build]`: bundles the fuzz driver and its worker
// (tests/fuzz/cli.ts, tests/fuzz/worker.ts) with esbuild and runs them; see tests/fuzz/driver.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureBuilt, root } from './build.mjs';

await ensureBuilt();
const cache = join(root, '.cache', 'fuzz');
mkdirSync(cache, { recursive: true });
const esbuild = await import('esbuild');
const opts = { bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', sourcemap: 'inline', logLevel: 'warning' };
await esbuild.build({ ...opts, entryPoints: [join(root, 'tests', 'fuzz', 'cli.ts')], outfile: join(cache, 'cli.mjs') });
await esbuild.build({ ...opts, entryPoints: [join(root, 'tests', 'fuzz', 'worker.ts')], outfile: join(cache, 'worker.mjs') });
const { fuzzCli } = await import(join(cache, 'cli.mjs'));
process.exitCode = await fuzzCli(process.argv.slice(2), join(cache, 'worker.mjs'));
