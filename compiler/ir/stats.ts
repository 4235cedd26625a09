// Per-op cost figures of a graph: multiply-accumulates (the theoretical count papers use: energy is linear
// in it), constant bytes (weights + bias) and activation bytes (non-constant inputs + output, the floor for
// a planner that materialises whole tensors). Used by `inspect`, `build` and the backends' reports.
import { opDef } from '../ops/index.ts';
import { bytesPerElement, numElements, type Graph, type Op, type OpKind, type Tensor } from './graph.ts';

export interface OpStats {
  index: number;
  kind: OpKind;
  name: string;
  inputShapes: number[][];
  outputShape: number[];
  /** Every output's shape (several for SPLIT / UNPACK). */
  outputShapes: number[][];
  macs: number;
  weightBytes: number;
  activationBytes: number;
}

export interface GraphStats {
  ops: OpStats[];
  totals: {
    ops: number;
    macs: number;
    weightBytes: number;
    /** The largest per-op activation bytes (input + output of one op). */
    activationBytes: number;
    histogram: Partial<Record<OpKind, number>>;
  };
  /** Present only when a graph input or output is not int8 (float32 edges): every input and output with its dtype. */
  edges?: { inputs: EdgeStats[]; outputs: EdgeStats[] };
}

export interface EdgeStats { name: string; dtype: Tensor['dtype']; shape: number[] }

const bytes = (t: Tensor) => numElements(t.shape) * bytesPerElement(t.dtype);

/** Multiply-accumulates of one op (its definition's count; 0 for data movement and element-wise ops). */
export function opMacs(g: Graph, op: Op): number {
  return opDef(op.kind).macs(g, op as never, (id) => g.tensors[id]!);
}

export function opStats(g: Graph, op: Op, index: number): OpStats {
  let weightBytes = 0;
  let activationBytes = 0;
  const inputShapes: number[][] = [];
  for (const id of op.inputs) {
    if (id < 0) continue;
    const t = g.tensors[id]!;
    inputShapes.push(t.shape);
    if (t.data) weightBytes += bytes(t);
    else activationBytes += bytes(t);
  }
  const outs = op.outputs.map((id) => g.tensors[id]!);
  for (const t of outs) activationBytes += bytes(t);
  return {
    index, kind: op.kind, name: op.name ?? `${op.kind}_${index}`, inputShapes, outputShape: outs[0]!.shape, outputShapes: outs.map((t) => t.shape),
    macs: opMacs(g, op), weightBytes, activationBytes,
  };
}

export function graphStats(g: Graph): GraphStats {
  const ops = g.ops.map((op, i) => opStats(g, op, i));
  const histogram: Partial<Record<OpKind, number>> = {};
  for (const s of ops) histogram[s.kind] = (histogram[s.kind] ?? 0) + 1;
  const edge = (id: number): EdgeStats => ({ name: g.tensors[id]!.name, dtype: g.tensors[id]!.dtype, shape: g.tensors[id]!.shape });
  const edges = [...g.inputs, ...g.outputs].some((id) => g.tensors[id]!.dtype !== 'int8')
    ? { edges: { inputs: g.inputs.map(edge), outputs: g.outputs.map(edge) } } : {};
  return {
    ...edges,
    ops,
    totals: {
      ops: ops.length,
      macs: ops.reduce((a, s) => a + s.macs, 0),
      // Each constant counted once, even when several ops read it.
      weightBytes: [...new Set(g.ops.flatMap((op) => op.inputs.filter((id) => id >= 0 && g.tensors[id]!.data)))]
        .reduce((a, id) => a + bytes(g.tensors[id]!), 0),
      activationBytes: ops.reduce((a, s) => Math.max(a, s.activationBytes), 0),
      histogram,
    },
  };
}
