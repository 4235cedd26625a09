// Seeded generator of random single-op int8 graphs of the data-movement operators (PAD, PADV2, TRANSPOSE,
// SLICE, STRIDED_SLICE, CONCATENATION, SPLIT, SPLIT_V, PACK, UNPACK, EXPAND_DIMS, SQUEEZE,
// RESIZE_NEAREST_NEIGHBOR, RESHAPE with -1), every option as real models use it: negative axes, masks,
// negative strides, out-of-range slice bounds (clamped), several inputs or outputs. Inputs and outputs share
// one quantisation (these ops move int8 values unchanged). Output shapes are computed here from the op's
// definition as TFLite documents it (independently of compiler/ops/), and TFLite's interpreter, which
// computes its own output shapes, checks them: a wrong shape is a mismatch in length.
// mergeGraphs() puts many single-op graphs side by side in one graph, so one interpreter run or one C
// compile serves a whole batch.
import type { Graph, Op, Quant, Tensor } from '../../compiler/ir/graph.ts';
import { numElements } from '../../compiler/ir/graph.ts';
import { Rng } from './random-ops.ts';

export const MOVEMENT_KINDS = [
  'pad', 'pad_v2', 'transpose', 'slice', 'strided_slice', 'concatenation', 'split', 'split_v', 'pack', 'unpack',
  'expand_dims', 'squeeze', 'resize_nearest_neighbor', 'reshape',
] as const;
export type MovementKind = (typeof MOVEMENT_KINDS)[number];

export interface MovementOptions {
  /** STRIDED_SLICE: also use ellipsis_mask and new_axis_mask (desktop TFLite implements them, TFLite Micro does not). */
  ellipsis?: boolean;
  /** STRIDED_SLICE: also use the offset option. */
  offset?: boolean;
}

export interface MovementCase { seed: number; kind: MovementKind; graph: Graph }

class B {
  tensors: Tensor[] = [];
  add(name: string, shape: number[], quant: Quant): number {
    this.tensors.push({ id: this.tensors.length, name, shape, dtype: 'int8', quant });
    return this.tensors.length - 1;
  }
}

const quant = (r: Rng): Quant => ({ scale: [r.logScale(-8, -2)], zeroPoint: [r.chance(0.3) ? 0 : r.int(-128, 127)] });
const shapeOf = (r: Rng, rank: number, max = 5) => Array.from({ length: rank }, () => r.int(1, max));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
function shuffle<T>(r: Rng, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) { const j = r.int(0, i); [xs[i], xs[j]] = [xs[j]!, xs[i]!]; }
  return xs;
}
/** An axis of `rank` dimensions, negative in about a third of the cases. */
const axisOf = (r: Rng, rank: number) => { const a = r.int(0, rank - 1); return r.chance(0.33) ? a - rank : a; };
const norm = (a: number, rank: number) => (a < 0 ? a + rank : a);

/** TensorFlow's strided slice written out from its documentation (sparse spec, then per-axis clamping). */
function stridedOut(x: number[], begin: number[], end: number[], strides: number[], m: { b: number; e: number; el: number; na: number; sh: number; offset: boolean }): number[] | undefined {
  const bit = (mask: number, i: number) => (mask & (1 << i)) !== 0;
  // expand the sparse spec into one entry per input dimension, remembering where new axes go
  const n = begin.length;
  const entries: Array<{ dim?: number; newAxis?: boolean; i?: number }> = [];
  const ellipsisAt = range(n).find((i) => bit(m.el, i));
  const named = range(n).filter((i) => !bit(m.el, i) && !bit(m.na, i)).length;
  let dim = 0;
  for (let i = 0; i < n; i++) {
    if (i === ellipsisAt) { for (let k = 0; k < x.length - named; k++) entries.push({ dim: dim++ }); continue; }
    if (bit(m.el, i)) continue;
    if (bit(m.na, i)) { entries.push({ newAxis: true }); continue; }
    entries.push({ dim: dim++, i });
  }
  if (ellipsisAt === undefined) while (dim < x.length) entries.push({ dim: dim++ });
  if (dim !== x.length) return undefined;
  const out: number[] = [];
  for (const e of entries) {
    if (e.newAxis) { out.push(1); continue; }
    const size = x[e.dim!]!;
    if (e.i === undefined) { out.push(size); continue; }
    const i = e.i, s = strides[i]!;
    let b = begin[i]! < 0 ? begin[i]! + size : begin[i]!;
    b = s > 0 ? Math.min(Math.max(b, 0), size) : Math.min(Math.max(b, -1), size - 1);
    if (bit(m.b, i)) b = s > 0 ? 0 : size - 1;
    if (bit(m.sh, i)) { if (b < 0 || b >= size) return undefined; continue; }
    let en = end[i]! + (m.offset ? b : 0);
    if (en < 0) en += size;
    en = s > 0 ? Math.min(Math.max(en, 0), size) : Math.min(Math.max(en, -1), size - 1);
    if (bit(m.e, i)) en = s > 0 ? size : -1;
    const count = Math.ceil((en - b) / s);
    if (count <= 0) return undefined;
    out.push(count);
  }
  return out;
}

