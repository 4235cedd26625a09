// Issue #13's verification matrix: the five MLPerf Tiny models at three sram budgets each, built for
// Cortex-M3 (portable C), M4 and M7 (DSP kernels) by `tinyforge build`'s mcu step and checked bit-exact
// against the golden runtime on the host (gcc) and on the core's QEMU board (2 random inputs each).
// Budgets per model and core, three distinct ones: 512 KiB (the fastest selection); the tightest budget the
// build accepts (from half the fastest selection's RAM, raised to what each refusal says it needs: the schedule
// search trades speed for memory with lean kernels, in-place and channel-split execution); and a middle one.
// The middle budget is searched between the tightest budget and the fastest selection's RAM for a build whose
// plan (kernel per layer, arena, in-place and split layers) differs from both: first the budget of the schedule
// front point (of the fastest and the tightest build) nearest the middle, then bisection in steps of STEP bytes;
// at most MID_PROBES unverified probe builds (select, plan, emit, fit). Where none differs (the M3's portable
// kernels have one plan), a third budget is still built and verified (the last one probed, else halfway between
// the tightest budget and 512 KiB) and its row says `samePlanAs` (the budget whose build has the same plan), as
// does a tightest row with the fastest plan. Prints one line per build; a build that is not bit-exact fails the
// bench. BENCH_MODELS=kws,vww limits the models (for a quick check).
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadModel } from '../compiler/frontend/load.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import { buildMcu, mcuBuildStep, type McuBuild } from '../mcu-backend/build.ts';
import { MODELS, modelPath, type ModelKey } from '../tests/helpers/paths.ts';

const KB = 1024;
const CORES = ['cortex-m3', 'cortex-m4', 'cortex-m7'] as const;
/** Unverified probe builds the search for a middle budget may make per model and core. */
const MID_PROBES = 4;
/** The middle budget's granularity (bytes): the plans of a small model lie within a KiB of each other. */
const STEP = 256;

/** What makes two builds the same plan: the kernel per layer, the arena and which layers run in place or split. */
function planKey(b: McuBuild): string {
  return JSON.stringify({ variants: b.layers.map((l) => l.variant), arena: b.totals.arenaBytes, inPlace: b.totals.memory.inPlace, split: b.totals.memory.split });
}

