// The host program of an array layer (cgra-mapper/host/): its C, compiled with host gcc, co-simulated with the
// simulator's launches replayed by memory hash, gives the paper layer's output exactly as a direct loop over
// TFLite's definition (tests/helpers/paper-layer.ts) and stages the very words the simulator ran on; and
// `auto` by end-to-end cycles reports the host cycles next to the array's for every candidate; on QEMU riscv32
// (RV32IMC, the project's icount plugin) the same program is bit-exact and counted per stage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeArch } from '../../cgra-mapper/arch.ts';
import { chooseOrHost, strategyByName } from '../../cgra-mapper/strategies/index.ts';
import { layerProgram, mul32Forms } from '../../cgra-mapper/host/layer-program.ts';
import { recordLayer } from '../../cgra-mapper/host/cosim.ts';
import { layerCosimFiles } from '../../cgra-mapper/host/cosim-files.ts';
import { hostCost } from '../../cgra-mapper/host/cost.ts';
import { planHostCycles } from '../../cgra-mapper/map-model.ts';
import { paperLayer } from '../helpers/paper-layer.ts';
import { planCheckerFxp } from '../../cgra-mapper/strategies/checker-fxp.ts';
import { planCheckerSlide } from '../../cgra-mapper/strategies/checker-slide.ts';
import { planCheckerDw } from '../../cgra-mapper/strategies/checker-dw.ts';
import type { CgraLayer } from '../../cgra-mapper/layer.ts';
import { clamp, multiplyByQuantizedMultiplier } from '../../compiler/quant/multiplier.ts';
import { mulberry32 } from '../../compiler/rng.ts';
import { scratchDir } from '../helpers/paths.ts';
import { measureCosim } from '../../cgra-mapper/host/measure.ts';
import { timeline } from '../../cgra-mapper/host/timeline.ts';
import { needTools } from '../mcu-backend/helpers/tools.ts';
import { TF_CGRA_H } from '../../cgra-mapper/host/tf-cgra-h.ts';

const arch = makeArch({ callCycles: 190 });

/** Writes the co-simulation C of a layer program into a fresh scratch folder, builds it with host gcc and runs
 *  it: the output bytes (line `O <hex>`) and the line `X <status> <launches>`. */
function runHostC(files: Record<string, string>, scratch: string): { out: number[]; x: string | undefined } {
  const dir = join(scratchDir(`host-${scratch}-`), 'c');
  mkdirSync(dir, { recursive: true });
  for (const [f, t] of Object.entries(files)) writeFileSync(join(dir, f), t);
  execFileSync('gcc', ['-std=c99', '-O1', '-Wall', '-Wextra', '-Werror', '-o', join(dir, 'a.out'), ...Object.keys(files).filter((f) => f.endsWith('.c')).map((f) => join(dir, f))], { timeout: 60_000 });
  const lines = execFileSync(join(dir, 'a.out'), { timeout: 30_000 }).toString().split('\n');
  return { out: Array.from(Buffer.from(lines.find((l) => l.startsWith('O '))!.slice(2), 'hex'), (v) => (v << 24) >> 24), x: lines.find((l) => l.startsWith('X ')) };
}

for (const s of ['checker-fxp', 'checker']) {
  test(`paper layer, ${s}: host C + replayed launches == direct loop, staged words == simulator's`, () => {
    const { L, input, want } = paperLayer();
    const plan = strategyByName(s)!.plan(L, arch);
    const prog = layerProgram(plan, 'tflm');
    const rec = recordLayer(plan, input, arch);
    const r = runHostC(layerCosimFiles(prog, rec.launches, input, arch, 'paper'), `program-${s}`);
    assert.deepEqual(r.out, Array.from(want));
    assert.equal(r.x, `X 0 ${plan.launches.length}`);
    const h = hostCost(prog);
    assert.ok(h.stage >= 0 && h.post > 0 && h.total === h.stage + h.launch + h.post);
  });
}

