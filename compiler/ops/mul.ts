// MUL: element-wise product with NumPy broadcasting up to 6-D and a fused activation, TFLite's int8
// arithmetic: (x1 - z1) * (x2 - z2) requantised by one multiplier s1 * s2 / sOut (QuantizeMultiplier, any
// magnitude; double rounding in both runtimes). The real multiplier is computed in double by TFLite Micro and
// in float32 by desktop TFLite (compiler/quant/params.ts mulQuantParams).
import { type Activation, type OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { mulQuantParams } from '../quant/params.ts';
import { broadcastShape, int8Or16Types } from './checks.ts';
import { foldBinary, goldenBinary, legalizeBinary, lowerBinary } from './elementwise.ts';
import { rule } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { fusedActivationMapping } from './tflite-options.ts';

/** inputs [a, b], broadcast NumPy-style; either may be a constant. */
export interface MulOp extends OpBase {
  kind: 'mul';
  activation: Activation;
}

export const mul = defineOp<'mul'>({
  kind: 'mul',
  summary: 'element-wise product with broadcasting',
  arith: 'the multiplier input1Scale * input2Scale / outputScale is computed in double by tflm, in float32 by tflite',
  tflite: fusedActivationMapping('mul', BuiltinOperator.MUL, BuiltinOptionsType.MulOptions, Slot.MulOptions.activation, 2),
  arity: { inputs: [2, 2], activations: () => [0, 1] },
  infer: (c) => broadcastShape(c, c.tensor(0, 'input a').shape, c.tensor(1, 'input b').shape),
  // int8, or int16 (zero points 0: TFLite Micro's MulElementwise / BroadcastMul4DSlow on int16, the same steps).
  types: (c) => { int8Or16Types(c, [0, 1]); },
  legalize: (c, op) => {
    legalizeBinary(c, op, true);
    c.activation(op.activation);
  },
  fold: (q, op, k) => foldBinary(q, op, k),
  clamp: (g, op) => mulQuantParams(g, op, 'tflm'),
  lower: [rule({ name: 'mul', kinds: ['mul'], priority: 0, lower: lowerBinary })],
  macs: () => 0,
  golden: goldenBinary,
  cgra: { host: 'element-wise: no multiply-accumulates to map' },
});
