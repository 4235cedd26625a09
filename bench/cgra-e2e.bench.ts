// OpenEdgeCGRA end to end on X-HEEP (issue 15). One row per workload (kws, vww, resnet, ad01, str_ww and the
// CF'24 paper's layer, tests/helpers/paper-layer.ts), one column per way of running it; each column is a
// function of the workload (COLUMNS below), so a new column is one function and one entry.
//
// Column `hostOnly`: the whole network on X-HEEP's RV32 host alone, with the best portable C the Cortex-M
// backend emits, compiled for rv32imc (riscv64-unknown-elf-gcc -O2, picolibc) and run on QEMU riscv32
// (mcu-backend/harness/rv32.ts). Two sources are tried: the generic kernels (what a core without DSP gets)
// and the DSP kernels' source through runtime.h's portable intrinsics (-DTF_HOST_SIMD=1); each must equal
// the golden runtime on 2 random inputs, and the better one per core is the baseline. Models with ADDs get a
// third source, the generic kernels with the host program's table ADD (cgra-mapper/host/cpu-add.ts), so the
// baseline has every CPU kernel the end-to-end program has. Instructions are
// counted by the plugin (exact, markers 3..4 of the first input); cycles are MODELLED for CV32E40P and
// CV32E20 (mcu-backend/timing/rv32-model.ts: the cores' user-manual timing, zero-wait memory).
//
// Column `endToEnd`: the layers OpenEdgeCGRA runs on the array (shared bus, the simulator's cycles), the rest
// and every array layer's host work (pre-steps, context load and launches, post-steps) as the host program
// (cgra-mapper/host/) on the same RV32 core: its C runs on QEMU riscv32 with the simulator's launches replayed
// into it (the C program hashes its own staged memory against the simulator's before every launch), output
// compared with the golden runtime; host cycles modelled as above, per layer and stage. Strategies: `auto` by
// end-to-end cycles (host/cost.ts, with each strategy's planEndToEnd where it has one); `auto` by array cycles
// is given with its modelled host cycles that the array does not hide. End to end is serial (host idle while
// the array runs) and overlapped (the emitted C's own schedule: it stages launch l + 1's words and
// post-processes launch l - 1 while the array runs l, replayed on host/timeline.ts from the measured segments;
// bus contention between core and array not modelled). Energy: the array's from the
// per-operation table (an estimate); the host's per milliwatt of core power (no X-HEEP / HEEPocrates power
// figure verified for this report). `paperStrategies`: the paper layer as the mapper's record
// (tests/helpers/paper-layer.ts paperLayer) under checker-slide, checker-fxp and checker, checked against a
// direct loop. `TF_BENCH_ONLY=paper` (comma-separated keys) runs only those workloads; scripts/bench.mjs then
// leaves bench/results alone (the figures go to .cache/bench/cgra-e2e.json).
import { loadModel } from '../compiler/frontend/load.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import type { KernelModule } from '../compiler/kernel-ir/types.ts';
import { emitModel } from '../mcu-backend/emit/model.ts';
import { goldenOutputBytes, randomGraphInputs } from '../mcu-backend/verify.ts';
import { modelRv32Run } from '../mcu-backend/timing/rv32-model.ts';
import { RV32_CORES, type Rv32Core } from '../mcu-backend/timing/rv32-cores.ts';
import { GoldenRuntime } from '../runtime-wasm/host.ts';
import { modelPath, type ModelKey } from '../tests/helpers/paths.ts';
import { paperLayer, paperLayerGraph } from '../tests/helpers/paper-layer.ts';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { makeArch } from '../cgra-mapper/arch.ts';
import { int8Tensors, mapModule, planHostCycles } from '../cgra-mapper/map-model.ts';
import { strategyByName } from '../cgra-mapper/strategies/index.ts';
import { emitHostApp, hostAdds } from '../cgra-mapper/host/app.ts';
import { recordLayer } from '../cgra-mapper/host/cosim.ts';
import { layerCosimFiles, modelCosimFiles } from '../cgra-mapper/host/cosim-files.ts';
import { hostCost } from '../cgra-mapper/host/cost.ts';
import { layerProgram } from '../cgra-mapper/host/layer-program.ts';
import { endToEnd, measureCosim, type StageCycles } from '../cgra-mapper/host/measure.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One network (or layer) and what every column needs to run it. */
export interface Workload {
  key: string;
  graph: Graph;
  module: KernelModule;
  /** Raw input bytes, 2 random inputs (seeded). */
  inputs: Int8Array[];
  /** The golden runtime's outputs for `inputs`. */
  want: Int8Array[];
  macs: number;
}