test('auto by end-to-end cycles: the cheapest end-to-end plan wins; candidates carry their host cycles', () => {
  const { L } = paperLayer();
  const c = chooseOrHost(L, arch, 'auto', 'shared', { hostCost: (p) => planHostCycles(p, 'tflm') });
  assert.ok(c.plan);
  const withHost = c.candidates.filter((x) => x.host !== undefined);
  // The pipelined checker-slide hides most of its host work, so few others are worth costing (pruned below).
  assert.ok(withHost.length >= 1, JSON.stringify(c.candidates.map((x) => x.strategy)));
  assert.equal(c.plan!.strategy, 'checker-slide');
  assert.ok(c.plan!.stageReads && c.plan!.launches.length > 2, 'auto by end-to-end cycles takes the pipelined plan (planEndToEnd)');
  const e2e = (x: (typeof withHost)[number]) => x.estimate!.shared + x.host!;
  const best = withHost.reduce((a, b) => (e2e(b) < e2e(a) ? b : a));
  assert.equal(c.plan!.strategy, best.strategy);
  // A candidate left uncosted could not have won: its array cycles alone reach the winner's total (wp: refused).
  for (const x of c.candidates) if (x.estimate && x.host === undefined && x.strategy !== 'wp') assert.ok(x.estimate.shared >= e2e(best), x.strategy);
  // The paper strategy using absolute addresses is refused by the host program, with its reason.
  assert.equal(c.candidates.find((x) => x.strategy === 'wp')?.host, undefined);
});

test('auto by end-to-end cycles keeps the checker-fxp launch split (up to 16 or 64 launches) with the fewest array + host cycles', () => {
  const { L } = paperLayer();
  const c = chooseOrHost(L, arch, 'checker-fxp', 'shared', { hostCost: (p) => planHostCycles(p, 'tflm') });
  const vs = [16, 64].map((maxLaunches) => planCheckerFxp(L, arch, { pipelined: true, maxLaunches }));
  assert.notEqual(vs[0].launches.length, vs[1].launches.length);
  const total = vs.map((v) => v.cost.shared + planHostCycles(v, 'tflm')!);
  assert.equal(c.plan!.launches.length, vs[total[0] <= total[1] ? 0 : 1].launches.length);
  assert.equal(c.candidates.find((x) => x.strategy === 'checker-fxp')!.host, Math.min(...total) - c.plan!.cost.shared);
});

for (const s of ['checker-fxp', 'checker-slide']) test(`paper layer on QEMU riscv32, pipelined ${s}: the host program is bit-exact, and its stages are counted per marker`, (t) => {
  if (!needTools(t, 'rv32')) return;
  const { L, input, want } = paperLayer();
  const plan = strategyByName(s)!.planEndToEnd!(L, arch);
  const prog = layerProgram(plan, 'tflm');
  const rec = recordLayer(plan, input, arch, 'shared', undefined, prog);
  const m = measureCosim(layerCosimFiles(prog, rec.launches, input, arch, 'paper'), join(scratchDir('host-rv32-'), 'paper'), 'invoke', ['cv32e40p']);
  assert.deepEqual(Array.from(m.output), Array.from(want));
  assert.equal(m.mismatches, 0);
  assert.equal(m.launches, plan.launches.length);
  const i = m.instructions[0], c = m.cycles.cv32e40p[0];
  // Every stage ran and was counted; the replay service (markers 9/10) is not in the host's total.
  assert.ok(i.pre > 0 && i.launch > 0 && i.post > 0 && i.postPerLaunch.length === plan.launches.length);
  assert.equal(i.total, i.pre + i.launch + i.wait + i.post + i.glue);
  // Cycles >= instructions (no RV32 instruction takes less than one cycle on CV32E40P).
  assert.ok(c.total >= i.total);
  // A stage group ran between launches (markers 5/6 after the first start), and the segments add up.
  const segs = c.segs!;
  const marks = segs.map(([mk]) => mk);
  assert.ok(marks.indexOf(9) < marks.lastIndexOf(6));
  assert.equal(segs.reduce((a, [, v]) => a + v, 0), c.total);
});

