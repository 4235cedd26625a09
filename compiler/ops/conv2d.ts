// CONV_2D: 2-D convolution over NHWC input with OHWI int8 weights, grouped when the weights' input
// channels divide the input's. inputs [x, w, bias?]. Lowered to kernel conv2d, or to depthwise_conv2d
// when every group is one channel; tflite arithmetic rounds once in the ungrouped case (desktop TFLite's
// optimised kernel), twice otherwise.
import { TinyforgeError } from '../diagnostics.ts';
import { padBefore, type Activation, type Graph, type OpBase, type Padding } from '../ir/graph.ts';
import type { KernelOp } from '../kernel-ir/types.ts';
import type { Arith } from '../quant/multiplier.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { convQuantParams, singleRounding, type ConvLikeOp } from '../quant/params.ts';
import type { AddConv2dOp } from './add-conv2d.ts';
import { convLikeShape, int8Or16Types, type LegalCheck } from './checks.ts';
import { int8Data, nhwc, uploadBias64, type GoldenCtx, type GoldenLaunch } from './golden-abi.ts';
import { bias16x8, rule, unfolded, windowOf } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { ACTIVATION_CODE, PADDING_CODE, activation, padding, table } from './tflite-options.ts';

/** inputs [x, w (OHWI), bias?]. Grouped when inC / w.shape[3] > 1 (groups = inC / w.shape[3]). */
export interface Conv2dOp extends OpBase {
  kind: 'conv2d';
  stride: [number, number];
  dilation: [number, number];
  padding: Padding;
  activation: Activation;
}

/** [O, KH, KW, 1] grouped weights -> [1, KH, KW, O] depthwise weights (same channel order). */
function groupedToDepthwise(w: Int8Array, o: number, kh: number, kw: number): Int8Array {
  const out = new Int8Array(w.length);
  for (let c = 0; c < o; c++) {
    for (let i = 0; i < kh * kw; i++) out[i * o + c] = w[c * kh * kw + i];
  }
  return out;
}

/** The backends' requirements of CONV_2D and the add convolution (which is never grouped). */
export function legalizeConvLike(c: LegalCheck, op: Conv2dOp | AddConv2dOp): void {
  // CONV_2D also runs 16x8 (int16 activations, int8 weights, int64 bias); the add convolution is int8 only.
  const int16 = op.kind === 'conv2d';
  const x = c.act(op.inputs[0], 'input', int16);
  const y = c.act(op.outputs[0], 'output', int16);
  if (x.dtype !== y.dtype) c.fail(`input is ${x.dtype} but output is ${y.dtype}`, 'int8 -> int8, or int16 -> int16 (16x8)');
  c.positive(op.stride, 'stride');
  c.positive(op.dilation, 'dilation');
  c.activation(op.activation);
  c.rank(x, 4, 'input');
  const w = c.weights(op.inputs[1], 4, 0, y.shape[y.shape.length - 1]!);
  const inC = x.shape[3]!;
  if (op.kind === 'add_conv2d' && w.shape[3] !== inC) c.fail(`weights '${w.name}' have ${w.shape[3]} input channels for ${inC}`, 'add convolution is not grouped: weights must be [outC, KH, KW, inC]');
  if (w.shape[3]! < 1 || inC % w.shape[3]! !== 0) c.fail(`weights '${w.name}' have ${w.shape[3]} input channels, which does not divide the input's ${inC}`, 'OHWI weights with I = inC / groups');
  const groups = inC / w.shape[3]!;
  if (w.shape[0]! % groups !== 0) c.fail(`${w.shape[0]} output channels are not divisible by ${groups} groups`);
  c.spatial(x, y, [w.shape[1]!, w.shape[2]!], op.stride, op.dilation, op.padding, w.shape[0]!);
  c.bias(op.inputs[2], w.shape[0]!, x.dtype === 'int16');
}

/** Requantisation of every conv-like kernel op: offsets, per-channel multipliers, rounding. */
export function foldConvLike(q: { graph: Graph; arith: Arith }, op: ConvLikeOp, k: KernelOp): KernelOp {
  if (k.kind === 'conv16x8') return k; // its lowering computed TFLite Micro's 16x8 multipliers
  const single = singleRounding(q.graph, op, q.arith);
  const p = convQuantParams(q.graph, op, single ? 'tflite' : 'tflm');
  return { ...k, inputOffset: p.inputOffset, outputOffset: p.outputOffset, requant: p.requant, rounding: single ? 'single' : 'double' } as KernelOp;
}

