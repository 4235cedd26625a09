// .tflite importer: reads a TFLite flatbuffer (one subgraph) into the graph IR. Every read is bounds-checked
// (reader.ts), so a truncated or foreign file fails with one clear line instead of garbage. Each builtin
// code maps to the op definition that claims it (compiler/ops/, `tflite.import`); anything else is rejected
// by name and op index. Compile-time constant integer chains (SHAPE -> STRIDED_SLICE -> PACK -> a RESHAPE's
// shape, ...) are evaluated first and their ops dropped (fold-constants.ts). Only the tensors the graph uses
// are kept (RESHAPE's shape input is dropped), renumbered densely.
// Scales stay the exact float32 values of the file; per-axis quantisation keeps its axis.
import { bytesPerElement, type DType, type Graph, type Op, type Quant, type Tensor, type TensorData } from '../../ir/graph.ts';
import { TinyforgeError } from '../../diagnostics.ts';
import { validateGraph } from '../../ir/validate.ts';
import { BY_BUILTIN } from '../../ops/index.ts';
import type { OperandInfo, OptionsReader } from '../../ops/op-def.ts';
import { foldConstantOps } from './fold-constants.ts';
import { FbReader, type Table } from './reader.ts';
import { BuiltinOperator, BuiltinOptionsType, FILE_IDENTIFIER, Slot as S, TensorType, builtinName, tensorTypeName } from './schema.ts';

export const DTYPES: Partial<Record<number, DType>> = {
  [TensorType.INT8]: 'int8', [TensorType.INT16]: 'int16', [TensorType.INT32]: 'int32', [TensorType.INT64]: 'int64', [TensorType.FLOAT32]: 'float32',
};

export const SUPPORTED_OPERATORS = [...BY_BUILTIN.keys()].sort((x, y) => x - y).map(builtinName);

/** Typed reads of an options table; an absent table reads as all defaults (what the flatbuffer reader would return). */
export function optionsReader(opts: Table | undefined): OptionsReader {
  return {
    i8: (slot, d = 0) => opts?.i8(slot, d) ?? d,
    i32: (slot, d = 0) => opts?.i32(slot, d) ?? d,
    f32: (slot, d = 0) => opts?.f32(slot, d) ?? d,
    bool: (slot, d = false) => opts?.bool(slot, d) ?? d,
    i32s: (slot) => opts?.i32s(slot, `options field ${slot}`) ?? [],
    present: opts !== undefined,
  };
}

export function readQuant(t: Table, what: string, rank: number): Quant | undefined {
  const q = t.table(S.Tensor.quantization, `${what} quantization`);
  if (!q) return undefined;
  const scale = q.f32s(S.Quantization.scale, `${what} scales`);
  if (scale.length === 0) return undefined;
  let zeroPoint = q.i64s(S.Quantization.zeroPoint, `${what} zero points`);
  if (zeroPoint.length === 0) zeroPoint = scale.map(() => 0);
  const quant: Quant = { scale, zeroPoint };
  if (scale.length > 1) {
    // A 1-D tensor (a per-channel bias) can only be quantised along dimension 0. Some converters copy the
    // filter's quantized_dimension into the bias (TFLite Micro's person_detect.tflite: a bias [8] with
    // quantized_dimension 3, next to its [1,3,3,8] depthwise filter). TFLite Micro runs that model because
    // its kernels read bias scales by output channel and never consult the bias's quantized_dimension; we
    // read it as the only dimension there is.
    const axis = q.i32(S.Quantization.quantizedDimension);
    quant.axis = rank === 1 ? 0 : axis;
  }
  return quant;
}

export function decodeData(raw: Uint8Array, dtype: DType): TensorData {
  const copy = raw.slice();
  if (dtype === 'int8') return new Int8Array(copy.buffer, 0, copy.length);
  const dv = new DataView(copy.buffer);
  if (dtype === 'int16') return Int16Array.from({ length: copy.length >> 1 }, (_, i) => dv.getInt16(2 * i, true));
  if (dtype === 'int64') return BigInt64Array.from({ length: copy.length >> 3 }, (_, i) => dv.getBigInt64(8 * i, true));
  return Int32Array.from({ length: copy.length >> 2 }, (_, i) => dv.getInt32(4 * i, true));
}

