// Writes a graph IR as a .tflite flatbuffer (schema version 3) with the flatbuffers runtime Builder and the
// schema's field slots. It exists so that tests can hand TFLite's own interpreter the exact graph the golden
// runtime executes (random single-op models, whole graphs), and so that writer -> importer round trips check
// the importer. Supported: CONV_2D (incl. groups), DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, AVERAGE_POOL_2D,
// MAX_POOL_2D, RESHAPE, SOFTMAX; int8/int16/int32 tensors with per-tensor or per-axis quantisation.
//
// Quantisation scales are stored as float32 (as in every .tflite file): a graph whose scales are not exactly
// representable in float32 is written with rounded scales, so producers that want bit-exact agreement with the
// interpreter (tests/helpers/random-ops.ts) use float32-exact scales.
import { Builder } from 'flatbuffers';
import { TinyforgeError } from '../../diagnostics.ts';
import type { Activation, Graph, Op, Padding, Tensor } from '../../ir/graph.ts';
import {
  ActivationCode, BuiltinOperator, BuiltinOptionsType, FILE_IDENTIFIER, PaddingCode, Slot, TensorType,
} from './schema.ts';

const TensorTypeCode: Record<Tensor['dtype'], number> = { int32: TensorType.INT32, int16: TensorType.INT16, int8: TensorType.INT8 };
const PaddingOf: Record<Padding, number> = { same: PaddingCode.SAME, valid: PaddingCode.VALID };
const ActivationOf: Record<Activation, number> = {
  none: ActivationCode.NONE, relu: ActivationCode.RELU, relu_n1_to_1: ActivationCode.RELU_N1_TO_1, relu6: ActivationCode.RELU6,
};
const OptionsType = BuiltinOptionsType;

/**
 * How each graph op kind is written: builtin operator code, op version (the int8 versions the TFLite converter
 * emits) and a function that adds the builtin options table and returns [union tag, offset].
 */
interface OpRule {
  builtin: number;
  version: number;
  options(b: Builder, op: Op): [number, number];
}

function table(b: Builder, nfields: number, fill: () => void): number {
  b.startObject(nfields);
  fill();
  return b.endObject();
}

const RULES: Partial<Record<Op['kind'], OpRule>> = {
  conv2d: {
    builtin: BuiltinOperator.CONV_2D, version: 3,
    options: (b, op) => {
      const o = op as Extract<Op, { kind: 'conv2d' }>;
      const s = Slot.Conv2DOptions;
      return [OptionsType.Conv2DOptions, table(b, 6, () => {
        b.addFieldInt8(s.padding, PaddingOf[o.padding], 0);
        b.addFieldInt32(s.strideW, o.stride[1], 0);
        b.addFieldInt32(s.strideH, o.stride[0], 0);
        b.addFieldInt8(s.activation, ActivationOf[o.activation], 0);
        b.addFieldInt32(s.dilationW, o.dilation[1], 1);
        b.addFieldInt32(s.dilationH, o.dilation[0], 1);
      })];
    },
  },
  depthwise_conv2d: {
    builtin: BuiltinOperator.DEPTHWISE_CONV_2D, version: 3,
    options: (b, op) => {
      const o = op as Extract<Op, { kind: 'depthwise_conv2d' }>;
      const s = Slot.DepthwiseConv2DOptions;
      return [OptionsType.DepthwiseConv2DOptions, table(b, 7, () => {
        b.addFieldInt8(s.padding, PaddingOf[o.padding], 0);
        b.addFieldInt32(s.strideW, o.stride[1], 0);
        b.addFieldInt32(s.strideH, o.stride[0], 0);
        b.addFieldInt32(s.depthMultiplier, o.depthMultiplier, 0);
        b.addFieldInt8(s.activation, ActivationOf[o.activation], 0);
        b.addFieldInt32(s.dilationW, o.dilation[1], 1);
        b.addFieldInt32(s.dilationH, o.dilation[0], 1);
      })];
    },
  },
  fully_connected: {
    builtin: BuiltinOperator.FULLY_CONNECTED, version: 4,
    options: (b, op) => {
      const o = op as Extract<Op, { kind: 'fully_connected' }>;
      const s = Slot.FullyConnectedOptions;
      return [OptionsType.FullyConnectedOptions, table(b, 3, () => {
        b.addFieldInt8(s.activation, ActivationOf[o.activation], 0);
        b.addFieldInt8(s.keepNumDims, o.keepNumDims ? 1 : 0, 0);
      })];
    },
  },
  add: {
    builtin: BuiltinOperator.ADD, version: 2,
    options: (b, op) => {
      const o = op as Extract<Op, { kind: 'add' }>;
      return [OptionsType.AddOptions, table(b, 1, () => b.addFieldInt8(Slot.AddOptions.activation, ActivationOf[o.activation], 0))];
    },
  },
  average_pool2d: { builtin: BuiltinOperator.AVERAGE_POOL_2D, version: 2, options: (b, op) => poolOptions(b, op) },
  max_pool2d: { builtin: BuiltinOperator.MAX_POOL_2D, version: 2, options: (b, op) => poolOptions(b, op) },
  reshape: {
    builtin: BuiltinOperator.RESHAPE, version: 1,
    options: () => [0, 0], // filled in by writeOp: the new shape is the output tensor's shape
  },
  softmax: {
    builtin: BuiltinOperator.SOFTMAX, version: 2,
    options: (b, op) => {
      const o = op as Extract<Op, { kind: 'softmax' }>;
      return [OptionsType.SoftmaxOptions, table(b, 1, () => b.addFieldFloat32(Slot.SoftmaxOptions.beta, o.beta, 0))];
    },
  },
};

