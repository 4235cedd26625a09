// checker-fxp (two int8 products per FXPMUL): the packing identity on extreme values (BigInt arithmetic written
// here, independent of the simulator), raw int32 sums equal to a direct loop over the layer's definition on
// the models' layer shapes (including reductions long enough to need several chunks and values at the
// int8 extremes, where the exactness bound is tight), estimate == simulated cycles on both buses, and the
// paper layer above the 2.0 MAC/cycle limit of `checker` with the call cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeArch } from '../../cgra-mapper/arch.ts';
import type { CgraLayer } from '../../cgra-mapper/layer.ts';
import { runPlan } from '../../cgra-mapper/run.ts';
import { MAX_PAIRS, decodeFxp, planCheckerFxp } from '../../cgra-mapper/strategies/checker-fxp.ts';
import { planChecker } from '../../cgra-mapper/strategies/checker.ts';
import { planFcFxp } from '../../cgra-mapper/strategies/fc-fxp.ts';
import { choosePlan } from '../../cgra-mapper/strategies/index.ts';
import { planCheckerSlide, slideSupports } from '../../cgra-mapper/strategies/checker-slide.ts';

const arch = makeArch({ callCycles: 190 });

/** Bits 46:15 of the exact product, as the ISA defines FXPMUL. */
const fxp = (a: number, b: number): number => Number((BigInt(a) * BigInt(b)) >> 15n & 0xffffffffn) | 0;

test('packing identity: MAX_PAIRS two-tap products at the int8 extremes decode exactly', () => {
  const cases: [number, number, number, number][] = [[-128, -128, -128, -128], [-128, 127, -128, 127], [127, -128, 127, -128], [-1, 1, 1, -1], [-128, -128, 127, -128]];
  for (const [x1, x2, w1, w2] of cases) {
    let s = 0;
    for (let i = 0; i < MAX_PAIRS; i++) s = (s + fxp((x1 + x2 * 2 ** 23) | 0, (w2 + w1 * 2 ** 23) | 0)) | 0;
    assert.equal(decodeFxp(s), MAX_PAIRS * (x1 * w1 + x2 * w2), `${x1} ${x2} ${w1} ${w2}`);
  }
});

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s >>> 24) - 128; };
}

interface Shape { kind: 'conv2d' | 'fully_connected'; h: number; w: number; c: number; o: number; kh: number; kw: number; s: number; pt: number; pl: number; oh: number; ow: number; extreme?: boolean; dil?: number }

function layer(sh: Shape, seed: number): { L: CgraLayer; input: Int8Array } {
  const r = rng(seed);
  // "extreme": every value at -128 or 127, so the sums sit near the bound the decode relies on.
  const v = sh.extreme ? (): number => (r() < 64 ? -128 : 127) : r;
  const nW = sh.o * sh.kh * sh.kw * sh.c;
  const L: CgraLayer = {
    index: 0, name: 'fxp', kind: sh.kind, inH: sh.h, inW: sh.w, inC: sh.c, outH: sh.oh, outW: sh.ow, outC: sh.o, kH: sh.kh, kW: sh.kw,
    strideH: sh.s, strideW: sh.s, dilH: sh.dil ?? 1, dilW: sh.dil ?? 1, padTop: sh.pt, padLeft: sh.pl, depthMultiplier: 1,
    weights: Int8Array.from({ length: nW }, v), bias: new Int32Array(sh.o),
    q: { inputOffset: 0, outputOffset: 0, requant: { multiplier: Int32Array.of(1 << 30), shift: Int32Array.of(-8) }, rounding: 'double', actMin: -128, actMax: 127 },
    inZero: -5, macs: sh.oh * sh.ow * sh.o * sh.kh * sh.kw * sh.c,
  };
  return { L, input: Int8Array.from({ length: sh.h * sh.w * sh.c }, v) };
}

/** Raw sums by the definition: padded taps hold the input zero point. */
function rawSums(L: CgraLayer, x: Int8Array): Int32Array {
  const acc = new Int32Array(L.outH * L.outW * L.outC);
  for (let oy = 0; oy < L.outH; oy++) for (let ox = 0; ox < L.outW; ox++) for (let o = 0; o < L.outC; o++) {
    let s = 0;
    for (let ky = 0; ky < L.kH; ky++) for (let kx = 0; kx < L.kW; kx++) for (let c = 0; c < L.inC; c++) {
      const y = oy * L.strideH - L.padTop + ky * L.dilH, xx = ox * L.strideW - L.padLeft + kx * L.dilW;
      const xv = y < 0 || y >= L.inH || xx < 0 || xx >= L.inW ? L.inZero : x[(y * L.inW + xx) * L.inC + c];
      s += L.weights[((o * L.kH + ky) * L.kW + kx) * L.inC + c] * xv;
    }
    acc[(oy * L.outW + ox) * L.outC + o] = s;
  }
  return acc;
}

