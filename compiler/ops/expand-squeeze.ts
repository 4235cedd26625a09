// EXPAND_DIMS and SQUEEZE: the same elements with a dimension of size 1 inserted or removed, so both are
// views: they lower to the kernel `reshape` (the output aliases the input) and the golden runtime copies
// the bytes. EXPAND_DIMS's axis operand is read at import (negative: counted from the end of the output).
import { numElements, type OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { rule, type KernelOpDraft, type LowerCtx } from './lowering.ts';
import { constValues, inShape, int32Param, legalShape, legalizeMovement, resolveAxis } from './movement.ts';
import { defineOp } from './op-def.ts';
import { int32Vector, table } from './tflite-options.ts';
import type { GoldenCtx, GoldenLaunch } from './golden-abi.ts';
import type { Op } from '../ir/graph.ts';

/** inputs [x]; a dimension of size 1 inserted at `axis` of the output (negative: from the end). */
export interface ExpandDimsOp extends OpBase {
  kind: 'expand_dims';
  axis: number;
}

/** inputs [x]; the size-1 dimensions listed in `squeezeDims` removed (all size-1 dimensions when empty). */
export interface SqueezeOp extends OpBase {
  kind: 'squeeze';
  squeezeDims: number[];
}

type Fail = (m: string) => never;

function expandShape(fail: Fail, x: readonly number[], axisAttr: number): number[] {
  const axis = resolveAxis(fail, axisAttr, x.length + 1);
  return [...x.slice(0, axis), 1, ...x.slice(axis)];
}

function squeezeShape(fail: Fail, x: readonly number[], dims: readonly number[]): number[] {
  if (dims.length === 0) return x.filter((d) => d !== 1);
  const drop = new Set(dims.map((d) => resolveAxis(fail, d, x.length, 'squeeze dimension')));
  for (const d of drop) if (x[d] !== 1) fail(`dimension ${d} of [${x}] has size ${x[d]}, not 1`);
  return x.filter((_, i) => !drop.has(i));
}

const view = {
  arity: { inputs: [1, 1] as [number, number], activations: () => [0] },
  macs: () => 0,
  golden: (ctx: GoldenCtx, op: Op): GoldenLaunch => {
    const bytes = numElements(ctx.T(0).shape);
    const xId = op.inputs[0]!, yId = op.outputs[0]!;
    return { scratch: 0, make: () => (p) => ctx.ex.copyBytes(p[xId]!, p[yId]!, bytes) };
  },
  cgra: { host: 'a view: no computation' } as const,
};

const asReshape = (ctx: LowerCtx, op: Op): KernelOpDraft => ({ kind: 'reshape', inputs: [ctx.buffer(op.inputs[0]!)], output: ctx.buffer(op.outputs[0]!) });

export const expandDims = defineOp<'expand_dims'>({
  kind: 'expand_dims',
  summary: 'inserts a dimension of size 1 (a view)',
  arith: 'same in both (no arithmetic)',
  tflite: {
    builtin: BuiltinOperator.EXPAND_DIMS,
    optionsType: BuiltinOptionsType.ExpandDimsOptions,
    import: (c) => {
      const axis = constValues(c, 1, 'axis');
      if (axis.length !== 1) c.fail(`axis holds ${axis.length} values`, 'a scalar axis');
      return { kind: 'expand_dims', name: c.name, axis: axis[0]! };
    },
    operands: (inputs) => inputs.slice(0, 1),
    exportInputs: (op) => [op.inputs[0]!, int32Param(`${op.name ?? 'expand_dims'}/axis`, [op.axis], [])],
    version: 1,
    export: (b) => [BuiltinOptionsType.ExpandDimsOptions, table(b, 0, () => {})],
  },
  ...view,
  infer: (c, op) => expandShape((m) => c.fail(m), inShape(c), op.axis),
  legalize: (c, op) => {
    const { x, y } = legalizeMovement(c, op);
    legalShape(c, y[0]!, expandShape((m) => c.fail(m), x[0]!.shape, op.axis));
  },
  lower: [rule({ name: 'expand_dims', kinds: ['expand_dims'], priority: 0, lower: asReshape })],
});

export const squeeze = defineOp<'squeeze'>({
  kind: 'squeeze',
  summary: 'removes dimensions of size 1 (a view)',
  arith: 'same in both (no arithmetic)',
  tflite: {
    builtin: BuiltinOperator.SQUEEZE,
    optionsType: BuiltinOptionsType.SqueezeOptions,
    import: (c) => {
      const dims = c.opts.i32s(Slot.SqueezeOptions.squeezeDims);
      return { kind: 'squeeze', name: c.name, squeezeDims: dims };
    },
    version: 1,
    export: (b, op) => {
      const dims = int32Vector(b, op.squeezeDims);
      return [BuiltinOptionsType.SqueezeOptions, table(b, 1, () => b.addFieldOffset(Slot.SqueezeOptions.squeezeDims, dims, 0))];
    },
  },
  ...view,
  infer: (c, op) => squeezeShape((m) => c.fail(m), inShape(c), op.squeezeDims),
  legalize: (c, op) => {
    const { x, y } = legalizeMovement(c, op);
    legalShape(c, y[0]!, squeezeShape((m) => c.fail(m), x[0]!.shape, op.squeezeDims));
  },
  lower: [rule({ name: 'squeeze', kinds: ['squeeze'], priority: 0, lower: asReshape })],
});
