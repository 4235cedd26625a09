// The interface between operator definitions and the golden runtime (runtime-wasm/host.ts): the
// AssemblyScript kernels' exports as the host calls them, and the context an op's `golden` binding uses
// to upload its constants once and return the launch that runs it. host.ts implements GoldenCtx; the op
// definitions only describe which kernel to call with which arguments, so the runtime stays one loop.
import { TinyforgeError } from '../diagnostics.ts';
import type { Graph, Op, Tensor } from '../ir/graph.ts';
import type { Arith } from '../quant/multiplier.ts';

type Fn = (...args: number[]) => number;

/** The golden module's exports (runtime-wasm/assembly/index.ts). */
export interface GoldenKernels {
  /** The module's WebAssembly.Memory; typed by what the host reads, so the published declarations need no DOM/wasm lib. */
  memory: { readonly buffer: ArrayBuffer };
  alloc: Fn; mark: Fn; reset: Fn; simdEnabled: Fn;
  conv2d: Fn; shiftConv2d: Fn; depthwiseConv2d: Fn; add: Fn; pool2d: Fn; softmax: Fn; softmaxFloat16: Fn; softmax16: Fn; copyBytes: Fn;
  rescale8: Fn; leakyRelu8: Fn; hardSwish8: Fn; logisticQ4s8: Fn; tanhQ4s8: Fn; sigmoidLut8: Fn; prelu8: Fn;
  copyRegion: Fn; fillBytes: Fn; resizeNearest: Fn; binary: Fn;
  reduce: Fn; resizeBilinear: Fn; transposeConv: Fn;
  quantizeFloat: Fn; requantize: Fn; dequantize: Fn;
  conv16x8: Fn; transposeConv16x8: Fn; binary16: Fn; leakyRelu16: Fn; pool16: Fn; sigmoid16: Fn; svdf: Fn;
  lstm8x8_16: Fn; lstmTables: Fn; logistic16: Fn; tanh16: Fn;
  qMultiply: Fn; qSrdhm: Fn; qRdbpot: Fn; qExpOnNegativeValues: Fn; qOneOverOnePlusX: Fn;
}

/** What an op's golden binding may use while it prepares (constants are uploaded once per graph and arith). */
export interface GoldenCtx {
  ex: GoldenKernels;
  graph: Graph;
  arith: Arith;
  /** Tensor of operand `i`, and the (first) output. */
  T(i: number): Tensor;
  Y: Tensor;
  /** Copies bytes into wasm memory; returns the address. */
  upload(data: Int8Array | Uint8Array | Int16Array | Int32Array): number;
  /** Weight rows widened to int16, each padded with zeros to kp (a multiple of 8). */
  weightRows(t: Tensor, rows: number, k: number): { ptr: number; kp: number };
  /** The bias of operand 2 (0 when absent), checked to be int32 [outC]. */
  bias(op: Op, outC: number): number;
  /** Requant arrays expanded to one entry per output channel: [multipliers, shifts]. */
  uploadRequant(mult: Int32Array, shift: Int32Array, outC: number): [number, number];
  /** The double-rounding table of assembly/quant.ts (requant4Double) for the SIMD kernels. */
  requantTable(shift: Int32Array, outC: number): number;
}

/**
 * A prepared op: the scratch bytes it needs and a factory that, given the shared scratch address, returns
 * the launch. A launch reads tensor addresses from `ptr` (indexed by tensor id).
 */
export interface GoldenLaunch {
  scratch: number;
  make(scratch: number): (ptr: number[]) => void;
}

export function int8Data(t: Tensor): Int8Array {
  if (!(t.data instanceof Int8Array)) throw new TinyforgeError(`weights '${t.name}' must be constant int8 (got ${t.data ? t.dtype : 'no data'})`);
  return t.data;
}

/** The bias of operand `slot` of a 16x8 layer as int64 (TFLite Micro takes int64 biases, and int32 ones widened);
 *  0 when absent. */
export function uploadBias64(ctx: GoldenCtx, t: Tensor | undefined, outC: number): number {
  if (!t) return 0;
  const d = t.data;
  if (!(d instanceof BigInt64Array || d instanceof Int32Array) || d.length !== outC) {
    throw new TinyforgeError(`bias '${t.name}' must be constant int64 or int32 [${outC}]`);
  }
  const b = d instanceof BigInt64Array ? d : BigInt64Array.from(d, (v) => BigInt(v));
  return ctx.upload(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
}

export function nhwc(t: Tensor): [number, number, number, number] {
  if (t.shape.length !== 4) throw new TinyforgeError(`tensor '${t.name}' must be 4-D NHWC, has shape [${t.shape.join(', ')}]`);
  return t.shape as [number, number, number, number];
}

export function pad4(shape: number[]): number[] {
  if (shape.length > 4) throw new TinyforgeError(`broadcast ADD supports up to 4 dimensions, got [${shape.join(', ')}]`);
  return [...new Array(4 - shape.length).fill(1), ...shape];
}

/** Byte strides of `shape` read as the 4-D output `out`, NumPy broadcasting: 0 along broadcast dimensions. */
export function broadcastStrides(shape: number[], out: number[]): [number, number, number, number] {
  const s = pad4(shape);
  const strides: [number, number, number, number] = [0, 0, 0, 0];
  let step = 1;
  for (let d = 3; d >= 0; d--) {
    if (s[d] !== out[d] && s[d] !== 1) throw new TinyforgeError(`shape [${shape.join(', ')}] does not broadcast to [${out.join(', ')}]`);
    strides[d] = s[d] === 1 && out[d] !== 1 ? 0 : step;
    step *= s[d];
  }
  return strides;
}

/**
 * Merges the dimensions of an element-wise loop nest that every operand walks contiguously (or all
 * broadcasts), and drops those of size 1, so the kernels' innermost loop is as long as possible (their SIMD
 * paths vectorise only that loop: [1,128,128,1] becomes one loop of 16384). Returns the output dims and
 * each operand's element strides, padded in front to `rank` (dims 1, strides 0). Pure re-indexing: the
 * kernels visit the same elements in the same order.
 */
export function coalesceDims(out: readonly number[], strides: readonly (readonly number[])[], rank: number): { dims: number[]; strides: number[][] } {
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < out.length; d++) {
    if (out[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides.every((s, k) => st[k]![last] === s[d]! * out[d]!)) {
      dims[last]! *= out[d]!;
      strides.forEach((s, k) => { st[k]![last] = s[d]!; });
    } else {
      dims.push(out[d]!);
      strides.forEach((s, k) => st[k]!.push(s[d]!));
    }
  }
  if (dims.length === 0) { dims.push(1); st.forEach((s) => s.push(0)); }
  if (dims.length > rank) return { dims: [...out], strides: strides.map((s) => [...s]) };
  const pad = rank - dims.length;
  return { dims: [...new Array<number>(pad).fill(1), ...dims], strides: st.map((s) => [...new Array<number>(pad).fill(0), ...s]) };
}
