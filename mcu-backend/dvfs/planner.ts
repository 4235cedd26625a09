// Per-segment operating-point planner (the DATE'24 DAE-DVFS idea): choose one operating point per segment
// to minimise modelled energy under a latency budget, counting the time and energy of every switch.
// It is a multiple-choice knapsack with a pairwise transition term, solved exactly by dynamic programming
// over Pareto fronts of (time, energy) per last-chosen point; `bruteForce` enumerates every choice and is
// the cross-check on small instances. A period starts with a wake-up from Stop (PLLs off: a PLL lock to the
// first point, and a range change when the previous period ended in another range; parts.ts wakeEntryCost)
// and ends by entering Stop from the last point. Baselines: race-to-idle (fastest point, then stop mode) and
// the single lowest point that meets the deadline. Energy here is a model (see parts.ts), not a measurement.

import { type OperatingPoint, type PartSpec, transitionCost, wakeEntryCost } from './parts.ts';

/** A piece of a layer run at one operating point. */
export interface Segment {
  name: string;
  layer: number;
  kind: 'access' | 'execute';
  /** Cycles that do not depend on the clock (instructions executed, from the measured counts and the cycle model). */
  cycles: number;
  /** Flash line fetches that stall for the wait states of the point. */
  flashLines: number;
  /** Flash accesses that miss the part's caches (cycle model, ../timing/model.ts): each stalls for the point's missCycles. */
  misses?: number;
}

export interface PlanInput {
  part: PartSpec;
  points: OperatingPoint[];
  segments: Segment[];
  deadlineUs: number;
}

export interface Plan {
  /** Operating point id per segment. */
  choice: number[];
  /** Busy time including the wake-up, the PLL lock after it, and switches, µs. */
  busyUs: number;
  /** Energy over the whole period (deadline), idle time in stop mode included, µJ. */
  energyUj: number;
  /** Switches between segments (the lock after each wake-up is not counted: every plan pays one). */
  switches: number;
  feasible: boolean;
}

export function segmentCost(seg: Segment, pt: OperatingPoint): { us: number; uj: number } {
  const cycles = seg.cycles + seg.flashLines * pt.waitStates + (seg.misses ?? 0) * (pt.missCycles ?? pt.waitStates);
  const us = cycles / pt.fMHz;
  return { us, uj: (pt.powerMw * us) / 1000 };
}

function stopMw(part: PartSpec): number {
  return part.vddV * part.stopmA;
}

/** One step of a period's work: the PLL lock after the wake-up, a switch between points, or a segment. */
export interface PeriodStep { kind: 'wake' | 'switch' | 'segment'; us: number; uj: number; from?: OperatingPoint; to: OperatingPoint; segment?: Segment }

/**
 * The busy part of a period under an assignment, in order (the wake-up time itself before it, Stop after
 * it): the wake-up's PLL lock to the first point (the previous period stopped in the last segment's range),
 * then each segment, preceded by the switch from the previous segment's point (zero-time when the same).
 */
export function periodSteps(input: PlanInput, choice: number[]): PeriodStep[] {
  const { part, points, segments } = input;
  const steps: PeriodStep[] = [];
  segments.forEach((s, i) => {
    const pt = points[choice[i]!]!;
    if (i === 0) steps.push({ kind: 'wake', ...wakeEntryCost(part, points[choice[segments.length - 1]!]!.range, pt), to: pt });
    else {
      const prev = points[choice[i - 1]!]!;
      steps.push({ kind: 'switch', ...transitionCost(part, prev, pt), from: prev, to: pt });
    }
    steps.push({ kind: 'segment', ...segmentCost(s, pt), to: pt, segment: s });
  });
  return steps;
}

/** Energy and time of a complete assignment, as every strategy is scored. */
export function evaluate(input: PlanInput, choice: number[]): Plan {
  const { part, deadlineUs } = input;
  let us = part.wakeUs;
  let uj = 0;
  let switches = 0;
  for (const st of periodSteps(input, choice)) {
    us += st.us;
    uj += st.uj;
    if (st.kind === 'switch' && st.us > 0) switches++;
  }
  const idle = Math.max(0, deadlineUs - us);
  uj += (stopMw(part) * (idle + part.wakeUs)) / 1000;
  return { choice, busyUs: us, energyUj: uj, switches, feasible: us <= deadlineUs * (1 + 1e-12) };
}

interface Label { t: number; e: number; pt: number; parent: Label | null }

