// SOFTMAX over the last axis, TFLite's int8 fixed-point reference (exp on negative values, 1/(1+x)); the
// output must be scale 1/256, zero point -128 (int8), or int16 with scale 1/65536 and zero point -32768 (the
// int8 -> int16 form of TFLite Micro's reference kernel, as keyword_scrambled ends with). int16 -> int16
// (16x8 models): TFLite's SoftmaxInt16, two 513-entry interpolated tables (exp, 1/(1+x)), output scale 1/32768,
// zero point 0 (compiler/quant/softmax16.ts); golden softmax16, kernel IR softmax16.
import { TinyforgeError } from '../diagnostics.ts';
import { numElements, type OpBase, type Tensor } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { softmaxQuantParams } from '../quant/params.ts';
import { softmax16Params } from '../quant/softmax16.ts';
import { rule } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { table } from './tflite-options.ts';

/** TFLite int8 softmax over the last axis; output is normally scale 1/256, zero point -128. */
export interface SoftmaxOp extends OpBase {
  kind: 'softmax';
  beta: number;
}

/** An int16 output is TFLite's int8 -> int16 softmax: scale 1/65536 (within TFLite Micro's tolerance), zero point -32768. */
function checkInt16Output(fail: (m: string, hint?: string) => never, x: Tensor, y: Tensor): void {
  if (x.dtype !== 'int8') fail(`input '${x.name}' is ${x.dtype}; an int16 softmax output needs an int8 input`);
  const s = y.quant?.scale[0] ?? 0, zp = y.quant?.zeroPoint[0];
  if (zp !== -32768 || Math.abs(s - 1 / 65536) > 0.001 / 65536) {
    fail(`int16 output '${y.name}' has scale ${s}, zero point ${zp}`, 'an int8 -> int16 softmax needs output scale 1/65536 and zero point -32768');
  }
}

/** int16 -> int16: TFLite's rules (zero points 0, output scale 1/32768 within TFLite's tolerance, at most 4-D). */
function checkInt16(fail: (m: string, hint?: string) => never, x: Tensor, y: Tensor): void {
  if (y.dtype !== 'int16') fail(`input '${x.name}' is int16 but output '${y.name}' is ${y.dtype}`, 'an int16 softmax outputs int16');
  const s = y.quant?.scale[0] ?? 0;
  if (x.quant?.zeroPoint[0] !== 0 || y.quant?.zeroPoint[0] !== 0 || Math.abs(s - 1 / 32768) > 0.001 / 32768) {
    fail(`int16 softmax with input zero point ${x.quant?.zeroPoint[0]}, output scale ${s} and zero point ${y.quant?.zeroPoint[0]}`, 'int16 -> int16 softmax needs zero points 0 and output scale 1/32768');
  }
  if (x.shape.length > 4) fail(`int16 input '${x.name}' has ${x.shape.length} dimensions`, 'TFLite\'s int16 softmax takes 1 to 4 dimensions');
}