interface Row {
  model: ModelKey; core: string; sramBudget: number; ramBytes: number; arenaBytes: number; flashBytes: number;
  instructionsPerMac: number | null; bitExact: Record<string, boolean>; inPlace: number; splitChains: number;
  /** Which of the three budgets the row is. */
  budget: 'fastest' | 'tightest' | 'middle';
  /** The sram budget of an earlier row (same model and core) whose build has the same plan, when there is one. */
  samePlanAs?: number;
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
        // The plan of each built budget (planKey), to find the middle budget and to name a same plan.
        const plans = new Map<number, string>();
        const build = async (sram: number, budget: Row['budget']) => {
          const step = await mcuBuildStep(graph, module, { cpu: core, flash: 2048 * KB, sram }, join(dir, `${key}-${core}-${sram}`), { verifyInputs: 2 });
          const t = step.build.totals;
          const bitExact = Object.fromEntries(step.verify.map((v) => [v.on, v.ok]));
          const plan = planKey(step.build);
          const same = [...plans].find(([, p]) => p === plan)?.[0];
          plans.set(sram, plan);
          const row: Row = {
            model: key, core, sramBudget: sram, ramBytes: t.ramBytes, arenaBytes: t.arenaBytes, flashBytes: t.flashBytes,
            instructionsPerMac: t.instructions ? +(t.instructions / macs).toFixed(3) : null, bitExact,
            inPlace: t.memory.inPlace.length, splitChains: t.memory.split.length, budget,
            ...(same !== undefined ? { samePlanAs: same } : {}),
          };
          const targets = Object.keys(bitExact);
          if (!step.ok || targets.length < 2 || !Object.values(bitExact).every(Boolean)) {
            throw new Error(`${key} on ${core} at ${sram / KB} KiB: not bit-exact on host and QEMU: ${JSON.stringify(bitExact)}`);
          }
          const sameText = same !== undefined ? `; same plan as ${+(same / KB).toFixed(2)}K` : '';
          console.log(`${key} ${core} sram ${+(sram / KB).toFixed(2)}K (${budget}): RAM ${row.ramBytes} B, flash ${row.flashBytes} B, ${row.instructionsPerMac ?? '-'} instr/MAC, in place ${row.inPlace}, split ${row.splitChains}${sameText}; bit-exact on ${targets.join(', ')}`);
          rows.push(row);
          return { row, build: step.build };
        };
        const { row: top, build: topBuild } = await build(512 * KB, 'fastest');
        // The tightest budget the build accepts: from half the top selection's RAM, each refusal's "needs N B"
        // (the best schedule it found) is the next budget tried (at least 5% more).
        let min: Row | undefined;
        let minBuild: McuBuild | undefined;
        for (let sram = Math.ceil((top.ramBytes * 0.5) / KB) * KB; !min;) {
          try { ({ row: min, build: minBuild } = await build(sram, 'tightest')); } catch (e) {
            const msg = String((e as Error).message);
            if (!/sram budget/i.test(msg) || sram >= top.ramBytes) throw e;
            const needs = Number(/needs ([\d,]+) B/.exec(msg)?.[1]?.replace(/,/g, '') ?? 0);
            sram = Math.max(Math.ceil(needs / KB) * KB, Math.ceil((sram * 1.05) / KB) * KB);
          }
        }
        // The middle budget: strictly between the tightest budget and the budget that holds the fastest
        // selection, a build whose plan differs from both. Probes are unverified builds (select .. fit); the
        // chosen budget is built again and verified below.
        let lo = min.sramBudget;
        const step = (x: number) => Math.ceil(x / STEP) * STEP;
        const fastestFits = step(top.ramBytes);
        let hi = fastestFits;
        const minPlan = plans.get(min.sramBudget)!;
        const topPlan = plans.get(top.sramBudget)!;
        // First guess: the schedule front point (of the fastest and the tightest build) nearest the middle, at its
        // arena plus what the fastest build needs beside its arena.
        const beside = top.ramBytes - top.arenaBytes;
        const middle = (min.ramBytes + top.ramBytes) / 2;
        const guess = [...(topBuild.totals.schedule?.front ?? []), ...(minBuild!.totals.schedule?.front ?? [])]
          .map((p) => p.arenaBytes + beside).filter((s) => s > lo && s < top.ramBytes)
          .sort((x, y) => Math.abs(x - middle) - Math.abs(y - middle) || x - y)[0];
        let mid: number | undefined;
        let last: number | undefined;
        for (let probe = 0, sram = guess ?? step((lo + hi) / 2); probe < MID_PROBES && sram > lo && sram < hi; probe++) {
          last = sram;
          let plan: string;
          try {
            plan = planKey(buildMcu(module, { cpu: core, flash: 2048 * KB, sram }, join(dir, `${key}-${core}-probe-${sram}`)));
          } catch (e) {
            if (!/sram budget/i.test(String((e as Error).message))) throw e;
            plan = minPlan; // refused: below what the tightest plan needs
          }
          if (plan !== minPlan && plan !== topPlan) { mid = sram; break; }
          if (plan === minPlan) lo = sram; else hi = sram;
          sram = step((lo + hi) / 2);
          if (sram >= hi) sram = hi - STEP;
        }
        // No plan between the two: a third budget all the same, the last one probed, or (nothing lies between
        // the tightest budget and the fastest selection's RAM) halfway between the tightest budget and 512 KiB.
        const third = mid ?? last ?? Math.ceil((min.sramBudget + top.sramBudget) / 2 / KB) * KB;
        const { row: m } = await build(third, 'middle');
        if (m.samePlanAs !== undefined) {
          const why = min.sramBudget >= fastestFits
            ? `the tightest budget ${min.sramBudget / KB}K already holds the fastest selection (RAM ${top.ramBytes} B)`
            : `no budget between ${min.sramBudget / KB}K and ${+(fastestFits / KB).toFixed(2)}K found with a plan of its own (${MID_PROBES} probes at most)`;
          console.log(`${key} ${core}: ${why}: the middle budget ${+(third / KB).toFixed(2)}K gives the same plan as ${+(m.samePlanAs / KB).toFixed(2)}K`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const allExact = rows.every((r) => Object.values(r.bitExact).every(Boolean));
  const same = rows.filter((r) => r.samePlanAs !== undefined).length;
  console.log(`${rows.length} builds (models x 3 cores x 3 budgets; ${same} of them the same plan as another budget of their model and core), all bit-exact on host and QEMU: ${allExact}`);
  return { note: 'Each row: `tinyforge build`\'s mcu step (select, plan, fit, emit, compile, run) at the sram budget, verified on the host and the core\'s QEMU board with 2 random inputs; RAM from arm-none-eabi-size; instructions/MAC from QEMU (icount plugin).', allExact, rows };
}
