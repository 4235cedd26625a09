// Compile-time evaluation of constant int32 chains in a .tflite file, before import. Keras and the TFLite
// converter often leave shape arithmetic in the graph: SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE's shape
// operand (`tf.reshape(x, [tf.shape(x)[0], -1])`), CONCATENATION or GATHER of shape pieces. tinyforge's
// shapes are static, so SHAPE is a constant and so is everything computed only from it and from constant
// int32/int64 tensors: this evaluator computes those tensors, the importer drops the ops that made them and
// gives their values to the ops that read them as parameters (ImportCtx.operand), so the graph keeps only
// computing ops. It is a small interpreter over constant integer tensors, separate from the operators'
// definitions (compiler/ops/): an op on activations (a STRIDED_SLICE of int8 data) is never folded here.
//
// Folded: SHAPE (of any tensor with a static shape), and STRIDED_SLICE, PACK, CONCATENATION, RESHAPE,
// GATHER, SQUEEZE, EXPAND_DIMS, and element-wise ADD, SUB, MUL (int32 wrap-around, NumPy broadcasting, no
// fused activation) whose inputs are all constant integer tensors (outputs INT32 or INT64).
// Semantics as TFLite's reference kernels; a case it does not cover (an ellipsis or new-axis mask, an
// out-of-range gather index) is left unfolded, so the importer reports that op as it would any other.
import type { OptionsReader } from '../../ops/op-def.ts';
import { BuiltinOperator as B, TensorType } from './schema.ts';

/** A constant integer tensor: row-major values. */
export interface ConstInts { shape: number[]; values: number[] }

export interface FoldOp { index: number; code: number; inputs: number[]; outputs: number[]; opts: OptionsReader }
export interface FoldTensor { shape: number[]; type: number; values?: number[] }

// Option-table slots (tensorflow/compiler/mlir/lite/schema/schema.fbs). Kept here, not in schema.ts, because
// only this evaluator reads them for constants (the activation ops read their own).
const StridedSliceSlot = { beginMask: 0, endMask: 1, ellipsisMask: 2, newAxisMask: 3, shrinkAxisMask: 4, offset: 5 };
const PackSlot = { valuesCount: 0, axis: 1 };
const ConcatenationSlot = { axis: 0 };
const GatherSlot = { axis: 0, batchDims: 1 };

const INT_TYPES: number[] = [TensorType.INT32, TensorType.INT64];

const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

function stridedSlice(x: ConstInts, begin: number[], end: number[], strides: number[], o: OptionsReader): ConstInts | undefined {
  if (o.i32(StridedSliceSlot.ellipsisMask) !== 0 || o.i32(StridedSliceSlot.newAxisMask) !== 0) return undefined;
  const bm = o.i32(StridedSliceSlot.beginMask), em = o.i32(StridedSliceSlot.endMask), sm = o.i32(StridedSliceSlot.shrinkAxisMask);
  const offset = o.bool(StridedSliceSlot.offset);
  const r = x.shape.length;
  if (begin.length !== r || end.length !== r || strides.length !== r || strides.some((s) => s === 0)) return undefined;
  const ranges: number[][] = [];
  const outShape: number[] = [];
  for (let d = 0; d < r; d++) {
    const n = x.shape[d]!, s = strides[d]!;
    const clampIdx = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
    let b = begin[d]!;
    if (b < 0) b += n;
    let e = offset ? begin[d]! + end[d]! : end[d]!;
    if (e < 0 && !offset) e += n;
    if (sm & (1 << d)) {
      if (b < 0 || b >= n) return undefined;
      ranges.push([b]);
      continue;
    }
    b = bm & (1 << d) ? (s > 0 ? 0 : n - 1) : clampIdx(b, s > 0 ? 0 : -1, s > 0 ? n : n - 1);
    e = em & (1 << d) ? (s > 0 ? n : -1) : clampIdx(e, s > 0 ? 0 : -1, s > 0 ? n : n - 1);
    const idx: number[] = [];
    for (let i = b; s > 0 ? i < e : i > e; i += s) idx.push(i);
    ranges.push(idx);
    outShape.push(idx.length);
  }
  const strideOf = x.shape.map((_, d) => prod(x.shape.slice(d + 1)));
  const values: number[] = [];
  const walk = (d: number, off: number) => {
    if (d === r) { values.push(x.values[off]!); return; }
    for (const i of ranges[d]!) walk(d + 1, off + i * strideOf[d]!);
  };
  walk(0, 0);
  return { shape: outShape, values };
}

/** Stacks (pack) or joins (concatenation) same-rank pieces along `axis`. */
function join(parts: ConstInts[], axis: number, stack: boolean): ConstInts | undefined {
  const shapes = parts.map((p) => (stack ? [...p.shape.slice(0, axis), 1, ...p.shape.slice(axis)] : p.shape));
  const r = shapes[0]!.length;
  if (axis < 0 || axis >= r || shapes.some((s) => s.length !== r || s.some((d, i) => i !== axis && d !== shapes[0]![i]))) return undefined;
  const outer = prod(shapes[0]!.slice(0, axis)), inner = prod(shapes[0]!.slice(axis + 1));
  const values: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < parts.length; k++) {
      const n = shapes[k]![axis]! * inner;
      values.push(...parts[k]!.values.slice(o * n, (o + 1) * n));
    }
  }
  const shape = [...shapes[0]!];
  shape[axis] = shapes.reduce((s, x) => s + x[axis]!, 0);
  return { shape, values };
}

