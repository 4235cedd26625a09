// Issue #13's verification matrix: the five MLPerf Tiny models at three sram budgets each, built for
// Cortex-M3 (portable C), M4 and M7 (DSP kernels) by `tinyforge build`'s mcu step and checked bit-exact
// against the golden runtime on the host (gcc) and on the core's QEMU board (2 random inputs each).
// Budgets per model: 512 KiB (the fastest selection), then about 80% and 60% of the RAM that selection
// needs, raised in 10% steps until the build accepts it (the schedule search then trades speed for
// memory: lean kernels, in-place and channel-split execution). Prints one line per build; a build that is
// not bit-exact fails the bench.
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
    for (const key of Object.keys(MODELS) as ModelKey[]) {
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
        for (const share of [0.8, 0.6]) {
          let sram = Math.ceil((top.ramBytes * share) / KB) * KB;
          for (;;) {
            try { await build(sram); break; } catch (e) {
              if (!/budget|does not fit|exceeds/i.test(String((e as Error).message))) throw e;
              if (sram >= top.ramBytes) throw e;
              sram = Math.ceil((sram * 1.1) / KB) * KB;
            }
          }
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const allExact = rows.every((r) => Object.values(r.bitExact).every(Boolean));
  console.log(`${rows.length} builds (5 models x 3 cores x 3 budgets), all bit-exact on host and QEMU: ${allExact}`);
  return { note: 'Each row: `tinyforge build`\'s mcu step (select, plan, fit, emit, compile, run) at the sram budget, verified on the host and the core\'s QEMU board with 2 random inputs; RAM from arm-none-eabi-size; instructions/MAC from QEMU (icount plugin).', allExact, rows };
}