export interface Context { golden: GoldenRuntime; work: string }

const MODEL_KEYS: ModelKey[] = ['kws', 'vww', 'resnet', 'ad01', 'str_ww'];

function workload(key: string, graph: Graph, golden: GoldenRuntime): Workload {
  const module = runPipeline(graph, { arith: 'tflm' });
  const inputs = randomGraphInputs(graph, 2, 15);
  const want = inputs.map((x) => goldenOutputBytes(golden, graph, module.arith, x));
  const macs = module.ops.reduce((a, o) => a + (o.macs ?? 0), 0);
  return { key, graph, module, inputs, want, macs };
}

/** `TF_BENCH_ONLY=paper,kws`: only these workloads (keys as in the table); the paper layer's strategy rows run with `paper`.
 *  `TF_BENCH_COLUMNS=endToEnd`: only these columns. Either makes the run partial (scripts/bench.mjs keeps bench/results). */
const ONLY = process.env.TF_BENCH_ONLY?.split(',').map((s) => s.trim()).filter(Boolean);
const ONLY_COLUMNS = process.env.TF_BENCH_COLUMNS?.split(',').map((s) => s.trim()).filter(Boolean);
const wanted = (key: string): boolean => !ONLY || ONLY.includes(key);

function workloads(golden: GoldenRuntime): Workload[] {
  const out: Workload[] = [];
  for (const key of MODEL_KEYS.filter(wanted)) {
    const path = modelPath(key);
    if (!path) throw new Error(`model ${key} missing`);
    out.push(workload(key, loadModel(path).graph, golden));
  }
  if (wanted('paper')) out.push(workload('paper', paperLayerGraph(), golden));
  return out;
}

