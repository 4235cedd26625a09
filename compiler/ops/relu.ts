// RELU, RELU6 and RELU_N1_TO_1 on int8: TFLite rescales x - zp_in to the output scale and clamps at the
// quantised 0 / 6 / -1..1 (ReluX); TFLite Micro's RELU6 only clamps the input bytes (see quant/unary.ts).
// Lowered to a lookup table (unary.ts).
import { BuiltinOperator } from '../frontend/tflite/schema.ts';
import { defineOp } from './op-def.ts';
import { elementwiseDef } from './unary.ts';

export const relu = defineOp(elementwiseDef('relu', BuiltinOperator.RELU, 2, 'max(x, 0), requantised to the output'));
export const relu6 = defineOp(elementwiseDef('relu6', BuiltinOperator.RELU6, 2, 'min(max(x, 0), 6), requantised to the output', {
  arith: 'tflm clamps the input bytes to [zp, zp + round(6 / scale)] and ignores the output quantisation; tflite requantises to the output, then clamps',
}));
export const reluN1To1 = defineOp(elementwiseDef('relu_n1_to_1', BuiltinOperator.RELU_N1_TO_1, 1, 'min(max(x, -1), 1), requantised to the output', {
  arith: 'TFLite Micro has no kernel: tflm uses the tflite arithmetic',
}));
