// Shared pieces of the data-movement operators (PAD, TRANSPOSE, SLICE, STRIDED_SLICE, CONCATENATION, SPLIT,
// PACK, UNPACK, ...): each of them is, per input (or per output), an affine strided copy of a block of
// elements, a `CopyRegion`. The op definitions compute their regions from their attributes once, and both
// the golden runtime (runtime-wasm/assembly/movement.ts copyRegion) and the lowering (kernel op `copy`)
// execute exactly those regions; TFLite's interpreter checks both (tests/runtime-wasm/movement.test.ts).
// Also here: reading constant parameter operands at import, writing them back at export, and the
// legalize rule all of these ops share (int8, the output quantised exactly as the input: no requantisation).
import { bytesPerElement, type Op, type Tensor } from '../ir/graph.ts';
import type { LegalCheck, ShapeCheck } from './checks.ts';
import type { GoldenCtx, GoldenLaunch } from './golden-abi.ts';
import type { KernelOpDraft, LowerCtx } from './lowering.ts';
import type { ImportCtx, ParamTensor } from './op-def.ts';

/**
 * out[outOffset + sum_d i_d * outStrides[d]] = in[inOffset + sum_d i_d * inStrides[d]] for every index i in
 * `shape` (row-major, outermost first). Offsets and strides count elements (int8: bytes); input strides may
 * be negative (reversed strided slices).
 */
export interface CopyRegion {
  shape: number[];
  inOffset: number;
  inStrides: number[];
  outOffset: number;
  outStrides: number[];
}

/** Most dimensions a region may keep after merging (the kernels' loop nest). */
export const MAX_COPY_RANK = 6;

/** Row-major element strides of `shape`. */
export function contiguous(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) { s[d] = acc; acc *= shape[d]!; }
  return s;
}

/**
 * The same copy with as few dimensions as possible: size-1 dimensions dropped, and neighbours merged where
 * both the input and the output walk them as one (stride[d] == stride[d+1] * shape[d+1]). At least one
 * dimension remains.
 */
export function normalizeRegion(r: CopyRegion): CopyRegion {
  const dims: Array<[number, number, number]> = [];
  r.shape.forEach((n, d) => { if (n !== 1) dims.push([n, r.inStrides[d]!, r.outStrides[d]!]); });
  const merged: Array<[number, number, number]> = [];
  for (const [n, a, b] of dims) {
    const last = merged[merged.length - 1];
    if (last && last[1] === a * n && last[2] === b * n) { last[0] *= n; last[1] = a; last[2] = b; } else merged.push([n, a, b]);
  }
  if (merged.length === 0) merged.push([1, 1, 1]);
  return { shape: merged.map((m) => m[0]), inOffset: r.inOffset, inStrides: merged.map((m) => m[1]), outOffset: r.outOffset, outStrides: merged.map((m) => m[2]) };
}

/** The region as the golden kernel's descriptor: shape, input strides, output strides, each padded at the front to 6. */
export function regionDescriptor(r: CopyRegion): Int32Array {
  if (r.shape.length > MAX_COPY_RANK) throw new Error(`copy region of rank ${r.shape.length} (at most ${MAX_COPY_RANK})`);
  const pad = MAX_COPY_RANK - r.shape.length;
  const d = new Int32Array(3 * MAX_COPY_RANK);
  for (let i = 0; i < MAX_COPY_RANK; i++) {
    const k = i - pad;
    d[i] = k < 0 ? 1 : r.shape[k]!;
    d[MAX_COPY_RANK + i] = k < 0 ? 0 : r.inStrides[k]!;
    d[2 * MAX_COPY_RANK + i] = k < 0 ? 0 : r.outStrides[k]!;
  }
  return d;
}

/** Copies the whole of `inShape` into the output at element offset `outOffset` of the output's `outShape` strides. */
export function blockInto(inShape: readonly number[], outShape: readonly number[], outOffset: number): CopyRegion {
  return { shape: [...inShape], inOffset: 0, inStrides: contiguous(inShape), outOffset, outStrides: contiguous(outShape) };
}

/** Copies the block of `outShape` starting at element offset `inOffset` of the input's `inShape` strides. */
export function blockFrom(inShape: readonly number[], inOffset: number, outShape: readonly number[]): CopyRegion {
  return { shape: [...outShape], inOffset, inStrides: contiguous(inShape), outOffset: 0, outStrides: contiguous(outShape) };
}

/** An axis attribute in [-rank, rank) as a dimension index; fails otherwise. */
export function resolveAxis(fail: (m: string) => never, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) fail(`${what} ${axis} is out of range for rank ${rank} (valid: ${-rank} to ${rank - 1})`);
  return axis < 0 ? axis + rank : axis;
}

// ---- TFLite import / export of constant parameter operands ----

/** The values of constant INT32/INT64 operand `slot`; fails naming it when absent or not constant. */
export function constValues(c: ImportCtx, slot: number, what: string): number[] {
  const o = c.operand(slot);
  if (!o) return c.fail(`missing ${what} operand (input ${slot})`);
  if (o.values === undefined) return c.fail(`${what} (input ${slot}) is not a constant tensor`, 'parameter tensors must be stored in the model');
  return o.values;
}

export function int32Param(name: string, values: readonly number[], shape: number[] = [values.length]): ParamTensor {
  return { name, dtype: 'int32', shape, values };
}

