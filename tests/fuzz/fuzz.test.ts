// Fuzzing in the test suite: a few hundred seeded cases of every user input format (.tflite models, YAML
// configs, CGRA bitstreams and launch files; tests/fuzz/driver.ts) through the real CLI entry, each of
// which must end in a clean one-line error or a success within 20 s and 1 GB; plus the cases the fuzzer
// found, as regression tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir, repoRoot, scratchDir } from '../helpers/paths.ts';
import { classify, runFuzz } from './driver.ts';
import { tfliteSites } from './mutators.ts';
import { spawnSync } from 'node:child_process';
import { main } from '../../compiler/cli/main.ts';

const dir = scratchDir('tinyforge-fuzz-');

/** Runs the built CLI (a child process: patching this process's stdout would swallow the test reporter's output). */
async function cli(argv: string[]): Promise<{ code: number; stdout: string; stdoutLen: number; stderr: string }> {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'tinyforge.mjs'), ...argv], { encoding: 'utf8', env: { ...process.env, TINYFORGE_DEBUG: '' } });
  return { code: r.status ?? -1, stdout: r.stdout, stdoutLen: r.stdout.length, stderr: r.stderr };
}
const assertClean = (r: { code: number; stdout: string; stdoutLen: number; stderr: string }, re: RegExp) => {
  assert.equal(classify({ id: 0, rss: 0, ...r }).verdict, 'clean', r.stderr);
  assert.match(r.stderr, re);
};

