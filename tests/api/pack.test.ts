// tinyforge as a user's dependency: `npm pack` the project, install the tarball into a fresh temporary
// project (offline, from npm's cache, with vitest 4, typescript and @types/node), then in that project:
// import it from plain ESM JavaScript, type-check a TypeScript file against the shipped declarations
// (tsc --noEmit, strict, skipLibCheck off), and run a node:test file and a vitest file that use the
// assertion helper on a real model (kws). The expected values come from TFLite's own interpreter
// (runtime-wasm/oracle, XNNPACK off), computed here and written to the project as JSON: outputs and every
// operator output, compared with the golden runtime's per-layer tensors in `tflite` arithmetic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { TfliteInterpreter, withAllOutputs } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { loadModel } from '../../compiler/frontend/load.ts';
import { numElements } from '../../compiler/ir/graph.ts';
import { mulberry32 } from '../../compiler/rng.ts';
import { modelPath, repoRoot, scratchDir } from '../helpers/paths.ts';

const VERSIONS = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).devDependencies as Record<string, string>;

function sh(cmd: string, args: string[], cwd: string, timeout = 180_000): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
}
const npm = (args: string[], cwd: string) => sh(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, cwd);
const out = (r: SpawnSyncReturns<string>) => `exit ${r.status}${r.error ? ` (${r.error.message})` : ''}\n${r.stdout}\n${r.stderr}`.slice(-4000);

/**
 * The user project's package.json and package-lock.json: the tarball plus vitest, typescript and @types/node
 * at the repository's versions, every other package pinned to the repository's lockfile entry (the
 * transitive closure, by node's resolution over the lockfile's paths), so `npm ci --offline` installs from
 * npm's cache without the registry's metadata (which a lockfile install never caches).
 */
function userProject(tarball: string, tarballName: string): { pkg: object; lock: object } {
  const repoLock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const me = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string> };
  const roots = { vitest: VERSIONS.vitest!, typescript: VERSIONS.typescript!, '@types/node': VERSIONS['@types/node']! };
  const packages: Record<string, LockEntry> = {};
  const resolve = (from: string, name: string): string | undefined => {
    for (let base = from; ; base = base.includes('/node_modules/') ? base.slice(0, base.lastIndexOf('/node_modules/')) : '') {
      const p = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (repoLock.packages[p]) return p;
      if (!base) return undefined;
    }
  };
  const visit = (path: string) => {
    if (packages[path]) return;
    const { dev: _d, devOptional: _o, peer: _p, ...entry } = repoLock.packages[path]!;
    // The registry's tarball address (the repository's lockfile omits it): with it npm reads the tarball
    // from its cache without asking for the package's metadata.
    const name = (entry.name as string | undefined) ?? path.slice(path.lastIndexOf('node_modules/') + 13);
    entry.resolved ??= `https://registry.npmjs.org/${name}/-/${name.replace(/^@[^/]+\//, '')}-${entry.version}.tgz`;
    packages[path] = entry;
    const deps = { ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies };
    for (const d of Object.keys(deps)) {
      const at = resolve(path, d);
      if (at) visit(at);
      else if (!entry.peerDependencies?.[d] && !entry.optionalDependencies?.[d]) throw new Error(`${path} needs ${d}, which the repository's lockfile does not hold`);
    }
  };
  for (const d of [...Object.keys(me.dependencies), ...Object.keys(roots)]) visit(`node_modules/${d}`);
  const integrity = 'sha512-' + createHash('sha512').update(readFileSync(tarball)).digest('base64');
  const deps = { [me.name]: `file:${tarballName}`, ...roots };
  packages[`node_modules/${me.name}`] = { version: me.version, resolved: `file:${tarballName}`, integrity, dependencies: me.dependencies, bin: me.bin, engines: me.engines };
  return {
    pkg: { name: 'tinyforge-user', version: '1.0.0', private: true, type: 'module', dependencies: deps },
    lock: { name: 'tinyforge-user', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'tinyforge-user', version: '1.0.0', dependencies: deps }, ...packages } },
  };
}
interface LockEntry {
  version?: string; resolved?: string; integrity?: string; dev?: boolean; devOptional?: boolean; peer?: boolean;
  dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string>; [k: string]: unknown;
}

/** TFLite's outputs and per-operator tensors for two seeded inputs of the model (the independent expectation). */
async function oracle(path: string): Promise<object[]> {
  const { graph } = loadModel(path);
  const tfl = await TfliteInterpreter.load();
  const all = withAllOutputs(new Uint8Array(readFileSync(path)));
  const outNames = new Set(graph.outputs.map((id) => graph.tensors[id]!.name));
  return [11, 12].map((seed) => {
    const next = mulberry32(seed);
    const inputs = graph.inputs.map((id) => Int8Array.from({ length: numElements(graph.tensors[id]!.shape) }, () => Math.floor(next() * 256) - 128));
    const tensors = tfl.runTensors(all, inputs);
    return {
      inputs: inputs.map((x) => Array.from(x)),
      outputs: graph.outputs.map((id) => Array.from(tensors.find((t) => t.name === graph.tensors[id]!.name)!.data as Int8Array)),
      layers: tensors.map((t, i) => ({ index: i, tensor: t.name, values: Array.from(t.data as Int8Array) })),
      outputNames: [...outNames],
    };
  });
}

