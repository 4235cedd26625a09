// The CLI's contract for bad invocations: usage message and exit code 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './helpers/paths.ts';

const bin = join(repoRoot, 'bin', 'tinyforge.mjs');

test('unknown command prints usage and exits 2', () => {
  const r = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  assert.match(r.stderr, /usage: tinyforge <command>/);
});

test('no arguments prints usage and exits 2', () => {
  const r = spawnSync(process.execPath, [bin], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stdout, /commands:/);
});