export const softmax = defineOp<'softmax'>({
  kind: 'softmax',
  summary: 'softmax over the last axis (int8 fixed point; int16: interpolated tables)',
  arith: 'int16 -> int16: TFLite\'s table kernel in both, the tables computed in float32 (tflm) or double (tflite); int8 output: the same fixed-point exp in both, the input multiplier capped at 2^30 - 1 in tflite, 2^31 - 1 in tflm; int16 output: tflm the fixed-point steps shifted to 16 bits, tflite a float32 table of expf (musl) normalised by 1 / (sum * outScale), rounded half away',
  tflite: {
    builtin: BuiltinOperator.SOFTMAX,
    optionsType: BuiltinOptionsType.SoftmaxOptions,
    import: (c) => ({ kind: 'softmax', name: c.name, beta: c.opts.f32(Slot.SoftmaxOptions.beta) }),
    version: 2,
    export: (b, o) => [BuiltinOptionsType.SoftmaxOptions, table(b, 1, () => b.addFieldFloat32(Slot.SoftmaxOptions.beta, o.beta, 0))],
  },
  arity: { inputs: [1, 1], activations: () => [0] },
  infer: (c, op) => {
    if (!(op.beta > 0)) c.fail(`beta must be positive, got ${op.beta}`);
    return c.tensor(0, 'input').shape;
  },
  types: (c, op) => {
    const x = c.tensor(0, 'input'), y = c.g.tensors[op.outputs[0]!]!;
    if (x.dtype === 'int16') {
      if (!x.quant || x.quant.scale.length !== 1 || !y.quant || y.quant.scale.length !== 1) c.fail('int16 softmax needs per-tensor quantisation');
      return checkInt16((m, hint) => c.fail(hint ? `${m} (${hint})` : m), x, y);
    }
    if (x.dtype !== 'int8') c.fail(`input '${x.name}' is ${x.dtype}; only int8 activations are supported`);
    if (!x.quant || x.quant.scale.length !== 1) c.fail(`input '${x.name}' needs per-tensor quantisation (one scale and zero point)`);
    if (y.dtype === 'int16') checkInt16Output((m, hint) => c.fail(hint ? `${m} (${hint})` : m), x, y);
    else if (y.dtype !== 'int8') c.fail(`output '${y.name}' is ${y.dtype}; softmax outputs int8 (or int16 from int8)`);
    if (!y.quant || y.quant.scale.length !== 1) c.fail(`output '${y.name}' needs per-tensor quantisation (one scale and zero point)`);
  },
  legalize: (c, op) => {
    const x = c.act(op.inputs[0], 'input', true);
    if (x.dtype === 'int16') {
      checkInt16((m, hint) => c.fail(m, hint), x, c.act(op.outputs[0], 'output', true));
      if (!(op.beta > 0)) c.fail(`beta ${op.beta} is not positive`);
      return;
    }
    const yt = c.t(op.outputs[0], 'output');
    if (yt.dtype === 'int16') checkInt16Output((m, hint) => c.fail(m, hint), x, yt);
    const y = yt.dtype === 'int16' ? yt : c.act(op.outputs[0], 'output');
    if (x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i])) c.fail(`output shape [${y.shape}] differs from input shape [${x.shape}]`);
    if (!(op.beta > 0)) c.fail(`beta ${op.beta} is not positive`);
  },
  fold: (q, op, k) => {
    const x = q.graph.tensors[op.inputs[0]!]!, y = q.graph.tensors[op.outputs[0]!]!;
    if (x.dtype === 'int16') return k;
    const floatPath = y.dtype === 'int16' && q.arith === 'tflite'
      ? { floatPath: { scale: Math.fround(-Math.fround(x.quant!.scale[0]! * op.beta)), outScale: y.quant!.scale[0]! } } : {};
    return { ...k, ...softmaxQuantParams(q.graph, op, q.arith), ...floatPath };
  },
  lower: [
    rule({
      name: 'softmax16',
      kinds: ['softmax'],
      priority: 20,
      when: (ctx, op) => ctx.t(op.inputs[0]!).dtype === 'int16',
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!);
        const depth = x.shape[x.shape.length - 1]!;
        const p = softmax16Params(x.quant!.scale[0]!, op.beta, ctx.arith);
        return {
          kind: 'softmax16', inputs: [ctx.buffer(x.id)], output: ctx.buffer(op.outputs[0]!), rows: numElements(x.shape) / depth, depth,
          multiplier: p.multiplier, shift: p.shift,
          expLut: ctx.newConstant(`${op.name ?? 'softmax'}_exp_lut`, 'int16', [513], p.expLut),
          recipLut: ctx.newConstant(`${op.name ?? 'softmax'}_recip_lut`, 'int16', [513], p.recipLut),
        };
      },
    }),
    rule({
      name: 'softmax',
      kinds: ['softmax'],
      priority: 0,
      lower: (ctx, op) => {
        const x = ctx.t(op.inputs[0]!);
        const depth = x.shape[x.shape.length - 1]!;
        return {
          kind: 'softmax', inputs: [ctx.buffer(x.id)], output: ctx.buffer(op.outputs[0]!),
          rows: numElements(x.shape) / depth, depth, inputMultiplier: 0, inputLeftShift: 0, diffMin: 0, outputOffset: 0,
        };
      },
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => {
    if (ctx.T(0).dtype === 'int16') {
      const x = ctx.T(0), depth = x.shape[x.shape.length - 1]!, rows = numElements(x.shape) / depth;
      const p = softmax16Params(x.quant!.scale[0]!, op.beta, ctx.arith);
      const e = ctx.upload(p.expLut), r = ctx.upload(p.recipLut), xi = op.inputs[0]!, yi = op.outputs[0]!;
      return { scratch: 0, make: () => (t) => ctx.ex.softmax16(t[xi]!, t[yi]!, rows, depth, p.multiplier, p.shift, e, r) };
    }
    const q = softmaxQuantParams(ctx.graph, op, ctx.arith);
    const Y = ctx.Y;
    const outBits = Y.dtype === 'int16' ? 16 : 8;
    if (outBits === 8 && (q.outputOffset !== -128 || Y.quant?.scale[0] !== 1 / 256)) {
      throw new TinyforgeError(`softmax output '${Y.name}' has scale ${Y.quant?.scale[0]}, zero point ${q.outputOffset}`, {},
        'TFLite int8 softmax requires output scale 1/256 and zero point -128');
    }
    const shape = ctx.T(0).shape;
    const depth = shape[shape.length - 1]!;
    const rows = numElements(shape) / depth;
    const xId = op.inputs[0]!, yId = op.outputs[0]!;
    if (outBits === 16 && ctx.arith === 'tflite') {
      // Desktop TFLite: the float table (assembly/softmax.ts softmaxFloat16).
      const scale = Math.fround(-Math.fround(ctx.T(0).quant!.scale[0]! * op.beta));
      return { scratch: 1024, make: (scratch) => (p) => ctx.ex.softmaxFloat16(p[xId]!, p[yId]!, rows, depth, scale, Y.quant!.scale[0]!, -32768, scratch) };
    }
    return { scratch: 0, make: () => (p) => ctx.ex.softmax(p[xId]!, p[yId]!, rows, depth, q.inputMultiplier, q.inputLeftShift, q.diffMin, outBits) };
  },
  cgra: { host: 'exp and division: no multiply-accumulates to map' },
});
