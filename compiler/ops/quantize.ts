// QUANTIZE: float32 -> int8 at a model's input edge (Keras/TFLite exports with float inputs: FLOAT32 input ->
// QUANTIZE -> int8 body), and int8 <-> int16 / int8 -> int8 requantisation inside a model. The arithmetic
// (TFLite's AffineQuantize and Requantize, and where TFLite Micro and desktop TFLite differ) is in
// compiler/quant/quantize.ts. A float32 input must be a graph input: float32 exists only at the edges.
import { numElements, type Op, type OpBase, type Tensor } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType } from '../frontend/tflite/schema.ts';
import { qRange, quantizeDivision, requantizeParams } from '../quant/quantize.ts';
import type { LegalCheck, ShapeCheck } from './checks.ts';
import { rule, type LowerCtx } from './lowering.ts';
import { lutRule } from './unary.ts';
import { defineOp } from './op-def.ts';
import { table } from './tflite-options.ts';

/** inputs [x]: float32 (a graph input), int8 or int16; output int8 or int16, quantised per tensor. */
export interface QuantizeOp extends OpBase {
  kind: 'quantize';
}

const INT_TYPES = ['int8', 'int16'];

/** A per-tensor quantised int8/int16 tensor with a positive float32 scale (int16: zero point 0, as TFLite requires). */
export function checkQuantized(fail: (m: string, hint?: string) => never, t: Tensor, role: string, anyInt16Zp = false): { scale: number; zeroPoint: number } {
  if (!INT_TYPES.includes(t.dtype)) fail(`${role} '${t.name}' is ${t.dtype}`, 'expected int8 or int16');
  const q = t.quant;
  if (!q || q.scale.length !== 1 || q.zeroPoint.length !== 1) fail(`${role} '${t.name}' is not quantised per tensor`, 'one scale and one zero point');
  const scale = q.scale[0]!, zeroPoint = q.zeroPoint[0]!;
  if (!(scale > 0) || !Number.isFinite(scale)) fail(`${role} '${t.name}' has scale ${scale}`, 'scales must be positive and finite');
  const [lo, hi] = qRange(t.dtype);
  if (zeroPoint < lo || zeroPoint > hi) fail(`${role} '${t.name}' has zero point ${zeroPoint} outside the ${t.dtype} range`);
  if (t.dtype === 'int16' && zeroPoint !== 0 && !anyInt16Zp) fail(`${role} '${t.name}' is int16 with zero point ${zeroPoint}`, 'int16 activations are symmetric (zero point 0)');
  return { scale, zeroPoint };
}

/**
 * The conversions TFLite Micro's QUANTIZE runs between integer types beyond the backends' (int8 <-> int16):
 * int16 -> int16 and int16 <-> int32, as in its 16x8 integration-test models (golden runtime only).
 */
function goldenOnlyPair(x: Tensor, y: Tensor): boolean {
  return (x.dtype === 'int16' && (y.dtype === 'int16' || y.dtype === 'int32')) || (x.dtype === 'int32' && y.dtype === 'int16');
}

/** A per-tensor quantised int32 edge tensor (TFLite Micro's int32 QUANTIZE operands). */
function checkInt32(fail: (m: string, hint?: string) => never, t: Tensor, role: string): void {
  const q = t.quant;
  if (!q || q.scale.length !== 1 || q.zeroPoint.length !== 1 || !(q.scale[0]! > 0) || !Number.isFinite(q.scale[0]!)) {
    fail(`${role} '${t.name}' is not quantised per tensor with a positive scale`, 'one scale and one zero point');
  }
}

function checkTypes(fail: (m: string, hint?: string) => never, x: Tensor, y: Tensor, inputIsGraphInput: boolean, golden = false): void {
  if (golden && goldenOnlyPair(x, y)) {
    // int16 -> int32 takes any input zero point: TFLite's Requantize subtracts it (keyword_scrambled's int8 ->
    // int16 softmax output, zero point -32768, ends in one).
    if (x.dtype === 'int32') checkInt32(fail, x, 'input'); else checkQuantized(fail, x, 'input', y.dtype === 'int32');
    if (y.dtype === 'int32') checkInt32(fail, y, 'output'); else checkQuantized(fail, y, 'output');
    if (x.data) fail(`input '${x.name}' is a constant`, 'QUANTIZE reads an activation');
    return;
  }
  if (x.dtype === 'float32') {
    if (!inputIsGraphInput) fail(`float32 input '${x.name}' is not a graph input`, 'float32 is supported only at the model edges (graph input -> QUANTIZE)');
    if (y.dtype !== 'int8') fail(`float32 -> ${y.dtype} is not supported`, 'a float32 input quantises to int8');
  } else {
    checkQuantized(fail, x, 'input');
    if (x.dtype === 'int16' && y.dtype === 'int16') fail('int16 -> int16 is not supported', 'supported: float32 -> int8, int8 -> int8, int8 <-> int16');
  }
  checkQuantized(fail, y, 'output');
  if (x.data) fail(`input '${x.name}' is a constant`, 'QUANTIZE reads an activation');
}