const SMOKE_MJS = `// Plain ESM JavaScript: the package's main entry and its functions.
import * as tf from 'tinyforge';
const model = tf.loadModel(process.env.TF_MODEL);
const [x] = tf.randomInputs(model, 1, 5);
const r = await tf.run(model, x, { layers: true });
const batch = await tf.runBatch(model, [x, x, x], { workers: 2 });
tf.assertOutputsEqual(r, batch[2]);
console.log(JSON.stringify({
  exports: Object.keys(tf).sort(), name: model.name, layers: r.layers.length, ops: model.layers.length,
  outputs: r.outputs.map((o) => o.constructor.name + ':' + o.length), equal: tf.compareOutputs(r, batch[0]).equal,
}));
`;

const CHECK_TS = `// Type-checked against the shipped declarations (tsc --noEmit); never run.
import { assertOutputsEqual, compareOutputs, compile, loadModel, run, runBatch, verify, OutputMismatchError,
  type Comparison, type Model, type RunResult, type McuCompileResult, type VerifyResult } from 'tinyforge';

export async function check(path: string): Promise<void> {
  const model: Model = loadModel(path);
  const shape: number[] = model.inputs[0]!.shape;
  const x = new Int8Array(model.inputs[0]!.bytes);
  const r: RunResult = await run(model, x, { arith: 'tflite', layers: true });
  const rs: RunResult[] = await runBatch(model, [x, [x]], { workers: 2, onProgress: (done: number, total: number) => void (done / total) });
  const c: Comparison = compareOutputs(r, rs[0]!);
  const where: string | undefined = c.first?.layer?.name;
  assertOutputsEqual(r, { outputs: [new Int8Array(12)] }, 'input 0');
  const m: McuCompileResult = await compile(model, { target: 'mcu', outDir: 'out', cpu: 'm4', verifyInputs: 0 });
  const arena: number = m.totals.arenaBytes;
  const v: VerifyResult = await verify(model, { on: 'host', inputs: 2 });
  const ok: boolean = v.ok && m.ok;
  // @ts-expect-error: the arithmetic is a closed set
  await run(model, x, { arith: 'float' });
  const e = new OutputMismatchError('m', c);
  void [shape, where, arena, ok, e.comparison.message];
}
`;

const TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
    skipLibCheck: false, types: ['node'], lib: ['ES2022'],
  },
  files: ['check.ts'],
}, null, 2);

/** The assertion inside a test: golden (tflite arithmetic) equals TFLite on every layer; a changed value is named. */
const testBody = (assertThrows: string) => `
const model = loadModel(process.env.TF_MODEL);
const cases = JSON.parse(readFileSync(new URL('./expected.json', import.meta.url), 'utf8'));
const asInt8 = (a) => Int8Array.from(a);

it('the golden runtime equals TFLite on every layer of ' + model.name, async () => {
  for (const c of cases) {
    const actual = await run(model, c.inputs.map(asInt8), { arith: 'tflite', layers: true });
    const expected = { outputs: c.outputs.map(asInt8), layers: c.layers.map((l) => ({ ...l, values: asInt8(l.values) })) };
    assertOutputsEqual(expected, actual);
  }
});

it('a changed value is reported with its layer and element', async () => {
  const c = cases[0];
  const actual = await run(model, c.inputs.map(asInt8), { arith: 'tflite', layers: true });
  const layers = c.layers.map((l) => ({ ...l, values: asInt8(l.values) }));
  layers[3].values[7] += 1;
  ${assertThrows}
});
`;

const NODE_TEST = `import { it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { assertOutputsEqual, loadModel, run } from 'tinyforge';
${testBody(`assert.throws(() => assertOutputsEqual({ outputs: c.outputs.map(asInt8), layers }, actual),
    (e) => e instanceof Error && /first differing layer 3 '[^']*' \\(\\w+\\).*element 7/.test(e.message));`)}`;

const VITEST_TEST = `import { it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { assertOutputsEqual, loadModel, run } from 'tinyforge';
${testBody(`expect(() => assertOutputsEqual({ outputs: c.outputs.map(asInt8), layers }, actual)).toThrow(/first differing layer 3 '[^']*' \\(\\w+\\).*element 7/);`)}`;

