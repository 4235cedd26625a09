// Shift convolution (Active-Shift / ShiftNet), a tinyforge op with no TFLite builtin (YAML networks only):
// each input channel is shifted spatially by a fixed (dy, dx), then a 1x1 convolution is applied.
// inputs [x, w [outC,1,1,inC], bias?].
import { TinyforgeError } from '../diagnostics.ts';
import { convOutSize, type Activation, type OpBase } from '../ir/graph.ts';
import { convQuantParams } from '../quant/params.ts';
import { same4 } from './checks.ts';
import { foldConvLike } from './conv2d.ts';
import { nhwc } from './golden-abi.ts';
import { rule, unfolded, windowOf } from './lowering.ts';
import { defineOp } from './op-def.ts';

/**
 * Shift convolution (Active-Shift / ShiftNet): each input channel c is first shifted spatially by a fixed
 * (dy[c], dx[c]) (out-of-range pixels read the input zero point, i.e. real 0), then a pointwise conv
 * (weights [outC, 1, 1, inC], optional stride) is applied. inputs [x, w, bias?].
 */
export interface ShiftConv2dOp extends OpBase {
  kind: 'shift_conv2d';
  /** One [dy, dx] per input channel: output pixel (y, x) of channel c reads input (y + dy, x + dx). */
  shifts: Array<[number, number]>;
  stride: [number, number];
  activation: Activation;
}

export const shiftConv2d = defineOp<'shift_conv2d'>({
  kind: 'shift_conv2d',
  summary: 'per-channel spatial shift followed by a 1x1 convolution',
  arith: 'no TFLite counterpart: double rounding in both',
  arity: { inputs: [2, 3], activations: () => [0] },
  infer: (c, op) => {
    const [n, h, w, inC] = same4(c, c.tensor(0, 'input'));
    if (op.shifts.length !== inC) c.fail(`needs one shift per input channel (${inC}), has ${op.shifts.length}`);
    if (!op.shifts.every((s) => s.length === 2 && s.every(Number.isInteger))) c.fail('shifts must be integer [dy, dx] pairs');
    const wt = c.tensor(1, 'weights');
    c.rank(wt, 'weights', 4);
    const [outC, kh, kw, wc] = wt.shape as [number, number, number, number];
    if (kh !== 1 || kw !== 1 || wc !== inC) c.fail(`weights must have shape [outC, 1, 1, ${inC}], have [${wt.shape}]`);
    c.attrPositive('stride', op.stride);
    c.weights(wt, outC, 0);
    c.bias(2, outC);
    return [n, convOutSize(h, 1, op.stride[0], 1, 'valid'), convOutSize(w, 1, op.stride[1], 1, 'valid'), outC];
  },
  legalize: (c, op) => {
    const x = c.act(op.inputs[0], 'input');
    const y = c.act(op.outputs[0], 'output');
    c.positive(op.stride, 'stride');
    c.activation(op.activation);
    c.rank(x, 4, 'input');
    const w = c.weights(op.inputs[1], 4, 0, y.shape[y.shape.length - 1]!);
    if (w.shape[1] !== 1 || w.shape[2] !== 1 || w.shape[3] !== x.shape[3]) c.fail(`weights '${w.name}' have shape [${w.shape}]`, `expected [outC, 1, 1, ${x.shape[3]}]`);
    if (op.shifts.length !== x.shape[3]) c.fail(`has ${op.shifts.length} shifts for ${x.shape[3]} input channels`, 'one [dy, dx] per input channel');
    if (op.shifts.some((s) => s.length !== 2 || !s.every(Number.isInteger))) c.fail('a shift is not a pair of integers');
    c.spatial(x, y, [1, 1], op.stride, [1, 1], 'valid', w.shape[0]!);
    c.bias(op.inputs[2], w.shape[0]!);
  },
  fold: (q, op, k) => foldConvLike(q, op, k),
  clamp: (g, op) => convQuantParams(g, op, 'tflm'),
  lower: [
    rule({
      name: 'shift_conv2d',
      kinds: ['shift_conv2d'],
      priority: 0,
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!), w = ctx.t(op.inputs[1]!), y = ctx.t(op.outputs[0]!);
        return {
          kind: 'shift_conv2d', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
          ...windowOf(x, y, [1, 1], op.stride, [1, 1], 'valid'), ...unfolded(),
          shifts: op.shifts.map(([dy, dx]): [number, number] => [dy, dx]),
          weights: ctx.constant(w.id), bias: ctx.constant(op.inputs[2]!),
        };
      },
    }),
  ],
  macs: (_g, op, t) => {
    const [, kh, kw, wi] = t(op.inputs[1]!).shape as [number, number, number, number];
    return t(op.outputs[0]!).shape.reduce((a, b) => a * b, 1) * kh * kw * wi;
  },
  golden: (ctx, op) => {
    const { ex } = ctx;
    const [n, h, w, c] = nhwc(ctx.T(0));
    const [oc] = ctx.T(1).shape as [number];
    const [, oh, ow] = nhwc(ctx.Y);
    if (op.shifts.length !== c) throw new TinyforgeError(`shift_conv2d has ${op.shifts.length} shifts for ${c} input channels`);
    const q = convQuantParams(ctx.graph, op, 'tflm');
    const { ptr: wp, kp } = ctx.weightRows(ctx.T(1), oc, c);
    const bp = ctx.bias(op, oc);
    const [mp, sp] = ctx.uploadRequant(q.requant.multiplier, q.requant.shift, oc);
    const shp = ctx.upload(Int32Array.from(op.shifts.flat()));
    const rq = ctx.requantTable(q.requant.shift, oc);
    const xId = op.inputs[0]!, yId = op.outputs[0]!;
    return {
      scratch: kp * 2,
      make: (scratch) => (p) => ex.shiftConv2d(p[xId]!, n, h, w, c, shp, wp, kp, bp, mp, sp, rq, p[yId]!, oh, ow, oc,
        op.stride[0], op.stride[1], q.inputOffset, q.outputOffset, q.actMin, q.actMax, 0, scratch),
    };
  },
  cgra: { host: 'no shift-convolution dataflow is mapped onto the array' },
});