export const quantize = defineOp<'quantize'>({
  kind: 'quantize',
  summary: 'float32 -> int8 at the input edge; int8 <-> int16, int16 -> int16 and int16 <-> int32 requantisation',
  arith: 'from float32: tflm divides by the scale in float32 (TFLite Micro reference AffineQuantize), tflite in double (desktop TFLite optimized AffineQuantize), then both round half away from zero; between integers the same in both (double rounding)',
  tflite: {
    builtin: BuiltinOperator.QUANTIZE,
    optionsType: BuiltinOptionsType.QuantizeOptions,
    import: (c) => ({ kind: 'quantize', name: c.name }),
    version: 2,
    export: (b) => [BuiltinOptionsType.QuantizeOptions, table(b, 0, () => undefined)],
  },
  arity: { inputs: [1, 1], activations: () => [0] },
  infer: (c) => c.tensor(0, 'input').shape,
  types: (c: ShapeCheck, op) => {
    checkTypes((m, hint) => c.fail(hint ? `${m} (${hint})` : m), c.tensor(0, 'input'), c.g.tensors[op.outputs[0]!]!, c.g.inputs.includes(op.inputs[0]!), true);
  },
  legalize: (c: LegalCheck, op) => {
    const x = c.t(op.inputs[0], 'input'), y = c.t(op.outputs[0], 'output');
    checkTypes((m, hint) => c.fail(m, hint), x, y, c.g.inputs.includes(x.id), true);
    if (numElements(x.shape) !== numElements(y.shape)) c.fail(`input [${x.shape}] and output [${y.shape}] differ in size`);
  },
  fold: (q, op, k) => {
    const x = q.graph.tensors[op.inputs[0]!]!, y = q.graph.tensors[op.outputs[0]!]!;
    const [actMin, actMax] = qRange(y.dtype);
    const outScale = y.quant!.scale[0]!, outZp = y.quant!.zeroPoint[0]!;
    if (x.dtype === 'float32') {
      return { ...k, scale: outScale, division: quantizeDivision(q.arith), inputOffset: 0, outputOffset: outZp, multiplier: 0, shift: 0, actMin, actMax } as typeof k;
    }
    const p = requantizeParams(x.quant!.scale[0]!, x.quant!.zeroPoint[0]!, outScale, outZp, y.dtype);
    return { ...k, scale: 0, inputOffset: p.inputOffset, outputOffset: p.outputOffset, multiplier: p.multiplier, shift: p.shift, actMin, actMax } as typeof k;
  },
  lower: [
    // int8 -> int8 is a function of one byte: a 256-entry table computed at compile time (the lut kernel).
    { ...lutRule('quantize'), name: 'quantize-int8-lut', priority: 10,
      when: (ctx: LowerCtx, op: Op) => ctx.t(op.inputs[0]!).dtype === 'int8' && ctx.t(op.outputs[0]!).dtype === 'int8' } as never,
    rule({
      name: 'quantize',
      kinds: ['quantize'],
      priority: 0,
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!);
        return {
          kind: 'quantize', from: x.dtype as 'float32' | 'int8' | 'int16' | 'int32', inputs: [ctx.buffer(x.id)], output: ctx.buffer(op.outputs[0]!),
          elements: numElements(x.shape), scale: 0, division: 'float32', inputOffset: 0, outputOffset: 0, multiplier: 0, shift: 0, actMin: -128, actMax: 127,
        };
      },
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => {
    const x = ctx.T(0), y = ctx.Y;
    const n = numElements(x.shape);
    const xId = op.inputs[0]!, yId = op.outputs[0]!;
    const [qmin, qmax] = qRange(y.dtype);
    const outBytes = y.dtype === 'int32' ? 4 : y.dtype === 'int16' ? 2 : 1;
    const outScale = y.quant!.scale[0]!, outZp = y.quant!.zeroPoint[0]!;
    if (x.dtype === 'float32') {
      const f64 = quantizeDivision(ctx.arith) === 'float64' ? 1 : 0;
      return { scratch: 0, make: () => (p) => ctx.ex.quantizeFloat(p[xId]!, p[yId]!, n, outScale, outZp, f64, outBytes, qmin, qmax) };
    }
    const r = requantizeParams(x.quant!.scale[0]!, x.quant!.zeroPoint[0]!, outScale, outZp, y.dtype);
    const inBytes = x.dtype === 'int32' ? 4 : x.dtype === 'int16' ? 2 : 1;
    return {
      scratch: 0,
      make: () => (p) => ctx.ex.requantize(p[xId]!, p[yId]!, n, inBytes, outBytes, r.inputOffset, r.multiplier, r.shift, r.outputOffset, qmin, qmax),
    };
  },
  cgra: { host: 'element-wise conversion at the edge: no multiply-accumulates to map' },
});
