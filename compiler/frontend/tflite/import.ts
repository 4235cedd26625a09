// .tflite importer: reads a TFLite flatbuffer (one subgraph) into the graph IR. Every read is bounds-checked
// (reader.ts), so a truncated or foreign file fails with one clear line instead of garbage. Supported
// operators are a table (OP_RULES) from builtin code to graph-IR op; anything else is rejected by name and
// op index. Only the tensors the graph uses are kept (RESHAPE's shape input is dropped), renumbered densely.
// Scales stay the exact float32 values of the file; per-axis quantisation keeps its axis.
import type { Activation, DType, Graph, Op, Padding, Quant, Tensor, TensorData } from '../../ir/graph.ts';
import { TinyforgeError } from '../../diagnostics.ts';
import { validateGraph } from '../../ir/validate.ts';
import { FbReader, type Table } from './reader.ts';
import {
  ActivationCode, BuiltinOperator, BuiltinOptionsType, FILE_IDENTIFIER, PaddingCode, Slot, TensorType,
  builtinName, tensorTypeName, WeightsFormat,
} from './schema.ts';

const DTYPES: Partial<Record<number, DType>> = { [TensorType.INT8]: 'int8', [TensorType.INT16]: 'int16', [TensorType.INT32]: 'int32' };

interface OpContext {
  file: string;
  index: number;
  name: string;
  opts: Table | undefined;
}

/** An op without its operands (distributes over the union, so each kind keeps its attributes). */
type OpAttrs = Op extends infer T ? (T extends Op ? Omit<T, 'inputs' | 'outputs'> : never) : never;
type OpRule = { optionsType: number; make(c: OpContext): OpAttrs };

function padding(c: OpContext, code: number): Padding {
  if (code === PaddingCode.SAME) return 'same';
  if (code === PaddingCode.VALID) return 'valid';
  throw new TinyforgeError(`unknown padding code ${code}`, { file: c.file, op: c.index });
}

function activation(c: OpContext, code: number): Activation {
  switch (code) {
    case ActivationCode.NONE: return 'none';
    case ActivationCode.RELU: return 'relu';
    case ActivationCode.RELU_N1_TO_1: return 'relu_n1_to_1';
    case ActivationCode.RELU6: return 'relu6';
  }
  const name = Object.entries(ActivationCode).find(([, v]) => v === code)?.[0] ?? `code ${code}`;
  throw new TinyforgeError(`unsupported fused activation ${name}`, { file: c.file, op: c.index },
    'supported: NONE, RELU, RELU_N1_TO_1, RELU6');
}

const S = Slot;
/** Absent options table = all defaults (what the flatbuffer reader would return). */
const o = (c: OpContext) => ({
  i8: (slot: number, d = 0) => c.opts?.i8(slot, d) ?? d,
  i32: (slot: number, d = 0) => c.opts?.i32(slot, d) ?? d,
  f32: (slot: number, d = 0) => c.opts?.f32(slot, d) ?? d,
  bool: (slot: number, d = false) => c.opts?.bool(slot, d) ?? d,
});

/** Builtin code -> graph-IR op (attributes only; operands are filled in by the caller). */
export const OP_RULES: Partial<Record<number, OpRule>> = {
  [BuiltinOperator.CONV_2D]: {
    optionsType: BuiltinOptionsType.Conv2DOptions,
    make: (c) => {
      const x = o(c), s = S.Conv2DOptions;
      return {
        kind: 'conv2d', name: c.name, padding: padding(c, x.i8(s.padding)),
        stride: [x.i32(s.strideH), x.i32(s.strideW)], dilation: [x.i32(s.dilationH, 1), x.i32(s.dilationW, 1)],
        activation: activation(c, x.i8(s.activation)),
      };
    },
  },
  [BuiltinOperator.DEPTHWISE_CONV_2D]: {
    optionsType: BuiltinOptionsType.DepthwiseConv2DOptions,
    make: (c) => {
      const x = o(c), s = S.DepthwiseConv2DOptions;
      return {
        kind: 'depthwise_conv2d', name: c.name, padding: padding(c, x.i8(s.padding)),
        stride: [x.i32(s.strideH), x.i32(s.strideW)], dilation: [x.i32(s.dilationH, 1), x.i32(s.dilationW, 1)],
        depthMultiplier: x.i32(s.depthMultiplier), activation: activation(c, x.i8(s.activation)),
      };
    },
  },
  [BuiltinOperator.FULLY_CONNECTED]: {
    optionsType: BuiltinOptionsType.FullyConnectedOptions,
    make: (c) => {
      const x = o(c), s = S.FullyConnectedOptions;
      if (x.i8(s.weightsFormat) !== WeightsFormat.DEFAULT) {
        throw new TinyforgeError('unsupported FULLY_CONNECTED weights_format (shuffled weights)', { file: c.file, op: c.index });
      }
      return { kind: 'fully_connected', name: c.name, activation: activation(c, x.i8(s.activation)), keepNumDims: x.bool(s.keepNumDims) };
    },
  },
  [BuiltinOperator.ADD]: {
    optionsType: BuiltinOptionsType.AddOptions,
    make: (c) => ({ kind: 'add', name: c.name, activation: activation(c, o(c).i8(S.AddOptions.activation)) }),
  },
  [BuiltinOperator.AVERAGE_POOL_2D]: { optionsType: BuiltinOptionsType.Pool2DOptions, make: (c) => pool(c, 'average_pool2d') },
  [BuiltinOperator.MAX_POOL_2D]: { optionsType: BuiltinOptionsType.Pool2DOptions, make: (c) => pool(c, 'max_pool2d') },
  [BuiltinOperator.RESHAPE]: { optionsType: BuiltinOptionsType.ReshapeOptions, make: (c) => ({ kind: 'reshape', name: c.name }) },
  [BuiltinOperator.SOFTMAX]: {
    optionsType: BuiltinOptionsType.SoftmaxOptions,
    make: (c) => ({ kind: 'softmax', name: c.name, beta: o(c).f32(S.SoftmaxOptions.beta) }),
  },
};

