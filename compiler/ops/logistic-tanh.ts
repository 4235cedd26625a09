// LOGISTIC and TANH on int8. tflm: TFLite Micro's integer reference (gemmlowp logistic / tanh on a Q4
// input); tflite: desktop TFLite's 256-entry float32 table built at Prepare (quant/unary.ts). LOGISTIC's
// output is scale 1/256, zero point -128; TANH's 1/128, zero point 0. Lowered to a lookup table.
// int16 (16x8 models): TFLite's int16 kernels, a 256-entry sigmoid table with linear interpolation (or, in
// desktop TFLite's power-of-two case, gemmlowp on Q3.12): compiler/quant/sigmoid16.ts; output scale 1/32768,
// zero point 0; golden sigmoid16, kernel IR sigmoid16 (a 65,536-entry table would be 128 KiB).
import { TinyforgeError } from '../diagnostics.ts';
import { numElements, type Op, type Tensor } from '../ir/graph.ts';
import { BuiltinOperator } from '../frontend/tflite/schema.ts';
import { SIGMOID_TABLE_U16, sigmoid16Params, type Sigmoid16Fn } from '../quant/sigmoid16.ts';
import { int8Or16Types, type LegalCheck, type ShapeCheck } from './checks.ts';
import type { GoldenCtx, GoldenLaunch } from './golden-abi.ts';
import { rule } from './lowering.ts';
import { defineOp, type OpDef } from './op-def.ts';
import { elementwiseDef, legalizeSameShape, unaryGolden, type ElementwiseOp } from './unary.ts';

/** The int16 rules TFLite's Prepare enforces: output scale 2^-15 and zero point 0; an input multiplier below 2^15. */
function check16(fail: (m: string, hint?: string) => never, fn: Sigmoid16Fn, x: Tensor, y: Tensor): void {
  const q = y.quant!;
  if (q.scale[0] !== 1 / 32768 || q.zeroPoint[0] !== 0) fail(`int16 output scale ${q.scale[0]}, zero point ${q.zeroPoint[0]}`, `int16 ${fn.toUpperCase()} needs output scale 1/32768 and zero point 0 (TFLite)`);
  const p = sigmoid16Params(fn, x.quant!.scale[0]!, 'tflm');
  if (p.mode === 'lut' && p.multiplier > 32767) fail(`int16 input scale ${x.quant!.scale[0]} is too large`, 'TFLite\'s int16 kernel needs input scale * 3 * 4096 <= 32767');
}

/** int8 as before; int16 -> int16 (zero point 0) with TFLite's int16 requirements. */
function with16<K extends 'logistic' | 'tanh'>(def: OpDef<K>, fn: Sigmoid16Fn): OpDef<K> {
  const d = def as unknown as OpDef<ElementwiseOp['kind']>;
  const lower8 = d.legalize!;
  const out: OpDef<ElementwiseOp['kind']> = {
    ...d,
    types: (c: ShapeCheck, op) => {
      if (int8Or16Types(c, [0]) === 'int16') check16((m, h) => c.fail(h ? `${m} (${h})` : m), fn, c.tensor(0, 'input'), c.g.tensors[op.outputs[0]!]!);
    },
    legalize: (c: LegalCheck, op) => {
      if (c.t(op.inputs[0], 'input').dtype !== 'int16') return lower8(c, op);
      legalizeSameShape(c, op, true);
      check16((m, h) => c.fail(m, h), fn, c.t(op.inputs[0], 'input'), c.t(op.outputs[0], 'output'));
    },
    lower: [
      ...d.lower,
      rule<ElementwiseOp['kind']>({
        name: `${fn}16`,
        kinds: [fn],
        priority: 20,
        when: (ctx, op: Op) => ctx.t(op.inputs[0]!).dtype === 'int16',
        lower: (ctx, op: Op) => {
          const x = ctx.t(op.inputs[0]!);
          const p = sigmoid16Params(fn, x.quant!.scale[0]!, ctx.arith);
          return {
            kind: 'sigmoid16', fn, inputs: [ctx.buffer(x.id)], output: ctx.buffer(op.outputs[0]!), elements: numElements(x.shape), mode: p.mode,
            multiplier: p.mode === 'lut' ? p.multiplier : 0, shift: p.mode === 'lut' ? p.shift : 0, preShift: p.mode === 'gemmlowp' ? p.preShift : 0,
          };
        },
      }) as never,
    ],
    golden: (ctx: GoldenCtx, op: Op): GoldenLaunch => {
      if (ctx.Y.dtype !== 'int16') return unaryGolden(ctx, op);
      const x = ctx.T(0);
      if (x.dtype !== 'int16') throw new TinyforgeError(`${fn}: input is ${x.dtype} but output int16`);
      const p = sigmoid16Params(fn, x.quant!.scale[0]!, ctx.arith);
      const table = ctx.upload(Int16Array.from(SIGMOID_TABLE_U16, (v) => (v << 16) >> 16));
      const n = numElements(x.shape), xi = op.inputs[0]!, yi = op.outputs[0]!, isTanh = fn === 'tanh' ? 1 : 0;
      return {
        scratch: 0,
        make: () => (t) => (p.mode === 'lut'
          ? ctx.ex.sigmoid16(t[xi]!, t[yi]!, n, isTanh, p.multiplier, p.shift, table, 0)
          : ctx.ex.sigmoid16(t[xi]!, t[yi]!, n, isTanh, 0, p.preShift, table, 1)),
      };
    },
  };
  return out as unknown as OpDef<K>;
}

export const logistic = defineOp(with16(elementwiseDef('logistic', BuiltinOperator.LOGISTIC, 2, 'sigmoid 1 / (1 + exp(-x))', {
  arith: 'tflm: gemmlowp fixed point (output zero point -128 required); tflite: a 256-entry table of float32 expf (output scale 1/256 required); int16: TFLite\'s sigmoid table with interpolation in both, except desktop TFLite\'s gemmlowp for input scale 2^-12 (docs/int16.md)',
  legalize: (c, op, g) => {
    const q = g.tensors[op.outputs[0]!]!.quant!;
    if (q.scale[0] !== 1 / 256 || q.zeroPoint[0] !== -128) {
      c.fail(`output scale ${q.scale[0]}, zero point ${q.zeroPoint[0]}`, 'int8 LOGISTIC needs output scale 1/256 and zero point -128 (TFLite and TFLite Micro)');
    }
  },
}), 'logistic'));

export const tanh = defineOp(with16(elementwiseDef('tanh', BuiltinOperator.TANH, 2, 'hyperbolic tangent', {
  arith: 'tflm: gemmlowp fixed point, always written at scale 1/128, zero point 0; tflite: a 256-entry table of float32 tanhf honouring the output quantisation; int16: TFLite\'s sigmoid table with interpolation in both, except desktop TFLite\'s gemmlowp for input scales 2^-12 and 2^-11 (docs/int16.md)',
}), 'tanh'));
