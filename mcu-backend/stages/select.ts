// Stage 1 of the Cortex-M backend, select: one kernel variant per layer (../emit/variant.ts, the table in
// ../emit/registry.ts), chosen by the schedule search (search.ts) with the memory plan that choice allows:
// the arena of each trial selection comes from the plan stage's planner (plan.ts planFor: in-place and
// split schedules come with it), each variant's flash from `flashCost` (measured by the fit stage, else
// estimated from the emitted C: estimateLayerFlash), each variant's cost in modelled cycles when a cycle
// objective is given (`cycles`: ../timing/probe.ts, probe runs on the core's QEMU board, memoised per
// module, objective and memory options, so the fit stage's second search runs none), else its estimated
// instructions. Returns the selection, the replacements it made relative to the fastest variants (for
// the report) and the schedule (chosen point, objective, Pareto front).
import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import { VARIANTS } from '../emit/registry.ts';
import { estimateLayerFlash } from '../emit/flash-estimate.ts';
import type { AnyVariant, McuTargetInfo, Selection } from '../emit/variant.ts';
import { searchSchedule, type LayerCycles, type Peak, type Schedule, type SearchOptions } from './search.ts';
import { probeLayerCycles, type CycleObjective, type ProbedCycles } from '../timing/probe.ts';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { planFor, type PlanStageOptions } from './plan.ts';

export interface SelectStageOptions extends PlanStageOptions {
  table?: readonly AnyVariant[];
  /**
   * Flash bytes the layers may take (constants + code of every layer function; the caller subtracts the
   * runtime, invoke and startup code). Over it, variants are replaced by leaner ones (variant.ts).
   */
  flashBudget?: number;
  /** Flash bytes of variant v on op i (default: `estimateLayerFlash`); e.g. measured by the build. */
  flashCost?: (op: number, v: AnyVariant) => number;
  /** Schedule search options (search.ts). */
  search?: SearchOptions;
  /**
   * Minimise modelled cycles for this core (and part at its clock; without a part, zero-wait memory) instead
   * of estimated instructions. Falls back to instructions, saying why, where no probe can run (no QEMU board
   * for the core, missing tools).
   */
  cycles?: CycleObjective;
}

/** The selection, and the schedule search behind it (chosen point, Pareto front). */
export interface Selected extends Selection { schedule: Schedule }

/** Planned arenas per module and schedule options, shared by the searches of one build (the fit stage searches again). */
const arenaMemos = new WeakMap<KernelModule, Map<string, Map<string, Peak>>>();
/** Probed cycles per module, objective, memory options and candidate lists. */
const cycleMemos = new WeakMap<KernelModule, Map<string, ProbedCycles | { unavailable: string }>>();

function layerCyclesOf(module: KernelModule, target: McuTargetInfo, objective: CycleObjective, opts: SelectStageOptions): LayerCycles {
  return (cands) => {
    const memo = cycleMemos.get(module) ?? cycleMemos.set(module, new Map()).get(module)!;
    const key = JSON.stringify([objective, target.cpu, target.dsp, opts.memory, opts.dae, cands.map((c) => c.map((v) => v.name))]);
    let r = memo.get(key);
    if (!r) {
      // Only a layer with a choice needs a probe; with none, instructions and cycles pick the same selection.
      if (cands.every((c) => c.length === 1)) r = { unavailable: 'one kernel variant per layer: nothing to choose' };
      else {
        try {
          r = probeLayerCycles(module, target, cands, objective, { memory: opts.memory, dae: opts.dae });
        } catch (e) {
          if (!(e instanceof TinyforgeError)) throw e;
          r = { unavailable: e.message.split('\n')[0]! };
        }
      }
      memo.set(key, r);
    }
    return r;
  };
}

/**
 * The default table without the narrowed-table variants (../emit/narrow-consts.ts): each needs more scratch
 * and more instructions than its inner variant and has fewer modal forms, so only a flash budget or the
 * cycle objective (the widened table is read from SRAM) can prefer it; without either they are left out
 * (the selection is the same, the build saves their probes).
 */
const UNNARROWED = VARIANTS.filter((v) => !v.name.endsWith('.narrowed'));

export function selectStage(module: KernelModule, target: McuTargetInfo, name: string, opts: SelectStageOptions = {}): Selected {
  const perModule = arenaMemos.get(module) ?? arenaMemos.set(module, new Map()).get(module)!;
  const isDefault = opts.table === undefined || opts.table === VARIANTS;
  const table = isDefault && opts.flashBudget === undefined && !opts.cycles ? UNNARROWED : opts.table ?? VARIANTS;
  // The arena memo is keyed by the variants' memory signatures: the two default tables share it.
  const memoKey = JSON.stringify([isDefault ? 'default' : table.map((v) => v.name), target.cpu, opts.memory, opts.arenaBudget, opts.splits]);
  const arenaMemo = isDefault ? perModule.get(memoKey) ?? perModule.set(memoKey, new Map()).get(memoKey)! : new Map<string, Peak>();
  const { selection, schedule } = searchSchedule(module, table, target, (vs) => {
    const p = planFor(module, vs, opts.memory, opts.arenaBudget, opts.splits);
    return { peak: p.peak, liveByOp: p.live };
  }, opts.arenaBudget, { budget: opts.flashBudget, cost: opts.flashCost ?? ((i, v) => estimateLayerFlash(module, target, name, i, v)) },
  { arenaMemo, ...(opts.cycles ? { layerCycles: layerCyclesOf(module, target, opts.cycles, opts) } : {}), ...opts.search });
  return { ...selection, schedule };
}
