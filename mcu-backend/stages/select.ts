// Stage 1 of the Cortex-M backend, select: one kernel variant per layer (../emit/variant.ts, the table in
// ../emit/registry.ts). The fastest applicable variants first; under the sram budget the arena of each
// trial selection comes from the plan stage's planner (plan.ts planFor: in-place and split schedules are
// tried before a leaner kernel), under the flash budget each variant's flash comes from `flashCost`
// (measured by the fit stage, else estimated from the emitted C: estimateLayerFlash). Returns the
// selection and the replacements it made, for the report.
import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import { VARIANTS } from '../emit/registry.ts';
import { estimateLayerFlash } from '../emit/flash-estimate.ts';
import { selectVariants, type AnyVariant, type McuTargetInfo, type Selection } from '../emit/variant.ts';
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
}

export type Selected = Selection;

export function selectStage(module: KernelModule, target: McuTargetInfo, name: string, opts: SelectStageOptions = {}): Selected {
  return selectVariants(module, opts.table ?? VARIANTS, target, (vs) => {
    const p = planFor(module, vs, opts.memory, opts.arenaBudget, opts.splits);
    return { peak: p.peak, liveByOp: p.live };
  }, opts.arenaBudget, opts.flashBudget === undefined ? undefined
    : { budget: opts.flashBudget, cost: opts.flashCost ?? ((i, v) => estimateLayerFlash(module, target, name, i, v)) });
}
