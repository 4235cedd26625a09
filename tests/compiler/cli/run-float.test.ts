// `tinyforge run` on a model with float32 edges (TFLite Micro's hello_world_2023: FLOAT32 [1,1] -> QUANTIZE ->
// int8 FULLY_CONNECTED x3 -> DEQUANTIZE -> FLOAT32 [1,1]): raw little-endian float32 in and out, --gen-input
// draws floats inside the input's quantised range, and the output equals the golden runtime called directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../../compiler/frontend/load.ts';
import { GoldenRuntime } from '../../../runtime-wasm/host.ts';
import { modelsDir, repoRoot, scratchDir } from '../../helpers/paths.ts';

const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, 'run', ...args], { encoding: 'utf8' });
const model = join(modelsDir, 'zoo', 'tflm-hello_world_2023.tflite');
const f32 = (p: string) => new Float32Array(new Uint8Array(readFileSync(p)).buffer);

test('run: float32 edges read and write raw little-endian float32', { skip: !existsSync(model) && 'model missing' }, async () => {
  const dir = scratchDir();
  const [inp, out, in2, out2] = ['in.bin', 'out.bin', 'in2.bin', 'out2.bin'].map((f) => join(dir, f));
  const r = cli(model, '--input', inp, '--output', out, '--gen-input', '7', '--json');
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout);
  assert.deepEqual(summary.inputs, [{ name: 'serving_default_dense_2_input:0', dtype: 'float32', shape: [1, 1], bytes: 4 }]);
  assert.equal(summary.outputs[0].dtype, 'float32');
  assert.equal(readFileSync(inp).length, 4);
  assert.equal(readFileSync(out).length, 4);
  // The generated float lies in the range QUANTIZE represents: (q - zp) * scale for q in [-128, 127].
  const { graph } = loadModel(model);
  const qt = graph.tensors[graph.ops[0]!.outputs[0]!]!;
  const [s, z] = [qt.quant!.scale[0]!, qt.quant!.zeroPoint[0]!];
  const x = f32(inp)[0]!;
  assert.ok(x >= (-128 - z) * s && x <= (127 - z) * s, `${x}`);
  const rt = await GoldenRuntime.load();
  assert.deepEqual(f32(out), rt.run(graph, [Float32Array.of(x)]).outputs[0]);
  // A hand-written input: sin(1.5) is about 0.997; the model's answer is close, and equal to the golden runtime's.
  writeFileSync(in2, new Uint8Array(Float32Array.of(1.5).buffer));
  assert.equal(cli(model, '--input', in2, '--output', out2).status, 0);
  const y = f32(out2)[0]!;
  assert.ok(Math.abs(y - Math.sin(1.5)) < 0.1, `${y}`);
  assert.deepEqual(f32(out2), rt.run(graph, [Float32Array.of(1.5)]).outputs[0]);
  // Wrong size: the message says the dtype and byte count expected.
  writeFileSync(in2, new Uint8Array(1));
  const bad = cli(model, '--input', in2, '--output', out2);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /input is 1 bytes, expected 4 .*'serving_default_dense_2_input:0' float32 \[1, 1\] = 4/);
  assert.equal(bad.stderr.trimEnd().split('\n').length, 1);
});
