// OpenEdgeCGRA end to end on X-HEEP: the array's cycles plus the host program's (cgra-mapper/host/), per
// layer and model, shared bus. The host program's C runs on QEMU riscv32 (RV32IMC, picolibc, the project's
// icount plugin and block profile, priced by the RV32 cycle model for CV32E40P and CV32E20); the array's
// launches run on the simulator and are replayed into the C program, which checks by hash that it staged
// exactly the simulator's words. Outputs are compared with a direct loop (paper layer) or the golden runtime.
//  1. the paper layer (int8 16x16x16 -> 14x14x16, 3x3 valid) under checker-fxp and checker;
//  2. kws, vww, resnet with `auto` by end-to-end cycles (the host cost model, host/cost.ts), next to `auto`
//     by array cycles (modelled host figures for that column);
//  3. host-only: the same model (the paper layer: a conv of the same shape) in the Cortex-M backend's
//     portable C on the RV32 core alone (QEMU riscv32 + the same cycle model).
// End to end is given serial (host idle while the array runs) and overlapped (the emitted C post-processes
// launch l while the array runs l + 1; bus contention between core and array not modelled).
// Energy: the array's from the per-operation table (an estimate); the host's is given per milliwatt of core
// power (hostEnergyJPerMw): no X-HEEP / HEEPocrates power figure was verified for this report.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../compiler/frontend/load.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import { makeArch } from '../cgra-mapper/arch.ts';
import { int8Tensors, mapModule, planHostCycles, randomInputs } from '../cgra-mapper/map-model.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import { emitModel } from '../mcu-backend/emit/model.ts';
import { modelRv32Run } from '../mcu-backend/timing/rv32-model.ts';
import { endToEnd, measureCosim } from '../cgra-mapper/host/measure.ts';
import { strategyByName } from '../cgra-mapper/strategies/index.ts';
import { emitHostApp } from '../cgra-mapper/host/app.ts';
import { recordLayer } from '../cgra-mapper/host/cosim.ts';
import { layerCosimFiles, modelCosimFiles } from '../cgra-mapper/host/cosim-files.ts';
import { hostCost } from '../cgra-mapper/host/cost.ts';
import { layerProgram } from '../cgra-mapper/host/layer-program.ts';
import { GoldenRuntime } from '../runtime-wasm/host.ts';
import { paperLayer, paperLayerGraph } from '../tests/helpers/paper-layer.ts';
import { modelPath, repoRoot, type ModelKey } from '../tests/helpers/paths.ts';

const arch = makeArch({ callCycles: 190 });
const CLOCK_S = 10e-9;
const CORE = 'cv32e40p' as const;
const work = (n: string): string => join(repoRoot, '.cache', 'cgra-e2e', n);

function hostOnly(graph: Graph, input: Int8Array, name: string): Record<string, number> {
  const km = runPipeline(graph, { arith: 'tflm' });
  const em = emitModel(km, { cpu: 'm3', dsp: false });
  const dir = work(`host-only-${name}`);
  mkdirSync(dir, { recursive: true });
  const r = modelRv32Run(em, [input], ['cv32e40p', 'cv32e20'], dir);
  return { cv32e40p: r.runs.cv32e40p!.invoke.total, cv32e20: r.runs.cv32e20!.invoke.total };
}

