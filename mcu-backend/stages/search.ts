// The schedule search of the select stage: one kernel variant per layer together with the memory plan
// that choice allows (in place, channel splits, placement: the plan stage's planner, planFor), under the
// sram budget (the arena) and the flash budget (the layers' constants + code), minimising an objective
// summed over the layers: modelled cycles when the caller prices every candidate with the cycle model
// (`layerCycles`: ../timing/probe.ts, probe runs on the core's QEMU board priced for the part at its clock
// or for zero-wait memory), else the estimated instructions (the variants' `estimate`). Every evaluated
// point is an (arena, flash, objective) triple; the result is the chosen point, the objective used and the
// Pareto front of the points evaluated.
//
// The arena of a selection depends on each variant only through its memory signature (scratch bytes and
// modal forms), so planner calls are memoised by the signatures; the objective and flash are sums over
// the layers. Small spaces (at most `exhaustiveLimit` selections and 512 signature vectors) are enumerated:
// the chosen point is then the optimum. Larger spaces: the greedy selection of variant.ts (sram
// downgrades at the peak, then flash bytes saved per extra instruction) is the seed, so the result is
// never worse than it (with the cycle objective a second seed: each layer's fewest modelled cycles, made
// to fit the flash budget by the replacements saving most flash per extra modelled cycle; taken when it
// fits and is better), then a descent makes single-layer swaps to faster
// variants while both budgets still hold (largest gain first) until none is left.
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
  /** Modelled cycles per inference (sum of the layers' probed cycles), with the cycle objective. */
  cycles?: number;
}

/** What the search minimised: modelled cycles (and where they are priced) or estimated instructions (and why). */
export interface ScheduleObjective {
  kind: 'modelled cycles' | 'instructions';
  /** 'stm32l4r5 at 120 MHz' / 'zero-wait memory' for cycles; for instructions, why not cycles. */
  note: string;
  /** Cycle objective: the probe models priced (one per candidate rank, ../timing/probe.ts). */
  probes?: number;
}

/** Modelled cycles per layer and candidate (the candidates' order), or why they are not available. */
export type LayerCycles = (cands: AnyVariant[][]) => { cycles: number[][]; where: string; probes: number } | { unavailable: string };

