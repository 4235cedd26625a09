// SLICE and STRIDED_SLICE: a (strided) block of the input. The begin/size, begin/end/strides operands are
// read at import from their constant tensors and kept as attributes with the STRIDED_SLICE masks.
// STRIDED_SLICE follows TensorFlow's sparse -> dense spec (ellipsis_mask, new_axis_mask; dimensions after
// the last given one are taken whole), then TFLite's per-axis start/stop rules (negative indices count
// from the end, clamped; begin_mask/end_mask take the whole range in the stride's direction; offset makes
// `end` relative to `begin`; shrink_axis_mask keeps one element and drops the dimension). TFLite Micro
// ignores ellipsis_mask and new_axis_mask (it zeroes them); desktop TFLite implements them as TensorFlow,
// which is what is done here. Both lower to a kernel `copy` (negative strides walk the input backwards).
import type { OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { int8Or16Types } from './checks.ts';
import { rule } from './lowering.ts';
import { constValues, contiguous, copyDraft, goldenCopies, inShape, int32Param, legalShape, legalizeMovement, type CopyRegion } from './movement.ts';
import { defineOp } from './op-def.ts';
import { table } from './tflite-options.ts';

/** inputs [x]; the block begin[d] .. begin[d] + size[d] (size -1: to the end). */
export interface SliceOp extends OpBase {
  kind: 'slice';
  begin: number[];
  size: number[];
}

/** inputs [x]; TFLite STRIDED_SLICE with its masks (bit i refers to entry i of begin/end/strides). */
export interface StridedSliceOp extends OpBase {
  kind: 'strided_slice';
  begin: number[];
  end: number[];
  strides: number[];
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
  /** `end` is relative to `begin` (StridedSliceOptions.offset). */
  offset: boolean;
}

type Fail = (m: string) => never;

// ---- SLICE ----

function sliceSizes(fail: Fail, x: readonly number[], op: SliceOp): number[] {
  if (op.begin.length !== x.length || op.size.length !== x.length) fail(`begin [${op.begin}] and size [${op.size}] must have one entry per input dimension (${x.length})`);
  return x.map((d, i) => {
    const b = op.begin[i]!, s = op.size[i]!;
    if (!Number.isInteger(b) || b < 0 || b > d) fail(`begin[${i}] = ${b} is outside dimension ${i} of size ${d}`);
    const n = s === -1 ? d - b : s;
    if (!Number.isInteger(n) || n < 0 || b + n > d) fail(`size[${i}] = ${s} from begin ${b} does not fit dimension ${i} of size ${d}`);
    return n;
  });
}

function sliceRegion(x: readonly number[], op: SliceOp): CopyRegion {
  const out = sliceSizes((m) => { throw new Error(m); }, x, op);
  const st = contiguous(x);
  return { shape: out, inOffset: op.begin.reduce((s, b, d) => s + b * st[d]!, 0), inStrides: st, outOffset: 0, outStrides: contiguous(out) };
}

export const slice = defineOp<'slice'>({
  kind: 'slice',
  summary: 'a block of the input',
  arith: 'same in both (int8 values moved unchanged)',
  tflite: {
    builtin: BuiltinOperator.SLICE,
    optionsType: BuiltinOptionsType.SliceOptions,
    import: (c) => ({ kind: 'slice', name: c.name, begin: constValues(c, 1, 'begin'), size: constValues(c, 2, 'size') }),
    operands: (inputs) => inputs.slice(0, 1),
    exportInputs: (op) => [op.inputs[0]!, int32Param(`${op.name ?? 'slice'}/begin`, op.begin), int32Param(`${op.name ?? 'slice'}/size`, op.size)],
    version: 2,
    export: (b) => [BuiltinOptionsType.SliceOptions, table(b, 0, () => {})],
  },
  arity: { inputs: [1, 1], activations: () => [0] },
  infer: (c, op) => {
    const x = inShape(c);
    if (x.length > 6) c.fail(`input rank ${x.length} is above 6`);
    return sliceSizes((m) => c.fail(m), x, op);
  },
  // int8, or int16 (16x8 models): values moved unchanged; the golden runtime runs int16, the backends int8.
  types: (c) => { int8Or16Types(c, [0]); },
  legalize: (c, op) => {
    const { x, y } = legalizeMovement(c, op, [op.inputs[0]!], true);
    legalShape(c, y[0]!, sliceSizes((m) => c.fail(m), x[0]!.shape, op));
  },
  lower: [
    rule({
      name: 'slice',
      kinds: ['slice'],
      priority: 0,
      lower: (ctx, op) => copyDraft(ctx, [op.inputs[0]!], op.outputs[0]!, [sliceRegion(ctx.t(op.inputs[0]!).shape, op)]),
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => goldenCopies(ctx, [{ from: op.inputs[0]!, to: op.outputs[0]!, region: sliceRegion(ctx.T(0).shape, op) }]),
  cgra: { host: 'data movement: no multiply-accumulates to map' },
});

// ---- STRIDED_SLICE ----

const bit = (mask: number, i: number) => ((mask >> i) & 1) === 1;
const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/** What a strided slice reads: per input dimension start, stride and count; and the output shape. */
export interface StridedPlan {
  start: number[];
  stride: number[];
  count: number[];
  outShape: number[];
}

export function stridedSlicePlan(fail: Fail, x: readonly number[], op: StridedSliceOp): StridedPlan {
  const n = op.begin.length;
  if (op.end.length !== n || op.strides.length !== n) fail(`begin, end and strides must have the same length (${op.begin.length}, ${op.end.length}, ${op.strides.length})`);
  if (op.strides.some((s) => !Number.isInteger(s) || s === 0)) fail(`strides [${op.strides}] must be non-zero integers`);
  const rank = x.length;
  // Sparse -> dense: an ellipsis (or, without one, the end of the list) stands for the dimensions not named.
  let ellipsis = op.ellipsisMask;
  let sparse = n;
  if (ellipsis === 0) { ellipsis = 1 << n; sparse = n + 1; }
  let firstEllipsis = -1;
  for (let i = 0; i < sparse; i++) if (bit(ellipsis, i)) { firstEllipsis = i; break; }
  let addAfter = 0;
  for (let i = firstEllipsis + 1; i < n; i++) if (bit(op.newAxisMask, i) && !bit(ellipsis, i)) addAfter++;
  const dense = Array.from({ length: rank }, () => ({ begin: 0, end: 0, stride: 1, beginMask: true, endMask: true, shrink: false }));
  const final: Array<number | 'new'> = [];
  let full = 0;
  let seenEllipsis = false;
  for (let i = 0; i < sparse; i++) {
    if (bit(ellipsis, i)) {
      if (seenEllipsis) continue; // TensorFlow allows one ellipsis; later bits are ignored
      seenEllipsis = true;
      const next = Math.min(rank - (sparse - i) + 1 + addAfter, rank);
      // TFLite's kernel expands an explicit ellipsis that stands for no dimension differently from
      // TensorFlow (found by tests/runtime-wasm/movement.test.ts): refuse rather than pick one.
      if (next === full && op.ellipsisMask !== 0) fail(`the ellipsis (ellipsis_mask ${op.ellipsisMask}) stands for no dimension of the rank-${rank} input; TFLite and TensorFlow disagree on such slices, so they are not supported`);
      for (; full < next; full++) final.push(full);
    } else if (bit(op.newAxisMask, i)) {
      final.push('new');
    } else {
      if (full >= rank) fail(`begin/end/strides name ${n} dimensions for an input of rank ${rank}`);
      dense[full] = {
        begin: op.begin[i]!, end: op.end[i]!, stride: op.strides[i]!,
        beginMask: bit(op.beginMask, i), endMask: bit(op.endMask, i), shrink: bit(op.shrinkAxisMask, i),
      };
      if (!dense[full]!.shrink) final.push(full);
      full++;
    }
  }
  const start: number[] = [], stride: number[] = [], count: number[] = [];
  dense.forEach((s, d) => {
    const size = x[d]!;
    // StridedSliceStartForAxis
    let b = s.begin;
    if (b < 0) b += size;
    b = s.stride > 0 ? clamp(b, 0, size) : clamp(b, -1, size - 1);
    if (s.beginMask) b = s.stride > 0 ? 0 : size - 1;
    // StridedSliceEndForAxis
    let e: number;
    if (s.shrink) {
      // TFLite's loop walks from start towards start + 1 with the given stride: a negative one copies nothing
      // (TensorFlow requires stride 1 on a shrunk axis)
      if (s.stride < 0) fail(`shrink_axis_mask shrinks dimension ${d} with stride ${s.stride}; a shrunk axis needs a positive stride`);
      e = b >= size ? b : b + 1;
      // a shrunk axis reads one element whatever the stride's sign
      start.push(b); stride.push(1); count.push(Math.max(0, e - b));
      return;
    }
    e = s.end;
    if (op.offset) e += b;
    if (e < 0) e += size;
    e = s.stride > 0 ? clamp(e, 0, size) : clamp(e, -1, size - 1);
    if (s.endMask) e = s.stride > 0 ? size : -1;
    start.push(b); stride.push(s.stride);
    count.push(Math.max(0, Math.ceil((e - b) / s.stride)));
  });
  const outShape = final.map((f) => (f === 'new' ? 1 : count[f]!));
  if (count.some((c) => c === 0)) fail(`the slice of [${x}] is empty (begin [${op.begin}], end [${op.end}], strides [${op.strides}])`);
  return { start, stride, count, outShape };
}

function stridedRegion(x: readonly number[], op: StridedSliceOp): CopyRegion {
  const p = stridedSlicePlan((m) => { throw new Error(m); }, x, op);
  const st = contiguous(x);
  return {
    shape: p.count, inOffset: p.start.reduce((s, b, d) => s + b * st[d]!, 0), inStrides: p.stride.map((s, d) => s * st[d]!),
    outOffset: 0, outStrides: contiguous(p.count),
  };
}

export const stridedSlice = defineOp<'strided_slice'>({
  kind: 'strided_slice',
  summary: 'a strided block of the input (TFLite masks)',
  arith: 'same in both (values moved unchanged); ellipsis_mask / new_axis_mask as desktop TFLite and TensorFlow (TFLite Micro ignores them)',
  tflite: {
    builtin: BuiltinOperator.STRIDED_SLICE,
    optionsType: BuiltinOptionsType.StridedSliceOptions,
    import: (c) => {
      const s = Slot.StridedSliceOptions;
      const begin = constValues(c, 1, 'begin');
      return {
        kind: 'strided_slice', name: c.name, begin, end: constValues(c, 2, 'end'),
        strides: c.operand(3) ? constValues(c, 3, 'strides') : begin.map(() => 1),
        beginMask: c.opts.i32(s.beginMask), endMask: c.opts.i32(s.endMask), ellipsisMask: c.opts.i32(s.ellipsisMask),
        newAxisMask: c.opts.i32(s.newAxisMask), shrinkAxisMask: c.opts.i32(s.shrinkAxisMask), offset: c.opts.bool(s.offset),
      };
    },
    operands: (inputs) => inputs.slice(0, 1),
    exportInputs: (op) => {
      const n = op.name ?? 'strided_slice';
      return [op.inputs[0]!, int32Param(`${n}/begin`, op.begin), int32Param(`${n}/end`, op.end), int32Param(`${n}/strides`, op.strides)];
    },
    version: 2,
    export: (b, op) => {
      const s = Slot.StridedSliceOptions;
      return [BuiltinOptionsType.StridedSliceOptions, table(b, 6, () => {
        b.addFieldInt32(s.beginMask, op.beginMask, 0);
        b.addFieldInt32(s.endMask, op.endMask, 0);
        b.addFieldInt32(s.ellipsisMask, op.ellipsisMask, 0);
        b.addFieldInt32(s.newAxisMask, op.newAxisMask, 0);
        b.addFieldInt32(s.shrinkAxisMask, op.shrinkAxisMask, 0);
        b.addFieldInt8(s.offset, op.offset ? 1 : 0, 0);
      })];
    },
  },
  arity: { inputs: [1, 1], activations: () => [0] },
  infer: (c, op) => {
    const x = inShape(c);
    if (x.length > 6) c.fail(`input rank ${x.length} is above 6`);
    return stridedSlicePlan((m) => c.fail(m), x, op).outShape;
  },
  // int8, or int16 (16x8 models): values moved unchanged; the golden runtime runs int16, the backends int8.
  types: (c) => { int8Or16Types(c, [0]); },
  legalize: (c, op) => {
    const { x, y } = legalizeMovement(c, op, [op.inputs[0]!], true);
    legalShape(c, y[0]!, stridedSlicePlan((m) => c.fail(m), x[0]!.shape, op).outShape);
  },
  lower: [
    rule({
      name: 'strided_slice',
      kinds: ['strided_slice'],
      priority: 0,
      lower: (ctx, op) => copyDraft(ctx, [op.inputs[0]!], op.outputs[0]!, [stridedRegion(ctx.t(op.inputs[0]!).shape, op)]),
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => goldenCopies(ctx, [{ from: op.inputs[0]!, to: op.outputs[0]!, region: stridedRegion(ctx.T(0).shape, op) }]),
  cgra: { host: 'data movement: no multiply-accumulates to map' },
});
