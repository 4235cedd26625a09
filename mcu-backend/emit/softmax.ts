// softmax: TFLite Micro's int8 reference softmax (gemmlowp fixed-point exp and reciprocal), implemented
// once in runtime.h (tf_softmax_s8); the layer passes its folded constants as literals. An int16 output (the
// int8 -> int16 form) runs the same steps written out here, shifted down to 16 bits and offset by -32768;
// in the `tflite` arithmetic desktop TFLite's float path instead: its expf table computed here with musl's
// algorithm (compiler/quant/libm.ts, so the target's libm plays no part), float32 sums and products in C.
// softmax16.reference: the int16 -> int16 softmax (TFLite's SoftmaxInt16, two interpolated tables).
import type { KSoftmax, KSoftmax16 } from '../../compiler/kernel-ir/types.ts';
import { expf } from '../../compiler/quant/libm.ts';
import { cArray, cFloat, cInt } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitSoftmax(op: KSoftmax, ctx: EmitContext): EmittedKernel {
  if (ctx.buffer(op.output).dtype === 'int16') {
    if (op.floatPath) return softmax16Float(op, ctx.fn, op.floatPath);
    return { data: '', code: softmax16(op, ctx.fn), constBytes: 0 };
  }
  const code = `static void ${ctx.fn}(const int8_t *in, int8_t *out)
{
  tf_softmax_s8(in, out, ${op.rows}, ${op.depth}, ${cInt(op.inputMultiplier)}, ${op.inputLeftShift}, ${cInt(op.diffMin)});
}
`;
  return { data: '', code, constBytes: 0 };
}

export const softmaxReference = defineVariant<KSoftmax>({
  name: 'softmax.reference',
  kind: 'softmax',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitSoftmax,
  estimate: (op) => ({ instructions: op.rows * op.depth * 250, loads: op.rows * op.depth * 3 }),
});

/** int8 -> int16 softmax: tf_softmax_s8's fixed-point steps with a 16-bit output. */
function softmax16(op: KSoftmax, fn: string): string {
  return `static void ${fn}(const int8_t *in, int8_t *out8)
{
  int16_t *out = (int16_t *)(void *)out8;
  for (int r = 0; r < ${op.rows}; r++, in += ${op.depth}, out += ${op.depth}) {
    int32_t max_in_row = -128;
    for (int c = 0; c < ${op.depth}; c++) max_in_row = tf_max(max_in_row, in[c]);
    int32_t sum_of_exps = 0;
    for (int c = 0; c < ${op.depth}; c++) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= ${cInt(op.diffMin)}) {
        const int32_t scaled = tf_srdhm((int32_t)((uint32_t)diff << ${op.inputLeftShift}), ${cInt(op.inputMultiplier)});
        sum_of_exps = tf_add_wrap(sum_of_exps, tf_rdbpot(tf_exp_neg_q5_26(scaled), 12));
      }
    }
    const int headroom_plus_one = tf_clz32((uint32_t)sum_of_exps);
    const int num_bits_over_unit = 12 - headroom_plus_one;
    const int32_t shifted_scale = tf_one_over_one_plus_x((int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - (1u << 31)));
    for (int c = 0; c < ${op.depth}; c++) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= ${cInt(op.diffMin)}) {
        const int32_t scaled = tf_srdhm((int32_t)((uint32_t)diff << ${op.inputLeftShift}), ${cInt(op.inputMultiplier)});
        const int32_t unsat = tf_rdbpot(tf_srdhm(shifted_scale, tf_exp_neg_q5_26(scaled)), num_bits_over_unit + 31 - 16);
        out[c] = (int16_t)tf_clamp(unsat - 32768, -32768, 32767);
      } else {
        out[c] = -32768;
      }
    }
  }
}
`;
}