type Gen = (r: Rng, g: B, o: MovementOptions) => { op: Op; inputs: number[] } | undefined;

const GEN: Record<MovementKind, Gen> = {
  pad: (r, g) => {
    const x = shapeOf(r, r.int(1, 4));
    const paddings = x.map(() => [r.chance(0.3) ? 0 : r.int(0, 3), r.chance(0.3) ? 0 : r.int(0, 3)] as [number, number]);
    const q = quant(r);
    const a = g.add('x', x, q), y = g.add('y', x.map((d, i) => d + paddings[i]![0] + paddings[i]![1]), q);
    return { op: { kind: 'pad', inputs: [a], outputs: [y], paddings }, inputs: [a] };
  },
  pad_v2: (r, g) => {
    const x = shapeOf(r, r.int(1, 4));
    const paddings = x.map(() => [r.int(0, 2), r.int(0, 2)] as [number, number]);
    const q = quant(r);
    const a = g.add('x', x, q), y = g.add('y', x.map((d, i) => d + paddings[i]![0] + paddings[i]![1]), q);
    return { op: { kind: 'pad_v2', inputs: [a], outputs: [y], paddings, value: r.int(-128, 127) }, inputs: [a] };
  },
  transpose: (r, g) => {
    const rank = r.int(1, 5); // TFLite's TRANSPOSE: 1-D to 5-D (the kernels here take 6)
    const x = shapeOf(r, rank, rank > 4 ? 3 : 5);
    const perm = shuffle(r, range(rank));
    const q = quant(r);
    const a = g.add('x', x, q), y = g.add('y', perm.map((p) => x[p]!), q);
    return { op: { kind: 'transpose', inputs: [a], outputs: [y], perm }, inputs: [a] };
  },
  slice: (r, g) => {
    const x = shapeOf(r, r.int(1, 4), 6);
    const begin = x.map((d) => r.int(0, d - 1));
    const size = x.map((d, i) => (r.chance(0.25) ? -1 : r.int(1, d - begin[i]!)));
    const q = quant(r);
    const a = g.add('x', x, q), y = g.add('y', size.map((s, i) => (s === -1 ? x[i]! - begin[i]! : s)), q);
    return { op: { kind: 'slice', inputs: [a], outputs: [y], begin, size }, inputs: [a] };
  },
  strided_slice: (r, g, o) => {
    const x = shapeOf(r, r.int(1, 4), 7);
    let n = x.length;
    let el = 0, na = 0;
    if (o.ellipsis && r.chance(0.7)) {
      // an ellipsis somewhere, new axes before or after it
      n = r.int(1, x.length + 1);
      el = 1 << r.int(0, n - 1);
      for (let i = 0; i < n; i++) if (!(el & (1 << i)) && r.chance(0.25)) na |= 1 << i;
      const named = range(n).filter((i) => !(el & (1 << i)) && !(na & (1 << i))).length;
      // an ellipsis must stand for at least one dimension (compiler/ops/slice.ts refuses the others)
      if (named >= x.length) return undefined;
      // TFLite: input rank plus added axes at most 5
      if (x.length + range(n).filter((i) => (na & (1 << i)) !== 0).length > 5) return undefined;
    } else if (r.chance(0.3)) {
      n = r.int(1, x.length); // trailing dimensions taken whole
    }
    const strides: number[] = [], begin: number[] = [], end: number[] = [];
    let b = 0, e = 0, sh = 0;
    for (let i = 0; i < n; i++) {
      const s = r.pick([1, 1, 1, 2, 3, -1, -1, -2]);
      strides.push(s);
      begin.push(r.int(-9, 9));
      end.push(r.int(-9, 9));
      if (r.chance(0.25)) b |= 1 << i;
      if (r.chance(0.25)) e |= 1 << i;
      if (!(el & (1 << i)) && !(na & (1 << i)) && r.chance(0.15)) {
        // shrink: a valid index, stride 1
        sh |= 1 << i; strides[i] = 1; begin[i] = r.int(-2, 2); end[i] = begin[i]! + 1;
      }
    }
    const offset = !!o.offset && r.chance(0.3);
    const out = stridedOut(x, begin, end, strides, { b, e, el, na, sh, offset });
    // TFLite: at most 5 output dimensions, added axes included
    if (!out || out.some((d) => d < 1) || out.length > 5) return undefined;
    const q = quant(r);
    const a = g.add('x', x, q), y = g.add('y', out, q);
    return {
      op: { kind: 'strided_slice', inputs: [a], outputs: [y], begin, end, strides, beginMask: b, endMask: e, ellipsisMask: el, newAxisMask: na, shrinkAxisMask: sh, offset },
      inputs: [a],
    };
  },
  concatenation: (r, g) => {
    const rank = r.int(1, 4);
    const base = shapeOf(r, rank);
    const axis = axisOf(r, rank);
    const k = r.int(1, 4);
    const q = quant(r);
    const ins = range(k).map((i) => g.add(`x${i}`, base.map((d, j) => (j === norm(axis, rank) ? r.int(1, 4) : d)), q));
    const out = base.map((d, j) => (j === norm(axis, rank) ? ins.reduce((s, t) => s + g.tensors[t]!.shape[j]!, 0) : d));
    const y = g.add('y', out, q);
    return { op: { kind: 'concatenation', inputs: ins, outputs: [y], axis, activation: 'none' }, inputs: ins };
  },
  split: (r, g) => {
    const rank = r.int(1, 4);
    const x = shapeOf(r, rank);
    const axis = axisOf(r, rank);
    const num = r.int(1, 4);
    x[norm(axis, rank)] = num * r.int(1, 3);
    const q = quant(r);
    const a = g.add('x', x, q);
    const ys = range(num).map((i) => g.add(`y${i}`, x.map((d, j) => (j === norm(axis, rank) ? d / num : d)), q));
    return { op: { kind: 'split', inputs: [a], outputs: ys, axis, numSplits: num }, inputs: [a] };
  },
  split_v: (r, g) => {
    const rank = r.int(1, 4);
    const x = shapeOf(r, rank);
    const axis = axisOf(r, rank);
    const sizes = range(r.int(1, 4)).map(() => r.int(1, 3));
    x[norm(axis, rank)] = sizes.reduce((a, b) => a + b, 0);
    const unknown = r.chance(0.3) ? r.int(0, sizes.length - 1) : -1;
    const given = sizes.map((s, i) => (i === unknown ? -1 : s));
    const q = quant(r);
    const a = g.add('x', x, q);
    const ys = sizes.map((s, i) => g.add(`y${i}`, x.map((d, j) => (j === norm(axis, rank) ? s : d)), q));
    return { op: { kind: 'split_v', inputs: [a], outputs: ys, axis, sizeSplits: given }, inputs: [a] };
  },
  pack: (r, g) => {
    const rank = r.int(1, 3);
    const x = shapeOf(r, rank);
    const axis = axisOf(r, rank + 1);
    const k = r.int(1, 4);
    const q = quant(r);
    const ins = range(k).map((i) => g.add(`x${i}`, [...x], q));
    const a = norm(axis, rank + 1);
    const y = g.add('y', [...x.slice(0, a), k, ...x.slice(a)], q);
    return { op: { kind: 'pack', inputs: ins, outputs: [y], axis }, inputs: ins };
  },
  unpack: (r, g) => {
    const rank = r.int(2, 4);
    const x = shapeOf(r, rank);
    const axis = axisOf(r, rank);
    const a = norm(axis, rank);
    const q = quant(r);
    const t = g.add('x', x, q);
    const ys = range(x[a]!).map((i) => g.add(`y${i}`, x.filter((_, j) => j !== a), q));
    return { op: { kind: 'unpack', inputs: [t], outputs: ys, axis }, inputs: [t] };
  },
  expand_dims: (r, g) => {
    const rank = r.int(1, 4);
    const x = shapeOf(r, rank);
    const axis = axisOf(r, rank + 1);
    const a = norm(axis, rank + 1);
    const q = quant(r);
    const t = g.add('x', x, q), y = g.add('y', [...x.slice(0, a), 1, ...x.slice(a)], q);
    return { op: { kind: 'expand_dims', inputs: [t], outputs: [y], axis }, inputs: [t] };
  },
  squeeze: (r, g) => {
    const rank = r.int(1, 5);
    const x = Array.from({ length: rank }, () => (r.chance(0.5) ? 1 : r.int(2, 5)));
    const ones = range(rank).filter((i) => x[i] === 1);
    const dims = r.chance(0.3) ? [] : ones.filter(() => r.chance(0.6)).map((i) => (r.chance(0.3) ? i - rank : i));
    const drop = new Set(dims.length ? dims.map((d) => norm(d, rank)) : ones);
    const q = quant(r);
    const t = g.add('x', x, q), y = g.add('y', x.filter((_, i) => !drop.has(i)), q);
    return { op: { kind: 'squeeze', inputs: [t], outputs: [y], squeezeDims: dims }, inputs: [t] };
  },
  resize_nearest_neighbor: (r, g) => {
    const x = [r.chance(0.15) ? 2 : 1, r.int(1, 7), r.int(1, 7), r.int(1, 5)];
    const size: [number, number] = [r.int(1, 15), r.int(1, 15)];
    const mode = r.int(0, 2);
    const q = quant(r);
    const t = g.add('x', x, q), y = g.add('y', [x[0]!, size[0], size[1], x[3]!], q);
    return { op: { kind: 'resize_nearest_neighbor', inputs: [t], outputs: [y], alignCorners: mode === 1, halfPixelCenters: mode === 2, size }, inputs: [t] };
  },
  reshape: (r, g) => {
    const x = shapeOf(r, r.int(1, 4), 6);
    const total = numElements(x);
    const out: number[] = [];
    let rest = total;
    const rank = r.int(1, 4);
    for (let d = 0; d < rank - 1; d++) {
      const divisors = range(rest).map((i) => i + 1).filter((v) => rest % v === 0);
      const f = r.pick(divisors);
      out.push(f);
      rest /= f;
    }
    out.push(rest);
    const q = quant(r);
    const t = g.add('x', x, q), y = g.add('y', out, q);
    return { op: { kind: 'reshape', inputs: [t], outputs: [y] }, inputs: [t] };
  },
};