export const conv2d = defineOp<'conv2d'>({
  kind: 'conv2d',
  summary: '2-D convolution (grouped, dilated, per-tensor or per-channel weights)',
  arith: 'tflm rounds twice (SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT); tflite rounds once (64-bit multiply, shift capped at 30) when ungrouped, twice when grouped; 16x8 (int16 activations): the same in both, int64 accumulator and the int64 MultiplyByQuantizedMultiplier (docs/int16.md)',
  tflite: {
    builtin: BuiltinOperator.CONV_2D,
    optionsType: BuiltinOptionsType.Conv2DOptions,
    import: (c) => {
      const x = c.opts, s = Slot.Conv2DOptions;
      return {
        kind: 'conv2d', name: c.name, padding: padding(c, x.i8(s.padding)),
        stride: [x.i32(s.strideH), x.i32(s.strideW)], dilation: [x.i32(s.dilationH, 1), x.i32(s.dilationW, 1)],
        activation: activation(c, x.i8(s.activation)),
      };
    },
    version: 3,
    export: (b, o) => {
      const s = Slot.Conv2DOptions;
      return [BuiltinOptionsType.Conv2DOptions, table(b, 6, () => {
        b.addFieldInt8(s.padding, PADDING_CODE[o.padding], 0);
        b.addFieldInt32(s.strideW, o.stride[1], 0);
        b.addFieldInt32(s.strideH, o.stride[0], 0);
        b.addFieldInt8(s.activation, ACTIVATION_CODE[o.activation], 0);
        b.addFieldInt32(s.dilationW, o.dilation[1], 1);
        b.addFieldInt32(s.dilationH, o.dilation[0], 1);
      })];
    },
  },
  arity: { inputs: [2, 3], activations: () => [0] },
  infer: (c) => convLikeShape(c, true),
  // int8, or 16x8 (int16 activations, int8 weights, int64 bias; golden runtime goldenConv16x8, Cortex-M conv16x8).
  types: (c) => { int8Or16Types(c, [0]); },
  legalize: (c, op) => legalizeConvLike(c, op),
  fold: (q, op, k) => foldConvLike(q, op, k),
  clamp: (g, op) => convQuantParams(g, op, 'tflm'),
  lower: [
    rule({
      name: 'conv2d-16x8',
      kinds: ['conv2d'],
      priority: 20,
      when: (ctx, op) => ctx.t(op.inputs[0]!).dtype === 'int16',
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!), w = ctx.t(op.inputs[1]!), y = ctx.t(op.outputs[0]!);
        const q = convQuantParams(ctx.graph, op, 'tflm');
        return {
          kind: 'conv16x8', transpose: false, inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
          ...windowOf(x, y, [w.shape[1]!, w.shape[2]!], op.stride, op.dilation, op.padding),
          groups: x.shape[3]! / w.shape[3]!, weights: ctx.constant(w.id), bias: bias16x8(ctx, op.inputs[2]!),
          requant: q.requant, actMin: q.actMin, actMax: q.actMax,
        };
      },
    }),
    rule({
      name: 'conv2d-grouped-as-depthwise',
      kinds: ['conv2d'],
      priority: 10,
      // (Rounding is unaffected: TFLite rounds grouped convolutions twice in both arithmetics, as depthwise.)
      when: (ctx, op) => {
        const inC = ctx.t(op.inputs[0]!).shape[3]!;
        return ctx.options.groupedAsDepthwise && inC > 1 && ctx.t(op.inputs[1]!).shape[3] === 1;
      },
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!), w = ctx.t(op.inputs[1]!), y = ctx.t(op.outputs[0]!);
        const [o, kh, kw] = w.shape as [number, number, number];
        const dw = groupedToDepthwise(w.data as Int8Array, o, kh, kw);
        return {
          kind: 'depthwise_conv2d', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
          ...windowOf(x, y, [kh, kw], op.stride, op.dilation, op.padding), ...unfolded(),
          depthMultiplier: o / x.shape[3]!,
          weights: ctx.newConstant(`${w.name}.depthwise`, 'int8', [1, kh, kw, o], dw),
          bias: ctx.constant(op.inputs[2]!),
        };
      },
    }),
    rule({
      name: 'conv2d',
      kinds: ['conv2d'],
      priority: 0,
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!), w = ctx.t(op.inputs[1]!), y = ctx.t(op.outputs[0]!);
        return {
          kind: 'conv2d', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
          ...windowOf(x, y, [w.shape[1]!, w.shape[2]!], op.stride, op.dilation, op.padding), ...unfolded(),
          groups: x.shape[3]! / w.shape[3]!, weights: ctx.constant(w.id), bias: ctx.constant(op.inputs[2]!),
        };
      },
    }),
  ],
  // out elements x window x (inC / groups) = out elements x KH*KW*I of the OHWI weights.
  macs: (_g, op, t) => {
    const [, kh, kw, wi] = t(op.inputs[1]!).shape as [number, number, number, number];
    return t(op.outputs[0]!).shape.reduce((a, b) => a * b, 1) * kh * kw * wi;
  },
  golden: (ctx, op) => (ctx.Y.dtype === 'int16' ? goldenConv16x8(ctx, op) : goldenConvLike(ctx, op, 0)),
  cgra: { maps: 'conv' },
});

