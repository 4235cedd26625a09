// MAXIMUM and MINIMUM: element-wise larger / smaller value with NumPy broadcasting up to 6-D. TFLite compares
// the raw int8 values without rescaling, so the operands and the output must share one scale and zero point
// (what the converter emits). No options, no fused activation.
import { type OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType } from '../frontend/tflite/schema.ts';
import { broadcastShape } from './checks.ts';
import { foldBinary, goldenBinary, legalizeBinary, lowerBinary, sameQuant } from './elementwise.ts';
import { rule } from './lowering.ts';
import type { OpDef } from './op-def.ts';
import { table } from './tflite-options.ts';

/** inputs [a, b], broadcast NumPy-style; either may be a constant. */
export interface MaximumMinimumOp extends OpBase {
  kind: 'maximum' | 'minimum';
}

type MinMaxKind = MaximumMinimumOp['kind'];

function minMaxDef<K extends MinMaxKind>(kind: K, builtin: number, summary: string): OpDef<K> {
  const def: OpDef<MinMaxKind> = {
    kind,
    summary,
    arith: 'same in both (a comparison; input and output share one quantisation)',
    tflite: {
      builtin,
      optionsType: BuiltinOptionsType.MaximumMinimumOptions,
      import: (c) => ({ kind, name: c.name }),
      version: 2,
      export: (b) => [BuiltinOptionsType.MaximumMinimumOptions, table(b, 0, () => {})],
    },
    arity: { inputs: [2, 2], activations: () => [0, 1] },
    infer: (c) => broadcastShape(c, c.tensor(0, 'input a').shape, c.tensor(1, 'input b').shape),
    legalize: (c, op) => {
      const { a, b, y } = legalizeBinary(c, op);
      sameQuant(c, op, [a, b, y]);
    },
    fold: (q, op, k) => foldBinary(q, op, k),
    clamp: () => ({ actMin: -128, actMax: 127 }),
    lower: [rule({ name: kind, kinds: [kind as MinMaxKind], priority: 0, lower: lowerBinary })],
    macs: () => 0,
    golden: goldenBinary,
    cgra: { host: 'element-wise: no multiply-accumulates to map' },
  };
  return def as unknown as OpDef<K>;
}

export const maximum = minMaxDef('maximum', BuiltinOperator.MAXIMUM, 'element-wise maximum with broadcasting');
export const minimum = minMaxDef('minimum', BuiltinOperator.MINIMUM, 'element-wise minimum with broadcasting');
