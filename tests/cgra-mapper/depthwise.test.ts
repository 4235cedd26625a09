// dw-resident and dw-reuse (depthwise, weights resident in registers, packed FXPMUL pairs; dw-reuse also
// multiplies every loaded word twice) on the models' depthwise shapes: the simulator's raw int32 sums must equal a direct loop over the layer's definition written here
// (padded taps hold the input zero point), the analytical estimate must equal the simulated cycles on both
// bus models, and the packed pairs must stay exact at the int8 extremes. End to end on kws against the
// golden runtime: tests/cgra-mapper/models.test.ts (auto picks dw-reuse for kws's depthwise layers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeArch } from '../../cgra-mapper/arch.ts';
import { columnsToRows, type CgraLayer } from '../../cgra-mapper/layer.ts';
import { runPlan } from '../../cgra-mapper/run.ts';
import { choosePlan } from '../../cgra-mapper/strategies/index.ts';
import { planDwResident, residentSupports } from '../../cgra-mapper/strategies/dw-resident.ts';
import { planDwReuse } from '../../cgra-mapper/strategies/dw-reuse.ts';

const arch = makeArch();

interface Shape { h: number; w: number; c: number; kh: number; kw: number; s: number; pt: number; pl: number; oh: number; ow: number }

function layer(sh: Shape, seed: number, fill?: (i: number) => number): { L: CgraLayer; input: Int8Array } {
  let st = seed >>> 0;
  const r = (): number => { st = (Math.imul(st, 1664525) + 1013904223) >>> 0; return (st >>> 24) - 128; };
  const weights = Int8Array.from({ length: sh.kh * sh.kw * sh.c }, (_, i) => (fill ? fill(i) : r()));
  const input = Int8Array.from({ length: sh.h * sh.w * sh.c }, (_, i) => (fill ? fill(i + 1) : r()));
  const L: CgraLayer = {
    index: 0, name: 'dw', kind: 'depthwise_conv2d', inH: sh.h, inW: sh.w, inC: sh.c, outH: sh.oh, outW: sh.ow, outC: sh.c,
    kH: sh.kh, kW: sh.kw, strideH: sh.s, strideW: sh.s, dilH: 1, dilW: 1, padTop: sh.pt, padLeft: sh.pl, depthMultiplier: 1,
    weights, bias: new Int32Array(sh.c),
    q: { inputOffset: 7, outputOffset: 0, requant: { multiplier: Int32Array.of(1 << 30), shift: Int32Array.of(-8) }, rounding: 'double', actMin: -128, actMax: 127 },
    inZero: -7, macs: sh.oh * sh.ow * sh.c * sh.kh * sh.kw,
  };
  return { L: columnsToRows(L), input };
}

/** sum over the window of w * x, a padded tap holding the zero point (-inputOffset). */
function rawRef(L: CgraLayer, x: Int8Array): Int32Array {
  const out = new Int32Array(L.outH * L.outW * L.outC);
  for (let oy = 0; oy < L.outH; oy++) for (let ox = 0; ox < L.outW; ox++) for (let o = 0; o < L.outC; o++) {
    let s = 0;
    for (let ky = 0; ky < L.kH; ky++) for (let kx = 0; kx < L.kW; kx++) {
      const y = oy * L.strideH - L.padTop + ky, xx = ox * L.strideW - L.padLeft + kx;
      const v = y < 0 || y >= L.inH || xx < 0 || xx >= L.inW ? L.inZero : x[(y * L.inW + xx) * L.inC + o];
      s += L.weights[(ky * L.kW + kx) * L.outC + o] * v;
    }
    out[(oy * L.outW + ox) * L.outC + o] = s;
  }
  return out;
}

