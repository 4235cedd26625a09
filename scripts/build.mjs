// Builds what the CLI, the public API and the tests run: the CLI bundle and the API bundle with its batch
// worker (esbuild, dependencies left external), Observable Plot for report.html (dist/plot.js), the golden runtime's two WebAssembly modules
// (AssemblyScript via the asc API, scalar and SIMD), and -- `npm run build` / `npm pack` only, as tsc takes
// a few seconds -- the API's type declarations (dist/types, tsconfig.api.json).
// `ensureBuilt` rebuilds only when a source is newer than its output, so `bin/tinyforge.mjs` can call it
// on every start.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

function newest(dir, exts) {
  let t = 0;
  if (!existsSync(dir)) return 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, exts));
    else if (exts.some((x) => e.name.endsWith(x))) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : -1);

export const cliSources = ['compiler', 'cgra-mapper', 'mcu-backend', 'runtime-wasm'];
const wasmEntry = join(root, 'runtime-wasm', 'assembly', 'index.ts');
export const wasmOutputs = { scalar: join(dist, 'golden.wasm'), simd: join(dist, 'golden-simd.wasm') };

/** The bundles: the CLI, the public API (package.json `exports`), runBatch's worker and `cgra sweep`'s worker. */
const bundles = {
  'tinyforge.mjs': join(root, 'compiler', 'cli', 'main.ts'),
  'api.mjs': join(root, 'compiler', 'api', 'index.ts'),
  'golden-worker.mjs': join(root, 'compiler', 'api', 'golden-worker.ts'),
  'cgra-sweep-worker.mjs': join(root, 'cgra-mapper', 'sweep-worker.ts'),
};

export async function buildCli() {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: Object.entries(bundles).map(([out, entry]) => ({ in: entry, out: out.replace(/\.mjs$/, '') })),
    outdir: dist,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

/** Observable Plot as one minified IIFE (globalThis.Plot), inlined into every report.html (no network). */
const plotOut = join(dist, 'plot.js');
export async function buildPlot() {
  const esbuild = await import('esbuild');
  await esbuild.build({
    stdin: { contents: "import * as Plot from '@observablehq/plot'; globalThis.Plot = Plot;", resolveDir: root, loader: 'js' },
    outfile: plotOut, bundle: true, format: 'iife', platform: 'browser', target: 'es2020', minify: true, legalComments: 'inline', logLevel: 'warning',
  });
}

export async function buildWasm() {
  if (!existsSync(wasmEntry)) return false;
  const asc = (await import('assemblyscript/asc')).default;
  for (const [mode, out] of Object.entries(wasmOutputs)) {
    const args = [wasmEntry, '--outFile', out, '--optimizeLevel', '3', '--shrinkLevel', '0', '--runtime', 'stub',
      '--noAssert', '--exportRuntime', '--initialMemory', '16', '--config', join(root, 'asconfig.json'), '--target', mode];
    const { error, stderr } = await asc.main(args);
    if (error) throw new Error(`asc (${mode}) failed: ${error.message}\n${stderr.toString()}`);
  }
  await checkWasmFeatures();
  return true;
}

/**
 * The scalar module must contain no SIMD instruction and the SIMD one must use them (asconfig.json's
 * targets: scalar disables simd, simd enables it). Checked on the binaries with binaryen's text form.
 */
export async function checkWasmFeatures() {
  const binaryen = (await import('binaryen')).default;
  const { readFileSync } = await import('node:fs');
  for (const [mode, out] of Object.entries(wasmOutputs)) {
    const m = binaryen.readBinary(readFileSync(out));
    m.setFeatures(binaryen.Features.All);
    const simdOps = (m.emitText().match(/\b(?:v128|i8x16|i16x8|i32x4|i64x2)\.\w+/g) ?? []).length;
    m.dispose();
    if (mode === 'scalar' && simdOps > 0) throw new Error(`${out}: the scalar golden runtime contains ${simdOps} SIMD instructions`);
    if (mode === 'simd' && simdOps === 0) throw new Error(`${out}: the SIMD golden runtime contains no SIMD instruction`);
  }
}

const typesDir = join(dist, 'types');
const typesStamp = join(typesDir, 'compiler', 'api', 'index.d.ts');

/**
 * The API's declarations: tsc --emitDeclarationOnly (tsconfig.api.json) into dist/types, then the sources'
 * `.ts` import specifiers rewritten to `.js` so a consumer's TypeScript resolves them to the .d.ts files.
 */
export async function buildTypes() {
  const { spawnSync } = await import('node:child_process');
  rmSync(typesDir, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.api.json')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc (declarations) failed:\n${r.stdout}${r.stderr}`);
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.d.ts')) {
        const text = readFileSync(p, 'utf8');
        const out = text.replace(/((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.ts(['"])/g, '$1$2.js$3');
        if (out !== text) writeFileSync(p, out);
      }
    }
  };
  walk(typesDir);
}

export async function ensureBuilt({ quiet = false, force = false, types = false } = {}) {
  mkdirSync(dist, { recursive: true });
  const srcT = Math.max(...cliSources.map((d) => newest(join(root, d), ['.ts'])), mtime(join(root, 'package.json')));
  if (force || Object.keys(bundles).some((b) => mtime(join(dist, b)) < srcT)) {
    if (!quiet) process.stderr.write('build: bundling CLI\n');
    await buildCli();
  }
  const plotPkg = join(root, 'node_modules', '@observablehq', 'plot', 'package.json');
  if (existsSync(plotPkg) && (force || mtime(plotOut) < mtime(plotPkg))) {
    if (!quiet) process.stderr.write('build: bundling the plotting library of report.html\n');
    await buildPlot();
  }
  const wasmT = Math.max(newest(join(root, 'runtime-wasm', 'assembly'), ['.ts']), mtime(join(root, 'asconfig.json')));
  if (existsSync(wasmEntry) && (force || Object.values(wasmOutputs).some((o) => mtime(o) < wasmT))) {
    if (!quiet) process.stderr.write('build: compiling golden runtime (AssemblyScript -> wasm, scalar + SIMD)\n');
    else process.stderr.write('tinyforge: rebuilding the golden runtime...\n');
    await buildWasm();
  }
  if (types && (force || mtime(typesStamp) < Math.max(srcT, mtime(join(root, 'tsconfig.api.json'))))) {
    if (!quiet) process.stderr.write('build: type declarations of the API (tsc --emitDeclarationOnly)\n');
    await buildTypes();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await ensureBuilt({ force: process.argv.includes('--force'), types: true });
}
