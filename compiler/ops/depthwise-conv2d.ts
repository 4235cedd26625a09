// DEPTHWISE_CONV_2D: per-channel 2-D convolution with a depth multiplier. inputs [x, w [1,KH,KW,C*M], bias?].
// Always rounds twice (TFLite and TFLite Micro alike).
import { TinyforgeError } from '../diagnostics.ts';
import { convOutSize, padBefore, type Activation, type OpBase, type Padding } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { convQuantParams } from '../quant/params.ts';
import { int8Or16Types, same4 } from './checks.ts';
import { foldConvLike } from './conv2d.ts';
import { int8Data, nhwc, uploadBias64 } from './golden-abi.ts';
import { bias16x8, rule, unfolded, windowOf } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { ACTIVATION_CODE, PADDING_CODE, activation, padding, table } from './tflite-options.ts';

/** inputs [x, w (1,KH,KW,C*M), bias?]. */
export interface DepthwiseConv2dOp extends OpBase {
  kind: 'depthwise_conv2d';
  stride: [number, number];
  dilation: [number, number];
  padding: Padding;
  depthMultiplier: number;
  activation: Activation;
}

/**
 * Depthwise weights [1, KH, KW, C*M] as grouped OHWI weights [C*M, KH, KW, 1] (groups = C): output channel
 * c*M + m reads input channel c either way, so the 16x8 grouped convolution computes the depthwise one.
 */
export function depthwiseAsGrouped(w: Int8Array, kh: number, kw: number, oc: number): Int8Array {
  const out = new Int8Array(w.length);
  for (let c = 0; c < oc; c++) for (let i = 0; i < kh * kw; i++) out[c * kh * kw + i] = w[i * oc + c]!;
  return out;
}

