// `tinyforge inspect` and `tinyforge build` through the real CLI (node bin/tinyforge.mjs): JSON shape and
// totals (MACs from research.md), the text table, exit codes for bad options (2) and bad input (1, one
// line, no stack trace).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelPath, repoRoot, scratchDir } from '../../helpers/paths.ts';

const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: repoRoot });

test('inspect --json on kws: ops and totals', { skip: !modelPath('kws') && 'model not present' }, () => {
  const r = run('inspect', modelPath('kws')!, '--json');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.ops.length, 13);
  assert.deepEqual(Object.keys(j.totals).sort(), ['activationBytes', 'histogram', 'macs', 'ops', 'weightBytes']);
  assert.equal(j.totals.ops, 13);
  assert.equal(j.totals.macs, 2_656_768);
  assert.deepEqual(j.totals.histogram, { conv2d: 5, depthwise_conv2d: 4, average_pool2d: 1, reshape: 1, fully_connected: 1, softmax: 1 });
  // op 0: 49x10x1 -> 25x5x64 with a 10x4 kernel: 25*5*64*40 MACs; weights 64*10*4 int8 + 64 int32.
  assert.deepEqual(j.ops[0], {
    index: 0, kind: 'conv2d', name: j.ops[0].name, inputShapes: [[1, 49, 10, 1], [64, 10, 4, 1], [64]], outputShape: [1, 25, 5, 64], outputShapes: [[1, 25, 5, 64]],
    macs: 320_000, weightBytes: 2560 + 256, activationBytes: 490 + 8000,
  });
});

test('inspect text table and build on the default config', () => {
  const r = run('inspect', 'configs/default.yaml');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\s*0\s+conv1\s+conv2d\s+\[1,49,10,1\] \[16,10,4,1\] \[16\]\s+\[1,25,5,16\]\s+80,000/m);
  assert.match(r.stdout, /total\s+9 ops\s+180,192/);
  const b = run('build', 'configs/default.yaml', '--json');
  assert.equal(b.status, 0, b.stderr);
  const j = JSON.parse(b.stdout);
  assert.equal(j.config.name, 'default');
  assert.deepEqual(j.config.targets.mcu, { cpu: 'cortex-m4', flash: 1048576, sram: 262144 });
  assert.equal(j.graph.totals.macs, 180_192);
});

test('inspect --graph-ir prints the graph IR (as in the golden file)', () => {
  const r = run('inspect', 'configs/default.yaml', '--graph-ir');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(join(repoRoot, 'tests', 'golden', 'graph', 'default.txt'), 'utf8'));
  const both = run('inspect', 'configs/default.yaml', '--graph-ir', '--json');
  assert.equal(both.status, 2);
});

test('unknown option exits 2 with usage; bad input exits 1 with one line', () => {
  const u = run('inspect', 'configs/default.yaml', '--frobnicate');
  assert.equal(u.status, 2);
  assert.match(u.stderr, /^tinyforge: unknown option '--frobnicate'\n/);
  assert.match(u.stderr, /^usage: tinyforge inspect <model\.tflite\|config\.yaml> \[--json/m);
  const dir = scratchDir();
  const bad = join(dir, 'bad.tflite');
  writeFileSync(bad, 'this is not a flatbuffer at all');
  const r = run('inspect', bad);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^tinyforge: error: .*bad\.tflite: not a valid \.tflite file: file identifier is " is ", expected "TFL3"/);
  assert.doesNotMatch(r.stderr, /\bat .*\.(m?js|ts):\d+/);
  const y = join(dir, 'bad.yaml');
  writeFileSync(y, 'network:\n  input: { shape: [4] }\n  layers:\n    - { op: fully_connected, units: -1 }\n');
  const ry = run('build', y);
  assert.equal(ry.status, 1);
  assert.match(ry.stderr, /bad\.yaml:4:37: network\.layers\[0\]\.units must be an integer from 1 to 65536 \(got -1\)/);
});
