// Writes a graph IR as a .tflite flatbuffer (schema version 3) with the flatbuffers runtime Builder and the
// schema's field slots. It exists so that tests can hand TFLite's own interpreter the exact graph the golden
// runtime executes (random single-op models, whole graphs), and so that writer -> importer round trips check
// the importer. Every op whose definition has a TFLite mapping (compiler/ops/, `tflite.export`) is written;
// int8/int16/int32 tensors with per-tensor or per-axis quantisation.
//
// Quantisation scales are stored as float32 (as in every .tflite file): a graph whose scales are not exactly
// representable in float32 is written with rounded scales, so producers that want bit-exact agreement with the
// interpreter (tests/helpers/random-ops.ts) use float32-exact scales.
import { Builder } from 'flatbuffers';
import { TinyforgeError } from '../../diagnostics.ts';
import type { Graph, OpKind, Tensor } from '../../ir/graph.ts';
import { OP_KINDS, opDef } from '../../ops/index.ts';
import type { TfliteMapping } from '../../ops/op-def.ts';
import { int32Vector, table } from '../../ops/tflite-options.ts';
import { FILE_IDENTIFIER, Slot, TensorType } from './schema.ts';

const TensorTypeCode: Record<Tensor['dtype'], number> = { int32: TensorType.INT32, int16: TensorType.INT16, int8: TensorType.INT8, int64: TensorType.INT64, float32: TensorType.FLOAT32 };

function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

function bufferBytes(t: Tensor): Uint8Array {
  const d = t.data!;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength); // little-endian host, as the schema requires
}