function paper(): object {
  const { L, input, want } = paperLayer();
  const g = paperLayerGraph();
  const base = hostOnly(g.graph, g.input, 'paper');
  const res: Record<string, object> = {};
  for (const s of ['checker-fxp', 'checker']) {
    const plan = strategyByName(s)!.plan(L, arch);
    const prog = layerProgram(plan, 'tflm');
    const rec = recordLayer(plan, input, arch);
    const A = rec.launches.map((l) => l.arrayCycles);
    const array = A.reduce((a, b) => a + b, 0);
    const energy = rec.launches.reduce((a, l) => a + l.energyJ, 0);
    const m = measureCosim(layerCosimFiles(prog, rec.launches, input, arch, 'paper'), work(`paper-${s}`), 'invoke');
    const exact = m.mismatches === 0 && want.every((v, i) => m.output[i] === v);
    const perCore: Record<string, object> = {};
    for (const core of ['cv32e40p', 'cv32e20'] as const) {
      const h = m.cycles[core][0];
      const e = endToEnd(h, A);
      perCore[core] = { host: h, endToEndSerial: e.serial, endToEndOverlapped: e.overlapped, macPerCycleSerial: L.macs / e.serial, macPerCycleOverlapped: L.macs / e.overlapped,
        hostOnlyCycles: base[core], speedupSerial: base[core] / e.serial, speedupOverlapped: base[core] / e.overlapped };
    }
    const c = perCore[CORE] as { host: { pre: number; launch: number; post: number; total: number }; endToEndSerial: number; endToEndOverlapped: number; macPerCycleSerial: number; macPerCycleOverlapped: number; speedupSerial: number; speedupOverlapped: number };
    res[s] = { arrayCycles: array, arrayPerLaunch: A, arrayOnlyMacPerCycleWith190: L.macs / (array + 190 * A.length), hostInstructions: m.instructions[0], cores: perCore,
      bitExactCosim: exact, stagedMemoryMismatches: m.mismatches, arrayEnergyJ: energy, hostEnergyJPerMw: c.host.total * CLOCK_S * 1e-3, hostModel: hostCost(prog) };
    console.log(`paper ${s.padEnd(11)} array ${array} + host ${c.host.total} (pre ${c.host.pre}, launch ${c.host.launch}, post ${c.host.post}; ${CORE}) = ${c.endToEndSerial} serial / ${c.endToEndOverlapped} overlapped: ` +
      `${c.macPerCycleSerial.toFixed(3)} / ${c.macPerCycleOverlapped.toFixed(3)} MAC/cycle, ${c.speedupSerial.toFixed(1)}x / ${c.speedupOverlapped.toFixed(1)}x host-only (${base[CORE]}); bit-exact ${exact}`);
  }
  return { macs: L.macs, hostOnlyCycles: base, strategies: res, targets: { macPerCycle: 2.0, speedupVsHostOnly: 20 } };
}

