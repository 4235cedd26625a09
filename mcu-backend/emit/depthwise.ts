// depthwise_conv2d: the generic kernel (any depth multiplier, stride, dilation, padding), specialised
// per layer; weights [1, KH, KW, C*M] int8 in flash as TFLite stores them. Requantisation rounding as the
// kernel IR says (double, unless the op is a lowered CONV_2D in the tflite arithmetic).
import type { KDepthwiseConv2d } from '../../compiler/kernel-ir/types.ts';
import { cArray, requantFn, requantTables } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitDepthwise(op: KDepthwiseConv2d, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const w = ctx.konst(op.weights), b = ctx.konst(op.bias);
  const M = op.depthMultiplier;
  const rq = requantTables(f, op.requant, requantFn(op.rounding));
  const data = cArray(`${f}_w`, 'int8_t', w.data) + cArray(`${f}_b`, 'int32_t', b.data) + rq.data;
  const code = `static void ${f}(const int8_t *in, int8_t *out)
{
  for (int b = 0; b < ${op.batches}; b++)
  for (int oy = 0; oy < ${op.outH}; oy++) {
    const int iy0 = oy * ${op.strideH} - ${op.padTop};
    const int ky0 = iy0 < 0 ? (-iy0 + ${op.dilationH - 1}) / ${op.dilationH} : 0;
    for (int ox = 0; ox < ${op.outW}; ox++) {
      const int ix0 = ox * ${op.strideW} - ${op.padLeft};
      const int kx0 = ix0 < 0 ? (-ix0 + ${op.dilationW - 1}) / ${op.dilationW} : 0;
      int8_t *o = out + ((b * ${op.outH} + oy) * ${op.outW} + ox) * ${op.outC};
      for (int oc = 0; oc < ${op.outC}; oc++) {
        const int8_t *x = in + (b * ${op.inH * op.inW} * ${op.inC}) + ${M === 1 ? 'oc' : `oc / ${M}`};
        int32_t acc = ${f}_b[oc];
        for (int ky = ky0; ky < ${op.kH}; ky++) {
          const int iy = iy0 + ky * ${op.dilationH};
          if (iy >= ${op.inH}) break;
          for (int kx = kx0; kx < ${op.kW}; kx++) {
            const int ix = ix0 + kx * ${op.dilationW};
            if (ix >= ${op.inW}) break;
            acc += (x[(iy * ${op.inW} + ix) * ${op.inC}] + ${op.inputOffset}) * ${f}_w[(ky * ${op.kW} + kx) * ${op.outC} + oc];
          }
        }
        acc = ${rq.expr('acc', 'oc')} + ${op.outputOffset};
        o[oc] = (int8_t)tf_clamp(acc, ${op.actMin}, ${op.actMax});
      }
    }
  }
}
`;
  return { data, code, constBytes: w.data.length + 4 * b.data.length + rq.bytes };
}

export const depthwiseGeneric = defineVariant<KDepthwiseConv2d>({
  name: 'depthwise.generic',
  kind: 'depthwise_conv2d',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitDepthwise,
  estimate: (op) => ({ instructions: Math.round(op.macs * 5 + op.outH * op.outW * op.outC * 16), loads: op.macs * 2 }),
});
