// QUANTIZE int8 -> int8: requantisation between two int8 scales and zero points, QuantizeMultiplier(double
// s_in / double s_out) with double rounding in both arithmetics (quant/unary.ts). Lowered to a lookup table.
// (float32 -> int8 and int16 QUANTIZE are not handled here.)
import { BuiltinOperator, BuiltinOptionsType } from '../frontend/tflite/schema.ts';
import { defineOp } from './op-def.ts';
import { elementwiseDef } from './unary.ts';

export const quantize = defineOp(elementwiseDef('quantize', BuiltinOperator.QUANTIZE, 2, 'requantise int8 to another int8 scale', {
  emptyOptions: BuiltinOptionsType.QuantizeOptions,
}));
