// TRANSPOSE_CONV: the gradient of a 2-D convolution (each input pixel scatters kernel-weighted values into
// a stride-spaced output window), NHWC int8 with OHWI int8 weights (per tensor or per output channel),
// optional int32 bias. The output shape operand is read at import (it is the output tensor's shape) and
// written back; TFLite's operand order [output_shape, weights, input, bias?] becomes [x, w, bias?] here.
// Padding is computed as for a convolution from the output to the input. Requantisation rounds twice in
// both arithmetics (TFLite Micro's reference kernel and desktop TFLite's TransposeConvV2 both end in
// MultiplyByQuantizedMultiplier per channel). The fused activation (TransposeConvOptions, schema v4) is
// applied by TFLite Micro but ignored by the desktop interpreter the oracle runs (its TransposeConvV2 clamps
// to the int8 range only: 0 of 135 random relu/relu6/relu_n1_to_1 models matched with the clamp, all 64
// without one did), so the `tflite` arithmetic clamps to [-128, 127] (transposeConvClamp). Computed in gather form (each output sums the taps whose
// input pixel lands on it), which gives the same int32 sums as TFLite's scatter.
import { TinyforgeError } from '../diagnostics.ts';
import { padBefore, type Activation, type Graph, type OpBase, type Padding } from '../ir/graph.ts';
import type { Arith } from '../quant/multiplier.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { convQuantParams } from '../quant/params.ts';
import { int8Or16Types, same4 } from './checks.ts';
import { int8Data, nhwc, uploadBias64 } from './golden-abi.ts';
import { bias16x8, rule, unfolded, type LowerCtx } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { ACTIVATION_CODE, PADDING_CODE, activation, padding, table, int32Param } from './tflite-options.ts';

/** inputs [x, w (OHWI: O = output channels, I = input channels), bias?]; output shape = the output tensor's. */
export interface TransposeConvOp extends OpBase {
  kind: 'transpose_conv';
  stride: [number, number];
  padding: Padding;
  activation: Activation;
}

/** The output clamp: the fused activation's range (TFLite Micro), the whole int8 range in the tflite arithmetic. */
export function transposeConvClamp(g: Graph, op: TransposeConvOp, arith: Arith): { actMin: number; actMax: number } {
  if (arith === 'tflite') return g.tensors[op.outputs[0]!]!.dtype === 'int16' ? { actMin: -32768, actMax: 32767 } : { actMin: -128, actMax: 127 };
  const { actMin, actMax } = convQuantParams(g, op, 'tflm');
  return { actMin, actMax };
}

/** Padding before and after along one axis: a convolution from `outSize` (the transpose's output) to `inSize`. */
export function transposePads(inSize: number, outSize: number, k: number, stride: number, p: Padding): [number, number] {
  const before = padBefore(outSize, k, stride, 1, p);
  return [before, Math.max(0, (inSize - 1) * stride + k - outSize - before)];
}

/** The kernel-IR geometry of a transpose conv (both lowerings): tensors, sizes, strides and pads. */
function transposeGeometry(ctx: LowerCtx, op: TransposeConvOp) {
  const x = ctx.t(op.inputs[0]!), w = ctx.t(op.inputs[1]!), y = ctx.t(op.outputs[0]!);
  const [batches, inH, inW, inC] = x.shape as [number, number, number, number];
  const [, outH, outW, outC] = y.shape as [number, number, number, number];
  const [, kH, kW] = w.shape as [number, number, number, number];
  const [padTop, padBottom] = transposePads(inH, outH, kH, op.stride[0], op.padding);
  const [padLeft, padRight] = transposePads(inW, outW, kW, op.stride[1], op.padding);
  return { x, w, y, g: { batches, inH, inW, inC, outH, outW, outC, kH, kW, strideH: op.stride[0], strideW: op.stride[1], dilationH: 1, dilationW: 1, padTop, padLeft, padBottom, padRight } };
}

