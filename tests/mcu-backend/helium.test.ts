// The Helium (MVE) kernels of cortex-m55 (conv-helium.ts, depthwise-helium.ts, add-helium.ts; single layers
// against the independent reference: helium-layers.test.ts): the variant table choosing them for m55 only; in-place and channel-split execution (the random module of
// the memory tests, whole and split, bit-exact on QEMU M55); and kws and ad01 whole-model bit-exact with the
// golden runtime on QEMU M55 (resnet for the ADD), and the oracle suite's random conv / depthwise / FC / ADD
// graphs on QEMU M55 in both arithmetics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModel } from '../../compiler/frontend/load.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { findChains, type SplitChain } from '../../mcu-backend/memory/partial.ts';
import { planConflicts } from '../../mcu-backend/memory/arena.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { modelProgram, writeModelFiles } from '../../mcu-backend/runner.ts';
import { compileArm } from '../../mcu-backend/harness/run.ts';
import { writeFileSync } from 'node:fs';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { modelPath, scratchDir, type ModelKey } from '../helpers/paths.ts';
import { check, randomModule } from './helpers/memory-module.ts';
import { mergeGraphs } from '../helpers/random-movement.ts';
import { randomOpGraph } from '../helpers/random-ops.ts';
import { needTools } from './helpers/tools.ts';
import { SANITIZE_FLAGS } from './helpers/sanitize.ts';

const work = scratchDir('tinyforge-mcu-helium-');
test('the variant table picks the Helium kernels on m55 only', () => {
  const path = modelPath('kws');
  if (!path) { assert.fail('model kws not found'); }
  const module = runPipeline(loadModel(path).graph, { arith: 'tflm' });
  const m55 = emitModel(module, { cpu: 'm55', dsp: true });
  const m4 = emitModel(module, { cpu: 'm4', dsp: true });
  for (const [i, op] of module.ops.entries()) {
    if (op.kind === 'conv2d' || op.kind === 'depthwise_conv2d' || op.kind === 'fully_connected') {
      assert.match(m55.layers[i]!.variant, /helium-m55$/, `m55 layer ${i}`);
      assert.doesNotMatch(m4.layers[i]!.variant, /helium/, `m4 layer ${i}`);
    }
  }
});

test('cortex-m85 (a compile target): kws takes the Helium kernels and compiles and links warning-free for Armv8.1-M with MVE', (t) => {
  const path = modelPath('kws');
  if (!path) { assert.fail('model kws not found'); }
  if (!needTools(t, 'arm-gcc')) return;
  const module = runPipeline(loadModel(path).graph, { arith: 'tflm' });
  const em = emitModel(module, { cpu: 'm85', dsp: true });
  assert.ok(em.layers.filter((l) => /helium-m55$/.test(l.variant)).length >= 9);
  const dir = join(work, 'm85');
  writeModelFiles(dir, em);
  const main = join(dir, 'main.c');
  writeFileSync(main, `#include "${em.cname}.h"\nstatic int8_t in[${em.inputBytes}], out[${em.outputBytes}];\nint main(void) { ${em.cname}_init(); ${em.cname}_invoke(in, out); return out[0] & 1; }\n`);
  const c = compileArm(modelProgram(dir, em, main), join(dir, 'kws-m85.elf'), 'm85');
  assert.equal(c.status, 0, c.stderr + c.stdout);
});

// The random module of the memory tests on M55: Helium convolutions and depthwise in place (row by row and
// over the whole input) and as channel-split producers / consumers.
const M = randomModule(5, 14);
const m55 = { cpu: 'm55' as const, dsp: true };
const splits: SplitChain[] = findChains(M).map((c, i) => {
  const ds = [2, 3, 4, 6, 8, 12, 16].filter((d) => c.channels % d === 0);
  return { ...c, split: ds.length ? ds[i % ds.length]! : 1 };
}).filter((c) => c.split > 1);

