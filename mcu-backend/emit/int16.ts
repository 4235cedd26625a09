// Portable C kernels of 16x8 models (int16 activations, int8 weights), TFLite Micro's reference arithmetic:
//   conv16x8      CONV_2D (grouped) or TRANSPOSE_CONV (gather form): int64 accumulator of int16 x int8
//                 products, plus the bias, tf_requant_64 (the int64 MultiplyByQuantizedMultiplier), clamp;
//                 on DSP cores (conv16x8.dsp) the weights widened to int16 and the taps' dot products as SMLAD.
//   leaky_relu16  the identity or the alpha multiplier by the input's sign (tf_requant_tflm), clamp to int16.
//   sigmoid16     LOGISTIC / TANH: TFLite's sigmoid table with interpolation, or gemmlowp (tf_logistic16 / tf_tanh16).
// The kernel ABI passes int8_t pointers (model.ts); these cast them to int16_t through void *.
import type { KConv16x8, KLeakyRelu16, KSigmoid16 } from '../../compiler/kernel-ir/types.ts';
import { SIGMOID_TABLE_U16 } from '../../compiler/quant/sigmoid16.ts';
import { cArray, cInt } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

/**
 * `dsp`: the weights stored widened to int16 and each tap's dot product as SMLAD on int16 pairs (two products
 * per instruction, summed in int32: at most wc products of |x| <= 2^15, |w| <= 2^7 per tap, wc < 2^9, so the
 * sum is exact), under #if TF_DSP with the portable loop otherwise; the same int64 sum either way.
 */
export function emitConv16x8(op: KConv16x8, ctx: EmitContext, dsp = false): EmittedKernel {
  const f = ctx.fn;
  const w = ctx.konst(op.weights), b = ctx.konst(op.bias);
  const data = cArray(`${f}_w`, dsp ? 'int16_t' : 'int8_t', w.data) + cArray(`${f}_b`, 'int32_t', b.data)
    + cArray(`${f}_m`, 'int32_t', op.requant.multiplier) + cArray(`${f}_s`, 'int32_t', op.requant.shift);
  const wc = op.inC / op.groups, perGroup = op.outC / op.groups;
  const dot = dsp
    ? `              const int16_t *w = ${f}_w + ((o * ${op.kH} + ky) * ${op.kW} + kx) * ${wc};
              int32_t dot = 0;
              int i = 0;
#if TF_DSP
              for (; i + 2 <= ${wc}; i += 2) dot = __smlad(tf_read32(x + i), tf_read32(w + i), dot);
#endif
              for (; i < ${wc}; i++) dot += (int32_t)x[i] * (int32_t)w[i];`
    : `              const int8_t *w = ${f}_w + ((o * ${op.kH} + ky) * ${op.kW} + kx) * ${wc};
              int32_t dot = 0; /* at most ${wc} products of |x| <= 2^15 and |w| <= 2^7 per tap */
              for (int i = 0; i < ${wc}; i++) dot += (int32_t)x[i] * (int32_t)w[i];`;
  // The input pixel of output (oy, ox) and tap (ky, kx): a convolution reads (oy * s - pad + ky * d); a
  // transposed one the pixel whose scatter lands there ((oy + pad - ky) / s when that divides exactly).
  const taps = op.transpose
    ? `          for (int ky = 0; ky < ${op.kH}; ky++) {
            const int ty = oy + ${op.padTop} - ky;
            if (ty < 0 || ty % ${op.strideH} != 0 || ty / ${op.strideH} >= ${op.inH}) continue;
            const int iy = ty / ${op.strideH};
            for (int kx = 0; kx < ${op.kW}; kx++) {
              const int tx = ox + ${op.padLeft} - kx;
              if (tx < 0 || tx % ${op.strideW} != 0 || tx / ${op.strideW} >= ${op.inW}) continue;
              const int ix = tx / ${op.strideW};`
    : `          for (int ky = 0; ky < ${op.kH}; ky++) {
            const int iy = oy * ${op.strideH} - ${op.padTop} + ky * ${op.dilationH};
            if (iy < 0 || iy >= ${op.inH}) continue;
            for (int kx = 0; kx < ${op.kW}; kx++) {
              const int ix = ox * ${op.strideW} - ${op.padLeft} + kx * ${op.dilationW};
              if (ix < 0 || ix >= ${op.inW}) continue;`;
  const code = `static void ${f}(const int8_t *in8, int8_t *out8)
{
  const int16_t *in = (const int16_t *)(const void *)in8;
  int16_t *out = (int16_t *)(void *)out8;
  for (int b = 0; b < ${op.batches}; b++)
    for (int oy = 0; oy < ${op.outH}; oy++)
      for (int ox = 0; ox < ${op.outW}; ox++) {
        int16_t *y = out + ((b * ${op.outH} + oy) * ${op.outW} + ox) * ${op.outC};
        for (int o = 0; o < ${op.outC}; o++) {
          const int g = o / ${perGroup};
          int64_t acc = 0;
${taps}
              const int16_t *x = in + ((b * ${op.inH} + iy) * ${op.inW} + ix) * ${op.inC} + g * ${wc};
${dot}
              acc += dot;
            }
          }
          acc += ${f}_b[o];
          y[o] = (int16_t)tf_clamp(tf_requant_64(acc, ${f}_m[o], ${f}_s[o]), ${op.actMin}, ${op.actMax});
        }
      }
}
`;
  if (wc > 65536) throw new Error(`conv16x8: ${wc} input channels per group overflow the per-tap int32 dot product`);
  return { data, code, constBytes: (dsp ? 2 : 1) * w.data.length + 4 * b.data.length + 8 * op.outC };
}

