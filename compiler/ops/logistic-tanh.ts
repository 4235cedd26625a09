// LOGISTIC and TANH on int8. tflm: TFLite Micro's integer reference (gemmlowp logistic / tanh on a Q4
// input); tflite: desktop TFLite's 256-entry float32 table built at Prepare (quant/unary.ts). LOGISTIC's
// output is scale 1/256, zero point -128; TANH's 1/128, zero point 0. Lowered to a lookup table.
import { BuiltinOperator } from '../frontend/tflite/schema.ts';
import { defineOp } from './op-def.ts';
import { elementwiseDef } from './unary.ts';

export const logistic = defineOp(elementwiseDef('logistic', BuiltinOperator.LOGISTIC, 2, 'sigmoid 1 / (1 + exp(-x))', {
  arith: 'tflm: gemmlowp fixed point (output zero point -128 required); tflite: a 256-entry table of float32 expf (output scale 1/256 required)',
  legalize: (c, op, g) => {
    const q = g.tensors[op.outputs[0]!]!.quant!;
    if (q.scale[0] !== 1 / 256 || q.zeroPoint[0] !== -128) {
      c.fail(`output scale ${q.scale[0]}, zero point ${q.zeroPoint[0]}`, 'int8 LOGISTIC needs output scale 1/256 and zero point -128 (TFLite and TFLite Micro)');
    }
  },
}));

export const tanh = defineOp(elementwiseDef('tanh', BuiltinOperator.TANH, 2, 'hyperbolic tangent', {
  arith: 'tflm: gemmlowp fixed point, always written at scale 1/128, zero point 0; tflite: a 256-entry table of float32 tanhf honouring the output quantisation',
}));