function poolOptions(b: Builder, op: Op): [number, number] {
  const o = op as Extract<Op, { kind: 'average_pool2d' | 'max_pool2d' }>;
  const s = Slot.Pool2DOptions;
  return [OptionsType.Pool2DOptions, table(b, 6, () => {
    b.addFieldInt8(s.padding, PaddingOf[o.padding], 0);
    b.addFieldInt32(s.strideW, o.stride[1], 0);
    b.addFieldInt32(s.strideH, o.stride[0], 0);
    b.addFieldInt32(s.filterW, o.filter[1], 0);
    b.addFieldInt32(s.filterH, o.filter[0], 0);
    b.addFieldInt8(s.activation, ActivationOf[o.activation], 0);
  })];
}

function int32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

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

  // Buffers: 0 is the empty sentinel; each constant tensor gets its own.
  const bufferOffsets: number[] = [table(b, 1, () => {})];
  const tensorBuffer: number[] = [];
  for (const t of graph.tensors) {
    if (!t.data) { tensorBuffer.push(0); continue; }
    const bytes = bufferBytes(t);
    b.startVector(1, bytes.length, 16); // Buffer.data is force_align: 16
    for (let i = bytes.length - 1; i >= 0; i--) b.addInt8(bytes[i]);
    const data = b.endVector();
    tensorBuffer.push(bufferOffsets.length);
    bufferOffsets.push(table(b, 1, () => b.addFieldOffset(Slot.Buffer.data, data, 0)));
  }

  const tensorOffsets = graph.tensors.map((t, i) => {
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
    return table(b, 5, () => {
      b.addFieldOffset(s.shape, shape, 0);
      b.addFieldInt8(s.type, TensorTypeCode[t.dtype], 0);
      b.addFieldInt32(s.buffer, tensorBuffer[i], 0);
      b.addFieldOffset(s.name, name, 0);
      if (quant) b.addFieldOffset(s.quantization, quant, 0);
    });
  });

  // Operator codes in first-use order.
  const codes: OpRule[] = [];
  const opOffsets = graph.ops.map((op, k) => {
    const rule = RULES[op.kind];
    if (!rule) {
      throw new TinyforgeError(`writeTflite: op kind ${op.kind} has no TFLite builtin`, { op: op.name ?? k },
        `writable kinds: ${Object.keys(RULES).join(', ')}`);
    }
    let code = codes.indexOf(rule);
    if (code < 0) { code = codes.length; codes.push(rule); }
    let [optType, opts] = rule.options(b, op);
    if (op.kind === 'reshape') {
      const out = graph.tensors[tensorIndex(op.outputs[0])];
      const newShape = int32Vector(b, out.shape);
      [optType, opts] = [OptionsType.ReshapeOptions, table(b, 1, () => b.addFieldOffset(Slot.ReshapeOptions.newShape, newShape, 0))];
    }
    const inputs = int32Vector(b, op.inputs.map(tensorIndex));
    const outputs = int32Vector(b, op.outputs.map(tensorIndex));
    const s = Slot.Operator;
    return table(b, 5, () => {
      b.addFieldInt32(s.opcodeIndex, code, 0);
      b.addFieldOffset(s.inputs, inputs, 0);
      b.addFieldOffset(s.outputs, outputs, 0);
      b.addFieldInt8(s.builtinOptionsType, optType, 0);
      if (opts) b.addFieldOffset(s.builtinOptions, opts, 0);
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
