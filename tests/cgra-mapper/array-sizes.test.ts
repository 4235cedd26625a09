// Array sizes other than 4x4 (issue 16): per array size, random small conv / pointwise / depthwise / FC
// layers go through `auto`; a mapped layer must give the int8 output of a direct loop over the layer's
// definition pushed through TFLite's requantisation (written here), on both bus models, with the estimate
// equal to the simulated cycles; a layer no strategy accepts must come back as a host layer whose reason
// names the array. Also: the 4x4 hand strategies refuse other arrays with their reason, and what each
// strategy declares about wrap-around links matches its kernels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DIRS, makeArch, wrapsAround, type CgraArch } from '../../cgra-mapper/arch.ts';
import { decode } from '../../cgra-mapper/isa/encoding.ts';
import { SOURCES } from '../../cgra-mapper/isa/tables.ts';
import type { CgraLayer } from '../../cgra-mapper/layer.ts';
import { runPlan } from '../../cgra-mapper/run.ts';
import { chooseOrHost, refusal, STRATEGIES, strategyByName } from '../../cgra-mapper/strategies/index.ts';
import { planMeshFxp } from '../../cgra-mapper/strategies/mesh-fxp.ts';
import { planTiled } from '../../cgra-mapper/strategies/tile.ts';
import { randomCgraLayer, referenceOutput, type LayerQuant, type LayerShape } from '../helpers/cgra-layer.ts';
import { setSearchBudget } from '../../cgra-mapper/general/index.ts';

// These tests check exactness and estimate = simulation, not schedule quality: the general mapper searches a
// twentieth of its default work budget here (the benches search the full budget and more).
setSearchBudget(0.05);

const Q: LayerQuant = { inputOffset: 5, base: 1_400_000_000, step: 5_000_000, shiftCycle: 2 };
const makeLayer = (sh: Shape, seed: number) => randomCgraLayer(sh, seed, Q);
const expected = referenceOutput;
type Shape = LayerShape;

const SHAPES: Shape[] = [
  { kind: 'conv2d', h: 9, w: 8, c: 6, o: 11, k: 3, s: 1, p: 1 },
  { kind: 'conv2d', h: 11, w: 10, c: 3, o: 8, k: 3, s: 2, p: 1 },
  { kind: 'conv2d', h: 6, w: 7, c: 20, o: 13, k: 1, s: 1, p: 0 },
  { kind: 'depthwise_conv2d', h: 9, w: 9, c: 12, o: 12, k: 3, s: 1, p: 1 },
  { kind: 'fully_connected', h: 1, w: 1, c: 90, o: 12, k: 1, s: 1, p: 0 },
];

function checkPlan(L: CgraLayer, input: Int8Array, arch: CgraArch, plan: ReturnType<typeof planMeshFxp>, what: string): void {
  const want = expected(L, input);
  for (const bus of ['shared', 'ports'] as const) {
    const r = runPlan(plan, input, 'tflm', arch, bus);
    assert.deepEqual(r.output, want, `${what} (${bus}): int8 output`);
    assert.equal(r.figures.arrayCycles, plan.cost[bus], `${what}: estimate = simulated cycles on ${bus}`);
  }
}

for (const [rows, cols] of [[4, 4], [4, 8], [8, 4], [8, 8], [2, 2], [4, 6]] as const) {
  test(`${rows}x${cols}: random layers under auto are exact or on the host with a reason naming the array`, () => {
    const arch = makeArch({ rows, cols });
    let mapped = 0;
    SHAPES.forEach((sh, i) => {
      const { L, input } = makeLayer(sh, 100 + i + rows * 7 + cols);
      const c = chooseOrHost(L, arch, 'auto');
      if (!c.plan) {
        assert.match(c.hostReason, new RegExp(`${rows}x${cols}`), `${sh.kind}: the host reason names the array`);
        return;
      }
      mapped++;
      checkPlan(L, input, arch, c.plan, `${c.plan.strategy} on ${sh.kind}`);
    });
    // 4k x 4l arrays map everything with hand strategies (mesh-fxp for conv / FC, tiled depthwise); on 4x6
    // and 2x2 auto falls through to the general mapper where no hand strategy fits, so every layer is mapped.
    const want = SHAPES.length;
    assert.equal(mapped, want, `layers mapped on ${rows}x${cols}`);
  });
}

test('mesh-fxp is exact with several reduction chunks and padded pixel groups, on 4x4, 4x8 and 8x8', () => {
  for (const [rows, cols] of [[4, 4], [4, 8], [8, 8]]) {
    const arch = makeArch({ rows, cols });
    // 3x3 x 32 channels = 288 taps = 144 pairs: two chunks of 72; 7x5 = 35 pixels: groups padded.
    const { L, input } = makeLayer({ kind: 'conv2d', h: 7, w: 5, c: 32, o: 6, k: 3, s: 1, p: 1 }, rows + cols);
    checkPlan(L, input, arch, planMeshFxp(L, arch), `mesh-fxp ${rows}x${cols}`);
  }
});

