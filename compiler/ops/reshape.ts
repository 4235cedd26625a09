// RESHAPE: a view with a new shape (the output tensor's shape rules; TFLite's shape operand is dropped on
// import). Lowered to a kernel reshape whose output buffer aliases its input.
import { TinyforgeError } from '../diagnostics.ts';
import { numElements, type OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { rule } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { int32Vector, table } from './tflite-options.ts';

/** inputs [x] (a second shape input from TFLite is dropped by the front end); output tensor's shape rules. */
export interface ReshapeOp extends OpBase {
  kind: 'reshape';
}

export const reshape = defineOp<'reshape'>({
  kind: 'reshape',
  summary: 'same elements, new shape (a view)',
  arith: 'same in both (no arithmetic)',
  tflite: {
    builtin: BuiltinOperator.RESHAPE,
    optionsType: BuiltinOptionsType.ReshapeOptions,
    import: (c) => ({ kind: 'reshape', name: c.name }),
    operands: (inputs) => inputs.slice(0, 1),
    version: 1,
    // The new shape is the output tensor's shape.
    export: (b, _op, g) => {
      const newShape = int32Vector(b, g.tensors[_op.outputs[0]!]!.shape);
      return [BuiltinOptionsType.ReshapeOptions, table(b, 1, () => b.addFieldOffset(Slot.ReshapeOptions.newShape, newShape, 0))];
    },
  },
  arity: { inputs: [1, 1], activations: () => [0] },
  infer: (c) => {
    const x = c.tensor(0, 'input');
    const out = c.g.tensors[c.op.outputs[0]!]!;
    if (numElements(x.shape) !== numElements(out.shape)) c.fail(`output [${out.shape}] must have as many elements as input [${x.shape}]`);
    return out.shape;
  },
  legalize: (c, op) => {
    const x = c.act(op.inputs[0], 'input');
    const y = c.act(op.outputs[0], 'output');
    if (numElements(x.shape) !== numElements(y.shape)) c.fail(`[${x.shape}] has ${numElements(x.shape)} elements, [${y.shape}] has ${numElements(y.shape)}`, 'reshape keeps the element count');
    if (x.quant!.scale[0] !== y.quant!.scale[0] || x.quant!.zeroPoint[0] !== y.quant!.zeroPoint[0]) c.fail('input and output quantisation differ', 'a reshape is a view: it cannot requantise');
  },
  lower: [
    rule({
      name: 'reshape',
      kinds: ['reshape'],
      priority: 0,
      lower: (ctx, op) => ({ kind: 'reshape', inputs: [ctx.buffer(op.inputs[0]!)], output: ctx.buffer(op.outputs[0]!) }),
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => {
    const bytes = numElements(ctx.T(0).shape);
    if (bytes !== numElements(ctx.Y.shape)) throw new TinyforgeError(`reshape from [${ctx.T(0).shape}] to [${ctx.Y.shape}] changes the element count`);
    const xId = op.inputs[0]!, yId = op.outputs[0]!;
    return { scratch: 0, make: () => (p) => ctx.ex.copyBytes(p[xId]!, p[yId]!, bytes) };
  },
  cgra: { host: 'a view: no computation' },
});
