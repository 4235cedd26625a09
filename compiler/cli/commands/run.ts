// `tinyforge run`: executes a model on the golden runtime (runtime-wasm, bit-exact int8 reference) from raw
// NHWC input bytes (several inputs concatenated in input order) and writes the raw output bytes (outputs
// concatenated). Each tensor is in its own dtype: one byte per value for int8, and raw little-endian float32
// (4 bytes per value) for a model's float edges (a FLOAT32 input read by QUANTIZE, a FLOAT32 output written by
// DEQUANTIZE). --gen-input SEED first writes a deterministic random input file (int8: uniform bytes; float32:
// uniform in the range its QUANTIZE represents); --dump-dir writes every tensor (one file per tensor, named by
// op index and tensor name) plus an index.json.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.ts';
import { TinyforgeError, UsageError } from '../../diagnostics.ts';
import { loadModel } from '../../frontend/load.ts';
import { bytesPerElement, numElements, type Graph } from '../../ir/graph.ts';
import { floatInputRange } from '../../quant/quantize.ts';
import { ARITH_MODES, type Arith } from '../../quant/multiplier.ts';
import { GoldenRuntime, valueBytes, valuesOf, type TensorValues } from '../../../runtime-wasm/host.ts';
import { mulberry32 } from '../../rng.ts';
import { readInputFile, writeFileAtomic as writeAtomic } from '../../files.ts';
import { writeFolderStaged } from '../../output-stage.ts';

/**
 * Deterministic input bytes for every graph input (mulberry32 seeded by `seed`): int8 inputs uniform bytes,
 * float32 inputs little-endian float32 uniform in the range their QUANTIZE represents (no saturation).
 */
export function generateInput(graph: Graph, seed: number): Uint8Array {
  const n = graph.inputs.reduce((s, id) => s + numElements(graph.tensors[id].shape) * bytesPerElement(graph.tensors[id].dtype), 0);
  const out = new Uint8Array(n);
  const dv = new DataView(out.buffer);
  const next = mulberry32(seed);
  let off = 0;
  for (const id of graph.inputs) {
    const t = graph.tensors[id];
    const range = floatInputRange(graph, id);
    if (t.dtype === 'float32' && range) {
      for (let i = 0; i < numElements(t.shape); i++, off += 4) dv.setFloat32(off, Math.fround(range[0] + (range[1] - range[0]) * next()), true);
    } else if (t.dtype === 'int8') {
      for (let i = 0; i < numElements(t.shape); i++) out[off++] = Math.floor(next() * 256);
    } else {
      throw new TinyforgeError(`--gen-input: input '${t.name}' is ${t.dtype}${t.dtype === 'float32' ? ' and read by no QUANTIZE' : ''}; no range to draw from`);
    }
  }
  return out;
}

function splitInputs(graph: Graph, bytes: Uint8Array, file: string): TensorValues[] {
  const sizes = graph.inputs.map((id) => numElements(graph.tensors[id].shape) * bytesPerElement(graph.tensors[id].dtype));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (bytes.length !== total) {
    const parts = graph.inputs.map((id, i) => `'${graph.tensors[id].name}' ${graph.tensors[id].dtype} [${graph.tensors[id].shape.join(', ')}] = ${sizes[i]}`).join(', ');
    throw new TinyforgeError(`input is ${bytes.length} bytes, expected ${total}`, { file }, `raw NHWC, int8 one byte per value, float32 little-endian: ${parts}`);
  }
  let off = 0;
  return graph.inputs.map((id, i) => {
    const t = graph.tensors[id];
    const copy = bytes.slice(off, off + sizes[i]); // aligned for its dtype
    off += sizes[i];
    return valuesOf(t.dtype, copy.buffer, 0, numElements(t.shape));
  });
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);

/** Writes every tensor into `dir` (an empty temporary folder: the dump folder is replaced as a whole). */
function dumpTensors(dir: string, graph: Graph, tensors: Map<number, TensorValues>): number {
  const producer = new Map<number, number>();
  graph.ops.forEach((op, k) => op.outputs.forEach((o) => producer.set(o, k)));
  const index: object[] = [];
  for (const [id, data] of tensors) {
    const t = graph.tensors[id];
    const k = producer.get(id);
    const file = `${k === undefined ? 'input' : String(k).padStart(3, '0')}_${safeName(t.name)}.bin`;
    writeAtomic(join(dir, file), valueBytes(data));
    index.push({
      file, tensor: id, name: t.name, shape: t.shape, dtype: t.dtype,
      scale: t.quant?.scale[0] ?? null, zeroPoint: t.quant?.zeroPoint[0] ?? null,
      op: k ?? null, opKind: k === undefined ? 'input' : graph.ops[k].kind, opName: k === undefined ? null : graph.ops[k].name ?? null,
    });
  }
  writeAtomic(join(dir, 'index.json'), JSON.stringify({ graph: graph.name, tensors: index }, null, 2) + '\n');
  return index.length;
}

