// DVFS plans for the five real models on stm32l4r5 (Cortex-M4, measured on QEMU mps2-an386) and stm32h743
// (Cortex-M7, measured on mps2-an500), at latency budgets of 1.0x, 1.5x and 2x the max-clock latency:
// modelled energy of the per-segment plan against race-to-idle and the single lowest operating point.
// Per-layer instruction counts are measured (QEMU plugin); loads are the kernels' analytic estimates;
// access segments (weights streamed from flash) follow the documented cycle model in
// mcu-backend/dvfs/segments.ts. Energy is a model, not a measurement.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTflite } from '../compiler/frontend/tflite/import.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import { mcuBuildStep } from '../mcu-backend/build.ts';
import { PARTS, operatingPoints } from '../mcu-backend/dvfs/parts.ts';
import { raceToIdle } from '../mcu-backend/dvfs/planner.ts';
import { dvfsSvg, runDvfs } from '../mcu-backend/dvfs/report.ts';
import { buildSegments, type LayerCost } from '../mcu-backend/dvfs/segments.ts';
import { MODELS, modelPath, repoRoot, type ModelKey } from '../tests/helpers/paths.ts';

const PART_CPU = { stm32l4r5: 'cortex-m4', stm32h743: 'cortex-m7' } as const;
const BUDGETS = [1.0, 1.5, 2.0];

export default async function run() {
  const rows: unknown[] = [];
  let best = { saving: -1, where: '' };
  const table: string[] = ['model   part        budget  plan uJ    race uJ    lowest uJ  vs race  vs lowest  switches'];
  for (const key of Object.keys(MODELS) as ModelKey[]) {
    const path = modelPath(key);
    if (!path) throw new Error(`model ${key} missing`);
    const graph = importTflite(new Uint8Array(readFileSync(path)), MODELS[key]);
    const module = runPipeline(graph, { arith: 'tflm' });
    for (const [partName, cpu] of Object.entries(PART_CPU)) {
      const part = PARTS[partName]!;
      const out = mkdtempSync(join(tmpdir(), `tf-dvfs-${key}-`));
      const step = await mcuBuildStep(graph, module, { cpu, flash: 64 << 20, sram: 64 << 20 }, out, { verifyInputs: 0 });
      const layers: LayerCost[] = step.build.layers.map((l) => {
        if (l.instructions === undefined) throw new Error(`${key}: no measured instructions for layer ${l.index} (QEMU missing?)`);
        return { name: `${l.index}:${l.name}`, instructions: l.instructions, loads: Math.round((l.estimatedLoadsPerMac ?? 0) * l.macs), weightBytes: l.constBytes };
      });
      const points = operatingPoints(part);
      const segments = buildSegments(layers, part);
      const fastest = raceToIdle({ part, points, segments, deadlineUs: Number.MAX_SAFE_INTEGER }).busyUs;
      for (const k of BUDGETS) {
        const input = { part, points, segments, deadlineUs: fastest * k };
        const r = runDvfs(input);
        rows.push({ model: key, part: partName, cpu, budget: k, deadlineUs: Math.round(input.deadlineUs), instructions: layers.reduce((s, l) => s + l.instructions, 0),
          planUj: r.plan.energyUj, raceToIdleUj: r.raceToIdle.energyUj, lowestPointUj: r.lowestPoint.energyUj,
          lowestPointMHz: points[r.lowestPoint.choice[0] ?? 0]!.fMHz, lowestPointFeasible: r.lowestPoint.feasible,
          savingVsRace: r.savingVsRace, savingVsLowest: r.savingVsLowest, switches: r.plan.switches,
          segmentsMHz: r.plan.choice.map((c) => points[c]!.fMHz) });
        if (r.savingVsRace > best.saving) best = { saving: r.savingVsRace, where: `${key} on ${partName} at ${k}x` };
        table.push(`${key.padEnd(8)}${partName.padEnd(12)}${k.toFixed(1).padStart(6)}  ${r.plan.energyUj.toFixed(1).padStart(9)}  ${r.raceToIdle.energyUj.toFixed(1).padStart(9)}  ${r.lowestPoint.energyUj.toFixed(1).padStart(9)}  ${(100 * r.savingVsRace).toFixed(1).padStart(6)}%  ${(100 * r.savingVsLowest).toFixed(1).padStart(8)}%  ${String(r.plan.switches).padStart(8)}`);
        if (key === 'kws' && k === 1.5) {
          mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
          writeFileSync(join(repoRoot, 'bench', 'results', `dvfs-kws-${partName}.svg`), dvfsSvg(part, points, input, r.plan, `kws on ${partName}, 1.5x max-clock latency`));
        }
      }
    }
  }
  console.log(table.join('\n'));
  console.log(`largest modelled saving vs race-to-idle: ${(100 * best.saving).toFixed(1)}% (${best.where})`);
  return {
    note: 'Energy is modelled from mcu-backend/dvfs/parts.ts (datasheet fits and proxies, see ../shared/docs/stm32-power.md), not measured. Execute cycles = measured instructions + estimated loads; access segments follow mcu-backend/dvfs/segments.ts.',
    bestSavingVsRace: best,
    rows,
  };
}