test('fuzz: 300 seeded cases (tflite, yaml, cgra) end in clean errors or successes', { timeout: 120_000 }, async () => {
  const esbuild = await import('esbuild');
  // bundled inside the checkout, so its external packages resolve from node_modules
  const worker = join(repoRoot, '.cache', `fuzz-test-worker-${process.pid}.mjs`);
  await esbuild.build({ entryPoints: [join(repoRoot, 'tests', 'fuzz', 'worker.ts')], outfile: worker, bundle: true, platform: 'node',
    format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
  const res = await runFuzz({ cases: 300, seed: 19, kinds: ['tflite', 'yaml', 'cgra'], workerPath: worker, repoRoot, modelsDir,
    failureDir: join(dir, 'failures'), maxModelBytes: 200_000 }).finally(() => rmSync(worker, { force: true }));
  for (const [kind, c] of Object.entries(res.counts)) {
    assert.equal(c.cases, 100, kind);
    assert.equal(c.cleanErrors + c.successes, c.cases, `${kind}: ${JSON.stringify(c)}`);
    assert.ok(c.cleanErrors > 0, `${kind}: the mutations reach the validators`);
  }
  assert.ok(res.counts.yaml!.successes > 0 && res.counts.cgra!.successes > 0, 'some mutations still run');
  assert.deepEqual(res.failures.map((f) => `${f.kind} ${f.caseIndex} ${f.class}: ${f.reason}`), []);
});

test('fuzz: 8 seeded builds (both targets, verification) end verified or in a clean error with nothing left behind', { timeout: 240_000 }, async () => {
  const esbuild = await import('esbuild');
  const worker = join(repoRoot, '.cache', `fuzz-test-build-worker-${process.pid}.mjs`);
  await esbuild.build({ entryPoints: [join(repoRoot, 'tests', 'fuzz', 'worker.ts')], outfile: worker, bundle: true, platform: 'node',
    format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
  const res = await runFuzz({ cases: 8, seed: 3, kinds: ['build'], workerPath: worker, repoRoot, modelsDir, failureDir: join(dir, 'failures'),
    }).finally(() => rmSync(worker, { force: true }));
  const c = res.counts.build!;
  assert.deepEqual(res.failures.map((f) => `${f.kind} ${f.caseIndex} ${f.class}: ${f.reason}`), []);
  assert.equal(c.cleanErrors + c.successes, 8, JSON.stringify(c));
  assert.ok(c.successes > 0 && c.cleanErrors > 0, `some mutants build and verify, some are refused: ${JSON.stringify(c)}`);
});

test("classify: a build's progress lines before its one error line are clean; two error lines are not", () => {
  const ok = { id: 0, rss: 0, stdout: '', stdoutLen: 0, code: 1 };
  const progress = 'tinyforge: mcu cortex-m4: emitting and compiling C, then verifying on the host and QEMU...\n';
  assert.equal(classify({ ...ok, stderr: progress + 'tinyforge: error: c.yaml: mcu sram budget of 4,096 B exceeded\n' }, true).verdict, 'clean');
  assert.equal(classify({ ...ok, stderr: progress + 'tinyforge: error: a\ntinyforge: error: b\n' }, true).verdict, 'internal');
  assert.equal(classify({ ...ok, stderr: 'tinyforge: cgra layer 1: TypeError: x\ntinyforge: error: b\n' }, true).verdict, 'internal');
  assert.equal(classify({ ...ok, stderr: progress + 'tinyforge: error: b\n' }).verdict, 'internal', 'other commands print one line');
});

test('classify: a stack trace, an internal error, JavaScript text or two lines are failures', () => {
  const ok = { id: 0, rss: 0, stdout: '', stdoutLen: 0 };
  assert.equal(classify({ ...ok, code: 1, stderr: 'tinyforge: error: x.tflite: bad scale\n' }).verdict, 'clean');
  assert.equal(classify({ ...ok, code: 2, stderr: 'tinyforge: --cols must be a positive integer\n\nusage: ...\n' }).verdict, 'clean');
  for (const stderr of ['tinyforge: internal error: TypeError: x (a bug in tinyforge)\n', 'tinyforge: error: a\nb\n',
    'TypeError: Cannot read properties of undefined\n    at f (x.js:1:1)\n', 'tinyforge: error: got undefined\n']) {
    assert.equal(classify({ ...ok, code: 1, stderr }).verdict, 'internal', stderr);
  }
  assert.equal(classify({ ...ok, code: 134, stderr: '' }).verdict, 'internal');
});

// ---- regressions found by the fuzzer ----

test('regression: JSON parse errors of a launch file / JSON image stay on one line', async () => {
  const dot = join(dir, 'dot.json');
  assert.equal((await cli(['cgra', 'asm', join(repoRoot, 'cgra-mapper', 'examples', 'dot.s'), '-o', dot])).code, 0);
  const launch = join(dir, 'bad-launch.json');
  writeFileSync(launch, '{\n "memory": [\n  {\n   "addr": NaN,\n   "words": [1]\n  }\n ]\n}');
  assertClean(await cli(['cgra', 'sim', '--bitstream', dot, '--launch', launch]), /bad-launch\.json:4:12: launch file is not valid JSON: unexpected 'N'/);
  const img = join(dir, 'bad-image.json');
  writeFileSync(img, readFileSync(dot, 'utf8').replace(/"imem": \[\s*"/, '"imem": [\n  x"'));
  assertClean(await cli(['cgra', 'disasm', img]), /bad-image\.json:\d+:\d+: CGRA image is not valid JSON/);
});

test('regression: a bitstream.h word or an ESL csv cell spanning lines is quoted on one line', async () => {
  const h = join(dir, 'dot.h');
  assert.equal((await cli(['cgra', 'asm', join(repoRoot, 'cgra-mapper', 'examples', 'dot.s'), '-o', h])).code, 0);
  const bad = join(dir, 'bad.h');
  // a missing comma at a line end: two words and a line break read as one token
  const text = readFileSync(h, 'utf8');
  const broken = text.replace(/(cgra_imem_\w+\[[^\]]*\] = \{\n[^\n]*),\n/, '$1\n');
  assert.notEqual(broken, text);
  writeFileSync(bad, broken);
  assertClean(await cli(['cgra', 'disasm', bad]), /is not a 32-bit unsigned number/);
  const csv = join(dir, 'dot.csv');
  assert.equal((await cli(['cgra', 'asm', join(repoRoot, 'cgra-mapper', 'examples', 'dot.s'), '-o', csv])).code, 0);
  const badCsv = join(dir, 'bad.csv');
  // a quoted cell running over a line break
  const lines = readFileSync(csv, 'utf8').split('\n');
  lines[1] = lines[1]!.replace(/^([^,]*),/, '"$1\n",');
  writeFileSync(badCsv, lines.join('\n'));
  const r = await cli(['cgra', 'disasm', badCsv, '--cols', String(lines[0]!.split(',').length)]);
  assert.notEqual(r.code, 0);
  assertClean(r, /tinyforge: error: /);
});

test('regression: an ADD input scale of 1e30 (multiplier flushing to zero) is a clean error, not a malformed kernel IR', async (t) => {
  const model = join(modelsDir, 'zoo', 'tflm-simple_add_model.tflite');
  if (!existsSync(model)) { t.skip('zoo model missing'); return; }
  const bytes = new Uint8Array(readFileSync(model));
  // the first input tensor's scale (the fuzzer's case: sg0.tensors[2].scale[0] -> 1e30)
  const site = tfliteSites(bytes).find((s) => s.what === 'sg0.tensors[2].scale[0]');
  assert.ok(site);
  new DataView(bytes.buffer).setFloat32(site.at, 1e30, true);
  const file = join(dir, 'add-scale.tflite');
  writeFileSync(file, bytes);
  assertClean(await cli(['inspect', '--kernel-ir', file]), /multiplier .* is too small \(below 2\^-32/);
});

test('regression: an operator output of -1 (the optional-operand marker) is a clean error', async (t) => {
  const model = join(modelsDir, 'zoo', 'tflm-add_model.tflite');
  if (!existsSync(model)) { t.skip('zoo model missing'); return; }
  const bytes = new Uint8Array(readFileSync(model));
  const site = tfliteSites(bytes).find((s) => s.what === 'sg0.operators[0].outputs[0]');
  assert.ok(site);
  new DataView(bytes.buffer).setInt32(site.at, -1, true);
  const file = join(dir, 'output-minus-one.tflite');
  writeFileSync(file, bytes);
  // the operator survey (inspect --ops) reads the file leniently: it must not throw
  const ops = await cli(['inspect', '--ops', file]);
  assert.ok(ops.code === 0 || ops.code === 1, ops.stderr);
  assert.doesNotMatch(ops.stderr, /internal error/);
  assert.match(ops.stdout, /op +0 +ADD/);
  for (const argv of [['inspect', file], ['run', file, '--gen-input', '1', '--input', join(dir, 'o1.in'), '--output', join(dir, 'o1.out')]]) {
    assertClean(await cli(argv), /op 0 output refers to tensor -1, but the subgraph has \d+ tensors/);
  }
});

test('regression: a JSON image without "format" says so (not "format = undefined")', async () => {
  const dot = join(dir, 'dot-noformat.json');
  assert.equal((await cli(['cgra', 'asm', join(repoRoot, 'cgra-mapper', 'examples', 'dot.s'), '-o', dot])).code, 0);
  const doc = JSON.parse(readFileSync(dot, 'utf8'));
  delete doc.format;
  writeFileSync(dot, JSON.stringify(doc));
  assertClean(await cli(['cgra', 'disasm', dot]), /not a tinyforge-cgra-image document \(no "format" field\)/);
});

test('regression: a JSON image whose arch.rows is an object names the value, not [object Object]', async () => {
  const dot = join(dir, 'dot-arch.json');
  assert.equal((await cli(['cgra', 'asm', join(repoRoot, 'cgra-mapper', 'examples', 'dot.s'), '-o', dot])).code, 0);
  const doc = JSON.parse(readFileSync(dot, 'utf8'));
  doc.arch = { ...doc.arch, rows: {} };
  writeFileSync(dot, JSON.stringify(doc));
  assertClean(await cli(['cgra', 'disasm', dot]), /CGRA architecture: rows = \{\} is not an integer in \[1, 16\]/);
});

test('regression: a tensor name with a newline or control bytes is escaped in the one-line error', async (t) => {
  const model = join(modelsDir, 'zoo', 'tflm-add_model.tflite');
  if (!existsSync(model)) { t.skip('zoo model missing'); return; }
  const bytes = new Uint8Array(readFileSync(model));
  const site = tfliteSites(bytes).find((s) => s.what === 'sg0.tensors[0].zero_point[0]');
  assert.ok(site);
  new DataView(bytes.buffer).setBigInt64(site.at, 1000n, true);
  const file = join(dir, 'name-newline.tflite');
  writeFileSync(file, bytes);
  const first = await cli(['inspect', file]);
  const name = /tensor 0 '([^']+)' has zero point 1000/.exec(first.stderr)?.[1];
  assert.ok(name && name.length >= 2, first.stderr);
  const at = Buffer.from(bytes).indexOf(Buffer.from(name, 'utf8'));
  assert.ok(at > 0);
  bytes[at + 1] = 0x0a;
  writeFileSync(file, bytes);
  const r = await cli(['inspect', file]);
  assertClean(r, new RegExp(`tensor 0 '${name[0]!.replace(/\W/g, '\\$&')}\\\\x0a`));
});

test('regression: main() run twice in one process forgets the first command\'s inputs (run --gen-input over the same --input)', async () => {
  const input = join(dir, 'twice.in'), output = join(dir, 'twice.out');
  const argv = ['run', join(repoRoot, 'configs', 'default.yaml'), '--gen-input', '3', '--input', input, '--output', output];
  // in-process, as the fuzz worker runs it; stderr (the status line) is silenced, stdout is left alone
  const quiet = async () => {
    const e = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try { return await main(argv); } finally { process.stderr.write = e; }
  };
  assert.equal(await quiet(), 0);
  const bytes = readFileSync(output);
  rmSync(output);
  assert.equal(await quiet(), 0, 'the second run may overwrite the input file the first one generated');
  assert.deepEqual(readFileSync(output), bytes);
});

test('regression: a YAML key that is a list, mapping or alias is a located one-line error, not a process warning', async () => {
  const base = readFileSync(join(repoRoot, 'configs', 'default.yaml'), 'utf8');
  const cases: [string, string][] = [
    // the fuzzer's case: a stray comma after `kernel:` makes `[25, 5]` a key
    ['- { op: average_pool2d, name: pool, kernel: [25, 5] }', '- { op: average_pool2d, name: pool, kernel:, [25, 5] }'],
    ['name: default', 'name: &n default\n*n : x'],
    ['name: default', 'name: default\n{ a: 1 }: x'],
  ];
  for (const [from, to] of cases) {
    assert.ok(base.includes(from));
    const file = join(dir, 'bad-key.yaml');
    writeFileSync(file, base.replace(from, to));
    const r = await cli(['inspect', file]);
    assertClean(r, /bad-key\.yaml:\d+:\d+: a key is a list, mapping or alias; config keys are plain names/);
  }
});

test('regression: a YAML string value with a newline is shown escaped in the one-line error', async () => {
  const base = readFileSync(join(repoRoot, 'configs', 'default.yaml'), 'utf8');
  assert.ok(base.includes('arith: tflm'));
  const file = join(dir, 'newline-value.yaml');
  writeFileSync(file, base.replace('arith: tflm', 'arith: "tf\\nlm"'));
  assertClean(await cli(['inspect', file]), /arith.*'tf\\nlm'/);
});

test('regression: a graph output (or input) that is a constant tensor is a clean error, not a RangeError in the runtime', async (t) => {
  const model = join(modelsDir, 'zoo', 'tflm-hello_world_int8.tflite');
  if (!existsSync(model)) { t.skip('zoo model missing'); return; }
  for (const which of ['outputs', 'inputs'] as const) {
    const bytes = new Uint8Array(readFileSync(model));
    const site = tfliteSites(bytes).find((s) => s.what === `sg0.${which}[0]`);
    assert.ok(site);
    // tensor 4 of this model is a weight matrix (a constant); the fuzzer's case pointed the output at it
    new DataView(bytes.buffer).setInt32(site.at, 4, true);
    const file = join(dir, `const-${which}.tflite`);
    writeFileSync(file, bytes);
    const r = await cli(['run', file, '--gen-input', '1', '--input', join(dir, `c-${which}.in`), '--output', join(dir, `c-${which}.out`)]);
    assertClean(r, new RegExp(`graph ${which.slice(0, -1)} \\d+ '.*' is a constant tensor`));
  }
});

test('regression: int16 LEAKY_RELU whose scales give an infinite multiplier is a located error, not an internal one', async (t) => {
  const model = join(modelsDir, 'zoo', 'tflm-it-seanet-leaky_relu4.tflite');
  if (!existsSync(model)) { t.skip('zoo model missing'); return; }
  // the model as it is: --gen-input draws int16 inputs (two bytes each) and the run succeeds
  const ok = await cli(['run', model, '--gen-input', '1', '--input', join(dir, 'l16.in'), '--output', join(dir, 'l16.out')]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(readFileSync(join(dir, 'l16.in')).length, readFileSync(join(dir, 'l16.out')).length, 'leaky_relu keeps the shape and the int16 type');
  assert.equal(readFileSync(join(dir, 'l16.in')).length % 2, 0);
  for (const [i, scale] of [[0, 3.4e38], [1, 1.4e-45]] as const) {
    const bytes = new Uint8Array(readFileSync(model));
    const site = tfliteSites(bytes).find((s) => s.what === `sg0.tensors[${i}].scale[0]`);
    assert.ok(site, `the scale of tensor ${i}`);
    new DataView(bytes.buffer).setFloat32(site.at, scale, true);
    const file = join(dir, `leaky16-${i}.tflite`);
    writeFileSync(file, bytes);
    for (const argv of [['inspect', '--kernel-ir', file], ['run', file, '--gen-input', '1', '--input', join(dir, `l16-${i}.in`), '--output', join(dir, `l16-${i}.out`)]]) {
      assertClean(await cli(argv), /op leaky_relu_0: leaky_relu: its input and output scales give a rescaling multiplier of .*, outside the range the kernels support/);
    }
  }
});

test('driver: a case without an answer in time is a hang, a worker dying over its heap cap is memory; both leave reproducers', { timeout: 60_000 }, async () => {
  // A stand-in worker: answers the seed checks (id -1) and case 0 with success, never answers case 1,
  // and runs out of heap on case 2.
  const fake = join(repoRoot, '.cache', `fuzz-fake-worker-${process.pid}.mjs`);
  writeFileSync(fake, `process.on('message', (j) => {
  if (j.id === 1) return;
  if (j.id === 2) { const a = []; for (;;) a.push(new Array(1e6).fill(j.id)); }
  process.send({ id: j.id, code: 0, stdout: 'ok', stdoutLen: 2, stderr: '', rss: 0 });
});
process.send({ ready: true });
`);
  const failureDir = join(dir, 'fake-failures');
  try {
    const res = await runFuzz({ cases: 3, seed: 1, kinds: ['yaml'], workerPath: fake, repoRoot, modelsDir, failureDir, timeoutMs: 2000, memoryMb: 64 });
    // (case 0's fake success may lack the output file a `run` case checks: then it is an internal failure)
    assert.deepEqual(res.failures.filter((f) => f.class !== 'internal').map((f) => [f.caseIndex, f.class]), [[1, 'hang'], [2, 'memory']]);
    assert.equal(res.counts.yaml!.hangs, 1);
    assert.equal(res.counts.yaml!.memory, 1);
    for (const f of res.failures) assert.ok(existsSync(join(f.dir, 'repro.json')), f.dir);
  } finally { rmSync(fake, { force: true }); }
});
