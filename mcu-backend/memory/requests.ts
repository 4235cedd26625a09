// Memory requests: what an arena planner places. Each activation buffer of a kernel module (aliases such as
// reshape folded into the buffer they view) becomes a request with a size and a live interval in op
// indices (recurrent state excepted: it persists outside the arena); an op's scratch becomes a request live during that op only. Also the whole-tensor floor, the
// least any planner that materialises whole tensors can reach: the largest (inputs + output) of one op.

import type { KernelModule } from '../../compiler/kernel-ir/types.ts';

export interface MemRequest {
  id: number;
  name: string;
  bytes: number;
  /** First and last op index (inclusive) during which the bytes must be kept; -1 = before the first op. */
  first: number;
  last: number;
  /** Requests tied to the same group share one offset (in-place execution): their overlap is allowed. */
  group?: number;
  /** What this request is, for reports. */
  kind: 'tensor' | 'slice' | 'scratch';
}

/** The buffer a (possibly aliasing) buffer's bytes live in. */
export function storageOf(m: KernelModule, id: number): number {
  let b = m.buffers[id]!;
  while (b.aliasOf !== undefined) b = m.buffers[b.aliasOf]!;
  return b.id;
}

/** One request per storage buffer, live from its definition to the last use of it or of any alias of it. */
export function tensorRequests(m: KernelModule): MemRequest[] {
  const reqs = new Map<number, MemRequest>();
  for (const b of m.buffers) {
    if (b.kind === 'state') continue; // persistent, outside the arena (the emitter's static state block)
    const s = storageOf(m, b.id);
    const base = m.buffers[s]!;
    const r = reqs.get(s) ?? { id: s, name: base.name, bytes: base.bytes, first: base.def, last: base.lastUse, kind: 'tensor' as const };
    r.first = Math.min(r.first, b.def);
    r.last = Math.max(r.last, Math.min(b.lastUse, m.ops.length - 1));
    reqs.set(s, r);
  }
  // Graph outputs stay live to the end; graph inputs from the start.
  for (const o of m.outputs) reqs.get(storageOf(m, o))!.last = m.ops.length - 1;
  for (const i of m.inputs) reqs.get(storageOf(m, i))!.first = -1;
  return [...reqs.values()].sort((a, b) => a.id - b.id);
}

/** Largest sum of one op's distinct input storages plus its output storage (aliasing ops excluded). */
export function wholeTensorFloor(m: KernelModule): { bytes: number; op: number } {
  let best = { bytes: 0, op: -1 };
  for (const op of m.ops) {
    if (op.kind === 'reshape') continue;
    const ids = new Set([...op.inputs.filter((i) => m.buffers[i]!.kind !== 'state').map((i) => storageOf(m, i)), storageOf(m, op.output)]);
    const bytes = [...ids].reduce((s, id) => s + m.buffers[id]!.bytes, 0);
    if (bytes > best.bytes) best = { bytes, op: op.index };
  }
  return best;
}

/** Bytes live at each op (sum of sizes, ignoring placement): the lower bound any placement must meet. */
export function liveBytes(reqs: MemRequest[], nOps: number): number[] {
  const live = new Array<number>(nOps).fill(0);
  const groups = new Map<number, MemRequest[]>();
  for (const r of reqs) {
    if (r.group === undefined) { for (let t = Math.max(0, r.first); t <= r.last; t++) live[t] += r.bytes; continue; }
    groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  }
  // A tied group occupies, at each op, the largest of its members live then.
  for (const members of groups.values()) {
    for (let t = 0; t < nOps; t++) {
      const here = members.filter((r) => r.first <= t && t <= r.last);
      if (here.length) live[t] += Math.max(...here.map((r) => r.bytes));
    }
  }
  return live;
}