/** Serialises `graph` as a .tflite model (one subgraph). Throws for op kinds TFLite has no builtin for. */
export function writeTflite(graph: Graph, description = 'tinyforge'): Uint8Array {
  const b = new Builder(1024);
  const index = new Map<number, number>();
  graph.tensors.forEach((t, i) => index.set(t.id, i));
  const tensorIndex = (id: number) => {
    if (id < 0) return -1;
    const i = index.get(id);
    if (i === undefined) throw new TinyforgeError(`writeTflite: tensor id ${id} is not in graph ${graph.name}`);
    return i;
  };

  // Each op's file operands: graph tensors, and parameter tensors (paddings, axes, ...) appended after the
  // graph's tensors, so graph tensor ids stay file tensor indices.
  const params: Tensor[] = [];
  const opInputs = graph.ops.map((op) => {
    const rule = opDef(op.kind).tflite as TfliteMapping<OpKind> | undefined;
    const list = rule?.exportInputs ? rule.exportInputs(op as never, graph) : op.inputs;
    return list.map((x) => {
      if (typeof x === 'number') return tensorIndex(x);
      const data = x.dtype === 'int8' ? Int8Array.from(x.values) : Int32Array.from(x.values);
      params.push({ id: graph.tensors.length + params.length, name: x.name, shape: x.shape, dtype: x.dtype, data, ...(x.quant ? { quant: x.quant } : {}) });
      return graph.tensors.length + params.length - 1;
    });
  });
  // Intermediate tensors (an integer LSTM's quantisation of its internal values): no data, appended likewise.
  const opIntermediates = graph.ops.map((op) => {
    const rule = opDef(op.kind).tflite as TfliteMapping<OpKind> | undefined;
    return (rule?.exportIntermediates?.(op as never, graph) ?? []).map((x) => {
      params.push({ id: graph.tensors.length + params.length, name: x.name, shape: x.shape, dtype: x.dtype, ...(x.quant ? { quant: x.quant } : {}) });
      return graph.tensors.length + params.length - 1;
    });
  });
  const fileTensors = [...graph.tensors, ...params];

  // Buffers: 0 is the empty sentinel; each constant tensor gets its own.
  const bufferOffsets: number[] = [table(b, 1, () => {})];
  const tensorBuffer: number[] = [];
  for (const t of fileTensors) {
    if (!t.data) { tensorBuffer.push(0); continue; }
    const bytes = bufferBytes(t);
    b.startVector(1, bytes.length, 16); // Buffer.data is force_align: 16
    for (let i = bytes.length - 1; i >= 0; i--) b.addInt8(bytes[i]);
    const data = b.endVector();
    tensorBuffer.push(bufferOffsets.length);
    bufferOffsets.push(table(b, 1, () => b.addFieldOffset(Slot.Buffer.data, data, 0)));
  }

  const tensorOffsets = fileTensors.map((t, i) => {
    const name = b.createString(t.name);
    const shape = int32Vector(b, t.shape);
    let quant = 0;
    if (t.quant) {
      const q = t.quant;
      b.startVector(4, q.scale.length, 4);
      for (let k = q.scale.length - 1; k >= 0; k--) b.addFloat32(q.scale[k]);
      const scale = b.endVector();
      b.startVector(8, q.zeroPoint.length, 8);
      for (let k = q.zeroPoint.length - 1; k >= 0; k--) b.addInt64(BigInt(q.zeroPoint[k]));
      const zp = b.endVector();
      const s = Slot.Quantization;
      quant = table(b, 7, () => {
        b.addFieldOffset(s.scale, scale, 0);
        b.addFieldOffset(s.zeroPoint, zp, 0);
        b.addFieldInt32(s.quantizedDimension, q.axis ?? 0, 0);
      });
    }
    const s = Slot.Tensor;
    return table(b, 6, () => {
      b.addFieldOffset(s.shape, shape, 0);
      b.addFieldInt8(s.type, TensorTypeCode[t.dtype], 0);
      b.addFieldInt32(s.buffer, tensorBuffer[i], 0);
      b.addFieldOffset(s.name, name, 0);
      if (quant) b.addFieldOffset(s.quantization, quant, 0);
      if (t.variable) b.addFieldInt8(s.isVariable, 1, 0);
    });
  });

  // Operator codes in first-use order.
  const codes: TfliteMapping<OpKind>[] = [];
  const opOffsets = graph.ops.map((op, k) => {
    const rule = opDef(op.kind).tflite as TfliteMapping<OpKind> | undefined;
    if (!rule) {
      throw new TinyforgeError(`writeTflite: op kind ${op.kind} has no TFLite builtin`, { op: op.name ?? k },
        `writable kinds: ${OP_KINDS.filter((kind) => opDef(kind).tflite).join(', ')}`);
    }
    let code = codes.indexOf(rule);
    if (code < 0) { code = codes.length; codes.push(rule); }
    const [optType, opts] = rule.export(b, op as never, graph);
    const inputs = int32Vector(b, opInputs[k]!);
    const outputs = int32Vector(b, op.outputs.map(tensorIndex));
    const inter = opIntermediates[k]!.length ? int32Vector(b, opIntermediates[k]!) : 0;
    const s = Slot.Operator;
    return table(b, 9, () => {
      b.addFieldInt32(s.opcodeIndex, code, 0);
      b.addFieldOffset(s.inputs, inputs, 0);
      b.addFieldOffset(s.outputs, outputs, 0);
      b.addFieldInt8(s.builtinOptionsType, optType, 0);
      if (opts) b.addFieldOffset(s.builtinOptions, opts, 0);
      if (inter) b.addFieldOffset(s.intermediates, inter, 0);
    });
  });
  const codeOffsets = codes.map((rule) => {
    const s = Slot.OperatorCode;
    return table(b, 4, () => {
      b.addFieldInt8(s.deprecatedBuiltinCode, Math.min(rule.builtin, 127), 0);
      b.addFieldInt32(s.version, rule.version, 1);
      b.addFieldInt32(s.builtinCode, rule.builtin, 0);
    });
  });

  const sg = Slot.SubGraph;
  const tensorsVec = offsetVector(b, tensorOffsets);
  const inputsVec = int32Vector(b, graph.inputs.map(tensorIndex));
  const outputsVec = int32Vector(b, graph.outputs.map(tensorIndex));
  const opsVec = offsetVector(b, opOffsets);
  const sgName = b.createString(graph.name);
  const subgraph = table(b, 5, () => {
    b.addFieldOffset(sg.tensors, tensorsVec, 0);
    b.addFieldOffset(sg.inputs, inputsVec, 0);
    b.addFieldOffset(sg.outputs, outputsVec, 0);
    b.addFieldOffset(sg.operators, opsVec, 0);
    b.addFieldOffset(sg.name, sgName, 0);
  });

  const m = Slot.Model;
  const codesVec = offsetVector(b, codeOffsets);
  const subgraphsVec = offsetVector(b, [subgraph]);
  const desc = b.createString(description);
  const buffersVec = offsetVector(b, bufferOffsets);
  const model = table(b, 5, () => {
    b.addFieldInt32(m.version, 3, 0);
    b.addFieldOffset(m.operatorCodes, codesVec, 0);
    b.addFieldOffset(m.subgraphs, subgraphsVec, 0);
    b.addFieldOffset(m.description, desc, 0);
    b.addFieldOffset(m.buffers, buffersVec, 0);
  });
  b.finish(model, FILE_IDENTIFIER);
  return b.asUint8Array().slice();
}
