// The kernel-variant interface of the Cortex-M C backend and the selection rules.
//
// A KernelVariant turns one kernel-IR op into a specialised C function (shapes and quantisation
// constants folded in) plus the const data it reads, in the layout it wants. Several variants may apply
// to one op (a lean generic kernel, a faster one needing scratch or DSP); `selectVariants` picks, per
// op, the applicable variant of highest priority, then — when a `sram` budget is given and the arena
// (activations + scratch, placed by ../memory/plan.ts) exceeds it — replaces the variants of the ops live at
// the peak by leaner ones (less scratch) until the plan fits or nothing leaner exists, recording each
// replacement and its estimated cost; then, when a `flash` budget is given and the layers' flash (constants
// in each variant's layout + code) exceeds it, replaces variants greedily by flash bytes saved per extra
// instruction until it fits, never breaking the sram budget (see selectVariants). That greedy selection
// is the seed of the build's schedule search (../stages/search.ts), which never does worse. New variants
// are added to the table in registry.ts.
import type { Arith } from '../../compiler/quant/multiplier.ts';
import type { KBuffer, KConst, KernelModule, KernelOp } from '../../compiler/kernel-ir/types.ts';
import type { McuCpu } from '../harness/run.ts';

export interface McuTargetInfo {
  cpu: McuCpu;
  /** The core has the DSP extension (the generated code still selects with #if TF_DSP at compile time). */
  dsp: boolean;
  flashBytes?: number;
  sramBytes?: number;
}

export interface EmitContext {
  module: KernelModule;
  target: McuTargetInfo;
  arith: Arith;
  /** C identifier for this op's kernel function; also the prefix of its data (e.g. `kws_l3`). */
  fn: string;
  konst(id: number): KConst;
  buffer(id: number): KBuffer;
  /**
   * Set when the memory plan runs the op in place (row by row through a delay buffer) or as part of a
   * channel-split chain (../memory/): the variant then emits the modal form (see KernelModes).
   */
  mode?: ModalForm;
}

/**
 * Execution forms beyond the plain call that a variant can emit, for the memory planner. Both use one
 * signature, `static void <fn>(const int8_t *in, int8_t *out, int oy0, int oy1, int c0)` (batches 1):
 * output rows [oy0, oy1) are written from `out` on (row oy at out + (oy - oy0) * outW * outStride), and
 * only the output channels [c0, c0 + width) are computed; `in` and `out` point at channel c0 of a full
 * tensor or at a slice buffer (pixel strides inStride / outStride), except that a convolution (which
 * reads every input channel) always gets its whole input.
 *   rows:  in-place execution (rows into a delay buffer, copied over the input the output overlays);
 *   slice: partial execution along channels (the op in a split chain); a variant with scratch
 *          (scratchBytes(op) > 0) takes its scratch pointer as a sixth argument after c0;
 *   elementwise: the plain kernel is safe with the output at the same address as an input;
 *   prepass: the plain kernel reads its input only in a prepass into its scratch, before it writes any
 *            output, so the output may overlay the input whole (no delay buffer, any shape); a predicate
 *            when that holds for some shapes only (a windowed kernel that has read the input rows under
 *            each output row before writing it).
 * A variant with scratch (scratchBytes(op) > 0) takes the scratch pointer as a last argument in the modal
 * form too.
 */
export interface KernelModes { rows?: boolean; slice?: boolean; elementwise?: boolean; prepass?: boolean | ((op: KernelOp) => boolean) }

/** Whether variant v's plain kernel may overlay its output on its whole input for op (KernelModes.prepass). */
export function overlays(v: { modes?: KernelModes }, op: KernelOp): boolean {
  const p = v.modes?.prepass;
  return typeof p === 'function' ? p(op) : p === true;
}
export interface ModalForm { width: number; inStride: number; outStride: number }

/**
 * The C a variant emits. `code` defines `static void <fn>(const int8_t *in0[, const int8_t *in1], int8_t
 * *out[, int8_t *scratch])`: one pointer per op input (in operand order), the output, and the scratch
 * pointer only when scratchBytes(op) > 0. `data` holds the const (flash) arrays it reads.
 */