function gather(params: ConstInts, indices: ConstInts, o: OptionsReader): ConstInts | undefined {
  if (o.i32(GatherSlot.batchDims) !== 0) return undefined;
  const axis = norm(o.i32(GatherSlot.axis), params.shape.length);
  const n = params.shape[axis];
  if (n === undefined || indices.values.some((i) => i < 0 || i >= n)) return undefined;
  const outer = prod(params.shape.slice(0, axis)), inner = prod(params.shape.slice(axis + 1));
  const values: number[] = [];
  for (let a = 0; a < outer; a++) for (const i of indices.values) values.push(...params.values.slice((a * n + i) * inner, (a * n + i + 1) * inner));
  return { shape: [...params.shape.slice(0, axis), ...indices.shape, ...params.shape.slice(axis + 1)], values };
}

/** Element-wise int32 arithmetic with NumPy broadcasting (C int32 wrap-around, as TFLite's int32 kernels). */
function elementwise(a: ConstInts, b: ConstInts, f: (x: number, y: number) => number): ConstInts | undefined {
  const r = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array(r - a.shape.length).fill(1), ...a.shape], pb = [...new Array(r - b.shape.length).fill(1), ...b.shape];
  if (pa.some((d, i) => d !== pb[i] && d !== 1 && pb[i] !== 1)) return undefined;
  const shape = pa.map((d, i) => Math.max(d, pb[i]!));
  const values: number[] = [];
  const at = (s: number[], idx: number[]) => idx.reduce((o, v, d) => o * s[d]! + (s[d] === 1 ? 0 : v), 0);
  for (let k = 0; k < prod(shape); k++) {
    const idx: number[] = [];
    for (let d = r - 1, rest = k; d >= 0; d--) { idx[d] = rest % shape[d]!; rest = Math.floor(rest / shape[d]!); }
    values.push(f(a.values[at(pa, idx)]!, b.values[at(pb, idx)]!) | 0);
  }
  return { shape, values };
}

/**
 * Evaluates every op whose result is a compile-time integer constant, in file order (so chains fold).
 * Returns the folded op indices and the values of the tensors they produce.
 */
export function foldConstantOps(ops: readonly FoldOp[], tensor: (t: number) => FoldTensor): { folded: Set<number>; values: Map<number, ConstInts> } {
  const values = new Map<number, ConstInts>();
  const folded = new Set<number>();
  const known = (t: number): ConstInts | undefined => {
    if (t < 0) return undefined;
    const v = values.get(t);
    if (v) return v;
    const ft = tensor(t);
    return ft.values && INT_TYPES.includes(ft.type) ? { shape: ft.shape, values: ft.values } : undefined;
  };
  for (const op of ops) {
    if (op.outputs.length !== 1 || !INT_TYPES.includes(tensor(op.outputs[0]!).type)) continue;
    const out = tensor(op.outputs[0]!);
    const ins = op.inputs.map(known);
    const all = ins.length > 0 && ins.every((x) => x !== undefined);
    let r: ConstInts | undefined;
    switch (op.code) {
      case B.SHAPE: {
        const x = op.inputs[0] !== undefined && op.inputs[0] >= 0 ? tensor(op.inputs[0]) : undefined;
        if (x && x.shape.every((d) => d >= 1)) r = { shape: [x.shape.length], values: [...x.shape] };
        break;
      }
      case B.STRIDED_SLICE:
        if (all && ins.length === 4) r = stridedSlice(ins[0]!, ins[1]!.values, ins[2]!.values, ins[3]!.values, op.opts);
        break;
      case B.PACK:
        if (all) r = join(ins as ConstInts[], norm(op.opts.i32(PackSlot.axis), ins[0]!.shape.length + 1), true);
        break;
      case B.CONCATENATION:
        if (all) r = join(ins as ConstInts[], norm(op.opts.i32(ConcatenationSlot.axis), ins[0]!.shape.length), false);
        break;
      case B.GATHER:
        if (all && ins.length === 2) r = gather(ins[0]!, ins[1]!, op.opts);
        break;
      case B.ADD:
      case B.SUB:
      case B.MUL:
        // options slot 0 is the fused activation in AddOptions, SubOptions and MulOptions: only NONE folds
        if (all && ins.length === 2 && op.opts.i8(0) === 0) {
          r = elementwise(ins[0]!, ins[1]!, op.code === B.ADD ? (x, y) => x + y : op.code === B.SUB ? (x, y) => x - y : (x, y) => Math.imul(x, y));
        }
        break;
      case B.RESHAPE:
      case B.SQUEEZE:
      case B.EXPAND_DIMS:
        // The output tensor's static shape is authoritative (the converter writes it); the values keep their order.
        if (ins[0] && (op.code === B.RESHAPE || all) && out.shape.every((d) => d >= 1) && prod(out.shape) === ins[0].values.length) {
          r = { shape: [...out.shape], values: ins[0].values };
        }
        break;
    }
    if (!r || (out.shape.length > 0 && (out.shape.length !== r.shape.length || out.shape.some((d, i) => d !== r!.shape[i])))) continue;
    values.set(op.outputs[0]!, r);
    folded.add(op.index);
  }
  return { folded, values };
}
