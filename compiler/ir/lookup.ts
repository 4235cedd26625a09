// Small graph-IR lookups shared by the quantisation helpers and the passes: tensors by id, op labels for errors.
import { TinyforgeError } from '../diagnostics.ts';
import type { Graph, Op, Tensor } from './graph.ts';

export function tensorById(g: Graph, id: number): Tensor | undefined {
  return g.tensors[id]?.id === id ? g.tensors[id] : g.tensors.find((t) => t.id === id);
}

/** How messages name an op: its name when it has one, else its index. */
export function opLabel(g: Graph, op: Op): string | number {
  return op.name ?? g.ops.indexOf(op);
}

/** A tensor an op refers to; a TinyforgeError naming the op when it does not exist. */
export function opTensor(g: Graph, op: Op, id: number, role: string): Tensor {
  const t = tensorById(g, id);
  if (!t) throw new TinyforgeError(`${op.kind}: ${role} refers to tensor ${id}, which does not exist`, { op: opLabel(g, op) });
  return t;
}