export interface EmittedKernel {
  data: string;
  code: string;
  /** Bytes of const data in `data` (flash), for the report. */
  constBytes: number;
  /**
   * Bytes of constants the kernel reads per call where that is not about one per MAC (table lookups of an
   * elementwise kernel): what the decoupled access-execute rule 'auto' weighs against the staged bytes.
   */
  constantReads?: number;
}

export interface KernelVariant<K extends KernelOp = KernelOp> {
  name: string;
  kind: K['kind'];
  /** Higher wins among the applicable variants. */
  priority: number;
  /** `module` gives access to the op's constants (e.g. to prove a requantisation shortcut exact); optional. */
  applies(op: K, target: McuTargetInfo, module?: KernelModule): boolean;
  /** Arena scratch the kernel needs (bytes, 0 for none). */
  scratchBytes(op: K): number;
  emit(op: K, ctx: EmitContext): EmittedKernel;
  /** Analytic estimate, for reporting and selection. */
  estimate?(op: K): { instructions: number; loads: number };
  /** Modal forms the variant can emit (none: it runs only as a whole-tensor call). */
  modes?: KernelModes;
}

/** Type-erased view used by the table (each entry is typed by its own kind). */
export type AnyVariant = KernelVariant<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export function defineVariant<K extends KernelOp>(v: KernelVariant<K>): AnyVariant {
  return v as AnyVariant;
}

export interface Selection {
  /** The chosen variant per op index. */
  variants: AnyVariant[];
  /** Replacements made to fit the sram budget. */
  downgrades: Array<{ op: number; opName: string; from: string; to: string; scratchSaved: number; instructionCost?: number; cycleCost?: number }>;
  /** Replacements made to fit the flash budget (after the sram downgrades). */
  flashReplacements: FlashReplacement[];
  /** The layers' flash bytes under the chosen variants (by `FlashBudget.cost`), when a flash budget was given. */
  layerFlashBytes?: number;
}

export interface FlashReplacement { op: number; opName: string; from: string; to: string; flashSaved: number; instructionCost?: number;
  /** Modelled cycles it costs (the schedule search's cycle objective, ../stages/search.ts). */
  cycleCost?: number }

/** The flash the layers may take, and what a variant costs on an op (constants in its layout + code bytes). */
export interface FlashBudget {
  budget: number;
  cost(op: number, v: AnyVariant): number;
}

/** Applicable variants of an op, best first. */
export function candidates(table: readonly AnyVariant[], op: KernelOp, target: McuTargetInfo, module?: KernelModule): AnyVariant[] {
  return table.filter((v) => v.kind === op.kind && v.applies(op, target, module)).sort((a, b) => b.priority - a.priority);
}

/**
 * Picks a variant per op. `peakOf(variants)` returns the arena size and the live bytes while each op runs
 * for the given choice (so the planner, which also sees which ops can run in place or split, stays in
 * ../memory). `ramBudget` is the SRAM left for
 * the arena; undefined = no limit. While over budget, the op with the most live bytes that has a leaner
 * applicable variant gets it.
 */
export function selectVariants(
  module: KernelModule, table: readonly AnyVariant[], target: McuTargetInfo,
  peakOf: (variants: AnyVariant[]) => { peak: number; liveByOp: number[] }, ramBudget?: number, flash?: FlashBudget,
): Selection {
  const cands = module.ops.map((op) => {
    const c = candidates(table, op, target, module);
    if (c.length === 0) throw new Error(`no Cortex-M kernel variant applies to op ${op.index} '${op.name}' (${op.kind})`);
    return c;
  });
  const pick = cands.map(() => 0);
  const downgrades: Selection['downgrades'] = [];
  const chosen = () => module.ops.map((_, i) => cands[i][pick[i]]);
  /** The pick each downgrade replaced, to undo it. */
  const prev: number[] = [];
  if (ramBudget !== undefined) {
    for (;;) {
      const { peak, liveByOp } = peakOf(chosen());
      if (peak <= ramBudget) break;
      // The op with the most live bytes that has a leaner variant takes the one saving the most scratch.
      let best: { i: number; j: number; saved: number } | undefined;
      const byLive = liveByOp.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).map(([, i]) => i);
      for (const i of byLive) {
        if (best) break;
        const op = module.ops[i];
        const cur = cands[i][pick[i]].scratchBytes(op);
        for (let j = pick[i] + 1; j < cands[i].length; j++) {
          const saved = cur - cands[i][j].scratchBytes(op);
          if (saved > 0 && (!best || saved > best.saved)) best = { i, j, saved };
        }
      }
      if (!best) break;
      const op = module.ops[best.i];
      const from = cands[best.i][pick[best.i]], to = cands[best.i][best.j];
      const cost = from.estimate && to.estimate ? to.estimate(op).instructions - from.estimate(op).instructions : undefined;
      downgrades.push({ op: best.i, opName: op.name, from: from.name, to: to.name, scratchSaved: best.saved, instructionCost: cost });
      prev.push(pick[best.i]);
      pick[best.i] = best.j;
    }
    // A later replacement may have made an earlier one unnecessary: undo those that still fit, last first.
    for (let k = downgrades.length - 1; k >= 0; k--) {
      const i = downgrades[k].op, keep = pick[i];
      if (downgrades.some((d, m) => m > k && d.op === i)) continue;
      pick[i] = prev[k];
      if (peakOf(chosen()).peak <= ramBudget) downgrades.splice(k, 1);
      else pick[i] = keep;
    }
  }
  if (!flash) return { variants: chosen(), downgrades, flashReplacements: [] };
  const r = fitFlash(module, cands, pick, flash, () => ramBudget === undefined || peakOf(chosen()).peak <= ramBudget);
  return { variants: chosen(), downgrades, flashReplacements: r.replacements, layerFlashBytes: r.total };
}