export const transposeConv = defineOp<'transpose_conv'>({
  kind: 'transpose_conv',
  summary: 'transposed 2-D convolution (per-tensor or per-channel weights, optional bias)',
  arith: 'double rounding in both; tflm clamps to the fused activation, tflite ignores it (int8 range); 16x8: int64 sums and the int64 MultiplyByQuantizedMultiplier in both (docs/int16.md)',
  tflite: {
    builtin: BuiltinOperator.TRANSPOSE_CONV,
    optionsType: BuiltinOptionsType.TransposeConvOptions,
    import: (c) => {
      // The output tensor's (static) shape is the output shape; a constant operand must agree in length.
      const shape = c.operand(0);
      if (!shape || shape.shape.length !== 1 || shape.shape[0] !== 4 || (shape.values && shape.values.length !== 4)) c.fail('TRANSPOSE_CONV needs an output shape tensor of 4 values (input 0)');
      const x = c.opts, s = Slot.TransposeConvOptions;
      return {
        kind: 'transpose_conv', name: c.name, padding: padding(c, x.i8(s.padding)), stride: [x.i32(s.strideH), x.i32(s.strideW)],
        activation: activation(c, x.i8(s.activation)),
      };
    },
    operands: (inputs) => (inputs.length > 3 ? [inputs[2]!, inputs[1]!, inputs[3]!] : [inputs[2]!, inputs[1]!]),
    exportInputs: (op, g) => {
      const y = g.tensors[op.outputs[0]!]!;
      const head = [int32Param(`${op.name ?? 'transpose_conv'}.output_shape`, y.shape), op.inputs[1]!, op.inputs[0]!];
      return (op.inputs[2] ?? -1) >= 0 ? [...head, op.inputs[2]!] : head;
    },
    version: 3,
    export: (b, o) => {
      const s = Slot.TransposeConvOptions;
      return [BuiltinOptionsType.TransposeConvOptions, table(b, 4, () => {
        b.addFieldInt8(s.padding, PADDING_CODE[o.padding], 0);
        b.addFieldInt32(s.strideW, o.stride[1], 0);
        b.addFieldInt32(s.strideH, o.stride[0], 0);
        b.addFieldInt8(s.activation, ACTIVATION_CODE[o.activation], 0);
      })];
    },
  },
  arity: { inputs: [2, 3], activations: () => [0] },
  infer: (c, op) => {
    const [n, , , inC] = same4(c, c.tensor(0, 'input'));
    const w = c.tensor(1, 'weights');
    c.rank(w, 'weights', 4);
    const [outC, , , wi] = w.shape as [number, number, number, number];
    if (wi !== inC) c.fail(`weights' input channels ${wi} (OHWI) must equal the input channels ${inC}`);
    c.attrPositive('stride', op.stride);
    c.weights(w, outC, 0);
    c.bias(2, outC);
    const y = c.g.tensors[op.outputs[0]!];
    if (!y || y.shape.length !== 4) c.fail('output must be a 4-D NHWC tensor (its shape is the output_shape operand)');
    return [n, y.shape[1]!, y.shape[2]!, outC];
  },
  // int8, or 16x8 (int16 activations, int8 weights, int64 bias; golden runtime, Cortex-M conv16x8).
  types: (c) => { int8Or16Types(c, [0]); },
  legalize: (c, op) => {
    const x = c.act(op.inputs[0], 'input', true);
    const y = c.act(op.outputs[0], 'output', true);
    if (x.dtype !== y.dtype) c.fail(`input is ${x.dtype} but output is ${y.dtype}`, 'int8 -> int8, or int16 -> int16 (16x8)');
    c.positive(op.stride, 'stride');
    c.activation(op.activation);
    c.rank(x, 4, 'input');
    c.rank(y, 4, 'output');
    const outC = y.shape[3]!;
    const w = c.weights(op.inputs[1], 4, 0, outC);
    if (w.shape[0] !== outC || w.shape[3] !== x.shape[3]) c.fail(`weights '${w.name}' [${w.shape}] do not map ${x.shape[3]} to ${outC} channels`, 'OHWI weights, O = output channels, I = input channels');
    if (y.shape[0] !== x.shape[0]) c.fail(`output batch ${y.shape[0]} differs from the input's ${x.shape[0]}`);
    c.bias(op.inputs[2], outC, x.dtype === 'int16');
  },
  fold: (q, op, k) => {
    if (k.kind === 'conv16x8') return k; // its lowering computed TFLite Micro's 16x8 multipliers and clamp
    const p = convQuantParams(q.graph, op, 'tflm');
    // The clamp depends on the arithmetic, so it is set here (no `clamp` hook: fuse-activation leaves it).
    return { ...k, inputOffset: p.inputOffset, outputOffset: p.outputOffset, requant: p.requant, rounding: 'double', ...transposeConvClamp(q.graph, op, q.arith) } as typeof k;
  },
  lower: [
    rule({
      name: 'transpose_conv-16x8',
      kinds: ['transpose_conv'],
      priority: 20,
      when: (ctx, op) => ctx.t(op.inputs[0]!).dtype === 'int16',
      lower: (ctx, op) => {
        const { x, w, y, g } = transposeGeometry(ctx, op);
        const q = convQuantParams(ctx.graph, op, 'tflm');
        const { actMin, actMax } = transposeConvClamp(ctx.graph, op, ctx.arith);
        return {
          kind: 'conv16x8', transpose: true, groups: 1, inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
          ...g, weights: ctx.constant(w.id), bias: bias16x8(ctx, op.inputs[2]!),
          requant: q.requant, actMin, actMax,
        };
      },
    }),
    rule({
      name: 'transpose_conv',
      kinds: ['transpose_conv'],
      priority: 0,
      lower: (ctx, op) => {
        const { x, w, y, g } = transposeGeometry(ctx, op);
        return {
          kind: 'transpose_conv', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
          ...g, ...unfolded(), weights: ctx.constant(w.id), bias: ctx.constant(op.inputs[2]!),
        };
      },
    }),
  ],
  // Every input value meets every weight of its output channel's window: N x H x W x I x KH x KW x O.
  macs: (_g, op, t) => t(op.inputs[0]!).shape.reduce((a, b) => a * b, 1) * t(op.inputs[1]!).shape.slice(0, 3).reduce((a, b) => a * b, 1),
  golden: (ctx, op) => {
    const [n, h, w, c] = nhwc(ctx.T(0));
    const [oc, kh, kw, ic] = ctx.T(1).shape as [number, number, number, number];
    const [, oh, ow, yc] = nhwc(ctx.Y);
    if (ic !== c || yc !== oc) throw new TinyforgeError(`transpose_conv: weights [${ctx.T(1).shape}] do not map ${c} to ${yc} channels`);
    const q = { ...convQuantParams(ctx.graph, op, 'tflm'), ...transposeConvClamp(ctx.graph, op, ctx.arith) };
    const wp = ctx.upload(int8Data(ctx.T(1)));
    const bp = ctx.Y.dtype === 'int16' ? 0 : ctx.bias(op, oc);
    const [mp, sp] = ctx.uploadRequant(q.requant.multiplier, q.requant.shift, oc);
    const padT = padBefore(oh, kh, op.stride[0], 1, op.padding);
    const padL = padBefore(ow, kw, op.stride[1], 1, op.padding);
    const xId = op.inputs[0]!, yId = op.outputs[0]!;
    if (ctx.Y.dtype === 'int16') {
      // 16x8: TFLite Micro's reference_integer_ops::TransposeConv for int16 (int64 scratch sums, int64 bias,
      // the int64 MultiplyByQuantizedMultiplier), clamped to its fused activation.
      const b64 = uploadBias64(ctx, (op.inputs[2] ?? -1) >= 0 ? ctx.T(2) : undefined, oc);
      return {
        scratch: 0,
        make: () => (p) => ctx.ex.transposeConv16x8(p[xId]!, n, h, w, c, wp, b64, mp, sp, p[yId]!, oh, ow, oc, kh, kw, op.stride[0], op.stride[1],
          padT, padL, q.actMin, q.actMax),
      };
    }
    return {
      scratch: 0,
      make: () => (p) => ctx.ex.transposeConv(p[xId]!, n, h, w, c, wp, bp, mp, sp, p[yId]!, oh, ow, oc, kh, kw, op.stride[0], op.stride[1],
        padT, padL, q.inputOffset, q.outputOffset, q.actMin, q.actMax),
    };
  },
  cgra: { host: 'a scatter (each input pixel feeds a strided output window): not the gather convolution the array maps' },
});
