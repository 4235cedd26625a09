// The golden runtime's host side: loads the AssemblyScript kernels (dist/golden.wasm or golden-simd.wasm,
// bit-identical), and executes a graph-IR Graph op by op, directly (never through lowering). Constants
// (weights widened to int16 rows, biases, per-channel multipliers/shifts) are uploaded once per Graph
// object and arithmetic; activations live above them and are freed after every run. Quantisation
// parameters come from compiler/quant/params.ts, the same source the lowering uses.
// State: a graph's variable tensors (recurrent state) live in a GoldenState on the host side; run() copies
// them into wasm memory before the ops and (with a GoldenState given) back after, so consecutive runs with
// one GoldenState carry the state over (runSequence). Without one, every run starts from the reset state.
// Arithmetic: `tflm` double-rounds everywhere; `tflite` single-rounds ungrouped CONV_2D and FULLY_CONNECTED
// (desktop TFLite's optimized kernels) and double-rounds everything else, grouped CONV_2D included.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TinyforgeError } from '../compiler/diagnostics.ts';
import { bytesPerElement, initialStateValue, numElements, stateTensors, type DType, type Graph, type Op, type Tensor } from '../compiler/ir/graph.ts';
import type { GoldenCtx, GoldenKernels, GoldenLaunch } from '../compiler/ops/golden-abi.ts';
import { int8Data } from '../compiler/ops/golden-abi.ts';
import { opDef } from '../compiler/ops/index.ts';
import { distDir } from '../compiler/paths.ts';
import type { Arith } from '../compiler/quant/multiplier.ts';

export type GoldenExports = GoldenKernels;

export interface RunOptions {
  arith?: Arith;
  keepAll?: boolean;
  /** The recurrent state to start from and update (runs carry it over); absent: the reset state, discarded after. */
  state?: GoldenState;
}
/** A tensor's values: int8 (the body), int16 (16x8 models, QUANTIZE to/from int16), int32 (the edges of 16x8
 *  models: QUANTIZE from/to int32, TRANSPOSE_CONV's output-shape input) or float32 (the model's float edges). */
export type TensorValues = Int8Array | Int16Array | Int32Array | Float32Array;
export interface RunResult { outputs: TensorValues[]; tensors?: Map<number, TensorValues> }

/** The typed array that holds `dtype` values. */
export function valuesOf(dtype: DType, buffer: ArrayBufferLike, byteOffset: number, n: number): TensorValues {
  if (dtype === 'int8') return new Int8Array(buffer, byteOffset, n);
  if (dtype === 'int16') return new Int16Array(buffer, byteOffset, n);
  if (dtype === 'int32') return new Int32Array(buffer, byteOffset, n);
  if (dtype === 'float32') return new Float32Array(buffer, byteOffset, n);
  throw new TinyforgeError(`the golden runtime has no ${dtype} activations`);
}

/** The little-endian bytes of tensor values (a view, no copy). */
export function valueBytes(v: TensorValues): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Typed array of `n` elements for an activation dtype. */
function newValues(t: Tensor): Int8Array | Int16Array | Int32Array {
  const n = numElements(t.shape);
  if (t.dtype === 'int8') return new Int8Array(n);
  if (t.dtype === 'int16') return new Int16Array(n);
  if (t.dtype === 'int32') return new Int32Array(n);
  throw new TinyforgeError(`variable tensor '${t.name}' is ${t.dtype}; state tensors are int8, int16 or int32`);
}

/**
 * A graph's recurrent state between invocations: one value array per variable tensor (Tensor.variable),
 * starting at (and reset to) TFLite's ResetVariableTensor value (initialStateValue: the zero point for
 * int8, 0 otherwise). Pass the same object to consecutive GoldenRuntime.run calls to carry state over.
 */
export class GoldenState {
  readonly values = new Map<number, Int8Array | Int16Array | Int32Array>();
  constructor(readonly graph: Graph) { this.reset(); }
  /** Back to the state before the first invocation. */
  reset(): void {
    for (const t of stateTensors(this.graph)) this.values.set(t.id, newValues(t).fill(initialStateValue(t)));
  }
  /** True when the graph has any variable tensor. */
  get stateful(): boolean { return this.values.size > 0; }
}