test('tf_cgra_load writes the first `lines` words of every row bank and the kernel table, nothing else', () => {
  const dir = join(scratchDir('host-load-'), 'c');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tf_cgra.h'), TF_CGRA_H);
  // 13 lines: one 8-word step and a 5-word tail per row.
  writeFileSync(join(dir, 'main.c'), `#include <stdio.h>
#define TF_MARK(n) ((void)0)
#include "tf_cgra.h"
tf_cgra_regs_t tf_cgra_regs;
int main(void)
{
  static uint32_t imem[TF_CGRA_IMEM_WORDS], kmem[TF_CGRA_KMEM_WORDS];
  for (int i = 0; i < TF_CGRA_IMEM_WORDS; i++) imem[i] = 1 + (uint32_t)i;
  for (int i = 0; i < TF_CGRA_KMEM_WORDS; i++) kmem[i] = 7000 + (uint32_t)i;
  tf_cgra_load(imem, kmem, 13);
  for (int i = 0; i < TF_CGRA_IMEM_WORDS + TF_CGRA_KMEM_WORDS; i++) printf("%u\\n", (unsigned)tf_cgra_regs.cmem[i]);
  return 0;
}
`);
  execFileSync('gcc', ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror', '-o', join(dir, 'a.out'), join(dir, 'main.c')], { timeout: 60_000 });
  const got = execFileSync(join(dir, 'a.out'), { timeout: 30_000 }).toString().trim().split('\n').map(Number);
  // 4 row banks of 128 lines, then 16 kernel-table words.
  const want = [...Array.from({ length: 4 * 128 }, (_, i) => (i % 128 < 13 ? 1 + i : 0)), ...Array.from({ length: 16 }, (_, i) => 7000 + i)];
  assert.deepEqual(got, want);
});

test('timeline: launches start at marker 9, waits end no earlier than their launch (hand-computed)', () => {
  // stage 100; start (10) -> launch 0 runs 500 cycles from t = 110; post of nothing; stage group 1 (200) while it
  // runs; wait (4) ends at 610 + 4; start (10) at 624 -> launch 1 from 624 to 924; post 0 (700) ends at 1324;
  // wait (4): launch 1 already over -> 1328; post 1 (50) -> 1378.
  assert.equal(timeline([[6, 100], [9, 10], [6, 200], [14, 4], [9, 10], [12, 700], [14, 4], [12, 50]], [500, 300]), 1378);
  // Host idle: the array's time dominates.
  assert.equal(timeline([[9, 0], [14, 1]], [1000]), 1001);
});

test('pipelined checker-fxp (pixel pieces, stage groups per launch): host C + replayed launches == direct loop', () => {
  const { L, input, want } = smallLayer();
  const plan = strategyByName('checker-fxp')!.planEndToEnd!(L, arch);
  assert.ok(plan.stageReads && plan.launches.length > 1, `${plan.launches.length} launch(es)`);
  const prog = layerProgram(plan, 'tflm');
  assert.ok(prog.stageGroups.filter((g) => g.length > 0).length > 1, 'staged in more than one group');
  // The simulator must be staged as the C stages (a plan staged per launch is refused without the schedule).
  assert.throws(() => recordLayer(plan, input, arch), /stageReads/);
  const rec = recordLayer(plan, input, arch, 'shared', undefined, prog);
  const r = runHostC(layerCosimFiles(prog, rec.launches, input, arch, 'pipe'), 'pipe');
  assert.deepEqual(r.out, Array.from(want));
  assert.equal(r.x, `X 0 ${plan.launches.length}`);
});

test('pipelined checker-slide (pieces of 1, 2, ... groups ending on the end mark; odd width and channels): host C + replayed launches == direct loop', () => {
  const { L, input, want } = smallLayer({ H: 14, W: 13, C: 3, O: 6, K: 3, S: 1, OH: 12, OW: 11 });
  for (const plan of [strategyByName('checker-slide')!.planEndToEnd!(L, arch), planCheckerSlide(L, arch, { pipelined: true, sizes: [2, 1, 5, 1, 8, 1] })]) {
    assert.ok(plan.stageReads && plan.launches.length > 4, `${plan.launches.length} launch(es)`);
    const prog = layerProgram(plan, 'tflm');
    const rec = recordLayer(plan, input, arch, 'shared', undefined, prog);
    assert.equal(rec.launches.reduce((a, l) => a + l.arrayCycles, 0), plan.cost.shared, 'estimate = simulation');
    const files = layerCosimFiles(prog, rec.launches, input, arch, 'slide');
    const r = runHostC(files, 'slide');
    assert.deepEqual(r.out, Array.from(want));
    assert.equal(r.x, `X 0 ${plan.launches.length}`);
    // The next launch's pointers are written ahead (tf_cgra_prime) and checked by the replay at each start:
    // priming launch l + 1 instead of l + 2 starts launches with the wrong column pointers, and is counted.
    const src = files['slide_cgra.c'];
    assert.match(src, /tf_cgra_prime\(slide_c0_mem, slide_c0_launch\[l \+ 2\]\)/);
    const bad = runHostC({ ...files, 'slide_cgra.c': src.replace('slide_c0_launch[l + 2])', 'slide_c0_launch[l + 1])') }, 'slide-bad');
    assert.ok(bad.x && Number(bad.x.split(' ')[1]) > 0, bad.x);
  }
});

test('the HEEPsilon application folder compiles for RV32IMC against the CGRA registers', (t) => {
  if (!needTools(t, 'rv32-gcc')) return;
  const { L } = paperLayer();
  const plan = strategyByName('checker-fxp')!.plan(L, arch);
  const prog = layerProgram(plan, 'tflm');
  const files = layerCosimFiles(prog, [], new Int8Array(16 * 16 * 16), arch, 'paper');
  const dir = join(scratchDir('host-heepsilon-'), 'app');
  mkdirSync(dir, { recursive: true });
  for (const f of ['runtime.h', 'tf_cgra.h', 'bitstream.h', 'paper_cgra.h', 'paper_cgra.c']) writeFileSync(join(dir, f), files[f]);
  execFileSync('riscv64-unknown-elf-gcc', ['--specs=picolibc.specs', '-march=rv32imc', '-mabi=ilp32', '-std=c99', '-O2', '-Wall', '-Wextra', '-Werror',
    '-DTF_CGRA_HEEPSILON', '-DTF_CGRA_CMEM_BASE=0x30000000', '-DTF_CGRA_PERIPH_BASE=0x30001000', '-c', join(dir, 'paper_cgra.c'), '-o', join(dir, 'paper_cgra.o')], { timeout: 60_000 });
});

// A 3-channel stride-2 layer whose window runs past the image (padding taps hold the zero point): checker's
// band bytes come from scattered positions (gathered byte by byte, the padding bytes written at start-up) and
// checker-fxp's pairs mix input bytes and the zero point.
function smallLayer(shape = { H: 24, W: 24, C: 3, O: 8, K: 3, S: 2, OH: 12, OW: 12 }, biasScale = 30, act = { zp: -128, min: -128, max: 127 }, rq: { m0: number; dm: number; shift: number; shiftOf?: (o: number) => number; biasOf?: (o: number) => number | undefined } = { m0: 1_200_000_000, dm: 7_000_000, shift: -7 }): { L: CgraLayer; input: Int8Array; want: Int8Array } {
  const r = mulberry32(33);
  const b = (): number => Math.floor(r() * 256) - 128;
  const { H, W, C, O, K, S, OH, OW } = shape;
  const weights = Int8Array.from({ length: O * K * K * C }, b), input = Int8Array.from({ length: H * W * C }, b);
  const bias = Int32Array.from({ length: O }, (_, o) => { const v = b() * biasScale; return rq.biasOf?.(o) ?? v; });
  const multiplier = Int32Array.from({ length: O }, (_, i) => rq.m0 + rq.dm * i), shift = Int32Array.from({ length: O }, (_, o) => rq.shiftOf?.(o) ?? rq.shift);
  const L: CgraLayer = { index: 0, name: 'c3', kind: 'conv2d', inH: H, inW: W, inC: C, outH: OH, outW: OW, outC: O, kH: K, kW: K, strideH: S, strideW: S, dilH: 1, dilW: 1,
    padTop: 0, padLeft: 0, depthMultiplier: 1, weights, bias, q: { inputOffset: 128, outputOffset: act.zp, requant: { multiplier, shift }, rounding: 'double', actMin: act.min, actMax: act.max },
    inZero: -128, macs: OH * OW * O * K * K * C };
  const want = new Int8Array(OH * OW * O);
  for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let o = 0; o < O; o++) {
    let acc = bias[o];
    for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) for (let c = 0; c < C; c++) {
      const y = oy * S + ky, x = ox * S + kx;
      acc += weights[((o * K + ky) * K + kx) * C + c] * ((y < H && x < W ? input[(y * W + x) * C + c] : -128) + 128);
    }
    want[(oy * OW + ox) * O + o] = clamp(multiplyByQuantizedMultiplier(acc, { multiplier: multiplier[o], shift: shift[o] }, 'tflm') + act.zp, act.min, act.max);
  }
  return { L, input, want };
}

