// fold-requant: turn each op's quantisation into the integers its kernel needs: zero points become
// offsets (input offset = -zero point, output offset = +zero point), and real rescaling factors become
// TFLite's (multiplier, shift) pairs, one per output channel for convolution-like ops, ADD's three
// multipliers with its left shift of 20, and SOFTMAX's input multiplier and diff_min. All values come
// from quant/params.ts, the same code the golden runtime uses. The rounding of each convolution-like op
// is made explicit (`rounding`): in the tflite arithmetic only ungrouped CONV_2D and FULLY_CONNECTED
// round once (and cap their shift at 30), as desktop TFLite does; everything else rounds twice, as
// TFLite Micro. A kernel op keeps the rounding of the graph op it came from.

import type { AddOp, Op, SoftmaxOp } from '../ir/graph.ts';
import { addQuantParams, convQuantParams, singleRounding, softmaxQuantParams, type ConvLikeOp } from '../quant/params.ts';
import { definePass, requireModule } from './pass.ts';

const CONV_LIKE = new Set(['conv2d', 'depthwise_conv2d', 'fully_connected', 'shift_conv2d', 'add_conv2d']);

export const foldRequant = definePass({
  name: 'fold-requant',
  summary: 'zero points -> offsets; real scales -> per-channel (multiplier, shift) as TFLite computes them',
  stage: 'kernel',
  options: {},
  run(state) {
    const m = requireModule(state, 'fold-requant');
    const g = state.graph;
    m.ops = m.ops.map((k) => {
      const op: Op = g.ops[k.sourceOp];
      if (k.kind === 'conv2d' || k.kind === 'depthwise_conv2d' || k.kind === 'fully_connected' || k.kind === 'shift_conv2d' || k.kind === 'add_conv2d') {
        if (!CONV_LIKE.has(op.kind)) throw new Error(`fold-requant: ${k.kind} came from ${op.kind}`);
        const single = singleRounding(g, op, state.arith);
        const p = convQuantParams(g, op as ConvLikeOp, single ? 'tflite' : 'tflm');
        return { ...k, inputOffset: p.inputOffset, outputOffset: p.outputOffset, requant: p.requant, rounding: single ? 'single' as const : 'double' as const };
      }
      if (k.kind === 'add') {
        const p = addQuantParams(g, op as AddOp);
        return {
          ...k, input1Offset: p.input1Offset, input2Offset: p.input2Offset, outputOffset: p.outputOffset,
          leftShift: p.leftShift, input1Q: p.input1Q, input2Q: p.input2Q, outputQ: p.outputQ,
        };
      }
      if (k.kind === 'softmax') return { ...k, ...softmaxQuantParams(g, op as SoftmaxOp, state.arith) };
      return k;
    });
    return state;
  },
});