test('npm pack + install into a fresh project: ESM import, tsc against the shipped types, node:test and vitest use the assertion', { timeout: 300_000 }, async (t) => {
  const model = modelPath('kws');
  if (!model) { t.skip('kws model missing'); return; }
  const work = scratchDir('tinyforge-pack-');
  try {
    const t0 = performance.now();
    // 1. npm pack (its `prepare` script builds dist/, the types included).
    const pack = npm(['pack', '--json', '--pack-destination', work], repoRoot);
    assert.equal(pack.status, 0, out(pack));
    const info = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = info[0]!.files.map((f) => f.path);
    for (const f of ['dist/api.mjs', 'dist/golden-worker.mjs', 'dist/golden.wasm', 'dist/golden-simd.wasm', 'dist/types/compiler/api/index.d.ts', 'mcu-backend/emit/runtime.h', 'mcu-backend/harness/driver.c', 'docs/api.md']) {
      assert.ok(files.includes(f), `the tarball holds ${f}`);
    }
    assert.ok(!files.some((f) => f.startsWith('tests/') || f.endsWith('.ts') && !f.endsWith('.d.ts')), 'no sources or tests in the tarball');
    const tarball = join(work, info[0]!.filename.replace(/^.*\//, ''));
    const tPack = performance.now();

    // 2. A fresh project; everything from npm's cache (--offline): the tarball, vitest 4, typescript, @types/node.
    const proj = join(work, 'user');
    mkdirSync(proj);
    const tarballName = tarball.slice(work.length + 1);
    renameSync(tarball, join(proj, tarballName));
    const { pkg, lock } = userProject(join(proj, tarballName), tarballName);
    writeFileSync(join(proj, 'package.json'), JSON.stringify(pkg, null, 2));
    writeFileSync(join(proj, 'package-lock.json'), JSON.stringify(lock, null, 2));
    const inst = npm(['ci', '--offline', '--no-audit', '--no-fund'], proj);
    assert.equal(inst.status, 0, out(inst));
    const vitestVersion = JSON.parse(readFileSync(join(proj, 'node_modules', 'vitest', 'package.json'), 'utf8')).version as string;
    assert.match(vitestVersion, /^[34]\./, 'vitest major 3 or 4');
    assert.ok(!readdirSync(join(proj, 'node_modules')).includes('binaryen'), 'build-only dependencies are not installed');
    const tInstall = performance.now();

    writeFileSync(join(proj, 'expected.json'), JSON.stringify(await oracle(model)));
    writeFileSync(join(proj, 'smoke.mjs'), SMOKE_MJS);
    writeFileSync(join(proj, 'check.ts'), CHECK_TS);
    writeFileSync(join(proj, 'tsconfig.json'), TSCONFIG);
    writeFileSync(join(proj, 'golden.node.test.mjs'), NODE_TEST);
    writeFileSync(join(proj, 'golden.vitest.test.mjs'), VITEST_TEST);
    const env = { TF_MODEL: model, NO_COLOR: '1' };
    // Without NODE_TEST_CONTEXT: a `node --test` started from a test would report to this runner, not print.
    const { NODE_TEST_CONTEXT: _ctx, ...parentEnv } = process.env;
    const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: proj, encoding: 'utf8', timeout: 120_000, env: { ...parentEnv, ...env, NODE_OPTIONS: '' } });

    // 3. Plain ESM JavaScript.
    const smoke = node(['smoke.mjs']);
    assert.equal(smoke.status, 0, out(smoke));
    const s = JSON.parse(smoke.stdout);
    for (const name of ['loadModel', 'run', 'runBatch', 'compile', 'verify', 'compareOutputs', 'assertOutputsEqual']) assert.ok(s.exports.includes(name), `exports ${name}`);
    assert.equal(s.layers, s.ops);
    assert.deepEqual(s.outputs, ['Int8Array:12']);
    assert.equal(s.equal, true);

    // 4. TypeScript against the shipped declarations.
    const tsc = node([join(proj, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'tsconfig.json']);
    assert.equal(tsc.status, 0, out(tsc));
    // ...and a type error is caught (the declarations are really read).
    writeFileSync(join(proj, 'check.ts'), CHECK_TS + `\nexport const wrong: string = loadModel('x').layers.length;\n`);
    const tscBad = node([join(proj, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'tsconfig.json']);
    assert.notEqual(tscBad.status, 0);
    assert.match(tscBad.stdout, /check\.ts\(\d+,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);

    // 5. node:test and vitest, each using the assertion on the real model.
    const nt = node(['--test', '--test-reporter=spec', 'golden.node.test.mjs']);
    assert.equal(nt.status, 0, out(nt));
    assert.match(nt.stdout, /ℹ pass 2\b/);
    assert.match(nt.stdout, /ℹ fail 0\b/);
    const vt = node([join(proj, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'golden.vitest.test.mjs', '--reporter=verbose']);
    assert.equal(vt.status, 0, out(vt));
    assert.match((vt.stdout + vt.stderr).replace(/\x1b\[[0-9;]*m/g, ''), /Tests\s+2 passed \(2\)/);
    const tEnd = performance.now();
    t.diagnostic(`pack ${((tPack - t0) / 1000).toFixed(1)} s, install ${((tInstall - tPack) / 1000).toFixed(1)} s, checks ${((tEnd - tInstall) / 1000).toFixed(1)} s (vitest ${vitestVersion})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
