// `tinyforge run`: executes a model on the golden runtime (runtime-wasm, bit-exact int8 reference) from raw
// NHWC input bytes (several inputs concatenated in input order) and writes the raw output bytes (outputs
// concatenated). Each tensor is in its own dtype: one byte per value for int8, and raw little-endian float32
// (4 bytes per value) for a model's float edges (a FLOAT32 input read by QUANTIZE, a FLOAT32 output written by
// DEQUANTIZE). --gen-input SEED first writes a deterministic random input file (int8: uniform bytes; float32:
// uniform in the range its QUANTIZE represents); --dump-dir writes every tensor (one file per tensor, named by
// op index and tensor name) plus an index.json. --invocations N runs N consecutive invocations with the
// recurrent state (variable tensors: SVDF, LSTM) carried from one to the next: the input file holds N inputs
// and the output file gets N outputs, concatenated in invocation order (--dump-dir: the last invocation's).
// Built on the public API (compiler/api): loadModel, generateInput, splitInputBytes, runGolden.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.ts';
import { TinyforgeError, UsageError } from '../../diagnostics.ts';
import { checkInvocations, concatBytes, generateInputs, loadModel, runGolden, splitInputBytes } from '../../api/index.ts';
import { GoldenState } from '../../../runtime-wasm/host.ts';
import { bytesPerElement, numElements, type Graph } from '../../ir/graph.ts';
import { ARITH_MODES, type Arith } from '../../quant/multiplier.ts';
import { valueBytes, type TensorValues } from '../../../runtime-wasm/host.ts';
import { readInputFile, writeFileAtomic as writeAtomic } from '../../files.ts';
import { writeFolderStaged } from '../../output-stage.ts';

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);

/** Writes every tensor into `dir` (an empty temporary folder: the dump folder is replaced as a whole). */
function dumpTensors(dir: string, graph: Graph, tensors: Map<number, TensorValues>): number {
  const producer = new Map<number, number>();
  graph.ops.forEach((op, k) => op.outputs.forEach((o) => producer.set(o, k)));
  const index: object[] = [];
  for (const [id, data] of tensors) {
    const t = graph.tensors[id];
    const k = producer.get(id);
    // A variable tensor (recurrent state) is dumped with its value after the run.
    const role = t.variable ? 'state' : 'input';
    const file = `${k === undefined ? role : String(k).padStart(3, '0')}_${safeName(t.name)}.bin`;
    writeAtomic(join(dir, file), valueBytes(data));
    index.push({
      file, tensor: id, name: t.name, shape: t.shape, dtype: t.dtype,
      scale: t.quant?.scale[0] ?? null, zeroPoint: t.quant?.zeroPoint[0] ?? null,
      op: k ?? null, opKind: k === undefined ? role : graph.ops[k].kind, opName: k === undefined ? null : graph.ops[k].name ?? null,
    });
  }
  writeAtomic(join(dir, 'index.json'), JSON.stringify({ graph: graph.name, tensors: index }, null, 2) + '\n');
  return index.length;
}

