// The resize kernels. resize_nearest: RESIZE_NEAREST_NEIGHBOR with the source rows and columns precomputed
// by the lowering (TFLite's float32 index formula, evaluated at compile time), so the C is integer only: per
// output pixel one memcpy of the channels from the tabled source pixel. resize_bilinear: TFLite's
// ResizeBilinearInteger (TFLite Micro's int8 kernel, also desktop TFLite's): 10-bit fixed-point source
// coordinates computed per output row and column, four taps weighted in 20 bits (64-bit products), rounded
// half away from zero by a truncating division. No requantisation.
import type { KResizeBilinear, KResizeNearest } from '../../compiler/kernel-ir/types.ts';
import { cArray } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitResizeNearest(op: KResizeNearest, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const big = Math.max(op.inH, op.inW) > 32767;
  const t = big ? 'int32_t' : 'int16_t';
  const data = cArray(`${f}_rows`, t, op.rowIndex) + cArray(`${f}_cols`, t, op.colIndex);
  const code = `static void ${f}(const int8_t *in, int8_t *out)
{
  for (int b = 0; b < ${op.batches}; b++)
    for (int y = 0; y < ${op.outH}; y++) {
      const int8_t *row = in + (b * ${op.inH} + ${f}_rows[y]) * ${op.inW * op.channels};
      for (int x = 0; x < ${op.outW}; x++, out += ${op.channels}) memcpy(out, row + ${f}_cols[x] * ${op.channels}, ${op.channels});
    }
}
`;
  return { data, code, constBytes: (big ? 4 : 2) * (op.outH + op.outW) };
}

export const resizeNearestTable = defineVariant<KResizeNearest>({
  name: 'resize_nearest.table',
  kind: 'resize_nearest',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitResizeNearest,
  estimate: (op) => ({ instructions: op.batches * op.outH * op.outW * (10 + op.channels / 2), loads: op.batches * op.outH * op.outW * op.channels / 4 }),
});

export function emitResize(op: KResizeBilinear, ctx: EmitContext): EmittedKernel {
  const scale = (i: number, o: number) => (op.alignCorners && o > 1 ? Math.trunc((1024 * (i - 1) + Math.trunc((o - 1) / 2)) / (o - 1)) : Math.trunc((1024 * i + Math.trunc(o / 2)) / o));
  const hs = scale(op.inH, op.outH), ws = scale(op.inW, op.outW);
  const src = (v: string, s: number) => (op.halfPixelCenters ? `${v} * ${s} + ${Math.trunc(s / 2)} - 512` : `${v} * ${s}`);
  const C = op.channels;
  const code = `static void ${ctx.fn}(const int8_t *in, int8_t *out)
{
  for (int b = 0; b < ${op.batches}; b++)
    for (int oy = 0; oy < ${op.outH}; oy++) {
      const int32_t iy = ${src('oy', hs)};
      const int32_t y0 = tf_max(iy / 1024, 0), y1 = tf_min((iy + 1023) / 1024, ${op.inH - 1});
      const int64_t fy = iy - 1024 * y0;
      for (int ox = 0; ox < ${op.outW}; ox++) {
        const int32_t ix = ${src('ox', ws)};
        const int32_t x0 = tf_max(ix / 1024, 0), x1 = tf_min((ix + 1023) / 1024, ${op.inW - 1});
        const int64_t fx = ix - 1024 * x0;
        const int8_t *p00 = in + ((b * ${op.inH} + y0) * ${op.inW} + x0) * ${C}, *p01 = in + ((b * ${op.inH} + y0) * ${op.inW} + x1) * ${C};
        const int8_t *p10 = in + ((b * ${op.inH} + y1) * ${op.inW} + x0) * ${C}, *p11 = in + ((b * ${op.inH} + y1) * ${op.inW} + x1) * ${C};
        int8_t *o = out + ((b * ${op.outH} + oy) * ${op.outW} + ox) * ${C};
        for (int c = 0; c < ${C}; c++) {
          const int64_t v = (int64_t)p00[c] * (1024 - fy) * (1024 - fx) + (int64_t)p10[c] * fy * (1024 - fx)
            + (int64_t)p01[c] * (1024 - fy) * fx + (int64_t)p11[c] * fy * fx;
          o[c] = (int8_t)((v + (v > 0 ? (1 << 19) : -(1 << 19))) / (1 << 20));
        }
      }
    }
}
`;
  return { data: '', code, constBytes: 0 };
}

export const resizeBilinearGeneric = defineVariant<KResizeBilinear>({
  name: 'resize-bilinear.generic',
  kind: 'resize_bilinear',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitResize,
  estimate: (op) => {
    const n = op.batches * op.outH * op.outW * op.channels;
    return { instructions: n * 30, loads: n * 4 };
  },
});