const equal = (a: Int8Array, b: Int8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

export interface HostOnlySource {
  source: 'generic' | 'simd-portable' | 'generic+table-add';
  bitExact: boolean;
  instructions: number;
  cycles: Record<Rv32Core, number>;
}
export interface HostOnly {
  /** The better bit-exact source per core, its modelled cycles and MAC/cycle. */
  best: Record<Rv32Core, { source: HostOnlySource['source']; cycles: number; macPerCycle: number }>;
  /** Counted instructions of the best source on CV32E40P. */
  instructions: number;
  sources: HostOnlySource[];
}

/** Column `hostOnly`: the network entirely on the RV32 host (see the header). */
export function hostOnlyColumn(w: Workload, ctx: Context): HostOnly {
  const sources: HostOnlySource[] = [];
  for (const simd of [false, true]) {
    const em = emitModel(w.module, { cpu: 'm4', dsp: simd });
    const r = modelRv32Run(em, w.inputs, RV32_CORES, mkdtempSync(join(ctx.work, `${w.key}-${simd ? 'simd' : 'generic'}-`)), { simd });
    const cycles = Object.fromEntries(RV32_CORES.map((c) => [c, r.runs[c].invoke.total])) as Record<Rv32Core, number>;
    sources.push({ source: simd ? 'simd-portable' : 'generic', bitExact: r.outputs.every((o, i) => equal(o, w.want[i])), instructions: r.invokeInstructions[0], cycles });
  }
  // The generic kernels with the host program's table ADD (cgra-mapper/host/cpu-add.ts), when the model has one.
  const adds = hostAdds(w.module, 'ho');
  if (adds.size) {
    const em = emitModel(w.module, { cpu: 'm4', dsp: false }, { memory: 'whole', offload: new Map([...adds].map(([op, a]) => [op, a.fn])), offloadHeader: 'ho_add.h' });
    em.extraFiles = { ...em.extraFiles, 'ho_add.h': `#include <stdint.h>\n${[...adds.values()].map((a) => `void ${a.fn}(const int8_t *a, const int8_t *b, int8_t *out);`).join('\n')}\n`,
      'ho_add.c': `#include "runtime.h"\n#include "ho_add.h"\n${[...adds.values()].map((a) => a.c).join('\n')}\n` };
    const r = modelRv32Run(em, w.inputs, RV32_CORES, mkdtempSync(join(ctx.work, `${w.key}-table-add-`)));
    const cycles = Object.fromEntries(RV32_CORES.map((c) => [c, r.runs[c].invoke.total])) as Record<Rv32Core, number>;
    sources.push({ source: 'generic+table-add', bitExact: r.outputs.every((o, i) => equal(o, w.want[i])), instructions: r.invokeInstructions[0], cycles });
  }
  const ok = sources.filter((s) => s.bitExact);
  if (ok.length === 0) throw new Error(`${w.key}: no RV32 build equals the golden runtime`);
  const best = Object.fromEntries(RV32_CORES.map((c) => {
    const s = ok.reduce((a, b) => (b.cycles[c] < a.cycles[c] ? b : a));
    return [c, { source: s.source, cycles: s.cycles[c], macPerCycle: +(w.macs / s.cycles[c]).toFixed(4) }];
  })) as HostOnly['best'];
  return { best, instructions: ok.find((s) => s.source === best.cv32e40p.source)!.instructions, sources };
}

const arch = makeArch({ callCycles: 190 });

/** Raw input bytes -> the golden runtime's per-input arrays (float32 edges as floats). */
function splitInputs(graph: Graph, bytes: Int8Array): Array<Int8Array | Float32Array> {
  let at = 0;
  return graph.inputs.map((id) => {
    const t = graph.tensors[id];
    const n = t.shape.reduce((a, b) => a * b, 1) * (t.dtype === 'float32' ? 4 : 1);
    const part = bytes.slice(at, (at += n));
    return t.dtype === 'float32' ? new Float32Array(part.buffer) : part;
  });
}

export interface EndToEndCore {
  arrayCycles: number; hostCycles: number; endToEndSerial: number; endToEndOverlapped: number; macPerCycleSerial: number; macPerCycleOverlapped: number;
  layers: Array<{ index: number; name: string; kind: string; macs: number; strategy: string; arrayCycles: number; host: Omit<StageCycles, 'postPerLaunch'>; endToEndSerial: number; endToEndOverlapped: number }>;
}
export interface EndToEnd {
  bitExact: boolean; stagedMemoryMismatches: number; refused: Array<{ name: string; reason: string }>;
  autoByArray: { arrayCycles: number; hostCyclesModelled: number; strategies: string[] };
  autoByEndToEnd: { strategies: string[]; candidates: Array<{ layer: string; candidates: Array<{ strategy: string; array: number; host: number | null }> }> };
  cores: Record<Rv32Core, EndToEndCore>; arrayEnergyJ: number; hostEnergyJPerMw: Record<Rv32Core, number>;
}

/** Column `endToEnd` (see the header). */
export function endToEndColumn(w: Workload, ctx: Context): EndToEnd {
  const km = w.module;
  const byArray = mapModule(km, { arch, strategy: 'auto' }, w.graph);
  const mArr = byArray.reduce((a, m) => ({ array: a.array + m.choice.plan.cost.shared, host: a.host + (planHostCycles(m.choice.plan, km.arith) ?? 0) }), { array: 0, host: 0 });
  const mapped = mapModule(km, { arch, strategy: 'auto', endToEnd: km.arith }, w.graph);
  const app = emitHostApp(km, mapped, km.arith, arch);
  const t = int8Tensors(ctx.golden.run(w.graph, splitInputs(w.graph, w.inputs[0]), { arith: km.arith, keepAll: true }).tensors!);
  const byName = new Map(w.graph.tensors.map((x) => [x.name, x.id]));
  const recs = app.layers.map((l) => {
    const m = mapped.find((x) => x.op.index === l.op)!;
    return recordLayer(l.prog.plan, t.get(byName.get(km.buffers[m.op.inputs[0]].name)!)!, arch, 'shared', undefined, l.prog).launches;
  });
  const dir = join(ctx.work, `e2e-${w.key}`);
  mkdirSync(dir, { recursive: true });
  const run = measureCosim(modelCosimFiles(app, recs, w.inputs[0]), dir, 'layer');
  const cores = {} as Record<Rv32Core, EndToEndCore>;
  for (const core of RV32_CORES) {
    const layers = km.ops.map((op, i) => {
      const al = app.layers.find((l) => l.op === i);
      const A = al ? recs[al.id].map((l) => l.arrayCycles) : [];
      const h = run.cycles[core][i];
      const e = endToEnd(h, A);
      const { postPerLaunch: _, segs: _s, ...host } = h;
      return { index: i, name: op.name, kind: op.kind, macs: op.macs ?? 0, strategy: al?.prog.plan.strategy ?? 'cpu', arrayCycles: A.reduce((a, b) => a + b, 0), host, endToEndSerial: e.serial, endToEndOverlapped: e.overlapped };
    });
    const sum = (f: (l: (typeof layers)[number]) => number) => layers.reduce((a, l) => a + f(l), 0);
    const serial = sum((l) => l.endToEndSerial), overlapped = sum((l) => l.endToEndOverlapped);
    cores[core] = { arrayCycles: sum((l) => l.arrayCycles), hostCycles: sum((l) => l.host.total), endToEndSerial: serial, endToEndOverlapped: overlapped,
      macPerCycleSerial: +(w.macs / serial).toFixed(4), macPerCycleOverlapped: +(w.macs / overlapped).toFixed(4), layers };
  }
  return {
    bitExact: run.mismatches === 0 && equal(run.output, w.want[0]), stagedMemoryMismatches: run.mismatches, refused: app.refused.map((r) => ({ name: r.name, reason: r.reason })),
    autoByArray: { arrayCycles: mArr.array, hostCyclesModelled: mArr.host, strategies: byArray.map((x) => x.choice.plan.strategy) },
    autoByEndToEnd: { strategies: mapped.map((x) => x.choice.plan.strategy), candidates: mapped.map((x) => ({ layer: x.name, candidates: x.choice.candidates.filter((c) => c.estimate).map((c) => ({ strategy: c.strategy, array: c.estimate!.shared, host: c.host ?? null })) })) },
    cores, arrayEnergyJ: recs.flat().reduce((a, l) => a + l.energyJ, 0),
    hostEnergyJPerMw: Object.fromEntries(RV32_CORES.map((c) => [c, cores[c].hostCycles * 10e-9 * 1e-3])) as Record<Rv32Core, number>,
  };
}

/** The paper layer as the mapper's record under checker-slide, checker-fxp and checker (host measured as in endToEnd). */
function paperStrategies(ctx: Context): Record<string, unknown> {
  const { L, input, want } = paperLayer();
  const out: Record<string, unknown> = {};
  for (const s of ['checker-slide', 'checker-fxp', 'checker']) {
    const st = strategyByName(s)!;
    const plan = (st.planEndToEnd ?? st.plan)(L, arch);
    const prog = layerProgram(plan, 'tflm');
    const rec = recordLayer(plan, input, arch, 'shared', undefined, prog);
    const A = rec.launches.map((l) => l.arrayCycles);
    const dir = join(ctx.work, `paper-${s}`);
    mkdirSync(dir, { recursive: true });
    const m = measureCosim(layerCosimFiles(prog, rec.launches, input, arch, 'paper'), dir, 'invoke');
    const cores = Object.fromEntries(RV32_CORES.map((c) => {
      const h = m.cycles[c][0];
      const e = endToEnd(h, A);
      const { segs: _s, ...hs } = h;
      return [c, { host: hs, endToEndSerial: e.serial, endToEndOverlapped: e.overlapped, macPerCycleSerial: +(L.macs / e.serial).toFixed(4), macPerCycleOverlapped: +(L.macs / e.overlapped).toFixed(4) }];
    }));
    out[s] = { arrayCycles: A.reduce((a, b) => a + b, 0), launches: A.length, hostInstructions: m.instructions[0], hostModel: hostCost(prog), cores,
      bitExact: m.mismatches === 0 && equal(m.output, want), arrayEnergyJ: rec.launches.reduce((a, l) => a + l.energyJ, 0) };
  }
  return out;
}

/** The columns, in table order; each gets the workload and the shared context and returns JSON-able figures. */
export const COLUMNS: Array<{ name: string; run: (w: Workload, ctx: Context) => unknown }> = [
  { name: 'hostOnly', run: hostOnlyColumn },
  { name: 'endToEnd', run: endToEndColumn },
];

export default async function run() {
  const golden = await GoldenRuntime.load();
  const ctx: Context = { golden, work: mkdtempSync(join(tmpdir(), 'tf-cgra-e2e-')) };
  const rows: Array<Record<string, unknown>> = [];
  const table = ['workload  MACs         host-only (RV32IMC, best portable C)',
    '                       instructions  CV32E40P cycles  MAC/cyc  CV32E20 cycles  MAC/cyc  sources (bit-exact)'];
  for (const w of workloads(golden)) {
    const row: Record<string, unknown> = { workload: w.key, macs: w.macs };
    for (const col of COLUMNS.filter((c) => !ONLY_COLUMNS || ONLY_COLUMNS.includes(c.name))) row[col.name] = col.run(w, ctx);
    rows.push(row);
    const h = row.hostOnly as HostOnly | undefined;
    if (!h) continue;
    table.push(`${w.key.padEnd(8)}  ${w.macs.toLocaleString('en-US').padStart(11)}  ${h.instructions.toLocaleString('en-US').padStart(12)}  `
      + `${h.best.cv32e40p.cycles.toLocaleString('en-US').padStart(15)}  ${h.best.cv32e40p.macPerCycle.toFixed(3).padStart(7)}  `
      + `${h.best.cv32e20.cycles.toLocaleString('en-US').padStart(14)}  ${h.best.cv32e20.macPerCycle.toFixed(3).padStart(7)}  `
      + h.sources.map((s) => `${s.source} ${s.bitExact ? 'yes' : 'NO'}`).join(', '));
  }
  console.log(table.join('\n'));
  console.log('\nend to end (array on the simulator + host program on QEMU riscv32, CV32E40P / CV32E20 cycles): serial / overlapped');
  for (const row of rows) {
    const e = row.endToEnd as EndToEnd | undefined, macs = row.macs as number;
    if (!e) continue;
    if (!row.hostOnly) {
      const c = e.cores.cv32e40p;
      console.log(`${String(row.workload).padEnd(8)} array ${c.arrayCycles.toLocaleString('en-US')} + host ${c.hostCycles.toLocaleString('en-US')}: CV32E40P ${c.endToEndSerial.toLocaleString('en-US')} / ${c.endToEndOverlapped.toLocaleString('en-US')} cycles = ${c.macPerCycleSerial.toFixed(3)} / ${c.macPerCycleOverlapped.toFixed(3)} MAC/cycle; bit-exact ${e.bitExact} (no host-only column)`);
      continue;
    }
    const h = row.hostOnly as HostOnly;
    const c = (k: Rv32Core) => `${e.cores[k].endToEndSerial.toLocaleString('en-US')} / ${e.cores[k].endToEndOverlapped.toLocaleString('en-US')} cycles = ` +
      `${e.cores[k].macPerCycleSerial.toFixed(3)} / ${e.cores[k].macPerCycleOverlapped.toFixed(3)} MAC/cycle, ${(h.best[k].cycles / e.cores[k].endToEndSerial).toFixed(1)}x / ${(h.best[k].cycles / e.cores[k].endToEndOverlapped).toFixed(1)}x host-only`;
    console.log(`${String(row.workload).padEnd(8)} array ${e.cores.cv32e40p.arrayCycles.toLocaleString('en-US')} + host ${e.cores.cv32e40p.hostCycles.toLocaleString('en-US')}: CV32E40P ${c('cv32e40p')}; CV32E20 ${c('cv32e20')}; ` +
      `bit-exact ${e.bitExact}; auto by array: ${e.autoByArray.arrayCycles.toLocaleString('en-US')} + ${e.autoByArray.hostCyclesModelled.toLocaleString('en-US')} modelled = ${(macs / (e.autoByArray.arrayCycles + e.autoByArray.hostCyclesModelled)).toFixed(3)} MAC/cycle`);
    for (const k of RV32_CORES) (e.cores[k] as EndToEndCore & { speedupSerial?: number; speedupOverlapped?: number }).speedupSerial = +(h.best[k].cycles / e.cores[k].endToEndSerial).toFixed(3);
    for (const k of RV32_CORES) (e.cores[k] as EndToEndCore & { speedupOverlapped?: number }).speedupOverlapped = +(h.best[k].cycles / e.cores[k].endToEndOverlapped).toFixed(3);
  }
  const paperStrat = wanted('paper') ? paperStrategies(ctx) : {};
  for (const [s, v] of Object.entries(paperStrat)) {
    const x = v as { arrayCycles: number; cores: Record<Rv32Core, { host: StageCycles; endToEndSerial: number; endToEndOverlapped: number; macPerCycleSerial: number; macPerCycleOverlapped: number }>; bitExact: boolean };
    const c = x.cores.cv32e40p;
    console.log(`paper layer (mapper's record), ${s}: array ${x.arrayCycles} + host ${c.host.total} (pre ${c.host.pre}, launch ${c.host.launch}, post ${c.host.post}) = ${c.endToEndSerial} / ${c.endToEndOverlapped} cycles, ${c.macPerCycleSerial} / ${c.macPerCycleOverlapped} MAC/cycle on CV32E40P; bit-exact ${x.bitExact}`);
  }
  console.log('instructions counted on QEMU riscv32 (icount plugin); cycles MODELLED from the CV32E40P / CV32E20 user manuals (zero-wait memory)');
  return {
    note: 'Host-only baseline: each workload entirely on X-HEEP\'s RV32IMC host with the Cortex-M backend\'s portable C (generic kernels, or the DSP source through portable intrinsics; the better bit-exact one per core). Instructions counted by QEMU riscv32 + the icount plugin; cycles modelled (mcu-backend/timing/rv32-model.ts), not measured.',
    columns: COLUMNS.map((c) => c.name),
    targets: { paper: { macPerCycle: 2.0, speedupVsHostOnly: 20 }, kws: { macPerCycle: 1.5, speedupVsHostOnly: 10 }, vww: { macPerCycle: 1.5, speedupVsHostOnly: 10 }, resnet: { macPerCycle: 1.5, speedupVsHostOnly: 10 } },
    rows,
    paperStrategies: paperStrat,
  };
}
