// PRELU on int8 with a constant alpha broadcast to the input (NumPy rules, up to 4-D; usually one alpha per
// channel): x >= zp_in -> (x - zp_in) * s_in / s_out, else (x - zp_in) * (alpha - zp_alpha) * s_in * s_alpha /
// s_out, two multipliers, double rounding. TFLite Micro computes the multipliers in double, desktop TFLite in
// float32 (quant/unary.ts preluParams). Lowered to its own kernel op (a two-operand function, not a table).
import { TinyforgeError } from '../diagnostics.ts';
import { numElements, type OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType } from '../frontend/tflite/schema.ts';
import { preluParams } from '../quant/unary.ts';
import { broadcastStrides, pad4 } from './golden-abi.ts';
import { rule, to4d } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { legalizeSameShape } from './unary.ts';

/** inputs [x, alpha]; alpha is a constant int8 tensor broadcast to x's shape. */
export interface PreluOp extends OpBase {
  kind: 'prelu';
}

export const prelu = defineOp<'prelu'>({
  kind: 'prelu',
  summary: 'x if x >= 0 else alpha * x, alpha a broadcast tensor',
  arith: 'the identity and alpha multipliers are computed in double by tflm, in float32 by tflite (differs in about 1 model in 1,000)',
  tflite: {
    builtin: BuiltinOperator.PRELU,
    optionsType: BuiltinOptionsType.NONE,
    import: (c) => ({ kind: 'prelu', name: c.name }),
    version: 1,
    export: () => [0, 0],
  },
  arity: { inputs: [2, 2], activations: () => [0] },
  infer: (c) => {
    const x = c.tensor(0, 'input'), a = c.tensor(1, 'alpha');
    if (a.shape.length > x.shape.length) c.fail(`alpha [${a.shape}] has more dimensions than the input [${x.shape}]`);
    for (let i = 1; i <= a.shape.length; i++) {
      const da = a.shape[a.shape.length - i]!, dx = x.shape[x.shape.length - i]!;
      if (da !== dx && da !== 1) c.fail(`alpha [${a.shape}] does not broadcast to the input [${x.shape}]`);
    }
    return x.shape;
  },
  legalize: (c, op) => {
    legalizeSameShape(c, op);
    const x = c.t(op.inputs[0], 'input');
    const a = c.t(op.inputs[1], 'alpha');
    if (!(a.data instanceof Int8Array)) c.fail(`alpha '${a.name}' is not a constant int8 tensor`, 'PRELU needs alpha stored in the model');
    if (!a.quant || a.quant.scale.length !== 1) c.fail(`alpha '${a.name}' is not quantised per tensor`, 'one scale and zero point');
    if (x.shape.length > 4) c.fail(`input [${x.shape}] has more than 4 dimensions`);
    broadcastStrides(a.shape, pad4(x.shape));
  },
  lower: [
    rule({
      name: 'prelu',
      kinds: ['prelu'],
      priority: 0,
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!), a = ctx.t(op.inputs[1]!), y = ctx.t(op.outputs[0]!);
        const p = preluParams(ctx.graph, op, ctx.arith);
        return {
          kind: 'prelu', inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
          outShape: to4d(y.shape), alphaShape: to4d(a.shape), alpha: ctx.constant(a.id),
          inputOffset: p.inputOffset, alphaOffset: p.alphaOffset, outputOffset: p.outputOffset,
          mult1: p.mult1, shift1: p.shift1, mult2: p.mult2, shift2: p.shift2,
        };
      },
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => {
    const a = ctx.T(1);
    if (!(a.data instanceof Int8Array)) throw new TinyforgeError(`prelu: alpha '${a.name}' must be a constant int8 tensor`);
    const p = preluParams(ctx.graph, op, ctx.arith);
    const out = pad4(ctx.Y.shape);
    if (numElements(ctx.T(0).shape) !== numElements(out)) throw new TinyforgeError(`prelu: output [${ctx.Y.shape}] differs from input [${ctx.T(0).shape}]`);
    const sa = broadcastStrides(a.shape, out);
    const alphaPtr = ctx.upload(a.data);
    const x = op.inputs[0]!, y = op.outputs[0]!;
    return {
      scratch: 0,
      make: () => (t) => ctx.ex.prelu8(t[x]!, alphaPtr, t[y]!, out[0]!, out[1]!, out[2]!, out[3]!, ...sa,
        p.inputOffset, p.alphaOffset, p.outputOffset, p.mult1, p.shift1, p.mult2, p.shift2),
    };
  },
  cgra: { host: 'element-wise: no multiply-accumulates to map' },
});