/** One op ready to launch: reads tensor addresses from `ptr` (indexed by tensor id). */
type Step = (ptr: number[]) => void;
interface Prepared { gen: number; steps: Step[]; constPtr: Map<number, number> }

/** Constants stop being cached (all are dropped and re-uploaded on demand) past this many bytes of wasm memory. */
const CONST_LIMIT = 512 * 1024 * 1024;

export class GoldenRuntime {
  readonly simd: boolean;
  readonly ex: GoldenExports;
  private cache = new WeakMap<Graph, Map<Arith, Prepared>>();
  private gen = 0;
  /** Everything below this address is cached constants. */
  private constTop: number;

  private readonly constLimit: number;

  private constructor(ex: GoldenExports, simd: boolean, constLimit: number) {
    this.ex = ex;
    this.simd = simd;
    this.constLimit = constLimit;
    this.constTop = ex.mark();
  }

  private static modules: Record<string, WebAssembly.Module> = {};

  static wasmPath(simd: boolean): string {
    return join(distDir, simd ? 'golden-simd.wasm' : 'golden.wasm');
  }

  /**
   * `wasm` overrides the module file (e.g. to compare two builds; `simd` must say what it was built with);
   * `constLimit` the bytes of cached constants after which the cache is dropped (tests use a tiny one).
   */
  static async load(opts: { simd?: boolean; wasm?: string; constLimit?: number } = {}): Promise<GoldenRuntime> {
    const simd = opts.simd ?? true;
    const path = opts.wasm ?? GoldenRuntime.wasmPath(simd);
    if (!existsSync(path)) throw new TinyforgeError(`golden runtime ${path} is missing`, {}, 'run `npm run build` first');
    const env = {
      abort(_msg: number, _file: number, line: number, col: number): never {
        throw new Error(`golden runtime: wasm abort at ${line}:${col}`);
      },
    };
    const mod = (GoldenRuntime.modules[path] ??= await WebAssembly.compile(new Uint8Array(readFileSync(path))));
    const instance = await WebAssembly.instantiate(mod, { env });
    const ex = instance.exports as unknown as GoldenExports;
    if ((ex.simdEnabled() === 1) !== simd) throw new Error(`${path}: SIMD flag is ${ex.simdEnabled()}, expected ${simd ? 1 : 0}`);
    return new GoldenRuntime(ex, simd, opts.constLimit ?? CONST_LIMIT);
  }

