// Verification of the Cortex-M C against the golden runtime: runs every input through the generated
// program (host gcc or QEMU, all inputs in one process) and through the golden runtime, compares every
// output byte and, for an input that differs, reruns with the debug hook to name the first layer whose
// tensor differs from the golden tensor of the same graph op. Everything is compared as raw bytes, so the
// float32 outputs of a model's float edges (DEQUANTIZE) are compared bit for bit; inputs are raw bytes too
// (float32 little-endian for float edges: randomGraphInputs draws them in the range their QUANTIZE represents).
import { join } from 'node:path';
import { bytesPerElement, numElements, type Graph } from '../compiler/ir/graph.ts';
import { floatInputRange } from '../compiler/quant/quantize.ts';
import type { KernelModule } from '../compiler/kernel-ir/types.ts';
import { GoldenRuntime, valueBytes, valuesOf, type TensorValues } from '../runtime-wasm/host.ts';
import type { EmittedModel } from './emit/model.ts';
import type { HostCompiler } from './harness/run.ts';
import { runModel, type RunTarget } from './runner.ts';
import { randomInputSets, randomInt8Sets } from '../compiler/rng.ts';

export interface LayerMismatch {
  layer: number; name: string; kind: string;
  /** First differing byte and the two values. */
  at: number; want: number; got: number;
  differing: number; total: number;
}

export interface VerifyResult {
  on: RunTarget;
  inputs: number;
  ok: boolean;
  /** Per input: equal or not, and for a differing one the first differing layer (when found). */
  results: Array<{ input: number; ok: boolean; firstBadByte?: number; firstLayer?: LayerMismatch }>;
  /** QEMU runs: instructions per layer of the first input, and of each whole invoke. */
  layerInstructions?: number[];
  invokeInstructions?: number[];
  /** QEMU runs, first input: instructions of each layer's access segment (0 = coupled) and of each DVFS hook call. */
  accessInstructions?: number[];
  hookInstructions?: number[];
}

/** Deterministic pseudo-random int8 inputs (xorshift32), concatenated over the model's inputs. */
export const randomInputs = randomInt8Sets;

/**
 * Deterministic random inputs for `graph` as raw bytes: for int8-only models exactly randomInputs; float32
 * inputs get float32 values in the range their QUANTIZE represents (compiler/rng.ts randomInputSets).
 */
export function randomGraphInputs(graph: Graph, count: number, seed = 1): Int8Array[] {
  return randomInputSets(graph.inputs.map((id) => ({ elements: numElements(graph.tensors[id].shape), float: floatInputRange(graph, id) })), count, seed);
}

/** Raw input bytes -> one typed array per graph input (a copy, aligned for its dtype). */
function split(graph: Graph, x: Int8Array): TensorValues[] {
  let off = 0;
  return graph.inputs.map((id) => {
    const t = graph.tensors[id];
    const n = numElements(t.shape), bytes = n * bytesPerElement(t.dtype);
    const copy = new Uint8Array(x.buffer, x.byteOffset + off, bytes).slice();
    off += bytes;
    return valuesOf(t.dtype, copy.buffer, 0, n);
  });
}

/** Typed arrays -> their raw little-endian bytes, concatenated (what the C program reads and writes). */
function concat(parts: TensorValues[]): Int8Array {
  const out = new Int8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let off = 0;
  for (const p of parts) { out.set(new Int8Array(p.buffer, p.byteOffset, p.byteLength), off); off += p.byteLength; }
  return out;
}

/** The golden runtime's output bytes for raw input bytes `x` (what the generated program writes). */
export function goldenOutputBytes(golden: GoldenRuntime, graph: Graph, arith: KernelModule['arith'], x: Int8Array): Int8Array {
  return concat(golden.run(graph, split(graph, x), { arith }).outputs);
}