/** A random single-op graph of `kind` (a few seeds give no valid op, e.g. an empty slice: the next seed is tried). */
export function randomMovementGraph(seed: number, kind: MovementKind, o: MovementOptions = {}): MovementCase {
  for (let s = seed; ; s += 1_000_003) {
    const r = new Rng(s);
    const g = new B();
    const made = GEN[kind](r, g, o);
    if (!made) continue;
    made.op.name = `${kind}#${seed}`;
    return { seed, kind, graph: { name: `random_${kind}_${seed}`, tensors: g.tensors, ops: [made.op], inputs: made.inputs, outputs: made.op.outputs } };
  }
}

/** Single-op graphs side by side in one graph: inputs and outputs concatenated in order, tensors renumbered. */
export function mergeGraphs(name: string, graphs: Graph[]): Graph {
  const tensors: Tensor[] = [];
  const ops: Op[] = [];
  const inputs: number[] = [], outputs: number[] = [];
  graphs.forEach((g, k) => {
    const base = tensors.length;
    for (const t of g.tensors) tensors.push({ ...t, id: base + t.id, name: `c${k}_${t.name}` });
    const map = (id: number) => (id < 0 ? id : base + id);
    for (const op of g.ops) ops.push({ ...op, inputs: op.inputs.map(map), outputs: op.outputs.map(map) } as Op);
    inputs.push(...g.inputs.map(map));
    outputs.push(...g.outputs.map(map));
  });
  return { name, tensors, ops, inputs, outputs };
}