export const run: Command = {
  name: 'run',
  summary: 'Run a model on the golden runtime (bit-exact int8 reference): raw input bytes in, raw output bytes out',
  usage: 'run <model.tflite|config.yaml> --input in.bin --output out.bin [--arith tflm|tflite] [--dump-dir DIR [--force]] [--gen-input SEED] [--invocations N] [--scalar] [--json]',
  options: {
    input: { type: 'string', description: 'raw NHWC input bytes, several inputs concatenated in input order (int8: a byte per value; float32 edges: little-endian float32)' },
    output: { type: 'string', description: 'where to write the raw output bytes, outputs concatenated (int8 bytes; float32 edges: little-endian float32)' },
    arith: { type: 'string', description: 'requantisation arithmetic: tflm (default, TFLite Micro / CMSIS-NN) or tflite (desktop TFLite)' },
    'dump-dir': { type: 'string', description: 'write every tensor to DIR (one .bin per tensor, by op index and name) plus index.json; DIR is replaced as a whole, and only when it is empty or an earlier dump' },
    force: { type: 'boolean', description: 'replace --dump-dir even when it holds files tinyforge did not write' },
    'gen-input': { type: 'string', description: 'first write a deterministic random input file (seeded by SEED) to the --input path' },
    invocations: { type: 'string', description: 'run N consecutive invocations, recurrent state carried over: --input holds N inputs and --output gets N outputs, concatenated (default 1)' },
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
    const model = loadModel(path);
    const graph = model.graph;
    const arith = ((values.arith as Arith | undefined) ?? model.arith);
    let invocations = 1;
    if (values.invocations !== undefined) {
      try { invocations = checkInvocations(Number(values.invocations)); } catch {
        throw new UsageError(`--invocations must be an integer in 1..100000 (consecutive invocations, state carried), got '${values.invocations}'`);
      }
    }
    const seedText = values['gen-input'] as string | undefined;
    if (seedText !== undefined) {
      const seed = Number(seedText);
      if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UsageError(`--gen-input: '${seedText}' is not a seed (an integer 0..4294967295)`);
      writeAtomic(inputPath, generateInputs(model, seed, invocations), '--input file');
    }
    if (!existsSync(inputPath)) throw new TinyforgeError('input file not found', { file: inputPath }, 'pass --gen-input SEED to create one');
    const bytes = new Uint8Array(readInputFile(inputPath, 'input file'));
    const per = model.inputs.reduce((s, t) => s + t.bytes, 0);
    // One invocation: splitInputBytes names each input's size when the file is wrong.
    if (invocations === 1) splitInputBytes(model, bytes, inputPath);
    else if (bytes.length !== per * invocations) {
      const parts = model.inputs.map((t) => `'${t.name}' ${t.dtype} [${t.shape.join(', ')}] = ${t.bytes}`).join(', ');
      throw new TinyforgeError(`input is ${bytes.length} bytes, expected ${per * invocations} (${invocations} invocations x ${per} bytes)`, { file: inputPath },
        `the inputs of the consecutive invocations, concatenated; each: ${parts}`);
    }
    const dumpDir = values['dump-dir'] as string | undefined;
    const state = new GoldenState(graph);
    const t0 = performance.now();
    const outs: Uint8Array[] = [];
    let result!: Awaited<ReturnType<typeof runGolden>>;
    for (let k = 0; k < invocations; k++) {
      const inputs = splitInputBytes(model, bytes.subarray(k * per, (k + 1) * per), inputPath);
      result = await runGolden(model, inputs, { arith, keepAll: dumpDir !== undefined && k === invocations - 1, simd: !values.scalar, state });
      outs.push(concatBytes(result.outputs));
    }
    const ms = performance.now() - t0;
    const out = concatBytes(outs.map((o) => new Int8Array(o.buffer, o.byteOffset, o.byteLength)));
    const total = out.length;
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
        model: path, graph: graph.name, arith, invocations, stateful: state.stateful, simd: result.simd, ms: Number(ms.toFixed(3)),
        input: inputPath, output: outputPath, inputs: graph.inputs.map(describe), outputs: graph.outputs.map(describe),
        ...(dumpDir !== undefined ? { dumpDir, tensorsDumped: dumped } : {}),
      }, null, 2) + '\n');
    } else {
      process.stdout.write(`${graph.name}: ${graph.ops.length} ops, arith ${arith}${invocations > 1 ? `, ${invocations} invocations${state.stateful ? ' (state carried)' : ''}` : ''}, ${result.simd ? 'SIMD' : 'scalar'}, ${ms.toFixed(2)} ms; wrote ${total} bytes to ${outputPath}`
        + (dumpDir !== undefined ? `; ${dumped} tensors to ${dumpDir}` : '') + '\n');
    }
    return 0;
  },
};
