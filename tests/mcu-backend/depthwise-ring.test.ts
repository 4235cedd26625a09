// The window-bounded 3x3 depthwise kernel (mcu-backend/emit/depthwise-ring.ts): bit-exact on awkward shapes
// (channel counts not a multiple of 4, odd widths and heights, one-pixel rows, valid and same padding,
// stride 1 and 2, activation clamps, several channel groups with a smaller last one, multi-step rings) and
// seeded random ones against the TFLite-Micro-style reference of fast-fixtures.ts on the host and QEMU
// Cortex-M4; its scratch bounded by the window; the shapes it declines; and, through the whole backend,
// single-op and chained DEPTHWISE_CONV_2D graphs equal to the golden runtime on the host and QEMU M4 with
// the kernel selected and its output overlaying its input (in-place execution), and as slices of
// channel-split chains (partial execution). (The depth multiplier is 1: the kernel it replaces had no other.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Graph } from '../../compiler/ir/graph.ts';
import { convOutSize } from '../../compiler/ir/graph.ts';
import type { KDepthwiseConv2d } from '../../compiler/kernel-ir/types.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { depthwiseRingApplies, emitDepthwiseRing, ringGeom, RING_BUDGET } from '../../mcu-backend/emit/depthwise-ring.ts';
import { depthwiseRingFast, depthwiseRingS2Fast } from '../../mcu-backend/emit/fast-variants.ts';
import { runCasesHost, runCasesM4, type RunCase } from '../../mcu-backend/emit/fast-run.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { LEAN_VARIANTS } from '../../mcu-backend/emit/registry.ts';
import { findChains } from '../../mcu-backend/memory/partial.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { GraphBuilder } from '../helpers/graph-builder.ts';
import { scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';
import { depthwiseFixture, Rng, type ConvParams, type InputPattern } from './fast-fixtures.ts';

const work = scratchDir('tinyforge-dw-ring-');
const PATTERNS: InputPattern[] = ['random', 'min', 'max', 'alternating', 'zero-point'];

/** [inH, inW, C, pad] and an optional activation clamp. */
const SHAPES: Array<[number, number, number, number, [number, number]?]> = [
  [16, 16, 16, 1], [5, 7, 3, 1], [3, 3, 1, 1], [1, 1, 5, 1], [1, 9, 6, 1], [9, 1, 7, 1], [2, 2, 2, 1],
  [3, 3, 4, 0], [4, 5, 13, 0], [7, 9, 18, 0], [6, 6, 9, 1, [-100, 90]], [11, 8, 22, 1, [-128, 60]],
  [12, 13, 40, 1], [9, 60, 8, 1], [32, 32, 64, 1], [20, 17, 37, 0],
  [25, 5, 12, 1, [-120, 100]], // kws-like: two quads and the odd column per row pair, an odd last row
  [6, 8, 132, 1], // more than 127 channels: the output pointer steps by ADD, not by the store's post-index
  [4, 17, 8, 1], [6, 20, 12, 1, [-128, 60]], // rows of 8+ quads in one-step rings: both edge pairs in one call
];
/** Stride 2: [inH, inW, C, pad]. */
const SHAPES_S2: Array<[number, number, number, number]> = [
  [32, 32, 16, 1], [7, 9, 5, 1], [8, 8, 6, 0], [3, 3, 4, 1], [9, 1, 3, 1], [10, 11, 13, 1], [6, 6, 8, 0],
];

function fixture(i: number, pattern: InputPattern) {
  const [inH, inW, C, pad, act] = SHAPES[i]!;
  const p: ConvParams = { inH, inW, inC: C, outC: C, kH: 3, kW: 3, pad, ...(act ? { act } : {}) };
  return depthwiseFixture(p, new Rng(500 + i), pattern, `ring${i}`);
}

function fixtureS2(i: number, pattern: InputPattern) {
  const [inH, inW, C, pad] = SHAPES_S2[i]!;
  return depthwiseFixture({ inH, inW, inC: C, outC: C, kH: 3, kW: 3, pad, stride: 2 }, new Rng(700 + i), pattern, `rings2_${i}`);
}

function cases(): Array<RunCase & { label: string; op: KDepthwiseConv2d }> {
  const out: Array<RunCase & { label: string; op: KDepthwiseConv2d }> = [];
  const add = (f: ReturnType<typeof fixture>, fn: string) => {
    const r = emitDepthwiseRing(f.op, { consts: f.consts }, { fn });
    if (!r.ok) throw new Error(`${f.label}: ${r.reason}`);
    out.push({ kernel: r.kernel, input: f.input, expected: f.expected, label: f.label, op: f.op });
  };
  SHAPES.forEach((_, i) => add(fixture(i, PATTERNS[i % PATTERNS.length]!), `ring${i}`));
  SHAPES_S2.forEach((_, i) => add(fixtureS2(i, PATTERNS[(i + 2) % PATTERNS.length]!), `rings2_${i}`));
  // Seeded random shapes: channels 1-40, 1-20 rows and columns, valid or same padding, stride 1 or 2, clamps.
  const rng = new Rng(913);
  for (let i = 0; i < 16; i++) {
    const stride = rng.int(1, 2), pad = rng.int(0, 1);
    const inH = rng.int(pad ? 1 : 3, 20), inW = rng.int(pad ? 1 : 3, 20), C = rng.int(1, 40);
    const act: [number, number] | undefined = rng.int(0, 2) === 0 ? [rng.int(-128, -50), rng.int(30, 127)] : undefined;
    const f = depthwiseFixture({ inH, inW, inC: C, outC: C, kH: 3, kW: 3, pad, stride, ...(act ? { act } : {}) }, rng, PATTERNS[i % PATTERNS.length]!, `ringr${i}`);
    add(f, `ringr${i}`);
  }
  // ReLU outputs (clamp at or above the output zero point): the requantisation without its tie correction,
  // stride 1 and 2, no clamp instruction (zero point -128) and a clamp above it.
  const relu: Array<[number, number, number, number, number, [number, number]?]> = [
    [16, 16, 16, 1, -128], [9, 11, 8, 1, -128], [7, 9, 5, 0, 4, [4, 127]], [6, 5, 12, 1, -30, [-20, 110]]];
  for (const [s, [inH, inW, C, pad, zpOut, act]] of [1, 2].flatMap((st) => relu.map((r) => [st, r] as const))) {
    const f = depthwiseFixture({ inH, inW, inC: C, outC: C, kH: 3, kW: 3, pad, stride: s, zpOut, ...(act ? { act } : {}) }, rng, PATTERNS[(inH + s) % PATTERNS.length]!, `ringrelu${s}_${inH}`);
    add(f, `ringrelu${s}_${inH}`);
  }
  return out;
}

test('depthwise ring: the shapes cover several channel groups with a smaller last one, multi-step rings, rotated 4-row rings and one-row steps', () => {
  const gs = SHAPES.map((_, i) => ringGeom(fixture(i, 'random').op));
  assert.ok(gs.some((g) => g.groups > 1 && g.C % g.G !== 0), 'a layer whose last channel group is smaller');
  assert.ok(gs.some((g) => g.steps > 1), 'a layer that refills its ring (copies the shared rows)');
  assert.ok(gs.some((g) => g.C % 4 !== 0 && g.G === g.C), 'a single group of a channel count not a multiple of 4');
  // A 4-row ring over several steps with an odd height: rotated steps (no row copies) and a last one-row step.
  assert.ok(SHAPES.some(([inH], i) => gs[i]!.k === 1 && gs[i]!.steps > 2 && inH % 2 === 1), 'a rotated 4-row ring with an odd last step');
  // Run functions that skip the padding rows of a step's first and last row pairs (edge flags in nrp), in
  // multi-step rings and in one-step rings of several row pairs.
  const edged = SHAPES.map((_, i) => { const f = fixture(i, 'random'); const r = emitDepthwiseRing(f.op, { consts: f.consts }, { fn: 'x' }); return r.ok && r.kernel.code.includes('tst lr, #1'); });
  assert.ok(SHAPES.some((_, i) => edged[i] && gs[i]!.steps > 1), 'edge flags in a multi-step ring');
  assert.ok(SHAPES.some((_, i) => edged[i] && gs[i]!.steps === 1), 'edge flags in a one-step ring');
});

test('depthwise ring: bit-exact with the reference on awkward shapes and the edge inputs, host gcc (portable intrinsics)', (t) => {
  if (!needTools(t, 'host')) return;
  const all = cases();
  // Every shape up to 4096 values also with every input pattern (all -128, all +127, alternating, zero point only).
  for (let i = 0; i < SHAPES.length; i++) {
    if (SHAPES[i]![0] * SHAPES[i]![1] * SHAPES[i]![2] > 4096) continue;
    for (const pt of PATTERNS) {
      const f = fixture(i, pt);
      const r = emitDepthwiseRing(f.op, { consts: f.consts }, { fn: `ringp${i}_${pt.replace('-', '_')}` });
      assert.ok(r.ok);
      all.push({ kernel: r.kernel, input: f.input, expected: f.expected, label: f.label, op: f.op });
    }
  }
  for (let i = 0; i < SHAPES_S2.length; i++) {
    if (SHAPES_S2[i]![0] * SHAPES_S2[i]![1] * SHAPES_S2[i]![2] > 4096) continue;
    for (const pt of PATTERNS) {
      const f = fixtureS2(i, pt);
      const r = emitDepthwiseRing(f.op, { consts: f.consts }, { fn: `rings2p${i}_${pt.replace('-', '_')}` });
      assert.ok(r.ok);
      all.push({ kernel: r.kernel, input: f.input, expected: f.expected, label: f.label, op: f.op });
    }
  }
  const h = runCasesHost(join(work, 'host'), all);
  assert.equal(h.failedCases, 0, h.log);
  assert.ok(h.ok);
});

test('depthwise ring: bit-exact with the reference on awkward shapes on QEMU Cortex-M4 (inline-assembly quad loop)', (t) => {
  if (!needTools(t, 'm4')) return;
  const all = cases();
  const m4 = runCasesM4(join(work, 'm4'), all);
  assert.equal(m4.failedCases, 0, m4.log);
  assert.ok(m4.ok);
  assert.equal(m4.instructions!.length, all.length);
  // The bench shape stays well under the planar kernel's 1.97 instructions/MAC.
  const bench = m4.instructions![0]! / all[0]!.op.macs;
  assert.ok(bench < 1.9, `16x16x16: ${bench.toFixed(3)} instructions/MAC`);
});

test('depthwise ring: scratch bounded by the window, not the tensor', () => {
  for (let i = 0; i < SHAPES.length; i++) {
    const f = fixture(i, 'random');
    const r = emitDepthwiseRing(f.op, { consts: f.consts }, { fn: 'x' });
    assert.ok(r.ok);
    const g = ringGeom(f.op);
    // At most the budget, unless even one channel quad of a 4-row ring is larger.
    const least = 4 * 4 * g.words * 4;
    assert.ok(r.kernel.scratchBytes <= Math.max(RING_BUDGET, least), `${f.label}: ${r.kernel.scratchBytes} B`);
    assert.equal(r.kernel.scratchBytes, Math.ceil(g.G * g.R * g.words * 4 / 8) * 8);
    // int8 weights: 3 words of weights + bias, multiplier, constant per channel.
    assert.equal(r.kernel.constBytes, 24 * f.op.outC);
  }
  for (let i = 0; i < SHAPES_S2.length; i++) assert.ok(depthwiseRingS2Fast.scratchBytes(fixtureS2(i, 'random').op) <= RING_BUDGET);
  // The example: 32x32x64 needed 147,968 B with the tensor-sized kernel.
  const big = fixture(SHAPES.findIndex((s) => s[2] === 64), 'random');
  assert.ok(depthwiseRingFast.scratchBytes(big.op) <= 2048);
});

test('depthwise ring: declines what it does not implement (stride 3, unequal strides, depth multiplier 2, dilation, 5x5, single rounding)', () => {
  const base = fixture(0, 'random').op;
  const bad: Array<[Partial<KDepthwiseConv2d>, RegExp]> = [
    [{ strideH: 3, strideW: 3, outH: 6, outW: 6 }, /stride/], [{ strideH: 2, strideW: 1, outH: 8 }, /stride/],
    [{ strideH: 2, strideW: 2, outH: 8, outW: 8, padTop: 2 }, /padding/], [{ depthMultiplier: 2, outC: 32 }, /multiplier/],
    [{ dilationH: 2, dilationW: 2 }, /dilated/], [{ kH: 5, kW: 5 }, /3x3/], [{ rounding: 'single' }, /single rounding/],
    [{ inW: 400, outW: 400 }, /LDRD/],
  ];
  for (const [change, why] of bad) assert.match(depthwiseRingApplies({ ...base, ...change }) ?? '', why);
  assert.equal(depthwiseRingApplies(base), undefined);
});

/** One DEPTHWISE_CONV_2D graph (per-channel weights, random quantisation), or two in a chain. */
function dwGraph(seed: number, inH: number, inW: number, C: number, padding: 'same' | 'valid', layers: number, act: 'none' | 'relu6', stride = 1): Graph {
  const r = new Rng(seed);
  const g = new GraphBuilder(`dw_ring_${seed}`);
  const scale = (lo: number, hi: number) => Math.fround(2 ** (lo + r.next() * (hi - lo)));
  let h = inH, w = inW;
  let xs = scale(-7, -4), xz = r.int(-100, 100);
  const x0 = g.act('x', [1, h, w, C], xs, xz);
  let x = x0;
  for (let l = 0; l < layers; l++) {
    const ws = Array.from({ length: C }, () => scale(-9, -5));
    const wt = new Int8Array(9 * C).map(() => r.int(-127, 127));
    const wid = g.constant(`w${l}`, [1, 3, 3, C], wt, ws, 3);
    const bias = new Int32Array(C).map(() => r.int(-3000, 3000));
    const bid = g.constant(`b${l}`, [C], bias, ws.map((s) => Math.fround(s * xs)), 0);
    h = convOutSize(h, 3, stride, 1, padding); w = convOutSize(w, 3, stride, 1, padding);
    const ys = Math.fround(xs * ws[0]! * 74 * 74 * 3 / 40), yz = r.int(-60, 60);
    const y = g.act(`y${l}`, [1, h, w, C], ys, yz);
    g.op({ kind: 'depthwise_conv2d', inputs: [x, wid, bid], outputs: [y], stride: [stride, stride], dilation: [1, 1], padding, depthMultiplier: 1, activation: act });
    x = y; xs = ys; xz = yz;
  }
  return g.io([x0], [x]);
}

test('depthwise ring in whole models: single and chained layers equal the golden runtime on the host and QEMU M4, selected and in place', async (t) => {
  if (!needTools(t, 'host')) return;
  const golden = await GoldenRuntime.load();
  const graphs = [
    dwGraph(1, 9, 7, 5, 'same', 1, 'none'), dwGraph(2, 6, 11, 12, 'valid', 1, 'relu6'), dwGraph(3, 10, 10, 19, 'same', 2, 'relu6'),
    dwGraph(4, 5, 3, 3, 'same', 2, 'none'), dwGraph(5, 16, 16, 16, 'same', 1, 'none'),
    dwGraph(6, 13, 10, 8, 'same', 2, 'relu6', 2), dwGraph(7, 9, 9, 6, 'valid', 1, 'none', 2),
  ];
  const table = [...LEAN_VARIANTS, depthwiseRingFast, depthwiseRingS2Fast];
  for (const graph of graphs) {
    const module = runPipeline(graph, { arith: 'tflm' });
    const em = emitModel(module, { cpu: 'm4', dsp: true }, { table });
    const dw = em.layers.filter((l) => l.kind === 'depthwise_conv2d');
    assert.ok(dw.length >= 1 && dw.every((l) => /^depthwise\.3x3(s2)?-ring-m4$/.test(l.variant)), `${graph.name}: ${em.layers.map((l) => l.variant).join(', ')}`);
    // Every ring layer reads a tensor that dies at it, so it overlays its output on that input.
    assert.equal(em.plan.inPlace.filter((ip) => ip.direction === 'prepass').length, dw.length, graph.name);
    const bytes = graph.inputs.reduce((s, id) => s + graph.tensors[id]!.shape.reduce((a, b) => a * b, 1), 0);
    for (const on of ['host', 'm4'] as const) {
      if (on === 'm4' && !needTools(t, 'm4')) continue;
      const v = await verifyMcu(graph, module, em, on, { inputs: randomInputs(bytes, 3, 7), workDir: join(work, `${graph.name}-${on}`), golden });
      assert.equal(v.results.length, 3);
      for (const res of v.results) assert.ok(res.ok, `${graph.name} on ${on}: ${JSON.stringify(res)}`);
    }
  }
});

test('depthwise ring in channel-split chains (partial execution): slices of the ring kernel equal the golden runtime on the host and QEMU M4', async (t) => {
  if (!needTools(t, 'host')) return;
  const golden = await GoldenRuntime.load();
  const table = [...LEAN_VARIANTS, depthwiseRingFast];
  // Chains depthwise -> depthwise (the producer reads its input slice, the consumer a slice buffer).
  // Explicit split factors: slices of 4 channels (one widening quad) and of 2 (the per-channel path).
  for (const [graph, split] of [[dwGraph(11, 12, 10, 16, 'same', 2, 'relu6'), 4], [dwGraph(12, 9, 7, 12, 'valid', 3, 'none'), 6]] as const) {
    const module = runPipeline(graph, { arith: 'tflm' });
    const splits = findChains(module).map((c) => ({ ...c, split }));
    const em = emitModel(module, { cpu: 'm4', dsp: true }, { table, splits });
    const chains = em.plan.chains.filter((c) => c.split > 1);
    assert.ok(chains.length >= 1 && chains.every((c) => c.split === split), `${graph.name}: no split chain`);
    const ringInChain = chains.flatMap((c) => c.ops).filter((o) => em.layers[o]!.variant === 'depthwise.3x3-ring-m4');
    assert.ok(ringInChain.length >= 2, `${graph.name}: ring layers in split chains: ${ringInChain.join(', ')}`);
    const bytes = graph.inputs.reduce((s, id) => s + graph.tensors[id]!.shape.reduce((a, b) => a * b, 1), 0);
    for (const on of ['host', 'm4'] as const) {
      if (on === 'm4' && !needTools(t, 'm4')) continue;
      const v = await verifyMcu(graph, module, em, on, { inputs: randomInputs(bytes, 3, 9), workDir: join(work, `${graph.name}-split-${on}`), golden });
      assert.equal(v.results.length, 3);
      for (const res of v.results) assert.ok(res.ok, `${graph.name} split on ${on}: ${JSON.stringify(res)}`);
    }
  }
});
