// Modelled cycles of the four MLPerf Tiny models against the MLPerf Tiny records of the issue (closed
// division; cycles per MAC = latency x clock / MACs): NUCLEO-L4R5ZI (Cortex-M4, 120 MHz), NUCLEO-H7A3ZI-Q
// (Cortex-M7, 280 MHz), NUCLEO-U575ZI-Q (Cortex-M33, 160 MHz). Each model runs once on the core's QEMU
// board under the plugin's block profile with the part's flash caches simulated; the cycle model
// (mcu-backend/timing/) prices it with the core's timing and the part's wait states at that clock. The
// kernel variants are chosen as `tinyforge build` chooses them for the part: the schedule search minimising
// modelled cycles (probe runs priced for the part at the clock, mcu-backend/timing/probe.ts); the same
// builds with the search minimising estimated instructions are run too (column `instr obj`, the selection
// before the cycle objective). Two builds per part and objective: constants read from flash in the kernels
// (coupled), and decoupled access-execute where it pays (dae 'auto', as `tinyforge build` does with a DVFS
// part); the better one is compared. MODELLED figures, not measurements; the records are measured on
// boards. The targets are the issue's (1.3x better than the record on L4R5 and H7A3).
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTflite } from '../compiler/frontend/tflite/import.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import { emitModel } from '../mcu-backend/emit/model.ts';
import { randomInputs } from '../mcu-backend/verify.ts';
import { modelRun, type ModelledRun } from '../mcu-backend/timing/layers.ts';
import type { Schedule } from '../mcu-backend/stages/search.ts';
import { MODELS, modelPath } from '../tests/helpers/paths.ts';

type Key = 'kws' | 'vww' | 'resnet' | 'ad01';
const BOARDS = [
  { board: 'NUCLEO-L4R5ZI', part: 'stm32l4r5', cpu: 'm4', clockMHz: 120, system: 'X-CUBE-AI 9.0 (v1.2) / Plumerai for ad (v1.1)',
    record: { kws: 1.95, vww: 1.42, resnet: 1.59, ad01: 1.87 }, recordMs: { kws: 43.2, vww: 88.9, resnet: 165.1, ad01: 4.05 }, target: { kws: 1.50, vww: 1.09, resnet: 1.22, ad01: 1.44 } },
  { board: 'NUCLEO-H7A3ZI-Q', part: 'stm32h7a3', cpu: 'm7', clockMHz: 280, system: 'X-CUBE-AI 9.0 (v1.2)',
    record: { kws: 1.19, vww: 0.89, resnet: 0.91, ad01: 1.32 }, recordMs: { kws: 11.3, vww: 23.8, resnet: 40.8, ad01: 1.23 }, target: { kws: 0.92, vww: 0.68, resnet: 0.70, ad01: 1.02 } },
  { board: 'NUCLEO-U575ZI-Q', part: 'stm32u575', cpu: 'm33', clockMHz: 160, system: 'X-CUBE-AI 10.2 (v1.3)',
    record: { kws: 1.74, vww: 1.27, resnet: 1.40, ad01: 1.98 }, recordMs: undefined, target: undefined },
] as const;

