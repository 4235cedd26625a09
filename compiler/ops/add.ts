// ADD: element-wise sum with NumPy broadcasting up to 6-D (the kernel-IR `add` op up to 4-D, the general
// `binary` op beyond it or with a constant operand), TFLite's quantised arithmetic (both inputs
// rescaled to twice the larger input scale after a left shift of 20, then to the output scale). int16 in the
// `tflite` arithmetic with three power-of-two scales and `pot_scale_int16` not false: desktop TFLite's
// power-of-two path instead (compiler/quant/params.ts int16PotShifts, docs/int16.md).
import { type Activation, type OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { addQuantParams } from '../quant/params.ts';
import { broadcastShape, int8Or16Types } from './checks.ts';
import { foldBinary, goldenBinary, legalizeBinary, lowerBinary } from './elementwise.ts';
import { broadcastStrides, coalesceDims, pad4 } from './golden-abi.ts';
import { rule, to4d } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { fusedActivationMapping } from './tflite-options.ts';

/** inputs [a, b]; b (or a) broadcast NumPy-style. */
export interface AddOp extends OpBase {
  kind: 'add';
  activation: Activation;
  /** The file's `pot_scale_int16` when false (absent: true, TFLite's default): int16 in the `tflite`
   *  arithmetic then always takes the general path (compiler/quant/params.ts int16PotShifts). */
  potScaleInt16?: boolean;
}

export const add = defineOp<'add'>({
  kind: 'add',
  summary: 'element-wise sum with broadcasting',
  arith: 'same in both (left shift 20, int16 15, three multipliers below one); int16 with power-of-two scales and pot_scale_int16 (default true): tflite shifts one input right (rounding) and adds with int16 saturation, refusing what desktop TFLite refuses; tflm the general path',
  tflite: fusedActivationMapping('add', BuiltinOperator.ADD, BuiltinOptionsType.AddOptions, Slot.AddOptions.activation, 2, Slot.AddOptions.potScaleInt16),
  arity: { inputs: [2, 2], activations: () => [0, 1] },
  infer: (c) => broadcastShape(c, c.tensor(0, 'input a').shape, c.tensor(1, 'input b').shape),
  // int8, or int16 (16x8 models: the general int16 path, left shift 15, or desktop TFLite's power-of-two one; golden runtime and the Cortex-M binary kernel).
  types: (c) => { int8Or16Types(c, [0, 1]); },
  legalize: (c, op) => {
    legalizeBinary(c, op, true);
    c.activation(op.activation);
  },
  fold: (q, op, k) => {
    if (k.kind === 'binary') return foldBinary(q, op, k);
    const p = addQuantParams(q.graph, op);
    return {
      ...k, input1Offset: p.input1Offset, input2Offset: p.input2Offset, outputOffset: p.outputOffset,
      leftShift: p.leftShift, input1Q: p.input1Q, input2Q: p.input2Q, outputQ: p.outputQ,
    } as typeof k;
  },
  clamp: (g, op) => addQuantParams(g, op),
  lower: [
    // Beyond 4-D, with a constant operand, or int16: the general element-wise kernel.
    rule({
      name: 'add-binary',
      kinds: ['add'],
      priority: 1,
      when: (ctx, op) => ctx.t(op.outputs[0]!).shape.length > 4 || op.inputs.some((id) => ctx.t(id).data !== undefined) || ctx.t(op.outputs[0]!).dtype === 'int16',
      lower: lowerBinary,
    }),
    rule({
      name: 'add',
      kinds: ['add'],
      priority: 0,
      lower: (ctx, op) => {
        const a = ctx.t(op.inputs[0]!), b = ctx.t(op.inputs[1]!), y = ctx.t(op.outputs[0]!);
        const q = { multiplier: 0, shift: 0 };
        return {
          kind: 'add', inputs: [ctx.buffer(a.id), ctx.buffer(b.id)], output: ctx.buffer(y.id),
          outShape: to4d(y.shape), aShape: to4d(a.shape), bShape: to4d(b.shape),
          input1Offset: 0, input2Offset: 0, outputOffset: 0, leftShift: 0,
          input1Q: { ...q }, input2Q: { ...q }, outputQ: { ...q }, actMin: -128, actMax: 127,
        };
      },
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => {
    if (ctx.Y.shape.length > 4 || ctx.Y.dtype === 'int16') return goldenBinary(ctx, op);
    const { ex } = ctx;
    const q = addQuantParams(ctx.graph, op);
    const out4 = pad4(ctx.Y.shape);
    const { dims: out, strides: [sa, sb] } = coalesceDims(out4, [broadcastStrides(ctx.T(0).shape, out4), broadcastStrides(ctx.T(1).shape, out4)], 4);
    const aId = op.inputs[0]!, bId = op.inputs[1]!, yId = op.outputs[0]!;
    return {
      scratch: 0,
      make: () => (p) => ex.add(p[aId]!, p[bId]!, p[yId]!, out[0]!, out[1]!, out[2]!, out[3]!, ...sa!, ...sb!,
        q.input1Offset, q.input2Offset, q.outputOffset, q.leftShift, q.input1Q.multiplier, q.input1Q.shift,
        q.input2Q.multiplier, q.input2Q.shift, q.outputQ.multiplier, q.outputQ.shift, q.actMin, q.actMax),
    };
  },
  cgra: { host: 'element-wise: no multiply-accumulates to map' },
});
