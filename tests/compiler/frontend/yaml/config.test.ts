// The YAML front end: configs load into the expected graph and targets (MACs computed by hand), generated
// networks are deterministic and well quantised, raw weight files are read back exactly, and every kind
// of mistake is reported with file:line:column and the expected form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, parseSize } from '../../../../compiler/frontend/yaml/config.ts';
import { configSchema } from '../../../../compiler/frontend/yaml/schema.ts';
import { TinyforgeError } from '../../../../compiler/diagnostics.ts';
import { graphStats } from '../../../../compiler/ir/stats.ts';
import { printGraph } from '../../../../compiler/ir/printer.ts';
import { modelPath, repoRoot, scratchDir } from '../../../helpers/paths.ts';

const dir = scratchDir();
function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function expectError(path: string, re: RegExp): void {
  assert.throws(() => loadConfig(path), (e: unknown) => {
    assert.ok(e instanceof TinyforgeError, `expected a TinyforgeError, got ${e}`);
    assert.match(e.format(), re);
    assert.ok(!e.format().includes('\n'));
    return true;
  });
}
const NET = 'network:\n  input: { shape: [8, 8, 4], scale: 0.05, zero_point: -3 }\n  layers:\n';

test('configs/default.yaml: graph, MACs and targets', () => {
  const c = loadConfig(join(repoRoot, 'configs', 'default.yaml'));
  assert.equal(c.name, 'default');
  assert.equal(c.arith, 'tflm');
  assert.equal(c.outDir, join('out', 'default'));
  assert.deepEqual(c.targets.mcu, { cpu: 'cortex-m4', flash: 1024 * 1024, sram: 256 * 1024 });
  assert.deepEqual(c.targets.cgra, { rows: 4, cols: 4, bus: 'shared', strategy: 'auto', callCycles: 190 });
  const s = graphStats(c.graph);
  // 49x10x1 -> conv 10x4 stride 2 same, 16 filters -> 25x5x16: 25*5*16*40; dw 3x3: 25*5*16*9;
  // pw 16->16: 25*5*16*16; second dw + pw; FC 16->12.
  assert.deepEqual(s.ops.map((o) => o.macs), [80_000, 18_000, 32_000, 18_000, 32_000, 0, 0, 192, 0]);
  assert.deepEqual(s.ops.map((o) => o.outputShape), [[1, 25, 5, 16], [1, 25, 5, 16], [1, 25, 5, 16], [1, 25, 5, 16], [1, 25, 5, 16], [1, 1, 1, 16], [1, 16], [1, 12], [1, 12]]);
});

test('sizes: integers and K/M suffixes', () => {
  assert.equal(parseSize(1048576), 1048576);
  assert.equal(parseSize('1M'), 1048576);
  assert.equal(parseSize('256K'), 262144);
  assert.equal(parseSize('4096'), 4096);
});

