// Writes small .tflite flatbuffers for tests with the flatbuffers Builder and the schema's field slots, so
// importer tests can build exactly the file they need (an unsupported op, two subgraphs, a float tensor).
import { Builder } from 'flatbuffers';
import { Slot, TensorType } from '../../compiler/frontend/tflite/schema.ts';

export interface TTensor {
  name: string;
  shape: number[];
  type?: number;
  scale?: number[];
  zeroPoint?: number[];
  axis?: number;
  /** Raw little-endian bytes of a constant. */
  data?: Uint8Array;
}
export interface TOp {
  code: number;
  /** OperatorCode.custom_code (for CUSTOM ops). */
  customCode?: string;
  inputs: number[];
  outputs: number[];
  /** BuiltinOptions union tag and a writer of the options table. */
  optionsType?: number;
  options?: (b: Builder) => number;
}
export interface TModel {
  tensors: TTensor[];
  ops: TOp[];
  inputs: number[];
  outputs: number[];
  /** Number of copies of the subgraph (2 = an unsupported second subgraph). */
  subgraphs?: number;
  identifier?: string;
}

function ints(b: Builder, v: number[]): number {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addInt32(v[i]!);
  return b.endVector();
}
function floats(b: Builder, v: number[]): number {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addFloat32(v[i]!);
  return b.endVector();
}
function longs(b: Builder, v: number[]): number {
  b.startVector(8, v.length, 8);
  for (let i = v.length - 1; i >= 0; i--) b.addInt64(BigInt(v[i]!));
  return b.endVector();
}
function tables(b: Builder, v: number[]): number {
  b.startVector(4, v.length, 4);
  for (let i = v.length - 1; i >= 0; i--) b.addOffset(v[i]!);
  return b.endVector();
}

export function buildTflite(m: TModel): Uint8Array {
  const b = new Builder(1024);
  // Buffers: 0 is the empty sentinel; each constant tensor gets its own.
  const bufferOffsets: number[] = [];
  const bufferOf: number[] = [];
  b.startObject(1);
  bufferOffsets.push(b.endObject());
  for (const t of m.tensors) {
    if (!t.data) { bufferOf.push(0); continue; }
    const data = b.createByteVector(t.data);
    b.startObject(1);
    b.addFieldOffset(Slot.Buffer.data, data, 0);
    bufferOf.push(bufferOffsets.length);
    bufferOffsets.push(b.endObject());
  }
  // One OperatorCode per (builtin code, custom code): two CUSTOM ops with different custom codes get two.
  const keyOf = (o: TOp) => `${o.code}:${o.customCode ?? ''}`;
  const keys = [...new Set(m.ops.map(keyOf))];
  const codeOffsets = keys.map((key) => {
    const code = Number(key.slice(0, key.indexOf(':')));
    const custom = m.ops.find((o) => keyOf(o) === key)?.customCode;
    const cc = custom !== undefined ? b.createString(custom) : 0;
    b.startObject(4);
    if (cc) b.addFieldOffset(Slot.OperatorCode.customCode, cc, 0);
    b.addFieldInt8(Slot.OperatorCode.deprecatedBuiltinCode, Math.min(code, 127), 0);
    b.addFieldInt32(Slot.OperatorCode.version, 1, 1);
    b.addFieldInt32(Slot.OperatorCode.builtinCode, code, 0);
    return b.endObject();
  });
  const subgraph = () => {
    const tensorOffsets = m.tensors.map((t, i) => {
      const name = b.createString(t.name);
      const shape = ints(b, t.shape);
      let q = 0;
      if (t.scale) {
        const sc = floats(b, t.scale);
        const zp = longs(b, t.zeroPoint ?? t.scale.map(() => 0));
        b.startObject(7);
        b.addFieldOffset(Slot.Quantization.scale, sc, 0);
        b.addFieldOffset(Slot.Quantization.zeroPoint, zp, 0);
        b.addFieldInt32(Slot.Quantization.quantizedDimension, t.axis ?? 0, 0);
        q = b.endObject();
      }
      b.startObject(7);
      b.addFieldOffset(Slot.Tensor.shape, shape, 0);
      b.addFieldInt8(Slot.Tensor.type, t.type ?? TensorType.INT8, 0);
      b.addFieldInt32(Slot.Tensor.buffer, bufferOf[i]!, 0);
      b.addFieldOffset(Slot.Tensor.name, name, 0);
      if (q) b.addFieldOffset(Slot.Tensor.quantization, q, 0);
      return b.endObject();
    });
    const opOffsets = m.ops.map((o) => {
      const ins = ints(b, o.inputs);
      const outs = ints(b, o.outputs);
      const opts = o.options ? o.options(b) : 0;
      b.startObject(5);
      b.addFieldInt32(Slot.Operator.opcodeIndex, keys.indexOf(keyOf(o)), 0);
      b.addFieldOffset(Slot.Operator.inputs, ins, 0);
      b.addFieldOffset(Slot.Operator.outputs, outs, 0);
      if (o.optionsType) b.addFieldInt8(Slot.Operator.builtinOptionsType, o.optionsType, 0);
      if (opts) b.addFieldOffset(Slot.Operator.builtinOptions, opts, 0);
      return b.endObject();
    });
    const tv = tables(b, tensorOffsets);
    const iv = ints(b, m.inputs);
    const ov = ints(b, m.outputs);
    const opv = tables(b, opOffsets);
    const name = b.createString('main');
    b.startObject(5);
    b.addFieldOffset(Slot.SubGraph.tensors, tv, 0);
    b.addFieldOffset(Slot.SubGraph.inputs, iv, 0);
    b.addFieldOffset(Slot.SubGraph.outputs, ov, 0);
    b.addFieldOffset(Slot.SubGraph.operators, opv, 0);
    b.addFieldOffset(Slot.SubGraph.name, name, 0);
    return b.endObject();
  };
  const sgs = Array.from({ length: m.subgraphs ?? 1 }, subgraph);
  const sgv = tables(b, sgs);
  const cv = tables(b, codeOffsets);
  const bv = tables(b, bufferOffsets);
  const desc = b.createString('tinyforge test');
  b.startObject(5);
  b.addFieldInt32(Slot.Model.version, 3, 0);
  b.addFieldOffset(Slot.Model.operatorCodes, cv, 0);
  b.addFieldOffset(Slot.Model.subgraphs, sgv, 0);
  b.addFieldOffset(Slot.Model.description, desc, 0);
  b.addFieldOffset(Slot.Model.buffers, bv, 0);
  b.finish(b.endObject(), m.identifier ?? 'TFL3');
  return b.asUint8Array().slice();
}
