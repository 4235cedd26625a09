// Partial execution along channels (Pex): a producer that can emit a slice of its output channels (a conv
// needs its whole input for any output channel; a depthwise conv or a pool only the matching input
// slice) followed by channel-wise consumers (depthwise conv, pools) can run slice by slice, so the
// intermediate tensors only ever exist as one slice. Splitting along channels adds no MACs; the price is
// re-running the producer's loops once per slice. This file finds such chains and rewrites the memory
// requests for a chosen split factor.

import type { KernelModule, KernelOp } from '../../compiler/kernel-ir/types.ts';
import { type MemRequest, storageOf } from './requests.ts';

export interface Chain {
  /** Op indices, producer first, each consuming the previous one's output. */
  ops: number[];
  /** Channels of the intermediate tensors (the split dimension). */
  channels: number;
}

export interface SplitChain extends Chain { split: number }

const producerKinds = new Set<KernelOp['kind']>(['conv2d', 'depthwise_conv2d', 'average_pool2d', 'max_pool2d']);
function channelWise(op: KernelOp): boolean {
  return (op.kind === 'depthwise_conv2d' && op.depthMultiplier === 1) || op.kind === 'average_pool2d' || op.kind === 'max_pool2d';
}
function outChannels(m: KernelModule, op: KernelOp): number {
  const s = m.buffers[op.output]!.shape;
  return s[s.length - 1]!;
}

/** Maximal chains producer -> channel-wise consumer(s), adjacent in the schedule, intermediates read only by the next op. */
export function findChains(m: KernelModule): Chain[] {
  const readers = new Map<number, number[]>();
  for (const op of m.ops) for (const i of op.inputs) {
    const s = storageOf(m, i);
    readers.set(s, [...(readers.get(s) ?? []), op.index]);
  }
  const outputs = new Set(m.outputs.map((o) => storageOf(m, o)));
  const chains: Chain[] = [];
  for (let i = 0; i < m.ops.length; i++) {
    const p = m.ops[i]!;
    if (!producerKinds.has(p.kind) || (p.kind === 'conv2d' && p.groups !== 1)) continue;
    const ops = [i];
    let cur = p;
    for (;;) {
      const s = storageOf(m, cur.output);
      const rd = readers.get(s) ?? [];
      const next = m.ops[cur.index + 1];
      if (outputs.has(s) || rd.length !== 1 || !next || rd[0] !== next.index || !channelWise(next) || next.inputs.length !== 1) break;
      ops.push(next.index);
      cur = next;
    }
    if (ops.length >= 2) { chains.push({ ops, channels: outChannels(m, p) }); i = ops[ops.length - 1]! - 1; }
  }
  return chains;
}

export function divisors(n: number): number[] {
  const d: number[] = [];
  for (let k = 2; k <= n; k++) if (n % k === 0) d.push(k);
  return d;
}

/** Rewrites requests for the chains: intermediates shrink to one slice, live for the whole chain. */
export function applySplits(m: KernelModule, reqs: MemRequest[], chains: SplitChain[]): MemRequest[] {
  const byId = new Map(reqs.map((r) => [r.id, { ...r }]));
  for (const c of chains) {
    const first = c.ops[0]!;
    const last = c.ops[c.ops.length - 1]!;
    for (const opIdx of c.ops) {
      const op = m.ops[opIdx]!;
      for (const i of op.inputs) { const r = byId.get(storageOf(m, i))!; r.last = Math.max(r.last, last); }
      const out = byId.get(storageOf(m, op.output))!;
      if (opIdx === last) { out.first = Math.min(out.first, first); continue; }
      out.bytes = Math.ceil(out.bytes / c.split);
      out.first = first;
      out.last = last;
      out.kind = 'slice';
    }
  }
  return [...byId.values()];
}