/**
 * CONV_2D 16x8 (TFLite Micro's reference_integer_ops::ConvPerChannel for int16 input): int64 accumulator and
 * bias, the int64 MultiplyByQuantizedMultiplier (runtime-wasm/assembly/int16.ts). The per-channel multipliers
 * are TFLite Micro's (double effective scale, QuantizeMultiplier); int16 has no input or output offset.
 */
function goldenConv16x8(ctx: GoldenCtx, op: Conv2dOp): GoldenLaunch {
  const [n, h, w, c] = nhwc(ctx.T(0));
  const [oc, kh, kw, icg] = ctx.T(1).shape as [number, number, number, number];
  const [, oh, ow] = nhwc(ctx.Y);
  const q = convQuantParams(ctx.graph, op, 'tflm');
  const wp = ctx.upload(int8Data(ctx.T(1)));
  const bp = uploadBias64(ctx, (op.inputs[2] ?? -1) >= 0 ? ctx.T(2) : undefined, oc);
  const [mp, sp] = ctx.uploadRequant(q.requant.multiplier, q.requant.shift, oc);
  const padT = padBefore(h, kh, op.stride[0], op.dilation[0], op.padding);
  const padL = padBefore(w, kw, op.stride[1], op.dilation[1], op.padding);
  const xId = op.inputs[0]!, yId = op.outputs[0]!;
  return {
    scratch: 0,
    make: () => (p) => ctx.ex.conv16x8(p[xId]!, n, h, w, c, wp, icg, bp, mp, sp, p[yId]!, oh, ow, oc, kh, kw,
      op.stride[0], op.stride[1], op.dilation[0], op.dilation[1], padT, padL, q.actMin, q.actMax),
  };
}

/** CONV_2D and the add convolution share one golden kernel (`l1` selects |x - w| accumulation). */
export function goldenConvLike(ctx: GoldenCtx, op: Conv2dOp | AddConv2dOp, l1: 0 | 1): GoldenLaunch {
  const { ex } = ctx;
  const [n, h, w, c] = nhwc(ctx.T(0));
  const [oc, kh, kw, icg] = ctx.T(1).shape as [number, number, number, number];
  const [, oh, ow] = nhwc(ctx.Y);
  if (c % icg !== 0 || oc % (c / icg) !== 0) {
    throw new TinyforgeError(`input channels ${c} / weight input channels ${icg} do not form whole groups for ${oc} output channels`);
  }
  // tflite arithmetic single-rounds ungrouped CONV_2D only: desktop TFLite runs grouped convolutions in
  // its reference per-channel kernel, which double-rounds (measured by the oracle suite).
  const singleRounding = op.kind === 'conv2d' && ctx.arith === 'tflite' && icg === c;
  const q = convQuantParams(ctx.graph, op, singleRounding ? 'tflite' : 'tflm');
  const single = singleRounding ? 1 : 0;
  const { ptr: wp, kp } = ctx.weightRows(ctx.T(1), oc, kh * kw * icg);
  const bp = ctx.bias(op, oc);
  const [mp, sp] = ctx.uploadRequant(q.requant.multiplier, q.requant.shift, oc);
  const rq = single ? 0 : ctx.requantTable(q.requant.shift, oc);
  const padT = padBefore(h, kh, op.stride[0], op.dilation[0], op.padding);
  const padL = padBefore(w, kw, op.stride[1], op.dilation[1], op.padding);
  const xId = op.inputs[0]!, yId = op.outputs[0]!;
  return {
    scratch: kp * 4,
    make: (scratch) => (p) => ex.conv2d(l1, p[xId]!, n, h, w, c, wp, kp, bp, mp, sp, rq, p[yId]!, oh, ow, oc,
      kh, kw, icg, op.stride[0], op.stride[1], op.dilation[0], op.dilation[1], padT, padL,
      q.inputOffset, q.outputOffset, q.actMin, q.actMax, single, scratch),
  };
}