for (const s of ['checker', 'checker-fxp']) {
  test(`3-channel stride-2 layer with padding, ${s}: host C + replayed launches == direct loop`, () => {
    const { L, input, want } = smallLayer();
    const plan = strategyByName(s)!.plan(L, arch);
    const prog = layerProgram(plan, 'tflm');
    if (s === 'checker') assert.ok(prog.stage.every((n) => n.key === 'byte') && prog.stage.length <= 8, prog.stage.map((n) => n.key).join());
    const rec = recordLayer(plan, input, arch);
    const r = runHostC(layerCosimFiles(prog, rec.launches, input, arch, 'small'), 'small');
    assert.deepEqual(r.out, Array.from(want));
    assert.equal(r.x, `X 0 ${plan.launches.length}`);
  });
}

// The post-step's clamp forms: ReLU with a zero point inside the range (actMin > zp: outputs with a sum <= 0
// skip the requantisation, the lower clamp stays), a ReLU6-style upper bound, and no ReLU (zp above actMin:
// every output requantised and clamped both ways).
for (const act of [{ zp: -110, min: -100, max: 90 }, { zp: -128, min: -128, max: 40 }, { zp: 5, min: -128, max: 127 }]) {
  for (const s of ['checker', 'checker-fxp']) {
    test(`activation zp ${act.zp} range [${act.min}, ${act.max}], ${s}: host C + replayed launches == direct loop`, () => {
      const { L, input, want } = smallLayer(undefined, 30, act);
      assert.ok(want.some((v) => v === act.min) && want.some((v) => v !== act.min), 'both clamped and unclamped outputs');
      const plan = strategyByName(s)!.plan(L, arch);
      const prog = layerProgram(plan, 'tflm');
      const rec = recordLayer(plan, input, arch);
      const r = runHostC(layerCosimFiles(prog, rec.launches, input, arch, 'act'), `act-${s}`);
      assert.deepEqual(r.out, Array.from(want));
    });
  }
}

