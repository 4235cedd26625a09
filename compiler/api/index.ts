// tinyforge's public API (package.json `exports`, types in dist/types, documented in docs/api.md): load a
// model (.tflite or YAML build config), run the golden runtime on one input or a batch (worker threads,
// progress callback) in either arithmetic with optional per-layer tensors, compile for the Cortex-M or
// CGRA target, verify the Cortex-M C against the golden runtime, and compare outputs (compare.ts). The CLI's
// run and verify commands are built on these functions; nothing here duplicates a back end, it calls them.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { TinyforgeError } from '../diagnostics.ts';
import { loadModel as loadModelFile } from '../frontend/load.ts';
import { importTflite } from '../frontend/tflite/import.ts';
import { parseSize, type BuildConfig } from '../frontend/yaml/config.ts';
import { bytesPerElement, numElements, type DType, type Graph } from '../ir/graph.ts';
import { runPipeline } from '../passes/registry.ts';
import { distDir } from '../paths.ts';
import { ARITH_MODES, type Arith } from '../quant/multiplier.ts';
import { floatInputRange } from '../quant/quantize.ts';
import { mulberry32 } from '../rng.ts';
import { GoldenRuntime, valueBytes, valuesOf, type TensorValues } from '../../runtime-wasm/host.ts';
import { mcuBuildStep, type McuLayerReport, type McuTotals, type McuDvfsReport } from '../../mcu-backend/build.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { CPUS, parseCpu, requireTools, RUN_ON, type McuCpu, type RunOn } from '../../mcu-backend/harness/run.ts';
import { randomGraphInputs, verifyMcu, formatVerify, type VerifyResult } from '../../mcu-backend/verify.ts';
import { requireRv32Tools } from '../../mcu-backend/harness/rv32.ts';
import { makeArch } from '../../cgra-mapper/arch.ts';
import type { ModelReport } from '../../cgra-mapper/report.ts';
import { runCgraTarget } from '../../cgra-mapper/target.ts';
import type { LayerValues } from './compare.ts';

export { compareOutputs, assertOutputsEqual, OutputMismatchError } from './compare.ts';
export type { Comparable, Comparison, Difference, LayerValues, Values } from './compare.ts';
export { TinyforgeError } from '../diagnostics.ts';
export type { Arith } from '../quant/multiplier.ts';
export type { Graph, DType } from '../ir/graph.ts';
export type { TensorValues } from '../../runtime-wasm/host.ts';
export type { VerifyResult, LayerMismatch } from '../../mcu-backend/verify.ts';
export type { McuLayerReport, McuTotals, McuDvfsReport } from '../../mcu-backend/build.ts';
export type { McuCpu, RunOn } from '../../mcu-backend/harness/run.ts';
export type { ModelReport } from '../../cgra-mapper/report.ts';

// ---------- models ----------

/** A graph input or output. */
export interface TensorInfo {
  /** Tensor id in the graph. */
  id: number;
  name: string;
  dtype: DType;
  shape: number[];
  /** Bytes of its values (elements x bytes per element). */
  bytes: number;
  /** Per-tensor quantisation (int8/int16 edges): real = scale * (q - zeroPoint). */
  scale?: number;
  zeroPoint?: number;
}

/** One operator of the graph, in execution order. */
export interface LayerInfo { index: number; name: string; kind: string; outputs: string[] }

/** Where a model came from: a file, or the bytes of a .tflite flatbuffer. */
export type ModelSource = { path: string } | { bytes: Uint8Array; name: string };

export interface Model {
  /** The graph's name. */
  name: string;
  source: ModelSource;
  /** The graph IR the golden runtime executes and the back ends lower. */
  graph: Graph;
  /** The build config, when loaded from YAML. */
  config?: BuildConfig;
  /** The config's arithmetic, else 'tflm'; run/compile/verify default to it. */
  arith: Arith;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  layers: LayerInfo[];
}

function tensorInfo(graph: Graph, id: number): TensorInfo {
  const t = graph.tensors[id]!;
  return {
    id, name: t.name, dtype: t.dtype, shape: [...t.shape], bytes: numElements(t.shape) * bytesPerElement(t.dtype),
    ...(t.quant && t.quant.scale.length === 1 ? { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0] } : {}),
  };
}

