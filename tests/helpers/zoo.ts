// The published TFLite Micro / ML-zoo models of ../shared/models/zoo (see the README there), shared by
// tests/zoo/ and bench/zoo.bench.ts: the model list (read from the directory, so a new file is picked up),
// what each file holds (operators, tensor types, read straight from the flatbuffer whether or not tinyforge
// supports it), which models are out of issue #11's scope and why (int16 activations, recurrent operators:
// the next issue's), the MUST-PASS list, seeded inputs per input type, and the layer-by-layer comparison of
// the golden runtime (`tflite` arithmetic) with TFLite's own interpreter: every operator output of the file
// is made a subgraph output (oracle/tflite-interpreter.ts withAllOutputs) and compared, by tensor name, with
// the golden runtime's tensor of the same name -- the mechanism of tests/runtime-wasm/models.test.ts.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { FbReader } from '../../compiler/frontend/tflite/reader.ts';
import { BuiltinOperator, FILE_IDENTIFIER, Slot as S, TensorType, builtinName, tensorTypeName } from '../../compiler/frontend/tflite/schema.ts';
import type { Graph } from '../../compiler/ir/graph.ts';
import { BY_BUILTIN } from '../../compiler/ops/index.ts';
import { mulberry32, randomInt8Sets } from '../../compiler/rng.ts';
import { GoldenState, type GoldenRuntime } from '../../runtime-wasm/host.ts';
import type { TfliteInterpreter } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { allOpOutputs, withAllOutputs } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { compareByLayer, hasInt8StateSvdf } from './svdf.ts';
import { MODELS, modelPath, modelsDir } from './paths.ts';

export const zooDir = join(modelsDir, 'zoo');

/**
 * Models that must load and pass every check today (golden == TFLite on every layer, Cortex-M C == golden).
 * Every in-scope model is on it; a model added to the zoo later runs as a `todo` until it is listed here.
 */
export const MUST_PASS: readonly string[] = [
  'tflm-hello_world_int8',
  'tflm-micro_speech_quantized',
  'tflm-add_model',
  'tflm-simple_add_model',
  'mlzoo-har_int8',
  'tflm-hello_world_2023',
  'tflm-model_runner_codegen_model',
  'tflm-person_detect',
  'tflm-retinaface',
  'tflm-xtensa-mobilenet_v2_quantized_1x3x224x224',
  // UNIDIRECTIONAL_SEQUENCE_LSTM (issue #12, docs/lstm.md): inputs run as one sequence, state carried.
  'tflm-mnist_lstm_int8',
  'tflm-dtln_noise_suppression',
  'tflm-xtensa-micro_speech_lstm',
  // SVDF (issue #12, docs/svdf.md): in scope since the svdf12 merge, and passing (else zoo.test.ts counts them as todo).
  'tflm-keyword_scrambled',
  'tflm-keyword_scrambled_8bit',
];

/** TFLite Micro's one-op integration tests: int16 activations, the next issue's (one out-of-scope entry for all). */
export const SEANET_PREFIX = 'tflm-it-seanet-';

// SVDF is supported (compiler/ops/svdf.ts): its models are in scope.
const RECURRENT = new Set<number>([
  BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, BuiltinOperator.LSTM, BuiltinOperator.RNN,
  BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_RNN, BuiltinOperator.BIDIRECTIONAL_SEQUENCE_LSTM, BuiltinOperator.BIDIRECTIONAL_SEQUENCE_RNN,
]);

export interface IoInfo { name: string; type: string; shape: number[]; scale?: number; zeroPoint?: number }

/** What a .tflite file contains, from the flatbuffer alone (subgraph 0). */
export interface ZooScan {
  /** Builtin operator names in execution order (CUSTOM ops as `CUSTOM:<code>`). */
  ops: string[];
  /** Operator -> count, most frequent first. */
  histogram: Record<string, number>;
  inputs: IoInfo[];
  outputs: IoInfo[];
  /** Types of the non-constant tensors (activations), e.g. INT8, FLOAT32. */
  activationTypes: string[];
  subgraphs: number;
  /** For a FLOAT32 input consumed by a QUANTIZE: that QUANTIZE's output quantisation (the range worth feeding). */
  quantizeOf: Array<{ scale: number; zeroPoint: number; type: string } | undefined>;
}

