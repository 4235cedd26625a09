// Issue #19's findings about files and CGRA inputs, each a test: a device is refused instead of read
// forever, an output never replaces an input of the same command (the model survives), a corrupted CSV is
// one line, and unbounded numbers are bounded (cycle limit, array size, call cycles) with a location.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelPath, repoRoot, scratchDir, sharedDataPath } from '../../helpers/paths.ts';

const bin = join(repoRoot, 'bin', 'tinyforge.mjs');
const cli = (...argv: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...argv], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
};
function failsWith(r: { code: number; out: string; err: string }, code: number, re: RegExp): void {
  assert.equal(r.code, code, r.err);
  assert.equal(r.err.trimEnd().split('\n').length, 1, `one line expected, got:\n${r.err}`);
  assert.match(r.err, re);
}

test('cgra disasm /dev/zero is refused at once (not read forever)', { skip: !existsSync('/dev/zero') && 'no /dev/zero' }, () => {
  failsWith(cli('cgra', 'disasm', '/dev/zero'), 1, /\/dev\/zero: bitstream is not a regular file/);
});

test('run never writes its output over the model or the input it reads', (t) => {
  const src = modelPath('ad01');
  if (!src) { t.skip('model ad01 not present'); return; }
  const dir = scratchDir();
  const model = join(dir, 'm.tflite');
  copyFileSync(src, model);
  const before = readFileSync(model);
  failsWith(cli('run', model, '--gen-input', '1', '--input', model, '--output', join(dir, 'o.bin')), 1, /m\.tflite: --input file would overwrite an input of this command/);
  failsWith(cli('run', model, '--gen-input', '1', '--input', join(dir, 'i.bin'), '--output', model), 1, /m\.tflite: --output file would overwrite an input of this command/);
  assert.deepEqual(readFileSync(model), before, 'the model is untouched');
  // and the same command with distinct files works
  const ok = cli('run', model, '--gen-input', '1', '--input', join(dir, 'i.bin'), '--output', join(dir, 'o.bin'));
  assert.equal(ok.code, 0, ok.err);
});

test('cgra view x.json --html x.json refuses to overwrite its input; a corrupted CSV is one line', (t) => {
  const h = sharedDataPath('heepsilon-wp-conv/bitstream.h');
  if (!h) { t.skip('shared data not present'); return; }
  const dir = scratchDir();
  const s = join(dir, 'x.s');
  const d = cli('cgra', 'disasm', h);
  assert.equal(d.code, 0, d.err);
  writeFileSync(s, d.out);
  const json = join(dir, 'x.json'), csv = join(dir, 'x.csv');
  assert.equal(cli('cgra', 'asm', s, '-o', json).code, 0);
  assert.equal(cli('cgra', 'asm', s, '-o', csv).code, 0);
  const before = readFileSync(json, 'utf8');
  failsWith(cli('cgra', 'view', json, '--html', json), 1, /x\.json: --html file would overwrite an input of this command/);
  assert.equal(readFileSync(json, 'utf8'), before);
  const lines = readFileSync(csv, 'utf8').split('\n');
  lines[1] = '"' + lines[1];
  writeFileSync(csv, lines.join('\n'));
  const r = cli('cgra', 'disasm', csv);
  assert.equal(r.code, 1);
  assert.equal(r.err.trimEnd().split('\n').length, 1, r.err);
  assert.match(r.err, /x\.csv: /);
});

test('--cycle-limit, cgra rows and call_cycles are bounded, with the expected form', () => {
  const dir = scratchDir();
  failsWith(cli('cgra', 'sim', '--bitstream', 'b.h', '--launch', 'l.json', '--cycle-limit', '99999999999'), 2, /--cycle-limit must be at most 1000000000, got '99999999999'/);
  const cfg = (cgra: string) => {
    const p = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(p, `name: c\nnetwork:\n  input: { shape: [4, 4, 1] }\n  layers:\n    - { op: conv2d, filters: 2, kernel: 1 }\ntargets:\n  cgra: ${cgra}\n`);
    return p;
  };
  failsWith(cli('build', cfg('{ rows: 100000, cols: 4 }'), '--no-verify'), 1, /:7:17: targets\.cgra\.rows must be an integer from 1 to 16/);
  failsWith(cli('build', cfg('{ rows: 4, cols: 4, call_cycles: 1e308 }'), '--no-verify'), 1, /targets\.cgra\.call_cycles must be .*an integer from 0 to 10\^9/);
});
