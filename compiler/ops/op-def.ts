// What the compiler knows about one graph operator, in one record (the way TFLite Micro registers an op,
// or TVM's op registry holds attributes and relations together). Each operator is one module in this
// folder exporting its attribute type and its `OpDef`; `index.ts` collects them into OPS, typed as a
// record over every op kind, so an operator without a definition does not compile.
//
// A definition holds:
//   tflite     import (builtin code, options table -> attributes, which operands it keeps) and export
//   arity      operand counts and which operands are activations (the rest are constants)
//   infer      shape inference and the graph validator's rules, with their error messages
//   types      (optional) the validator's dtype rules when they are not "int8 in, int8 out"
//   legalize   what the backends additionally require (int8 activations, symmetric weights, ...)
//   quant      the integers its kernel needs (fold-requant) and its clamp (fuse-activation)
//   lower      the pattern rules that lower it to kernel IR
//   macs       its multiply-accumulate count
//   golden     how the golden runtime launches its AssemblyScript kernel
//   cgra       whether the OpenEdgeCGRA mapper maps it, or why it runs on the host
// The Cortex-M emitter is bound through the kernel-IR ops the lowering rules produce: mcu-backend/emit
// has one variant table keyed by kernel-op kind (several graph ops share a kernel op).
import type { Builder } from 'flatbuffers';
import type { Graph, Op, OpKind, Quant, Tensor } from '../ir/graph.ts';
import type { KernelOp } from '../kernel-ir/types.ts';
import type { Arith } from '../quant/multiplier.ts';
import type { LegalCheck, ShapeCheck } from './checks.ts';
import type { GoldenCtx, GoldenLaunch } from './golden-abi.ts';
import type { LoweringRule } from './lowering.ts';

export type OpOf<K extends OpKind> = Extract<Op, { kind: K }>;
/** An op without its operands (distributes over the union, so each kind keeps its attributes). */
export type OpAttrs<K extends OpKind = OpKind> = OpOf<K> extends infer T ? (T extends Op ? Omit<T, 'inputs' | 'outputs'> : never) : never;

/** Typed reads of an operator's builtin options table (absent table or field = the schema default). */
export interface OptionsReader {
  i8(slot: number, d?: number): number;
  i32(slot: number, d?: number): number;
  f32(slot: number, d?: number): number;
  bool(slot: number, d?: boolean): boolean;
  /** An int vector field (empty when absent). */
  i32s(slot: number): number[];
  /** False when the operator has no options table (TFLite then leaves its params struct zeroed, so a bool
   *  whose schema default is true reads as false there: ADD / SUB `pot_scale_int16`). Absent: a table. */
  present?: boolean;
}

export interface OperandInfo {
  shape: number[];
  /** TensorType name (INT8, INT32, FLOAT32, ...). */
  type: string;
  values?: number[];
  /** Its quantisation, when it has one. */
  quant?: Quant;
}

export interface ImportCtx {
  file: string;
  /** Operator index in the file. */
  index: number;
  /** Default op name (`<builtin>_<index>`). */
  name: string;
  opts: OptionsReader;
  /** Operand `slot` of the file's operator (before `operands` filters them): shape, type and, for a constant
   *  INT32/INT64 tensor, its values (parameters such as paddings, permutations, axes). */
  operand(slot: number): OperandInfo | undefined;
  /** Output `slot` of the file's operator: its shape and type (e.g. RESHAPE checks its new shape against it). */
  result(slot: number): OperandInfo | undefined;
  /** Intermediate tensor `slot` of the file's operator (TFLite's Operator.intermediates: the quantisation of an
   *  LSTM's internal values): shape, type and quantisation. */
  intermediate(slot: number): OperandInfo | undefined;
  /** Fails naming the file and op. */
  fail(message: string, hint?: string): never;
}

/** A parameter tensor the exporter adds to an operator (paddings, axes, ...): appended to the file's tensors. */
export interface ParamTensor {
  name: string;
  dtype: 'int32' | 'int8' | 'float32';
  shape: number[];
  values: readonly number[];
  quant?: Quant;
}

