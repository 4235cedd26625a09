// Issue #13's verification matrix: the five MLPerf Tiny models at three sram budgets each, built for
// Cortex-M3 (portable C), M4 and M7 (DSP kernels) by `tinyforge build`'s mcu step and checked bit-exact
// against the golden runtime on the host (gcc) and on the core's QEMU board (2 random inputs each).
// Budgets per model and core: 512 KiB (the fastest selection); the tightest budget the build accepts
// (from half the fastest selection's RAM, raised to what each refusal says it needs: the schedule search trades speed for memory
// with lean kernels, in-place and channel-split execution); and one halfway between. Prints one line per build; a build that is
// not bit-exact fails the bench. BENCH_MODELS=kws,vww limits the models (for a quick check).
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadModel } from '../compiler/frontend/load.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import { mcuBuildStep } from '../mcu-backend/build.ts';
import { MODELS, modelPath, type ModelKey } from '../tests/helpers/paths.ts';

const KB = 1024;
const CORES = ['cortex-m3', 'cortex-m4', 'cortex-m7'] as const;

interface Row {
  model: ModelKey; core: string; sramBudget: number; ramBytes: number; arenaBytes: number; flashBytes: number;
  instructionsPerMac: number | null; bitExact: Record<string, boolean>; inPlace: number; splitChains: number;
}

export default async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-bench-matrix-'));
  const rows: Row[] = [];
  try {
    const only = process.env.BENCH_MODELS?.split(',');
    for (const key of (Object.keys(MODELS) as ModelKey[]).filter((k) => !only || only.includes(k))) {
      const path = modelPath(key);
      if (!path) throw new Error(`${key}: model not found (../shared/models)`);
      const graph = loadModel(path).graph;
      const module = runPipeline(graph, { arith: 'tflm' });
      const macs = module.ops.reduce((s, op) => s + op.macs, 0);
      for (const core of CORES) {
        const build = async (sram: number) => {
          const step = await mcuBuildStep(graph, module, { cpu: core, flash: 2048 * KB, sram }, join(dir, `${key}-${core}-${sram}`), { verifyInputs: 2 });
          const t = step.build.totals;
          const bitExact = Object.fromEntries(step.verify.map((v) => [v.on, v.ok]));
          const row: Row = {
            model: key, core, sramBudget: sram, ramBytes: t.ramBytes, arenaBytes: t.arenaBytes, flashBytes: t.flashBytes,
            instructionsPerMac: t.instructions ? +(t.instructions / macs).toFixed(3) : null, bitExact,
            inPlace: t.memory.inPlace.length, splitChains: t.memory.split.length,
          };
          const targets = Object.keys(bitExact);
          if (!step.ok || targets.length < 2 || !Object.values(bitExact).every(Boolean)) {
            throw new Error(`${key} on ${core} at ${sram / KB} KiB: not bit-exact on host and QEMU: ${JSON.stringify(bitExact)}`);
          }
          console.log(`${key} ${core} sram ${(sram / KB).toFixed(0)}K: RAM ${row.ramBytes} B, flash ${row.flashBytes} B, ${row.instructionsPerMac ?? '-'} instr/MAC, in place ${row.inPlace}, split ${row.splitChains}; bit-exact on ${targets.join(', ')}`);
          rows.push(row);
          return row;
        };
        const top = await build(512 * KB);
        // The tightest budget the build accepts: from half the top selection's RAM, each refusal's "needs N B"
        // (the best schedule it found) is the next budget tried (at least 5% more).
        let min: Row | undefined;
        for (let sram = Math.ceil((top.ramBytes * 0.5) / KB) * KB; !min;) {
          try { min = await build(sram); } catch (e) {
            const msg = String((e as Error).message);
            if (!/sram budget/i.test(msg) || sram >= top.ramBytes) throw e;
            const needs = Number(/needs ([\d,]+) B/.exec(msg)?.[1]?.replace(/,/g, '') ?? 0);
            sram = Math.max(Math.ceil(needs / KB) * KB, Math.ceil((sram * 1.05) / KB) * KB);
          }
        }
        // A budget halfway between, when the two selections differ by more than a KiB.
        const mid = Math.ceil((min.ramBytes + top.ramBytes) / 2 / KB) * KB;
        if (mid > min.sramBudget && mid < top.ramBytes) await build(mid);
        else console.log(`${key} ${core}: the fastest selection's ${top.ramBytes} B is within a KiB of the tightest (${min.ramBytes} B at ${min.sramBudget / KB}K): two distinct budgets`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const allExact = rows.every((r) => Object.values(r.bitExact).every(Boolean));
  console.log(`${rows.length} builds (models x 3 cores x 3 budgets), all bit-exact on host and QEMU: ${allExact}`);
  return { note: 'Each row: `tinyforge build`\'s mcu step (select, plan, fit, emit, compile, run) at the sram budget, verified on the host and the core\'s QEMU board with 2 random inputs; RAM from arm-none-eabi-size; instructions/MAC from QEMU (icount plugin).', allExact, rows };
}