/** Desktop TFLite's int8 -> int16 softmax: a flash table of expf values, float32 arithmetic, round half away. */
function softmax16Float(op: KSoftmax, fn: string, p: { scale: number; outScale: number }): EmittedKernel {
  const table: string[] = new Array(256);
  for (let v = 0; v <= 255; v++) table[255 - v] = cFloat(expf(Math.fround(p.scale * v)));
  const lines: string[] = [];
  for (let i = 0; i < 256; i += 8) lines.push('  ' + table.slice(i, i + 8).join(', '));
  const data = `static const float ${fn}_exp[256] TF_ALIGN(4) = {\n${lines.join(',\n')}\n};\n`;
  const code = `static void ${fn}(const int8_t *in, int8_t *out8)
{
  int16_t *out = (int16_t *)(void *)out8;
  for (int r = 0; r < ${op.rows}; r++, in += ${op.depth}, out += ${op.depth}) {
    int32_t max_in_row = -128;
    for (int c = 0; c < ${op.depth}; c++) max_in_row = tf_max(max_in_row, in[c]);
    const float *t = ${fn}_exp + 255 - max_in_row;
    float sum = 0.0f;
    for (int c = 0; c < ${op.depth}; c++) sum += t[in[c]];
    const float inv = 1.0f / (sum * ${cFloat(p.outScale)});
    for (int c = 0; c < ${op.depth}; c++) {
      const float v = t[in[c]] * inv;
      int32_t q = (int32_t)v; /* v >= 0: truncation is floor */
      if (v >= (float)q + 0.5f) q++; /* q + 0.5 is exact: no subtraction a compiler could fuse with the product */
      out[c] = (int16_t)tf_clamp(q + ${op.outputOffset}, -32768, 32767);
    }
  }
}
`;
  return { data, code, constBytes: 1024 };
}

/**
 * int16 -> int16 softmax (kernel IR softmax16): TFLite's SoftmaxInt16 with the op's two 513-entry tables in
 * flash (2 x 1,026 bytes), the exp values kept in the output row until the reciprocal is known.
 */
export function emitSoftmaxInt16(op: KSoftmax16, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const data = cArray(`${f}_exp`, 'int16_t', ctx.konst(op.expLut).data) + cArray(`${f}_recip`, 'int16_t', ctx.konst(op.recipLut).data);
  const code = `static inline int32_t ${f}_lut(const int16_t *t, int32_t v)
{
  const int32_t i = 256 + (v >> 7), off = v & 0x7F;
  const int32_t slope = (int16_t)(t[i + 1] - t[i]);
  return (int16_t)(t[i] + ((slope * off + 64) >> 7));
}

static void ${f}(const int8_t *in8, int8_t *out8)
{
  const int16_t *x = (const int16_t *)(const void *)in8;
  int16_t *y = (int16_t *)(void *)out8;
  for (int r = 0; r < ${op.rows}; r++, x += ${op.depth}, y += ${op.depth}) {
    int32_t mx = -32768;
    for (int c = 0; c < ${op.depth}; c++) mx = tf_max(mx, x[c]);
    int32_t sum = 0;
    for (int c = 0; c < ${op.depth}; c++) {
      const int32_t e = ${f}_lut(${f}_exp, tf_clamp(tf_requant_tflm(x[c] - mx, ${cInt(op.multiplier)}, ${op.shift}) + 32767, -32768, 32767));
      y[c] = (int16_t)e;
      sum += e;
    }
    const int h = tf_clz32((uint32_t)sum);
    const int32_t shifted = (int32_t)((((int64_t)sum << (h - 1)) + (1 << 13)) >> 14);
    const int64_t recip = ${f}_lut(${f}_recip, tf_clamp(shifted - 98304, -32768, 32767));
    const int rs = 31 - h;
    for (int c = 0; c < ${op.depth}; c++) y[c] = (int16_t)tf_clamp((int32_t)(((int64_t)y[c] * recip + ((int64_t)1 << (rs - 1))) >> rs), 0, 32767);
  }
}
`;
  return { data, code, constBytes: 2 * 2 * 513 };
}

export const softmax16Reference = defineVariant<KSoftmax16>({
  name: 'softmax16.reference',
  kind: 'softmax16',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitSoftmaxInt16,
  estimate: (op) => ({ instructions: op.rows * op.depth * 75, loads: op.rows * op.depth * 5 }), // QEMU M4: 73 per element, rows of 16 (bench int16-ops)
});