const SHAPES: Record<string, Shape> = {
  'paper layer 16x16x16 -> 14x14x16, 3x3 valid': { kind: 'conv2d', h: 16, w: 16, c: 16, o: 16, kh: 3, kw: 3, s: 1, pt: 0, pl: 0, oh: 14, ow: 14 },
  'paper layer at the int8 extremes': { kind: 'conv2d', h: 8, w: 8, c: 16, o: 16, kh: 3, kw: 3, s: 1, pt: 0, pl: 0, oh: 6, ow: 6, extreme: true },
  '3x3 stride 2 SAME, 3 -> 20 channels (odd taps, partial tile, partial group)': { kind: 'conv2d', h: 9, w: 10, c: 3, o: 20, kh: 3, kw: 3, s: 2, pt: 1, pl: 1, oh: 5, ow: 5 },
  'kws first conv 10x4 stride 2': { kind: 'conv2d', h: 15, w: 10, c: 1, o: 18, kh: 10, kw: 4, s: 2, pt: 4, pl: 1, oh: 8, ow: 5 },
  'pointwise 1x1, 64 -> 64 (vww / kws)': { kind: 'conv2d', h: 5, w: 5, c: 64, o: 64, kh: 1, kw: 1, s: 1, pt: 0, pl: 0, oh: 5, ow: 5 },
  '3x3, 64 channels: 576 taps in 3 chunks, extremes': { kind: 'conv2d', h: 4, w: 4, c: 64, o: 9, kh: 3, kw: 3, s: 1, pt: 1, pl: 1, oh: 4, ow: 4, extreme: true },
  'fully connected 640 -> 10 (ad01-like, 3 chunks)': { kind: 'fully_connected', h: 1, w: 1, c: 640, o: 10, kh: 1, kw: 1, s: 1, pt: 0, pl: 0, oh: 1, ow: 1 },
};

for (const [name, sh] of Object.entries(SHAPES)) {
  test(`checker-fxp raw sums exact, estimate = simulation: ${name}`, () => {
    const { L, input } = layer(sh, name.length);
    const want = rawSums(L, input);
    const plan = planCheckerFxp(L, arch);
    for (const bus of ['shared', 'ports'] as const) {
      const r = runPlan(plan, input, 'tflm', arch, bus);
      assert.deepEqual(r.raw, want, `${bus}: raw int32 sums`);
      assert.equal(r.figures.arrayCycles, plan.cost[bus], `estimate = simulated cycles on ${bus}`);
    }
  });
}

// checker-slide (kW = 3, strideW = dilW): the shapes above it accepts, and edge cases of its pixel pairs
// (odd output width: a dummy right pixel), odd channel counts (a zero second tap), partial channel tiles,
// chunked reductions, stride = dilation 2, the pipelined launch split.
const SLIDE: Record<string, Shape> = {
  ...Object.fromEntries(Object.entries(SHAPES).filter(([, sh]) => sh.kind === 'conv2d' && sh.kw === 3 && sh.s === 1)),
  '3x3 SAME, odd width 7 and 5 -> 10 channels': { kind: 'conv2d', h: 6, w: 7, c: 5, o: 10, kh: 3, kw: 3, s: 1, pt: 1, pl: 1, oh: 6, ow: 7 },
  '3x3 stride 2 dilation 2, 8 -> 6 channels': { kind: 'conv2d', h: 11, w: 12, c: 8, o: 6, kh: 3, kw: 3, s: 2, pt: 0, pl: 0, oh: 4, ow: 4, dil: 2 },
  '3x1 kernel rows (kh 1), 96 channels in 2 chunks, extremes': { kind: 'conv2d', h: 3, w: 6, c: 96, o: 4, kh: 1, kw: 3, s: 1, pt: 0, pl: 1, oh: 3, ow: 6, extreme: true },
};
for (const [name, sh] of Object.entries(SLIDE)) {
  test(`checker-slide raw sums exact, estimate = simulation: ${name}`, () => {
    const { L, input } = layer(sh, name.length);
    assert.equal(slideSupports(L), undefined);
    const want = rawSums(L, input);
    for (const plan of [planCheckerSlide(L, arch), planCheckerSlide(L, arch, { pipelined: true })]) {
      for (const bus of ['shared', 'ports'] as const) {
        const r = runPlan(plan, input, 'tflm', arch, bus);
        assert.deepEqual(r.raw, want, `${bus}, ${plan.launches.length} launches: raw int32 sums`);
        assert.equal(r.figures.arrayCycles, plan.cost[bus], `estimate = simulated cycles on ${bus}`);
      }
    }
  });
}

