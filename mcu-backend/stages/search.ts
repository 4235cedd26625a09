// The schedule search of the select stage: one kernel variant per layer together with the memory plan
// that choice allows (in place, channel splits, placement: the plan stage's planner, planFor), under the
// sram budget (the arena) and the flash budget (the layers' constants + code), minimising the estimated
// instructions (the variants' `estimate`; cycles once a cycle model exists). Every evaluated point is a
// (arena, flash, instructions) triple; the result is the chosen point and the Pareto front of the points
// evaluated.
//
// The arena of a selection depends on each variant only through its memory signature (scratch bytes and
// modal forms), so planner calls are memoised by the signatures; instructions and flash are sums over
// the layers. Small spaces (at most `exhaustiveLimit` selections and 512 signature vectors) are enumerated:
// the chosen point is then the optimum. Larger spaces: the greedy selection of variant.ts (sram
// downgrades at the peak, then flash bytes saved per extra instruction) is the seed, so the result is
// never worse than it, then a descent makes single-layer swaps to faster variants while both budgets
// still hold (largest gain first) until none is left.
import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import { candidates, overlays, selectVariants, type AnyVariant, type FlashBudget, type McuTargetInfo, type Selection } from '../emit/variant.ts';

export interface SchedulePoint {
  /** Variant per layer. */
  variants: string[];
  /** Activation arena (bytes) of the memory plan for this selection. */
  arenaBytes: number;
  /** The layers' flash (constants + code; measured where the build measured, else estimated). */
  flashBytes: number;
  /** Estimated instructions per inference (sum of the variants' estimates). */
  instructions: number;
}

export interface Schedule {
  chosen: SchedulePoint;
  /** Points no other evaluated point beats on arena, flash and instructions at once (by arena, then flash). */
  front: SchedulePoint[];
  /** Does the chosen point meet both budgets? */
  feasible: boolean;
  budgets: { arenaBytes?: number; flashBytes?: number };
  method: 'exhaustive' | 'greedy+descent';
  /** Selections evaluated (instructions and flash) and distinct memory plans (arena) they needed. */
  evaluated: number;
  memoryPlans: number;
}

export interface SearchOptions {
  /** Enumerate every selection when there are at most this many (default 4096). */
  exhaustiveLimit?: number;
  /** ... and at most this many distinct memory-signature vectors, one planner run each (default 512). */
  signatureLimit?: number;
  /** Memory plans the descent may add (default 48). */
  descentRuns?: number;
  /**
   * Arenas already planned, by memory signature vector, for the same module, budget and schedule options
   * (the fit stage searches again with flash costs; the arenas stay what they were).
   */
  arenaMemo?: Map<string, Peak>;
}

export type Peak = { peak: number; liveByOp: number[] };

