// The pipeline on the five real models: MACs cross-checked against the graph-IR statistics (an
// independent computation from the graph) and research.md's published totals, the largest per-op
// activation footprint against research.md, the two arithmetics, and the golden kernel-IR files
// (regenerate with `npm run golden:update -- kernel` after an intended change, then review the diff).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadModel } from '../../../compiler/frontend/load.ts';
import { importTflite } from '../../../compiler/frontend/tflite/import.ts';
import { opMacs } from '../../../compiler/ir/stats.ts';
import { printKernelModule } from '../../../compiler/kernel-ir/printer.ts';
import type { KConv2d } from '../../../compiler/kernel-ir/types.ts';
import { verifyKernelModule } from '../../../compiler/kernel-ir/verify.ts';
import { runPipeline } from '../../../compiler/passes/registry.ts';
import { kernelGoldens } from '../../golden/generators.ts';
import { MODELS, modelPath, repoRoot, type ModelKey } from '../../helpers/paths.ts';

// research.md, "Real models": MACs (millions, as printed) and the largest op's input + output (KB)
const PUBLISHED: Record<ModelKey, { macsM: string; activationKB: string }> = {
  kws: { macsM: '2.66', activationKB: '16.0' },
  vww: { macsM: '7.49', activationKB: '55.3' },
  resnet: { macsM: '12.5', activationKB: '49.2' },
  ad01: { macsM: '0.26', activationKB: '0.8' },
  str_ww: { macsM: '0.83', activationKB: '6.7' },
};

for (const key of Object.keys(MODELS) as ModelKey[]) {
  test(`pipeline on ${key}: MACs, footprint, both arithmetics`, (t) => {
    const p = modelPath(key);
    if (!p) { t.skip(`${MODELS[key]} absent`); return; }
    const graph = importTflite(new Uint8Array(readFileSync(p)), MODELS[key]);
    const m = runPipeline(graph, { arith: 'tflm' });
    assert.deepEqual(verifyKernelModule(m), []);
    assert.equal(m.ops.length, graph.ops.length);
    for (const op of m.ops) assert.equal(op.macs, opMacs(graph, graph.ops[op.sourceOp]), `op ${op.index} ${op.kind}`);
    const total = m.ops.reduce((s, o) => s + o.macs, 0);
    const digits = PUBLISHED[key].macsM.replace('.', '').replace(/^0+/, '').length;
    assert.equal((total / 1e6).toPrecision(digits), PUBLISHED[key].macsM);
    const footprint = Math.max(...m.ops.map((o) => o.inputs.reduce((s, i) => s + m.buffers[i].bytes, 0) + m.buffers[o.output].bytes));
    assert.equal((footprint / 1000).toFixed(1), PUBLISHED[key].activationKB);
    // every conv-like op got an int32 bias, every buffer a lifetime
    assert.ok(m.buffers.every((b) => b.lastUse >= b.def));
    // tflite arithmetic: on these models no shift exceeds 30 and no softmax multiplier is capped, so the
    // only differences are the header's arith and single rounding on every conv2d and fully_connected
    const a = printKernelModule(m).split('\n');
    const b = printKernelModule(runPipeline(graph, { arith: 'tflite' })).split('\n');
    const differing = b.map((l, i) => [a[i], l]).filter(([x, y]) => x !== y);
    assert.equal(differing[0][1], differing[0][0].replace('arith=tflm', 'arith=tflite'));
    for (const [x, y] of differing.slice(1)) assert.equal(y, x.replace('rounding=double', 'rounding=single'));
    assert.equal(differing.length - 1, m.ops.filter((o) => o.kind === 'conv2d' || o.kind === 'fully_connected').length);
  });
}

test('golden kernel-IR files of the real models are current', () => {
  for (const [rel, text] of kernelGoldens()) {
    const file = join(repoRoot, rel);
    assert.ok(existsSync(file), `${rel} missing: run npm run golden:update -- kernel`);
    assert.equal(text, readFileSync(file, 'utf8'), `${rel} differs: if intended, run npm run golden:update -- kernel and review the diff`);
  }
});

test('pipeline on the all-ops YAML network: every kernel op kind, MACs, geometry', () => {
  const { graph, config } = loadModel(join(repoRoot, 'tests/compiler/passes/fixtures/all-ops.yaml'));
  const m = runPipeline(graph, { arith: config!.arith });
  assert.deepEqual(verifyKernelModule(m), []);
  assert.deepEqual(m.ops.map((o) => o.kind), [
    'conv2d', 'conv2d', 'depthwise_conv2d' /* groups == channels */, 'depthwise_conv2d', 'shift_conv2d', 'add_conv2d',
    'add', 'max_pool2d', 'average_pool2d', 'reshape', 'fully_connected', 'softmax',
  ]);
  for (const op of m.ops) assert.equal(op.macs, opMacs(graph, graph.ops[op.sourceOp]), `op ${op.index} ${op.kind}`);
  const pad = (i: number) => { const o = m.ops[i] as KConv2d; return [o.padTop, o.padLeft, o.padBottom, o.padRight]; };
  // conv: 12x12, 3x3, stride 2, same -> out 6, total = 5*2 + 3 - 12 = 1 -> (0, 1)
  assert.deepEqual(pad(0), [0, 0, 1, 1]);
  // grouped: 6x6, 3x3 dilated 2 (effective 5), stride 1, same -> total = 5 + 5 - 6 = 4 -> (2, 2)
  assert.deepEqual(pad(1), [2, 2, 2, 2]);
  assert.equal((m.ops[1] as KConv2d).groups, 2);
  // the residual add reads the shift conv's output, so that buffer lives from op 4 to op 6
  const shiftOut = m.buffers[m.ops[4].output];
  assert.deepEqual([shiftOut.def, shiftOut.lastUse], [4, 6]);
});