export const depthwiseConv2d = defineOp<'depthwise_conv2d'>({
  kind: 'depthwise_conv2d',
  summary: 'depthwise 2-D convolution with a depth multiplier',
  arith: 'same in both: double rounding; 16x8: int64 accumulator and the int64 MultiplyByQuantizedMultiplier (docs/int16.md)',
  tflite: {
    builtin: BuiltinOperator.DEPTHWISE_CONV_2D,
    optionsType: BuiltinOptionsType.DepthwiseConv2DOptions,
    import: (c) => {
      const x = c.opts, s = Slot.DepthwiseConv2DOptions;
      return {
        kind: 'depthwise_conv2d', name: c.name, padding: padding(c, x.i8(s.padding)),
        stride: [x.i32(s.strideH), x.i32(s.strideW)], dilation: [x.i32(s.dilationH, 1), x.i32(s.dilationW, 1)],
        depthMultiplier: x.i32(s.depthMultiplier), activation: activation(c, x.i8(s.activation)),
      };
    },
    version: 3,
    export: (b, o) => {
      const s = Slot.DepthwiseConv2DOptions;
      return [BuiltinOptionsType.DepthwiseConv2DOptions, table(b, 7, () => {
        b.addFieldInt8(s.padding, PADDING_CODE[o.padding], 0);
        b.addFieldInt32(s.strideW, o.stride[1], 0);
        b.addFieldInt32(s.strideH, o.stride[0], 0);
        b.addFieldInt32(s.depthMultiplier, o.depthMultiplier, 0);
        b.addFieldInt8(s.activation, ACTIVATION_CODE[o.activation], 0);
        b.addFieldInt32(s.dilationW, o.dilation[1], 1);
        b.addFieldInt32(s.dilationH, o.dilation[0], 1);
      })];
    },
  },
  arity: { inputs: [2, 3], activations: () => [0] },
  infer: (c, op) => {
    const [n, h, w, inC] = same4(c, c.tensor(0, 'input'));
    const wt = c.tensor(1, 'weights');
    c.rank(wt, 'weights', 4);
    const [one, kh, kw, outC] = wt.shape as [number, number, number, number];
    if (one !== 1) c.fail(`depthwise weights must have shape [1, KH, KW, C*M], have [${wt.shape}]`);
    c.attrPositive('depth multiplier', [op.depthMultiplier]);
    if (outC !== inC * op.depthMultiplier) c.fail(`weights' channels ${outC} must equal input channels ${inC} x depth multiplier ${op.depthMultiplier}`);
    c.attrPositive('stride', op.stride);
    c.attrPositive('dilation', op.dilation);
    c.weights(wt, outC, 3);
    c.bias(2, outC);
    return [n, convOutSize(h, kh, op.stride[0], op.dilation[0], op.padding), convOutSize(w, kw, op.stride[1], op.dilation[1], op.padding), outC];
  },
  // int8, or 16x8 (int16 activations, int8 weights, int64 bias).
  types: (c) => { int8Or16Types(c, [0]); },
  legalize: (c, op) => {
    const x = c.act(op.inputs[0], 'input', true);
    const y = c.act(op.outputs[0], 'output', true);
    if (x.dtype !== y.dtype) c.fail(`input is ${x.dtype} but output is ${y.dtype}`, 'int8 -> int8, or int16 -> int16 (16x8)');
    c.positive(op.stride, 'stride');
    c.positive(op.dilation, 'dilation');
    c.activation(op.activation);
    c.rank(x, 4, 'input');
    const outC = x.shape[3]! * op.depthMultiplier;
    if (!Number.isInteger(op.depthMultiplier) || op.depthMultiplier < 1) c.fail(`depth multiplier ${op.depthMultiplier} is invalid`, 'an integer >= 1');
    const w = c.weights(op.inputs[1], 4, 3, outC);
    if (w.shape[0] !== 1 || w.shape[3] !== outC) c.fail(`weights '${w.name}' have shape [${w.shape}]`, `expected [1, KH, KW, ${outC}] (input channels x depth multiplier)`);
    c.spatial(x, y, [w.shape[1]!, w.shape[2]!], op.stride, op.dilation, op.padding, outC);
    c.bias(op.inputs[2], outC, x.dtype === 'int16');
  },
  fold: (q, op, k) => foldConvLike(q, op, k),
  clamp: (g, op) => convQuantParams(g, op, 'tflm'),
  lower: [
    rule({
      name: 'depthwise_conv2d-16x8',
      kinds: ['depthwise_conv2d'],
      priority: 20,
      when: (ctx, op) => ctx.t(op.inputs[0]!).dtype === 'int16',
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!), w = ctx.t(op.inputs[1]!), y = ctx.t(op.outputs[0]!);
        const [, kh, kw, oc] = w.shape as [number, number, number, number];
        const q = convQuantParams(ctx.graph, op, 'tflm');
        return {
          kind: 'conv16x8', transpose: false, inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
          ...windowOf(x, y, [kh, kw], op.stride, op.dilation, op.padding), groups: x.shape[3]!,
          weights: ctx.newConstant(`${w.name}.grouped`, 'int8', [oc, kh, kw, 1], depthwiseAsGrouped(w.data as Int8Array, kh, kw, oc)),
          bias: bias16x8(ctx, op.inputs[2]!), requant: q.requant, actMin: q.actMin, actMax: q.actMax,
        };
      },
    }),
    rule({
      name: 'depthwise_conv2d',
      kinds: ['depthwise_conv2d'],
      priority: 0,
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!), w = ctx.t(op.inputs[1]!), y = ctx.t(op.outputs[0]!);
        return {
          kind: 'depthwise_conv2d', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
          ...windowOf(x, y, [w.shape[1]!, w.shape[2]!], op.stride, op.dilation, op.padding), ...unfolded(),
          depthMultiplier: op.depthMultiplier, weights: ctx.constant(w.id), bias: ctx.constant(op.inputs[2]!),
        };
      },
    }),
  ],
  macs: (_g, op, t) => {
    const [, kh, kw] = t(op.inputs[1]!).shape as [number, number, number, number];
    return t(op.outputs[0]!).shape.reduce((a, b) => a * b, 1) * kh * kw;
  },
  golden: (ctx, op) => {
    const { ex } = ctx;
    const [n, h, w, c] = nhwc(ctx.T(0));
    const [, kh, kw, oc] = ctx.T(1).shape as [number, number, number, number];
    const [, oh, ow] = nhwc(ctx.Y);
    const m = op.depthMultiplier;
    if (oc !== c * m) throw new TinyforgeError(`depthwise weights have ${oc} channels, expected ${c} x ${m}`);
    const q = convQuantParams(ctx.graph, op, 'tflm');
    const wt = ctx.T(1);
    const w8 = int8Data(wt);
    if (w8.length !== kh * kw * oc) throw new TinyforgeError(`weights '${wt.name}' have ${w8.length} values, expected ${kh * kw * oc}`);
    if (ctx.Y.dtype === 'int16') {
      // 16x8 (reference_integer_ops::DepthwiseConvPerChannel for int16): the 16x8 grouped convolution, groups = C.
      const wg = ctx.upload(depthwiseAsGrouped(w8, kh, kw, oc));
      const b64 = uploadBias64(ctx, (op.inputs[2] ?? -1) >= 0 ? ctx.T(2) : undefined, oc);
      const [m16, s16] = ctx.uploadRequant(q.requant.multiplier, q.requant.shift, oc);
      const pT = padBefore(h, kh, op.stride[0], op.dilation[0], op.padding), pL = padBefore(w, kw, op.stride[1], op.dilation[1], op.padding);
      const xi = op.inputs[0]!, yi = op.outputs[0]!;
      return {
        scratch: 0,
        make: () => (p) => ex.conv16x8(p[xi]!, n, h, w, c, wg, 1, b64, m16, s16, p[yi]!, oh, ow, oc, kh, kw,
          op.stride[0], op.stride[1], op.dilation[0], op.dilation[1], pT, pL, q.actMin, q.actMax),
      };
    }
    const wp = ctx.upload(Int16Array.from(w8));
    const bp = ctx.bias(op, oc);
    const [mp, sp] = ctx.uploadRequant(q.requant.multiplier, q.requant.shift, oc);
    const rq = ctx.requantTable(q.requant.shift, oc);
    const padT = padBefore(h, kh, op.stride[0], op.dilation[0], op.padding);
    const padL = padBefore(w, kw, op.stride[1], op.dilation[1], op.padding);
    const xId = op.inputs[0]!, yId = op.outputs[0]!;
    return {
      scratch: (oc + 8) * 4,
      make: (scratch) => (p) => ex.depthwiseConv2d(p[xId]!, n, h, w, c, wp, bp, mp, sp, rq, p[yId]!, oh, ow, m,
        kh, kw, op.stride[0], op.stride[1], op.dilation[0], op.dilation[1], padT, padL,
        q.inputOffset, q.outputOffset, q.actMin, q.actMax, 0, scratch),
    };
  },
  cgra: { maps: 'depthwise' },
});