function modelOf(graph: Graph, source: ModelSource, config?: BuildConfig): Model {
  return {
    name: graph.name, source, graph, ...(config ? { config } : {}), arith: config?.arith ?? 'tflm',
    inputs: graph.inputs.map((id) => tensorInfo(graph, id)),
    outputs: graph.outputs.map((id) => tensorInfo(graph, id)),
    layers: graph.ops.map((op, k) => ({ index: k, name: op.name ?? String(k), kind: op.kind, outputs: op.outputs.map((o) => graph.tensors[o]!.name) })),
  };
}

/** Loads a .tflite model or a .yaml/.yml build config (its model and targets). Throws TinyforgeError. */
export function loadModel(path: string): Model {
  const { graph, config } = loadModelFile(path);
  return modelOf(graph, { path }, config);
}

/** Loads a .tflite flatbuffer from memory; `name` is used in error messages. */
export function loadModelFromBytes(bytes: Uint8Array, name = 'model.tflite'): Model {
  return modelOf(importTflite(bytes, name), { bytes, name });
}

// ---------- inputs ----------

/**
 * One inference's input: a typed array per graph input (Int8Array for int8, Float32Array for a float32
 * edge, Int16Array for int16), one typed array for a single-input model, or the raw bytes of all inputs
 * concatenated in order as a Uint8Array (the CLI's input file format: int8 one byte per value, float32
 * little-endian).
 */
export type Input = TensorValues | readonly TensorValues[] | Uint8Array;

/** Splits raw input bytes (all inputs concatenated) into one typed array per graph input. */
export function splitInputBytes(model: Model, bytes: Uint8Array, file?: string): TensorValues[] {
  const total = model.inputs.reduce((s, t) => s + t.bytes, 0);
  if (bytes.length !== total) {
    const parts = model.inputs.map((t) => `'${t.name}' ${t.dtype} [${t.shape.join(', ')}] = ${t.bytes}`).join(', ');
    throw new TinyforgeError(`input is ${bytes.length} bytes, expected ${total}`, file !== undefined ? { file } : {}, `raw NHWC, int8 one byte per value, float32 little-endian: ${parts}`);
  }
  let off = 0;
  return model.inputs.map((t) => {
    const copy = bytes.slice(off, off + t.bytes); // aligned for its dtype
    off += t.bytes;
    return valuesOf(t.dtype, copy.buffer, 0, numElements(t.shape));
  });
}

function toInputs(model: Model, x: Input): TensorValues[] {
  if (x instanceof Uint8Array) return splitInputBytes(model, x);
  if (Array.isArray(x)) return x as TensorValues[];
  return [x as TensorValues];
}

