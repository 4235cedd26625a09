// The memory planner's driver, the one planner the emitted arena comes from (arena.ts turns a plan into
// offsets): best-fit placement with in-place ties (and their delay rows), kernel scratch, channel-split
// chains; the four figures of a model side by side (whole-tensor floor, TFLite-Micro greedy baseline,
// the planner with in-place execution, and with partial execution); and the budget-driven choice of
// schedule (planForBudget; the build names the budget, the best peak and its op when even that misses).

import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import { findInPlace, type InPlace } from './inplace.ts';
import { applySplits, divisors, findChains, type SplitChain } from './partial.ts';
import { bestFit, greedyTflm, type Placement } from './placement.ts';
import { liveBytes, type MemRequest, storageOf, tensorRequests, wholeTensorFloor } from './requests.ts';

export type MemoryStrategy = 'greedy' | 'planner' | 'planner+partial';

/** What the emitter adds to the figures: kernel scratch, which ops its chosen kernels can run in place or split, alignment. */
export interface PlanOptions {
  /** Kernel scratch per op (bytes), a request live during its op. */
  scratch?: readonly number[];
  /** May op i run in place / take part in a channel-split chain (its kernel emits the modal form)? Default: yes. */
  canInPlace?: (op: number) => boolean;
  canSplit?: (op: number) => boolean;
  /** Does op i's kernel read its input only in a prepass into its scratch (in place whole, inplace.ts)? */
  prepass?: (op: number) => boolean;
  /** Round every request up to a multiple of this (the emitted arena uses 8; the figures 1). */
  align?: number;
}

/** Request ids of an op's kernel scratch and of its in-place delay buffer (buffer ids are small). */
export const scratchId = (op: number) => 1_000_000 + op;
export const delayId = (op: number) => 2_000_000 + op;

export interface MemoryPlan extends Placement {
  strategy: MemoryStrategy;
  requests: MemRequest[];
  inPlace: InPlace[];
  chains: SplitChain[];
  /** Bytes live per op (the plot's curve). */
  live: number[];
}

/** Requests with in-place ties and delay buffers (scratch live during its op only). */
function withInPlace(m: KernelModule, reqs: MemRequest[], skip: (op: number) => boolean, prepass?: (op: number) => boolean): { reqs: MemRequest[]; inPlace: InPlace[] } {
  const out = reqs.map((r) => ({ ...r }));
  const byId = new Map(out.map((r) => [r.id, r]));
  const inPlace: InPlace[] = [];
  for (const ip of findInPlace(m, prepass)) {
    if (skip(ip.op)) continue;
    const input = byId.get(ip.input)!;
    const output = byId.get(storageOf(m, m.ops[ip.op]!.output))!;
    if (input.kind === 'slice' || output.kind === 'slice') continue;
    inPlace.push(ip);
    // Union of the two groups (an in-place chain shares one offset throughout).
    const g = input.group ?? output.group ?? ip.input;
    const old = [input.group, output.group].filter((x) => x !== undefined && x !== g);
    for (const r of out) if (r.group !== undefined && old.includes(r.group)) r.group = g;
    input.group = g;
    output.group = g;
    if (ip.scratchBytes > 0) out.push({ id: delayId(ip.op), name: `${m.ops[ip.op]!.name} delay rows`, bytes: ip.scratchBytes, first: ip.op, last: ip.op, kind: 'scratch' });
  }
  return { reqs: out, inPlace };
}

function finish(m: KernelModule, reqs: MemRequest[], opts: PlanOptions): MemRequest[] {
  const out = [...reqs];
  (opts.scratch ?? []).forEach((bytes, op) => {
    if (bytes > 0) out.push({ id: scratchId(op), name: `${m.ops[op]!.name} scratch`, bytes, first: op, last: op, kind: 'scratch' });
  });
  const a = opts.align ?? 1;
  return out.map((r) => ({ ...r, bytes: Math.ceil(r.bytes / a) * a }));
}