  /**
   * Executes `graph` on its inputs (NHWC, graph.inputs order): Int8Array for int8 inputs, Float32Array for
   * float32 edges, Int16Array for int16, Int32Array for int32. Outputs and kept tensors come back in their dtype's array.
   */
  run(graph: Graph, inputs: readonly TensorValues[], opts: RunOptions = {}): RunResult {
    const arith = opts.arith ?? 'tflm';
    const prep = this.prepare(graph, arith);
    if (inputs.length !== graph.inputs.length) {
      throw new TinyforgeError(`graph '${graph.name}' takes ${graph.inputs.length} input(s), got ${inputs.length}`);
    }
    const ex = this.ex;
    const ptr: number[] = new Array(graph.tensors.length).fill(-1);
    for (const [id, p] of prep.constPtr) ptr[id] = p;
    const allocTensor = (t: Tensor): number => {
      if (t.dtype === 'int64') throw new TinyforgeError(`tensor '${t.name}' is int64; the golden runtime's activations are int8, int16, int32 or float32`);
      return (ptr[t.id] = ex.alloc(numElements(t.shape) * bytesPerElement(t.dtype)));
    };
    try {
      graph.inputs.forEach((id, i) => {
        const t = graph.tensors[id];
        const n = numElements(t.shape);
        if (inputs[i].length !== n) {
          throw new TinyforgeError(`input ${i} ('${t.name}', shape [${t.shape.join(', ')}]) needs ${n} ${t.dtype} values, got ${inputs[i].length}`);
        }
        const want = t.dtype === 'float32' ? Float32Array : t.dtype === 'int16' ? Int16Array : t.dtype === 'int32' ? Int32Array : Int8Array;
        if (!(inputs[i] instanceof want)) {
          throw new TinyforgeError(`input ${i} ('${t.name}') is ${t.dtype}, given a ${inputs[i].constructor.name}`, {}, `pass a ${want.name}`);
        }
        const p = allocTensor(t);
        valuesOf(t.dtype, ex.memory.buffer, p, n).set(inputs[i] as never);
      });
      if (opts.state && opts.state.graph !== graph) throw new Error('GoldenRuntime.run: the GoldenState belongs to another graph');
      const state = opts.state ?? new GoldenState(graph);
      for (const [id, v] of state.values) {
        const t = graph.tensors[id]!;
        const p = allocTensor(t); // before reading ex.memory.buffer: the allocation may grow (and detach) it
        valuesOf(t.dtype, ex.memory.buffer, p, v.length).set(v);
      }
      graph.ops.forEach((op, k) => {
        for (const o of op.outputs) allocTensor(graph.tensors[o]);
        prep.steps[k](ptr);
      });
      const read = (id: number): TensorValues => {
        const t = graph.tensors[id];
        return valuesOf(t.dtype, ex.memory.buffer, ptr[id], numElements(t.shape)).slice();
      };
      const outputs = graph.outputs.map(read);
      if (opts.state) for (const [id, v] of opts.state.values) v.set(read(id) as typeof v);
      if (!opts.keepAll) return { outputs };
      const tensors = new Map<number, TensorValues>();
      for (const t of graph.tensors) if (ptr[t.id] >= 0 && !prep.constPtr.has(t.id)) tensors.set(t.id, read(t.id));
      return { outputs, tensors };
    } finally {
      ex.reset(this.constTop);
    }
  }

  /**
   * Runs `graph` once per entry of `inputsPerInvocation`, in order, with the recurrent state carried from
   * one invocation to the next (starting from `opts.state`, else the reset state). One result per invocation.
   */
  runSequence(graph: Graph, inputsPerInvocation: ReadonlyArray<readonly TensorValues[]>, opts: RunOptions = {}): RunResult[] {
    const state = opts.state ?? new GoldenState(graph);
    return inputsPerInvocation.map((inputs) => this.run(graph, inputs, { ...opts, state }));
  }

  // ---- preparation: constants and one launch closure per op ----

  private prepare(graph: Graph, arith: Arith): Prepared {
    let perArith = this.cache.get(graph);
    const hit = perArith?.get(arith);
    if (hit && hit.gen === this.gen) return hit;
    if (this.constTop > this.constLimit) {
      this.ex.reset(0);
      this.constTop = this.ex.mark();
      this.gen++;
      this.cache = new WeakMap();
      perArith = undefined;
    }
    this.ex.reset(this.constTop);
    const prep: Prepared = { gen: this.gen, steps: [], constPtr: new Map() };
    let scratchBytes = 16;
    const needs: Array<(scratch: number) => Step> = [];
    graph.ops.forEach((op, k) => {
      try {
        const { scratch, make } = this.prepareOp(graph, op, arith, prep);
        scratchBytes = Math.max(scratchBytes, scratch);
        needs.push(make);
      } catch (e) {
        if (e instanceof TinyforgeError && e.where.op === undefined) {
          throw new TinyforgeError(e.message, { ...e.where, op: op.name ?? k }, e.hint);
        }
        throw e;
      }
    });
    const scratch = this.ex.alloc(scratchBytes);
    prep.steps = needs.map((make) => make(scratch));
    this.constTop = this.ex.mark();
    if (!perArith) this.cache.set(graph, (perArith = new Map()));
    perArith.set(arith, prep);
    return prep;
  }

