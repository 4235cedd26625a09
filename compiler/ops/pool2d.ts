// AVERAGE_POOL_2D and MAX_POOL_2D over NHWC windows, int8 or int16; pooling keeps the input's scale and zero point.
import { TinyforgeError } from '../diagnostics.ts';
import { padBefore, type Activation, type OpBase, type Padding } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { poolQuantParams } from '../quant/params.ts';
import { int8Or16Types, poolShape } from './checks.ts';
import { nhwc } from './golden-abi.ts';
import { rule, windowOf } from './lowering.ts';
import { defineOp, type ImportCtx, type OpDef } from './op-def.ts';
import { ACTIVATION_CODE, PADDING_CODE, activation, padding, table } from './tflite-options.ts';
import type { Builder } from 'flatbuffers';

export interface Pool2dOp extends OpBase {
  kind: 'average_pool2d' | 'max_pool2d';
  filter: [number, number];
  stride: [number, number];
  padding: Padding;
  activation: Activation;
}

type PoolKind = Pool2dOp['kind'];

function importPool<K extends PoolKind>(c: ImportCtx, kind: K) {
  const x = c.opts, s = Slot.Pool2DOptions;
  return {
    kind, name: c.name, padding: padding(c, x.i8(s.padding)), stride: [x.i32(s.strideH), x.i32(s.strideW)] as [number, number],
    filter: [x.i32(s.filterH), x.i32(s.filterW)] as [number, number], activation: activation(c, x.i8(s.activation)),
  };
}

function exportPool(b: Builder, o: Pool2dOp): [number, number] {
  const s = Slot.Pool2DOptions;
  return [BuiltinOptionsType.Pool2DOptions, table(b, 6, () => {
    b.addFieldInt8(s.padding, PADDING_CODE[o.padding], 0);
    b.addFieldInt32(s.strideW, o.stride[1], 0);
    b.addFieldInt32(s.strideH, o.stride[0], 0);
    b.addFieldInt32(s.filterW, o.filter[1], 0);
    b.addFieldInt32(s.filterH, o.filter[0], 0);
    b.addFieldInt8(s.activation, ACTIVATION_CODE[o.activation], 0);
  })];
}

function poolDef<K extends PoolKind>(kind: K, builtin: number, summary: string): OpDef<K> {
  const def: OpDef<PoolKind> = {
    kind,
    summary,
    arith: 'same in both (rounded average, max)',
    tflite: { builtin, optionsType: BuiltinOptionsType.Pool2DOptions, import: (c) => importPool(c, kind), version: 2, export: (b, o) => exportPool(b, o) },
    arity: { inputs: [1, 1], activations: () => [0] },
    infer: poolShape,
    // int8, or int16 (TFLite's int16 reference pooling: golden pool16, Cortex-M pool16.generic).
    // Either way the output keeps the input's quantisation.
    types: (c, op) => {
      int8Or16Types(c, [0]);
      const xq = c.tensor(0, 'input').quant!, yq = c.g.tensors[op.outputs[0]!]!.quant!;
      if (xq.scale[0] !== yq.scale[0] || xq.zeroPoint[0] !== yq.zeroPoint[0]) c.fail('pooling needs the output quantisation to equal the input quantisation');
    },
    legalize: (c, op) => {
      const x = c.act(op.inputs[0], 'input', true);
      const y = c.act(op.outputs[0], 'output', true);
      if (x.dtype !== y.dtype) c.fail(`input is ${x.dtype} but output is ${y.dtype}`, 'pooling keeps the type (int8, or int16)');
      c.positive(op.filter, 'filter');
      c.positive(op.stride, 'stride');
      c.activation(op.activation);
      c.rank(x, 4, 'input');
      c.spatial(x, y, op.filter, op.stride, [1, 1], op.padding, x.shape[3]!);
      const xq = x.quant!, yq = y.quant!;
      if (xq.scale[0] !== yq.scale[0] || xq.zeroPoint[0] !== yq.zeroPoint[0]) c.fail(`input and output quantisation differ`, 'TFLite int8 pooling keeps the input scale and zero point');
    },
    clamp: (g, op) => poolQuantParams(g, op),
    lower: [
      rule({
        name: kind,
        kinds: [kind as PoolKind],
        priority: 0,
        lower: (ctx, op) => {
          const x = ctx.t(op.inputs[0]!), y = ctx.t(op.outputs[0]!);
          return {
            kind: op.kind, inputs: [ctx.buffer(x.id)], output: ctx.buffer(y.id),
            ...windowOf(x, y, op.filter, op.stride, [1, 1], op.padding), ...(x.dtype === 'int16' ? { actMin: -32768, actMax: 32767 } : { actMin: -128, actMax: 127 }),
          };
        },
      }),
    ],
    macs: () => 0,
    golden: (ctx, op) => {
      const { ex } = ctx;
      const [n, h, w, c] = nhwc(ctx.T(0));
      const [, oh, ow, oc] = nhwc(ctx.Y);
      if (oc !== c) throw new TinyforgeError(`pooling changes channels ${c} -> ${oc}`);
      const { actMin, actMax } = poolQuantParams(ctx.graph, op);
      const [fh, fw] = op.filter;
      const padT = padBefore(h, fh, op.stride[0], 1, op.padding);
      const padL = padBefore(w, fw, op.stride[1], 1, op.padding);
      const xq = ctx.T(0).quant, yq = ctx.Y.quant;
      if (xq?.scale[0] !== yq?.scale[0] || xq?.zeroPoint[0] !== yq?.zeroPoint[0]) {
        throw new TinyforgeError(`${op.kind}: input and output quantisation differ (scale ${xq?.scale[0]} / ${yq?.scale[0]}, zero point ${xq?.zeroPoint[0]} / ${yq?.zeroPoint[0]})`,
          {}, 'TFLite int8 pooling requires the output to keep the input\'s scale and zero point');
      }
      const isMax = op.kind === 'max_pool2d' ? 1 : 0;
      const xId = op.inputs[0]!, yId = op.outputs[0]!;
      return {
        scratch: 0,
        make: () => (p) => (ctx.Y.dtype === 'int16' ? ex.pool16 : ex.pool2d)(isMax, p[xId]!, n, h, w, c, p[yId]!, oh, ow, fh, fw, op.stride[0], op.stride[1], padT, padL, actMin, actMax),
      };
    },
    cgra: { host: 'pooling has no multiply-accumulates to map' },
  };
  return def as unknown as OpDef<K>;
}

export const averagePool2d = defineOp(poolDef('average_pool2d', BuiltinOperator.AVERAGE_POOL_2D, 'average over a 2-D window'));
export const maxPool2d = defineOp(poolDef('max_pool2d', BuiltinOperator.MAX_POOL_2D, 'maximum over a 2-D window'));
