// Stage 2 of the Cortex-M backend, plan: the memory plan for a kernel selection (stage 1, select.ts).
// From the chosen variants (their scratch and modal forms) it asks the one memory planner
// (../memory/plan.ts) for the schedule: in-place execution, channel-split partial execution under the
// arena budget, best-fit placement; then decides which layers run decoupled access-execute (their staging
// buffers join the layer's scratch, ../emit/dae.ts) and turns the placement into the emitter's offsets
// (../memory/arena.ts). The result, `Planned`, is everything the emitter (stage 4, ../emit/model.ts) needs
// about memory: it places nothing itself.
import type { KernelModule, KernelOp } from '../../compiler/kernel-ir/types.ts';
import { ARENA_ALIGN, arenaFromPlan, type ArenaPlan } from '../memory/arena.ts';
import type { SplitChain } from '../memory/partial.ts';
import { planForBudget, planMemory, type MemoryPlan, type MemorySchedule, type PlanOptions } from '../memory/plan.ts';
import { daeForm, type DaeForm } from '../emit/dae.ts';
import { kernelContext } from '../emit/context.ts';
import { overlays, type AnyVariant, type EmittedKernel, type McuTargetInfo } from '../emit/variant.ts';

/** The memory side of the emit options (EmitOptions in ../emit/model.ts extends it). */
export interface PlanStageOptions {
  /** Bytes of SRAM the arena may use (the sram budget minus the program's other RAM). */
  arenaBudget?: number;
  /**
   * Memory schedule. 'auto' (default): in-place execution wherever the chosen kernels allow it, channel-
   * split partial execution only when over arenaBudget. 'partial': always split chains for the least
   * peak. 'whole': whole tensors, no in-place (best-fit placement only).
   */
  memory?: MemorySchedule;
  /** Tests: run exactly these split chains (those the chosen kernels can split), in place elsewhere. */
  splits?: SplitChain[];
  /** Decoupled access-execute: every layer with constants (true), those that reuse their constants
   *  ('auto': more MACs, or constant reads a table kernel states, than staged bytes; a layer using each
   *  constant about once, such as a fully connected layer, only gains flash traffic from the copy), or
   *  none (false, the default). */
  dae?: boolean | 'auto';
}

/** The result of the plan stage. */
export interface Planned {
  /** The memory planner's plan (requests, placement, live curve). */
  memory: MemoryPlan;
  /** Its offsets, as the emitter uses them. */
  arena: ArenaPlan;
  /** Kernel scratch per op as the variant asks for it, and with the DAE staging buffer added. */
  baseScratch: number[];
  scratch: number[];
  /** Decoupled access-execute form per op (undefined: coupled). */
  dae: Array<DaeForm | undefined>;
  /** Layers that would run DAE but do not, and why. */
  daeOff: Array<{ op: number; opName: string; reason: string }>;
}

/** Kernel kinds whose in-place form is element-wise (output over a same-shape input, memory/inplace.ts). */
const ELEMENTWISE_KINDS = new Set<KernelOp['kind']>(['add', 'binary', 'lut', 'prelu']);

export const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** What the planner needs to know about the chosen kernels. */
export function planOptions(module: KernelModule, vs: readonly AnyVariant[]): PlanOptions {
  return {
    scratch: module.ops.map((op, i) => vs[i]!.scratchBytes(op)),
    canInPlace: (i) => (ELEMENTWISE_KINDS.has(module.ops[i]!.kind) ? vs[i]!.modes?.elementwise === true : vs[i]!.modes?.rows === true || overlays(vs[i]!, module.ops[i]!)),
    canSplit: (i) => vs[i]!.modes?.slice === true,
    prepass: (i) => overlays(vs[i]!, module.ops[i]!),
    align: ARENA_ALIGN,
  };
}

/**
 * The memory plan for a choice of kernels (memory/plan.ts planForBudget). Under a budget the cheaper
 * memory schedule comes first: in-place execution costs one row copy per output row and partial execution
 * a few loop instructions per slice (bench/results/memory.json: well under 1% of a model), while a leaner
 * kernel costs 2-3x the layer's instructions; so the selection swaps kernels only while even the split
 * schedule is over the budget, and each swap makes its op eligible for in-place and split execution (the
 * lean kernels have the modal form).
 */
