// `tinyforge inspect --kernel-ir`: prints exactly the golden kernel IR of a real model; bad option
// combinations are usage errors (exit 2).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { modelPath, repoRoot } from '../../helpers/paths.ts';

const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

test('inspect --kernel-ir prints the kernel IR (the golden file of str_ww)', (t) => {
  const p = modelPath('str_ww');
  if (!p) { t.skip('model absent'); return; }
  const r = cli('inspect', p, '--kernel-ir');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(join(repoRoot, 'tests/golden/kernel/str_ww.txt'), 'utf8'));
});

test('inspect: --arith must be a known arithmetic', (t) => {
  const p = modelPath('str_ww');
  if (!p) { t.skip('model absent'); return; }
  const bad = cli('inspect', p, '--kernel-ir', '--arith', 'fast');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--arith must be one of tflm, tflite, got 'fast'/);
});

test('inspect --kernel-ir --print-after-all: graph IR after the graph passes, kernel IR after the others', () => {
  const r = cli('inspect', join(repoRoot, 'configs/default.yaml'), '--kernel-ir', '--print-after-all');
  assert.equal(r.status, 0, r.stderr);
  const headers = r.stdout.split('\n').filter((l) => l.startsWith('// ----') || /^(graph|kernel) "/.test(l)).map((l) => l.replace(/ \(.*/, ''));
  assert.deepEqual(headers, [
    '// ---- after legalize ----', 'graph "default"', '// ---- after materialize-bias ----', 'graph "default"',
    ...['lower-to-kernel', 'fold-requant', 'fuse-activation', 'assign-buffers', 'count-macs', 'verify-kernel']
      .flatMap((p) => [`// ---- after ${p} ----`, 'kernel "default"']),
  ]);
  // the last printout is the final kernel IR: the golden file of default.yaml
  assert.ok(r.stdout.endsWith(readFileSync(join(repoRoot, 'tests/golden/kernel/default.txt'), 'utf8')));
});