const SHAPES: Record<string, Shape> = {
  'kws 25x5x64 3x3 SAME': { h: 25, w: 5, c: 64, kh: 3, kw: 3, s: 1, pt: 1, pl: 1, oh: 25, ow: 5 },
  'vww 3x3 s1 SAME, 8 channels (smaller image)': { h: 14, w: 12, c: 8, kh: 3, kw: 3, s: 1, pt: 1, pl: 1, oh: 14, ow: 12 },
  'vww 3x3 s2, 16 channels (48 -> 24 shape, smaller)': { h: 12, w: 12, c: 16, kh: 3, kw: 3, s: 2, pt: 0, pl: 0, oh: 6, ow: 6 },
  'vww 6x6x128 3x3 s1 SAME': { h: 6, w: 6, c: 128, kh: 3, kw: 3, s: 1, pt: 1, pl: 1, oh: 6, ow: 6 },
  'str_ww 30x1x40 kernel 3x1 valid': { h: 30, w: 1, c: 40, kh: 3, kw: 1, s: 1, pt: 0, pl: 0, oh: 28, ow: 1 },
  'str_ww 28x1x128 kernel 5x1 valid': { h: 28, w: 1, c: 128, kh: 5, kw: 1, s: 1, pt: 0, pl: 0, oh: 24, ow: 1 },
  'str_ww 24x1x128 kernel 10x1 valid': { h: 24, w: 1, c: 128, kh: 10, kw: 1, s: 1, pt: 0, pl: 0, oh: 15, ow: 1 },
  'more than 8188 pixels: two launches (91x91x4)': { h: 91, w: 91, c: 4, kh: 3, kw: 3, s: 1, pt: 1, pl: 1, oh: 91, ow: 91 },
  '3x3 with 6 channels (partial channel group), odd pixel count': { h: 5, w: 3, c: 6, kh: 3, kw: 3, s: 1, pt: 1, pl: 1, oh: 5, ow: 3 },
};

// Each strategy, the shapes it takes, and the seed multiplier its cases have always used.
const STRATEGIES = [
  { name: 'dw-resident', plan: planDwResident, takes: () => true, seedMul: 31 },
  { name: 'dw-reuse', plan: planDwReuse, takes: (sh: { kh: number; kw: number }) => sh.kh === 3 && sh.kw === 3, seedMul: 17 },
];

for (const [name, sh] of Object.entries(SHAPES)) {
  for (const st of STRATEGIES) {
    if (!st.takes(sh)) continue;
    test(`${st.name} raw sums are exact and the estimate equals the simulator: ${name}`, () => {
      const { L, input } = layer(sh, name.length * st.seedMul);
      const plan = st.plan(L, arch);
      // launch.json dumps every region; a column without stores must still read back a word.
      assert.ok(plan.outRegions.every((r) => r.words >= 1), 'no empty output region');
      const want = rawRef(L, input);
      for (const bus of ['shared', 'ports'] as const) {
        const r = runPlan(plan, input, 'tflm', arch, bus);
        assert.deepEqual(r.raw, want, `${bus}: raw int32 sums`);
        assert.equal(r.figures.arrayCycles, plan.cost[bus], `estimate = simulated cycles on ${bus}`);
      }
    });
  }
}

test('dw-resident packed pairs stay exact at the int8 extremes (10 taps)', () => {
  for (const [wv, xv] of [[-128, -128], [127, -128], [-128, 127], [127, 127]]) {
    const { L, input } = layer(SHAPES['str_ww 24x1x128 kernel 10x1 valid'], 1, (i) => (i === 0 ? wv : xv));
    L.weights.fill(wv);
    input.fill(xv);
    const r = runPlan(planDwResident(L, arch), input, 'tflm', arch, 'shared');
    assert.equal(r.raw[0], 10 * wv * xv);
    assert.deepEqual(r.raw, rawRef(L, input));
  }
});

test('dw-reuse packed pairs stay exact at the int8 extremes (3x3)', () => {
  for (const [wv, xv] of [[-128, -128], [127, -128], [-128, 127], [127, 127]]) {
    const { L, input } = layer(SHAPES['vww 6x6x128 3x3 s1 SAME'], 1);
    L.weights.fill(wv);
    input.fill(xv);
    const r = runPlan(planDwReuse(L, arch), input, 'tflm', arch, 'shared');
    assert.equal(r.raw[7 * L.outC], 9 * wv * xv); // pixel (1, 1): a full window
    assert.deepEqual(r.raw, rawRef(L, input));
  }
});

test('dw-resident refuses kernels with more than 10 taps; auto takes dw-reuse on kws-shaped layers, dw-resident on 10 taps', () => {
  const big = layer({ h: 15, w: 1, c: 8, kh: 15, kw: 1, s: 1, pt: 0, pl: 0, oh: 1, ow: 1 }, 3).L;
  assert.match(residentSupports(big) ?? '', /15 taps/);
  const { L } = layer(SHAPES['kws 25x5x64 3x3 SAME'], 4);
  assert.equal(choosePlan(L, arch, 'auto').plan.strategy, 'dw-reuse');
  const ten = layer(SHAPES['str_ww 24x1x128 kernel 10x1 valid'], 4).L;
  assert.equal(choosePlan(ten, arch, 'dw-resident').plan.strategy, 'dw-resident');
  assert.match(choosePlan(ten, arch, 'dw-reuse').note ?? '', /dw-reuse cannot map this layer/);
});