test('ReLU layer off the fast path (left shift 12: the sum bound exceeds the one-MULH range), checker: thresholds from the exact requantisation == direct loop', () => {
  const act = { zp: -128, min: -128, max: 127 };
  const { L, input, want } = smallLayer(undefined, 30, act, { m0: 1_000, dm: 30, shift: 12 });
  assert.ok(want.some((v) => v === act.min) && want.some((v) => v !== act.min && v !== act.max), 'clamped and unclamped outputs');
  const plan = strategyByName('checker')!.plan(L, arch);
  const prog = layerProgram(plan, 'tflm');
  assert.equal(prog.fast, false);
  const rec = recordLayer(plan, input, arch);
  const r = runHostC(layerCosimFiles(prog, rec.launches, input, arch, 'exact'), 'exact-relu');
  assert.deepEqual(r.out, Array.from(want));
});

test('long reduction (3 chunks) with a large bias, checker-fxp: chunk sums and the bias outside the decode constant', () => {
  const { L, input, want } = smallLayer({ H: 4, W: 4, C: 512, O: 16, K: 1, S: 1, OH: 4, OW: 4 }, 40_000);
  const plan = strategyByName('checker-fxp')!.plan(L, arch);
  const prog = layerProgram(plan, 'tflm');
  assert.ok(prog.terms > 1 && !prog.biasInDecode, `terms ${prog.terms}, bias in decode ${prog.biasInDecode}`);
  const rec = recordLayer(plan, input, arch);
  const r = runHostC(layerCosimFiles(prog, rec.launches, input, arch, 'chunks'), 'chunks');
  assert.deepEqual(r.out, Array.from(want));
});

