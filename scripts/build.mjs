// Builds what the CLI and the tests run: the CLI bundle (esbuild, dependencies left external) and the
// golden runtime's two WebAssembly modules (AssemblyScript via the asc API, scalar and SIMD).
// `ensureBuilt` rebuilds only when a source is newer than its output, so `bin/tinyforge.mjs` can call it
// on every start.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
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

export async function buildCli() {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(root, 'compiler', 'cli', 'main.ts')],
    outfile: join(dist, 'tinyforge.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
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

export async function ensureBuilt({ quiet = false, force = false } = {}) {
  mkdirSync(dist, { recursive: true });
  const cliOut = join(dist, 'tinyforge.mjs');
  const srcT = Math.max(...cliSources.map((d) => newest(join(root, d), ['.ts'])), mtime(join(root, 'package.json')));
  if (force || mtime(cliOut) < srcT) {
    if (!quiet) process.stderr.write('build: bundling CLI\n');
    await buildCli();
  }
  const wasmT = Math.max(newest(join(root, 'runtime-wasm', 'assembly'), ['.ts']), mtime(join(root, 'asconfig.json')));
  if (existsSync(wasmEntry) && (force || Object.values(wasmOutputs).some((o) => mtime(o) < wasmT))) {
    if (!quiet) process.stderr.write('build: compiling golden runtime (AssemblyScript -> wasm, scalar + SIMD)\n');
    else process.stderr.write('tinyforge: rebuilding the golden runtime...\n');
    await buildWasm();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await ensureBuilt({ force: process.argv.includes('--force') });
}
