// RESIZE_NEAREST_NEIGHBOR over NHWC int8: output pixel (y, x) copies input pixel (nearest(y), nearest(x)),
// with TFLite's GetNearestNeighbor: scale = in / out in float32 ((in - 1) / (out - 1) with align_corners),
// source = floor((i + 0.5 * half_pixel_centers) * scale) (rounded half away from zero with align_corners),
// clamped to the input. TFLite Micro and desktop TFLite's int8 kernel (the interpreter the oracle tests
// run) use that reference formula; newer desktop builds route plain (no align/half-pixel) 8-bit resizes
// through an optimized kernel with a 16.16 fixed-point scale, which picks another pixel for a few size
// ratios (e.g. width 2 -> 82, output 41: float32 gives 0, fixed point 1). The
// output size is the output tensor's; the size operand is read at import only to check it. The golden
// kernel computes the indices itself in float32; the lowering computes them here (Math.fround) into the
// kernel op's index tables, so the Cortex-M code needs no floating point.
import type { OpBase } from '../ir/graph.ts';
import { BuiltinOperator, BuiltinOptionsType, Slot } from '../frontend/tflite/schema.ts';
import { same4 } from './checks.ts';
import { nhwc } from './golden-abi.ts';
import { rule } from './lowering.ts';
import { constValues, int32Param, legalizeMovement } from './movement.ts';
import { defineOp } from './op-def.ts';
import { table } from './tflite-options.ts';

/** inputs [x] (NHWC); output [N, outH, outW, C] from the output tensor's shape. */
export interface ResizeNearestNeighborOp extends OpBase {
  kind: 'resize_nearest_neighbor';
  alignCorners: boolean;
  halfPixelCenters: boolean;
  /** Output height and width (the file's size operand). */
  size: [number, number];
}

const f = Math.fround;

/** TFLite's GetNearestNeighbor in float32 arithmetic. */
export function nearestIndex(i: number, inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): number {
  const scale = alignCorners && outSize > 1 ? f((inSize - 1) / (outSize - 1)) : f(inSize / outSize);
  const v = f(f(i + (halfPixel ? 0.5 : 0)) * scale);
  // TfLiteRound rounds half away from zero; v >= 0 here
  let r = alignCorners ? (v - Math.trunc(v) >= 0.5 ? Math.trunc(v) + 1 : Math.trunc(v)) : Math.floor(v);
  r = Math.min(r, inSize - 1);
  if (halfPixel) r = Math.max(0, r);
  return r;
}

export const resizeNearestNeighbor = defineOp<'resize_nearest_neighbor'>({
  kind: 'resize_nearest_neighbor',
  summary: 'nearest-neighbour resize of height and width',
  arith: 'same in both (float32 source index as TFLite\'s reference kernel; values moved unchanged)',
  tflite: {
    builtin: BuiltinOperator.RESIZE_NEAREST_NEIGHBOR,
    optionsType: BuiltinOptionsType.ResizeNearestNeighborOptions,
    import: (c) => {
      const size = constValues(c, 1, 'size');
      if (size.length !== 2) c.fail(`size holds ${size.length} values`, 'size is [new_height, new_width]');
      const s = Slot.ResizeNearestNeighborOptions;
      return { kind: 'resize_nearest_neighbor', name: c.name, alignCorners: c.opts.bool(s.alignCorners), halfPixelCenters: c.opts.bool(s.halfPixelCenters), size: [size[0]!, size[1]!] };
    },
    operands: (inputs) => inputs.slice(0, 1),
    exportInputs: (op) => [op.inputs[0]!, int32Param(`${op.name ?? 'resize'}/size`, op.size)],
    version: 2,
    export: (b, op) => [BuiltinOptionsType.ResizeNearestNeighborOptions, table(b, 2, () => {
      b.addFieldInt8(Slot.ResizeNearestNeighborOptions.alignCorners, op.alignCorners ? 1 : 0, 0);
      b.addFieldInt8(Slot.ResizeNearestNeighborOptions.halfPixelCenters, op.halfPixelCenters ? 1 : 0, 0);
    })],
  },
  arity: { inputs: [1, 1], activations: () => [0] },
  infer: (c, op) => {
    const [n, , , ch] = same4(c, c.tensor(0, 'input'));
    c.attrPositive('size', op.size);
    return [n, op.size[0], op.size[1], ch];
  },
  legalize: (c, op) => {
    const { x, y } = legalizeMovement(c, op);
    c.rank(x[0]!, 4, 'input');
    c.rank(y[0]!, 4, 'output');
    const want = [x[0]!.shape[0], op.size[0], op.size[1], x[0]!.shape[3]];
    if (y[0]!.shape.some((d, i) => d !== want[i])) c.fail(`output '${y[0]!.name}' has shape [${y[0]!.shape}]`, `expected [${want}]`);
  },
  lower: [
    rule({
      name: 'resize_nearest_neighbor',
      kinds: ['resize_nearest_neighbor'],
      priority: 0,
      lower: (ctx, op) => {
        const [n, h, w, ch] = ctx.t(op.inputs[0]!).shape as [number, number, number, number];
        const [oh, ow] = op.size;
        return {
          kind: 'resize_nearest', inputs: [ctx.buffer(op.inputs[0]!)], output: ctx.buffer(op.outputs[0]!),
          batches: n, inH: h, inW: w, channels: ch, outH: oh, outW: ow,
          rowIndex: Array.from({ length: oh }, (_, y) => nearestIndex(y, h, oh, op.alignCorners, op.halfPixelCenters)),
          colIndex: Array.from({ length: ow }, (_, x) => nearestIndex(x, w, ow, op.alignCorners, op.halfPixelCenters)),
        };
      },
    }),
  ],
  macs: () => 0,
  golden: (ctx, op) => {
    const [n, h, w, ch] = nhwc(ctx.T(0));
    const [, oh, ow] = nhwc(ctx.Y);
    const xId = op.inputs[0]!, yId = op.outputs[0]!;
    const a = op.alignCorners ? 1 : 0, hp = op.halfPixelCenters ? 1 : 0;
    return { scratch: 0, make: () => (p) => ctx.ex.resizeNearest(p[xId]!, n, h, w, ch, p[yId]!, oh, ow, a, hp) };
  },
  cgra: { host: 'data movement: no multiply-accumulates to map' },
});