/** The search; returns the selection (with its replacements relative to the fastest variants) and the schedule. */
export function searchSchedule(
  module: KernelModule, table: readonly AnyVariant[], target: McuTargetInfo,
  peakOf: (variants: AnyVariant[]) => Peak, ramBudget: number | undefined, flash: Omit<FlashBudget, 'budget'> & { budget?: number }, opts: SearchOptions = {},
): { selection: Selection; schedule: Schedule } {
  const ops = module.ops;
  const cands = ops.map((op) => {
    const c = candidates(table, op, target, module);
    if (c.length === 0) throw new Error(`no Cortex-M kernel variant applies to op ${op.index} '${op.name}' (${op.kind})`);
    return c;
  });
  // Instructions per candidate; a variant without an estimate counts as 4x the slowest estimated one of its
  // op. The estimates rank what the priorities rank, never against them: a lower-priority variant costs at
  // least what every higher-priority one does (measured on QEMU, the priorities are right where the
  // estimates are not, e.g. kws's 10x4 first conv), so without a binding budget the fastest variants stay:
  // each candidate costs at least one instruction more than the one before it.
  const estimated = cands.map((c, i) => {
    const known = c.map((v) => v.estimate?.(ops[i]!).instructions);
    const worst = Math.max(0, ...known.filter((x): x is number => x !== undefined));
    return known.map((x) => x ?? 4 * worst + 1);
  });
  const instr = estimated.map((xs) => { const out: number[] = []; xs.forEach((x, j) => out.push(j === 0 ? x : Math.max(x, out[j - 1]! + 1))); return out; });
  // Flash per candidate, priced on first use (pricing emits the variant's C; most candidates of a loose budget never are).
  const flashMemo = cands.map((c) => new Array<number | undefined>(c.length));
  const flashOf = (i: number, j: number): number => (flashMemo[i]![j] ??= flash.cost(i, cands[i]![j]!));
  const sig = cands.map((c, i) => c.map((v) => `${v.scratchBytes(ops[i]!)}.${v.modes?.rows ? 1 : 0}${v.modes?.slice ? 1 : 0}${v.modes?.elementwise ? 1 : 0}${overlays(v, ops[i]!) ? 1 : 0}`));
  const arenaMemo = opts.arenaMemo ?? new Map<string, Peak>();
  // Memory plans this search asked for (memoised or not: what it reports and limits does not depend on the memo).
  const touched = new Set<string>();
  const evaluatedPicks = new Map<string, SchedulePoint>();
  const peakOfPicks = (picks: number[]): Peak => {
    const key = picks.map((j, i) => sig[i]![j]).join(',');
    let p = arenaMemo.get(key);
    touched.add(key);
    if (!p) { p = peakOf(picks.map((j, i) => cands[i]![j]!)); arenaMemo.set(key, p); }
    return p;
  };
  const evaluate = (picks: number[]): SchedulePoint => {
    const key = picks.join(',');
    let pt = evaluatedPicks.get(key);
    if (!pt) {
      pt = {
        variants: picks.map((j, i) => cands[i]![j]!.name), arenaBytes: peakOfPicks(picks).peak,
        flashBytes: picks.reduce((s, j, i) => s + flashOf(i, j), 0), instructions: picks.reduce((s, j, i) => s + instr[i]![j]!, 0),
      };
      evaluatedPicks.set(key, pt);
    }
    return pt;
  };
  const fits = (pt: SchedulePoint) => (ramBudget === undefined || pt.arenaBytes <= ramBudget) && (flash.budget === undefined || pt.flashBytes <= flash.budget);
  // Ties: the smaller arena, then less flash (so the chosen point is on the front), then the higher priorities.
  const rank = (pt: SchedulePoint) => picksOf.get(pt)!.reduce((s, j) => s + j, 0);
  const better = (a: SchedulePoint, b: SchedulePoint) => a.instructions < b.instructions || (a.instructions === b.instructions &&
    (a.arenaBytes < b.arenaBytes || (a.arenaBytes === b.arenaBytes && (a.flashBytes < b.flashBytes || (a.flashBytes === b.flashBytes && rank(a) < rank(b))))));
  const picksOf = new Map<SchedulePoint, number[]>();
  const visit = (picks: number[]) => { const pt = evaluate(picks); picksOf.set(pt, [...picks]); return pt; };

  const total = cands.reduce((s, c) => s * c.length, 1);
  const sigSpace = sig.reduce((s, c) => s * new Set(c).size, 1);
  const limit0 = opts.exhaustiveLimit ?? 4096;
  const exhaustive = total <= limit0 && sigSpace <= Math.min(limit0, opts.signatureLimit ?? 512);
  let chosenPicks: number[];
  let greedy: Selection | undefined;
  if (exhaustive) {
    const picks = cands.map(() => 0);
    let best: SchedulePoint | undefined;
    for (;;) {
      const pt = visit(picks);
      if (fits(pt) && (!best || better(pt, best))) best = pt;
      let k = 0;
      while (k < picks.length && ++picks[k]! === cands[k]!.length) picks[k++] = 0;
      if (k === picks.length) break;
    }
    chosenPicks = best ? picksOf.get(best)! : cands.map((c) => c.length - 1);
  } else {
    // Seed: the greedy selection (every arena it asks for lands in the memo, and its points in the front).
    greedy = selectVariants(module, table, target, (vs) => {
      const picks = vs.map((v, i) => cands[i]!.indexOf(v));
      visit(picks);
      return peakOfPicks(picks);
    }, ramBudget, flash.budget !== undefined ? { budget: flash.budget, cost: flash.cost } : undefined);
    chosenPicks = greedy.variants.map((v, i) => cands[i]!.indexOf(v));
    let cur = visit(chosenPicks);
    // Descent: the single-layer swap to a faster variant with the largest gain that keeps both budgets.
    const limit = touched.size + (opts.descentRuns ?? 48);
    if (fits(cur)) {
      for (let round = 0; round < 4 * ops.length; round++) {
        const moves: Array<{ i: number; j: number; gain: number }> = [];
        chosenPicks.forEach((p, i) => instr[i]!.forEach((x, j) => { if (x < instr[i]![p]!) moves.push({ i, j, gain: instr[i]![p]! - x }); }));
        moves.sort((a, b) => b.gain - a.gain);
        let moved = false;
        for (const m of moves) {
          if (touched.size >= limit) break;
          const trial = [...chosenPicks];
          trial[m.i] = m.j;
          if (flash.budget !== undefined && cur.flashBytes - flashOf(m.i, chosenPicks[m.i]!) + flashOf(m.i, m.j) > flash.budget) continue;
          const pt = visit(trial);
          if (fits(pt) && better(pt, cur)) { chosenPicks = trial; cur = pt; moved = true; break; }
        }
        if (!moved) break;
      }
    }
  }
  const chosen = visit(chosenPicks);
  const all = [...new Set(evaluatedPicks.values())];
  const dominated = (a: SchedulePoint) => all.some((b) => b !== a && b.arenaBytes <= a.arenaBytes && b.flashBytes <= a.flashBytes && b.instructions <= a.instructions &&
    (b.arenaBytes < a.arenaBytes || b.flashBytes < a.flashBytes || b.instructions < a.instructions));
  const seen = new Set<string>();
  const front = all.filter((p) => !dominated(p)).filter((p) => { const k = `${p.arenaBytes},${p.flashBytes},${p.instructions}`; return !seen.has(k) && !!seen.add(k); })
    .sort((a, b) => a.arenaBytes - b.arenaBytes || a.flashBytes - b.flashBytes || a.instructions - b.instructions);
  const variants = chosenPicks.map((j, i) => cands[i]![j]!);
  const selection = greedy && greedy.variants.every((v, i) => v === variants[i]) ? greedy : replacements(module, cands, chosenPicks, estimated, flashOf, ramBudget !== undefined && !fits(evaluate(cands.map(() => 0))));
  if (flash.budget !== undefined) selection.layerFlashBytes = chosen.flashBytes;
  return {
    selection,
    schedule: {
      chosen, front, feasible: fits(chosen), budgets: { ...(ramBudget !== undefined ? { arenaBytes: ramBudget } : {}), ...(flash.budget !== undefined ? { flashBytes: flash.budget } : {}) },
      method: exhaustive ? 'exhaustive' : 'greedy+descent', evaluated: evaluatedPicks.size, memoryPlans: touched.size,
    },
  };
}

