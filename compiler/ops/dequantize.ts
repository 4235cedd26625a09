// DEQUANTIZE: int8 (or int16) -> float32 at a model's output edge (int8 body -> DEQUANTIZE -> FLOAT32 graph
// output), TFLite's float(scale * (q - zeroPoint)); why one float32 multiply is bit-exact with TFLite's
// double product is in compiler/quant/quantize.ts. The output must be a graph output: float32 exists only at
// the edges.
import { numElements, type OpBase, type Tensor } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType } from '../frontend/tflite/schema.ts';
import type { LegalCheck, ShapeCheck } from './checks.ts';
import { rule } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { checkQuantized } from './quantize.ts';
import { table } from './tflite-options.ts';

/** inputs [x] int8/int16 quantised per tensor; output float32, a graph output. */
export interface DequantizeOp extends OpBase {
  kind: 'dequantize';
}

function checkTypes(fail: (m: string, hint?: string) => never, x: Tensor, y: Tensor, outputIsGraphOutput: boolean): void {
  checkQuantized(fail, x, 'input');
  if (x.data) fail(`input '${x.name}' is a constant`, 'DEQUANTIZE of constants (float weights) is not supported');
  if (y.dtype !== 'float32') fail(`output '${y.name}' is ${y.dtype}`, 'DEQUANTIZE writes float32');
  if (!outputIsGraphOutput) fail(`float32 output '${y.name}' is not a graph output`, 'float32 is supported only at the model edges (DEQUANTIZE -> graph output)');
}

export const dequantize = defineOp<'dequantize'>({
  kind: 'dequantize',
  summary: 'int8 -> float32 at the output edge',
  arith: 'same in both (float32(scale * (q - zero point)), one correctly rounded product)',
  tflite: {
    builtin: BuiltinOperator.DEQUANTIZE,
    optionsType: BuiltinOptionsType.DequantizeOptions,
    import: (c) => ({ kind: 'dequantize', name: c.name }),
    version: 2,
    export: (b) => [BuiltinOptionsType.DequantizeOptions, table(b, 0, () => undefined)],
  },
  arity: { inputs: [1, 1], activations: () => [0] },
  infer: (c) => c.tensor(0, 'input').shape,
  types: (c: ShapeCheck, op) => {
    checkTypes((m, hint) => c.fail(hint ? `${m} (${hint})` : m), c.tensor(0, 'input'), c.g.tensors[op.outputs[0]!]!, c.g.outputs.includes(op.outputs[0]!));
  },
  legalize: (c: LegalCheck, op) => {
    const x = c.t(op.inputs[0], 'input'), y = c.t(op.outputs[0], 'output');
    checkTypes((m, hint) => c.fail(m, hint), x, y, c.g.outputs.includes(y.id));
    if (numElements(x.shape) !== numElements(y.shape)) c.fail(`input [${x.shape}] and output [${y.shape}] differ in size`);
  },
  fold: (q, op, k) => {
    const x = q.graph.tensors[op.inputs[0]!]!;
    return { ...k, scale: x.quant!.scale[0]!, inputOffset: -x.quant!.zeroPoint[0]! } as typeof k;
  },
  lower: [
    rule({
      name: 'dequantize',
      kinds: ['dequantize'],
      priority: 0,
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!);
        return { kind: 'dequantize', inputs: [ctx.buffer(x.id)], output: ctx.buffer(op.outputs[0]!), elements: numElements(x.shape), scale: 0, inputOffset: 0 };
      },
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => {
    const x = ctx.T(0);
    const n = numElements(x.shape);
    const xId = op.inputs[0]!, yId = op.outputs[0]!;
    const scale = x.quant!.scale[0]!, zp = x.quant!.zeroPoint[0]!;
    const inBytes = x.dtype === 'int16' ? 2 : 1;
    return { scratch: 0, make: () => (p) => ctx.ex.dequantize(p[xId]!, p[yId]!, n, inBytes, scale, -zp) };
  },
  cgra: { host: 'element-wise conversion at the edge: no multiply-accumulates to map' },
});