/** Raw bytes of typed arrays, concatenated (the CLI's output file format). */
export function concatBytes(parts: readonly TensorValues[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let off = 0;
  for (const p of parts) { out.set(valueBytes(p), off); off += p.byteLength; }
  return out;
}

/**
 * Deterministic input bytes for every graph input (mulberry32 seeded by `seed`), all inputs concatenated:
 * int8 inputs uniform bytes, int16 inputs uniform little-endian int16, float32 inputs little-endian float32 uniform in the range their QUANTIZE
 * represents (no saturation). The CLI's `run --gen-input SEED`.
 */
export function generateInput(model: Model, seed: number): Uint8Array {
  const graph = model.graph;
  const out = new Uint8Array(model.inputs.reduce((s, t) => s + t.bytes, 0));
  const dv = new DataView(out.buffer);
  const next = mulberry32(seed);
  let off = 0;
  for (const t of model.inputs) {
    const range = floatInputRange(graph, t.id);
    const n = numElements(t.shape);
    if (t.dtype === 'float32' && range) {
      for (let i = 0; i < n; i++, off += 4) dv.setFloat32(off, Math.fround(range[0] + (range[1] - range[0]) * next()), true);
    } else if (t.dtype === 'int8') {
      for (let i = 0; i < n; i++) out[off++] = Math.floor(next() * 256);
    } else if (t.dtype === 'int16') {
      for (let i = 0; i < n; i++, off += 2) dv.setInt16(off, Math.floor(next() * 65536) - 32768, true);
    } else {
      throw new TinyforgeError(`--gen-input: input '${t.name}' is ${t.dtype}${t.dtype === 'float32' ? ' and read by no QUANTIZE' : ''}; no range to draw from`);
    }
  }
  return out;
}

/** `count` deterministic random inputs (the ones `verify` uses for the same seed), as typed arrays per input. */
export function randomInputs(model: Model, count: number, seed = 1): TensorValues[][] {
  return randomGraphInputs(model.graph, count, seed).map((x) => splitInputBytes(model, new Uint8Array(x.buffer, x.byteOffset, x.byteLength)));
}

// ---------- the golden runtime ----------

export interface RunOptions {
  /** Requantisation arithmetic: 'tflm' (TFLite Micro, CMSIS-NN) or 'tflite' (desktop TFLite). Default: the model's. */
  arith?: Arith;
  /** Also return every layer's output tensor (RunResult.layers). */
  layers?: boolean;
  /** Use the SIMD wasm module (default true; the scalar one is bit-identical and slower). */
  simd?: boolean;
}

export interface RunResult {
  /** One typed array per graph output (Int8Array for int8, Float32Array for a float32 edge). */
  outputs: TensorValues[];
  outputNames: string[];
  outputShapes: number[][];
  /** Every operator's output tensors in execution order (with `layers: true`). */
  layers?: LayerValues[];
}

const runtimes = new Map<boolean, Promise<GoldenRuntime>>();
/** The golden runtime (one instance per process and SIMD flag). */
export function goldenRuntime(simd = true): Promise<GoldenRuntime> {
  let r = runtimes.get(simd);
  if (!r) { r = GoldenRuntime.load({ simd }); runtimes.set(simd, r); r.catch(() => runtimes.delete(simd)); }
  return r;
}

function checkArith(arith: Arith): Arith {
  if (!ARITH_MODES.includes(arith)) throw new TinyforgeError(`arith must be one of ${ARITH_MODES.join(', ')}, got '${String(arith)}'`);
  return arith;
}

/**
 * Executes the model once on the golden runtime and returns the raw result: outputs, and with
 * `keepAll` every non-constant tensor by id (inputs included). The CLI's `run` uses this directly.
 */
export async function runGolden(model: Model, input: Input, opts: { arith?: Arith; keepAll?: boolean; simd?: boolean } = {}) {
  const rt = await goldenRuntime(opts.simd ?? true);
  const arith = checkArith(opts.arith ?? model.arith);
  const result = rt.run(model.graph, toInputs(model, input), { arith, keepAll: opts.keepAll ?? false });
  return { ...result, arith, simd: rt.simd };
}

function layerValues(graph: Graph, tensors: Map<number, TensorValues>): LayerValues[] {
  const out: LayerValues[] = [];
  graph.ops.forEach((op, k) => {
    for (const id of op.outputs) {
      const v = tensors.get(id);
      const t = graph.tensors[id]!;
      if (v) out.push({ index: k, name: op.name ?? String(k), kind: op.kind, tensor: t.name, shape: [...t.shape], values: v });
    }
  });
  return out;
}

/** Runs one input on the golden runtime (bit-exact int8 reference). */
export async function run(model: Model, input: Input, opts: RunOptions = {}): Promise<RunResult> {
  const r = await runGolden(model, input, { ...opts, keepAll: opts.layers ?? false });
  return {
    outputs: r.outputs, outputNames: model.outputs.map((t) => t.name), outputShapes: model.outputs.map((t) => [...t.shape]),
    ...(r.tensors ? { layers: layerValues(model.graph, r.tensors) } : {}),
  };
}

export interface BatchOptions extends RunOptions {
  /** Worker threads (default: min(inputs, available cores, 4)); 0 runs in this thread. */
  workers?: number;
  /** Called after every finished input with the count done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Path of the bundled worker script (built by `npm run build` next to the golden runtime's .wasm). */
export const workerScript = join(distDir, 'golden-worker.mjs');

/**
 * Runs every input on the golden runtime, spread over worker threads; results come back in input order.
 * Each worker loads the model from its source (file or bytes) and its own golden runtime.
 */
export async function runBatch(model: Model, inputs: readonly Input[], opts: BatchOptions = {}): Promise<RunResult[]> {
  const total = inputs.length;
  const results: RunResult[] = new Array(total);
  const workers = Math.max(0, Math.min(opts.workers ?? Math.min(availableParallelism(), 4), total));
  let done = 0;
  const finished = () => { done++; opts.onProgress?.(done, total); };
  const runOpts: RunOptions = { ...(opts.arith ? { arith: checkArith(opts.arith) } : {}), ...(opts.layers ? { layers: true } : {}), ...(opts.simd === false ? { simd: false } : {}) };
  if (workers === 0 || total === 0) {
    for (let i = 0; i < total; i++) { results[i] = await run(model, inputs[i]!, runOpts); finished(); }
    return results;
  }
  // Inputs as typed arrays (raw bytes split here, so a worker's error names the same input).
  const jobs = inputs.map((x, i) => ({ i, inputs: toInputs(model, x) }));
  let next = 0;
  const one = (): Promise<void> => new Promise((resolve, reject) => {
    const w = new Worker(workerScript, { workerData: { source: model.source, opts: runOpts } });
    let current = -1;
    const feed = () => {
      if (next >= total) { void w.terminate(); resolve(); return; }
      current = next++;
      w.postMessage(jobs[current]);
    };
    w.on('message', (m: { i: number; result?: RunResult; error?: { message: string; name: string } }) => {
      if (m.error) {
        void w.terminate();
        const e = m.error.name === 'TinyforgeError' ? new TinyforgeError(`input ${m.i}: ${m.error.message}`) : new Error(`input ${m.i}: ${m.error.message}`);
        reject(e);
        return;
      }
      results[m.i] = m.result!;
      finished();
      feed();
    });
    w.on('error', (e) => reject(new Error(`golden worker failed${current >= 0 ? ` on input ${current}` : ''}: ${e.message}`)));
    w.on('online', feed);
  });
  await Promise.all(Array.from({ length: workers }, one));
  return results;
}

// ---------- compile ----------

export interface McuCompileOptions {
  target: 'mcu';
  /** Output folder; the C goes to <outDir>/mcu. */
  outDir: string;
  /** Core: m0plus, m3, m4, m7, m33, m55 (with or without 'cortex-'). Default: the config's, else m4. */
  cpu?: string;
  /** Flash and SRAM budgets in bytes (or '256K', '1M'). Default: the config's, else 16M (no budget). */
  flash?: number | string;
  sram?: number | string;
  /** DVFS part (targets.mcu.part) and latency budget. */
  part?: string;
  latencyMs?: number;
  dae?: boolean;
  arith?: Arith;
  /** Random inputs verified against the golden runtime on the host (and QEMU when installed); 0 = none. Default 2. */
  verifyInputs?: number;
  seed?: number;
}

export interface CgraCompileOptions {
  target: 'cgra';
  /** Output folder; the CGRA files go to <outDir>/cgra. */
  outDir: string;
  rows?: number;
  cols?: number;
  bus?: 'ports' | 'shared';
  strategy?: string;
  /** Strategy per layer name. */
  layers?: Record<string, string>;
  callCycles?: number;
  arith?: Arith;
  /** Random input sets checked against the golden runtime (default 2). */
  verifyInputs?: number;
  seed?: number;
}

export type CompileOptions = McuCompileOptions | CgraCompileOptions;

export interface McuCompileResult {
  target: 'mcu';
  /** Folder holding the C (<outDir>/mcu): <name>.h/.c, runtime.h, CMakeLists.txt, tinyforge.mk, report.txt/json. */
  dir: string;
  files: string[];
  layers: McuLayerReport[];
  totals: McuTotals;
  dvfs?: McuDvfsReport;
  verify: VerifyResult[];
  /** True when every verification matched the golden runtime. */
  ok: boolean;
  /** The report as `tinyforge build` prints it. */
  text: string;
}

export interface CgraCompileResult {
  target: 'cgra';
  dir: string;
  files: string[];
  report: ModelReport;
  ok: boolean;
}

const BIG = 16 * 1024 * 1024;

/** Compiles the model for the Cortex-M (C) or the CGRA target into `outDir`, verifying as asked. */
export async function compile(model: Model, opts: McuCompileOptions): Promise<McuCompileResult>;
export async function compile(model: Model, opts: CgraCompileOptions): Promise<CgraCompileResult>;
export async function compile(model: Model, opts: CompileOptions): Promise<McuCompileResult | CgraCompileResult>;
export async function compile(model: Model, opts: CompileOptions): Promise<McuCompileResult | CgraCompileResult> {
  const arith = checkArith(opts.arith ?? model.arith);
  const file = model.config?.model ?? ('path' in model.source ? model.source.path : model.source.name);
  const module = runPipeline(model.graph, { arith, file });
  if (opts.target === 'mcu') {
    const c = model.config?.targets.mcu;
    const size = (v: number | string | undefined, d: number | undefined) => (v === undefined ? d ?? BIG : typeof v === 'number' ? v : parseSize(v));
    const cfg = {
      cpu: opts.cpu ?? c?.cpu ?? 'm4', flash: size(opts.flash, c?.flash), sram: size(opts.sram, c?.sram),
      ...(opts.part ?? c?.part ? { part: opts.part ?? c?.part } : {}), ...(opts.latencyMs ?? c?.latencyMs ? { latencyMs: opts.latencyMs ?? c?.latencyMs } : {}),
      ...(opts.dae ?? c?.dae) !== undefined ? { dae: opts.dae ?? c?.dae } : {},
    };
    const step = await mcuBuildStep(model.graph, module, cfg, opts.outDir, { file, verifyInputs: opts.verifyInputs ?? 2, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
    return {
      target: 'mcu', dir: join(opts.outDir, 'mcu'), files: step.build.files, layers: step.build.layers, totals: step.build.totals,
      ...(step.build.dvfs ? { dvfs: step.build.dvfs } : {}), verify: step.verify, ok: step.ok, text: step.text,
    };
  }
  if (opts.target === 'cgra') {
    const c = model.config?.targets.cgra;
    const { report, files } = await runCgraTarget(model.graph, {
      module, arith, file,
      arch: makeArch({ rows: opts.rows ?? c?.rows ?? 4, cols: opts.cols ?? c?.cols ?? 4, bus: opts.bus ?? c?.bus ?? 'ports', ...(opts.callCycles ?? c?.callCycles ? { callCycles: opts.callCycles ?? c?.callCycles } : {}) }),
      strategy: opts.strategy ?? c?.strategy ?? 'auto', ...(opts.layers ?? c?.layers ? { layers: opts.layers ?? c?.layers } : {}),
      inputs: Math.max(1, opts.verifyInputs ?? 2), ...(opts.seed !== undefined ? { seed: opts.seed } : {}), outDir: join(opts.outDir, 'cgra'),
    });
    return { target: 'cgra', dir: join(opts.outDir, 'cgra'), files, report, ok: (opts.verifyInputs ?? 2) === 0 || report.totals.bitExact };
  }
  throw new TinyforgeError(`unknown target '${(opts as { target: unknown }).target}'`, {}, "valid: 'mcu', 'cgra'");
}

// ---------- verify ----------

export interface VerifyOptions {
  /** Where to run the C: 'host' (gcc), a QEMU Cortex-M board ('m3', 'm4', ...), or 'rv32' (the portable C on QEMU riscv32, RV32IMC). */
  on: RunOn | 'rv32';
  /** Number of random inputs (seeded by `seed`, default 4), or the inputs themselves. */
  inputs?: number | readonly Input[];
  seed?: number;
  arith?: Arith;
  /** Core whose C is compiled for a host run (default: the config's, else m4). */
  cpu?: string;
  /** Folder for the C and programs (default: a temporary folder, removed afterwards). */
  workDir?: string;
}

/**
 * Compiles the model's Cortex-M C, runs it on the host or a QEMU board with every input in one process,
 * and compares every output with the golden runtime; a differing input names its first differing layer.
 */
export async function verify(model: Model, opts: VerifyOptions): Promise<VerifyResult> {
  const rv32 = opts.on === 'rv32';
  if (!rv32 && !RUN_ON.includes(opts.on as RunOn)) throw new TinyforgeError(`on must be one of ${[...RUN_ON, 'rv32'].join(', ')}, got '${String(opts.on)}'`);
  const arith = checkArith(opts.arith ?? model.arith);
  if (opts.on === 'rv32') requireRv32Tools(); else requireTools(opts.on);
  const file = model.config?.model ?? ('path' in model.source ? model.source.path : model.source.name);
  const module = runPipeline(model.graph, { arith, file });
  const cpu: McuCpu = opts.on === 'host' || opts.on === 'rv32' ? parseCpu(opts.cpu ?? model.config?.targets.mcu?.cpu ?? 'm4') : opts.on;
  // RV32 runs the portable C: the generic kernels (the DSP source would run through emulated intrinsics).
  const em = emitModel(module, { cpu, dsp: rv32 ? false : CPUS[cpu].dsp });
  const inputs = typeof opts.inputs === 'object'
    ? opts.inputs.map((x) => { const b = concatBytes(toInputs(model, x)); return new Int8Array(b.buffer, b.byteOffset, b.byteLength); })
    : randomGraphInputs(model.graph, opts.inputs ?? 4, opts.seed ?? 1);
  // without a workDir the C and programs go to a temporary folder, removed afterwards
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), 'tinyforge-verify-'));
  try {
    return await verifyMcu(model.graph, module, em, opts.on, { inputs, workDir, count: opts.on !== 'host', golden: await goldenRuntime() });
  } finally {
    if (opts.workDir === undefined) rmSync(workDir, { recursive: true, force: true });
  }
}

/** verify()'s result in words, as `tinyforge verify` prints it. */
export function formatVerifyResult(model: Model, v: VerifyResult): string {
  return formatVerify(model.name, v);
}