test('random module on M55: Helium kernels in place and in channel-split chains, bit-exact on QEMU M55', (t) => {
  const whole = emitModel(M, m55);
  const split = emitModel(M, m55, { splits });
  const helium = (em: typeof whole, op: number) => /helium-m55$/.test(em.layers[op]!.variant);
  assert.ok(whole.plan.inPlace.filter((ip) => helium(whole, ip.op)).length >= 3, 'Helium layers run in place');
  assert.ok(split.plan.chains.some((c) => helium(split, c.ops[0]!)), 'a chain led by a Helium kernel');
  assert.ok(split.plan.chains.some((c) => c.ops.slice(1).some((o) => helium(split, o))), 'a Helium depthwise inside a chain');
  for (const em of [whole, split]) assert.deepEqual(planConflicts(em.plan), []);
  if (!needTools(t, 'm55')) return;
  check(work, M, whole, 'm55', 'helium-inplace');
  check(work, M, split, 'm55', 'helium-split');
});

let golden: GoldenRuntime | undefined;

test('kws with the Helium kernels: the host build (portable MVE) is clean under ASan + UBSan and equals the golden runtime', async (t) => {
  const path = modelPath('kws');
  if (!path) { assert.fail('model kws not found'); }
  if (!needTools(t, 'host')) return;
  golden ??= await GoldenRuntime.load();
  const graph = loadModel(path).graph;
  const module = runPipeline(graph, { arith: 'tflm' });
  const em = emitModel(module, m55);
  const inputs = randomInputs(graph.inputs.reduce((s, id) => s + graph.tensors[id]!.shape.reduce((a, b) => a * b, 1), 0), 1, 43);
  const v = await verifyMcu(graph, module, em, 'host', { inputs, workDir: join(work, 'kws-sanitize'), golden, simd: true, host: { flags: SANITIZE_FLAGS } });
  for (const r of v.results) assert.ok(r.ok, JSON.stringify(r));
});

// The oracle suite's random single-op graphs (tests/helpers/random-ops.ts: random shapes, padding, strides,
// quantisation, fused activations; ADD same-shape and broadcast) merged into one graph per arithmetic, on
// QEMU M55 against the golden runtime.
for (const arith of ['tflm', 'tflite'] as const) {
  test(`random conv2d / depthwise / fully connected / add graphs (${arith}): Helium C on QEMU M55 equals the golden runtime`, async (t) => {
    if (!needTools(t, 'm55')) return;
    golden ??= await GoldenRuntime.load();
    const kinds = ['conv2d', 'depthwise_conv2d', 'fully_connected', 'add'] as const;
    const graphs = kinds.flatMap((k, ki) => Array.from({ length: 8 }, (_, i) => randomOpGraph(7000 + 100 * ki + i, k).graph));
    const graph = mergeGraphs(`helium_${arith}`, graphs);
    const module = runPipeline(graph, { arith });
    const em = emitModel(module, m55);
    const helium = em.layers.filter((l) => /helium-m55$/.test(l.variant)).length;
    assert.ok(helium >= 24, `Helium layers: ${helium} of ${em.layers.length}`);
    const bytes = graph.inputs.reduce((s, id) => s + graph.tensors[id]!.shape.reduce((a, b) => a * b, 1), 0);
    const v = await verifyMcu(graph, module, em, 'm55', { inputs: randomInputs(bytes, 2, 41), workDir: join(work, `random-${arith}`), golden });
    for (const r of v.results) assert.ok(r.ok, `input ${r.input}: ${JSON.stringify(r)}`);
  });
}
for (const [key, arith] of [['kws', 'tflm'], ['ad01', 'tflm'], ['ad01', 'tflite'], ['resnet', 'tflm']] as Array<[ModelKey, 'tflm' | 'tflite']>) {
  test(`${key} (${arith}): bit-exact with the golden runtime on QEMU M55 with the Helium kernels`, async (t) => {
    const path = modelPath(key);
    if (!path) { if (process.env.CI === 'true') assert.fail(`model ${key} not found`); t.skip(`model ${key} not found`); return; }
    if (!needTools(t, 'm55')) return;
    golden ??= await GoldenRuntime.load();
    const graph = loadModel(path).graph;
    const module = runPipeline(graph, { arith });
    const em = emitModel(module, m55);
    assert.ok(em.layers.some((l) => /helium-m55$/.test(l.variant)));
    const inputs = randomInputs(graph.inputs.reduce((s, id) => s + graph.tensors[id]!.shape.reduce((a, b) => a * b, 1), 0), 3, 31);
    const v = await verifyMcu(graph, module, em, 'm55', { inputs, workDir: join(work, `${key}-${arith}`), golden });
    assert.equal(v.results.length, 3);
    for (const r of v.results) assert.ok(r.ok, `${key} on m55, input ${r.input}: ${JSON.stringify(r)}`);
  });
}