/** `validate: false` returns the graph without the validator (for `inspect`'s per-op report, survey.ts). */
export function importTflite(bytes: Uint8Array, file: string, opts: { validate?: boolean } = {}): Graph {
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
  // -1 marks an omitted optional operand: valid for an operator's inputs only.
  const checkTensor = (t: number, where: string, optional = false): number => {
    if (t === -1 && optional) return -1;
    if (t < 0 || t >= fileTensors.length) {
      throw new TinyforgeError(`${where} refers to tensor ${t}, but the subgraph has ${fileTensors.length} tensors`, { file });
    }
    return t;
  };
  /** A file tensor's shape, type and, when it is a constant INT8/INT32/INT64 tensor, its values (for op parameters). */
  const fileOperand = (t: number): OperandInfo => {
    const ft = fileTensors[t]!;
    const type = ft.i8(S.Tensor.type);
    const info: OperandInfo = { shape: ft.i32s(S.Tensor.shape, `tensor ${t} shape`), type: tensorTypeName(type) };
    const quant = readQuant(ft, `tensor ${t}`, info.shape.length);
    if (quant) info.quant = quant;
    const bi = ft.u32(S.Tensor.buffer);
    if (bi === 0 || bi >= buffers.length) return info;
    const raw = buffers[bi]!.bytes(S.Buffer.data, `buffer ${bi}`);
    if (raw.length === 0) return info;
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    if (type === TensorType.INT8) info.values = Array.from(new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength));
    else if (type === TensorType.INT32) info.values = Array.from({ length: raw.length >> 2 }, (_, i) => dv.getInt32(4 * i, true));
    else if (type === TensorType.INT64) info.values = Array.from({ length: raw.length >> 3 }, (_, i) => Number(dv.getBigInt64(8 * i, true)));
    return info;
  };
  // Every operator's code, operands and options, then the compile-time constant chains (fold-constants.ts).
  const fileOpInfo = fileOps.map((op, index) => {
    const oi = op.u32(S.Operator.opcodeIndex);
    if (oi >= opcodes.length) throw new TinyforgeError(`opcode index ${oi} out of range (${opcodes.length} operator codes)`, { file, op: index });
    const optType = op.u8(S.Operator.builtinOptionsType);
    const opts = optType === BuiltinOptionsType.NONE ? undefined : op.table(S.Operator.builtinOptions, `op ${index} options`);
    return {
      index, oi, code: opcodes[oi]!, optType, opts: optionsReader(opts),
      inputs: op.i32s(S.Operator.inputs, `op ${index} inputs`).map((t) => checkTensor(t, `op ${index} input`, true)),
      outputs: op.i32s(S.Operator.outputs, `op ${index} outputs`).map((t) => checkTensor(t, `op ${index} output`)),
      intermediates: op.i32s(S.Operator.intermediates, `op ${index} intermediates`).map((t) => checkTensor(t, `op ${index} intermediate`)),
    };
  });
  const consts = foldConstantOps(fileOpInfo, (t) => {
    const o = fileOperand(t);
    return { shape: o.shape, type: fileTensors[t]!.i8(S.Tensor.type), values: o.values };
  });
  const operandOf = (t: number): OperandInfo => {
    const v = consts.values.get(t);
    return v ? { shape: v.shape, type: 'INT32', values: v.values } : fileOperand(t);
  };
  const rawOps = fileOpInfo.flatMap(({ index, oi, code, optType, opts, inputs: fileInputs, outputs, intermediates }) => {
    if (consts.folded.has(index)) return [];
    const rule = BY_BUILTIN.get(code)?.tflite;
    if (!rule) {
      const custom = code === BuiltinOperator.CUSTOM ? ` '${codeTables[oi]!.string(S.OperatorCode.customCode, 'custom code')}'` : '';
      throw new TinyforgeError(`unsupported operator ${builtinName(code)}${custom} (builtin ${code})`, { file, op: index },
        `supported: ${SUPPORTED_OPERATORS.join(', ')}; \`tinyforge inspect\` lists every op of the model`);
    }
    if (optType !== BuiltinOptionsType.NONE && optType !== rule.optionsType) {
      throw new TinyforgeError(`${builtinName(code)} has options of union type ${optType}, expected ${rule.optionsType}`, { file, op: index });
    }
    const inputs = rule.operands ? rule.operands(fileInputs) : fileInputs;
    const fail = (message: string, hint?: string): never => { throw new TinyforgeError(message, { file, op: index }, hint); };
    const attrs = rule.import({
      file, index, name: `${builtinName(code).toLowerCase()}_${index}`, opts, fail,
      operand: (slot) => {
        const t = fileInputs[slot];
        return t === undefined || t < 0 ? undefined : operandOf(t);
      },
      result: (slot) => {
        const t = outputs[slot];
        return t === undefined || t < 0 ? undefined : fileOperand(t);
      },
      intermediate: (slot) => {
        const t = intermediates[slot];
        return t === undefined ? undefined : fileOperand(t);
      },
    });
    return [{ ...attrs, inputs, outputs } as Op];
  });

  const sgInputs = sg.i32s(S.SubGraph.inputs, 'subgraph inputs').map((t) => checkTensor(t, 'subgraph input'));
  const sgOutputs = sg.i32s(S.SubGraph.outputs, 'subgraph outputs').map((t) => checkTensor(t, 'subgraph output'));
  /** Why file tensor `t` (FLOAT32) is not a float edge; undefined when it is one. */
  const floatEdgeProblem = (t: number): string | undefined => {
    const readers = rawOps.flatMap((op, k) => (op.inputs.includes(t) ? [k] : []));
    const writer = rawOps.findIndex((op) => op.outputs.includes(t));
    if (sgInputs.includes(t)) {
      const bad = readers.find((k) => rawOps[k]!.kind !== 'quantize');
      return bad === undefined ? undefined : `and read by op ${bad} (${rawOps[bad]!.kind}), not QUANTIZE`;
    }
    if (writer >= 0 && rawOps[writer]!.kind === 'dequantize') {
      if (!sgOutputs.includes(t)) return `(written by DEQUANTIZE op ${writer}) but not a graph output`;
      return readers.length ? `and read by op ${readers[0]} (${rawOps[readers[0]!]!.kind}) after its DEQUANTIZE` : undefined;
    }
    if (writer >= 0) return `and written by op ${writer} (${rawOps[writer]!.kind})`;
    return fileTensors[t]!.u32(S.Tensor.buffer) !== 0 ? '(a float constant)' : 'and neither a graph input nor a graph output';
  };
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
      throw new TinyforgeError(`tensor ${i} '${name}' has type ${tensorTypeName(type)}; supported: INT8, INT16, INT32, INT64 (FLOAT32 at the edges)`, { file },
        'quantise the model fully to int8 (weights and activations) with the TFLite converter');
    }
    if (dtype === 'float32') {
      const why = floatEdgeProblem(i);
      if (why) {
        throw new TinyforgeError(`tensor ${i} '${name}' is FLOAT32 ${why}`, { file },
          'float32 is supported only at the edges: a graph input read only by QUANTIZE, or a DEQUANTIZE output that is a graph output');
      }
    }
    if (t.has(S.Tensor.sparsity)) throw new TinyforgeError(`tensor ${i} '${name}' is sparse; sparse tensors are not supported`, { file });
    const shape = t.i32s(S.Tensor.shape, `${what} shape`);
    const tensor: Tensor = { id: tensors.length, name, shape, dtype };
    const quant = readQuant(t, what, shape.length);
    if (quant) tensor.quant = quant;
    const bi = t.u32(S.Tensor.buffer);
    // A variable tensor's buffer (if any) is ignored, as TFLite's ResetVariableTensor ignores it.
    if (t.bool(S.Tensor.isVariable, false)) {
      if (dtype === 'float32' || dtype === 'int64') throw new TinyforgeError(`variable tensor ${i} '${name}' is ${dtype}; state tensors must be int8, int16 or int32`, { file });
      tensor.variable = true;
      remap.set(i, tensor.id);
      tensors.push(tensor);
      continue;
    }
    const foldedValues = consts.values.get(i);
    if (foldedValues) {
      tensor.dtype = 'int32';
      tensor.data = Int32Array.from(foldedValues.values);
    } else if (bi !== 0) {
      if (bi >= buffers.length) throw new TinyforgeError(`tensor ${i} '${name}' refers to buffer ${bi}, but the model has ${buffers.length}`, { file });
      const b = buffers[bi]!;
      let raw = b.bytes(S.Buffer.data, `buffer ${bi}`);
      const off = b.u64(S.Buffer.offset), size = b.u64(S.Buffer.size);
      if (raw.length === 0 && off > 1) {
        r.check(off, size, `buffer ${bi} (external data)`);
        raw = bytes.subarray(off, off + size);
      }
      if (raw.length > 0) {
        const expected = shape.reduce((a, d) => a * d, 1) * bytesPerElement(dtype);
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
  if (opts.validate !== false) validateGraph(g, file);
  return g;
}