test('4x4 strategies tiled over a larger array stay exact (copies side by side and sharing column ports)', () => {
  const { L: conv, input: x1 } = makeLayer({ kind: 'conv2d', h: 10, w: 9, c: 8, o: 16, k: 3, s: 1, p: 1 }, 7);
  checkPlan(conv, x1, makeArch({ rows: 4, cols: 8 }), planTiled(strategyByName('checker')!, conv, makeArch({ rows: 4, cols: 8 })), 'checker tiled 4x8');
  const { L: fc, input: x2 } = makeLayer({ kind: 'fully_connected', h: 1, w: 1, c: 120, o: 30, k: 1, s: 1, p: 0 }, 8);
  checkPlan(fc, x2, makeArch({ rows: 8, cols: 8 }), planTiled(strategyByName('fc-fxp')!, fc, makeArch({ rows: 8, cols: 8 })), 'fc-fxp tiled 8x8');
  const { L: dw, input: x3 } = makeLayer({ kind: 'depthwise_conv2d', h: 8, w: 8, c: 16, o: 16, k: 3, s: 1, p: 1 }, 9);
  checkPlan(dw, x3, makeArch({ rows: 8, cols: 8 }), planTiled(strategyByName('checker-dw4')!, dw, makeArch({ rows: 8, cols: 8 })), 'checker-dw4 tiled 8x8');
});

test('a tiled strategy whose wrap-around links carry per-part data is refused with that reason', () => {
  const { L } = makeLayer({ kind: 'conv2d', h: 8, w: 8, c: 8, o: 16, k: 3, s: 1, p: 1 }, 3);
  assert.throws(() => planTiled(strategyByName('checker-fxp')!, L, makeArch({ rows: 4, cols: 8 })), /wrap around the 4x4 block and carry per-part data/);
  assert.throws(() => planTiled(strategyByName('checker')!, L, makeArch({ rows: 8, cols: 8 })), /steps its pointers by bytes/);
});

test('the 4x4 hand strategies refuse other arrays with their reason; auto says why a layer stays on the host', () => {
  const { L } = makeLayer(SHAPES[0], 1);
  const fxp = strategyByName('checker-fxp')!;
  assert.equal(refusal(fxp, L, makeArch()), undefined);
  assert.match(refusal(fxp, L, makeArch({ rows: 2, cols: 2 }))!, /needs a 4 x 4 array, this one is 2x2: .*torus/);
  assert.match(refusal(strategyByName('mesh-fxp')!, L, makeArch({ rows: 2, cols: 2 }))!, /needs a >= 4 x >= 4 array, this one is 2x2/);
  // With the general mapper left out, no strategy fits 2x2: the layer stays on the host with the reasons.
  const host = chooseOrHost(L, makeArch({ rows: 2, cols: 2 }), 'checker-fxp', 'shared', { allowed: ['checker-fxp', 'mesh-fxp'] });
  assert.equal(host.plan, undefined);
  assert.ok(host.candidates.every((c) => c.reason !== undefined), 'every strategy gives its reason');
  // A named strategy that cannot run on 8x8 as such falls back to auto, and says so.
  const c = chooseOrHost(L, makeArch({ rows: 8, cols: 8 }), 'checker-fxp');
  assert.ok(c.plan);
  assert.match(c.note ?? '', /checker-fxp cannot map this layer \(needs a 4 x 4 array/);
});

test('what each strategy declares about the array matches its kernels (wrap-around links read or not)', () => {
  const arch = makeArch();
  const layers = [makeLayer(SHAPES[0], 2).L, makeLayer(SHAPES[3], 3).L, makeLayer(SHAPES[4], 4).L];
  for (const s of STRATEGIES) {
    const L = layers.find((l) => !s.supports(l));
    if (!L) continue;
    const plan = s.plan(L, arch);
    let wraps = 0;
    for (const k of plan.kernels) k.words.forEach((step) => step.forEach((row, r) => row.forEach((w, c) => {
      const i = decode(w);
      if (i.op === 0) return;
      for (const src of [i.a, i.b]) {
        const info = SOURCES[src];
        if (info?.kind !== 'neighbour') continue;
        const d = DIRS.find((x) => ({ L: [0, -1], R: [0, 1], T: [-1, 0], B: [1, 0] } as const)[x].join() === [info.dr, info.dc].join())!;
        if (wrapsAround(arch.rows, arch.cols, r, c, d)) wraps++;
      }
    })));
    const exact = 'exact' in s.needs.rows || 'exact' in s.needs.cols;
    if (exact) assert.ok(wraps > 0, `${s.name} declares the exact 4x4 torus: its kernels read wrap-around links`);
    else if (!s.needs.native) assert.equal(wraps, 0, `${s.name} declares any larger array: its kernels read no wrap-around link`);
  }
});
