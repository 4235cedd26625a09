// `tinyforge run` end to end on a real model: --gen-input writes a deterministic input, outputs equal the
// golden runtime called directly, --scalar/--arith/--json/--dump-dir work, bad inputs fail with exit 1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, modelPath, scratchDir } from '../../helpers/paths.ts';
import { loadModel } from '../../../compiler/frontend/load.ts';
import { GoldenRuntime } from '../../../runtime-wasm/host.ts';

const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, 'run', ...args], { encoding: 'utf8' });
const model = modelPath('kws');
const readI8 = (p: string) => new Int8Array(new Uint8Array(readFileSync(p)).buffer);

test('run --gen-input writes a deterministic input; output equals the golden runtime', { skip: model ? false : 'model missing' }, async () => {
  const dir = scratchDir();
  const [inA, inB, out, out2] = ['a.bin', 'b.bin', 'out.bin', 'out2.bin'].map((f) => join(dir, f));
  let r = cli(model!, '--input', inA, '--output', out, '--gen-input', '42');
  assert.equal(r.status, 0, r.stderr);
  r = cli(model!, '--input', inB, '--output', out2, '--gen-input', '42', '--scalar', '--json');
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.equal(summary.simd, false);
  assert.equal(summary.arith, 'tflm');
  assert.deepEqual(readFileSync(inA), readFileSync(inB));
  assert.deepEqual(readFileSync(out), readFileSync(out2));
  const { graph } = loadModel(model!);
  const input = readI8(inA);
  assert.equal(input.length, summary.inputs[0].bytes);
  const want = (await GoldenRuntime.load()).run(graph, [input], { arith: 'tflm' }).outputs[0];
  assert.deepEqual(readI8(out), want);
  const tfl = (await GoldenRuntime.load()).run(graph, [input], { arith: 'tflite' }).outputs[0];
  r = cli(model!, '--input', inA, '--output', out2, '--arith', 'tflite');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readI8(out2), tfl);
});

test('run --dump-dir writes every tensor and an index', { skip: model ? false : 'model missing' }, () => {
  const dir = scratchDir();
  const r = cli(model!, '--input', join(dir, 'in.bin'), '--output', join(dir, 'out.bin'), '--gen-input', '1', '--dump-dir', join(dir, 'dump'));
  assert.equal(r.status, 0, r.stderr);
  const index = JSON.parse(readFileSync(join(dir, 'dump', 'index.json'), 'utf8'));
  const { graph } = loadModel(model!);
  assert.equal(index.tensors.length, graph.ops.length + graph.inputs.length);
  for (const t of index.tensors) {
    assert.ok(existsSync(join(dir, 'dump', t.file)), t.file);
    assert.equal(readFileSync(join(dir, 'dump', t.file)).length, t.shape.reduce((a: number, b: number) => a * b, 1));
  }
  const last = index.tensors.find((t: { op: number | null }) => t.op === graph.ops.length - 1);
  assert.deepEqual(readFileSync(join(dir, 'dump', last.file)), readFileSync(join(dir, 'out.bin')));
});

test('run rejects an input of the wrong size, naming the expected bytes, and bad options', { skip: model ? false : 'model missing' }, () => {
  const dir = scratchDir();
  writeFileSync(join(dir, 'short.bin'), new Uint8Array(10));
  let r = cli(model!, '--input', join(dir, 'short.bin'), '--output', join(dir, 'o.bin'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /input is 10 bytes, expected 490/);
  assert.ok(!existsSync(join(dir, 'o.bin')));
  r = cli(model!, '--input', join(dir, 'short.bin'), '--output', join(dir, 'o.bin'), '--arith', 'fp32');
  assert.equal(r.status, 2); // a bad option value is a usage error, as in inspect / verify / cgra map
  assert.match(r.stderr, /--arith must be one of tflm, tflite, got 'fp32'/);
  r = cli(model!, '--output', join(dir, 'o.bin'));
  assert.equal(r.status, 2);
});

test('run takes the arithmetic from a YAML config\'s arith key unless --arith overrides it', async () => {
  const dir = scratchDir();
  const src = readFileSync(join(repoRoot, 'configs', 'examples', 'primitives.yaml'), 'utf8');
  const cfg = join(dir, 'p.yaml');
  writeFileSync(cfg, src.replace('name: primitives\n', 'name: primitives\narith: tflite\n').replace('../tinyforge.schema.json', join(repoRoot, 'configs', 'tinyforge.schema.json')));
  let r = cli(cfg, '--input', join(dir, 'in.bin'), '--output', join(dir, 'a.bin'), '--gen-input', '9', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).arith, 'tflite');
  r = cli(cfg, '--input', join(dir, 'in.bin'), '--output', join(dir, 'b.bin'), '--arith', 'tflm', '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).arith, 'tflm');
  const { graph } = loadModel(cfg);
  const rt = await GoldenRuntime.load();
  const input = readI8(join(dir, 'in.bin'));
  assert.deepEqual(readI8(join(dir, 'a.bin')), rt.run(graph, [input], { arith: 'tflite' }).outputs[0]);
  assert.deepEqual(readI8(join(dir, 'b.bin')), rt.run(graph, [input], { arith: 'tflm' }).outputs[0]);
});
