// TFLite's own interpreter as an independent oracle for tests and benchmarks (never part of the CLI bundle).
// It loads the WebAssembly build shipped in the npm package @tensorflow/tfjs-tflite (plain build: no SIMD, no
// threads) in plain Node: the Emscripten glue is evaluated as a function, its module factory is given the wasm
// bytes read from disk (with XNNPACK patched out, see xnnpack-patch.ts), and models run through the embind
// class TFLiteWebModelRunner with one thread. With XNNPACK off the interpreter runs TFLite's builtin int8
// kernels: the `tflite` arithmetic of ../../../shared/docs/tflite-reference.md, deterministic across runs.
//
// withAllOutputs() rewrites a model so that every operator's output is a subgraph output, making every
// intermediate activation observable for layer-by-layer comparisons.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ByteBuffer } from 'flatbuffers';
import { disableXnnpack, XNNPACK_LOG, type XnnpackPatch } from './xnnpack-patch.ts';

type TfliteDataType = 'int8' | 'uint8' | 'bool' | 'int16' | 'int32' | 'uint32' | 'float32' | 'float64';
type TypedData = Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

// The slice of the Emscripten/embind module this file uses.
interface EmVector<T> { size(): number; get(i: number): T; delete(): void }
interface EmTensorInfo { id: number; dataType: TfliteDataType; name: string; shape: string; data(): TypedData; delete(): void }
interface EmRunner { GetInputs(): EmVector<EmTensorInfo>; GetOutputs(): EmVector<EmTensorInfo>; Infer(): boolean; delete(): void }
interface EmStatusOr { ok(): boolean; errorMessage(): string; value(): EmRunner; delete(): void }
interface EmModule {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(ptr: number, len: number, opts: { numThreads: number; enableProfiling: boolean; maxProfilingBufferEntries: number }): EmStatusOr;
  };
}
type ModuleFactory = (opts: { wasmBinary: Uint8Array; print: (s: string) => void; printErr: (s: string) => void }) => Promise<EmModule>;

/** One tensor read back from the interpreter (a copy, safe after further runs). */
export interface OracleTensor {
  name: string;
  shape: number[];
  dtype: TfliteDataType;
  data: TypedData;
}

