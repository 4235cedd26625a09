// Offset assignment for memory requests. Two algorithms side by side:
// - `greedyTflm`: TFLite Micro's GreedyMemoryPlanner idea (the baseline): requests by decreasing size,
//   each at the lowest offset that does not overlap an already placed request live at the same time.
// - `bestFit`: several orderings (size, lifetime length, first use) with best-fit gap choice (the smallest
//   gap that holds the request), keeping the placement with the lowest peak. Tied groups (in-place
//   execution) are placed as one unit at one offset; their members may overlap each other.

import type { MemRequest } from './requests.ts';

export interface Placement {
  offsets: Map<number, number>;
  peak: number;
  /** Op index at which the highest placed byte is live. */
  peakOp: number;
}

interface Unit { members: MemRequest[]; bytes: number; first: number; last: number }

function units(reqs: MemRequest[]): Unit[] {
  const byGroup = new Map<number, MemRequest[]>();
  const out: Unit[] = [];
  for (const r of reqs) {
    if (r.group === undefined) out.push({ members: [r], bytes: r.bytes, first: r.first, last: r.last });
    else byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r]);
  }
  for (const ms of byGroup.values()) {
    out.push({ members: ms, bytes: Math.max(...ms.map((m) => m.bytes)), first: Math.min(...ms.map((m) => m.first)), last: Math.max(...ms.map((m) => m.last)) });
  }
  return out;
}

const overlaps = (a: MemRequest, b: MemRequest) => a.first <= b.last && b.first <= a.last;

/** Candidate offsets for a unit: 0 and the end of every placed request overlapping it in time. */
function place(order: Unit[], fit: 'first' | 'best'): Map<number, number> {
  const placed: Array<{ r: MemRequest; off: number }> = [];
  const offsets = new Map<number, number>();
  for (const u of order) {
    const conflicts = placed.filter((p) => u.members.some((m) => overlaps(m, p.r)));
    const fits = (off: number) => conflicts.every((p) => u.members.every((m) => !overlaps(m, p.r) || off + m.bytes <= p.off || p.off + p.r.bytes <= off));
    const cands = [0, ...conflicts.map((p) => p.off + p.r.bytes)].sort((a, b) => a - b);
    let chosen = -1;
    let bestGap = Infinity;
    for (const c of cands) {
      if (!fits(c)) continue;
      if (fit === 'first') { chosen = c; break; }
      // Gap above c: distance to the next conflicting request starting at or after c + bytes.
      const next = Math.min(...conflicts.filter((p) => p.off >= c + u.bytes).map((p) => p.off), Infinity);
      const gap = next - c - u.bytes;
      if (chosen < 0 || gap < bestGap) { bestGap = gap; chosen = c; }
    }
    for (const m of u.members) { offsets.set(m.id, chosen); placed.push({ r: m, off: chosen }); }
  }
  return offsets;
}

function measure(reqs: MemRequest[], offsets: Map<number, number>, nOps: number): Placement {
  let peak = 0;
  let peakOp = 0;
  for (let t = -1; t < nOps; t++) {
    let top = 0;
    for (const r of reqs) if (r.first <= t && t <= r.last) top = Math.max(top, offsets.get(r.id)! + r.bytes);
    if (top > peak) { peak = top; peakOp = Math.max(0, t); }
  }
  return { offsets, peak, peakOp };
}

export function greedyTflm(reqs: MemRequest[], nOps: number): Placement {
  const order = units(reqs.map((r) => ({ ...r, group: undefined })))
    .sort((a, b) => b.bytes - a.bytes || a.first - b.first);
  return measure(reqs, place(order, 'first'), nOps);
}

export function bestFit(reqs: MemRequest[], nOps: number): Placement {
  const us = units(reqs);
  const orders: Array<(a: Unit, b: Unit) => number> = [
    (a, b) => b.bytes - a.bytes || a.first - b.first,
    (a, b) => (b.last - b.first) - (a.last - a.first) || b.bytes - a.bytes,
    (a, b) => a.first - b.first || b.bytes - a.bytes,
    (a, b) => b.bytes * (b.last - b.first + 1) - a.bytes * (a.last - a.first + 1),
  ];
  let best: Placement | null = null;
  for (const cmp of orders) {
    for (const fit of ['best', 'first'] as const) {
      const p = measure(reqs, place([...us].sort(cmp), fit), nOps);
      if (!best || p.peak < best.peak) best = p;
    }
  }
  return best!;
}
