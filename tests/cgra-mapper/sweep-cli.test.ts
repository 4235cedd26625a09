// Issue 16 through the built CLI: `targets.cgra.strategies: [general]` and `cgra map --strategies general`
// map every layer with the general mapper, bit-exact against the golden runtime (the CLI compares every
// layer and exits 1 on a mismatch); `cgra sweep` runs array sizes x strategies in worker threads and writes
// sweep.json (every point bit-exact, a Pareto front) and sweep.svg.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, scratchDir } from '../helpers/paths.ts';

const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
const dir = scratchDir('tinyforge-sweep-');
const cfg = join(dir, 'net.yaml');
writeFileSync(cfg, [
  'name: tiny',
  'network:',
  '  seed: 5',
  '  input: { name: x, shape: [8, 7, 6], scale: 0.5, zero_point: 3 }',
  '  layers:',
  '    - { op: conv2d, name: c1, filters: 8, kernel: 3, stride: 1, activation: relu }',
  '    - { op: depthwise_conv2d, name: d1, kernel: 3, activation: relu }',
  '    - { op: conv2d, name: p1, filters: 5, kernel: 1 }',
  'targets:',
  '  cgra: { rows: 2, cols: 2, strategies: [general] }',
  '',
].join('\n'));

test('cgra map: strategies [general] in the config and --strategies general map every layer with the general mapper, bit-exact', () => {
  for (const extra of [[], ['--strategies', 'general']]) {
    // --effort 0.05: a twentieth of the general mapper's search work (this test checks exactness, not schedule quality)
    const r = spawnSync(process.execPath, [bin, 'cgra', 'map', cfg, '--json', '--inputs', '1', '--effort', '0.05', ...extra], { encoding: 'utf8', cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.layers.length, 3);
    for (const l of doc.layers) {
      assert.equal(l.cgra.strategy, 'general');
      assert.equal(l.cgra.bitExact, true);
      assert.equal(l.cgra.estimate.exact, true);
    }
  }
  const bad = spawnSync(process.execPath, [bin, 'cgra', 'map', cfg, '--strategies', 'nope'], { encoding: 'utf8', cwd: dir });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--strategies: 'nope' is not a strategy/);
  const effort = spawnSync(process.execPath, [bin, 'cgra', 'map', cfg, '--effort', '0'], { encoding: 'utf8', cwd: dir });
  assert.equal(effort.status, 2);
  assert.match(effort.stderr, /--effort must be a number in \(0, 64\]/);
});

test('cgra sweep: array sizes x strategies in worker threads, JSON with a Pareto front and an SVG plot', () => {
  const out = join(dir, 'sweep');
  const r = spawnSync(process.execPath, [bin, 'cgra', 'sweep', cfg, '--rows', '2,4', '--cols', '4', '--strategies', 'auto,general', '--workers', '2', '--effort', '0.05', '--out', out], { encoding: 'utf8', cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /\[#{30}\] 4\/4/);
  const doc = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
  assert.equal(doc.points.length, 4);
  for (const p of doc.points) {
    assert.equal(p.bitExact, true, `${p.rows}x${p.cols} ${p.strategy}`);
    assert.equal(p.layersMapped, 3);
    assert.ok(p.cycles > 0 && p.energyJ > 0 && p.contextWords > 0);
  }
  // The front is non-empty and no point on it is dominated by another.
  const front = doc.points.filter((p: { pareto: boolean }) => p.pareto);
  assert.ok(front.length >= 1);
  for (const a of front) for (const b of doc.points) {
    if (a === b) continue;
    assert.ok(!(b.cycles <= a.cycles && b.energyJ <= a.energyJ && b.contextWords <= a.contextWords && (b.cycles < a.cycles || b.energyJ < a.energyJ || b.contextWords < a.contextWords)));
  }
  const svg = readFileSync(join(out, 'sweep.svg'), 'utf8');
  assert.match(svg, /^<svg /);
  assert.equal((svg.match(/<circle cx=/g) ?? []).length, 4 + 2);
});
