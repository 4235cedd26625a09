// The output folders of commands other than build -- `run --dump-dir`, `cgra map --out` and verify's work
// folder -- are written all or nothing and never over a user's files: a folder holding a file tinyforge
// did not write is refused (one line naming it and --force) and survives byte for byte, with nothing else
// written; an earlier output of the same command is replaced; `verify` writes <out>/verify/<on>, beside the
// build's <out>/mcu, so a build after it still owns <out>/mcu; build's <out>/report.html replaces only a report
// tinyforge wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, scratchDir } from '../../helpers/paths.ts';
import { needTools } from '../../mcu-backend/helpers/tools.ts';

const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
const work = scratchDir('tinyforge-output-folders-');
const cli = (...argv: string[]) => spawnSync(process.execPath, [bin, ...argv], { encoding: 'utf8', cwd: work });

/** default.yaml with its output in <work>/out-<name>; `cgra`: keep the CGRA target. */
function config(name: string, cgra: boolean): { path: string; out: string } {
  const src = readFileSync(join(repoRoot, 'configs', 'default.yaml'), 'utf8');
  const out = join(work, `out-${name}`);
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, src.replace(/ {2}mcu: .*\n/, '  mcu: { cpu: cortex-m3, flash: 1M, sram: 256K }\n')
    .replace(/\n {2}cgra:.*\n/, cgra ? '\n  cgra: { rows: 4, cols: 4, bus: shared, strategy: auto }\n' : '\n') + `out: ${out}\n`);
  return { path, out };
}

function userFolder(name: string): string {
  const d = join(work, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'notes.txt'), 'mine\n');
  return d;
}

test('run --dump-dir: a folder with a user\'s file is refused before anything is written; an earlier dump is replaced', () => {
  const { path } = config('dump', false);
  const d = userFolder('dump-user');
  const output = join(work, 'dump-out.bin');
  const r = cli('run', path, '--gen-input', '1', '--input', join(work, 'dump-in.bin'), '--output', output, '--dump-dir', d);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^tinyforge: error: .*dump-user: output folder holds files tinyforge did not write \(1, e\.g\. 'notes\.txt'\).*--force/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.deepEqual(readdirSync(d), ['notes.txt']);
  assert.equal(readFileSync(join(d, 'notes.txt'), 'utf8'), 'mine\n');
  assert.equal(existsSync(output), false, 'the output file is not written when the dump is refused');
  // a fresh folder, then the same folder again: replaced, no staging folder left beside it
  const fresh = join(work, 'dump-fresh');
  for (let i = 0; i < 2; i++) {
    const ok = cli('run', path, '--input', join(work, 'dump-in.bin'), '--output', output, '--dump-dir', fresh);
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(readdirSync(fresh).includes('index.json'));
  }
  assert.deepEqual(readdirSync(work).filter((n) => n.startsWith('.tinyforge-staging-')), []);
  const forced = cli('run', path, '--input', join(work, 'dump-in.bin'), '--output', output, '--dump-dir', d, '--force');
  assert.equal(forced.status, 0, forced.stderr);
  assert.equal(existsSync(join(d, 'notes.txt')), false, '--force replaces the folder');
});

test('cgra map --out: a folder with a user\'s file is refused and survives; a fresh one gets the report and a manifest', () => {
  const { path } = config('map', true);
  const d = userFolder('map-user');
  const r = cli('cgra', 'map', path, '--out', d);
  assert.equal(r.status, 1);
  assert.match(r.stderr.trim().split('\n').at(-1)!, /^tinyforge: error: .*map-user: output folder holds files tinyforge did not write/);
  assert.deepEqual(readdirSync(d), ['notes.txt']);
  const fresh = join(work, 'map-fresh');
  const ok = cli('cgra', 'map', path, '--out', fresh);
  assert.equal(ok.status, 0, ok.stderr);
  const files = readdirSync(fresh);
  assert.ok(files.includes('report.html') && files.includes('.tinyforge-output'), files.join(' '));
  assert.ok(files.some((f) => f.endsWith('.bitstream.h')));
});

test('verify writes <out>/verify/<on>, and a build after it still replaces <out>/mcu', (t) => {
  if (!needTools(t, 'host')) return;
  const { path, out } = config('verify', false);
  assert.equal(cli('build', path).status, 0);
  const v = cli('verify', path, '--on', 'host', '--inputs', '1');
  assert.equal(v.status, 0, v.stderr);
  assert.ok(existsSync(join(out, 'verify', 'host')));
  const again = cli('build', path);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['mcu', 'report.html', 'verify']);
});

test('build: a report.html in the output folder that tinyforge did not write is refused before the build and survives', () => {
  const { path, out } = config('report', false);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'report.html'), '<p>my notes</p>\n');
  const r = cli('build', path);
  assert.equal(r.status, 1);
  assert.match(r.stderr.trim().split('\n').at(-1)!, /^tinyforge: error: .*report\.html: report\.html exists and is not a report tinyforge wrote; not replacing it \(move it away, or rerun with --force\)$/);
  assert.equal(readFileSync(join(out, 'report.html'), 'utf8'), '<p>my notes</p>\n');
  assert.deepEqual(readdirSync(out), ['report.html'], 'nothing else written');
});
