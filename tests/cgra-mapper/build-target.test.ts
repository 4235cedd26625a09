// `tinyforge build` with a CGRA target: a YAML network with a per-layer strategy override; the build report
// (--json) carries per-layer cgra figures and totals, every layer verified bit-exact, the override honoured
// (and a strategy that cannot map its layer replaced by auto, with a note), artefacts written under <out>/cgra.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, scratchDir } from '../helpers/paths.ts';

test('build: targets.cgra maps, verifies and reports every conv layer', () => {
  const dir = scratchDir();
  const cfg = join(dir, 'net.yaml');
  writeFileSync(cfg, [
    'name: tiny',
    'out: out',
    'network:',
    '  seed: 3',
    '  input: { name: x, shape: [12, 10, 8], scale: 0.5, zero_point: 3 }',
    '  layers:',
    '    - { op: conv2d, name: c1, filters: 12, kernel: 3, stride: 2, activation: relu }',
    '    - { op: depthwise_conv2d, name: d1, kernel: 3, activation: relu }',
    '    - { op: conv2d, name: p1, filters: 16, kernel: 1 }',
    'targets:',
    '  cgra: { rows: 4, cols: 4, bus: shared, strategy: auto, layers: { c1: wp, d1: im2col-oc }, call_cycles: 190 }',
    '',
  ].join('\n'));
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'tinyforge.mjs'), 'build', cfg, '--json'], { encoding: 'utf8', cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const conv = doc.layers.filter((l: { cgra?: unknown }) => l.cgra);
  assert.equal(conv.length, 3);
  const byName = Object.fromEntries(conv.map((l: { name: string }) => [l.name, l]));
  assert.equal(byName.c1.cgra.strategy, 'wp');
  assert.equal(byName.d1.cgra.requested, 'im2col-oc');
  assert.notEqual(byName.d1.cgra.strategy, 'im2col-oc');
  assert.match(byName.d1.cgra.note, /im2col-oc cannot map this layer/);
  for (const l of conv) assert.equal(l.cgra.bitExact, true, l.name);
  assert.equal(doc.totals.cgra.layers, 3);
  assert.equal(doc.totals.cgra.bitExact, true);
  const out = join(dir, 'out', 'cgra');
  assert.ok(existsSync(join(out, 'report.html')));
  assert.equal(readdirSync(out).filter((f) => f.endsWith('.launch.json')).length, 3);
});
