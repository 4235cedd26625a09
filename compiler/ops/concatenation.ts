// CONCATENATION along any axis. int8: TFLite (Prepare) and TFLite Micro (Prepare) both require every input
// to have the output's scale and zero point ("no re-scaling needed for Int8 quantized kernel"), and then
// copy the values unchanged; neither requantises differing inputs for int8 (only the legacy uint8 kernel
// does). So does this op: legalize rejects differing quantisation. The fused activation must be NONE (as
// TFLite's Prepare requires). Lowered to one kernel `copy` with one region per input.
import type { Activation, OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { rule } from './lowering.ts';
import { int8Or16Types } from './checks.ts';
import { blockInto, contiguous, copyDraft, goldenCopies, legalShape, legalizeMovement, resolveAxis, type CopyRegion } from './movement.ts';
import { defineOp } from './op-def.ts';
import { ACTIVATION_CODE, activation, table } from './tflite-options.ts';

/** inputs [x0, x1, ...] concatenated along `axis` (negative counts from the end). */
export interface ConcatenationOp extends OpBase {
  kind: 'concatenation';
  axis: number;
  activation: Activation;
}

function concatShape(fail: (m: string) => never, shapes: number[][], axisAttr: number): number[] {
  const s0 = shapes[0]!;
  const axis = resolveAxis(fail, axisAttr, s0.length);
  shapes.forEach((s, k) => {
    if (s.length !== s0.length || s.some((d, i) => i !== axis && d !== s0[i])) fail(`input ${k} [${s}] does not match input 0 [${s0}] outside axis ${axis}`);
  });
  return s0.map((d, i) => (i === axis ? shapes.reduce((a, s) => a + s[axis]!, 0) : d));
}

function regions(shapes: number[][], out: number[], axisAttr: number): CopyRegion[] {
  const axis = axisAttr < 0 ? axisAttr + out.length : axisAttr;
  const st = contiguous(out);
  let at = 0;
  return shapes.map((s) => {
    const r = blockInto(s, out, at * st[axis]!);
    at += s[axis]!;
    return r;
  });
}

export const concatenation = defineOp<'concatenation'>({
  kind: 'concatenation',
  summary: 'joins its inputs along an axis',
  arith: 'same in both (values moved unchanged; both refuse int8 inputs quantised unlike the output)',
  tflite: {
    builtin: BuiltinOperator.CONCATENATION,
    optionsType: BuiltinOptionsType.ConcatenationOptions,
    import: (c) => ({
      kind: 'concatenation', name: c.name, axis: c.opts.i32(Slot.ConcatenationOptions.axis),
      activation: activation(c, c.opts.i8(Slot.ConcatenationOptions.activation)),
    }),
    version: 2,
    export: (b, op) => [BuiltinOptionsType.ConcatenationOptions, table(b, 2, () => {
      b.addFieldInt32(Slot.ConcatenationOptions.axis, op.axis, 0);
      b.addFieldInt8(Slot.ConcatenationOptions.activation, ACTIVATION_CODE[op.activation], 0);
    })],
  },
  arity: { inputs: [1, 64], activations: (op) => op.inputs.map((_, i) => i) },
  infer: (c, op) => {
    const shapes = op.inputs.map((_, i) => c.tensor(i, `input ${i}`).shape);
    if (shapes[0]!.length > 6) c.fail(`input rank ${shapes[0]!.length} is above 6`);
    return concatShape((m) => c.fail(m), shapes, op.axis);
  },
  // int8, or int16 (16x8 models): values moved unchanged.
  types: (c, op) => { int8Or16Types(c, op.inputs.map((_, i) => i)); },
  legalize: (c, op) => {
    const { x, y } = legalizeMovement(c, op, op.inputs, true);
    if (op.activation !== 'none') c.fail(`fused activation ${op.activation}`, 'TFLite requires CONCATENATION without a fused activation');
    legalShape(c, y[0]!, concatShape((m) => c.fail(m), x.map((t) => t.shape), op.axis));
  },
  lower: [
    rule({
      name: 'concatenation',
      kinds: ['concatenation'],
      priority: 0,
      lower: (ctx, op) => copyDraft(ctx, op.inputs, op.outputs[0]!,
        regions(op.inputs.map((id) => ctx.t(id).shape), ctx.t(op.outputs[0]!).shape, op.axis)),
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => {
    const rs = regions(op.inputs.map((_, i) => ctx.T(i).shape), ctx.Y.shape, op.axis);
    return goldenCopies(ctx, rs.map((region, i) => ({ from: op.inputs[i]!, to: op.outputs[0]!, region })));
  },
  cgra: { host: 'data movement: no multiply-accumulates to map' },
});
