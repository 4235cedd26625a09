// PAD and PADV2: the input copied into a larger output, the border filled with a constant: PAD's is the
// output zero point (real 0), PADV2's its int8 constant_values operand (TFLite and TFLite Micro alike;
// both require that constant to be quantised as the output). Paddings are read at import from the
// constant [rank, 2] operand and kept as an attribute. Lowered to a kernel `copy` with a fill value.
import { numElements, type OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType } from '../frontend/tflite/schema.ts';
import { int8Or16Types, type LegalCheck, type ShapeCheck } from './checks.ts';
import type { GoldenCtx, GoldenLaunch } from './golden-abi.ts';
import { rule, type KernelOpDraft, type LowerCtx } from './lowering.ts';
import { blockInto, constValues, contiguous, copyDraft, goldenCopies, inShape, int32Param, legalShape, legalizeMovement } from './movement.ts';
import { defineOp, type ImportCtx } from './op-def.ts';
import { table } from './tflite-options.ts';

/** inputs [x]; paddings[d] = [before, after] elements of dimension d. */
export interface PadOp extends OpBase {
  kind: 'pad';
  paddings: Array<[number, number]>;
}

/** PADV2: as PAD with an explicit int8 border value (raw, in the output's quantisation; absent: the output zero point). */
export interface PadV2Op extends OpBase {
  kind: 'pad_v2';
  paddings: Array<[number, number]>;
  value?: number;
}

function importPaddings(c: ImportCtx): Array<[number, number]> {
  const rank = c.operand(0)?.shape.length ?? 0;
  const v = constValues(c, 1, 'paddings');
  if (v.length !== 2 * rank) c.fail(`paddings hold ${v.length} values for an input of rank ${rank}`, `expected a [${rank}, 2] tensor`);
  return Array.from({ length: rank }, (_, d) => [v[2 * d]!, v[2 * d + 1]!] as [number, number]);
}

function padShape(c: ShapeCheck, paddings: Array<[number, number]>): number[] {
  const x = inShape(c);
  if (paddings.length !== x.length) c.fail(`paddings have ${paddings.length} rows for an input of rank ${x.length}`);
  if (x.length > 6) c.fail(`input rank ${x.length} is above 6`);
  if (paddings.some(([a, b]) => !Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0)) c.fail(`paddings must be non-negative integers, got ${JSON.stringify(paddings)}`);
  return x.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
}

const offsetOf = (outShape: number[], paddings: Array<[number, number]>) => {
  const st = contiguous(outShape);
  return paddings.reduce((s, [before], d) => s + before * st[d]!, 0);
};

type AnyPad = PadOp | PadV2Op;

/** The border value: PADV2's constant, else the output zero point. */
const fillOf = (op: AnyPad, zp: number) => (op.kind === 'pad_v2' && op.value !== undefined ? op.value : zp);

const shared = {
  arity: { inputs: [1, 1] as [number, number], activations: () => [0] },
  infer: (c: ShapeCheck, op: AnyPad) => padShape(c, op.paddings),
  // int8, or int16 (16x8 models: TFLite Micro's PAD copies int16 values; the golden runtime runs it).
  types: (c: ShapeCheck) => { int8Or16Types(c, [0]); },
  legalize: (c: LegalCheck, op: AnyPad) => {
    const { x, y } = legalizeMovement(c, op, [op.inputs[0]!], true);
    legalShape(c, y[0]!, x[0]!.shape.map((d, i) => d + (op.paddings[i]?.[0] ?? 0) + (op.paddings[i]?.[1] ?? 0)));
  },
  macs: () => 0,
  golden: (ctx: GoldenCtx, op: AnyPad): GoldenLaunch => {
    const x = ctx.T(0), y = ctx.Y;
    return goldenCopies(ctx, [{ from: x.id, to: y.id, region: blockInto(x.shape, y.shape, offsetOf(y.shape, op.paddings)) }],
      [{ to: y.id, value: fillOf(op, y.quant?.zeroPoint[0] ?? 0), bytes: numElements(y.shape) }]);
  },
  cgra: { host: 'data movement: no multiply-accumulates to map' } as const,
};

function lowerPad(ctx: LowerCtx, op: AnyPad): KernelOpDraft {
  const x = ctx.t(op.inputs[0]!), y = ctx.t(op.outputs[0]!);
  return copyDraft(ctx, [x.id], y.id, [blockInto(x.shape, y.shape, offsetOf(y.shape, op.paddings))], fillOf(op, y.quant!.zeroPoint[0]!));
}

const paddingsParam = (op: PadOp | PadV2Op) => int32Param(`${op.name ?? 'pad'}/paddings`, op.paddings.flat(), [op.paddings.length, 2]);

export const pad = defineOp<'pad'>({
  kind: 'pad',
  summary: 'pads with the output zero point (real 0)',
  arith: 'same in both (int8 values moved unchanged)',
  ...shared,
  lower: [rule({ name: 'pad', kinds: ['pad'], priority: 0, lower: lowerPad })],
  tflite: {
  builtin: BuiltinOperator.PAD,
  optionsType: BuiltinOptionsType.PadOptions,
  import: (c) => ({ kind: 'pad', name: c.name, paddings: importPaddings(c) }),
  operands: (inputs) => inputs.slice(0, 1),
  exportInputs: (op) => [op.inputs[0]!, paddingsParam(op)],
  version: 2,
  export: (b) => [BuiltinOptionsType.PadOptions, table(b, 0, () => {})],
  },
});

export const padV2 = defineOp<'pad_v2'>({
  kind: 'pad_v2',
  summary: 'pads with a given int8 constant',
  arith: 'same in both (int8 values moved unchanged)',
  ...shared,
  lower: [rule({ name: 'pad_v2', kinds: ['pad_v2'], priority: 0, lower: lowerPad })],
  tflite: {
  builtin: BuiltinOperator.PADV2,
  optionsType: BuiltinOptionsType.PadV2Options,
  import: (c) => {
    const paddings = importPaddings(c);
    // Without constant_values TFLite pads with the output zero point, as PAD.
    const o = c.operand(2);
    if (!o) return { kind: 'pad_v2', name: c.name, paddings };
    if (o.type !== 'INT8') c.fail(`constant_values is ${o.type}`, 'an int8 PADV2 needs an int8 constant_values');
    if (o.values === undefined || o.values.length !== 1) return c.fail('constant_values must be a constant holding one value');
    // TFLite Micro's Prepare: the constant must be quantised as the output (its raw value is written as is).
    const y = c.result(0)?.quant, q = o.quant;
    if (y && (!q || q.scale[0] !== y.scale[0] || q.zeroPoint[0] !== y.zeroPoint[0])) {
      c.fail(`constant_values is quantised (scale ${q?.scale[0]}, zero point ${q?.zeroPoint[0]}) unlike the output (scale ${y.scale[0]}, zero point ${y.zeroPoint[0]})`,
        'PADV2 writes the constant unchanged: it must have the output\'s scale and zero point');
    }
    return { kind: 'pad_v2', name: c.name, paddings, value: o.values[0]! };
  },
  operands: (inputs) => inputs.slice(0, 1),
  exportInputs: (op, g) => [op.inputs[0]!, paddingsParam(op), ...(op.value === undefined ? [] : [
    { name: `${op.name ?? 'padv2'}/constant_values`, dtype: 'int8' as const, shape: [], values: [op.value], quant: g.tensors[op.outputs[0]!]!.quant }])],
  version: 2,
  export: (b) => [BuiltinOptionsType.PadV2Options, table(b, 0, () => {})],
  },
});