export const run: Command = {
  name: 'run',
  summary: 'Run a model on the golden runtime (bit-exact int8 reference): raw input bytes in, raw output bytes out',
  usage: 'run <model.tflite|config.yaml> --input in.bin --output out.bin [--arith tflm|tflite] [--dump-dir DIR [--force]] [--gen-input SEED] [--scalar] [--json]',
  options: {
    input: { type: 'string', description: 'raw NHWC input bytes, several inputs concatenated in input order (int8: a byte per value; float32 edges: little-endian float32)' },
    output: { type: 'string', description: 'where to write the raw output bytes, outputs concatenated (int8 bytes; float32 edges: little-endian float32)' },
    arith: { type: 'string', description: 'requantisation arithmetic: tflm (default, TFLite Micro / CMSIS-NN) or tflite (desktop TFLite)' },
    'dump-dir': { type: 'string', description: 'write every tensor to DIR (one .bin per tensor, by op index and name) plus index.json; DIR is replaced as a whole, and only when it is empty or an earlier dump' },
    force: { type: 'boolean', description: 'replace --dump-dir even when it holds files tinyforge did not write' },
    'gen-input': { type: 'string', description: 'first write a deterministic random input file (seeded by SEED) to the --input path' },
    scalar: { type: 'boolean', description: 'use the scalar module instead of the SIMD one (bit-identical, slower)' },
    json: { type: 'boolean', description: 'print a JSON summary on stdout' },
  },
  positionals: [1, 1],
  async run({ positionals, values }) {
    const path = positionals[0]!;
    const inputPath = values.input as string | undefined;
    const outputPath = values.output as string | undefined;
    if (!inputPath) throw new UsageError('run: --input <file> is required');
    if (!outputPath) throw new UsageError('run: --output <file> is required');
    if (values.arith !== undefined && !ARITH_MODES.includes(values.arith as Arith)) {
      throw new UsageError(`--arith must be one of ${ARITH_MODES.join(', ')}, got '${values.arith}'`);
    }
    const loaded = loadModel(path);
    const graph = loaded.graph;
    const arith = ((values.arith as Arith | undefined) ?? loaded.config?.arith ?? 'tflm');
    const seedText = values['gen-input'] as string | undefined;
    if (seedText !== undefined) {
      const seed = Number(seedText);
      if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UsageError(`--gen-input: '${seedText}' is not a seed (an integer 0..4294967295)`);
      writeAtomic(inputPath, generateInput(graph, seed), '--input file');
    }
    if (!existsSync(inputPath)) throw new TinyforgeError('input file not found', { file: inputPath }, 'pass --gen-input SEED to create one');
    const bytes = new Uint8Array(readInputFile(inputPath, 'input file'));
    const inputs = splitInputs(graph, bytes, inputPath);
    const rt = await GoldenRuntime.load({ simd: !values.scalar });
    const dumpDir = values['dump-dir'] as string | undefined;
    const t0 = performance.now();
    const result = rt.run(graph, inputs, { arith, keepAll: dumpDir !== undefined });
    const ms = performance.now() - t0;
    const total = result.outputs.reduce((s, o) => s + o.byteLength, 0);
    const out = new Uint8Array(total);
    let off = 0;
    for (const o of result.outputs) { out.set(valueBytes(o), off); off += o.byteLength; }
    // The dump folder is staged and checked before the output file is written: a refused or failed dump
    // writes nothing.
    const writeAll = (tmp?: string): number => {
      const n = tmp !== undefined ? dumpTensors(tmp, graph, result.tensors!) : 0;
      writeAtomic(outputPath, out, '--output file');
      return n;
    };
    const dumped = dumpDir !== undefined ? await writeFolderStaged(dumpDir, { force: values.force === true, what: '--dump-dir' }, writeAll) : writeAll();
    const describe = (id: number) => ({
      name: graph.tensors[id].name, dtype: graph.tensors[id].dtype, shape: graph.tensors[id].shape,
      bytes: numElements(graph.tensors[id].shape) * bytesPerElement(graph.tensors[id].dtype),
    });
    if (values.json) {
      process.stdout.write(JSON.stringify({
        model: path, graph: graph.name, arith, simd: rt.simd, ms: Number(ms.toFixed(3)),
        input: inputPath, output: outputPath, inputs: graph.inputs.map(describe), outputs: graph.outputs.map(describe),
        ...(dumpDir !== undefined ? { dumpDir, tensorsDumped: dumped } : {}),
      }, null, 2) + '\n');
    } else {
      process.stdout.write(`${graph.name}: ${graph.ops.length} ops, arith ${arith}, ${rt.simd ? 'SIMD' : 'scalar'}, ${ms.toFixed(2)} ms; wrote ${total} bytes to ${outputPath}`
        + (dumpDir !== undefined ? `; ${dumped} tensors to ${dumpDir}` : '') + '\n');
    }
    return 0;
  },
};
