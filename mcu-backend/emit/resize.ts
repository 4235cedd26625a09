// resize_nearest: RESIZE_NEAREST_NEIGHBOR with the source rows and columns precomputed by the lowering
// (TFLite's float32 index formula, evaluated at compile time), so the C is integer only: per output pixel
// one memcpy of the channels from the tabled source pixel.
import type { KResizeNearest } from '../../compiler/kernel-ir/types.ts';
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