function pool(c: OpContext, kind: 'average_pool2d' | 'max_pool2d'): OpAttrs {
  const x = o(c), s = S.Pool2DOptions;
  return {
    kind, name: c.name, padding: padding(c, x.i8(s.padding)), stride: [x.i32(s.strideH), x.i32(s.strideW)],
    filter: [x.i32(s.filterH), x.i32(s.filterW)], activation: activation(c, x.i8(s.activation)),
  };
}

export const SUPPORTED_OPERATORS = Object.keys(OP_RULES).map((k) => builtinName(Number(k)));

function readQuant(t: Table, what: string): Quant | undefined {
  const q = t.table(S.Tensor.quantization, `${what} quantization`);
  if (!q) return undefined;
  const scale = q.f32s(S.Quantization.scale, `${what} scales`);
  if (scale.length === 0) return undefined;
  let zeroPoint = q.i64s(S.Quantization.zeroPoint, `${what} zero points`);
  if (zeroPoint.length === 0) zeroPoint = scale.map(() => 0);
  const quant: Quant = { scale, zeroPoint };
  if (scale.length > 1) quant.axis = q.i32(S.Quantization.quantizedDimension);
  return quant;
}

function decodeData(raw: Uint8Array, dtype: DType): TensorData {
  const copy = raw.slice();
  if (dtype === 'int8') return new Int8Array(copy.buffer, 0, copy.length);
  const dv = new DataView(copy.buffer);
  if (dtype === 'int16') return Int16Array.from({ length: copy.length >> 1 }, (_, i) => dv.getInt16(2 * i, true));
  return Int32Array.from({ length: copy.length >> 2 }, (_, i) => dv.getInt32(4 * i, true));
}