const instr = (v: AnyVariant, op: KernelOp) => v.estimate?.(op).instructions;

/**
 * The flash half of selectVariants: while the layers' flash exceeds the budget, the replacement (any op,
 * any leaner candidate of it) saving the most flash bytes per extra estimated instruction is made (a
 * variant without an estimate counts as costing infinitely many, so it comes last); a replacement that
 * would break the sram budget (`ramFits`) is ruled out. Greedy steps can overshoot, so afterwards each
 * replacement is undone, last first, when the selection still fits both budgets without it. `pick` is
 * updated in place.
 */
function fitFlash(module: KernelModule, cands: AnyVariant[][], pick: number[], flash: FlashBudget, ramFits: () => boolean):
  { replacements: FlashReplacement[]; total: number } {
  const cost = (i: number, j: number) => flash.cost(i, cands[i]![j]!);
  const total = () => pick.reduce((s, j, i) => s + cost(i, j), 0);
  const replacements: FlashReplacement[] = [];
  const prev: number[] = [];
  const ruledOut = new Set<string>();
  let need = total();
  while (need > flash.budget) {
    let best: { i: number; j: number; saved: number; extra: number; ratio: number } | undefined;
    module.ops.forEach((op, i) => {
      const cur = cands[i]![pick[i]!]!;
      for (let j = pick[i]! + 1; j < cands[i]!.length; j++) {
        if (ruledOut.has(`${i}:${j}`)) continue;
        const saved = cost(i, pick[i]!) - cost(i, j);
        if (saved <= 0) continue;
        const a = instr(cur, op), b = instr(cands[i]![j]!, op);
        const extra = a === undefined || b === undefined ? Infinity : b - a;
        const ratio = saved / Math.max(1, extra);
        if (!best || ratio > best.ratio || (ratio === best.ratio && saved > best.saved)) best = { i, j, saved, extra, ratio };
      }
    });
    if (!best) break;
    const keep = pick[best.i]!;
    pick[best.i] = best.j;
    if (!ramFits()) { pick[best.i] = keep; ruledOut.add(`${best.i}:${best.j}`); continue; }
    const op = module.ops[best.i]!;
    replacements.push({ op: best.i, opName: op.name, from: cands[best.i]![keep]!.name, to: cands[best.i]![best.j]!.name, flashSaved: best.saved,
      ...(Number.isFinite(best.extra) ? { instructionCost: best.extra } : {}) });
    prev.push(keep);
    need -= best.saved;
  }
  if (need <= flash.budget) {
    for (let k = replacements.length - 1; k >= 0; k--) {
      const i = replacements[k]!.op, keep = pick[i]!;
      if (replacements.some((d, m) => m > k && d.op === i)) continue;
      pick[i] = prev[k]!;
      if (total() <= flash.budget && ramFits()) { replacements.splice(k, 1); prev.splice(k, 1); } else pick[i] = keep;
    }
  }
  return { replacements, total: total() };
}