test('long reduction (2 chunks) with a small bias, checker-fxp: chunked sums add the plain bias', () => {
  const { L, input, want } = smallLayer({ H: 4, W: 4, C: 320, O: 16, K: 1, S: 1, OH: 4, OW: 4 }, 30);
  const plan = strategyByName('checker-fxp')!.plan(L, arch);
  const prog = layerProgram(plan, 'tflm');
  assert.ok(prog.terms > 1, `terms ${prog.terms}`);
  const rec = recordLayer(plan, input, arch);
  const r = runHostC(layerCosimFiles(prog, rec.launches, input, arch, 'chunks'), 'chunks2');
  assert.deepEqual(r.out, Array.from(want));
});

// A depthwise layer (3x3, SAME padding) under checker-dw split into a launch per 8-channel tile and group of
// band rows (planEndToEnd): each launch declares the bands it reads, the C stages them a launch ahead and
// post-processes a launch behind; the padding rows of a tile's last group are dropped.
function smallDwLayer(H: number, W: number, S: number, C = 8): { L: CgraLayer; input: Int8Array; want: Int8Array } {
  const r = mulberry32(41);
  const b = (): number => Math.floor(r() * 256) - 128;
  const K = 3, OH = Math.ceil(H / S), OW = Math.ceil(W / S);
  const pad = Math.floor(Math.max(0, (OH - 1) * S + K - H) / 2), padL = Math.floor(Math.max(0, (OW - 1) * S + K - W) / 2);
  const weights = Int8Array.from({ length: K * K * C }, b), input = Int8Array.from({ length: H * W * C }, b);
  const bias = Int32Array.from({ length: C }, () => b() * 20);
  const multiplier = Int32Array.from({ length: C }, (_, i) => 1_300_000_000 + 9_000_000 * i), shift = Int32Array.from({ length: C }, () => -6);
  const L: CgraLayer = { index: 0, name: 'dw', kind: 'depthwise_conv2d', inH: H, inW: W, inC: C, outH: OH, outW: OW, outC: C, kH: K, kW: K, strideH: S, strideW: S, dilH: 1, dilW: 1,
    padTop: pad, padLeft: padL, depthMultiplier: 1, weights, bias, q: { inputOffset: 128, outputOffset: -128, requant: { multiplier, shift }, rounding: 'double', actMin: -128, actMax: 127 },
    inZero: -128, macs: OH * OW * C * K * K };
  const want = new Int8Array(OH * OW * C);
  for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) for (let o = 0; o < C; o++) {
    let acc = bias[o];
    for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) {
      const y = oy * S + ky - pad, x = ox * S + kx - padL;
      acc += weights[(ky * K + kx) * C + o] * ((y >= 0 && y < H && x >= 0 && x < W ? input[(y * W + x) * C + o] : -128) + 128);
    }
    want[(oy * OW + ox) * C + o] = clamp(multiplyByQuantizedMultiplier(acc, { multiplier: multiplier[o], shift: shift[o] }, 'tflm') - 128, -128, 127);
  }
  return { L, input, want };
}

for (const [H, W, S, C] of [[14, 14, 1, 8], [13, 10, 2, 8], [11, 12, 1, 24]]) {
  test(`checker-dw split into launches of tiles and band rows (${H}x${W}x${C}, stride ${S}): host C + replayed launches == direct loop`, () => {
    const { L, input, want } = smallDwLayer(H, W, S, C);
    const plan = C === 8 ? strategyByName('checker-dw')!.planEndToEnd!(L, arch) : planCheckerDw(L, arch, 8);
    assert.ok(plan.stageReads && plan.launches.length > 1, `${plan.launches.length} launch(es)`);
    const prog = layerProgram(plan, 'tflm');
    assert.ok(prog.stageGroups.filter((g) => g.length > 0).length > 1, 'staged in more than one group');
    const rec = recordLayer(plan, input, arch, 'shared', undefined, prog);
    const r = runHostC(layerCosimFiles(prog, rec.launches, input, arch, 'dwsplit'), `dwsplit-${H}-${C}`);
    assert.deepEqual(r.out, Array.from(want));
    assert.equal(r.x, `X 0 ${plan.launches.length}`);
  });
}

