// SPLIT and SPLIT_V: the input cut along one axis into several outputs (equal parts, or the sizes of
// size_splits, one of which may be -1 for the rest). The axis and sizes are read at import from their
// constant operands. Multi-output: one kernel `copy` per output.
import type { OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import type { LegalCheck, ShapeCheck } from './checks.ts';
import type { GoldenCtx, GoldenLaunch } from './golden-abi.ts';
import { rule, type KernelOpDraft, type LowerCtx } from './lowering.ts';
import { blockFrom, constValues, contiguous, copyDraft, goldenCopies, inShape, int32Param, legalShape, legalizeMovement, resolveAxis, type CopyRegion } from './movement.ts';
import { defineOp } from './op-def.ts';
import { table } from './tflite-options.ts';

/** inputs [x]; `numSplits` equal parts along `axis`. */
export interface SplitOp extends OpBase {
  kind: 'split';
  axis: number;
  numSplits: number;
}

/** inputs [x]; parts of sizes `sizeSplits` (one may be -1: the rest) along `axis`. */
export interface SplitVOp extends OpBase {
  kind: 'split_v';
  axis: number;
  sizeSplits: number[];
}

type Fail = (m: string) => never;

function splitSizes(fail: Fail, x: readonly number[], op: SplitOp | SplitVOp): { axis: number; sizes: number[] } {
  const axis = resolveAxis(fail, op.axis, x.length);
  const n = x[axis]!;
  if (op.kind === 'split') {
    if (!Number.isInteger(op.numSplits) || op.numSplits < 1 || n % op.numSplits !== 0) fail(`num_splits ${op.numSplits} does not divide dimension ${axis} of size ${n}`);
    return { axis, sizes: new Array<number>(op.numSplits).fill(n / op.numSplits) };
  }
  const unknown = op.sizeSplits.filter((s) => s === -1).length;
  if (unknown > 1 || op.sizeSplits.some((s) => !Number.isInteger(s) || s < -1 || s === 0)) fail(`size_splits [${op.sizeSplits}] must be positive sizes with at most one -1`);
  const known = op.sizeSplits.reduce((a, s) => a + (s === -1 ? 0 : s), 0);
  const sizes = op.sizeSplits.map((s) => (s === -1 ? n - known : s));
  if (sizes.reduce((a, s) => a + s, 0) !== n || sizes.some((s) => s < 1)) fail(`size_splits [${op.sizeSplits}] do not add up to dimension ${axis} of size ${n}`);
  return { axis, sizes };
}

function splitShapes(fail: Fail, x: readonly number[], op: SplitOp | SplitVOp): number[][] {
  const { axis, sizes } = splitSizes(fail, x, op);
  return sizes.map((s) => x.map((d, i) => (i === axis ? s : d)));
}

function splitRegions(x: readonly number[], op: SplitOp | SplitVOp): CopyRegion[] {
  const { axis, sizes } = splitSizes((m) => { throw new Error(m); }, x, op);
  const st = contiguous(x);
  let at = 0;
  return sizes.map((s) => {
    const r = blockFrom(x, at * st[axis]!, x.map((d, i) => (i === axis ? s : d)));
    at += s;
    return r;
  });
}

function shapes(c: ShapeCheck, op: SplitOp | SplitVOp): number[][] {
  const x = inShape(c);
  if (x.length > 6) c.fail(`input rank ${x.length} is above 6`);
  const out = splitShapes((m) => c.fail(m), x, op);
  if (out.length !== op.outputs.length) c.fail(`splits into ${out.length} parts but has ${op.outputs.length} outputs`);
  return out;
}

const common = {
  arity: { inputs: [1, 1] as [number, number], outputs: [1, 64] as [number, number], activations: () => [0] },
  macs: () => 0,
  cgra: { host: 'data movement: no multiply-accumulates to map' },
};

/** Both split ops: the outputs are the parts of the input along the axis (legalize, one copy per output). */
function legalizeSplit(c: LegalCheck, op: SplitOp | SplitVOp): void {
  const { x, y } = legalizeMovement(c, op);
  const want = splitShapes((m) => c.fail(m), x[0]!.shape, op);
  if (want.length !== y.length) c.fail(`splits into ${want.length} parts but has ${y.length} outputs`);
  y.forEach((t, k) => legalShape(c, t, want[k]!));
}

function lowerSplit(ctx: LowerCtx, op: SplitOp | SplitVOp): KernelOpDraft[] {
  return splitRegions(ctx.t(op.inputs[0]!).shape, op).map((r, k) => copyDraft(ctx, [op.inputs[0]!], op.outputs[k]!, [r]));
}

function goldenSplit(ctx: GoldenCtx, op: SplitOp | SplitVOp): GoldenLaunch {
  return goldenCopies(ctx, splitRegions(ctx.T(0).shape, op).map((region, k) => ({ from: op.inputs[0]!, to: op.outputs[k]!, region })));
}

export const split = defineOp<'split'>({
  kind: 'split',
  summary: 'cuts the input into equal parts along an axis (several outputs)',
  arith: 'same in both (int8 values moved unchanged)',
  tflite: {
    builtin: BuiltinOperator.SPLIT,
    optionsType: BuiltinOptionsType.SplitOptions,
    // file operands: [axis, input]
    import: (c) => {
      const axis = constValues(c, 0, 'axis');
      if (axis.length !== 1) c.fail(`axis holds ${axis.length} values`, 'a scalar axis');
      return { kind: 'split', name: c.name, axis: axis[0]!, numSplits: c.opts.i32(Slot.SplitOptions.numSplits) };
    },
    operands: (inputs) => inputs.slice(1, 2),
    exportInputs: (op) => [int32Param(`${op.name ?? 'split'}/axis`, [op.axis], []), op.inputs[0]!],
    version: 2,
    export: (b, op) => [BuiltinOptionsType.SplitOptions, table(b, 1, () => b.addFieldInt32(Slot.SplitOptions.numSplits, op.numSplits, 0))],
  },
  ...common,
  infer: (c, op) => shapes(c, op)[0]!,
  inferAll: (c, op) => shapes(c, op),
  legalize: legalizeSplit,
  lower: [rule({ name: 'split', kinds: ['split'], priority: 0, lower: lowerSplit })],
  golden: goldenSplit,
});

export const splitV = defineOp<'split_v'>({
  kind: 'split_v',
  summary: 'cuts the input into parts of given sizes along an axis (several outputs)',
  arith: 'same in both (int8 values moved unchanged)',
  tflite: {
    builtin: BuiltinOperator.SPLIT_V,
    optionsType: BuiltinOptionsType.SplitVOptions,
    // file operands: [input, size_splits, axis]
    import: (c) => {
      const axis = constValues(c, 2, 'axis');
      if (axis.length !== 1) c.fail(`axis holds ${axis.length} values`, 'a scalar axis');
      return { kind: 'split_v', name: c.name, axis: axis[0]!, sizeSplits: constValues(c, 1, 'size_splits') };
    },
    operands: (inputs) => inputs.slice(0, 1),
    exportInputs: (op) => [op.inputs[0]!, int32Param(`${op.name ?? 'split_v'}/size_splits`, op.sizeSplits), int32Param(`${op.name ?? 'split_v'}/axis`, [op.axis], [])],
    version: 2,
    export: (b, op) => [BuiltinOptionsType.SplitVOptions, table(b, 1, () => b.addFieldInt32(Slot.SplitVOptions.numSplits, op.sizeSplits.length, 0))],
  },
  ...common,
  infer: (c, op) => shapes(c, op)[0]!,
  inferAll: (c, op) => shapes(c, op),
  legalize: legalizeSplit,
  lower: [rule({ name: 'split_v', kinds: ['split_v'], priority: 0, lower: lowerSplit })],
  golden: goldenSplit,
});