function packageWasmDir(): string {
  const req = createRequire(import.meta.url);
  return join(dirname(req.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');
}

/** A model loaded into the interpreter; reusable across runs. Call dispose() to free its wasm memory. */
export class TfliteModel {
  private disposed = false;
  constructor(private readonly mod: EmModule, private readonly runner: EmRunner, private readonly status: EmStatusOr,
    private readonly modelPtr: number) {}

  private infos(which: 'in' | 'out'): Array<{ name: string; shape: number[]; dtype: TfliteDataType; info: EmTensorInfo }> {
    const v = which === 'in' ? this.runner.GetInputs() : this.runner.GetOutputs();
    try {
      const out = [];
      for (let i = 0; i < v.size(); i++) {
        const info = v.get(i);
        out.push({ name: info.name, shape: info.shape === '' ? [] : info.shape.split(',').map(Number), dtype: info.dataType, info });
      }
      return out;
    } finally { v.delete(); }
  }

  get inputs(): Array<{ name: string; shape: number[]; dtype: TfliteDataType }> {
    return this.infos('in').map(({ info, ...rest }) => { info.delete(); return rest; });
  }

  /** Runs one inference; inputs in the model's input order, each with the input's exact element count. */
  runTensors(inputs: ArrayLike<number>[]): OracleTensor[] {
    if (this.disposed) throw new Error('TfliteModel: used after dispose()');
    const ins = this.infos('in');
    try {
      if (ins.length !== inputs.length) throw new Error(`TfliteModel: model has ${ins.length} inputs, got ${inputs.length}`);
      ins.forEach((t, i) => {
        const buf = t.info.data(); // a fresh view: memory growth detaches older ones
        if (buf.length !== inputs[i].length) {
          throw new Error(`TfliteModel: input ${i} (${t.name}, ${t.dtype} [${t.shape}]) needs ${buf.length} values, got ${inputs[i].length}`);
        }
        buf.set(inputs[i]);
      });
    } finally { for (const t of ins) t.info.delete(); }
    if (!this.runner.Infer()) throw new Error('TfliteModel: Infer() failed');
    const outs = this.infos('out');
    try {
      return outs.map(({ info, ...rest }) => ({ ...rest, data: info.data().slice() }));
    } finally { for (const t of outs) t.info.delete(); }
  }

  /** Runs one inference on int8 inputs; every output must be int8. */
  run(inputs: Int8Array[]): Int8Array[] {
    return this.runTensors(inputs).map((t) => {
      if (!(t.data instanceof Int8Array)) throw new Error(`TfliteModel: output ${t.name} is ${t.dtype}, not int8 (use runTensors)`);
      return t.data;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.runner.delete();
    this.status.delete();
    this.mod._free(this.modelPtr);
  }
}

export class TfliteInterpreter {
  /** Everything the interpreter printed (stdout and stderr), e.g. to check that XNNPACK stayed off. */
  readonly log: string[];
  /** Where XNNPACK was patched out (undefined when loaded with xnnpack: true). */
  readonly patch: XnnpackPatch | undefined;
  private last: { model: Uint8Array; handle: TfliteModel } | undefined;

  private constructor(private readonly mod: EmModule, log: string[], patch: XnnpackPatch | undefined) {
    this.log = log;
    this.patch = patch;
  }

  /** Compiles the interpreter (~100 ms). `xnnpack: true` keeps the (not bit-exact) XNNPACK delegate, for comparison only. */
  static async load(opts: { xnnpack?: boolean } = {}): Promise<TfliteInterpreter> {
    const dir = packageWasmDir();
    const glue = readFileSync(join(dir, 'tflite_web_api_cc.js'), 'utf8');
    const wasm = new Uint8Array(readFileSync(join(dir, 'tflite_web_api_cc.wasm')));
    const patch = opts.xnnpack ? undefined : disableXnnpack(wasm);
    // The glue defines `var tflite_web_api_ModuleFactory` and only touches module/exports/define behind typeof checks.
    const factory = new Function(`${glue}\nreturn tflite_web_api_ModuleFactory;`)() as ModuleFactory;
    const log: string[] = [];
    const mod = await factory({ wasmBinary: wasm, print: (s) => log.push(s), printErr: (s) => log.push(s) });
    return new TfliteInterpreter(mod, log, patch);
  }

  /** True when the XNNPACK delegate announced itself in the interpreter's log. */
  get xnnpackCreated(): boolean {
    return this.log.some((l) => l.includes(XNNPACK_LOG));
  }

  /** Loads a .tflite model; the caller disposes the handle. */
  prepare(model: Uint8Array): TfliteModel {
    const logStart = this.log.length;
    const ptr = this.mod._malloc(model.length);
    this.mod.HEAPU8.set(model, ptr);
    const status = this.mod.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, model.length,
      { numThreads: 1, enableProfiling: false, maxProfilingBufferEntries: 1024 });
    if (!status.ok()) {
      const msg = status.errorMessage();
      status.delete();
      this.mod._free(ptr);
      const details = this.log.slice(logStart).join('; ');
      throw new Error(`TFLite interpreter rejected the model: ${msg}${details ? ` (${details})` : ''}`);
    }
    return new TfliteModel(this.mod, status.value(), status, ptr);
  }

  /** Runs `model` on int8 inputs (the last model's handle is kept, so repeated runs of one model are cheap). */
  run(model: Uint8Array, inputs: Int8Array[]): Int8Array[] {
    return this.handleFor(model).run(inputs);
  }

  /** As run(), for models with non-int8 outputs. */
  runTensors(model: Uint8Array, inputs: ArrayLike<number>[]): OracleTensor[] {
    return this.handleFor(model).runTensors(inputs);
  }

  private handleFor(model: Uint8Array): TfliteModel {
    if (this.last?.model !== model) {
      this.last?.handle.dispose();
      this.last = undefined;
      this.last = { model, handle: this.prepare(model) };
    }
    return this.last.handle;
  }
}

// ---- Model rewriting: every operator output becomes a subgraph output ---------------------------------

// Field slots (vtable index) of the tflite schema fields used here.
const MODEL_SUBGRAPHS = 2, MODEL_BUFFERS = 4;
const SUBGRAPH_OUTPUTS = 2, SUBGRAPH_OPERATORS = 3;
const OPERATOR_OUTPUTS = 2;
const BUFFER_OFFSET = 1;

function field(bb: ByteBuffer, table: number, slot: number): number {
  return bb.__offset(table, 4 + 2 * slot);
}

function tableVector(bb: ByteBuffer, table: number, slot: number): number[] {
  const o = field(bb, table, slot);
  if (!o) return [];
  const start = bb.__vector(table + o);
  return Array.from({ length: bb.__vector_len(table + o) }, (_, i) => bb.__indirect(start + 4 * i));
}

function intVector(bb: ByteBuffer, table: number, slot: number): number[] {
  const o = field(bb, table, slot);
  if (!o) return [];
  const start = bb.__vector(table + o);
  return Array.from({ length: bb.__vector_len(table + o) }, (_, i) => bb.readInt32(start + 4 * i));
}

/** Tensor indices of every operator output of subgraph 0, in execution order (each once). */
export function allOpOutputs(model: Uint8Array): number[] {
  const bb = new ByteBuffer(model);
  const root = bb.readUint32(0);
  const sub = tableVector(bb, root, MODEL_SUBGRAPHS)[0];
  if (sub === undefined) throw new Error('withAllOutputs: model has no subgraph');
  const seen = new Set<number>();
  for (const op of tableVector(bb, sub, SUBGRAPH_OPERATORS)) {
    for (const t of intVector(bb, op, OPERATOR_OUTPUTS)) if (t >= 0) seen.add(t);
  }
  return [...seen];
}

/**
 * Returns a copy of `model` whose subgraph 0 lists allOpOutputs(model) as its outputs. The new int vector is
 * appended after the flatbuffer (flatbuffer offsets are unsigned and point forward, so this is legal) and the
 * subgraph's `outputs` field is re-pointed at it; nothing else moves.
 */
export function withAllOutputs(model: Uint8Array): Uint8Array {
  const bb = new ByteBuffer(model);
  const root = bb.readUint32(0);
  for (const buf of tableVector(bb, root, MODEL_BUFFERS)) {
    const o = field(bb, buf, BUFFER_OFFSET);
    if (o && bb.readUint64(buf + o) > 1n) throw new Error('withAllOutputs: models with buffers outside the flatbuffer are not supported');
  }
  const sub = tableVector(bb, root, MODEL_SUBGRAPHS)[0];
  const o = field(bb, sub, SUBGRAPH_OUTPUTS);
  if (!o) throw new Error('withAllOutputs: subgraph 0 has no outputs field to re-point');
  const outputs = allOpOutputs(model);
  const vecPos = (model.length + 3) & ~3;
  const out = new Uint8Array(vecPos + 4 + 4 * outputs.length);
  out.set(model);
  const view = new DataView(out.buffer);
  view.setUint32(vecPos, outputs.length, true);
  outputs.forEach((t, i) => view.setInt32(vecPos + 4 + 4 * i, t, true));
  const fieldPos = sub + o;
  view.setUint32(fieldPos, vecPos - fieldPos, true);
  return out;
}
