// `tinyforge build` never damages an output: a user's file in <out>/mcu makes the build refuse (one line
// naming the folder and --force) and survives; --force replaces the folder; a build interrupted by SIGTERM
// or SIGINT exits 143/130 and leaves the previous output byte-identical with no staging folder; a build that
// fails (sram budget) leaves the previous output untouched, and a first build that fails no output folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot, scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
const work = scratchDir('tinyforge-build-atomic-');

/** default.yaml on a Cortex-M3 (generic kernels, quick to compile), mcu target only, output in out-<name>. */
function config(name: string, sram = '256K'): { path: string; out: string } {
  const src = readFileSync(join(repoRoot, 'configs', 'default.yaml'), 'utf8');
  const path = join(work, `${name}-${sram}.yaml`);
  const out = join(work, `out-${name}`);
  writeFileSync(path, src.replace(/^name: default$/m, `name: ${name}`).replace(/ {2}mcu: .*\n/, `  mcu: { cpu: cortex-m3, flash: 1M, sram: ${sram} }\n`)
    .replace(/\n {2}cgra:.*\n/, '\n') + `out: ${out}\n`);
  assert.match(readFileSync(path, 'utf8'), new RegExp(`sram: ${sram} \\}`));
  return { path, out };
}

/** Every file under `dir` with its bytes (relative path -> base64). */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files[relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return files;
}

const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'build', ...args, '--no-verify'], { encoding: 'utf8' });
const staging = (out: string) => readdirSync(out).filter((n) => n.includes('staging'));

test('a user\'s file in <out>/mcu survives: the build refuses without --force, naming the folder', (t) => {
  if (!needTools(t, 'arm-gcc')) return;
  const { path, out } = config('userfile');
  assert.equal(run(path).status, 0);
  const notes = join(out, 'mcu', 'notes.txt');
  writeFileSync(notes, 'my measurements\n');
  const before = snapshot(out);
  const r = run(path);
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('tinyforge: mcu '));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, new RegExp(`^tinyforge: error: ${join(out, 'mcu')}: output folder holds files tinyforge did not write \\(1, e\\.g\\. 'notes\\.txt'\\).*--force`));
  assert.deepEqual(snapshot(out), before);
  assert.equal(readFileSync(notes, 'utf8'), 'my measurements\n');
  assert.deepEqual(staging(out), []);
  // --force replaces the folder: the user's file is gone, the build's files are there.
  const f = run(path, '--force');
  assert.equal(f.status, 0, f.stderr);
  assert.ok(!existsSync(notes));
  assert.ok(existsSync(join(out, 'mcu', 'userfile.c')) && existsSync(join(out, 'mcu', 'report.txt')));
});

test('a folder <out>/mcu tinyforge did not create (no manifest) is not replaced', (t) => {
  if (!needTools(t, 'arm-gcc')) return;
  const { path, out } = config('foreign');
  mkdirSync(join(out, 'mcu', 'sub'), { recursive: true });
  writeFileSync(join(out, 'mcu', 'sub', 'main.c'), 'int main(void) { return 0; }\n');
  const r = run(path);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /output folder holds files tinyforge did not write \(1, e\.g\. 'sub\/main\.c'\)/);
  assert.equal(readFileSync(join(out, 'mcu', 'sub', 'main.c'), 'utf8'), 'int main(void) { return 0; }\n');
  assert.deepEqual(readdirSync(join(out, 'mcu')), ['sub']);
});

// SIGTERM / SIGINT to tinyforge alone; and Ctrl-C as a terminal sends it, to the whole process group, 0.2 s
// into the build (the compiler or QEMU child dies of it too: the build must still exit 130, not report the child's failure).
for (const [sig, code, group] of [['SIGTERM', 143, false], ['SIGINT', 130, false], ['SIGINT', 130, true]] as const) {
  test(`a build interrupted by ${sig}${group ? ' to its process group (Ctrl-C)' : ''} exits ${code} and leaves the previous output byte-identical, no staging folder`, async (t) => {
    if (!needTools(t, 'arm-gcc')) return;
    const { path, out } = config(`sig${code}${group ? 'g' : ''}`);
    assert.equal(run(path).status, 0);
    const before = snapshot(out);
    assert.ok(Object.keys(before).some((f) => f.endsWith('report.txt')));
    // A second build (with verification: the longer one), interrupted once it reports progress.
    const child = spawn(process.execPath, [bin, 'build', path], { stdio: ['ignore', 'pipe', 'pipe'], detached: group });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!sent && /emitting and compiling C/.test(stderr)) {
        sent = true;
        if (group) setTimeout(() => process.kill(-child.pid!, sig), 200);
        else child.kill(sig);
      }
    });
    const status = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    assert.ok(sent, stderr);
    assert.equal(status, code, stderr);
    assert.match(stderr, /the previous output in .* is unchanged/);
    assert.doesNotMatch(stderr, /\n\s+at /);
    assert.deepEqual(snapshot(out), before);
    assert.deepEqual(staging(out), []);
  });
}

test('a failing build (sram budget) leaves the previous output untouched and no staging folder', (t) => {
  if (!needTools(t, 'arm-gcc')) return;
  const ok = config('failing');
  assert.equal(run(ok.path).status, 0);
  const before = snapshot(ok.out);
  const bad = config('failing', '4K');
  assert.equal(bad.out, ok.out);
  const r = run(bad.path);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /mcu sram budget of 4,096 B exceeded/);
  assert.deepEqual(snapshot(ok.out), before);
  assert.deepEqual(staging(ok.out), []);
  // The temporary folder of a build killed with SIGKILL (a pid that no longer exists) goes with the next build.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const stale = join(ok.out, `.tinyforge-staging-${dead.stdout}`);
  mkdirSync(join(stale, 'mcu'), { recursive: true });
  writeFileSync(join(stale, 'mcu', 'failing.c'), '/* half written */');
  assert.equal(run(bad.path).status, 1);
  assert.ok(!existsSync(stale));
  assert.deepEqual(snapshot(ok.out), before);
  // A first build that fails leaves nothing: not even the output folder it would have created.
  const fresh = config('failing-fresh', '4K');
  assert.equal(run(fresh.path).status, 1);
  assert.ok(!existsSync(fresh.out));
});
