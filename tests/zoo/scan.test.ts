// The zoo scanner (tests/helpers/zoo.ts scanTflite), which the zoo tests and bench trust for operator
// histograms, input/output types and the scope decision, against an independent description: the table of
// ../shared/models/zoo/README.md (bytes, inputs -> outputs, operators with counts per file), for every file;
// and the one patch the zoo comparison makes for TFLite's interpreter, judged by that interpreter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TfliteInterpreter } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { SEANET_PREFIX, forTfliteInterpreter, ioSignature, outOfScope, scanTflite, zooDir, zooFiles } from '../helpers/zoo.ts';

const readme = join(zooDir, 'README.md');

test('zoo scanner: bytes, inputs -> outputs and operator counts of every file equal the zoo README', (t) => {
  if (!existsSync(readme)) {
    if (process.env.CI === 'true') assert.fail(`${readme} is required when CI=true`);
    t.skip('model zoo not found');
    return;
  }
  const rows = new Map<string, { bytes: number; io: string; ops: Map<string, number> }>();
  for (const line of readFileSync(readme, 'utf8').split('\n')) {
    const c = line.split('|').map((x) => x.trim());
    if (c.length < 7 || !c[1]!.endsWith('.tflite')) continue;
    const ops = new Map<string, number>();
    for (const item of c[5]!.split(',').map((x) => x.trim())) {
      const m = /^(\S+)(?: x(\d+))?$/.exec(item);
      assert.ok(m, `README ops item '${item}'`);
      ops.set(m[1]!, Number(m[2] ?? 1));
    }
    rows.set(c[1]!, { bytes: Number(c[3]), io: c[4]!, ops });
  }
  const files = zooFiles();
  assert.equal(files.length, rows.size, 'every README row has its file and every file its row');
  for (const f of files) {
    const row = rows.get(f.file);
    assert.ok(row, `${f.file} has no README row`);
    const bytes = new Uint8Array(readFileSync(f.path));
    assert.equal(bytes.length, row.bytes, f.file);
    const scan = scanTflite(bytes, f.file);
    assert.equal(ioSignature(scan), row.io, f.file);
    assert.deepEqual(new Map(Object.entries(scan.histogram)), row.ops, f.file);
    if (f.name.startsWith(SEANET_PREFIX)) assert.match(outOfScope(f.name, scan) ?? '', /int16/, f.file);
  }
});

test('zoo scope: recurrent operators without a definition are out of scope; the int8, float-edge, SVDF and LSTM models in', (t) => {
  const files = zooFiles();
  if (files.length === 0) { t.skip('model zoo not found'); return; }
  const scope = (name: string) => {
    const f = files.find((x) => x.name === name);
    assert.ok(f, name);
    return outOfScope(name, scanTflite(new Uint8Array(readFileSync(f.path)), f.file));
  };
  // The README's ops and types: SVDF / UNIDIRECTIONAL_SEQUENCE_LSTM models, int16 inputs. SVDF, LSTM and int16
  // activations are supported (issue #12): keyword_scrambled is in scope, and the LSTM models' only int16
  // tensor is the cell state (a variable tensor, not an activation).
  assert.equal(scope('tflm-keyword_scrambled'), undefined);
  for (const n of ['tflm-mnist_lstm_int8', 'tflm-dtln_noise_suppression', 'tflm-xtensa-micro_speech_lstm', 'mlzoo-har_int8', 'tflm-hello_world_int8', 'tflm-hello_world_2023', 'tflm-retinaface', 'tflm-xtensa-mobilenet_v2_quantized_1x3x224x224']) {
    assert.equal(scope(n), undefined, n);
  }
});

test('forTfliteInterpreter: person_detect\'s rank-1 biases get quantized_dimension 0 in a copy TFLite accepts; nothing else changes', async (t) => {
  const f = zooFiles().find((x) => x.name === 'tflm-person_detect');
  if (!f) { t.skip('tflm-person_detect.tflite not found'); return; }
  const tfl = await TfliteInterpreter.load();
  const bytes = new Uint8Array(readFileSync(f.path));
  assert.throws(() => tfl.prepare(bytes), /quantized_dimension must be in range/);
  const fixed = forTfliteInterpreter(bytes, f.file);
  assert.ok(fixed.patched > 0);
  let changed = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== fixed.bytes[i]) changed++;
  assert.equal(fixed.bytes.length, bytes.length);
  assert.ok(changed > 0 && changed <= 4 * fixed.patched, `${changed} bytes changed for ${fixed.patched} fields`);
  tfl.prepare(fixed.bytes).dispose();
  for (const name of ['mlzoo-har_int8', 'tflm-micro_speech_quantized']) {
    const g = zooFiles().find((x) => x.name === name)!;
    const b = new Uint8Array(readFileSync(g.path));
    const r = forTfliteInterpreter(b, g.file);
    assert.equal(r.patched, 0, name);
    assert.equal(r.bytes, b, `${name}: the file itself`);
  }
});
