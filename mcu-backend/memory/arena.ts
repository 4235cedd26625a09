// The emitted activation arena: the memory planner's placement (plan.ts: best fit with in-place ties and,
// when asked, channel-split chains) turned into what the C emitter needs — the arena offset of every
// buffer (views resolved to their storage), of each op's kernel scratch, of each in-place op's delay
// rows and of each split chain's slice buffers — plus a flat item list for reports and the no-overlap
// check. No placement algorithm lives here: one planner, the TFLite-Micro-style greedy one
// (placement.ts greedyTflm) is kept only as the reported baseline.
import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import type { InPlace } from './inplace.ts';
import type { SplitChain } from './partial.ts';
import { delayId, type MemoryPlan, scratchId } from './plan.ts';
import { storageOf } from './requests.ts';

/** Every request is rounded up to this many bytes, so every offset is 8-byte aligned (LDRD, int16 scratch). */
export const ARENA_ALIGN = 8;

export interface ArenaItem {
  kind: 'tensor' | 'slice' | 'scratch';
  /** Request id (buffer id for tensors and slices). */
  id: number;
  name: string;
  bytes: number;
  first: number;
  last: number;
  offset: number;
  /** In-place tie group (members may share bytes). */
  group?: number;
}

export interface ArenaPlan {
  arenaBytes: number;
  /** Arena offset of every buffer (views resolved to their storage; a split chain's intermediates: their slice buffer). */
  bufferOffset: Map<number, number>;
  /** Kernel scratch offset per op (-1: none). */
  scratchOffset: number[];
  /** Delay-row buffer offset per op (-1: not in place or no delay buffer). */
  delayOffset: number[];
  inPlace: InPlace[];
  chains: SplitChain[];
  items: ArenaItem[];
  /** Live bytes while op i runs (sum of live requests; an in-place pair counts once). */
  liveByOp: number[];
  peakOp: number;
  peakLiveBytes: number;
  strategy: MemoryPlan['strategy'];
}

export function arenaFromPlan(m: KernelModule, p: MemoryPlan): ArenaPlan {
  const off = (id: number) => p.offsets.get(id) ?? -1;
  const bufferOffset = new Map<number, number>();
  for (const b of m.buffers) bufferOffset.set(b.id, off(storageOf(m, b.id)));
  const items: ArenaItem[] = p.requests.map((r) => ({ kind: r.kind, id: r.id, name: r.name, bytes: r.bytes, first: r.first, last: r.last, offset: off(r.id), group: r.group }));
  let peakOp = 0;
  p.live.forEach((v, i) => { if (v > p.live[peakOp]!) peakOp = i; });
  return {
    arenaBytes: p.peak, bufferOffset,
    scratchOffset: m.ops.map((_, i) => off(scratchId(i))),
    delayOffset: m.ops.map((_, i) => off(delayId(i))),
    inPlace: p.inPlace, chains: p.chains, items, liveByOp: p.live, peakOp, peakLiveBytes: p.live[peakOp] ?? 0, strategy: p.strategy,
  };
}

/** Pairs of items live at the same time whose bytes overlap, except members of one in-place group (tests). */
export function planConflicts(plan: Pick<ArenaPlan, 'items'>): string[] {
  const bad: string[] = [];
  const its = plan.items;
  for (let i = 0; i < its.length; i++) {
    for (let j = i + 1; j < its.length; j++) {
      const a = its[i]!, b = its[j]!;
      if (a.group !== undefined && a.group === b.group) continue;
      const time = a.first <= b.last && b.first <= a.last;
      const space = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
      if (time && space) bad.push(`${a.name} and ${b.name}`);
    }
  }
  return bad;
}
