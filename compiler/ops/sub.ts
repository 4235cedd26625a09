// SUB: element-wise difference with NumPy broadcasting up to 6-D and a fused activation, TFLite's int8
// arithmetic (ADD's: left shift 20, both inputs rescaled to twice the larger input scale, then to the
// output). The two runtimes differ in two details (compiler/quant/params.ts subQuantParams): TFLite Micro
// computes the real multipliers in float32 and subtracts; desktop TFLite computes them in double and runs
// its ADD kernel with the second input's multiplier negated. int16 in `tflite` with three power-of-two scales
// and `pot_scale_int16` not false: desktop TFLite's power-of-two path (params.ts int16PotShifts, docs/int16.md).
import { type Activation, type OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { subQuantParams } from '../quant/params.ts';
import { broadcastShape, int8Or16Types } from './checks.ts';
import { foldBinary, goldenBinary, legalizeBinary, lowerBinary } from './elementwise.ts';
import { rule } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { fusedActivationMapping } from './tflite-options.ts';

/** inputs [a, b] (a - b), broadcast NumPy-style; either may be a constant. */
export interface SubOp extends OpBase {
  kind: 'sub';
  activation: Activation;
  /** The file's `pot_scale_int16` when false (absent: true, TFLite's default): int16 in the `tflite`
   *  arithmetic then always takes the general path (compiler/quant/params.ts int16PotShifts). */
  potScaleInt16?: boolean;
}

export const sub = defineOp<'sub'>({
  kind: 'sub',
  summary: 'element-wise difference with broadcasting',
  arith: 'tflm computes the three multipliers in float32 and subtracts; tflite computes them in double and adds the negated second input (int16: left shift 15; the seanet sub0/sub1 CSVs show the difference, docs/int16.md); int16 with power-of-two scales and pot_scale_int16 (default true): tflite shifts one input right (rounding) and subtracts with int16 saturation, refusing what desktop TFLite refuses',
  tflite: fusedActivationMapping('sub', BuiltinOperator.SUB, BuiltinOptionsType.SubOptions, Slot.SubOptions.activation, 2, Slot.SubOptions.potScaleInt16),
  arity: { inputs: [2, 2], activations: () => [0, 1] },
  infer: (c) => broadcastShape(c, c.tensor(0, 'input a').shape, c.tensor(1, 'input b').shape),
  // int8, or int16 (16x8 models: left shift 15, as TFLite Micro's CalculateOpDataSub; golden runtime and the Cortex-M binary kernel).
  types: (c) => { int8Or16Types(c, [0, 1]); },
  legalize: (c, op) => {
    legalizeBinary(c, op, true);
    c.activation(op.activation);
  },
  fold: (q, op, k) => foldBinary(q, op, k),
  // The clamp is the same on both paths (the general one here, which refuses nothing the power-of-two one takes).
  clamp: (g, op) => subQuantParams(g, { ...op, potScaleInt16: false }, 'tflite'),
  lower: [rule({ name: 'sub', kinds: ['sub'], priority: 0, lower: lowerBinary })],
  macs: () => 0,
  golden: goldenBinary,
  cgra: { host: 'element-wise: no multiply-accumulates to map' },
});
