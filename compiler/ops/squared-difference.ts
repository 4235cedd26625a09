// SQUARED_DIFFERENCE: (a - b)^2 element-wise with NumPy broadcasting up to 6-D, TFLite's int8 arithmetic:
// both inputs shifted left by 7 and rescaled to twice the larger input scale, the difference squared, then
// rescaled by (2 max(s1, s2))^2 / (2^14 sOut). No options, no fused activation.
import { type OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType } from '../frontend/tflite/schema.ts';
import { broadcastShape } from './checks.ts';
import { foldBinary, goldenBinary, legalizeBinary, lowerBinary } from './elementwise.ts';
import { rule } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { table } from './tflite-options.ts';

/** inputs [a, b], broadcast NumPy-style; either may be a constant. */
export interface SquaredDifferenceOp extends OpBase {
  kind: 'squared_difference';
}

export const squaredDifference = defineOp<'squared_difference'>({
  kind: 'squared_difference',
  summary: 'element-wise squared difference with broadcasting',
  arith: 'same values in both (left shift 7); tflite refuses an output multiplier of 1 or more, tflm allows it',
  tflite: {
    builtin: BuiltinOperator.SQUARED_DIFFERENCE,
    optionsType: BuiltinOptionsType.SquaredDifferenceOptions,
    import: (c) => ({ kind: 'squared_difference', name: c.name }),
    version: 2,
    export: (b) => [BuiltinOptionsType.SquaredDifferenceOptions, table(b, 0, () => {})],
  },
  arity: { inputs: [2, 2], activations: () => [0, 1] },
  infer: (c) => broadcastShape(c, c.tensor(0, 'input a').shape, c.tensor(1, 'input b').shape),
  legalize: (c, op) => { legalizeBinary(c, op); },
  fold: (q, op, k) => foldBinary(q, op, k),
  clamp: () => ({ actMin: -128, actMax: 127 }),
  lower: [rule({ name: 'squared_difference', kinds: ['squared_difference'], priority: 0, lower: lowerBinary })],
  macs: () => 0,
  golden: goldenBinary,
  cgra: { host: 'element-wise: no multiply-accumulates to map' },
});
