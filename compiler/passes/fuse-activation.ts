// fuse-activation: turn each op's fused activation (relu, relu6, relu_n1_to_1, none) into the clamp range
// [actMin, actMax] of its int8 output, as TFLite's CalculateActivationRangeQuantized computes it from the
// output's scale and zero point. After this pass the kernel IR has no notion of activation functions.

import type { AddOp, Op, Pool2dOp } from '../ir/graph.ts';
import { addQuantParams, convQuantParams, poolQuantParams, type ConvLikeOp } from '../quant/params.ts';
import { definePass, requireModule } from './pass.ts';

export const fuseActivation = definePass({
  name: 'fuse-activation',
  summary: 'fused activations -> int8 clamp ranges [actMin, actMax]',
  stage: 'kernel',
  options: {},
  run(state) {
    const m = requireModule(state, 'fuse-activation');
    const g = state.graph;
    m.ops = m.ops.map((k) => {
      const op: Op = g.ops[k.sourceOp];
      switch (k.kind) {
        case 'conv2d': case 'depthwise_conv2d': case 'fully_connected': case 'shift_conv2d': case 'add_conv2d': {
          // the clamp does not depend on the arithmetic
          const { actMin, actMax } = convQuantParams(g, op as ConvLikeOp, 'tflm');
          return { ...k, actMin, actMax };
        }
        case 'add': {
          const { actMin, actMax } = addQuantParams(g, op as AddOp);
          return { ...k, actMin, actMax };
        }
        case 'average_pool2d': case 'max_pool2d':
          return { ...k, ...poolQuantParams(g, op as Pool2dOp) };
        default:
          return k;
      }
    });
    return state;
  },
});
