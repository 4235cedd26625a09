// FULLY_CONNECTED: int8 matrix [outC, inC] times the input flattened to rows of inC, keep_num_dims
// optional. inputs [x, w, bias?]. tflite arithmetic rounds once (desktop TFLite), tflm twice.
import { TinyforgeError } from '../diagnostics.ts';
import { numElements, type Activation, type OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot, WeightsFormat } from '../frontend/tflite/schema.ts';
import { convQuantParams } from '../quant/params.ts';
import { int8Or16Types } from './checks.ts';
import { foldConvLike } from './conv2d.ts';
import { int8Data, uploadBias64 } from './golden-abi.ts';
import { bias16x8, rule, unfolded } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { ACTIVATION_CODE, activation, table } from './tflite-options.ts';

/** inputs [x, w (outC, inC), bias?]; x is flattened to [batches, inC]. */
export interface FullyConnectedOp extends OpBase {
  kind: 'fully_connected';
  activation: Activation;
  /** TFLite keep_num_dims: output keeps x's leading dims instead of [batches, outC]. */
  keepNumDims: boolean;
}

export const fullyConnected = defineOp<'fully_connected'>({
  kind: 'fully_connected',
  summary: 'matrix times vector(s), per-tensor or per-channel weights',
  arith: 'tflm rounds twice; tflite rounds once (64-bit multiply, shift capped at 30); 16x8: int64 accumulator and the int64 MultiplyByQuantizedMultiplier in both (docs/int16.md)',
  tflite: {
    builtin: BuiltinOperator.FULLY_CONNECTED,
    optionsType: BuiltinOptionsType.FullyConnectedOptions,
    import: (c) => {
      const x = c.opts, s = Slot.FullyConnectedOptions;
      if (x.i8(s.weightsFormat) !== WeightsFormat.DEFAULT) c.fail('unsupported FULLY_CONNECTED weights_format (shuffled weights)');
      return { kind: 'fully_connected', name: c.name, activation: activation(c, x.i8(s.activation)), keepNumDims: x.bool(s.keepNumDims) };
    },
    version: 4,
    export: (b, o) => {
      const s = Slot.FullyConnectedOptions;
      return [BuiltinOptionsType.FullyConnectedOptions, table(b, 3, () => {
        b.addFieldInt8(s.activation, ACTIVATION_CODE[o.activation], 0);
        b.addFieldInt8(s.keepNumDims, o.keepNumDims ? 1 : 0, 0);
      })];
    },
  },
  arity: { inputs: [2, 3], activations: () => [0] },
  infer: (c, op) => {
    const x = c.tensor(0, 'input');
    const wt = c.tensor(1, 'weights');
    c.rank(wt, 'weights', 2);
    const [outC, inC] = wt.shape as [number, number];
    const n = numElements(x.shape);
    if (inC < 1 || n % inC !== 0) c.fail(`input '${x.name}' [${x.shape}] has ${n} elements, not a multiple of the weights' input size ${inC}`);
    if (op.keepNumDims && x.shape[x.shape.length - 1] !== inC) c.fail(`keep_num_dims needs the input's last dimension to equal ${inC}, input is [${x.shape}]`);
    c.weights(wt, outC, 0);
    c.bias(2, outC);
    return op.keepNumDims ? [...x.shape.slice(0, -1), outC] : [n / inC, outC];
  },
  // int8, or 16x8 (int16 activations, int8 weights, int64 bias).
  types: (c) => { int8Or16Types(c, [0]); },
  legalize: (c, op) => {
    const x = c.act(op.inputs[0], 'input', true);
    const y = c.act(op.outputs[0], 'output', true);
    if (x.dtype !== y.dtype) c.fail(`input is ${x.dtype} but output is ${y.dtype}`, 'int8 -> int8, or int16 -> int16 (16x8)');
    c.activation(op.activation);
    const w = c.weights(op.inputs[1], 2, 0, y.shape[y.shape.length - 1]!);
    const [outDepth, inDepth] = w.shape as [number, number];
    const n = numElements(x.shape);
    if (inDepth < 1 || n % inDepth !== 0) c.fail(`input '${x.name}' of shape [${x.shape}] does not flatten to rows of ${inDepth}`, 'the input size must be a multiple of the weights\' input depth');
    if (numElements(y.shape) !== (n / inDepth) * outDepth || y.shape[y.shape.length - 1] !== outDepth) c.fail(`output '${y.name}' has shape [${y.shape}]`, `expected ${n / inDepth} rows of ${outDepth}`);
    c.bias(op.inputs[2], outDepth, x.dtype === 'int16');
  },
  fold: (q, op, k) => foldConvLike(q, op, k),
  clamp: (g, op) => convQuantParams(g, op, 'tflm'),
  lower: [
    // 16x8: rows of the flattened input as 1x1 pixels of a 1x1 16x8 convolution (the same int64 sums).
    rule({
      name: 'fully_connected-16x8',
      kinds: ['fully_connected'],
      priority: 20,
      when: (ctx, op) => ctx.t(op.inputs[0]!).dtype === 'int16',
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!), w = ctx.t(op.inputs[1]!), y = ctx.t(op.outputs[0]!);
        const [outDepth, inDepth] = w.shape as [number, number];
        const q = convQuantParams(ctx.graph, op, 'tflm');
        return {
          kind: 'conv16x8', transpose: false, inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
          batches: numElements(x.shape) / inDepth, inH: 1, inW: 1, inC: inDepth, outH: 1, outW: 1, outC: outDepth, kH: 1, kW: 1,
          strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, groups: 1,
          weights: ctx.newConstant(`${w.name}.ohwi`, 'int8', [outDepth, 1, 1, inDepth], w.data as Int8Array),
          bias: bias16x8(ctx, op.inputs[2]!), requant: q.requant, actMin: q.actMin, actMax: q.actMax,
        };
      },
    }),
    rule({
      name: 'fully_connected',
      kinds: ['fully_connected'],
      priority: 0,
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!), w = ctx.t(op.inputs[1]!), y = ctx.t(op.outputs[0]!);
        const [outDepth, inDepth] = w.shape as [number, number];
        return {
          kind: 'fully_connected', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id), ...unfolded(),
          batches: numElements(x.shape) / inDepth, inDepth, outDepth,
          weights: ctx.constant(w.id), bias: ctx.constant(op.inputs[2]!),
        };
      },
    }),
  ],
  macs: (_g, op, t) => {
    const [outC, inC] = t(op.inputs[1]!).shape as [number, number];
    return (numElements(t(op.inputs[0]!).shape) / inC) * inC * outC;
  },
  golden: (ctx, op) => {
    const { ex } = ctx;
    const [oc, ic] = ctx.T(1).shape as [number, number];
    const total = numElements(ctx.T(0).shape);
    if (total % ic !== 0) throw new TinyforgeError(`input of ${total} values is not a whole number of rows of ${ic}`);
    const batches = total / ic;
    if (ctx.Y.dtype === 'int16') {
      // 16x8 (reference_integer_ops::FullyConnected with int64 accumulator and bias): a 1x1 16x8 convolution.
      const q16 = convQuantParams(ctx.graph, op, 'tflm');
      const wp16 = ctx.upload(int8Data(ctx.T(1)));
      const b64 = uploadBias64(ctx, (op.inputs[2] ?? -1) >= 0 ? ctx.T(2) : undefined, oc);
      const [m16, s16] = ctx.uploadRequant(q16.requant.multiplier, q16.requant.shift, oc);
      const xi = op.inputs[0]!, yi = op.outputs[0]!;
      return {
        scratch: 0,
        make: () => (p) => ex.conv16x8(p[xi]!, batches, 1, 1, ic, wp16, ic, b64, m16, s16, p[yi]!, 1, 1, oc, 1, 1, 1, 1, 1, 1, 0, 0, q16.actMin, q16.actMax),
      };
    }
    const q = convQuantParams(ctx.graph, op, ctx.arith);
    const single = ctx.arith === 'tflite' ? 1 : 0;
    const { ptr: wp, kp } = ctx.weightRows(ctx.T(1), oc, ic);
    const bp = ctx.bias(op, oc);
    const [mp, sp] = ctx.uploadRequant(q.requant.multiplier, q.requant.shift, oc);
    const rq = single ? 0 : ctx.requantTable(q.requant.shift, oc);
    const xId = op.inputs[0]!, yId = op.outputs[0]!;
    return {
      scratch: kp * 4,
      make: (scratch) => (p) => ex.conv2d(0, p[xId]!, batches, 1, 1, ic, wp, kp, bp, mp, sp, rq, p[yId]!, 1, 1, oc,
        1, 1, ic, 1, 1, 1, 1, 0, 0, q.inputOffset, q.outputOffset, q.actMin, q.actMax, single, scratch),
    };
  },
  cgra: { maps: 'fc' },
});
