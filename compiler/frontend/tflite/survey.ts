// What `tinyforge inspect` prints for a .tflite model the compiler cannot take: every operator of the file,
// one line each, "supported" or "not supported (why)", so a user sees all the problems of a model at once
// instead of the importer's first one. The checks, in order, per op: folded at compile time (a constant
// chain, fold-constants.ts); a CUSTOM op (refused by its custom_code: Ethos-U, the audio front end's Signal
// ops, ...); a builtin without an operator definition (compiler/ops/); options the definition cannot read;
// tensor types (FLOAT32 only at the edges); then the graph validator's and the legalize pass's rules for
// that op alone (the op with its operands as the file has them, whatever the other ops are). A problem that belongs to no single op (a second subgraph, a
// corrupt file) is the importer's own one-line error.
import { TinyforgeError } from '../../diagnostics.ts';
import type { Graph, Op, Tensor } from '../../ir/graph.ts';
import { validateOp } from '../../ir/validate.ts';
import { LegalCheck } from '../../ops/checks.ts';
import { BY_BUILTIN, opDef } from '../../ops/index.ts';
import type { OperandInfo } from '../../ops/op-def.ts';
import { foldConstantOps } from './fold-constants.ts';
import { DTYPES, decodeData, optionsReader, readQuant } from './import.ts';
import { FbReader } from './reader.ts';
import { BuiltinOperator, BuiltinOptionsType, FILE_IDENTIFIER, Slot as S, TensorType, builtinName, tensorTypeName } from './schema.ts';

export interface OpSurvey {
  /** Operator index in the file. */
  index: number;
  /** Builtin name, `CUSTOM 'code'` for custom ops. */
  op: string;
  supported: boolean;
  /** Why not (or, for a supported op, a note such as "constant, folded at compile time"). */
  why?: string;
}

const TYPES: number[] = [TensorType.INT8, TensorType.INT16, TensorType.INT32, TensorType.INT64, TensorType.FLOAT32];

const reader = optionsReader;

// Anything but a TinyforgeError is a bug in tinyforge: said so, never with the JavaScript exception's text.
const reason = (e: unknown): string => (e instanceof TinyforgeError ? e.message + (e.hint ? ` (${e.hint})` : '') : 'cannot be checked: an internal error in tinyforge (a bug; please report it with the model)');