export interface TfliteMapping<K extends OpKind> {
  /** BuiltinOperator code (schema.ts). */
  builtin: number;
  /** BuiltinOptions union tag of its options table (BuiltinOptionsType.NONE when it has none). */
  optionsType: number;
  /** Attributes from the options table. */
  import(c: ImportCtx): OpAttrs<K>;
  /** The file's operand list -> the graph op's (default: all of them); e.g. RESHAPE drops its shape tensor. */
  operands?(inputs: number[]): number[];
  /** The file's operand list written for `op` (default: op.inputs): graph tensor ids and parameter tensors
   *  (constant operands the importer turned into attributes), in the file's operand order. */
  exportInputs?(op: OpOf<K>, g: Graph): Array<number | ParamTensor>;
  /** Intermediate tensors written with the operator (Operator.intermediates), e.g. an integer LSTM's five. */
  exportIntermediates?(op: OpOf<K>, g: Graph): ParamTensor[];
  /** Operator version written by the exporter (the int8 versions the TFLite converter emits). */
  version: number;
  /** Adds the options table; returns [union tag, offset] ([0, 0] for none). */
  export(b: Builder, op: OpOf<K>, g: Graph): [number, number];
}

export interface QuantCtx { graph: Graph; arith: Arith }

export interface OpDef<K extends OpKind = OpKind> {
  kind: K;
  /** One line for docs and `inspect`. */
  summary: string;
  /** How the two arithmetics (`--arith tflm`: TFLite Micro's reference kernels; `tflite`: desktop TFLite's
   *  interpreter) compute it, where they differ; 'same in both' otherwise. Printed in docs/operators.md. */
  arith: string;
  tflite?: TfliteMapping<K>;
  /** [min, max] operand and result counts (results default to exactly 1), and the operand slots that hold
   *  activations (the others are constants). */
  arity: { inputs: [number, number]; outputs?: [number, number]; activations(op: OpOf<K>): number[] };
  /** The output shape this op computes from its inputs and attributes; fails through `c` if inconsistent.
   *  (For an op with several outputs: the first one's; `inferAll` gives them all.) */
  infer(c: ShapeCheck, op: OpOf<K>): number[];
  /** Ops with several outputs (SPLIT, UNPACK, ...): one shape per output, in order. */
  inferAll?(c: ShapeCheck, op: OpOf<K>): number[][];
  /** Operand and result dtypes / quantisation for the graph validator; absent: every activation operand and the
   *  output are int8 quantised per tensor (the default). Ops at the float edges (quantize, dequantize) check their own. */
  types?(c: ShapeCheck, op: OpOf<K>): void;
  /** The backends' requirements beyond a well-formed graph (legalize pass). */
  legalize(c: LegalCheck, op: OpOf<K>): void;
  /** Fills the quantisation fields of the kernel op lowered from `op` (fold-requant). */
  fold?(q: QuantCtx, op: OpOf<K>, k: KernelOp): KernelOp;
  /** The output clamp [actMin, actMax] (fuse-activation). */
  clamp?(g: Graph, op: OpOf<K>): { actMin: number; actMax: number };
  /** Lowering rules to kernel IR (the highest-priority applicable one wins). */
  lower: readonly LoweringRule<K>[];
  /** Theoretical multiply-accumulates (0 for data movement and element-wise ops). */
  macs(g: Graph, op: OpOf<K>, t: (id: number) => Tensor): number;
  /** Prepares the golden runtime's launch of this op (constants uploaded once). */
  golden(ctx: GoldenCtx, op: OpOf<K>): GoldenLaunch;
  /** OpenEdgeCGRA: mapped onto the array (as the layer family named), or run by the host CPU, and why. */
  cgra: { maps: 'conv' | 'depthwise' | 'fc' } | { host: string };
}

/** Identity helper that keeps an op definition's kind precise at its definition site. */
export function defineOp<K extends OpKind>(d: OpDef<K>): OpDef<K> {
  return d;
}
