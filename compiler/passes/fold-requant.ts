// fold-requant: turn each op's quantisation into the integers its kernel needs: zero points become
// offsets (input offset = -zero point, output offset = +zero point), and real rescaling factors become
// TFLite's (multiplier, shift) pairs, one per output channel for convolution-like ops, ADD's three
// multipliers with its left shift of 20, and SOFTMAX's input multiplier and diff_min. All values come
// from quant/params.ts, the same code the golden runtime uses. The rounding of each convolution-like op
// is made explicit (`rounding`): in the tflite arithmetic only ungrouped CONV_2D and FULLY_CONNECTED
// round once (and cap their shift at 30), as desktop TFLite does; everything else rounds twice, as
// TFLite Micro. A kernel op keeps the rounding of the graph op it came from. Each op's folding is its
// definition's `fold` (compiler/ops/).

import { opDef } from '../ops/index.ts';
import { definePass, requireModule } from './pass.ts';

export const foldRequant = definePass({
  name: 'fold-requant',
  summary: 'zero points -> offsets; real scales -> per-channel (multiplier, shift) as TFLite computes them',
  stage: 'kernel',
  options: {},
  run(state) {
    const m = requireModule(state, 'fold-requant');
    const q = { graph: state.graph, arith: state.arith };
    m.ops = m.ops.map((k) => {
      const op = state.graph.ops[k.sourceOp]!;
      const fold = opDef(op.kind).fold;
      return fold ? fold(q, op as never, k) : k;
    });
    return state;
  },
});
