// `tinyforge cgra asm|disasm|sim|view` end to end through the built CLI, and launch.json validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, scratchDir, sharedDataPath } from '../helpers/paths.ts';
import { makeArch } from '../../cgra-mapper/arch.ts';
import { parseLaunchFile } from '../../cgra-mapper/sim/launch-file.ts';

const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
const tf = (...args: string[]) => spawnSync(process.execPath, [bin, 'cgra', ...args], { encoding: 'utf8' });
const dir = scratchDir('tinyforge-cgra-');
const dotS = join(repoRoot, 'cgra-mapper', 'examples', 'dot.s');

test('cgra asm -> bitstream.h / JSON / CSV; disasm of each reproduces the same kernel', () => {
  for (const ext of ['h', 'json', 'csv']) {
    const out = join(dir, `dot.${ext}`);
    const r = tf('asm', dotS, '-o', out);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(out));
  }
  assert.match(readFileSync(join(dir, 'dot.h'), 'utf8'), /const uint32_t cgra_kmem_dot\[CGRA_KMEM_SIZE\] = \{\n  0x00000000, 0x00003005,/);
  const texts = ['h', 'json'].map((ext) => tf('disasm', join(dir, `dot.${ext}`)).stdout);
  assert.equal(texts[0].replace('kernel 1 name=dot', 'kernel 1'), texts[1].replace('kernel 1 name=dot', 'kernel 1'));
  assert.match(texts[1], /step 3\n  BNE R0, ZERO, 1 +\| NOP\n  NOP +\| SADD R0, R0, RCT\n/);
  // instructions.csv has one cell per array column: read it back on a 4x2 array
  const csv = tf('disasm', join(dir, 'dot.csv'), '--cols', '2');
  assert.equal(csv.status, 0, csv.stderr);
  assert.match(csv.stdout, /kernel 1 cols=2\nstep 0\n  LWD R0, 4 +\| NOP/);
});

test('cgra sim --json: dot product result, cycles, configuration skipped on relaunch', () => {
  const launch = join(dir, 'launch.json');
  writeFileSync(launch, JSON.stringify({
    memory: [{ addr: 0, words: [3, 1, 2, 3] }, { addr: 1024, words: [4, 5, -6] }],
    launches: [{ kernel: 1, ptrIn: [0, 1024], ptrOut: [0, 2048] }, { kernel: 1, ptrIn: [0, 1024], ptrOut: [0, 2052] }],
    dump: [{ addr: 2048, words: 2 }],
  }));
  const r = tf('sim', '--bitstream', join(dir, 'dot.json'), '--launch', launch, '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.dump, [{ addr: 2048, words: [-4, -4] }]); // 1*4 + 2*5 + 3*(-6)
  assert.equal(j.launches[0].configured, true);
  assert.equal(j.launches[1].configured, false);
  // the relaunch saves exactly the configuration: 2 columns x (6 steps + 1)
  assert.equal(j.launches[0].cycles - j.launches[1].cycles, 14);
  const t = tf('sim', '--bitstream', join(dir, 'dot.json'), '--launch', launch, '--trace', '--bus', 'shared');
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /shared bus/);
  assert.match(t.stdout, /store PE\(1,1\) \[0x800\]=-4/);
});