export function importTflite(bytes: Uint8Array, file: string): Graph {
  const r = new FbReader(bytes, file);
  const model = r.root(FILE_IDENTIFIER);
  const subgraphs = model.tables(S.Model.subgraphs, 'subgraphs');
  if (subgraphs.length === 0) throw new TinyforgeError('the model has no subgraph', { file });
  if (subgraphs.length > 1) {
    throw new TinyforgeError(`the model has ${subgraphs.length} subgraphs; only single-subgraph models are supported`, { file },
      'control flow (IF/WHILE/CALL_ONCE) is not supported');
  }
  const sg = subgraphs[0]!;
  const buffers = model.tables(S.Model.buffers, 'buffers');
  const codeTables = model.tables(S.Model.operatorCodes, 'operator codes');
  const opcodes = codeTables.map((oc) => Math.max(oc.i8(S.OperatorCode.deprecatedBuiltinCode), oc.i32(S.OperatorCode.builtinCode)));
  const fileTensors = sg.tables(S.SubGraph.tensors, 'tensors');
  const fileOps = sg.tables(S.SubGraph.operators, 'operators');

  // Operators first: they decide which tensors are kept.
  const checkTensor = (t: number, where: string): number => {
    if (t === -1) return -1;
    if (t < 0 || t >= fileTensors.length) {
      throw new TinyforgeError(`${where} refers to tensor ${t}, but the subgraph has ${fileTensors.length} tensors`, { file });
    }
    return t;
  };
  const rawOps = fileOps.map((op, index) => {
    const oi = op.u32(S.Operator.opcodeIndex);
    if (oi >= opcodes.length) throw new TinyforgeError(`opcode index ${oi} out of range (${opcodes.length} operator codes)`, { file, op: index });
    const code = opcodes[oi]!;
    const rule = OP_RULES[code];
    if (!rule) {
      const custom = code === BuiltinOperator.CUSTOM ? ` '${codeTables[oi]!.string(S.OperatorCode.customCode, 'custom code')}'` : '';
      throw new TinyforgeError(`unsupported operator ${builtinName(code)}${custom} (builtin ${code})`, { file, op: index },
        `supported: ${SUPPORTED_OPERATORS.join(', ')}`);
    }
    const optType = op.u8(S.Operator.builtinOptionsType);
    if (optType !== BuiltinOptionsType.NONE && optType !== rule.optionsType) {
      throw new TinyforgeError(`${builtinName(code)} has options of union type ${optType}, expected ${rule.optionsType}`, { file, op: index });
    }
    const opts = optType === BuiltinOptionsType.NONE ? undefined : op.table(S.Operator.builtinOptions, `op ${index} options`);
    let inputs = op.i32s(S.Operator.inputs, `op ${index} inputs`).map((t) => checkTensor(t, `op ${index} input`));
    const outputs = op.i32s(S.Operator.outputs, `op ${index} outputs`).map((t) => checkTensor(t, `op ${index} output`));
    if (code === BuiltinOperator.RESHAPE) inputs = inputs.slice(0, 1);
    const attrs = rule.make({ file, index, name: `${builtinName(code).toLowerCase()}_${index}`, opts });
    return { ...attrs, inputs, outputs } as Op;
  });

  const sgInputs = sg.i32s(S.SubGraph.inputs, 'subgraph inputs').map((t) => checkTensor(t, 'subgraph input'));
  const sgOutputs = sg.i32s(S.SubGraph.outputs, 'subgraph outputs').map((t) => checkTensor(t, 'subgraph output'));
  const used = new Set<number>([...sgInputs, ...sgOutputs, ...rawOps.flatMap((op) => [...op.inputs, ...op.outputs])]);
  used.delete(-1);
  const remap = new Map<number, number>();
  const tensors: Tensor[] = [];
  for (let i = 0; i < fileTensors.length; i++) {
    if (!used.has(i)) continue;
    const t = fileTensors[i]!;
    const what = `tensor ${i}`;
    const name = t.string(S.Tensor.name, `${what} name`) || `t${i}`;
    const type = t.i8(S.Tensor.type);
    const dtype = DTYPES[type];
    if (!dtype) {
      throw new TinyforgeError(`tensor ${i} '${name}' has type ${tensorTypeName(type)}; supported: INT8, INT16, INT32`, { file },
        'quantise the model fully to int8 (weights and activations) with the TFLite converter');
    }
    if (t.has(S.Tensor.sparsity)) throw new TinyforgeError(`tensor ${i} '${name}' is sparse; sparse tensors are not supported`, { file });
    const shape = t.i32s(S.Tensor.shape, `${what} shape`);
    const tensor: Tensor = { id: tensors.length, name, shape, dtype };
    const quant = readQuant(t, what);
    if (quant) tensor.quant = quant;
    const bi = t.u32(S.Tensor.buffer);
    if (bi !== 0) {
      if (bi >= buffers.length) throw new TinyforgeError(`tensor ${i} '${name}' refers to buffer ${bi}, but the model has ${buffers.length}`, { file });
      const b = buffers[bi]!;
      let raw = b.bytes(S.Buffer.data, `buffer ${bi}`);
      const off = b.u64(S.Buffer.offset), size = b.u64(S.Buffer.size);
      if (raw.length === 0 && off > 1) {
        r.check(off, size, `buffer ${bi} (external data)`);
        raw = bytes.subarray(off, off + size);
      }
      if (raw.length > 0) {
        const expected = shape.reduce((a, d) => a * d, 1) * (dtype === 'int8' ? 1 : dtype === 'int16' ? 2 : 4);
        if (raw.length !== expected) {
          throw new TinyforgeError(`tensor ${i} '${name}' has ${raw.length} bytes of data, but shape [${shape.join(', ')}] ${dtype} needs ${expected}`, { file });
        }
        tensor.data = decodeData(raw, dtype);
      }
    }
    remap.set(i, tensor.id);
    tensors.push(tensor);
  }
  const m = (t: number) => (t === -1 ? -1 : remap.get(t)!);
  const ops = rawOps.map((op) => ({ ...op, inputs: op.inputs.map(m), outputs: op.outputs.map(m) }));
  // The filter's shape is authoritative for a depthwise multiplier (some converters write 0 or a stale value).
  for (const op of ops) {
    if (op.kind !== 'depthwise_conv2d') continue;
    const inC = tensors[op.inputs[0]!]?.shape[3], outC = tensors[op.inputs[1]!]?.shape[3];
    if (inC && outC && outC % inC === 0) op.depthMultiplier = outC / inC;
  }
  const name = file.replace(/^.*[\\/]/, '').replace(/\.tflite$/, '') || sg.string(S.SubGraph.name, 'subgraph name');
  const g: Graph = { name, tensors, ops, inputs: sgInputs.map(m), outputs: sgOutputs.map(m) };
  validateGraph(g, file);
  return g;
}
