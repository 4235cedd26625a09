// DVFS plans for the five real models on stm32l4r5 (Cortex-M4, measured on QEMU mps2-an386) and stm32h743
// (Cortex-M7, measured on mps2-an500), at latency budgets of 1.0x, 1.5x and 2x the max-clock latency:
// modelled energy of the per-segment plan against race-to-idle and the single lowest operating point.
// The models are built as `tinyforge build` builds them with targets.mcu.part: decoupled access-execute
// layers and DVFS hook calls. Measured on QEMU (icount plugin): the execute segments' instructions, the
// access segments' copy loops (markers 5/6) and the hook calls (7/8); loads are the kernels' analytic
// estimates; cycles follow the documented model in mcu-backend/dvfs/segments.ts. Energy is a model.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importTflite } from '../compiler/frontend/tflite/import.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import { mcuBuildStep } from '../mcu-backend/build.ts';
import { PARTS } from '../mcu-backend/dvfs/parts.ts';
import { dvfsSvg } from '../mcu-backend/dvfs/report.ts';
import { planModel } from '../mcu-backend/dvfs/wire.ts';
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
      const step = await mcuBuildStep(graph, module, { cpu, flash: 64 << 20, sram: 64 << 20, part: partName }, out, { verifyInputs: 0 });
      const counts = step.build.counts;
      if (!counts) throw new Error(`${key}: no measured instructions (QEMU missing?)`);
      const em = step.build.em;
      const maxClockUs = planModel(em, part, counts).maxClockUs;
      const instructions = counts.layers.reduce((s, x) => s + x, 0);
      const accessInstructions = (counts.access ?? []).reduce((s, x) => s + x, 0);
      const hookInstructions = (counts.hooks ?? []).reduce((s, x) => s + x, 0);
      const stagedBytes = em.layers.reduce((s, l) => s + (l.dae?.stageBytes ?? 0), 0);
      for (const k of BUDGETS) {
        const d = planModel(em, part, counts, (k * maxClockUs) / 1000);
        const r = d.result, input = d.input, points = d.points;
        rows.push({ model: key, part: partName, cpu, budget: k, deadlineUs: Math.round(input.deadlineUs), instructions, accessInstructions, hookInstructions, hookCalls: em.segments.length, stagedBytes,
          accessUsAtMax: input.segments.filter((s) => s.kind === 'access').reduce((s, seg) => s + (seg.cycles + seg.flashLines * points[0]!.waitStates) / points[0]!.fMHz, 0),
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
