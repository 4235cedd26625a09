// depthwise_conv2d kernels, specialised per layer; weights [1, KH, KW, C*M] int8 in flash as TFLite
// stores them.
//   depthwise.generic  any depth multiplier, stride, dilation, padding; one channel at a time.
//   depthwise.chan4    depth multiplier 1: four channels at a time with the taps innermost, so each tap
//                      is one word of input and one of weights; DSP path: SXTAB16 (offset folded in) /
//                      SXTB16 and SMLABB/SMLATT into four accumulators (~2.5 instructions per MAC). Requantisation rounding as the
// kernel IR says (double, unless the op is a lowered CONV_2D in the tflite arithmetic).
import type { KDepthwiseConv2d } from '../../compiler/kernel-ir/types.ts';
import { cArray, offset2, requantFn, requantTables } from './c.ts';
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

export function emitDepthwiseChan4(op: KDepthwiseConv2d, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const w = ctx.konst(op.weights), b = ctx.konst(op.bias);
  const C = op.outC;
  const rq = requantTables(f, op.requant, requantFn(op.rounding));
  const data = cArray(`${f}_w`, 'int8_t', w.data) + cArray(`${f}_b`, 'int32_t', b.data) + rq.data;
  const store = (acc: string, ch: string) => `o[${ch}] = (int8_t)tf_clamp(${rq.expr(acc, ch)} + ${op.outputOffset}, ${op.actMin}, ${op.actMax});`;
  const tapLoop = (body: string) => `        for (int ky = ky0; ky < ky1; ky++) {
          const int8_t *xr = xb + (iy0 + ky * ${op.dilationH}) * ${op.inW * C} + c;
          const int8_t *wr = ${f}_w + ky * ${op.kW * C} + c;
          for (int kx = kx0; kx < kx1; kx++) {
            const int8_t *x = xr + (ix0 + kx * ${op.dilationW}) * ${C};
            const int8_t *wk = wr + kx * ${C};
${body}
          }
        }`;
  const off = op.inputOffset;
  const code = `static void ${f}(const int8_t *in, int8_t *out)
{
  for (int b = 0; b < ${op.batches}; b++)
  for (int oy = 0; oy < ${op.outH}; oy++) {
    const int iy0 = oy * ${op.strideH} - ${op.padTop};
    const int ky0 = iy0 < 0 ? (-iy0 + ${op.dilationH - 1}) / ${op.dilationH} : 0;
    const int ky1 = tf_min(${op.kH}, (${op.inH} - iy0 + ${op.dilationH - 1}) / ${op.dilationH});
    const int8_t *xb = in + b * ${op.inH * op.inW * C};
    for (int ox = 0; ox < ${op.outW}; ox++) {
      const int ix0 = ox * ${op.strideW} - ${op.padLeft};
      const int kx0 = ix0 < 0 ? (-ix0 + ${op.dilationW - 1}) / ${op.dilationW} : 0;
      const int kx1 = tf_min(${op.kW}, (${op.inW} - ix0 + ${op.dilationW - 1}) / ${op.dilationW});
      int8_t *o = out + ((b * ${op.outH} + oy) * ${op.outW} + ox) * ${C};
      int c = 0;
      for (; c + 4 <= ${C}; c += 4) {
        int32_t a0 = ${f}_b[c], a1 = ${f}_b[c + 1], a2 = ${f}_b[c + 2], a3 = ${f}_b[c + 3];
#if TF_DSP
${tapLoop(`            const uint32_t xv = (uint32_t)tf_read32(x), wv = (uint32_t)tf_read32(wk);
            const int32_t x02 = __sxtab16((int32_t)${offset2(off)}, (int32_t)xv), x13 = tf_sxtab16_ror8((int32_t)${offset2(off)}, xv);
            const int32_t w02 = __sxtb16((int32_t)wv), w13 = tf_sxtb16_ror8(wv);
            a0 = __smlabb(x02, w02, a0); a2 = __smlatt(x02, w02, a2);
            a1 = __smlabb(x13, w13, a1); a3 = __smlatt(x13, w13, a3);`)}
#else
${tapLoop(`            a0 += (x[0] + ${off}) * wk[0]; a1 += (x[1] + ${off}) * wk[1];
            a2 += (x[2] + ${off}) * wk[2]; a3 += (x[3] + ${off}) * wk[3];`)}
#endif
        ${store('a0', 'c')}
        ${store('a1', 'c + 1')}
        ${store('a2', 'c + 2')}
        ${store('a3', 'c + 3')}
      }
      for (; c < ${C}; c++) {
        int32_t a0 = ${f}_b[c];
${tapLoop(`            a0 += (x[0] + ${off}) * wk[0];`)}
        ${store('a0', 'c')}
      }
    }
  }
}
`;
  return { data, code, constBytes: w.data.length + 4 * b.data.length + rq.bytes };
}

export const depthwiseChan4 = defineVariant<KDepthwiseConv2d>({
  name: 'depthwise.chan4',
  kind: 'depthwise_conv2d',
  priority: 1,
  applies: (op) => op.depthMultiplier === 1,
  scratchBytes: () => 0,
  emit: emitDepthwiseChan4,
  estimate: (op) => ({ instructions: Math.round(op.macs * 2.6 + op.outH * op.outW * op.outC * 12), loads: Math.round(op.macs / 2) }),
});
