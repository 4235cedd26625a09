// Add convolution (AdderNet, L1), a tinyforge op with no TFLite builtin (YAML networks only):
// acc = bias - sum over the window of |(x - xZeroPoint) - w|, requantised as CONV_2D. Padding taps read
// real 0, so each still contributes |w|. inputs [x, w (OHWI, not grouped), bias?].
import { type Activation, type OpBase, type Padding } from '../ir/graph.ts';
import { convQuantParams } from '../quant/params.ts';
import { convLikeShape } from './checks.ts';
import { foldConvLike, goldenConvLike, legalizeConvLike } from './conv2d.ts';
import { rule, unfolded, windowOf } from './lowering.ts';
import { defineOp } from './op-def.ts';

/**
 * Add convolution (AdderNet, L1): acc[o] = bias[o] - sum over window and input channels of
 * |(x - xZeroPoint) - w| (weights have zero point 0), then requantised exactly like conv2d with the real
 * multiplier inputScale * weightScale[o] / outputScale. Meaningful when weightScale == inputScale (the
 * YAML generator makes it so), but the integer arithmetic is defined for any scales. inputs [x, w (OHWI), bias?].
 * Padding taps (same padding) read real 0 (x - xZeroPoint = 0), so each contributes |w|, as AdderNet's
 * zero-padded unfold does (unlike conv2d, where a zero tap contributes nothing either way).
 */
export interface AddConv2dOp extends OpBase {
  kind: 'add_conv2d';
  stride: [number, number];
  dilation: [number, number];
  padding: Padding;
  activation: Activation;
}

export const addConv2d = defineOp<'add_conv2d'>({
  kind: 'add_conv2d',
  summary: 'AdderNet convolution: bias minus the L1 distance of window and filter',
  arith: 'no TFLite counterpart: double rounding in both',
  arity: { inputs: [2, 3], activations: () => [0] },
  infer: (c) => convLikeShape(c, false),
  legalize: (c, op) => legalizeConvLike(c, op),
  fold: (q, op, k) => foldConvLike(q, op, k),
  clamp: (g, op) => convQuantParams(g, op, 'tflm'),
  lower: [
    rule({
      name: 'add_conv2d',
      kinds: ['add_conv2d'],
      priority: 0,
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!), w = ctx.t(op.inputs[1]!), y = ctx.t(op.outputs[0]!);
        return {
          kind: 'add_conv2d', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
          ...windowOf(x, y, [w.shape[1]!, w.shape[2]!], op.stride, op.dilation, op.padding), ...unfolded(),
          weights: ctx.constant(w.id), bias: ctx.constant(op.inputs[2]!),
        };
      },
    }),
  ],
  macs: (_g, op, t) => {
    const [, kh, kw, wi] = t(op.inputs[1]!).shape as [number, number, number, number];
    return t(op.outputs[0]!).shape.reduce((a, b) => a * b, 1) * kh * kw * wi;
  },
  golden: (ctx, op) => goldenConvLike(ctx, op, 1),
  cgra: { host: 'the array has no absolute-difference dataflow mapped yet' },
});
