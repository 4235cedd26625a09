// What `tinyforge inspect` prints for a .tflite model the compiler cannot take: every operator of the file,
// one line each, "supported" or "not supported (why)", so a user sees all the problems of a model at once
// instead of the importer's first one. The checks, in order, per op: folded at compile time (a constant
// chain, fold-constants.ts); a CUSTOM op (refused by its custom_code: Ethos-U, the audio front end's Signal
// ops, ...); a builtin without an operator definition (compiler/ops/); options the definition cannot read;
// tensor types (FLOAT32 only at the edges); and, when the file imports, the graph validator's and the
// legalize pass's rules for that op alone. A problem that belongs to no single op (a second subgraph, a
// corrupt file) is the importer's own one-line error.
import { TinyforgeError } from '../../diagnostics.ts';
import type { Graph } from '../../ir/graph.ts';
import { validateOp } from '../../ir/validate.ts';
import { LegalCheck } from '../../ops/checks.ts';
import { BY_BUILTIN, opDef } from '../../ops/index.ts';
import type { OptionsReader } from '../../ops/op-def.ts';
import { foldConstantOps } from './fold-constants.ts';
import { importTflite } from './import.ts';
import { FbReader, type Table } from './reader.ts';
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

const TYPES: number[] = [TensorType.INT8, TensorType.INT16, TensorType.INT32, TensorType.FLOAT32];

function reader(t: Table | undefined): OptionsReader {
  return {
    i8: (s, d = 0) => t?.i8(s, d) ?? d, i32: (s, d = 0) => t?.i32(s, d) ?? d,
    f32: (s, d = 0) => t?.f32(s, d) ?? d, bool: (s, d = false) => t?.bool(s, d) ?? d,
  };
}

const reason = (e: unknown): string => (e instanceof TinyforgeError ? e.message + (e.hint ? ` (${e.hint})` : '') : String(e));

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
    const outputs = op.i32s(S.Operator.outputs, `op ${index} outputs`).filter(valid);
    const custom = code === BuiltinOperator.CUSTOM ? ct!.string(S.OperatorCode.customCode, 'custom code') : undefined;
    return { index, code, optType, opts: reader(opts), inputs, outputs, custom };
  });
  const { folded } = foldConstantOps(ops, (t) => ({ shape: tensors[t]!.i32s(S.Tensor.shape, `tensor ${t} shape`), type: tensorType(t), values: constValues(t) }));

  const result: OpSurvey[] = ops.map((o) => {
    const name = o.code < 0 ? 'opcode index out of range' : o.custom !== undefined ? `CUSTOM '${o.custom}'` : builtinName(o.code);
    const no = (why: string): OpSurvey => ({ index: o.index, op: name, supported: false, why });
    if (o.code < 0) return no('its opcode index is out of range');
    if (folded.has(o.index)) return { index: o.index, op: name, supported: true, why: 'constant, folded at compile time' };
    if (o.custom !== undefined) return no(`custom operator '${o.custom}': tinyforge compiles builtin operators only`);
    const def = BY_BUILTIN.get(o.code);
    if (!def?.tflite) return no(`no operator definition for ${name}`);
    if (o.optType !== BuiltinOptionsType.NONE && o.optType !== def.tflite.optionsType) return no(`options of union type ${o.optType}, expected ${def.tflite.optionsType}`);
    try {
      def.tflite.import({
        file, index: o.index, name: `${name.toLowerCase()}_${o.index}`, opts: o.opts,
        fail: (m, hint) => { throw new TinyforgeError(m, {}, hint); },
        operand: (slot) => {
          const t = o.inputs[slot];
          if (t === undefined || t < 0) return undefined;
          return { shape: tensors[t]!.i32s(S.Tensor.shape, `tensor ${t} shape`), type: tensorTypeName(tensorType(t)), values: constValues(t) };
        },
      });
    } catch (e) {
      return no(reason(e));
    }
    const operands = (def.tflite.operands ? def.tflite.operands(o.inputs) : o.inputs).filter((t) => t >= 0);
    for (const t of [...operands, ...o.outputs]) {
      const type = tensorType(t);
      if (!TYPES.includes(type)) return no(`tensor ${t} '${tensorName(t)}' is ${tensorTypeName(type)} (supported: INT8, INT16, INT32, FLOAT32 at the edges)`);
      if (type !== TensorType.FLOAT32) continue;
      const edgeIn = o.code === BuiltinOperator.QUANTIZE && o.inputs[0] === t && sgInputs.includes(t);
      const edgeOut = o.code === BuiltinOperator.DEQUANTIZE && o.outputs[0] === t && sgOutputs.includes(t);
      if (!edgeIn && !edgeOut) return no(`float32 tensor ${t} '${tensorName(t)}' outside the edges (only a graph input read by QUANTIZE or a DEQUANTIZE graph output)`);
    }
    return { index: o.index, op: name, supported: true };
  });

  // Every op passed the file-level checks: the graph's own rules, op by op (validator, then legalize).
  if (result.every((x) => x.supported)) {
    let g: Graph;
    try {
      g = importTflite(bytes, file, { validate: false });
    } catch {
      return result; // a problem of no single op: the caller reports the importer's error
    }
    const fileIndex = ops.filter((o) => !folded.has(o.index)).map((o) => o.index);
    const defined = new Set<number>([...g.inputs, ...g.tensors.filter((t) => t.data).map((t) => t.id)]);
    g.ops.forEach((op, k) => {
      const at = result[fileIndex[k]!]!;
      try {
        validateOp(g, op, k, defined, file);
        opDef(op.kind).legalize(new LegalCheck(g, op), op as never);
      } catch (e) {
        at.supported = false;
        at.why = reason(e);
        for (const id of op.outputs) defined.add(id);
      }
    });
  }
  return result;
}

/** The survey as text: one line per op, then a count. */
export function formatSurvey(file: string, rows: OpSurvey[]): string {
  const bad = rows.filter((r) => !r.supported).length;
  const w = Math.max(8, ...rows.map((r) => r.op.length));
  const lines = rows.map((r) => `  op ${String(r.index).padStart(3)}  ${r.op.padEnd(w)}  ${r.supported ? 'supported' : 'not supported'}${r.why ? ` (${r.why})` : ''}`);
  return `${file}: ${rows.length} operators, ${bad} not supported\n${lines.join('\n')}\n`;
}