export interface Schedule {
  chosen: SchedulePoint;
  /** Points no other evaluated point beats on arena, flash and the objective at once (by arena, then flash). */
  front: SchedulePoint[];
  objective: ScheduleObjective;
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
  /** Modelled cycles of the candidates (the cycle objective); without it, or when unavailable, estimated instructions. */
  layerCycles?: LayerCycles;
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
  // The objective per candidate: modelled cycles where the caller prices them (measured from the variants'
  // own code, so no priority ranking is imposed), else the ranked estimates.
  const probed = opts.layerCycles?.(cands);
  const cycles = probed && 'cycles' in probed ? probed.cycles : undefined;
  const objective: ScheduleObjective = probed && 'cycles' in probed
    ? { kind: 'modelled cycles', note: probed.where, probes: probed.probes }
    : { kind: 'instructions', note: probed ? probed.unavailable : 'no cycle model requested' };
  const cost = cycles ?? instr;
  const metric = (pt: SchedulePoint) => pt.cycles ?? pt.instructions;
  // Each layer's cheapest candidate by the objective (the first of equals): the reference of the replacements.
  const cheapest = cost.map((xs) => xs.reduce((b, x, j) => (x < xs[b]! ? j : b), 0));
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
        ...(cycles ? { cycles: picks.reduce((s, j, i) => s + cycles[i]![j]!, 0) } : {}),
      };
      evaluatedPicks.set(key, pt);
    }
    return pt;
  };
  const fits = (pt: SchedulePoint) => (ramBudget === undefined || pt.arenaBytes <= ramBudget) && (flash.budget === undefined || pt.flashBytes <= flash.budget);
  // Ties: the smaller arena, then less flash (so the chosen point is on the front), then the higher priorities.
  const rank = (pt: SchedulePoint) => picksOf.get(pt)!.reduce((s, j) => s + j, 0);
  const better = (a: SchedulePoint, b: SchedulePoint) => metric(a) < metric(b) || (metric(a) === metric(b) &&
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
    if (cycles) {
      // The cycle objective's own seed: every layer at its fewest modelled cycles; over the flash budget, the
      // replacement saving most flash bytes per extra modelled cycle that keeps the sram budget, until it fits
      // (the greedy seed above trades flash against estimated instructions). Taken when it fits and is better.
      const own = [...cheapest];
      let need = own.reduce((s, j, i) => s + flashOf(i, j), 0);
      const ruledOut = new Set<string>();
      const made: Array<{ i: number; from: number }> = [];
      const ramOk = () => ramBudget === undefined || peakOfPicks(own).peak <= ramBudget;
      // (Only from a start within the sram budget: the steps keep it, they do not fix it.)
      while (flash.budget !== undefined && need > flash.budget && (made.length > 0 || ramOk())) {
        let step: { i: number; j: number; saved: number; ratio: number } | undefined;
        own.forEach((p, i) => cost[i]!.forEach((x, j) => {
          const saved = flashOf(i, p) - flashOf(i, j);
          if (j === p || saved <= 0 || ruledOut.has(`${i}:${j}`)) return;
          const ratio = saved / Math.max(1, x - cost[i]![p]!);
          if (!step || ratio > step.ratio || (ratio === step.ratio && saved > step.saved)) step = { i, j, saved, ratio };
        }));
        if (!step) break;
        const keep = own[step.i]!;
        own[step.i] = step.j;
        if (!ramOk()) { own[step.i] = keep; ruledOut.add(`${step.i}:${step.j}`); continue; }
        made.push({ i: step.i, from: keep });
        need -= step.saved;
      }
      // Greedy steps overshoot: undo each replacement, last first, that the budgets allow without.
      if (flash.budget !== undefined && need <= flash.budget) {
        for (const { i, from } of made.reverse()) {
          const keep = own[i]!, back = need - flashOf(i, keep) + flashOf(i, from);
          if (back > flash.budget || cost[i]![from]! >= cost[i]![keep]!) continue;
          own[i] = from;
          if (ramOk()) need = back; else own[i] = keep;
        }
      }
      const pt = visit(own);
      if (fits(pt) && (!fits(cur) || better(pt, cur))) { chosenPicks = [...own]; cur = pt; }
    }
    // Descent: the single-layer swap to a faster variant with the largest gain that keeps both budgets.
    const limit = touched.size + (opts.descentRuns ?? 48);
    if (fits(cur)) {
      for (let round = 0; round < 4 * ops.length; round++) {
        const moves: Array<{ i: number; j: number; gain: number }> = [];
        chosenPicks.forEach((p, i) => cost[i]!.forEach((x, j) => { if (x < cost[i]![p]!) moves.push({ i, j, gain: cost[i]![p]! - x }); }));
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
  const dominated = (a: SchedulePoint) => all.some((b) => b !== a && b.arenaBytes <= a.arenaBytes && b.flashBytes <= a.flashBytes && metric(b) <= metric(a) &&
    (b.arenaBytes < a.arenaBytes || b.flashBytes < a.flashBytes || metric(b) < metric(a)));
  const seen = new Set<string>();
  const front = all.filter((p) => !dominated(p)).filter((p) => { const k = `${p.arenaBytes},${p.flashBytes},${metric(p)}`; return !seen.has(k) && !!seen.add(k); })
    .sort((a, b) => a.arenaBytes - b.arenaBytes || a.flashBytes - b.flashBytes || metric(a) - metric(b));
  const variants = chosenPicks.map((j, i) => cands[i]![j]!);
  const selection = !cycles && greedy && greedy.variants.every((v, i) => v === variants[i]) ? greedy
    : replacements(module, cands, chosenPicks, cheapest, estimated, cycles, flashOf, ramBudget !== undefined && evaluate(cheapest).arenaBytes > ramBudget);
  if (flash.budget !== undefined) selection.layerFlashBytes = chosen.flashBytes;
  return {
    selection,
    schedule: {
      chosen, front, objective, feasible: fits(chosen), budgets: { ...(ramBudget !== undefined ? { arenaBytes: ramBudget } : {}), ...(flash.budget !== undefined ? { flashBytes: flash.budget } : {}) },
      method: exhaustive ? 'exhaustive' : 'greedy+descent', evaluated: evaluatedPicks.size, memoryPlans: touched.size,
    },
  };
}

/**
 * The report's view of a chosen selection: each layer not at its fastest variant by the objective (`best`)
 * is a replacement, an sram downgrade when the leaner variant needs less scratch and the fastest selection
 * missed the sram budget, else a flash replacement; its cost in estimated instructions, and in modelled
 * cycles with the cycle objective.
 */
function replacements(module: KernelModule, cands: AnyVariant[][], picks: number[], best: number[], instr: number[][], cycles: number[][] | undefined,
  flashOf: (i: number, j: number) => number, ramTight: boolean): Selection {
  const sel: Selection = { variants: picks.map((j, i) => cands[i]![j]!), downgrades: [], flashReplacements: [] };
  picks.forEach((j, i) => {
    const b = best[i]!;
    if (j === b) return;
    const op = module.ops[i]!, from = cands[i]![b]!, to = cands[i]![j]!;
    const scratchSaved = from.scratchBytes(op) - to.scratchBytes(op);
    const instructionCost = from.estimate && to.estimate ? instr[i]![j]! - instr[i]![b]! : undefined;
    const cost = { ...(instructionCost !== undefined ? { instructionCost } : {}), ...(cycles ? { cycleCost: cycles[i]![j]! - cycles[i]![b]! } : {}) };
    if (ramTight && scratchSaved > 0) sel.downgrades.push({ op: i, opName: op.name, from: from.name, to: to.name, scratchSaved, ...cost });
    else sel.flashReplacements.push({ op: i, opName: op.name, from: from.name, to: to.name, flashSaved: flashOf(i, b) - flashOf(i, j), ...cost });
  });
  return sel;
}