test('generated networks are deterministic, seed-dependent and quantised as TFLite expects', () => {
  const p = join(repoRoot, 'configs', 'examples', 'primitives.yaml');
  const a = loadConfig(p), b = loadConfig(p);
  assert.equal(printGraph(a.graph), printGraph(b.graph));
  const other = write('seed.yaml', readFileSync(p, 'utf8').replace('seed: 42', 'seed: 43'));
  assert.notEqual(printGraph(loadConfig(other).graph), printGraph(a.graph));
  const g = a.graph;
  for (const t of g.tensors) {
    for (const s of t.quant!.scale) assert.equal(Math.fround(s), s, `${t.name}: float32 scale`);
    if (t.dtype === 'int8' && t.data) for (const v of t.data) assert.ok(v >= -127 && v <= 127, `${t.name}: weights in [-127, 127]`);
  }
  for (const op of g.ops) {
    const w = op.inputs[1] !== undefined && op.kind !== 'add' ? g.tensors[op.inputs[1]] : undefined;
    if (!w) continue;
    const x = g.tensors[op.inputs[0]!]!;
    if (op.kind === 'add_conv2d') {
      assert.deepEqual(w.quant!.scale, x.quant!.scale, 'add_conv2d: weight scale = input scale');
    } else {
      assert.equal(w.quant!.axis, op.kind === 'depthwise_conv2d' ? 3 : 0, `${op.name}: per-channel axis`);
      assert.equal(new Set(w.quant!.scale).size > 1, true, `${op.name}: distinct per-channel scales`);
    }
    const bias = g.tensors[op.inputs[2]!]!;
    assert.equal(bias.dtype, 'int32');
    // bias scale = input scale x weight scale (as float32)
    bias.quant!.scale.forEach((s, i) => assert.equal(s, Math.fround(x.quant!.scale[0]! * w.quant!.scale[w.quant!.scale.length === 1 ? 0 : i]!)));
  }
  const shift = g.ops.find((o) => o.name === 'shift');
  // 16 channels over the 9 offsets of a 3x3 window: channel c gets offset floor(c * 9 / 16).
  assert.deepEqual(shift?.kind === 'shift_conv2d' && shift.shifts.slice(0, 3), [[-1, -1], [-1, -1], [-1, 0]]);
  const softmaxOut = g.tensors[g.ops.at(-1)!.outputs[0]!]!;
  assert.deepEqual(softmaxOut.quant, { scale: [1 / 256], zeroPoint: [-128] });
});

test('raw weight and bias files are read back exactly', () => {
  writeFileSync(join(dir, 'w.bin'), Uint8Array.from([1, 2, 3, 4, 5, 6, 0xff, 0x80]));
  writeFileSync(join(dir, 'b.bin'), new Uint8Array(Int32Array.from([1000, -5]).buffer));
  const p = write('files.yaml', 'network:\n  input: { shape: [1, 4] }\n  layers:\n    - { op: fully_connected, units: 2, weights: { file: w.bin, bias: b.bin, scale: [0.5, 0.25] } }\n');
  const g = loadConfig(p).graph;
  const w = g.tensors[g.ops[0]!.inputs[1]!]!, b = g.tensors[g.ops[0]!.inputs[2]!]!;
  assert.deepEqual(Array.from(w.data as Int8Array), [1, 2, 3, 4, 5, 6, -1, -128]);
  assert.deepEqual(w.quant, { scale: [0.5, 0.25], zeroPoint: [0, 0], axis: 0 });
  assert.deepEqual(Array.from(b.data as Int32Array), [1000, -5]);
  const short = write('short.yaml', 'network:\n  input: { shape: [1, 4] }\n  layers:\n    - { op: fully_connected, units: 3, weights: { file: w.bin } }\n');
  expectError(short, /short\.yaml:4:57: layer 0 \(fully_connected 'fully_connected_0'\): weights file w\.bin has 8 bytes; shape \[3,4\] int8 needs 12/);
});