export function scanTflite(bytes: Uint8Array, file: string): ZooScan {
  const r = new FbReader(bytes, file);
  const model = r.root(FILE_IDENTIFIER);
  const subgraphs = model.tables(S.Model.subgraphs, 'subgraphs');
  const sg = subgraphs[0];
  if (!sg) throw new TinyforgeError('the model has no subgraph', { file });
  const codeTables = model.tables(S.Model.operatorCodes, 'operator codes');
  const buffers = model.tables(S.Model.buffers, 'buffers');
  const tensors = sg.tables(S.SubGraph.tensors, 'tensors');
  const opNames = codeTables.map((oc) => {
    const code = Math.max(oc.i8(S.OperatorCode.deprecatedBuiltinCode), oc.i32(S.OperatorCode.builtinCode));
    return { code, name: code === BuiltinOperator.CUSTOM ? `CUSTOM:${oc.string(S.OperatorCode.customCode, 'custom code')}` : builtinName(code) };
  });
  const fileOps = sg.tables(S.SubGraph.operators, 'operators').map((op) => ({
    ...opNames[op.u32(S.Operator.opcodeIndex)] ?? { code: -1, name: 'BAD_OPCODE_INDEX' },
    inputs: op.i32s(S.Operator.inputs, 'op inputs'), outputs: op.i32s(S.Operator.outputs, 'op outputs'),
  }));
  const isConst = (t: number) => {
    const bi = tensors[t]!.u32(S.Tensor.buffer);
    return bi > 0 && bi < buffers.length && buffers[bi]!.bytes(S.Buffer.data, 'buffer').length > 0;
  };
  const io = (t: number): IoInfo => {
    const ft = tensors[t]!;
    const info: IoInfo = { name: ft.string(S.Tensor.name, 'name'), type: tensorTypeName(ft.i8(S.Tensor.type)), shape: ft.i32s(S.Tensor.shape, 'shape') };
    const q = ft.table(S.Tensor.quantization, 'quantization');
    const scale = q?.f32s(S.Quantization.scale, 'scale') ?? [];
    if (scale.length === 1) { info.scale = scale[0]; info.zeroPoint = q!.i64s(S.Quantization.zeroPoint, 'zero point')[0] ?? 0; }
    return info;
  };
  const histogram: Record<string, number> = {};
  for (const o of fileOps) histogram[o.name] = (histogram[o.name] ?? 0) + 1;
  const sorted = Object.fromEntries(Object.entries(histogram).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
  // Recurrent state (variable tensors: an LSTM's int16 cell state) is not an activation.
  const activationTypes = [...new Set(tensors.map((t, i) => (isConst(i) || t.bool(S.Tensor.isVariable) ? undefined : tensorTypeName(t.i8(S.Tensor.type)))).filter((x): x is string => !!x))].sort();
  const inIds = sg.i32s(S.SubGraph.inputs, 'inputs');
  const quantizeOf = inIds.map((id) => {
    const q = fileOps.find((o) => o.code === BuiltinOperator.QUANTIZE && o.inputs[0] === id);
    const out = q ? io(q.outputs[0]!) : undefined;
    return out?.scale !== undefined ? { scale: out.scale, zeroPoint: out.zeroPoint!, type: out.type } : undefined;
  });
  return {
    ops: fileOps.map((o) => o.name), histogram: sorted, inputs: inIds.map(io), outputs: sg.i32s(S.SubGraph.outputs, 'outputs').map(io),
    activationTypes, subgraphs: subgraphs.length, quantizeOf,
  };
}

/** `INT8[1,49,40] + INT8[4] -> INT8[1,4]`: the inputs and outputs of a scan, as the zoo README writes them. */
export function ioSignature(scan: ZooScan): string {
  const f = (l: IoInfo[]) => l.map((t) => `${t.type}[${t.shape.join(',')}]`).join(' + ');
  return `${f(scan.inputs)} -> ${f(scan.outputs)}`;
}

/** Why a model is outside issue #11 (int8 operator set), or undefined when it is in scope. */
export function outOfScope(name: string, scan: ZooScan): string | undefined {
  const why: string[] = [];
  // A recurrent operator with an operator definition (compiler/ops/) is in scope.
  const rec = [...new Set(scan.ops.filter((o) => { const code = (BuiltinOperator as Record<string, number>)[o] ?? -1; return RECURRENT.has(code) && !BY_BUILTIN.has(code); }))];
  if (rec.length) why.push(`recurrent (${rec.join(', ')})`);
  // int16 activations are supported (issue #12); the seanet integration tests have their own runner
  // (tests/zoo/seanet.test.ts), and an int16 model with an unsupported recurrent op stays out by that.
  if (name.startsWith(SEANET_PREFIX) || (rec.length && scan.activationTypes.includes(tensorTypeName(TensorType.INT16)))) why.push('int16 activations');
  return why.length ? `${why.join(', ')}: the next issue's` : undefined;
}

export interface ZooModel { name: string; file: string; path: string }

/** Every .tflite of the zoo directory, seanet integration tests included, sorted by name. */
export function zooFiles(): ZooModel[] {
  if (!existsSync(zooDir)) {
    if (process.env.CI === 'true') throw new Error(`the model zoo ${zooDir} is required when CI=true`);
    return [];
  }
  return readdirSync(zooDir).filter((f) => f.endsWith('.tflite')).sort()
    .map((file) => ({ name: file.replace(/\.tflite$/, ''), file, path: join(zooDir, file) }));
}

/** MUST_PASS names whose file is missing (the caller fails when CI=true, skips otherwise). */
export function missingMustPass(): string[] {
  const have = new Set(zooFiles().map((m) => m.name));
  return MUST_PASS.filter((n) => !have.has(n));
}

/** The first line of an error, at most 240 characters (a TinyforgeError's op index kept; its file, which the row names, and its hint dropped). */
export function oneLine(e: unknown): string {
  const msg = e instanceof TinyforgeError ? (e.where.op !== undefined ? `op ${e.where.op}: ` : '') + e.message : e instanceof Error ? e.message : String(e);
  const line = (msg.split('\n').find((l) => l.trim() !== '') ?? msg).split(zooDir + '/').join('').trim();
  return line.length > 240 ? `${line.slice(0, 237)}...` : line;
}

export type InputData = Int8Array | Int16Array | Int32Array | Float32Array;

/**
 * `count` seeded input sets for a model, one typed array per model input, by the file's input types:
 * int8 from the xorshift stream the Cortex-M checks use (compiler/rng.ts randomInt8Sets, so a model with one
 * int8 input gets the very bytes verifyMcu is given); float32 spread over the int8 range of the QUANTIZE that
 * consumes it ((q - zp + u) * scale, u uniform in [-0.5, 0.5), so rounding is exercised), else over [-1, 1).
 */
export function zooInputs(scan: ZooScan, count: number, seed: number): InputData[][] {
  const sizes = scan.inputs.map((i) => i.shape.reduce((a, b) => a * b, 1));
  const int8 = randomInt8Sets(sizes.reduce((a, b) => a + b, 0), count, seed);
  const rnd = mulberry32(seed);
  return int8.map((bytes) => {
    let off = 0;
    return scan.inputs.map((inp, k) => {
      const n = sizes[k]!;
      const b = bytes.subarray(off, off + n);
      off += n;
      switch (inp.type) {
        case 'INT8': return Int8Array.from(b);
        case 'INT16': return Int16Array.from(b, (v) => v * 256 + Math.floor(rnd() * 256));
        case 'INT32': return Int32Array.from(b);
        case 'FLOAT32': {
          const q = scan.quantizeOf[k];
          return q ? Float32Array.from(b, (v) => (v - q.zeroPoint + rnd() - 0.5) * q.scale) : Float32Array.from(b, () => rnd() * 2 - 1);
        }
        default: throw new TinyforgeError(`input ${k} '${inp.name}' is ${inp.type}; no seeded inputs for that type`);
      }
    });
  });
}

/**
 * Typed arrays (one input set, or a run's outputs) concatenated as raw little-endian bytes: the Cortex-M
 * harness's format (mcu-backend/runner.ts; float32 edges travel as their IEEE bytes), so a model with float
 * edges is checked byte for byte like an int8 one.
 */
export function rawBytes(parts: ArrayLike<number>[]): Int8Array {
  const views = parts.map((x) => {
    const t = x as unknown as ArrayBufferView;
    if (!ArrayBuffer.isView(t)) throw new TinyforgeError('rawBytes: expected typed arrays');
    return new Int8Array(t.buffer, t.byteOffset, t.byteLength);
  });
  const out = new Int8Array(views.reduce((s, v) => s + v.length, 0));
  let off = 0;
  for (const v of views) { out.set(v, off); off += v.length; }
  return out;
}

/**
 * The bytes to give TFLite's interpreter: the file itself, or a copy in which each rank-1 per-channel tensor
 * (a bias) whose quantized_dimension is not 0 gets 0 -- the only value desktop TFLite accepts for rank 1
 * ("quantized_dimension must be in range [0, 1)"). TFLite Micro's person_detect.tflite gives its biases
 * their filter's dimension (3); TFLite Micro never reads a bias's dimension, so the model is the same.
 * The field is patched in place (it is present, being non-default); nothing else changes.
 */
export function forTfliteInterpreter(bytes: Uint8Array, file: string): { bytes: Uint8Array; patched: number } {
  const r = new FbReader(bytes, file);
  const sg = r.root(FILE_IDENTIFIER).tables(S.Model.subgraphs, 'subgraphs')[0];
  const at: number[] = [];
  for (const t of sg?.tables(S.SubGraph.tensors, 'tensors') ?? []) {
    const q = t.table(S.Tensor.quantization, 'quantization');
    if (!q || t.i32s(S.Tensor.shape, 'shape').length !== 1 || q.f32s(S.Quantization.scale, 'scale').length < 2) continue;
    const pos = q.field(S.Quantization.quantizedDimension, 4);
    if (pos && r.i32(pos, 'quantized_dimension') !== 0) at.push(pos);
  }
  if (at.length === 0) return { bytes, patched: 0 };
  const copy = bytes.slice();
  const dv = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  for (const pos of at) dv.setInt32(pos, 0, true);
  return { bytes: copy, patched: at.length };
}

export interface LayerCompare {
  ok: boolean;
  /** Operator outputs compared per input set, and input sets run. */
  layers: number;
  inputs: number;
  /** First problem, one line: the first tensor that differs (input set, name, first index, both values) or is absent. */
  error?: string;
  /** Rank-1 tensors whose quantized_dimension was set to 0 for TFLite's interpreter (forTfliteInterpreter). */
  patched: number;
  /** How the check was made when not against the whole model in TFLite's interpreter. */
  note?: string;
}

type Golden = Pick<GoldenRuntime, 'run'>;

/**
 * The golden runtime in `tflite` arithmetic against TFLite's interpreter on every operator output of the
 * file, for each input set. Tensors are matched by name; an operator output the golden run does not produce
 * is a failure (the importer must keep every tensor TFLite computes).
 */
export function compareLayers(graph: Graph, file: Uint8Array, sets: InputData[][], golden: Golden, tfl: TfliteInterpreter): LayerCompare {
  // Desktop TFLite reads int8 SVDF state as int16: such a model is checked layer by layer against the
  // TFLite Micro SVDF reference and one-op interpreter models instead (tests/helpers/svdf.ts).
  if (hasInt8StateSvdf(graph)) {
    const r = compareByLayer(graph, sets, golden, tfl);
    return { ok: r.ok, layers: r.layers, inputs: r.inputs, patched: 0, ...(r.error ? { error: r.error } : {}),
      note: 'int8-state SVDF: each SVDF layer vs the TFLite Micro reference of tests/helpers/svdf.ts, each other layer vs TFLite on a one-op model (desktop TFLite reads int8 SVDF state as int16)' };
  }
  const { bytes, patched } = forTfliteInterpreter(file, graph.name);
  const all = tfl.prepare(withAllOutputs(bytes));
  try {
    const byName = new Map(graph.tensors.map((t) => [t.name, t.id]));
    // An unnamed file tensor i is `t<i>` in the graph; the interpreter returns op outputs in allOpOutputs order.
    const fileIds = allOpOutputs(bytes);
    // The sets are consecutive invocations: TFLite's interpreter keeps its variable tensors between them.
    const state = new GoldenState(graph);
    let layers = 0;
    for (let s = 0; s < sets.length; s++) {
      const want = all.runTensors(sets[s]!);
      layers = want.length;
      const got = golden.run(graph, sets[s] as never, { arith: 'tflite', keepAll: true, state });
      for (const [j, w] of want.entries()) {
        const id = byName.get(w.name || `t${fileIds[j]}`);
        const g = id === undefined ? undefined : got.tensors?.get(id) as ArrayLike<number> | undefined;
        if (!g) return { ok: false, layers, inputs: s + 1, patched, error: `tensor '${w.name}' is absent from the golden run` };
        if (g.length !== w.data.length) return { ok: false, layers, inputs: s + 1, patched, error: `input ${s}: tensor '${w.name}' has ${g.length} values, TFLite ${w.data.length}` };
        for (let i = 0; i < g.length; i++) {
          if (!Object.is(g[i], w.data[i])) {
            let n = 0;
            for (let j = 0; j < g.length; j++) if (!Object.is(g[j], w.data[j])) n++;
            return { ok: false, layers, inputs: s + 1, patched, error: `input ${s}: tensor '${w.name}' differs at ${i} (golden ${g[i]}, TFLite ${w.data[i]}; ${n}/${g.length} values)` };
          }
        }
      }
    }
    return { ok: true, layers, inputs: sets.length, patched };
  } finally {
    all.dispose();
  }
}

/** A model the C-level checks run: the five MLPerf Tiny models and the must-pass zoo models (path absent when missing). */
export interface RealModel { name: string; path?: string }

export function realModels(): RealModel[] {
  return [
    ...(Object.keys(MODELS) as Array<keyof typeof MODELS>).map((k) => ({ name: k, path: modelPath(k) })),
    ...MUST_PASS.map((n) => ({ name: n, path: missingMustPass().includes(n) ? undefined : join(zooDir, `${n}.tflite`) })),
  ];
}

/** Why a real model is missing (the test skips with it); throws when CI=true, where every model is required. */
export function missingModel(m: RealModel): string {
  const where = m.name in MODELS ? modelsDir : zooDir;
  if (process.env.CI === 'true') throw new Error(`model ${m.name} (${where}) is required when CI=true`);
  return `model ${m.name} not found in ${where}`;
}
