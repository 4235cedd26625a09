// The memory planner's driver: the four figures of a model side by side (whole-tensor floor, TFLite-Micro
// greedy baseline, our planner with in-place execution, and the planner with partial execution), and the
// budget-driven search that finds a schedule fitting `sram` or fails naming the best peak and its op.

import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { findInPlace, type InPlace } from './inplace.ts';
import { applySplits, divisors, findChains, type SplitChain } from './partial.ts';
import { bestFit, greedyTflm, type Placement } from './placement.ts';
import { liveBytes, type MemRequest, tensorRequests, wholeTensorFloor } from './requests.ts';

export type MemoryStrategy = 'greedy' | 'planner' | 'planner+partial';

export interface MemoryPlan extends Placement {
  strategy: MemoryStrategy;
  requests: MemRequest[];
  inPlace: InPlace[];
  chains: SplitChain[];
  /** Bytes live per op (the plot's curve). */
  live: number[];
}

/** Requests with in-place ties and delay buffers (scratch live during its op only). */
function withInPlace(m: KernelModule, reqs: MemRequest[], skipOps: Set<number>): { reqs: MemRequest[]; inPlace: InPlace[] } {
  const out = reqs.map((r) => ({ ...r }));
  const byId = new Map(out.map((r) => [r.id, r]));
  const inPlace = findInPlace(m).filter((ip) => !skipOps.has(ip.op));
  let nextId = Math.max(...out.map((r) => r.id)) + 1;
  for (const ip of inPlace) {
    const input = byId.get(ip.input)!;
    const output = byId.get(m.ops[ip.op]!.output)!;
    if (input.kind === 'slice' || output.kind === 'slice') continue;
    const g = input.group ?? output.group ?? ip.input;
    input.group = g;
    output.group = g;
    if (ip.scratchBytes > 0) out.push({ id: nextId++, name: `op${ip.op}.delay`, bytes: ip.scratchBytes, first: ip.op, last: ip.op, kind: 'scratch' });
  }
  return { reqs: out, inPlace };
}

export function planMemory(m: KernelModule, strategy: MemoryStrategy, chains: SplitChain[] = []): MemoryPlan {
  const n = m.ops.length;
  const base = tensorRequests(m);
  if (strategy === 'greedy') {
    const p = greedyTflm(base, n);
    return { ...p, strategy, requests: base, inPlace: [], chains: [], live: liveBytes(base, n) };
  }
  const split = applySplits(m, base, chains);
  const inChain = new Set(chains.flatMap((c) => c.ops));
  const { reqs, inPlace } = withInPlace(m, split, inChain);
  const p = bestFit(reqs, n);
  return { ...p, strategy, requests: reqs, inPlace, chains, live: liveBytes(reqs, n) };
}

/** Greedy descent over chain split factors: split the chain at the peak with the least factor that lowers it. */
export function searchPartial(m: KernelModule, budget = 0): MemoryPlan {
  const cands = findChains(m);
  let chosen: SplitChain[] = [];
  let best = planMemory(m, 'planner+partial', chosen);
  for (let iter = 0; iter < 2 * cands.length + 2 && best.peak > budget; iter++) {
    let improved: MemoryPlan | null = null;
    let improvedChains: SplitChain[] = [];
    for (const c of cands) {
      const current = chosen.find((x) => x.ops[0] === c.ops[0])?.split ?? 1;
      for (const s of divisors(c.channels).filter((d) => d > current)) {
        const trial = [...chosen.filter((x) => x.ops[0] !== c.ops[0]), { ...c, split: s }];
        const p = planMemory(m, 'planner+partial', trial);
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

/** The plan the backend uses under an SRAM budget for activations: the cheapest strategy that fits. */
export function planForBudget(m: KernelModule, budgetBytes: number, where: { file?: string } = {}): MemoryPlan {
  const planner = planMemory(m, 'planner');
  if (planner.peak <= budgetBytes) return planner;
  const partial = searchPartial(m, budgetBytes);
  if (partial.peak <= budgetBytes) return partial;
  const op = m.ops[partial.peakOp]!;
  throw new TinyforgeError(
    `activations need ${partial.peak} bytes of SRAM at best (with in-place and partial execution), over the sram budget of ${budgetBytes} bytes; the peak is at op ${op.index} (${op.kind} ${op.name})`,
    where, 'raise targets.mcu.sram or shrink that layer');
}
