// loadModel: dispatch on the extension, and one-line errors for missing files and unknown formats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { loadModel } from '../../../compiler/frontend/load.ts';
import { TinyforgeError } from '../../../compiler/diagnostics.ts';
import { modelPath, repoRoot, scratchDir } from '../../helpers/paths.ts';

const fails = (f: () => unknown, re: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof TinyforgeError && re.test(e.format()));

test('.tflite goes to the importer, .yaml to the config loader', { skip: !modelPath('ad01') && 'model not present' }, () => {
  const t = loadModel(modelPath('ad01')!);
  assert.equal(t.config, undefined);
  assert.equal(t.graph.ops.length, 10);
  const y = loadModel(join(repoRoot, 'configs', 'default.yaml'));
  assert.equal(y.config?.name, 'default');
  assert.equal(y.graph, y.config?.graph);
});

test('missing files, directories and unknown extensions', () => {
  const dir = scratchDir();
  fails(() => loadModel(join(dir, 'nope.tflite')), /nope\.tflite: no such file$/);
  fails(() => loadModel(join(dir, 'nope.yml')), /nope\.yml: no such file$/);
  writeFileSync(join(dir, 'model.onnx'), 'x');
  fails(() => loadModel(join(dir, 'model.onnx')), /model\.onnx: unknown model format '\.onnx' \(expected a \.tflite model or a \.yaml\/\.yml build config\)/);
  fails(() => loadModel(dir), /: is a directory \(expected a \.tflite model or a \.yaml\/\.yml build config\)/);
});