export function planMemory(m: KernelModule, strategy: MemoryStrategy, chains: SplitChain[] = [], opts: PlanOptions = {}): MemoryPlan {
  const n = m.ops.length;
  const base = tensorRequests(m);
  if (strategy === 'greedy') {
    const reqs = finish(m, base, opts);
    const p = greedyTflm(reqs, n);
    return { ...p, strategy, requests: reqs, inPlace: [], chains: [], live: liveBytes(reqs, n) };
  }
  const split = applySplits(m, base, chains);
  const inChain = new Set(chains.flatMap((c) => c.ops));
  const can = opts.canInPlace ?? (() => true);
  const dropped = new Set<number>();
  const attempt = (): MemoryPlan => {
    const { reqs: tied, inPlace } = withInPlace(m, split, (op) => inChain.has(op) || !can(op) || dropped.has(op), opts.prepass);
    const reqs = finish(m, tied, opts);
    return { ...bestFit(reqs, n), strategy, requests: reqs, inPlace, chains, live: liveBytes(reqs, n) };
  };
  let best = attempt();
  // A tie pins the output to its input's offset, which can fragment the arena (a growing output tied
  // to an input that sits above a buffer still live): drop ties near the peak while that lowers it.
  for (let iter = 0; iter < 8; iter++) {
    let better: MemoryPlan | null = null;
    for (const ip of best.inPlace.filter((x) => Math.abs(x.op - best.peakOp) <= 1)) {
      dropped.add(ip.op);
      const t = attempt();
      if (t.peak < (better?.peak ?? best.peak)) better = t;
      dropped.delete(ip.op);
      if (better === t) { dropped.add(ip.op); break; }
    }
    if (!better) break;
    best = better;
  }
  return best;
}

/** Chains whose every op may be split (PlanOptions.canSplit). */
export function splittableChains(m: KernelModule, opts: PlanOptions = {}): ReturnType<typeof findChains> {
  const can = opts.canSplit ?? (() => true);
  return findChains(m).filter((c) => c.ops.every(can));
}

/**
 * Greedy descent over chain split factors: split a chain at the peak with the least factor that lowers
 * it (a split only shrinks bytes inside its chain's ops, so chains away from the peak are not tried).
 */
export function searchPartial(m: KernelModule, budget = 0, opts: PlanOptions = {}): MemoryPlan {
  const cands = splittableChains(m, opts);
  let chosen: SplitChain[] = [];
  let best = planMemory(m, 'planner+partial', chosen, opts);
  for (let iter = 0; iter < 2 * cands.length + 2 && best.peak > budget; iter++) {
    let improved: MemoryPlan | null = null;
    let improvedChains: SplitChain[] = [];
    const at = [best.peakOp, livePeakOp(best)];
    for (const c of cands) {
      if (!at.some((t) => c.ops[0]! <= t && t <= c.ops[c.ops.length - 1]!)) continue;
      const current = chosen.find((x) => x.ops[0] === c.ops[0])?.split ?? 1;
      for (const s of divisors(c.channels).filter((d) => d > current)) {
        const trial = [...chosen.filter((x) => x.ops[0] !== c.ops[0]), { ...c, split: s }];
        const p = planMemory(m, 'planner+partial', trial, opts);
        if (p.peak < (improved?.peak ?? best.peak)) { improved = p; improvedChains = trial; }
        if (p.peak < best.peak) break; // least factor that helps this chain
      }
    }
    if (!improved) break;
    best = improved;
    chosen = improvedChains;
  }
  return best;
}

export interface MemoryFigures {
  floor: { bytes: number; op: number };
  greedy: MemoryPlan;
  planner: MemoryPlan;
  partial: MemoryPlan;
}

export function memoryFigures(m: KernelModule): MemoryFigures {
  return { floor: wholeTensorFloor(m), greedy: planMemory(m, 'greedy'), planner: planMemory(m, 'planner'), partial: searchPartial(m) };
}

export type MemorySchedule = 'auto' | 'partial' | 'whole';

/**
 * The plan the backend uses. 'auto': the planner (best fit, in-place execution), and only when that is
 * over `budgetBytes` the partial-execution search, which stops as soon as the budget is met (the fewest
 * split chains, the least loop overhead). 'partial': the split search for the least peak. 'whole': whole
 * tensors, no in-place (best fit only).
 */
export function planForBudget(m: KernelModule, budgetBytes: number | undefined, opts: PlanOptions = {}, schedule: MemorySchedule = 'auto'): MemoryPlan {
  if (schedule === 'whole') return planMemory(m, 'planner', [], { ...opts, canInPlace: () => false });
  if (schedule === 'partial') return searchPartial(m, 0, opts);
  const planner = planMemory(m, 'planner', [], opts);
  if (budgetBytes === undefined || planner.peak <= budgetBytes) return planner;
  const partial = searchPartial(m, budgetBytes, opts);
  return partial.peak < planner.peak ? partial : planner;
}

/** The op with the most live bytes (the first, on a tie). */
export function livePeakOp(p: MemoryPlan): number {
  let k = 0;
  p.live.forEach((v, i) => { if (v > p.live[k]!) k = i; });
  return k;
}
