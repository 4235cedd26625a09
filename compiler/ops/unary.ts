// What the int8 element-wise operators of one input share (RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, LOGISTIC,
// TANH, HARD_SWISH, QUANTIZE int8 -> int8): output shape = input shape, int8 per-tensor activations, the
// golden launch of their AssemblyScript kernel (runtime-wasm/assembly/activations.ts) from the Prepare
// integers of compiler/quant/unary.ts, and the lowering to one kernel-IR `lut` op: a function of one int8
// byte is a 256-entry table, computed here at compile time in the module's arithmetic (the lowering context
// knows it), so a Cortex-M kernel is one load per element whatever the op's arithmetic.
import type { Builder } from 'flatbuffers';
import { numElements, type Graph, type Op, type OpBase } from '../ir/graph.ts';
import { unaryParams, unaryTable, type LutKind } from '../quant/unary.ts';
import type { LegalCheck } from './checks.ts';
import type { GoldenCtx, GoldenLaunch } from './golden-abi.ts';
import { rule } from './lowering.ts';
import type { ImportCtx, OpDef } from './op-def.ts';
import { BuiltinOptionsType } from '../frontend/tflite/schema.ts';
import { table } from './tflite-options.ts';

/** The parameterless element-wise kinds (LEAKY_RELU carries alpha: leaky-relu.ts). */
export interface ElementwiseOp extends OpBase {
  kind: 'relu' | 'relu6' | 'relu_n1_to_1' | 'logistic' | 'tanh' | 'hard_swish';
}

/** The golden launch of any LUT kind: its params decide the kernel. */
export function unaryGolden(ctx: GoldenCtx, op: Op): GoldenLaunch {
  const { ex } = ctx;
  const p = unaryParams(ctx.graph, op, ctx.arith);
  const n = numElements(ctx.T(0).shape);
  const x = op.inputs[0]!, y = op.outputs[0]!;
  switch (p.type) {
    case 'rescale':
      return { scratch: 0, make: () => (t) => ex.rescale8(t[x]!, t[y]!, n, p.inZp, p.mult, p.shift, p.outZp, p.lo, p.hi) };
    case 'clamp':
      // A clamp is the identity rescale (multiplier 2^30, shift 1 is exact) with the clamp range.
      return { scratch: 0, make: () => (t) => ex.rescale8(t[x]!, t[y]!, n, 0, 1 << 30, 1, 0, p.lo, p.hi) };
    case 'leaky':
      return { scratch: 0, make: () => (t) => ex.leakyRelu8(t[x]!, t[y]!, n, p.inZp, p.outZp, p.multId, p.shiftId, p.multAlpha, p.shiftAlpha) };
    case 'hard_swish':
      return { scratch: 0, make: () => (t) => ex.hardSwish8(t[x]!, t[y]!, n, p.inZp, p.outZp, p.outMult16, p.outExp, p.reluishMult16, p.reluishExp) };
    case 'logistic_fx':
      return { scratch: 0, make: () => (t) => ex.logisticQ4s8(t[x]!, t[y]!, n, p.inZp, p.radius, p.mult, p.shift) };
    case 'tanh_fx':
      return { scratch: 0, make: () => (t) => ex.tanhQ4s8(t[x]!, t[y]!, n, p.inZp, p.radius, p.mult, p.shift) };
    case 'logistic_lut':
    case 'tanh_lut': {
      const isTanh = p.type === 'tanh_lut' ? 1 : 0;
      return { scratch: 256, make: (s) => (t) => ex.sigmoidLut8(t[x]!, t[y]!, n, isTanh, p.inScale, p.inZp, p.outScale, p.outZp, s) };
    }
  }
}

/** Input and output: int8 per-tensor activations of one shape. */
export function legalizeSameShape(c: LegalCheck, op: Op, int16 = false): void {
  const x = c.act(op.inputs[0], 'input', int16);
  const y = c.act(op.outputs[0], 'output', int16);
  if (x.dtype !== y.dtype) c.fail(`input is ${x.dtype} but output is ${y.dtype}`, 'element-wise operators keep the type');
  if (x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i])) c.fail(`output shape [${y.shape}] differs from input shape [${x.shape}]`, 'element-wise operators keep the shape');
}

/** The lowering rule of a LUT kind: one `lut` op with the table of the module's arithmetic. */
export function lutRule(kind: LutKind) {
  return rule<LutKind>({
    name: `${kind}-lut`,
    kinds: [kind],
    priority: 0,
    lower: (ctx, op: Op) => {
      const x = ctx.t(op.inputs[0]!), y = ctx.t(op.outputs[0]!);
      const tbl = ctx.newConstant(`${op.name ?? kind}_lut`, 'int8', [256], unaryTable(ctx.graph, op, ctx.arith));
      return { kind: 'lut', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id), size: numElements(x.shape), table: tbl, fn: kind };
    },
  });
}

/** A TFLite mapping without an options table (RELU, LOGISTIC, ...) or with an empty one (HARD_SWISH, QUANTIZE). */
export function plainTflite<K extends ElementwiseOp['kind']>(kind: K, builtin: number, version: number, emptyOptions?: number) {
  return {
    builtin,
    optionsType: emptyOptions ?? BuiltinOptionsType.NONE,
    import: (c: ImportCtx) => ({ kind, name: c.name }),
    version,
    export: (b: Builder): [number, number] => (emptyOptions === undefined ? [0, 0] : [emptyOptions, table(b, 0, () => {})]),
  };
}

/** The definition of a parameterless element-wise kind. */
export function elementwiseDef<K extends ElementwiseOp['kind']>(kind: K, builtin: number, version: number, summary: string,
  extra: { arith?: string; emptyOptions?: number; legalize?: (c: LegalCheck, op: ElementwiseOp, g: Graph) => void } = {}): OpDef<K> {
  const def: OpDef<ElementwiseOp['kind']> = {
    kind,
    summary,
    arith: extra.arith ?? 'same in both',
    tflite: plainTflite(kind, builtin, version, extra.emptyOptions) as never,
    arity: { inputs: [1, 1], activations: () => [0] },
    infer: (c) => c.tensor(0, 'input').shape,
    legalize: (c, op) => {
      legalizeSameShape(c, op);
      extra.legalize?.(c, op, c.g);
    },
    lower: [lutRule(kind) as never],
    macs: () => 0,
    golden: (ctx, op) => unaryGolden(ctx, op),
    cgra: { host: 'element-wise: no multiply-accumulates to map' },
  };
  return def as unknown as OpDef<K>;
}

