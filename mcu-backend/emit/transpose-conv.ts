// transpose_conv: gather form (each output sums the window taps whose input pixel lands on it: the
// source row oy + padTop - ky must be a non-negative multiple of the stride inside the input), OHWI int8
// weights in flash, int32 bias, per-channel double-rounding requantisation (both arithmetics), clamp.
import type { KTransposeConv } from '../../compiler/kernel-ir/types.ts';
import { cArray, dotSnippet, requantTables } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitTransposeConv(op: KTransposeConv, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const w = ctx.konst(op.weights), b = ctx.konst(op.bias);
  const rq = requantTables(f, op.requant, 'tf_requant_tflm');
  const data = cArray(`${f}_w`, 'int8_t', w.data) + cArray(`${f}_b`, 'int32_t', b.data) + rq.data;
  const code = `static void ${f}(const int8_t *in, int8_t *out)
{
  for (int b = 0; b < ${op.batches}; b++)
    for (int oy = 0; oy < ${op.outH}; oy++)
      for (int ox = 0; ox < ${op.outW}; ox++) {
        int8_t *y = out + ((b * ${op.outH} + oy) * ${op.outW} + ox) * ${op.outC};
        for (int o = 0; o < ${op.outC}; o++) {
          int32_t acc = ${f}_b[o];
          for (int ky = 0; ky < ${op.kH}; ky++) {
            const int ty = oy + ${op.padTop} - ky;
            if (ty < 0 || ty % ${op.strideH} != 0 || ty / ${op.strideH} >= ${op.inH}) continue;
            for (int kx = 0; kx < ${op.kW}; kx++) {
              const int tx = ox + ${op.padLeft} - kx;
              if (tx < 0 || tx % ${op.strideW} != 0 || tx / ${op.strideW} >= ${op.inW}) continue;
              const int8_t *x = in + ((b * ${op.inH} + ty / ${op.strideH}) * ${op.inW} + tx / ${op.strideW}) * ${op.inC};
              const int8_t *w = ${f}_w + ((o * ${op.kH} + ky) * ${op.kW} + kx) * ${op.inC};
${dotSnippet('acc', 'x', 'w', op.inC, op.inputOffset, '              ')}
            }
          }
          y[o] = (int8_t)tf_clamp(${rq.expr('acc', 'o')} + ${op.outputOffset}, ${op.actMin}, ${op.actMax});
        }
      }
}
`;
  return { data, code, constBytes: w.data.length + 4 * b.data.length + rq.bytes };
}

export const transposeConvGeneric = defineVariant<KTransposeConv>({
  name: 'transpose-conv.generic',
  kind: 'transpose_conv',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitTransposeConv,
  estimate: (op) => ({ instructions: Math.round(op.macs * 1.5 + op.batches * op.outH * op.outW * op.outC * (op.kH * op.kW * 8 + 14)), loads: op.macs }),
});
