// MEAN and SUM over the axes of a constant axis operand (read at import, kept as the `axes` attribute and
// written back as an int32 tensor), keep_dims or not. int8 in both arithmetics, three ways of computing
// (compiler/quant/params.ts reduceQuantParams): TFLite Micro's integer QuantizedMeanOrSum for every case
// (`tflm`); desktop TFLite's optimised int8 spatial MEAN (4-D, keep_dims, axes exactly {1, 2}) and its
// float32 QuantizedMeanOrSum for the other cases, or its plain integer mean when the quantisation is kept (`tflite`). Lowered to one kernel-IR `reduce` op.
import { TinyforgeError } from '../diagnostics.ts';
import { numElements, type OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { reduceQuantParams, resolveAxes } from '../quant/params.ts';
import type { ShapeCheck } from './checks.ts';
import { rule } from './lowering.ts';
import { defineOp, type ImportCtx, type OpDef } from './op-def.ts';
import { table, int32Param } from './tflite-options.ts';

/** inputs [x]; the axes as the file gave them (may be negative or repeated: TFLite's special cases look at them raw). */
export interface ReduceOp extends OpBase {
  kind: 'mean' | 'sum';
  axes: number[];
  keepDims: boolean;
}

type ReduceKind = ReduceOp['kind'];

/** The output shape TFLite's ResizeOutputTensor gives. */
export function reduceShape(inShape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const reduced = new Set(resolveAxes(axes, inShape.length));
  return keepDims ? inShape.map((d, i) => (reduced.has(i) ? 1 : d)) : inShape.filter((_, i) => !reduced.has(i));
}

function importReduce<K extends ReduceKind>(c: ImportCtx, kind: K) {
  const a = c.operand(1);
  if (!a || !a.values) c.fail(`${kind.toUpperCase()} needs a constant INT32 axis tensor (input 1)`, 'the axes must be known at compile time');
  const rank = c.operand(0)?.shape.length ?? 0;
  for (const v of a.values) if (v < -rank || v >= rank) c.fail(`${kind.toUpperCase()} axis ${v} is outside [${-rank}, ${rank - 1}]`);
  return { kind, name: c.name, axes: [...a.values], keepDims: c.opts.bool(Slot.ReducerOptions.keepDims, false) };
}

function inferReduce(c: ShapeCheck): number[] {
  const op = c.op as ReduceOp;
  const x = c.tensor(0, 'input');
  if (x.shape.length < 1 || x.shape.length > 6) c.fail(`input '${x.name}' must have rank 1 to 6, has shape [${x.shape}]`);
  if (op.axes.length === 0) c.fail('needs at least one axis');
  for (const a of op.axes) if (!Number.isInteger(a) || a < -x.shape.length || a >= x.shape.length) c.fail(`axis ${a} is outside [${-x.shape.length}, ${x.shape.length - 1}]`);
  return reduceShape(x.shape, op.axes, op.keepDims);
}

function reduceDef<K extends ReduceKind>(kind: K, builtin: number, summary: string): OpDef<K> {
  const def: OpDef<ReduceKind> = {
    kind,
    summary,
    arith: kind === 'mean'
      ? 'tflm: integer, (sum - inZp*n) times a multiplier with 1/n folded in, double rounding; tflite: 4-D keep_dims over axes exactly (1, 2): integer with a float32-derived multiplier and bias; same input/output quantisation: sum / n truncated; otherwise float32 round((sum / n) * scale + bias), clamped'
      : 'tflm: integer, (sum - inZp*n) times the multiplier, double rounding, clamped; tflite: float32 round(sum * scale + bias) + outZp, wrapped to int8 (no clamp)',
    tflite: {
      builtin,
      optionsType: BuiltinOptionsType.ReducerOptions,
      import: (c) => importReduce(c, kind),
      operands: (inputs) => inputs.slice(0, 1),
      exportInputs: (op) => [op.inputs[0]!, int32Param(`${op.name ?? kind}.axes`, op.axes)],
      version: 2,
      export: (b, o) => [BuiltinOptionsType.ReducerOptions, table(b, 1, () => b.addFieldInt8(Slot.ReducerOptions.keepDims, o.keepDims ? 1 : 0, 0))],
    },
    arity: { inputs: [1, 1], activations: () => [0] },
    infer: inferReduce,
    legalize: (c, op) => {
      const x = c.act(op.inputs[0], 'input');
      const y = c.act(op.outputs[0], 'output');
      const want = reduceShape(x.shape, op.axes, op.keepDims);
      if (numElements(want) !== numElements(y.shape)) c.fail(`output '${y.name}' has shape [${y.shape}]`, `expected [${want}]`);
    },
    lower: [
      rule({
        name: kind,
        kinds: [kind as ReduceKind],
        priority: 0,
        lower: (ctx, op) => {
          const x = ctx.t(op.inputs[0]!);
          const q = reduceQuantParams(ctx.graph, op, ctx.arith);
          return {
            kind: 'reduce', reduceKind: op.kind, inputs: [ctx.buffer(x.id)], output: ctx.buffer(op.outputs[0]!),
            inShape: [...x.shape], axes: resolveAxes(op.axes, x.shape.length), ...q,
          };
        },
      }),
    ],
    macs: () => 0,
    golden: (ctx, op) => {
      const shape = ctx.T(0).shape;
      if (shape.length > 6) throw new TinyforgeError(`${op.kind}: input rank ${shape.length} exceeds 6`);
      const dims = [...new Array(6 - shape.length).fill(1), ...shape];
      let mask = 0;
      for (const a of resolveAxes(op.axes, shape.length)) mask |= 1 << (a + 6 - shape.length);
      const q = reduceQuantParams(ctx.graph, op, ctx.arith);
      const method = { integer: 0, spatial: 1, float: 2, plain: 3 }[q.method];
      const outN = numElements(ctx.Y.shape);
      const xId = op.inputs[0]!, yId = op.outputs[0]!;
      return {
        scratch: outN * 4,
        make: (scratch) => (p) => ctx.ex.reduce(p[xId]!, p[yId]!, dims[0]!, dims[1]!, dims[2]!, dims[3]!, dims[4]!, dims[5]!, mask, scratch,
          method, op.kind === 'sum' ? 1 : 0, q.count, q.inputOffset, q.outputOffset, q.multiplier, q.shift, q.bias, q.fscale, q.fbias),
      };
    },
    cgra: { host: 'a reduction: additions and one requantisation per output, no multiply-accumulates to map' },
  };
  return def as unknown as OpDef<K>;
}

export const mean = defineOp(reduceDef('mean', BuiltinOperator.MEAN, 'mean over constant axes (int8, requantised)'));
export const sum = defineOp(reduceDef('sum', BuiltinOperator.SUM, 'sum over constant axes (int8, requantised)'));
