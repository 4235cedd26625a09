// The Helium (MVE) kernels of cortex-m55 (conv-helium.ts, depthwise-helium.ts): single layers in both
// arithmetics (TFLite Micro double rounding, TFLite single rounding) against the independent reference of
// fast-fixtures.ts on several input patterns, on the host (portable MVE intrinsics) and on QEMU mps3-an547;
// the variant table choosing them for m55 only; in-place and channel-split execution (the random module of
// the memory tests, whole and split, bit-exact on QEMU M55); and kws and ad01 whole-model bit-exact with the
// golden runtime on QEMU M55.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { KConst, KConv2d, KDepthwiseConv2d } from '../../compiler/kernel-ir/types.ts';
import { loadModel } from '../../compiler/frontend/load.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitConvHelium } from '../../mcu-backend/emit/conv-helium.ts';
import { fcAsConv } from '../../mcu-backend/emit/conv-window.ts';
import { emitDepthwiseHelium } from '../../mcu-backend/emit/depthwise-helium.ts';
import { runCasesHost, runCasesOn, type RunCase } from '../../mcu-backend/emit/fast-run.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { findChains, type SplitChain } from '../../mcu-backend/memory/partial.ts';
import { planConflicts } from '../../mcu-backend/memory/arena.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { modelProgram, writeModelFiles } from '../../mcu-backend/runner.ts';
import { compileArm } from '../../mcu-backend/harness/run.ts';
import { writeFileSync } from 'node:fs';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { modelPath, scratchDir, type ModelKey } from '../helpers/paths.ts';
import { convFixture, depthwiseFixture, fcFixture, Rng, type ConvParams, type Fixture, type InputPattern } from './fast-fixtures.ts';
import { check, randomModule } from './helpers/memory-module.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-mcu-helium-');
const PATTERNS: InputPattern[] = ['random', 'min', 'max', 'alternating', 'zero-point'];

type Layer = { tag: string; fixture: (pt: InputPattern) => Fixture<KConv2d | KDepthwiseConv2d> ; dw?: boolean };
const conv = (tag: string, p: ConvParams, seed: number): Layer => ({ tag, fixture: (pt) => convFixture(p, new Rng(seed), pt, tag) });
const dw = (tag: string, p: ConvParams, seed: number): Layer => ({ tag, dw: true, fixture: (pt) => depthwiseFixture(p, new Rng(seed), pt, tag) });
const fc = (tag: string, p: Parameters<typeof fcFixture>[0], seed: number): Layer => ({ tag, fixture: (pt) => { const f = fcFixture(p, new Rng(seed), pt, tag); return { ...f, op: fcAsConv(f.op) }; } });

// Both arithmetics (single: TFLite's single rounding), padding, stride, dilation, narrow activation ranges,
// channel counts that are not multiples of 16 (kws's first layer: 1 input channel, 10x4), a dead channel.
const LAYERS: Layer[] = [];
for (const single of [false, true]) {
  const s = single ? 's' : 'd';
  LAYERS.push(
    conv(`c3_${s}`, { inH: 8, inW: 9, inC: 16, outC: 16, kH: 3, kW: 3, pad: 1, single }, 201),
    conv(`c1_${s}`, { inH: 6, inW: 7, inC: 32, outC: 24, kH: 1, kW: 1, single, act: [-128, 90] }, 202),
    conv(`cs2_${s}`, { inH: 9, inW: 11, inC: 5, outC: 7, kH: 3, kW: 3, pad: 1, stride: 2, single }, 203),
    conv(`kws_${s}`, { inH: 15, inW: 10, inC: 1, outC: 9, kH: 10, kW: 4, pad: 2, stride: 2, single }, 204),
    conv(`dil_${s}`, { inH: 9, inW: 10, inC: 20, outC: 13, kH: 3, kW: 3, pad: 2, dilation: 2, single, act: [-100, 90] }, 205),
    fc(`fc_${s}`, { batches: 1, inDepth: 200, outDepth: 19, single }, 206),
    fc(`fcb_${s}`, { batches: 3, inDepth: 64, outDepth: 10, single }, 207),
    dw(`d3_${s}`, { inH: 9, inW: 10, inC: 20, outC: 20, kH: 3, kW: 3, pad: 1, single }, 208),
    dw(`ds2_${s}`, { inH: 11, inW: 13, inC: 10, outC: 10, kH: 3, kW: 3, pad: 1, stride: 2, single, act: [-90, 100] }, 209),
    dw(`d5_${s}`, { inH: 7, inW: 6, inC: 24, outC: 24, kH: 5, kW: 5, pad: 2, dilation: 1, single }, 210),
  );
}
LAYERS.push(conv('dead', { inH: 5, inW: 5, inC: 8, outC: 6, kH: 3, kW: 3, pad: 1, dead: true }, 211));

function cases(): { cases: RunCase[]; macs: number[] } {
  const out: RunCase[] = [], macs: number[] = [];
  for (const l of LAYERS) {
    const fx = PATTERNS.map((p) => l.fixture(p));
    const m = { consts: fx[0]!.consts as KConst[] };
    const r = l.dw ? emitDepthwiseHelium(fx[0]!.op as KDepthwiseConv2d, m, { fn: `h_${l.tag}` }) : emitConvHelium(fx[0]!.op as KConv2d, m, { fn: `h_${l.tag}` });
    assert.ok(r.ok, `${l.tag}: ${r.ok ? '' : r.reason}`);
    for (const f of fx) out.push({ kernel: r.kernel, input: f.input, expected: f.expected });
    macs.push(fx[0]!.op.macs);
  }
  return { cases: out, macs };
}

test('Helium layers, both arithmetics, 5 input patterns: bit-exact on the host (portable MVE) and on QEMU M55 (mps3-an547)', (t) => {
  const { cases: cs } = cases();
  if (needTools(t, 'host')) { const h = runCasesHost(join(work, 'layers-host'), cs); assert.ok(h.ok, `host: ${h.failedCases} failing cases\n${h.log}`); }
  if (needTools(t, 'm55')) {
    const q = runCasesOn('m55', join(work, 'layers-m55'), cs);
    assert.ok(q.ok, `M55: ${q.failedCases} failing cases ${q.log}`);
    assert.equal(q.instructions!.length, cs.length);
  }
});

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
for (const [key, arith] of [['kws', 'tflm'], ['ad01', 'tflm'], ['ad01', 'tflite']] as Array<[ModelKey, 'tflm' | 'tflite']>) {
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
