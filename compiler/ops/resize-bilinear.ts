// RESIZE_BILINEAR of NHWC int8 images to a constant size (the size operand is read at import and written
// back from the output shape). TFLite's int8 kernel (ResizeBilinearInteger: 10-bit fixed-point source
// coordinates, 20-bit weights, round half away from zero) is the same in TFLite Micro and desktop TFLite,
// so one golden kernel serves both arithmetics; the values are not requantised (input and output share
// scale and zero point).
import { TinyforgeError } from '../diagnostics.ts';
import type { OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { same4 } from './checks.ts';
import { nhwc } from './golden-abi.ts';
import { rule } from './lowering.ts';
import { defineOp } from './op-def.ts';
import { table, int32Param } from './tflite-options.ts';

/** inputs [x]; the output size is the output tensor's H and W. */
export interface ResizeBilinearOp extends OpBase {
  kind: 'resize_bilinear';
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

export const resizeBilinear = defineOp<'resize_bilinear'>({
  kind: 'resize_bilinear',
  summary: 'bilinear resize of H and W (int8 fixed point, align_corners / half_pixel_centers)',
  arith: 'same in both (ResizeBilinearInteger: 10-bit coordinates, 20-bit weights, round half away)',
  tflite: {
    builtin: BuiltinOperator.RESIZE_BILINEAR,
    optionsType: BuiltinOptionsType.ResizeBilinearOptions,
    import: (c) => {
      const values = c.operand(1)?.values;
      if (!values || values.length !== 2) return c.fail('RESIZE_BILINEAR needs a constant INT32 size tensor [new_height, new_width] (input 1)', 'the output size must be known at compile time');
      if (values.some((v) => v < 1)) c.fail(`RESIZE_BILINEAR size [${values}] must be positive`);
      const s = Slot.ResizeBilinearOptions;
      return { kind: 'resize_bilinear', name: c.name, alignCorners: c.opts.bool(s.alignCorners), halfPixelCenters: c.opts.bool(s.halfPixelCenters) };
    },
    operands: (inputs) => inputs.slice(0, 1),
    exportInputs: (op, g) => {
      const y = g.tensors[op.outputs[0]!]!;
      return [op.inputs[0]!, int32Param(`${op.name ?? 'resize'}.size`, [y.shape[1]!, y.shape[2]!])];
    },
    version: 2,
    export: (b, o) => {
      const s = Slot.ResizeBilinearOptions;
      return [BuiltinOptionsType.ResizeBilinearOptions, table(b, 4, () => {
        b.addFieldInt8(s.alignCorners, o.alignCorners ? 1 : 0, 0);
        b.addFieldInt8(s.halfPixelCenters, o.halfPixelCenters ? 1 : 0, 0);
      })];
    },
  },
  arity: { inputs: [1, 1], activations: () => [0] },
  infer: (c, op) => {
    const [n, , , ch] = same4(c, c.tensor(0, 'input'));
    if (op.alignCorners && op.halfPixelCenters) c.fail('align_corners and half_pixel_centers cannot both be set');
    const y = c.g.tensors[op.outputs[0]!];
    if (!y || y.shape.length !== 4) c.fail('output must be a 4-D NHWC tensor (its H and W are the new size)');
    return [n, y.shape[1]!, y.shape[2]!, ch];
  },
  legalize: (c, op) => {
    const x = c.act(op.inputs[0], 'input');
    const y = c.act(op.outputs[0], 'output');
    c.rank(x, 4, 'input');
    c.rank(y, 4, 'output');
    if (y.shape[0] !== x.shape[0] || y.shape[3] !== x.shape[3] || y.shape[1]! < 1 || y.shape[2]! < 1) c.fail(`output [${y.shape}] does not resize input [${x.shape}]`, 'same batch and channels, positive height and width');
    if (op.alignCorners && op.halfPixelCenters) c.fail('align_corners and half_pixel_centers are both set', 'TFLite allows at most one of them');
    if (x.quant!.scale[0] !== y.quant!.scale[0] || x.quant!.zeroPoint[0] !== y.quant!.zeroPoint[0]) c.fail('input and output quantisation differ', 'TFLite\'s int8 RESIZE_BILINEAR interpolates raw values: it cannot requantise');
  },
  lower: [
    rule({
      name: 'resize_bilinear',
      kinds: ['resize_bilinear'],
      priority: 0,
      lower: (ctx, op) => {
        const [batches, inH, inW, channels] = ctx.t(op.inputs[0]!).shape as [number, number, number, number];
        const [, outH, outW] = ctx.t(op.outputs[0]!).shape as [number, number, number, number];
        return {
          kind: 'resize_bilinear', inputs: [ctx.buffer(op.inputs[0]!)], output: ctx.buffer(op.outputs[0]!),
          batches, inH, inW, channels, outH, outW, alignCorners: op.alignCorners, halfPixelCenters: op.halfPixelCenters,
        };
      },
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => {
    const [n, h, w, c] = nhwc(ctx.T(0));
    const [yn, oh, ow, yc] = nhwc(ctx.Y);
    if (yn !== n || yc !== c) throw new TinyforgeError(`resize_bilinear: output [${ctx.Y.shape}] does not match input [${ctx.T(0).shape}]`);
    const xId = op.inputs[0]!, yId = op.outputs[0]!;
    const align = op.alignCorners ? 1 : 0, half = op.halfPixelCenters ? 1 : 0;
    return { scratch: 0, make: () => (p) => ctx.ex.resizeBilinear(p[xId]!, p[yId]!, n, h, w, c, oh, ow, align, half) };
  },
  cgra: { host: 'interpolation: four weighted taps per output, no multiply-accumulate layer to map' },
});