export function planFor(module: KernelModule, vs: readonly AnyVariant[], memory: MemorySchedule | undefined, budget?: number, splits?: SplitChain[], extraScratch?: readonly number[]): MemoryPlan {
  const o = planOptions(module, vs);
  if (extraScratch) o.scratch = o.scratch!.map((b, i) => (extraScratch[i] ? align8(b) + extraScratch[i]! : b));
  if (splits) return planMemory(module, 'planner+partial', splits.filter((c) => c.ops.every((i) => o.canSplit!(i))), o);
  return planForBudget(module, budget, o, memory);
}

/** The plan stage: memory plan, DAE decisions and arena offsets for the chosen variants. */
export function planStage(module: KernelModule, target: McuTargetInfo, variants: readonly AnyVariant[], name: string, opts: PlanStageOptions = {}): Planned {
  const baseScratch = module.ops.map((op, i) => variants[i]!.scratchBytes(op));
  const dae = chooseDae(module, target, variants, name, opts);
  const scratch = baseScratch.map((b, i) => (dae.forms[i] ? align8(b) + dae.forms[i]!.stageBytes : b));
  return { memory: dae.memory, arena: arenaFromPlan(module, dae.memory), baseScratch, scratch, dae: dae.forms, daeOff: dae.off };
}

/**
 * Which layers run decoupled access-execute, and the memory plan with their staging buffers: every layer
 * with constants when `opts.dae` (with 'auto': those using them more than once), then repeatedly: a
 * layer in a channel-split chain goes back to reading its constants from flash (the chain interleaves
 * its ops per slice), and while the arena exceeds the budget, so does the decoupled layer at its peak.
 */
function chooseDae(module: KernelModule, target: McuTargetInfo, vs: readonly AnyVariant[], name: string, opts: PlanStageOptions):
  { forms: Array<DaeForm | undefined>; off: Planned['daeOff']; memory: MemoryPlan } {
  const off: Planned['daeOff'] = [];
  const plan0 = planFor(module, vs, opts.memory, opts.arenaBudget, opts.splits);
  const forms: Array<DaeForm | undefined> = module.ops.map((op, i) => {
    if (!opts.dae) return undefined;
    // The constant block does not depend on the modal form: emit the plain kernel to lay it out.
    const k = vs[i]!.emit(op, kernelContext(module, target, `${name}_l${i}`, i)) as EmittedKernel;
    const f = daeForm(k);
    if ('reason' in f) {
      if (f.reason !== 'no constants') off.push({ op: i, opName: op.name, reason: f.reason });
      return undefined;
    }
    // Reuse: a MAC reads about one constant byte; a table kernel states its reads (e.g. add.lut: 8 B per element).
    if (opts.dae === 'auto' && (k.constantReads ?? op.macs) <= f.stageBytes) {
      const reads = k.constantReads !== undefined ? `${k.constantReads} B of constant reads` : `${op.macs} MACs`;
      off.push({ op: i, opName: op.name, reason: `constants used about once (${reads} for ${f.stageBytes} B staged): a copy would only add flash traffic` });
      return undefined;
    }
    return f;
  });
  if (!forms.some(Boolean)) return { forms, off, memory: plan0 };
  for (;;) {
    const memory = planFor(module, vs, opts.memory, opts.arenaBudget, opts.splits, forms.map((f) => f?.stageBytes ?? 0));
    const inChain = memory.chains.flatMap((c) => c.ops).filter((o) => forms[o]);
    for (const o of inChain) {
      off.push({ op: o, opName: module.ops[o]!.name, reason: 'runs inside a channel-split chain' });
      forms[o] = undefined;
    }
    if (inChain.length) continue;
    const plan = arenaFromPlan(module, memory);
    const f = forms[plan.peakOp];
    if (opts.arenaBudget === undefined || plan.arenaBytes <= opts.arenaBudget || !f) return { forms, off, memory };
    off.push({ op: plan.peakOp, opName: module.ops[plan.peakOp]!.name, reason: `sram budget: its ${f.stageBytes} B staging buffer would raise the arena to ${plan.arenaBytes} B (budget ${opts.arenaBudget} B)` });
    forms[plan.peakOp] = undefined;
  }
}
