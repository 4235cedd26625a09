// The graph-op -> kernel-op lowering, as a table of typed pattern rules (in the spirit of Cranelift's
// ISLE), gathered from the op definitions (compiler/ops/<op>.ts `lower`): each rule names the graph op
// kinds it matches, an optional guard, a priority, and a builder.
// For every op, the applicable rule with the highest priority wins; two applicable rules with the same
// priority are a bug in this table and are reported as such. Rules produce structure only: geometry
// with explicit padding, layouts, buffers and constants. Quantisation (offsets, multipliers, clamps) is
// left neutral here and filled in by the fold-requant and fuse-activation passes.

import { TinyforgeError } from '../diagnostics.ts';
import type { Op } from '../ir/graph.ts';
import { opLabel } from '../ir/lookup.ts';
import { ALL_OPS } from '../ops/index.ts';
import type { LowerCtx, LoweringRule } from '../ops/lowering.ts';

export type { KernelOpDraft, LowerCtx, LowerOptions, LoweringRule } from '../ops/lowering.ts';
export { unfolded, windowOf } from '../ops/lowering.ts';

/** Every op definition's rules, in registry order. */
export const LOWERING_RULES: readonly LoweringRule[] = ALL_OPS.flatMap((d) => d.lower as readonly LoweringRule[]);

/** The rule that lowers `op`: the applicable one with the highest priority. */
export function selectRule(ctx: LowerCtx, op: Op, rules: readonly LoweringRule[] = LOWERING_RULES): LoweringRule {
  const applicable = rules
    .filter((r) => r.kinds.includes(op.kind) && (!r.when || r.when(ctx, op)))
    .sort((a, b) => b.priority - a.priority);
  if (applicable.length === 0) {
    throw new TinyforgeError(`${op.kind}: no lowering rule applies`, { op: opLabel(ctx.graph, op) },
      `kinds with rules: ${[...new Set(rules.flatMap((r) => r.kinds))].join(', ')}`);
  }
  if (applicable.length > 1 && applicable[0].priority === applicable[1].priority) {
    throw new Error(`lowering rules '${applicable[0].name}' and '${applicable[1].name}' both match ${op.kind} at priority ${applicable[0].priority}`);
  }
  return applicable[0];
}
