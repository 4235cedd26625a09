// LEAKY_RELU on int8: x >= zp_in -> identity multiplier, else the alpha multiplier (s_in * alpha / s_out in
// float32; negative alpha gives a negative multiplier), double rounding, same in TFLite and TFLite Micro
// (quant/unary.ts). Lowered to a lookup table (unary.ts). int16 (16x8 models): the same multipliers (TFLite
// Micro's LeakyRelu prepare is shared by both types), computed per element by the golden runtime's leakyRelu16.
import type { OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { numElements } from '../ir/graph.ts';
import { unaryParams } from '../quant/unary.ts';
import { int8Or16Types } from './checks.ts';
import { rule } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { table } from './tflite-options.ts';
import { legalizeSameShape, lutRule, unaryGolden } from './unary.ts';

export interface LeakyReluOp extends OpBase {
  kind: 'leaky_relu';
  /** Slope below zero (a float32 in the file). */
  alpha: number;
}

export const leakyRelu = defineOp<'leaky_relu'>({
  kind: 'leaky_relu',
  summary: 'x if x >= 0 else alpha * x',
  arith: 'same in both',
  tflite: {
    builtin: BuiltinOperator.LEAKY_RELU,
    optionsType: BuiltinOptionsType.LeakyReluOptions,
    import: (c) => ({ kind: 'leaky_relu', name: c.name, alpha: c.opts.f32(Slot.LeakyReluOptions.alpha) }),
    version: 2,
    export: (b, o) => [BuiltinOptionsType.LeakyReluOptions, table(b, 1, () => b.addFieldFloat32(Slot.LeakyReluOptions.alpha, o.alpha, 0))],
  },
  arity: { inputs: [1, 1], activations: () => [0] },
  infer: (c, op) => {
    if (!Number.isFinite(op.alpha)) c.fail(`alpha must be finite, got ${op.alpha}`);
    return c.tensor(0, 'input').shape;
  },
  types: (c) => { int8Or16Types(c, [0]); },
  legalize: (c, op) => legalizeSameShape(c, op, true),
  lower: [
    lutRule('leaky_relu') as never,
    // int16: 65536 inputs make a table too large; the kernel computes each element (leaky_relu16).
    rule({
      name: 'leaky_relu16',
      kinds: ['leaky_relu'],
      priority: 20,
      when: (ctx, op) => ctx.t(op.inputs[0]!).dtype === 'int16',
      lower: (ctx, op) => {
        const p = unaryParams(ctx.graph, op, ctx.arith);
        if (p.type !== 'leaky') throw new Error('leaky_relu: unexpected parameters');
        return {
          kind: 'leaky_relu16', inputs: [ctx.buffer(op.inputs[0]!)], output: ctx.buffer(op.outputs[0]!), elements: numElements(ctx.t(op.inputs[0]!).shape),
          inZp: p.inZp, outZp: p.outZp, identity: { multiplier: p.multId, shift: p.shiftId }, alpha: { multiplier: p.multAlpha, shift: p.shiftAlpha },
        };
      },
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => {
    if (ctx.Y.dtype !== 'int16') return unaryGolden(ctx, op);
    const p = unaryParams(ctx.graph, op, ctx.arith);
    if (p.type !== 'leaky') throw new Error('leaky_relu: unexpected parameters');
    const n = numElements(ctx.Y.shape), x = op.inputs[0]!, y = op.outputs[0]!;
    return { scratch: 0, make: () => (t) => ctx.ex.leakyRelu16(t[x]!, t[y]!, n, p.inZp, p.outZp, p.multId, p.shiftId, p.multAlpha, p.shiftAlpha) };
  },
  cgra: { host: 'element-wise: no multiply-accumulates to map' },
});