async function model(key: ModelKey): Promise<object> {
  const path = modelPath(key);
  if (!path) throw new Error(`model ${key} missing`);
  const graph = loadModel(path).graph;
  const km = runPipeline(graph, { arith: 'tflm' });
  const golden = await GoldenRuntime.load();
  const [inp] = randomInputs(graph, 1, 7);
  const input = inp[0] as Int8Array;
  const base = hostOnly(graph, input, key);
  // auto by array cycles, host figures from the host cost model.
  const byArray = mapModule(km, { arch, strategy: 'auto' }, graph);
  const modelled = byArray.reduce((a, m) => { const h = planHostCycles(m.choice.plan, 'tflm'); return { array: a.array + m.choice.plan.cost.shared, host: a.host + (h ?? 0) }; }, { array: 0, host: 0 });
  // auto by end-to-end cycles, measured.
  const mapped = mapModule(km, { arch, strategy: 'auto', endToEnd: 'tflm' }, graph);
  const app = emitHostApp(km, mapped, 'tflm', arch);
  const t = int8Tensors(golden.run(graph, inp, { arith: 'tflm', keepAll: true }).tensors!);
  const byName = new Map(graph.tensors.map((x) => [x.name, x.id]));
  const recs = app.layers.map((l) => {
    const m = mapped.find((x) => x.op.index === l.op)!;
    return recordLayer(l.prog.plan, t.get(byName.get(km.buffers[m.op.inputs[0]].name)!)!, arch).launches;
  });
  const m = measureCosim(modelCosimFiles(app, recs, input), work(key), 'layer');
  const want = t.get(graph.outputs[0])!;
  const exact = m.mismatches === 0 && want.every((v, i) => m.output[i] === v);
  const perCore: Record<string, object> = {};
  let macs = 0;
  for (const core of ['cv32e40p', 'cv32e20'] as const) {
    let serial = 0, overlapped = 0, array = 0, host = 0;
    const layers = km.ops.map((op, i) => {
      const al = app.layers.find((l) => l.op === i);
      const A = al ? recs[al.id].map((l) => l.arrayCycles) : [];
      const h = m.cycles[core][i];
      const e = endToEnd(h, A);
      serial += e.serial; overlapped += e.overlapped; array += A.reduce((a, b) => a + b, 0); host += h.total;
      return { index: i, name: op.name, kind: op.kind, macs: op.macs, strategy: al?.prog.plan.strategy ?? 'cpu', arrayCycles: A.reduce((a, b) => a + b, 0), host: { pre: h.pre, launch: h.launch, post: h.post, total: h.total }, endToEndSerial: e.serial, endToEndOverlapped: e.overlapped };
    });
    macs = layers.reduce((a, l) => a + l.macs, 0);
    perCore[core] = { arrayCycles: array, hostCycles: host, endToEndSerial: serial, endToEndOverlapped: overlapped, macPerCycleSerial: macs / serial, macPerCycleOverlapped: macs / overlapped,
      hostOnlyCycles: base[core], speedupSerial: base[core] / serial, speedupOverlapped: base[core] / overlapped, layers };
    if (core === CORE) {
      console.log(`${key.padEnd(6)} auto by array cycles: array ${modelled.array} + host ${modelled.host} (modelled) = ${(macs / (modelled.array + modelled.host)).toFixed(3)} MAC/cycle`);
      console.log(`${key.padEnd(6)} auto by end to end:   array ${array} + host ${host} (${core}, QEMU) = ${serial} serial / ${overlapped} overlapped: ${(macs / serial).toFixed(3)} / ${(macs / overlapped).toFixed(3)} MAC/cycle; ` +
        `host-only ${base[core]}: ${(base[core] / serial).toFixed(1)}x / ${(base[core] / overlapped).toFixed(1)}x; bit-exact ${exact} (staged-memory mismatches ${m.mismatches})`);
      for (const l of layers) console.log(`  ${String(l.index).padStart(2)} ${l.kind.padEnd(17)} ${l.strategy.padEnd(12)} array ${String(l.arrayCycles).padStart(8)} host ${String(l.host.total).padStart(8)} (pre ${l.host.pre}, launch ${l.host.launch}, post ${l.host.post})`);
    }
  }
  const arrayEnergyJ = recs.flat().reduce((a, l) => a + l.energyJ, 0);
  return { macs, autoByArray: { arrayCycles: modelled.array, hostCyclesModelled: modelled.host, strategies: byArray.map((x) => x.choice.plan.strategy) },
    autoByEndToEnd: { strategies: mapped.map((x) => x.choice.plan.strategy), candidates: mapped.map((x) => ({ layer: x.name, candidates: x.choice.candidates.filter((c) => c.estimate).map((c) => ({ strategy: c.strategy, array: c.estimate!.shared, host: c.host ?? null })) })) },
    cores: perCore, bitExactCosim: exact, stagedMemoryMismatches: m.mismatches, refused: app.refused, arrayEnergyJ, targets: { macPerCycle: 1.5, speedupVsHostOnly: 10 } };
}

export default async function run(): Promise<object> {
  const models: Record<string, object> = {};
  const paperFigures = paper();
  for (const k of ['kws', 'vww', 'resnet'] as const) models[k] = await model(k);
  return {
    arch: { rows: 4, cols: 4, bus: 'shared' },
    host: 'QEMU riscv32 instruction counts and block profile, cycles from the RV32 cycle model (CV32E40P, CV32E20); headline core cv32e40p',
    hostPower: 'not applied: hostEnergyJPerMw is the host energy per milliwatt of core power',
    paperLayer: paperFigures,
    models,
  };
}