/** Exact DP over Pareto fronts, once per wake-up range (the range of the last segment, so periods chain).
 *  Returns the minimum-energy feasible plan, or race-to-idle marked infeasible. */
export function planDvfs(input: PlanInput): Plan {
  const { part, points, segments, deadlineUs } = input;
  if (segments.length === 0) return evaluate(input, []);
  const pStop = stopMw(part);
  // Idle energy = pStop * (deadline - busy): fold "- pStop * t" into every time-consuming step so the
  // objective is additive.
  const adj = (c: { us: number; uj: number }) => ({ us: c.us, uj: c.uj - (pStop * c.us) / 1000 });
  // Lower bound on the time still needed after segment i (fastest point for each), for pruning.
  const minRest = new Array<number>(segments.length + 1).fill(0);
  for (let i = segments.length - 1; i >= 0; i--) {
    minRest[i] = minRest[i + 1]! + Math.min(...points.map((p) => segmentCost(segments[i]!, p).us));
  }
  const fits = (t: number) => t <= deadlineUs * (1 + 1e-12);
  let best: Label | null = null;
  let bestE = Infinity;
  for (const wakeRange of new Set(points.map((p) => p.range))) {
    let fronts: Label[][] = points.map(() => []);
    for (const q of points) {
      const entry = adj(wakeEntryCost(part, wakeRange, q));
      const seg = adj(segmentCost(segments[0]!, q));
      const t = part.wakeUs + entry.us + seg.us;
      if (fits(t + minRest[1]!)) fronts[q.id] = [{ t, e: entry.uj + seg.uj, pt: q.id, parent: null }];
    }
    for (let i = 1; i < segments.length; i++) {
      const next: Label[][] = points.map(() => []);
      for (const q of points) {
        const seg = adj(segmentCost(segments[i]!, q));
        const cands: Label[] = [];
        for (const p of points) {
          const front = fronts[p.id]!;
          if (front.length === 0) continue;
          const tr = adj(transitionCost(part, p, q));
          for (const l of front) {
            const t = l.t + tr.us + seg.us;
            if (!fits(t + minRest[i + 1]!)) continue;
            cands.push({ t, e: l.e + tr.uj + seg.uj, pt: q.id, parent: l });
          }
        }
        next[q.id] = paretoPrune(cands);
      }
      fronts = next;
    }
    for (const p of points) {
      if (p.range !== wakeRange) continue;
      for (const l of fronts[p.id]!) if (fits(l.t) && l.e < bestE) { bestE = l.e; best = l; }
    }
  }
  if (!best) return { ...evaluate(input, segments.map(() => points[0]!.id)), feasible: false };
  const choice: number[] = [];
  for (let l: Label | null = best; l; l = l.parent) choice.unshift(l.pt);
  return evaluate(input, choice);
}

/** Keep labels not dominated in (time, energy): sorted by time, energy strictly decreasing. */
function paretoPrune(ls: Label[]): Label[] {
  ls.sort((a, b) => a.t - b.t || a.e - b.e);
  const out: Label[] = [];
  let bestE = Infinity;
  for (const l of ls) {
    if (l.e < bestE - 1e-15) { out.push(l); bestE = l.e; }
  }
  return out;
}

/** Every assignment, for cross-checking the DP on small instances (points^segments evaluations). */
export function bruteForce(input: PlanInput): Plan | null {
  const n = input.segments.length;
  const k = input.points.length;
  const choice = new Array<number>(n).fill(0);
  let best: Plan | null = null;
  for (;;) {
    const p = evaluate(input, [...choice]);
    if (p.feasible && (!best || p.energyUj < best.energyUj)) best = p;
    let i = 0;
    while (i < n && ++choice[i]! === k) { choice[i] = 0; i++; }
    if (i === n) break;
  }
  return best;
}

/** Race-to-idle: everything at the fastest point, then stop mode until the deadline. */
export function raceToIdle(input: PlanInput): Plan {
  return evaluate(input, input.segments.map(() => input.points[0]!.id));
}

/** The single slowest operating point (ties: the least power) that still meets the deadline, for every segment. */
export function lowestSinglePoint(input: PlanInput): Plan {
  const byF = [...input.points].sort((a, b) => a.fMHz - b.fMHz || a.powerMw - b.powerMw);
  for (const p of byF) {
    const plan = evaluate(input, input.segments.map(() => p.id));
    if (plan.feasible) return plan;
  }
  return { ...raceToIdle(input), feasible: false };
}