test('checker-slide takes fewer shared-bus array cycles than checker-fxp on the paper layer; refuses other widths and strides', () => {
  const { L, input } = layer(SHAPES['paper layer 16x16x16 -> 14x14x16, 3x3 valid'], 5);
  const slide = runPlan(planCheckerSlide(L, arch), input, 'tflm', arch, 'shared');
  const fxpRun = runPlan(planCheckerFxp(L, arch), input, 'tflm', arch, 'shared');
  assert.deepEqual(slide.raw, fxpRun.raw);
  assert.ok(slide.figures.arrayCycles < 0.9 * fxpRun.figures.arrayCycles, `${slide.figures.arrayCycles} vs ${fxpRun.figures.arrayCycles}`);
  assert.match(slideSupports(layer(SHAPES['pointwise 1x1, 64 -> 64 (vww / kws)'], 1).L) ?? '', /kernel width 1/);
  assert.match(slideSupports(layer(SHAPES['3x3 stride 2 SAME, 3 -> 20 channels (odd taps, partial tile, partial group)'], 1).L) ?? '', /strideW 2 != dilationW 1/);
});

test('checker-fxp runs the paper layer above 2.0 MAC/cycle (shared bus, 190-cycle calls), faster than checker', () => {
  const { L, input } = layer(SHAPES['paper layer 16x16x16 -> 14x14x16, 3x3 valid'], 11);
  const fxpRun = runPlan(planCheckerFxp(L, arch), input, 'tflm', arch, 'shared');
  const chkRun = runPlan(planChecker(L, arch), input, 'tflm', arch, 'shared');
  assert.deepEqual(fxpRun.raw, rawSums(L, input));
  const rate = L.macs / fxpRun.figures.cycles;
  assert.ok(rate > 2.0, `${rate.toFixed(3)} MAC/cycle`);
  assert.ok(fxpRun.figures.cycles < chkRun.figures.cycles);
});

const FC: Record<string, Shape> = {
  'fully connected 640 -> 128 (ad01 first layer, 3 chunks)': { kind: 'fully_connected', h: 1, w: 1, c: 640, o: 128, kh: 1, kw: 1, s: 1, pt: 0, pl: 0, oh: 1, ow: 1 },
  'fully connected 128 -> 8 (ad01 bottleneck), extremes': { kind: 'fully_connected', h: 1, w: 1, c: 128, o: 8, kh: 1, kw: 1, s: 1, pt: 0, pl: 0, oh: 1, ow: 1, extreme: true },
  'fully connected 75 -> 12 (odd taps, kws-like head)': { kind: 'fully_connected', h: 1, w: 1, c: 75, o: 12, kh: 1, kw: 1, s: 1, pt: 0, pl: 0, oh: 1, ow: 1 },
  'conv with a 1x1 output: 3x3 SAME on a 1x1x40 image': { kind: 'conv2d', h: 1, w: 1, c: 40, o: 5, kh: 3, kw: 3, s: 1, pt: 1, pl: 1, oh: 1, ow: 1 },
};

for (const [name, sh] of Object.entries(FC)) {
  test(`fc-fxp raw sums exact, estimate = simulation: ${name}`, () => {
    const { L, input } = layer(sh, name.length);
    const want = rawSums(L, input);
    const plan = planFcFxp(L, arch);
    for (const bus of ['shared', 'ports'] as const) {
      const r = runPlan(plan, input, 'tflm', arch, bus);
      assert.deepEqual(r.raw, want, `${bus}: raw int32 sums`);
      assert.equal(r.figures.arrayCycles, plan.cost[bus], `estimate = simulated cycles on ${bus}`);
    }
  });
}

test('fc-fxp beats checker on a single-pixel FC layer (ad01 shape)', () => {
  const { L, input } = layer(FC['fully connected 640 -> 128 (ad01 first layer, 3 chunks)'], 3);
  const plan = planFcFxp(L, arch);
  // 128 = 6 full tiles of 21 channels (3 accumulators) + 2 channels under a second kernel.
  assert.equal(plan.kernels.length, 2);
  assert.equal(plan.launches.length, 2);
  const fc = runPlan(plan, input, 'tflm', arch, 'shared');
  const chk = runPlan(planChecker(L, arch), input, 'tflm', arch, 'shared');
  assert.deepEqual(fc.raw, chk.raw);
  assert.ok(fc.figures.cycles < chk.figures.cycles, `${fc.figures.cycles} vs ${chk.figures.cycles}`);
});

test('auto picks checker-slide for the paper layer, checker-fxp for a pointwise layer and fc-fxp for a large single-pixel FC layer', () => {
  assert.equal(choosePlan(layer(SHAPES['paper layer 16x16x16 -> 14x14x16, 3x3 valid'], 1).L, arch, 'auto').plan.strategy, 'checker-slide');
  assert.equal(choosePlan(layer(SHAPES['pointwise 1x1, 64 -> 64 (vww / kws)'], 1).L, arch, 'auto').plan.strategy, 'checker-fxp');
  assert.equal(choosePlan(layer(FC['fully connected 640 -> 128 (ad01 first layer, 3 chunks)'], 1).L, arch, 'auto').plan.strategy, 'fc-fxp');
});