/** One line describing a case, for failure messages. */
export function describeCase(c: MovementCase): string {
  const op = c.graph.ops[0]!;
  const t = (id: number) => `[${c.graph.tensors[id]!.shape}]`;
  const attrs = Object.entries(op).filter(([k]) => !['inputs', 'outputs', 'kind', 'name'].includes(k))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return `seed ${c.seed} ${op.kind} in ${op.inputs.map(t).join(' ')} out ${op.outputs.map(t).join(' ')} ${attrs}`;
}

// ---- Random networks of data-movement ops ------------------------------------------------------------------

/**
 * A random chain of 3-7 data-movement steps on an NHWC tensor (one quantisation throughout): pad, transpose,
 * strided slice, split then concatenation of the parts in reverse order, unpack then pack in reverse order,
 * nearest resize, expand_dims then squeeze, and concatenations with an earlier tensor of matching shape, so
 * ops read multi-output ops' outputs, views and tensors written several ops earlier.
 */
export function randomMovementNet(seed: number): Graph {
  const r = new Rng(seed);
  const g = new B();
  const q = quant(r);
  const ops: Op[] = [];
  let cur = g.add('input', [1, r.int(1, 6), r.int(1, 6), r.int(1, 6)], q);
  const input = cur;
  const seen: number[] = [cur];
  const shape = () => g.tensors[cur]!.shape;
  const emit = (op: Op) => { ops.push(op); cur = op.outputs[op.outputs.length - 1]!; seen.push(...op.outputs); };
  const steps = r.int(3, 7);
  for (let s = 0; s < steps; s++) {
    const x = shape();
    const step = r.pick(['pad', 'transpose', 'slice', 'split', 'unpack', 'resize', 'view', 'concat'] as const);
    if (step === 'pad') {
      const paddings = x.map((_, d) => (d === 0 ? [0, 0] : [r.int(0, 2), r.int(0, 2)]) as [number, number]);
      emit({ kind: 'pad', inputs: [cur], outputs: [g.add(`pad${s}`, x.map((d, i) => d + paddings[i]![0] + paddings[i]![1]), q)], paddings });
    } else if (step === 'transpose') {
      const perm = [0, ...shuffle(r, [1, 2, 3])];
      emit({ kind: 'transpose', inputs: [cur], outputs: [g.add(`tr${s}`, perm.map((p) => x[p]!), q)], perm });
    } else if (step === 'slice') {
      const strides = x.map((_, d) => (d === 0 ? 1 : r.pick([1, 1, 2, -1])));
      const begin = x.map((d) => r.int(-d, d - 1)), end = x.map((d) => r.int(-d - 1, d + 1));
      const m = { b: r.int(0, 15), e: r.int(0, 15), el: 0, na: 0, sh: 0, offset: false };
      const out = stridedOut(x, begin, end, strides, m);
      if (!out || out.some((d) => d < 1)) continue;
      emit({ kind: 'strided_slice', inputs: [cur], outputs: [g.add(`ss${s}`, out, q)], begin, end, strides, beginMask: m.b, endMask: m.e, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false });
    } else if (step === 'split') {
      const axis = r.int(1, 3);
      if (x[axis]! % 2 !== 0) continue;
      const part = x.map((d, i) => (i === axis ? d / 2 : d));
      const a = g.add(`sa${s}`, part, q), b = g.add(`sb${s}`, [...part], q);
      ops.push({ kind: 'split', inputs: [cur], outputs: [a, b], axis, numSplits: 2 });
      emit({ kind: 'concatenation', inputs: [b, a], outputs: [g.add(`cat${s}`, [...x], q)], axis: axis - 4, activation: 'none' });
    } else if (step === 'unpack') {
      const axis = r.int(1, 3);
      if (x[axis]! > 4) continue;
      const parts = range(x[axis]!).map((k) => g.add(`u${s}_${k}`, x.filter((_, i) => i !== axis), q));
      ops.push({ kind: 'unpack', inputs: [cur], outputs: parts, axis });
      emit({ kind: 'pack', inputs: [...parts].reverse(), outputs: [g.add(`pk${s}`, [...x], q)], axis });
    } else if (step === 'resize') {
      const size: [number, number] = [r.int(1, 8), r.int(1, 8)];
      const mode = r.int(0, 2);
      emit({ kind: 'resize_nearest_neighbor', inputs: [cur], outputs: [g.add(`rs${s}`, [x[0]!, size[0], size[1], x[3]!], q)], alignCorners: mode === 1, halfPixelCenters: mode === 2, size });
    } else if (step === 'view') {
      const e = g.add(`ex${s}`, [1, ...x], q);
      ops.push({ kind: 'expand_dims', inputs: [cur], outputs: [e], axis: 0 });
      emit({ kind: 'squeeze', inputs: [e], outputs: [g.add(`sq${s}`, [...x], q)], squeezeDims: [0] });
    } else {
      // concatenate with an earlier tensor matching in all but the channels
      const other = r.pick(seen.filter((t) => { const y = g.tensors[t]!.shape; return y.length === 4 && y[0] === x[0] && y[1] === x[1] && y[2] === x[2]; }));
      const c = g.tensors[other]!.shape[3]!;
      emit({ kind: 'concatenation', inputs: [cur, other], outputs: [g.add(`cc${s}`, [x[0]!, x[1]!, x[2]!, x[3]! + c], q)], axis: 3, activation: 'none' });
    }
  }
  ops.forEach((op, i) => { op.name = `${op.kind}_${i}`; });
  return { name: `movement_net_${seed}`, tensors: g.tensors, ops, inputs: [input], outputs: [cur] };
}
