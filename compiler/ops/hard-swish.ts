// HARD_SWISH on int8: x * relu6(x + 3) / 6 in TFLite's int16 fixed point (same in TFLite and TFLite Micro;
// quant/unary.ts). TFLite requires the output multiplier (s_in / 128 / s_out) to be at most 1. Lowered to a
// lookup table.
import { BuiltinOperator, BuiltinOptionsType } from '../frontend/tflite/schema.ts';
import { defineOp } from './op-def.ts';
import { elementwiseDef } from './unary.ts';

export const hardSwish = defineOp(elementwiseDef('hard_swish', BuiltinOperator.HARD_SWISH, 1, 'x * relu6(x + 3) / 6', {
  emptyOptions: BuiltinOptionsType.HardSwishOptions,
  legalize: (c, op, g) => {
    const sx = g.tensors[op.inputs[0]!]!.quant!.scale[0]!, sy = g.tensors[op.outputs[0]!]!.quant!.scale[0]!;
    if (Math.fround(Math.fround(sx / 128) / sy) > 1) c.fail(`output scale ${sy} is below input scale / 128`, 'TFLite\'s HARD_SWISH needs an output multiplier <= 1');
  },
}));
