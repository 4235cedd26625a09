// TRANSPOSE: output dimension d is input dimension perm[d] (up to 6 dimensions). The permutation is read at
// import from the constant operand and kept as an attribute. Lowered to a kernel `copy` whose input strides
// are the input's strides permuted (neighbouring dimensions that stay together are merged).
import type { OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType } from '../frontend/tflite/schema.ts';
import { rule } from './lowering.ts';
import { constValues, contiguous, copyDraft, goldenCopies, inShape, int32Param, legalShape, legalizeMovement, type CopyRegion } from './movement.ts';
import { defineOp } from './op-def.ts';
import { table } from './tflite-options.ts';

/** inputs [x]; output dimension d = input dimension perm[d]. */
export interface TransposeOp extends OpBase {
  kind: 'transpose';
  perm: number[];
}

function validPerm(perm: readonly number[], rank: number): boolean {
  return perm.length === rank && [...perm].sort((a, b) => a - b).every((v, i) => v === i);
}

function region(inS: readonly number[], perm: readonly number[]): CopyRegion {
  const out = perm.map((p) => inS[p]!);
  const st = contiguous(inS);
  return { shape: out, inOffset: 0, inStrides: perm.map((p) => st[p]!), outOffset: 0, outStrides: contiguous(out) };
}

export const transpose = defineOp<'transpose'>({
  kind: 'transpose',
  summary: 'permutes the dimensions',
  arith: 'same in both (int8 values moved unchanged)',
  tflite: {
    builtin: BuiltinOperator.TRANSPOSE,
    optionsType: BuiltinOptionsType.TransposeOptions,
    import: (c) => ({ kind: 'transpose', name: c.name, perm: constValues(c, 1, 'perm') }),
    operands: (inputs) => inputs.slice(0, 1),
    exportInputs: (op) => [op.inputs[0]!, int32Param(`${op.name ?? 'transpose'}/perm`, op.perm)],
    version: 2,
    export: (b) => [BuiltinOptionsType.TransposeOptions, table(b, 0, () => {})],
  },
  arity: { inputs: [1, 1], activations: () => [0] },
  infer: (c, op) => {
    const x = inShape(c);
    if (x.length > 6) c.fail(`input rank ${x.length} is above 6`);
    if (!validPerm(op.perm, x.length)) c.fail(`perm [${op.perm}] is not a permutation of 0..${x.length - 1}`);
    return op.perm.map((p) => x[p]!);
  },
  legalize: (c, op) => {
    const { x, y } = legalizeMovement(c, op);
    if (!validPerm(op.perm, x[0]!.shape.length)) c.fail(`perm [${op.perm}] is not a permutation of the input's ${x[0]!.shape.length} dimensions`);
    legalShape(c, y[0]!, op.perm.map((p) => x[0]!.shape[p]!));
  },
  lower: [
    rule({
      name: 'transpose',
      kinds: ['transpose'],
      priority: 0,
      lower: (ctx, op) => copyDraft(ctx, [op.inputs[0]!], op.outputs[0]!, [region(ctx.t(op.inputs[0]!).shape, op.perm)]),
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => goldenCopies(ctx, [{ from: op.inputs[0]!, to: op.outputs[0]!, region: region(ctx.T(0).shape, op.perm) }]),
  cgra: { host: 'data movement: no multiply-accumulates to map' },
});