export const conv16x8Dsp = defineVariant<KConv16x8>({
  name: 'conv16x8.dsp',
  kind: 'conv16x8',
  priority: 10,
  applies: (op, t) => t.dsp && op.inC / op.groups >= 2 && op.inC / op.groups < 512,
  scratchBytes: () => 0,
  emit: (op, ctx) => emitConv16x8(op, ctx, true),
  estimate: (op) => ({ instructions: Math.round(op.macs * 1.5 + op.batches * op.outH * op.outW * op.outC * (op.kH * op.kW * 12 + 30)), loads: op.macs }),
});

export const conv16x8Generic = defineVariant<KConv16x8>({
  name: 'conv16x8.generic',
  kind: 'conv16x8',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitConv16x8,
  estimate: (op) => ({ instructions: Math.round(op.macs * 3 + op.batches * op.outH * op.outW * op.outC * (op.kH * op.kW * 10 + 30)), loads: op.macs * 2 }),
});

export function emitLeakyRelu16(op: KLeakyRelu16, ctx: EmitContext): EmittedKernel {
  const code = `static void ${ctx.fn}(const int8_t *in8, int8_t *out8)
{
  const int16_t *x = (const int16_t *)(const void *)in8;
  int16_t *y = (int16_t *)(void *)out8;
  for (int i = 0; i < ${op.elements}; i++) {
    const int32_t v = (int32_t)x[i] - ${op.inZp};
    const int32_t r = v >= 0 ? tf_requant_tflm(v, ${cInt(op.identity.multiplier)}, ${op.identity.shift}) : tf_requant_tflm(v, ${cInt(op.alpha.multiplier)}, ${op.alpha.shift});
    y[i] = (int16_t)tf_clamp(r + ${op.outZp}, -32768, 32767);
  }
}
`;
  return { data: '', code, constBytes: 0 };
}

export const leakyRelu16Generic = defineVariant<KLeakyRelu16>({
  name: 'leaky-relu16.generic',
  kind: 'leaky_relu16',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  // Each element is read before it is written, at the same index.
  modes: { elementwise: true },
  emit: emitLeakyRelu16,
  estimate: (op) => ({ instructions: op.elements * 30, loads: op.elements }),
});

/**
 * int16 LOGISTIC / TANH (compiler/quant/sigmoid16.ts): the `lut` mode interpolates in TFLite's 256-entry sigmoid
 * table (512 bytes of flash per layer), the `gemmlowp` mode (desktop TFLite's power-of-two case) calls runtime.h's
 * tf_logistic16 / tf_tanh16 on Q3.12.
 */
export function emitSigmoid16(op: KSigmoid16, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const head = `static void ${f}(const int8_t *in8, int8_t *out8)
{
  const int16_t *x = (const int16_t *)(const void *)in8;
  int16_t *y = (int16_t *)(void *)out8;
`;
  if (op.mode === 'gemmlowp') {
    const arg = op.fn === 'tanh' && op.preShift ? 'tf_sat_lshift16(x[i], 1)' : 'x[i]';
    return { data: '', code: `${head}  for (int i = 0; i < ${op.elements}; i++) y[i] = (int16_t)tf_${op.fn}16(${arg}, 3);\n}\n`, constBytes: 0 };
  }
  const round = op.shift > 0 ? 2 ** (op.shift - 1) : 0;
  const fold = op.fn === 'logistic'
    ? `    const uint32_t uh = a >> 9;
    uint32_t u = uh >= 255 ? (uint32_t)0x7FFF << 10 : ((uint32_t)${f}_t[uh] << 9) + (a & 0x1FF) * ((uint32_t)${f}_t[uh + 1] - ${f}_t[uh]);
    u = v >= 0 ? u + (1u << 9) : (1u << 25) - u + (1u << 9) - 1;
    y[i] = (int16_t)(u >> 10);`
    : `    const uint32_t uh = a >> 8;
    int32_t s = uh >= 255 ? 0xFFFF << 8 : (int32_t)(((uint32_t)${f}_t[uh] << 8) + (a & 0xFF) * ((uint32_t)${f}_t[uh + 1] - ${f}_t[uh]));
    s = v >= 0 ? s - (1 << 23) + (1 << 7) : -s + (1 << 23) + (1 << 7) - 1;
    y[i] = (int16_t)(s >> 8);`;
  const code = `${head}  for (int i = 0; i < ${op.elements}; i++) {
    const int32_t v = ((int32_t)x[i] * ${op.multiplier} + ${round}) >> ${op.shift};
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
${fold}
  }
}
`;
  return { data: cArray(`${f}_t`, 'uint16_t', SIGMOID_TABLE_U16), code, constBytes: 512 };
}

export const sigmoid16Generic = defineVariant<KSigmoid16>({
  name: 'sigmoid16.generic',
  kind: 'sigmoid16',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  modes: { elementwise: true },
  emit: emitSigmoid16,
  estimate: (op) => ({ instructions: op.elements * (op.mode === 'lut' ? 21 : 225), loads: op.elements * 3 }), // QEMU M4: 20.4 and 224 (bench int16-ops)
});