/** Every operator of the file with its verdict. Throws (one line) only when the file itself cannot be read. */
export function surveyTflite(bytes: Uint8Array, file: string): OpSurvey[] {
  const r = new FbReader(bytes, file);
  const model = r.root(FILE_IDENTIFIER);
  const sg = model.tables(S.Model.subgraphs, 'subgraphs')[0];
  if (!sg) throw new TinyforgeError('the model has no subgraph', { file });
  const buffers = model.tables(S.Model.buffers, 'buffers');
  const codeTables = model.tables(S.Model.operatorCodes, 'operator codes');
  const tensors = sg.tables(S.SubGraph.tensors, 'tensors');
  const sgInputs = sg.i32s(S.SubGraph.inputs, 'subgraph inputs');
  const sgOutputs = sg.i32s(S.SubGraph.outputs, 'subgraph outputs');
  const tensorName = (t: number) => tensors[t]?.string(S.Tensor.name, `tensor ${t} name`) || `t${t}`;
  const tensorType = (t: number) => tensors[t]!.i8(S.Tensor.type);
  const constValues = (t: number): number[] | undefined => {
    const bi = tensors[t]!.u32(S.Tensor.buffer);
    if (bi === 0 || bi >= buffers.length) return undefined;
    const raw = buffers[bi]!.bytes(S.Buffer.data, `buffer ${bi}`);
    if (raw.length === 0) return undefined;
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const type = tensorType(t);
    if (type === TensorType.INT32) return Array.from({ length: raw.length >> 2 }, (_, i) => dv.getInt32(4 * i, true));
    if (type === TensorType.INT64) return Array.from({ length: raw.length >> 3 }, (_, i) => Number(dv.getBigInt64(8 * i, true)));
    return undefined;
  };
  const ops = sg.tables(S.SubGraph.operators, 'operators').map((op, index) => {
    const oi = op.u32(S.Operator.opcodeIndex);
    const ct = codeTables[oi];
    const code = ct ? Math.max(ct.i8(S.OperatorCode.deprecatedBuiltinCode), ct.i32(S.OperatorCode.builtinCode)) : -1;
    const optType = op.u8(S.Operator.builtinOptionsType);
    const opts = optType === BuiltinOptionsType.NONE ? undefined : op.table(S.Operator.builtinOptions, `op ${index} options`);
    const valid = (t: number) => t >= -1 && t < tensors.length;
    const inputs = op.i32s(S.Operator.inputs, `op ${index} inputs`).filter(valid);
    // -1 (an omitted operand) is valid for inputs only
    const outputs = op.i32s(S.Operator.outputs, `op ${index} outputs`).filter((t) => t >= 0 && valid(t));
    const custom = code === BuiltinOperator.CUSTOM ? ct!.string(S.OperatorCode.customCode, 'custom code') : undefined;
    const intermediates = op.i32s(S.Operator.intermediates, `op ${index} intermediates`).filter((t) => t >= 0 && valid(t));
    return { index, code, optType, opts: reader(opts), inputs, outputs, custom, intermediates };
  });
  const consts = foldConstantOps(ops, (t) => ({ shape: tensors[t]!.i32s(S.Tensor.shape, `tensor ${t} shape`), type: tensorType(t), values: constValues(t) }));

  const { folded, values: foldedValues } = consts;
  const operandInfo = (t: number): OperandInfo => {
    const v = foldedValues.get(t);
    if (v) return { shape: v.shape, type: 'INT32', values: v.values };
    return { shape: tensors[t]!.i32s(S.Tensor.shape, `tensor ${t} shape`), type: tensorTypeName(tensorType(t)), values: constValues(t) };
  };

  /** The op alone as a graph (its operands and outputs as the file has them), for the validator and legalize. */
  const alone = (o: (typeof ops)[number], attrs: object, operands: number[]): { g: Graph; op: Op; defined: Set<number> } => {
    const local = new Map<number, number>();
    const g: Graph = { name: file, tensors: [], ops: [], inputs: [], outputs: [] };
    const add = (t: number): number => {
      if (t < 0) return -1;
      const known = local.get(t);
      if (known !== undefined) return known;
      const ft = tensors[t]!;
      const shape = ft.i32s(S.Tensor.shape, `tensor ${t} shape`);
      const dtype = DTYPES[tensorType(t)]!;
      const tensor: Tensor = { id: g.tensors.length, name: tensorName(t), shape, dtype };
      const quant = readQuant(ft, `tensor ${t}`, shape.length);
      if (quant) tensor.quant = quant;
      const folded = foldedValues.get(t);
      const bi = ft.u32(S.Tensor.buffer);
      const raw = bi > 0 && bi < buffers.length ? buffers[bi]!.bytes(S.Buffer.data, `buffer ${bi}`) : new Uint8Array(0);
      if (ft.bool(S.Tensor.isVariable, false)) tensor.variable = true;
      else if (folded) tensor.data = Int32Array.from(folded.values);
      else if (raw.length > 0 && dtype !== 'float32') tensor.data = decodeData(raw, dtype);
      g.tensors.push(tensor);
      local.set(t, tensor.id);
      if (sgInputs.includes(t)) g.inputs.push(tensor.id);
      if (sgOutputs.includes(t)) g.outputs.push(tensor.id);
      return tensor.id;
    };
    const op = { ...attrs, inputs: operands.map(add), outputs: o.outputs.map(add) } as Op;
    if (op.kind === 'depthwise_conv2d') {
      const inC = g.tensors[op.inputs[0]!]?.shape[3], outC = g.tensors[op.inputs[1]!]?.shape[3];
      if (inC && outC && outC % inC === 0) op.depthMultiplier = outC / inC;
    }
    g.ops.push(op);
    // Everything the op reads counts as defined: its producers are judged on their own lines.
    return { g, op, defined: new Set(op.inputs.filter((id) => id >= 0)) };
  };

  return ops.map((o) => {
    const name = o.code < 0 ? 'opcode index out of range' : o.custom !== undefined ? `CUSTOM '${o.custom}'` : builtinName(o.code);
    const no = (why: string): OpSurvey => ({ index: o.index, op: name, supported: false, why });
    if (o.code < 0) return no('its opcode index is out of range');
    if (folded.has(o.index)) return { index: o.index, op: name, supported: true, why: 'constant, folded at compile time' };
    if (o.custom !== undefined) return no(`custom operator '${o.custom}': tinyforge compiles builtin operators only`);
    const def = BY_BUILTIN.get(o.code);
    if (!def?.tflite) return no(`no operator definition for ${name}`);
    if (o.optType !== BuiltinOptionsType.NONE && o.optType !== def.tflite.optionsType) return no(`options of union type ${o.optType}, expected ${def.tflite.optionsType}`);
    let attrs: object;
    try {
      attrs = def.tflite.import({
        file, index: o.index, name: `${name.toLowerCase()}_${o.index}`, opts: o.opts,
        fail: (m, hint) => { throw new TinyforgeError(m, {}, hint); },
        operand: (slot) => {
          const t = o.inputs[slot];
          return t === undefined || t < 0 ? undefined : operandInfo(t);
        },
        result: (slot) => {
          const t = o.outputs[slot];
          return t === undefined || t < 0 ? undefined : operandInfo(t);
        },
        intermediate: (slot) => {
          const t = o.intermediates[slot];
          if (t === undefined) return undefined;
          const info = operandInfo(t);
          const quant = readQuant(tensors[t]!, `tensor ${t}`, info.shape.length);
          return quant ? { ...info, quant } : info;
        },
      });
    } catch (e) {
      return no(reason(e));
    }
    const operands = def.tflite.operands ? def.tflite.operands(o.inputs) : o.inputs;
    for (const t of [...operands, ...o.outputs]) {
      if (t < 0) continue;
      const type = tensorType(t);
      if (!TYPES.includes(type)) return no(`tensor ${t} '${tensorName(t)}' is ${tensorTypeName(type)} (supported: INT8, INT16, INT32, INT64, FLOAT32 at the edges)`);
      if (type !== TensorType.FLOAT32) continue;
      const edgeIn = o.code === BuiltinOperator.QUANTIZE && o.inputs[0] === t && sgInputs.includes(t);
      const edgeOut = o.code === BuiltinOperator.DEQUANTIZE && o.outputs[0] === t && sgOutputs.includes(t);
      if (!edgeIn && !edgeOut) return no(`float32 tensor ${t} '${tensorName(t)}' outside the edges (only a graph input read by QUANTIZE or a DEQUANTIZE graph output)`);
    }
    // The op's own rules, on the op alone: the graph validator's (shapes, dtypes), then legalize's.
    try {
      const { g, op, defined } = alone(o, attrs, operands);
      validateOp(g, op, 0, defined, file);
      opDef(op.kind).legalize(new LegalCheck(g, op), op as never);
    } catch (e) {
      return no(reason(e));
    }
    return { index: o.index, op: name, supported: true };
  });
}

/** The survey as text: one line per op, then a count. */
export function formatSurvey(file: string, rows: OpSurvey[]): string {
  const bad = rows.filter((r) => !r.supported).length;
  const w = Math.max(8, ...rows.map((r) => r.op.length));
  const lines = rows.map((r) => `  op ${String(r.index).padStart(3)}  ${r.op.padEnd(w)}  ${r.supported ? 'supported' : 'not supported'}${r.why ? ` (${r.why})` : ''}`);
  return `${file}: ${rows.length} operators, ${bad} not supported\n${lines.join('\n')}\n`;
}
