// Issue #19's .tflite findings, each a test through the CLI: an operator with no outputs, an int8 zero point
// outside [-128, 127] (128, 100000, -2^63) and a scale whose requantisation multiplier no kernel can hold
// (1e30) are one-line errors naming the file and tensor or op, in inspect, run and build alike; none exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BuiltinOperator, BuiltinOptionsType, Slot, TensorType } from '../../../../compiler/frontend/tflite/schema.ts';
import { buildTflite, type TModel } from '../../../helpers/tflite-builder.ts';
import { repoRoot, scratchDir } from '../../../helpers/paths.ts';

const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
const dir = scratchDir();

/** x [1,4] int8 -> FULLY_CONNECTED (w [2,4], bias [2]) -> y [1,2] int8, with the quantisation overrides given. */
function fcModel(o: { xZero?: number; yScale?: number; outputs?: number[] } = {}): TModel {
  const w = new Uint8Array(8).map((_, i) => (i * 37) & 0x7f);
  return {
    tensors: [
      { name: 'x', shape: [1, 4], type: TensorType.INT8, scale: [0.5], zeroPoint: [o.xZero ?? 0] },
      { name: 'w', shape: [2, 4], type: TensorType.INT8, scale: [0.25], zeroPoint: [0], data: w },
      { name: 'b', shape: [2], type: TensorType.INT32, scale: [0.125], zeroPoint: [0], data: new Uint8Array(8) },
      { name: 'y', shape: [1, 2], type: TensorType.INT8, scale: [o.yScale ?? 1], zeroPoint: [3] },
    ],
    ops: [{
      code: BuiltinOperator.FULLY_CONNECTED, inputs: [0, 1, 2], outputs: o.outputs ?? [3], optionsType: BuiltinOptionsType.FullyConnectedOptions,
      options: (b) => { b.startObject(3); b.addFieldInt8(Slot.FullyConnectedOptions.activation, 0, 0); return b.endObject(); },
    }],
    inputs: [0], outputs: [3],
  };
}

function cli(...argv: string[]) {
  const r = spawnSync(process.execPath, [bin, ...argv], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, err: r.stderr };
}

const cases: Array<[string, TModel, RegExp]> = [
  ['an operator with no outputs', fcModel({ outputs: [] }), /op 0 \(fully_connected[^)]*\): has no outputs/],
  ['input zero point 100000', fcModel({ xZero: 100000 }), /tensor \d+ 'x' has zero point 100000, outside the int8 range \[-128, 127\]/],
  ['input zero point 128', fcModel({ xZero: 128 }), /tensor \d+ 'x' has zero point 128, outside the int8 range/],
  ['input zero point -2^63', fcModel({ xZero: -(2 ** 63) }), /tensor \d+ 'x' has zero point -9223372036854776000, outside the int8 range/],
  ['a multiplier no kernel holds (output scale 1e-30)', fcModel({ yScale: 1e-30 }), /fully_connected: input scale x weight scale \/ output scale = [0-9.e+]+ \(channel 0\) is too large/],
];

for (const [what, model, re] of cases) {
  test(`.tflite with ${what}: one line from inspect, run and build, never exit 0`, () => {
    const file = join(dir, `${what.replace(/\W+/g, '_')}.tflite`);
    writeFileSync(file, buildTflite(model));
    const cfg = join(dir, `${what.replace(/\W+/g, '_')}.yaml`);
    writeFileSync(cfg, `name: h\nmodel: ${file}\ntargets:\n  mcu: { cpu: cortex-m4, flash: 1M, sram: 256K }\n`);
    for (const argv of [['inspect', file], ['inspect', file, '--kernel-ir'], ['run', file, '--gen-input', '1', '--input', join(dir, 'i.bin'), '--output', join(dir, 'o.bin')], ['build', cfg, '--no-verify']]) {
      const r = cli(...argv);
      if (argv[0] === 'inspect' && argv.length === 2 && what.startsWith('a multiplier')) {
        assert.equal(r.code, 0, 'the layer table needs no requantisation');
        continue;
      }
      assert.equal(r.code, 1, `${argv.join(' ')}: ${r.err}`);
      assert.equal(r.err.trimEnd().split('\n').length, 1, r.err);
      assert.match(r.err, re, argv.join(' '));
      assert.doesNotMatch(r.err, /internal error|TypeError|malformed/);
    }
  });
}
