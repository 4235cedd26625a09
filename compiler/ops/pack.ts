// PACK and UNPACK: PACK stacks N same-shaped inputs along a new axis (one kernel `copy`, a region per
// input); UNPACK cuts the input along an axis into N outputs without that axis (one kernel `copy` per
// output). int8 values move unchanged (TFLite requires the quantisation of inputs and outputs to agree).
import type { OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import type { ShapeCheck } from './checks.ts';
import { rule } from './lowering.ts';
import { blockFrom, blockInto, contiguous, copyDraft, goldenCopies, inShape, legalShape, legalizeMovement, resolveAxis, type CopyRegion } from './movement.ts';
import { defineOp } from './op-def.ts';
import { table } from './tflite-options.ts';

/** inputs [x0, ..., xN-1] (same shape) stacked along a new dimension `axis` of the output. */
export interface PackOp extends OpBase {
  kind: 'pack';
  axis: number;
}

/** inputs [x]; outputs: the slices of `x` along `axis`, without that dimension. */
export interface UnpackOp extends OpBase {
  kind: 'unpack';
  axis: number;
}

type Fail = (m: string) => never;

function packShape(fail: Fail, shapes: number[][], axisAttr: number): number[] {
  const s0 = shapes[0]!;
  shapes.forEach((s, k) => { if (s.join(',') !== s0.join(',')) fail(`input ${k} [${s}] differs from input 0 [${s0}]`); });
  const axis = resolveAxis(fail, axisAttr, s0.length + 1);
  return [...s0.slice(0, axis), shapes.length, ...s0.slice(axis)];
}

function packRegions(shapes: number[][], out: number[], axisAttr: number): CopyRegion[] {
  const axis = axisAttr < 0 ? axisAttr + out.length : axisAttr;
  const st = contiguous(out);
  return shapes.map((s, k) => blockInto([...s.slice(0, axis), 1, ...s.slice(axis)], out, k * st[axis]!));
}

function unpackShapes(fail: Fail, x: readonly number[], axisAttr: number): number[][] {
  const axis = resolveAxis(fail, axisAttr, x.length);
  const part = x.filter((_, i) => i !== axis);
  return Array.from({ length: x[axis]! }, () => [...part]);
}

function unpackRegions(x: readonly number[], axisAttr: number): CopyRegion[] {
  const axis = axisAttr < 0 ? axisAttr + x.length : axisAttr;
  const st = contiguous(x);
  const block = x.map((d, i) => (i === axis ? 1 : d));
  return Array.from({ length: x[axis]! }, (_, k) => blockFrom(x, k * st[axis]!, block));
}

function unpackInfer(c: ShapeCheck, op: UnpackOp): number[][] {
  const x = inShape(c);
  if (x.length > 6) c.fail(`input rank ${x.length} is above 6`);
  const out = unpackShapes((m) => c.fail(m), x, op.axis);
  if (out.length !== op.outputs.length) c.fail(`unpacks ${out.length} slices but has ${op.outputs.length} outputs`);
  return out;
}

export const pack = defineOp<'pack'>({
  kind: 'pack',
  summary: 'stacks same-shaped inputs along a new axis',
  arith: 'same in both (int8 values moved unchanged)',
  tflite: {
    builtin: BuiltinOperator.PACK,
    optionsType: BuiltinOptionsType.PackOptions,
    import: (c) => ({ kind: 'pack', name: c.name, axis: c.opts.i32(Slot.PackOptions.axis) }),
    version: 2,
    export: (b, op) => [BuiltinOptionsType.PackOptions, table(b, 2, () => {
      b.addFieldInt32(Slot.PackOptions.valuesCount, op.inputs.length, 0);
      b.addFieldInt32(Slot.PackOptions.axis, op.axis, 0);
    })],
  },
  arity: { inputs: [1, 64], activations: (op) => op.inputs.map((_, i) => i) },
  infer: (c, op) => {
    const shapes = op.inputs.map((_, i) => c.tensor(i, `input ${i}`).shape);
    if (shapes[0]!.length > 5) c.fail(`input rank ${shapes[0]!.length} is above 5`);
    return packShape((m) => c.fail(m), shapes, op.axis);
  },
  legalize: (c, op) => {
    const { x, y } = legalizeMovement(c, op, op.inputs);
    legalShape(c, y[0]!, packShape((m) => c.fail(m), x.map((t) => t.shape), op.axis));
  },
  lower: [
    rule({
      name: 'pack',
      kinds: ['pack'],
      priority: 0,
      lower: (ctx, op) => copyDraft(ctx, op.inputs, op.outputs[0]!, packRegions(op.inputs.map((id) => ctx.t(id).shape), ctx.t(op.outputs[0]!).shape, op.axis)),
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => goldenCopies(ctx, packRegions(op.inputs.map((_, i) => ctx.T(i).shape), ctx.Y.shape, op.axis)
    .map((region, i) => ({ from: op.inputs[i]!, to: op.outputs[0]!, region }))),
  cgra: { host: 'data movement: no multiply-accumulates to map' },
});

export const unpack = defineOp<'unpack'>({
  kind: 'unpack',
  summary: 'cuts the input into its slices along an axis (several outputs)',
  arith: 'same in both (int8 values moved unchanged)',
  tflite: {
    builtin: BuiltinOperator.UNPACK,
    optionsType: BuiltinOptionsType.UnpackOptions,
    import: (c) => ({ kind: 'unpack', name: c.name, axis: c.opts.i32(Slot.UnpackOptions.axis) }),
    version: 2,
    export: (b, op) => [BuiltinOptionsType.UnpackOptions, table(b, 2, () => {
      b.addFieldInt32(Slot.UnpackOptions.num, op.outputs.length, 0);
      b.addFieldInt32(Slot.UnpackOptions.axis, op.axis, 0);
    })],
  },
  arity: { inputs: [1, 1], outputs: [1, 64], activations: () => [0] },
  infer: (c, op) => unpackInfer(c, op)[0]!,
  inferAll: unpackInfer,
  legalize: (c, op) => {
    const { x, y } = legalizeMovement(c, op);
    const want = unpackShapes((m) => c.fail(m), x[0]!.shape, op.axis);
    if (want.length !== y.length) c.fail(`unpacks ${want.length} slices but has ${y.length} outputs`);
    y.forEach((t, k) => legalShape(c, t, want[k]!));
  },
  lower: [
    rule({
      name: 'unpack',
      kinds: ['unpack'],
      priority: 0,
      lower: (ctx, op) => unpackRegions(ctx.t(op.inputs[0]!).shape, op.axis).map((r, k) => copyDraft(ctx, [op.inputs[0]!], op.outputs[k]!, [r])),
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => goldenCopies(ctx, unpackRegions(ctx.T(0).shape, op.axis).map((region, k) => ({ from: op.inputs[0]!, to: op.outputs[k]!, region }))),
  cgra: { host: 'data movement: no multiply-accumulates to map' },
});