// ---- shared rules ----

/** The first input's shape. */
export function inShape(c: ShapeCheck): number[] {
  return c.tensor(0, 'input').shape;
}

/**
 * Data movement reads and writes int8 values unchanged: every activation input and every output must carry
 * the same scale and zero point (TFLite's converter gives these ops equal quantisation; TFLite itself
 * rejects differing ones for int8 CONCATENATION, PACK and PAD's constant).
 */
export function legalizeMovement(c: LegalCheck, op: Op, inputs: readonly number[] = [op.inputs[0]!], int16 = false): { x: Tensor[]; y: Tensor[] } {
  const x = inputs.map((id, k) => c.act(id, inputs.length > 1 ? `input ${k}` : 'input', int16));
  const y = op.outputs.map((id, k) => c.act(id, op.outputs.length > 1 ? `output ${k}` : 'output', int16));
  if ([...x, ...y].some((t) => t.dtype !== x[0]!.dtype)) c.fail('inputs and outputs differ in type', 'data movement keeps the type');
  const q0 = x[0]!.quant!;
  for (const t of [...x.slice(1), ...y]) {
    if (t.quant!.scale[0] !== q0.scale[0] || t.quant!.zeroPoint[0] !== q0.zeroPoint[0]) {
      c.fail(`'${t.name}' is quantised (scale ${t.quant!.scale[0]}, zero point ${t.quant!.zeroPoint[0]}) unlike '${x[0]!.name}' (scale ${q0.scale[0]}, zero point ${q0.zeroPoint[0]})`,
        `${op.kind} moves int8 values unchanged: inputs and outputs need the same scale and zero point`);
    }
  }
  return { x, y };
}

/** Output `k`'s shape must equal `want` (legalize's restatement of shape inference, for hand-built graphs). */
export function legalShape(c: LegalCheck, t: Tensor, want: readonly number[]): void {
  if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i])) c.fail(`output '${t.name}' has shape [${t.shape}]`, `expected [${want}]`);
}


// ---- golden launch and lowering of regions ----

/** One copy of the golden launch: region from tensor `from` into tensor `to`. */
export interface CopyPart { from: number; to: number; region: CopyRegion }

/**
 * The same copy over bytes, for elements of `bytes` bytes each: one more innermost dimension walks an element's
 * bytes, every stride and offset scaled by `bytes` (normalizeRegion merges it back into contiguous runs).
 */
export function byteRegion(r: CopyRegion, bytes: number): CopyRegion {
  if (bytes === 1) return r;
  return {
    shape: [...r.shape, bytes], inOffset: r.inOffset * bytes, inStrides: [...r.inStrides.map((s) => s * bytes), 1],
    outOffset: r.outOffset * bytes, outStrides: [...r.outStrides.map((s) => s * bytes), 1],
  };
}

/**
 * The golden launch of a data-movement op: fills (PAD) first, then every region (descriptors uploaded once).
 * Regions and fills count elements of the output's type (int8 or int16: the copy kernel moves bytes); a fill
 * of a wider type must be 0 (every byte the same).
 */
export function goldenCopies(ctx: GoldenCtx, parts: CopyPart[], fills: Array<{ to: number; value: number; bytes: number }> = []): GoldenLaunch {
  const size = bytesPerElement(ctx.Y.dtype);
  for (const f of fills) if (size > 1 && f.value !== 0) throw new Error(`a ${ctx.Y.dtype} fill of ${f.value}: the golden fill writes bytes (only 0 is supported)`);
  fills = fills.map((f) => ({ ...f, bytes: f.bytes * size }));
  const descs = parts.map((p) => {
    const r = normalizeRegion(byteRegion(p.region, size));
    return { from: p.from, to: p.to, desc: ctx.upload(regionDescriptor(r)), inOffset: r.inOffset, outOffset: r.outOffset };
  });
  return {
    scratch: 0,
    make: () => (ptr) => {
      for (const f of fills) ctx.ex.fillBytes(ptr[f.to]!, f.value, f.bytes);
      for (const d of descs) ctx.ex.copyRegion(ptr[d.from]!, ptr[d.to]!, d.desc, d.inOffset, d.outOffset);
    },
  };
}

/** A kernel `copy` op writing graph tensor `output` from `inputs` (one region each), normalised. */
export function copyDraft(ctx: LowerCtx, inputs: readonly number[], output: number, regions: CopyRegion[], fill?: number): KernelOpDraft {
  // The kernel `copy` moves bytes: int16 regions (16x8 models) become byte regions, and their fill must be 0.
  const size = bytesPerElement(ctx.t(output).dtype);
  if (size > 1 && fill !== undefined && fill !== 0) throw new Error(`copy: a ${ctx.t(output).dtype} fill of ${fill} (only 0 is byte-uniform)`);
  const rs = regions.map((r) => normalizeRegion(byteRegion(r, size)));
  for (const r of rs) if (r.shape.length > MAX_COPY_RANK) throw new Error(`copy region of rank ${r.shape.length} after merging (at most ${MAX_COPY_RANK})`);
  return {
    kind: 'copy', inputs: inputs.map((id) => ctx.buffer(id)), output: ctx.buffer(output), regions: rs,
    ...(fill !== undefined ? { fill } : {}),
  };
}