export default async function run() {
  const rows: unknown[] = [];
  const table = ['board            model   MACs        instr obj  coupled c/MAC  dae c/MAC  best ms   record c/MAC  target  vs record  top stalls (best build)'];
  for (const key of ['kws', 'vww', 'resnet', 'ad01'] as Key[]) {
    const path = modelPath(key);
    if (!path) throw new Error(`model ${key} missing`);
    const graph = importTflite(new Uint8Array(readFileSync(path)), MODELS[key]);
    const module = runPipeline(graph, { arith: 'tflm' });
    const n = graph.inputs.reduce((s, id) => s + graph.tensors[id].shape.reduce((a, b) => a * b, 1), 0);
    const input = randomInputs(n, 1, 3)[0]!;
    for (const b of BOARDS) {
      const runs: Record<string, ModelledRun> = {};
      const variants: Record<string, string[]> = {};
      let objective: Schedule['objective'] | undefined;
      for (const obj of ['instructions', 'cycles'] as const) {
        for (const dae of [false, 'auto'] as const) {
          const em = emitModel(module, { cpu: b.cpu, dsp: true }, { dae, ...(obj === 'cycles' ? { cycles: { cpu: b.cpu, part: b.part, clockMHz: b.clockMHz } } : {}) });
          if (obj === 'cycles') objective = em.schedule?.objective;
          const dir = mkdtempSync(join(tmpdir(), `tf-cycles-${key}-${b.cpu}-`));
          const k = `${obj === 'cycles' ? '' : 'i-'}${dae ? 'dae' : 'coupled'}`;
          runs[k] = modelRun(em, input, b.cpu, dir, { part: b.part, clockMHz: b.clockMHz });
          variants[k] = em.layers.map((l) => l.variant);
          rmSync(dir, { recursive: true, force: true });
        }
      }
      if (objective?.kind !== 'modelled cycles') throw new Error(`${key} on ${b.part}: the search did not minimise modelled cycles (${objective?.note})`);
      const best = runs.dae!.invoke.total < runs.coupled!.invoke.total ? runs.dae! : runs.coupled!;
      const bestKey = best === runs.dae ? 'dae' : 'coupled';
      const instrBest = runs['i-dae']!.invoke.total < runs['i-coupled']!.invoke.total ? runs['i-dae']! : runs['i-coupled']!;
      const instrKey = instrBest === runs['i-dae'] ? 'i-dae' : 'i-coupled';
      // Layers whose variant the cycle objective changed (best builds of each objective).
      const changed = best.layers.flatMap((l, i) => (variants[bestKey]![i] !== variants[instrKey]![i] ? [{ index: l.index, name: l.name, instructionObjective: variants[instrKey]![i], cycleObjective: variants[bestKey]![i],
        cyclesBefore: instrBest.layers[i]!.cycles.total, cyclesAfter: l.cycles.total }] : []));
      const c = best.invoke;
      const stalls = { memory: c.memory, multiply: c.multiply, branch: c.branch, loadUse: c.loadUse, fetch: Math.round(c.fetch), flashData: Math.round(c.flashData) };
      const top = Object.entries(stalls).sort((x, y) => y[1] - x[1]).slice(0, 3).map(([k, v]) => `${k} ${(v / best.macs).toFixed(2)}`).join(', ');
      const record = b.record[key];
      const target = b.target?.[key];
      rows.push({ board: b.board, part: b.part, core: `cortex-${b.cpu}`, clockMHz: b.clockMHz, model: key, macs: best.macs, waitStates: best.waitStates,
        objective: objective.kind, probeModels: objective.probes, instructionObjectiveCyclesPerMac: instrBest.cyclesPerMac, variantsChanged: changed,
        coupledCyclesPerMac: runs.coupled!.cyclesPerMac, daeCyclesPerMac: runs.dae!.cyclesPerMac, bestBuild: bestKey,
        modelledCycles: c.total, modelledMs: best.latencyMs, instructions: c.instructions, stallsPerMac: Object.fromEntries(Object.entries(stalls).map(([k, v]) => [k, +(v / best.macs).toFixed(3)])),
        issuePerMac: +(c.issue / best.macs).toFixed(3), recordCyclesPerMac: record, recordMs: b.recordMs?.[key], recordSystem: b.system, targetCyclesPerMac: target,
        meetsTarget: target !== undefined ? best.cyclesPerMac! <= target : undefined, vsRecord: +(record / best.cyclesPerMac!).toFixed(3),
        // Where a target is missed: where the modelled cycles go, per layer (at least 1% of the invoke), stalls by cause.
        ...(target !== undefined && best.cyclesPerMac! > target ? { whereCyclesGo: best.layers.filter((l) => l.cycles.total >= 0.01 * c.total).map((l) => ({
          index: l.index, name: l.name, kind: l.kind, macs: l.macs, cycles: l.cycles.total, share: +(l.cycles.total / c.total).toFixed(3), cyclesPerMac: l.cyclesPerMac,
          issue: l.cycles.issue, stalls: { memory: l.cycles.memory, multiply: l.cycles.multiply, branch: l.cycles.branch, loadUse: l.cycles.loadUse, fetch: Math.round(l.cycles.fetch), flashData: Math.round(l.cycles.flashData) } })) } : {}) });
      table.push(`${b.board.padEnd(16)} ${key.padEnd(7)} ${best.macs.toLocaleString('en-US').padStart(10)}  ${String(instrBest.cyclesPerMac).padStart(9)}  ${String(runs.coupled!.cyclesPerMac).padStart(13)}  ${String(runs.dae!.cyclesPerMac).padStart(9)}  ${best.latencyMs!.toFixed(2).padStart(7)}  ${record.toFixed(2).padStart(12)}  ${target !== undefined ? target.toFixed(2).padStart(6) : '     -'}  ${(record / best.cyclesPerMac!).toFixed(2).padStart(8)}x  ${top}`);
    }
  }
  console.log(table.join('\n'));
  console.log('modelled cycles (mcu-backend/timing), not measured; kernels chosen by the schedule search minimising modelled cycles (instr obj: the best build when it minimises estimated instructions); records: MLPerf Tiny closed division results.txt, cycles/MAC = latency x clock / MACs');
  return { note: 'Modelled cycles (QEMU block profile + mcu-backend/timing cycle model with the part memory model) against MLPerf Tiny records; not measurements. Kernel variants chosen by the schedule search minimising modelled cycles for the part at its clock (objective, probeModels); instructionObjectiveCyclesPerMac is the best build when the search minimises estimated instructions instead, variantsChanged the layers whose variant differs between the two (modelled cycles of the layer under each). Rows that miss their target list whereCyclesGo: every layer with at least 1% of the modelled cycles, its cycles/MAC, issue cycles and stall cycles by cause (modelled, at the row\'s part and clock).', rows };
}
