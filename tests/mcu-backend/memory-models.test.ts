// The five MLPerf Tiny models with the memory planner's most aggressive schedule (in-place execution and
// channel-split partial execution, lean kernels), bit-exact with the golden runtime on QEMU Cortex-M4
// (two inputs per model in one run); the sram budget driving the schedule (a budget the whole-tensor
// plan misses is met by splitting, bit-exact on QEMU M4) and the failure naming the budget, the best
// peak and its op.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadModel } from '../../compiler/frontend/load.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { buildMcu } from '../../mcu-backend/build.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { LEAN_VARIANTS } from '../../mcu-backend/emit/registry.ts';
import { planConflicts } from '../../mcu-backend/memory/arena.ts';
import { memoryFigures } from '../../mcu-backend/memory/plan.ts';
import { wholeTensorFloor } from '../../mcu-backend/memory/requests.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { MODELS, modelPath, scratchDir, type ModelKey } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-mcu-memory-models-');
let golden: GoldenRuntime | undefined;

function load(key: ModelKey) {
  const path = modelPath(key);
  if (!path) return undefined;
  const graph = loadModel(path).graph;
  return { graph, module: runPipeline(graph, { arith: 'tflm' }) };
}

// research.md's table ("activations, largest op in + out"), in KB of 1000 bytes to one decimal.
const FLOOR_KB: Record<ModelKey, number> = { kws: 16.0, vww: 55.3, resnet: 49.2, ad01: 0.8, str_ww: 6.7 };

test('the four figures of every model: the floor as research.md gives it, and the planner invariants', () => {
  for (const key of Object.keys(MODELS) as ModelKey[]) {
    const l = load(key);
    if (!l) continue;
    const f = memoryFigures(l.module);
    assert.equal(Math.round(f.floor.bytes / 100) / 10, FLOOR_KB[key], key);
    // Whole tensors: no placement goes below the floor; the planner and partial execution never lose.
    assert.ok(f.greedy.peak >= f.floor.bytes, `${key} greedy`);
    assert.ok(f.planner.peak <= f.greedy.peak, `${key} planner`);
    assert.ok(f.partial.peak <= f.planner.peak, `${key} partial`);
    for (const p of [f.greedy, f.planner, f.partial]) {
      // Every placement holds what is live: the arena is at least the live bytes at every op, and no two
      // requests live together share bytes unless tied by an in-place op.
      assert.ok(p.peak >= Math.max(...p.live), `${key} ${p.strategy}`);
      for (const a of p.requests) for (const b of p.requests) {
        if (a.id >= b.id || a.first > b.last || b.first > a.last || (a.group !== undefined && a.group === b.group)) continue;
        const oa = p.offsets.get(a.id)!, ob = p.offsets.get(b.id)!;
        assert.ok(oa + a.bytes <= ob || ob + b.bytes <= oa, `${key} ${p.strategy}: ${a.name} / ${b.name}`);
      }
    }
    // An in-place pair shares its offset; a split chain's intermediates shrink by the split factor.
    for (const ip of f.partial.inPlace) assert.equal(f.partial.offsets.get(ip.input), f.partial.offsets.get(l.module.ops[ip.op]!.output));
    for (const c of f.partial.chains) {
      const mid: number = l.module.ops[c.ops[0]!]!.output;
      assert.equal(f.partial.requests.find((r) => r.id === mid)!.bytes, Math.ceil(l.module.buffers[mid]!.bytes / c.split));
    }
  }
});

for (const key of Object.keys(MODELS) as ModelKey[]) {
  test(`${key}: in-place + partial execution bit-exact on QEMU Cortex-M4 (2 inputs, one run)`, async (t) => {
    const l = load(key);
    if (!l) { t.skip(`model ${MODELS[key]} not found`); return; }
    const em = emitModel(l.module, { cpu: 'm4', dsp: true }, { table: LEAN_VARIANTS, memory: 'partial' });
    assert.deepEqual(planConflicts(em.plan), []);
    // Never above the whole-tensor floor plus the delay rows (kws and vww: well below, bench/memory).
    const floor = wholeTensorFloor(l.module).bytes;
    assert.ok(em.plan.arenaBytes <= floor + 2048, `${key}: arena ${em.plan.arenaBytes} vs floor ${floor}`);
    if (key === 'vww') assert.ok(em.plan.chains.length > 0, 'vww runs a split chain');
    if (!needTools(t, 'm4')) return;
    golden ??= await GoldenRuntime.load();
    const inputs = randomInputs(em.inputBytes, 2, 31);
    const v = await verifyMcu(l.graph, l.module, em, 'm4', { inputs, workDir: join(work, key), golden });
    for (const r of v.results) assert.ok(r.ok, `${key}, input ${r.input}: ${JSON.stringify(r)}`);
  });
}

test('vww under an arena budget the whole-tensor planner misses: split chains and leaner kernels meet it, bit-exact on QEMU M4', async (t) => {
  const l = load('vww');
  if (!l) { t.skip('vww not found'); return; }
  const target = { cpu: 'm4' as const, dsp: true };
  const free = emitModel(l.module, target);
  const budget = 31_000;
  assert.ok(free.plan.arenaBytes > budget && free.plan.chains.length === 0);
  const em = emitModel(l.module, target, { arenaBudget: budget });
  assert.ok(em.plan.arenaBytes <= budget, `arena ${em.plan.arenaBytes}`);
  assert.ok(em.plan.chains.length > 0, 'the budget needed a split chain');
  assert.ok(em.downgrades.length > 0, 'and leaner kernels at the peak (the fast ones cannot split)');
  // (QEMU, not the host: the fast kernels' intrinsics make the host build of vww take minutes.)
  if (!needTools(t, 'm4')) return;
  golden ??= await GoldenRuntime.load();
  const v = await verifyMcu(l.graph, l.module, em, 'm4', { inputs: randomInputs(em.inputBytes, 1, 3), workDir: join(work, 'vww-budget'), golden });
  assert.ok(v.ok, JSON.stringify(v.results));
});

test('a budget below the best schedule fails naming the budget, the best peak and the op where it peaks', (t) => {
  const l = load('vww');
  if (!l) { t.skip('vww not found'); return; }
  if (!needTools(t, 'arm-gcc')) return;
  const best = emitModel(l.module, { cpu: 'm4', dsp: true }, { table: LEAN_VARIANTS, memory: 'partial' }).plan;
  const sram = 24 * 1024;
  assert.ok(best.arenaBytes > sram);
  assert.throws(() => buildMcu(l.module, { cpu: 'cortex-m4', flash: 4 << 20, sram }, join(work, 'vww-tight')), (e: Error) => {
    assert.match(e.message, /mcu sram budget of 24,576 B exceeded/);
    assert.match(e.message, /the best schedule found \(in-place and partial execution, \d+ split chain\(s\), \d+ kernel\(s\) replaced by leaner ones\) needs an activation arena of [\d,]+ B peaking at layer \d+ '[^']+' \((conv2d|depthwise_conv2d)/);
    return true;
  });
});