export async function verifyMcu(
  graph: Graph, module: KernelModule, em: EmittedModel, on: RunTarget,
  opts: { inputs: Int8Array[]; workDir: string; count?: boolean; golden?: GoldenRuntime; simd?: boolean; host?: HostCompiler },
): Promise<VerifyResult> {
  const golden = opts.golden ?? await GoldenRuntime.load();
  const hostOpts = { simd: opts.simd, host: opts.host };
  const run = runModel(em, opts.inputs, on, { workDir: join(opts.workDir, on), count: opts.count && on !== 'host', ...hostOpts });
  const results: VerifyResult['results'] = [];
  const bad: number[] = [];
  opts.inputs.forEach((x, i) => {
    const want = concat(golden.run(graph, split(graph, x), { arith: module.arith }).outputs);
    const got = run.outputs[i];
    const at = want.findIndex((v, j) => v !== got[j]);
    const ok = at < 0 && want.length === got.length;
    results.push(ok ? { input: i, ok } : { input: i, ok, firstBadByte: at });
    if (!ok) bad.push(i);
  });
  if (bad.length > 0) {
    // Rerun the differing inputs with the debug hook and find the first layer that differs.
    const inputs = bad.map((i) => opts.inputs[i]);
    const dbg = runModel(em, inputs, on, { workDir: join(opts.workDir, `${on}-debug`), debug: true, ...hostOpts });
    const lastOfSource = new Map<number, number>();
    module.ops.forEach((op, k) => lastOfSource.set(op.sourceOp, k));
    bad.forEach((i, r) => {
      const keep = golden.run(graph, split(graph, opts.inputs[i]), { arith: module.arith, keepAll: true }).tensors!;
      for (const op of module.ops) {
        // The graph tensor this kernel op writes: one of its graph op's outputs by name (SPLIT / UNPACK lower
        // to one kernel op per output), else the graph op's output once its last kernel op has run.
        const outs = graph.ops[op.sourceOp]?.outputs ?? [];
        const named = outs.find((id) => graph.tensors[id]?.name === module.buffers[op.output]?.name);
        if (named === undefined && lastOfSource.get(op.sourceOp) !== op.index) continue;
        const tid = named ?? outs[0];
        const kept = tid === undefined ? undefined : keep.get(tid);
        const want = kept && new Int8Array(valueBytes(kept).buffer, kept.byteOffset, kept.byteLength);
        const got = dbg.layers?.[r]?.[op.index];
        if (!want || !got) continue;
        const diffs = want.reduce((n, v, j) => n + (v !== got[j] ? 1 : 0), 0);
        if (diffs > 0) {
          const at = want.findIndex((v, j) => v !== got[j]);
          results[i].firstLayer = { layer: op.index, name: op.name, kind: op.kind, at, want: want[at], got: got[at], differing: diffs, total: want.length };
          break;
        }
      }
    });
  }
  return {
    on, inputs: opts.inputs.length, ok: bad.length === 0, results,
    layerInstructions: run.layerInstructions?.[0], invokeInstructions: run.invokeInstructions,
    accessInstructions: run.accessInstructions?.[0], hookInstructions: run.hookInstructions?.[0],
  };
}

export function formatVerify(name: string, v: VerifyResult): string {
  const where = v.on === 'host' ? 'host' : v.on === 'rv32' ? 'QEMU riscv32 (RV32IMC)' : `QEMU Cortex-${v.on.toUpperCase()}`;
  if (v.ok) return `verify ${name} on ${where}: all outputs of ${v.inputs} input(s) equal the golden runtime's`;
  const lines = [`verify ${name} on ${where}: MISMATCH on ${v.results.filter((r) => !r.ok).length} of ${v.inputs} input(s)`];
  for (const r of v.results) {
    if (r.ok) continue;
    const l = r.firstLayer;
    lines.push(`  input ${r.input}: output byte ${r.firstBadByte} differs` + (l
      ? `; first differing layer ${l.layer} '${l.name}' (${l.kind}): ${l.differing}/${l.total} values, first at ${l.at}: golden ${l.want}, got ${l.got}`
      : '; no single layer found (debug run equal?)'));
  }
  return lines.join('\n');
}
