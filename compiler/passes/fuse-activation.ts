// fuse-activation: turn each op's fused activation (relu, relu6, relu_n1_to_1, none) into the clamp range
// [actMin, actMax] of its int8 output, as TFLite's CalculateActivationRangeQuantized computes it from the
// output's scale and zero point (each op definition's `clamp`). After this pass the kernel IR has no
// notion of activation functions.

import { opDef } from '../ops/index.ts';
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
      const op = g.ops[k.sourceOp]!;
      const clamp = opDef(op.kind).clamp;
      if (!clamp || !('actMin' in k)) return k;
      // the clamp does not depend on the arithmetic
      const { actMin, actMax } = clamp(g, op as never);
      return { ...k, actMin, actMax };
    });
    return state;
  },
});