// Near-dead channels (right shift 27: every sum gives the zero point) used to send the whole layer to the exact
// 64-bit requantisation (their rounding constant does not fit the fast form); they now take the fast form of
// their constant output (m = 0), the other channels the one-MULH form. Zero points inside and at the ReLU bound.
for (const act of [{ zp: -128, min: -128, max: 127 }, { zp: -20, min: -128, max: 127 }, { zp: -110, min: -100, max: 90 }]) {
  test(`near-dead channels (shift -27) with zp ${act.zp} range [${act.min}, ${act.max}], checker-fxp: the layer stays on the fast path == direct loop`, () => {
    // Channel 4's bias near 2^30 (as vww's dead channels have) gives a constant output inside the clamp range.
    const { L, input, want } = smallLayer(undefined, 30, act, { m0: 1_200_000_000, dm: 7_000_000, shift: -7, shiftOf: (o) => (o % 3 === 1 ? -27 : -7), biasOf: (o) => (o === 4 ? 1_000_000_000 : undefined) });
    if (act.zp === -20) assert.ok(want.filter((_, i) => i % 8 === 4).every((v) => v === want[4]) && want[4] !== act.zp, `channel 4 constant ${want[4]} != zp`);
    const plan = strategyByName('checker-fxp')!.plan(L, arch);
    const prog = layerProgram(plan, 'tflm');
    assert.ok(prog.fast, 'fast path');
    assert.deepEqual(prog.channels.map((c) => c.fast!.m === 0), prog.channels.map((_, o) => o % 3 === 1));
    const rec = recordLayer(plan, input, arch);
    const r = runHostC(layerCosimFiles(prog, rec.launches, input, arch, 'dead'), `dead-${act.zp}`);
    assert.deepEqual(r.out, Array.from(want));
  });
}

// The one-MUL requantisation (requant.ts mul32Requant) next to the MULH form in one layer: even channels have
// a wide output step (few levels over their reachable sums: the MUL form), odd ones a narrow one (24 bits of
// slope do not suffice for all their levels); runs of 24 outputs. checker (int32 decode): the two-loop form;
// checker-fxp (packed): the prefix form, where a channel's low levels take the MUL and the rest the MULH.
for (const s of ['checker', 'checker-fxp']) {
  test(`one-MUL and MULH channels in one layer, ${s}: host C + replayed launches == direct loop`, () => {
    const act = { zp: -128, min: -128, max: 127 };
    const { L, input, want } = smallLayer({ H: 24, W: 24, C: 4, O: 8, K: 1, S: 1, OH: 24, OW: 24 }, 30, act, { m0: 1_200_000_000, dm: 7_000_000, shift: -7, shiftOf: (o) => (o % 2 ? -3 : -9) });
    const plan = strategyByName(s)!.plan(L, arch);
    const prog = layerProgram(plan, 'tflm');
    const forms = mul32Forms(prog);
    assert.ok(forms.filter((f) => f).length >= 3 && forms.some((f) => !f), `MUL-form channels: ${forms.map((f) => (f ? 1 : 0)).join('')}`);
    const files = layerCosimFiles(prog, recordLayer(plan, input, arch).launches, input, arch, 'mul');
    assert.match(files['mul_cgra.c'], s === 'checker' ? /c_mA != 0/ : /_mid\(o\)/);
    if (s === 'checker-fxp') {
      const pf = mul32Forms(prog, true);
      assert.ok(pf.some((f, o) => f && !forms[o]), 'a channel split between the MUL prefix and the MULH');
    }
    const r = runHostC(files, `mul-${s}`);
    assert.deepEqual(r.out, Array.from(want));
  });
}