test('errors name file:line:column and the expected form', () => {
  expectError(write('enum.yaml', `${NET}    - { op: conv2d, filters: 4, kernel: 3 }\ntargets:\n  mcu:\n    cpu: cortex-m9\n    flash: 1M\n    sram: 64K\n`),
    /enum\.yaml:7:10: targets\.mcu\.cpu must be one of cortex-m0plus, cortex-m3, cortex-m4, cortex-m7, cortex-m33, cortex-m55, cortex-m85 \(got 'cortex-m9'\)/);
  expectError(write('type.yaml', `${NET}    - { op: conv2d, filters: four, kernel: 3 }\n`),
    /type\.yaml:4:30: network\.layers\[0\]\.filters must be an integer from 1 to 65536 \(got 'four'\)/);
  expectError(write('key.yaml', `${NET}    - { op: conv2d, filters: 4, kernal: 3 }\n`),
    /key\.yaml:4:33: unknown key 'kernal' in network\.layers\[0\]; did you mean 'kernel'\?/);
  expectError(write('top.yaml', `nmae: x\n${NET}    - { op: softmax }\n`), /top\.yaml:1:1: unknown key 'nmae' in config; did you mean 'name'\?/);
  expectError(write('syntax.yaml', `${NET}    - { op: conv2d, filters: 4, kernel: 3\n`), /syntax\.yaml:5:1: YAML syntax error: /);
  expectError(write('size.yaml', `${NET}    - { op: softmax }\ntargets:\n  mcu: { cpu: cortex-m4, flash: 1G, sram: 1K }\n`),
    /size\.yaml:6:33: targets\.mcu\.flash must be a size in bytes: an integer or a string like 256K or 1M/);
  expectError(write('req.yaml', `${NET}    - { op: softmax }\ntargets:\n  mcu: { cpu: cortex-m4, sram: 1K }\n`), /req\.yaml:6:8: targets\.mcu: missing required key 'flash'/);
  expectError(write('opkey.yaml', `${NET}    - { op: softmax, filters: 4 }\n`), /opkey\.yaml:4:22: layer 0 \(softmax 'softmax_0'\): softmax does not take 'filters' \(softmax takes: name, input, beta\)/);
  expectError(write('ref.yaml', `${NET}    - { op: conv2d, name: c, filters: 4, kernel: 3 }\n    - { op: add, inputs: [c, nope] }\n`), /ref\.yaml:5:30: layer 1 \(add 'add_1'\): no earlier layer or input named 'nope'/);
  expectError(write('shape.yaml', `${NET}    - { op: conv2d, filters: 4, kernel: 9, padding: valid }\n`), /shape\.yaml:4:7: layer 0 \(conv2d 'conv2d_0'\): inferred output shape \[1,0,0,4\] is empty/);
  expectError(write('model.yaml', 'model: missing.tflite\n'), /model\.yaml:1:8: model file not found: .*missing\.tflite/);
  expectError(write('none.yaml', 'name: x\n'), /none\.yaml:1:1: the config needs either model/);
  expectError(write('cgra.yaml', `${NET}    - { op: softmax, name: sm }\ntargets:\n  cgra: { rows: 4, cols: 4, layers: { conv1: wp } }\n`), /cgra\.yaml:6:39: targets\.cgra\.layers: no layer named 'conv1' \(layers: sm\)/);
  expectError(join(dir, 'absent.yaml'), /absent\.yaml: no such file/);
});

test('configs/tinyforge.schema.json is current (npm run golden:update -- schema)', () => {
  const text = readFileSync(join(repoRoot, 'configs', 'tinyforge.schema.json'), 'utf8');
  assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(configSchema)));
});

test('every shipped config points editors at the schema and loads', () => {
  const files = [join(repoRoot, 'configs', 'default.yaml'), ...readdirSync(join(repoRoot, 'configs', 'examples')).map((f) => join(repoRoot, 'configs', 'examples', f))];
  for (const f of files.filter((x) => x.endsWith('.yaml'))) {
    assert.match(readFileSync(f, 'utf8'), /^# yaml-language-server: \$schema=\.\.?\/tinyforge\.schema\.json$/m, f);
    if (f.endsWith('kws.yaml')) continue;
    loadConfig(f);
  }
});

test('configs/examples/kws.yaml names ../shared/models next to the repository', () => {
  const c = readFileSync(join(repoRoot, 'configs', 'examples', 'kws.yaml'), 'utf8');
  const rel = /^model: (.*)$/m.exec(c)![1]!;
  assert.equal(resolve(repoRoot, 'configs', 'examples', rel), resolve(repoRoot, '..', 'shared', 'models', 'kws_ref_model.tflite'));
  const p = resolve(repoRoot, 'configs', 'examples', rel);
  if (existsSync(p) || (process.env.CI === 'true' && modelPath('kws'))) {
    assert.equal(graphStats(loadConfig(join(repoRoot, 'configs', 'examples', 'kws.yaml')).graph).totals.macs, 2_656_768);
  }
});
