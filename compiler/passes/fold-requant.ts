// fold-requant: turn each op's quantisation into the integers its kernel needs: zero points become
// offsets (input offset = -zero point, output offset = +zero point), and real rescaling factors become
// TFLite's (multiplier, shift) pairs, one per output channel for convolution-like ops (computed in the
// pipeline's arithmetic: single-rounding builds cap the shift at 30), ADD's three multipliers with its
// left shift of 20, and SOFTMAX's input multiplier and diff_min. All values come from quant/params.ts,
// the same code the golden runtime uses. The rounding of each convolution-like op is made explicit:
// in the tflite arithmetic only ops that are CONV_2D or FULLY_CONNECTED in the graph round once (and cap
// their shift at 30), as desktop TFLite does; everything else rounds twice, as TFLite Micro. A grouped
// conv2d lowered to a depthwise kernel keeps the conv2d's rounding.

import type { AddOp, Op, SoftmaxOp } from '../ir/graph.ts';
import { addQuantParams, convQuantParams, softmaxQuantParams, type ConvLikeOp } from '../quant/params.ts';
import { definePass, requireModule } from './pass.ts';

const CONV_LIKE = new Set(['conv2d', 'depthwise_conv2d', 'fully_connected', 'shift_conv2d', 'add_conv2d']);
/** Graph op kinds that desktop TFLite requantises with single rounding (tflite-reference.md). */
export const SINGLE_ROUNDING_KINDS: ReadonlySet<string> = new Set(['conv2d', 'fully_connected']);

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
        const single = state.arith === 'tflite' && SINGLE_ROUNDING_KINDS.has(op.kind);
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