  private upload(data: Int8Array | Uint8Array | Int16Array | Int32Array): number {
    const p = this.ex.alloc(data.byteLength);
    new Uint8Array(this.ex.memory.buffer, p, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return p;
  }

  /** Uploads an op's constant int8 activation operand (e.g. an ADD with a constant) once. */
  private constOperand(graph: Graph, id: number, prep: Prepared): void {
    const t = graph.tensors[id];
    if (!t.data || prep.constPtr.has(id)) return;
    if (!(t.data instanceof Int8Array)) throw new TinyforgeError(`constant operand '${t.name}' must be int8, is ${t.dtype}`);
    prep.constPtr.set(id, this.upload(t.data));
  }

  /** Requant arrays expanded to one entry per output channel. */
  private uploadRequant(mult: Int32Array, shift: Int32Array, outC: number): [number, number] {
    const expand = (a: Int32Array) => (a.length === outC ? a : Int32Array.from({ length: outC }, () => a[0]));
    return [this.upload(expand(mult)), this.upload(expand(shift))];
  }

  /**
   * The double-rounding table of assembly/quant.ts (requant4Double): leftMul i32 [outC], mask i32 [outC],
   * rightMul i64 [outC], so the SIMD kernels requantise four channels per instruction.
   */
  private requantTable(shift: Int32Array, outC: number): number {
    const buf = new ArrayBuffer(outC * 16);
    const left = new Int32Array(buf, 0, outC);
    const mask = new Int32Array(buf, outC * 4, outC);
    const rightMul = new BigInt64Array(buf, outC * 8, outC);
    for (let c = 0; c < outC; c++) {
      const s = shift.length === outC ? shift[c] : shift[0];
      const l = Math.max(s, 0), r = Math.max(-s, 0);
      if (r > 31) throw new TinyforgeError(`requantisation shift ${s} is out of range`);
      left[c] = 2 ** l | 0;
      mask[c] = (2 ** r - 1) | 0;
      rightMul[c] = 1n << BigInt(32 - r);
    }
    return this.upload(new Uint8Array(buf));
  }

  private bias(graph: Graph, op: Op, outC: number): number {
    const id = op.inputs[2];
    if (id === undefined || id < 0) return 0;
    const t = graph.tensors[id];
    if (!(t.data instanceof Int32Array) || t.data.length !== outC) {
      throw new TinyforgeError(`bias '${t.name}' must be constant int32 [${outC}]`);
    }
    return this.upload(t.data);
  }

  /** Weight rows widened to int16, each padded with zeros to kp (a multiple of 8). */
  private weightRows(t: Tensor, rows: number, k: number): { ptr: number; kp: number } {
    const w = int8Data(t);
    if (w.length !== rows * k) throw new TinyforgeError(`weights '${t.name}' have ${w.length} values, expected ${rows} x ${k}`);
    if (t.quant && t.quant.zeroPoint.some((z) => z !== 0)) throw new TinyforgeError(`weights '${t.name}' must have zero point 0 (symmetric int8)`);
    const kp = Math.ceil(k / 8) * 8;
    const w16 = new Int16Array(rows * kp);
    for (let r = 0; r < rows; r++) for (let i = 0; i < k; i++) w16[r * kp + i] = w[r * k + i];
    return { ptr: this.upload(w16), kp };
  }

  private prepareOp(graph: Graph, op: Op, arith: Arith, prep: Prepared): GoldenLaunch {
    const def = opDef(op.kind);
    for (const slot of def.arity.activations(op as never)) this.constOperand(graph, op.inputs[slot]!, prep);
    const ctx: GoldenCtx = {
      ex: this.ex, graph, arith,
      T: (i) => graph.tensors[op.inputs[i]!]!,
      Y: graph.tensors[op.outputs[0]!]!,
      upload: (data) => this.upload(data),
      weightRows: (t, rows, k) => this.weightRows(t, rows, k),
      bias: (o, outC) => this.bias(graph, o, outC),
      uploadRequant: (mult, shift, outC) => this.uploadRequant(mult, shift, outC),
      requantTable: (shift, outC) => this.requantTable(shift, outC),
    };
    return def.golden(ctx, op as never);
  }
}