/**
 * The report's view of a chosen selection: each layer not at its fastest variant is a replacement, an sram
 * downgrade when the leaner variant needs less scratch and the fastest selection missed the sram budget,
 * else a flash replacement.
 */
function replacements(module: KernelModule, cands: AnyVariant[][], picks: number[], instr: number[][], flashOf: (i: number, j: number) => number, ramTight: boolean): Selection {
  const sel: Selection = { variants: picks.map((j, i) => cands[i]![j]!), downgrades: [], flashReplacements: [] };
  picks.forEach((j, i) => {
    if (j === 0) return;
    const op = module.ops[i]!, from = cands[i]![0]!, to = cands[i]![j]!;
    const scratchSaved = from.scratchBytes(op) - to.scratchBytes(op);
    const instructionCost = from.estimate && to.estimate ? instr[i]![j]! - instr[i]![0]! : undefined;
    const cost = instructionCost !== undefined ? { instructionCost } : {};
    if (ramTight && scratchSaved > 0) sel.downgrades.push({ op: i, opName: op.name, from: from.name, to: to.name, scratchSaved, ...cost });
    else sel.flashReplacements.push({ op: i, opName: op.name, from: from.name, to: to.name, flashSaved: flashOf(i, 0) - flashOf(i, j), ...cost });
  });
  return sel;
}
