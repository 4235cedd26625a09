// Static activation arena planner for the Cortex-M backend. Every activation buffer and every kernel's
// scratch gets an offset in one arena; two of them may share bytes only when their lifetimes (op
// intervals [def, lastUse], scratch: [op, op]) do not overlap. Views (KBuffer.aliasOf, from reshape)
// take their root's offset, and the root lives as long as any of its views. Placement is greedy by
// size, largest first, each at the lowest offset free over its lifetime (the strategy of TFLite Micro's
// greedy planner). Reports the arena size and the op where the live bytes peak.
import type { KBuffer, KernelModule } from '../../compiler/kernel-ir/types.ts';

export const ARENA_ALIGN = 8;

export interface ArenaItem {
  /** 'buffer' items are activation buffers (id = buffer id); 'scratch' items belong to op `id`. */
  kind: 'buffer' | 'scratch';
  id: number;
  name: string;
  bytes: number;
  first: number;
  last: number;
  offset: number;
}

export interface ArenaPlan {
  arenaBytes: number;
  /** Arena offset of every buffer (views resolved to their root). */
  bufferOffset: Map<number, number>;
  /** Scratch offset per op (-1 when it has none). */
  scratchOffset: number[];
  items: ArenaItem[];
  /** Live bytes (buffers + scratch) while op i runs. */
  liveByOp: number[];
  peakOp: number;
  peakLiveBytes: number;
}

const align = (n: number) => Math.ceil(n / ARENA_ALIGN) * ARENA_ALIGN;

export function rootOf(buffers: readonly KBuffer[], id: number): number {
  let b = buffers[id];
  const seen = new Set<number>();
  while (b.aliasOf !== undefined) {
    if (seen.has(b.id)) throw new Error(`alias cycle at buffer ${b.id}`);
    seen.add(b.id);
    b = buffers[b.aliasOf];
  }
  return b.id;
}

export function planArena(module: KernelModule, scratchBytes: readonly number[]): ArenaPlan {
  const items: ArenaItem[] = [];
  const byRoot = new Map<number, ArenaItem>();
  for (const b of module.buffers) {
    const r = rootOf(module.buffers, b.id);
    let it = byRoot.get(r);
    if (!it) {
      const root = module.buffers[r];
      it = { kind: 'buffer', id: r, name: root.name, bytes: root.bytes, first: root.def, last: root.lastUse, offset: -1 };
      byRoot.set(r, it);
      items.push(it);
    }
    it.first = Math.min(it.first, b.def);
    it.last = Math.max(it.last, b.lastUse);
    it.bytes = Math.max(it.bytes, b.bytes);
  }
  module.ops.forEach((op, i) => {
    if (scratchBytes[i] > 0) items.push({ kind: 'scratch', id: i, name: `${op.name} scratch`, bytes: scratchBytes[i], first: i, last: i, offset: -1 });
  });
  const order = [...items].sort((a, b) => b.bytes - a.bytes || a.first - b.first);
  const placed: ArenaItem[] = [];
  let arenaBytes = 0;
  for (const it of order) {
    const clash = placed
      .filter((p) => p.first <= it.last && it.first <= p.last)
      .sort((a, b) => a.offset - b.offset);
    let off = 0;
    for (const p of clash) {
      if (off + it.bytes <= p.offset) break;
      off = Math.max(off, align(p.offset + p.bytes));
    }
    it.offset = off;
    placed.push(it);
    arenaBytes = Math.max(arenaBytes, align(off + it.bytes));
  }
  const bufferOffset = new Map<number, number>();
  for (const b of module.buffers) bufferOffset.set(b.id, byRoot.get(rootOf(module.buffers, b.id))!.offset);
  const scratchOffset = module.ops.map(() => -1);
  for (const it of items) if (it.kind === 'scratch') scratchOffset[it.id] = it.offset;
  const liveByOp = module.ops.map((_, i) => items.filter((it) => it.first <= i && i <= it.last).reduce((s, it) => s + it.bytes, 0));
  let peakOp = 0;
  liveByOp.forEach((v, i) => { if (v > liveByOp[peakOp]) peakOp = i; });
  return { arenaBytes, bufferOffset, scratchOffset, items, liveByOp, peakOp, peakLiveBytes: liveByOp[peakOp] ?? 0 };
}

/** Checks a plan: every pair of items with overlapping lifetimes has disjoint bytes (used by tests). */
export function planConflicts(plan: ArenaPlan): string[] {
  const bad: string[] = [];
  const its = plan.items;
  for (let i = 0; i < its.length; i++) {
    for (let j = i + 1; j < its.length; j++) {
      const a = its[i], b = its[j];
      const time = a.first <= b.last && b.first <= a.last;
      const space = a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
      if (time && space) bad.push(`${a.name} and ${b.name}`);
    }
  }
  return bad;
}
