// `tinyforge inspect` on models it cannot compile: every operator listed as supported / not supported (why),
// one line each, then the one-line error (exit 1), never a stack trace. Built by hand (tflite-builder):
// unsupported builtins, CUSTOM ops refused by their custom_code (an Ethos-U op, an audio front-end Signal
// op), a folded constant chain, and an op whose own rules fail (a float32 tensor outside the edges).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Builder } from 'flatbuffers';
import { BuiltinOperator as B, BuiltinOptionsType, Slot, TensorType } from '../../../compiler/frontend/tflite/schema.ts';
import { repoRoot, scratchDir } from '../../helpers/paths.ts';
import { buildTflite, type TModel } from '../../helpers/tflite-builder.ts';

const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, 'inspect', ...args], { encoding: 'utf8' });
const q = (scale: number, zp = 0) => ({ scale: [scale], zeroPoint: [zp] });
const dir = scratchDir('tinyforge-inspect-ops-');
const beta1 = { optionsType: BuiltinOptionsType.SoftmaxOptions, options: (b: Builder) => { b.startObject(1); b.addFieldFloat32(Slot.SoftmaxOptions.beta, 1, 0); return b.endObject(); } };

function write(name: string, m: TModel): string {
  const p = join(dir, name);
  writeFileSync(p, buildTflite(m));
  return p;
}

/** x -> L2_NORMALIZATION -> CUSTOM ethos-u -> CUSTOM SignalWindow -> SOFTMAX, plus a folded SHAPE (a constant). */
function mixed(): TModel {
  return {
    tensors: [
      { name: 'x', shape: [1, 8], ...q(0.5) }, { name: 'a', shape: [1, 8], ...q(1 / 128) }, { name: 'b', shape: [1, 8], ...q(0.25) },
      { name: 'c', shape: [1, 8], ...q(0.25) }, { name: 'y', shape: [1, 8], ...q(1 / 256, -128) }, { name: 's', shape: [2], type: TensorType.INT32 },
    ],
    ops: [
      { code: B.L2_NORMALIZATION, inputs: [0], outputs: [1] },
      { code: B.CUSTOM, customCode: 'ethos-u', inputs: [1], outputs: [2] },
      { code: B.CUSTOM, customCode: 'SignalWindow', inputs: [2], outputs: [3] },
      { code: B.SOFTMAX, inputs: [3], outputs: [4], ...beta1 },
      { code: B.SHAPE, inputs: [0], outputs: [5] },
    ],
    inputs: [0], outputs: [4],
  };
}

test('inspect lists every op with its verdict before failing; custom ops are refused by their custom code', () => {
  const p = write('mixed.tflite', mixed());
  const r = cli(p);
  assert.equal(r.status, 1);
  const lines = r.stdout.trimEnd().split('\n');
  assert.equal(lines[0], `${p}: 5 operators, 3 not supported`);
  assert.match(lines[1]!, /^ {2}op {3}0 {2}L2_NORMALIZATION +not supported \(no operator definition for L2_NORMALIZATION\)$/);
  assert.match(lines[2]!, /^ {2}op {3}1 {2}CUSTOM 'ethos-u' +not supported \(custom operator 'ethos-u': tinyforge compiles builtin operators only\)$/);
  assert.match(lines[3]!, /op {3}2 {2}CUSTOM 'SignalWindow' +not supported \(custom operator 'SignalWindow'/);
  assert.match(lines[4]!, /op {3}3 {2}SOFTMAX +supported$/);
  assert.match(lines[5]!, /op {3}4 {2}SHAPE +supported \(constant, folded at compile time\)$/);
  assert.equal(lines.length, 6);
  // then exactly one error line on stderr, no stack trace
  assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^tinyforge: error: .*mixed\.tflite: op 0: unsupported operator L2_NORMALIZATION \(builtin 11\)/);
  assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at /);
});

test('an op whose own rules fail is named with the reason; --ops lists a supported model and exits 0', () => {
  // float32 read by FULLY_CONNECTED (not QUANTIZE): the op that reads it is the one not supported
  const bad: TModel = {
    tensors: [
      { name: 'x', shape: [1, 4], type: TensorType.FLOAT32 }, { name: 'w', shape: [2, 4], ...q(0.5), data: new Uint8Array(8) },
      { name: 'y', shape: [1, 2], ...q(0.5) }, { name: 'z', shape: [1, 2], ...q(0.5) },
    ],
    ops: [{ code: B.FULLY_CONNECTED, inputs: [0, 1, -1], outputs: [2] }, { code: B.RESHAPE, inputs: [2], outputs: [3] }],
    inputs: [0], outputs: [3],
  };
  const r = cli(write('float.tflite', bad));
  assert.equal(r.status, 1);
  assert.match(r.stdout, /op {3}0 {2}FULLY_CONNECTED +not supported \(float32 tensor 0 'x' outside the edges/);
  assert.match(r.stdout, /op {3}1 {2}RESHAPE +supported/);
  assert.match(r.stderr, /^tinyforge: error: .*tensor 0 'x' is FLOAT32 and read by op 0 \(fully_connected\), not QUANTIZE/);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1);
  // a supported model: the plain inspect prints its layer table; --ops the per-op list, exit 0
  const good: TModel = { tensors: [{ name: 'x', shape: [1, 8], ...q(0.5) }, { name: 'y', shape: [1, 8], ...q(1 / 256, -128) }], ops: [{ code: B.SOFTMAX, inputs: [0], outputs: [1], ...beta1 }], inputs: [0], outputs: [1] };
  const p = write('good.tflite', good);
  const ok = cli(p, '--ops');
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, `${p}: 1 operators, 0 not supported\n  op   0  SOFTMAX   supported\n`);
});

test('an op that imports but breaks its shape rules is reported with the validator\'s reason', () => {
  // SOFTMAX declared [1,4] from an [1,8] input
  const m: TModel = { tensors: [{ name: 'x', shape: [1, 8], ...q(0.5) }, { name: 'y', shape: [1, 4], ...q(1 / 256, -128) }], ops: [{ code: B.SOFTMAX, inputs: [0], outputs: [1], ...beta1 }], inputs: [0], outputs: [1] };
  const r = cli(write('shape.tflite', m));
  assert.equal(r.status, 1);
  assert.match(r.stdout, /op {3}0 {2}SOFTMAX +not supported \(output 'y' is declared \[1,4\] but the op computes \[1,8\]\)/);
  assert.equal(r.stderr.trimEnd().split('\n').length, 1);
});

test('each op is judged on its own: a broken op after an unsupported one still gets its reason', () => {
  const m: TModel = {
    tensors: [{ name: 'x', shape: [1, 8], ...q(0.5) }, { name: 'a', shape: [1, 8], ...q(1 / 128) }, { name: 'y', shape: [1, 2], ...q(1 / 256, -128) }],
    ops: [{ code: B.L2_NORMALIZATION, inputs: [0], outputs: [1] }, { code: B.SOFTMAX, inputs: [1], outputs: [2], ...beta1 }],
    inputs: [0], outputs: [2],
  };
  const r = cli(write('two.tflite', m), '--ops');
  assert.equal(r.status, 1);
  assert.match(r.stdout, /op {3}0 {2}L2_NORMALIZATION +not supported \(no operator definition for L2_NORMALIZATION\)/);
  assert.match(r.stdout, /op {3}1 {2}SOFTMAX +not supported \(output 'y' is declared \[1,2\] but the op computes \[1,8\]\)/);
  assert.equal(r.stdout.trimEnd().split('\n').length, 3);
});