test('cgra sim: WP bitstream from the shared data with --legacy-step matches the RTL cycles', { skip: sharedDataPath('heepsilon-wp-conv/bitstream.h') ? false : 'shared data missing' }, () => {
  const bitstream = sharedDataPath('heepsilon-wp-conv/bitstream.h')!;
  const launch = join(dir, 'wp.json');
  const input = Array.from({ length: 256 }, (_, i) => i);
  const f = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
  writeFileSync(launch, JSON.stringify({
    memory: [{ addr: 0x1000, words: input },
      ...[0, 1, 2].map((col) => ({ addr: 0x2000 + 24 * col, words: [0, 1, 2].map((i) => 0x1000 + 4 * (16 * col + i)).concat(f[col]) })),
      { addr: 0x2048, words: [0x3000] }],
    launches: [{ kernel: 1, ptrIn: [0x2000, 0x2018, 0x2030, 0x2048], ptrOut: [0x3800, 0x3804, 0x3808, 0x380c] }],
    dump: [{ addr: 0x3000, words: 196 }],
  }));
  for (const [bus, cycles] of [['ports', 1766], ['shared', 2421]] as const) {
    const r = tf('sim', '--bitstream', bitstream, '--launch', launch, '--legacy-step', '--bus', bus, '--json');
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.launches[0].cycles, cycles);
    assert.equal(j.dump[0].words[0], 1 * 0 + 2 * 1 + 3 * 2 + 4 * 16 + 5 * 17 + 6 * 18 + 7 * 32 + 8 * 33 + 9 * 34);
  }
  const v = tf('view', bitstream, '--launch', launch, '--legacy-step');
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /step 3: 3 cycles \(stall 2\), multiply; ran 1x = 3 cycles/);
  assert.match(v.stdout, /SADD R2, R2, RCL ← /);
  const html = join(dir, 'wp.html');
  assert.equal(tf('view', bitstream, '--html', html).status, 0);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /^<!doctype html>/);
  assert.equal((page.match(/<svg /g) ?? []).length, 21);
  assert.ok(!/src=|href="http/.test(page), 'self-contained');
});

test('launch.json validation and assembly errors: one line, exit 1', () => {
  const cases: [unknown, RegExp][] = [
    [{ launches: [] }, /launches must list at least one/],
    [{ launches: [{ kernel: 0, ptrIn: [], ptrOut: [] }] }, /launches\[0\]\.kernel must be a kernel slot 1\.\.15/],
    [{ launches: [{ kernel: 1, ptrIn: [1, 2, 3, 4, 5], ptrOut: [] }] }, /launches\[0\]\.ptrIn must be an array of at most 4 byte addresses/],
    [{ memory: [{ addr: 2, words: [1] }], launches: [{ kernel: 1 }] }, /memory\[0\]\.addr must be a word-aligned byte address/],
    [{ memory: [{ addr: 0, words: ['x'] }], launches: [{ kernel: 1 }] }, /memory\[0\]\.words must be an array of 32-bit integers/],
    [{ launches: [{ kernel: 1 }], dump: [{ addr: 0, words: 0 }] }, /dump\[0\]\.words must be the number of words/],
    [{ launches: [{ kernel: 1 }], extra: 1 }, /"extra" is not a launch-file field/],
    [{ launches: [{ kernel: 2 }] }, /kernel 2 is not in the image/],
  ];
  // Validation rules in-process (fast); the CLI's one-line error and exit code once.
  cases.slice(0, -1).forEach(([doc, re]) => assert.throws(() => parseLaunchFile(JSON.stringify(doc), makeArch()), re));
  const p = join(dir, 'bad.json');
  for (const i of [1, cases.length - 1]) {
    writeFileSync(p, JSON.stringify(cases[i][0]));
    const r = tf('sim', '--bitstream', join(dir, 'dot.json'), '--launch', p);
    assert.equal(r.status, 1, `case ${i}: ${r.stderr}`);
    assert.match(r.stderr, cases[i][1]);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
  const bad = join(dir, 'bad.s');
  writeFileSync(bad, 'kernel 1 cols=1\nstep 0\n  SADD R0, 1, 2\n  NOP\n  NOP\n  NOP\nend\n');
  const r = tf('asm', bad, '-o', join(dir, 'bad.h'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.s:3:3: kernel 1: PE\(row 0, col 0\) step 0 'SADD R0, 1, 2': immediate used twice/);
  assert.ok(!existsSync(join(dir, 'bad.h')));
  assert.equal(tf('sim', '--bitstream', join(dir, 'dot.json')).status, 2);
  assert.equal(tf('frob').status, 2);
});
