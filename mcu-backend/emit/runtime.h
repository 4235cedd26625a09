/* tinyforge Cortex-M runtime: the requantisation arithmetic of TFLite (Micro) in C, the instruction-count
 * markers, and portable definitions of the ACLE DSP intrinsics used by the SIMD kernels.
 * Copied next to every generated model; C99, no libc beyond <stdint.h>/<string.h> (memcpy, memset).
 *
 *   TF_DSP      1 when the SIMD (DSP) path is compiled: on a core with __ARM_FEATURE_DSP, or on the host
 *               with -DTF_HOST_SIMD=1 (the intrinsics below then have portable C definitions of the
 *               same semantics, so the SIMD source is checked on the host too).
 *   TF_MARK(n)  `dbg #n` on Armv7-M and later, the reserved hint 0xBF00 | (n + 7) << 4 on ARMv6-M, the HINT
 *               `srli x0, x0, n` on RISC-V (all no-op hints on real cores and in QEMU; the icount plugin counts
 *               the instructions between markers),
 *               nothing elsewhere or with -DTF_NO_MARKERS.
 *
 * Arithmetic (names as in ../shared/docs/tflite-reference.md):
 *   tf_requant_tflm   SaturatingRoundingDoublingHighMul then RoundingDivideByPOT (double rounding)
 *   tf_requant_tflite one 64-bit multiply and one round-half-up shift (single rounding)
 */
#ifndef TF_RUNTIME_H
#define TF_RUNTIME_H

/* gcc 12 (host gcc 12.2.0 and arm-none-eabi-gcc 12.2.1 checked) drops calls to layer functions that do
 * write memory, at -O2: after IPA constant propagation gives a layer function constant arena addresses,
 * ivopts may address an array through a TARGET_MEM_REF whose base is the literal 0 (all of the address in
 * its offset and index, e.g. MEM[(char *)0B + -2044B + _13 + iv * 4]); the late local pure-const and
 * mod/ref analyses take that access for a dereference of NULL ("NULL memory access; terminating BB"), skip
 * the rest of its basic block, miss the stores there and declare the function const or pure, and the
 * caller's DCE deletes the call (or moves code across it). No undefined behaviour is involved (UBSan and
 * ASan are clean; -fno-ipa-cp, -fno-ivopts or -fwrapv only hide it by changing the addressing). The one
 * switch that removes the faulty inference itself is -fno-delete-null-pointer-checks (gcc only infers
 * "non-null" from a dereference with it on), which is also the truth on a Cortex-M, where address 0 is
 * mapped (the vector table). It applies to every function of the generated source from here on (this
 * header is included only by the generated model; before <string.h>, so its inline functions agree).
 * Minimal reproducer and evidence: tests/mcu-backend/fixtures/gcc12-null-tmr.c, ../harness/README.md. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-delete-null-pointer-checks")
#endif

#include <stdint.h>
#include <string.h>

#define TF_ALIGN(n) __attribute__((aligned(n)))

#if defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7 && !defined(TF_NO_MARKERS)
#define TF_MARK_(n) __asm volatile("dbg #" #n ::: "memory")
#elif defined(__arm__) && defined(__ARM_ARCH_6M__) && !defined(TF_NO_MARKERS)
/* ARMv6-M has no DBG: the 16-bit reserved hint BFx0 with x = n + 7 (8..15), which executes as a NOP. */
#define TF_MARK_(n) __asm volatile(".hword 0xbf00 + ((" #n " + 7) << 4)" ::: "memory")
#elif defined(__riscv) && !defined(TF_NO_MARKERS)
/* RV32: `srli x0, x0, n`, a HINT the ISA designates for custom use (writes x0: a NOP on every core). */
#define TF_MARK_(n) __asm volatile(".insn i 0x13, 5, x0, x0, " #n ::: "memory")
#else
#define TF_MARK_(n) do { } while (0)
#endif
#define TF_MARK(n) TF_MARK_(n)

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define TF_DSP 1
/* gcc 12 does not fold the rotate into SXTB16/SXTAB16 (one instruction per 4 values): inline asm. */
static inline int16x2_t tf_sxtb16_ror8(uint32_t x) { int32_t r; __asm("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x)); return r; }
static inline int16x2_t tf_sxtab16_ror8(int16x2_t a, uint32_t x) { int32_t r; __asm("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x)); return r; }
#elif defined(TF_HOST_SIMD) && TF_HOST_SIMD
#define TF_DSP 1
/* Portable ACLE: lanes are the low and high halfwords; arithmetic wraps per lane as the instructions do. */
typedef int32_t int16x2_t;
typedef int32_t int8x4_t;
static inline int16x2_t tf_pack16(int32_t lo, int32_t hi) { return (int16x2_t)(((uint32_t)(uint16_t)lo) | ((uint32_t)(uint16_t)hi << 16)); }
static inline int32_t tf_lo16(int16x2_t x) { return (int16_t)(uint16_t)((uint32_t)x & 0xffffu); }
static inline int32_t tf_hi16(int16x2_t x) { return (int16_t)(uint16_t)((uint32_t)x >> 16); }
static inline int16x2_t __sxtb16(int8x4_t x) { return tf_pack16((int8_t)(uint8_t)x, (int8_t)(uint8_t)((uint32_t)x >> 16)); }
static inline int16x2_t __sxtab16(int16x2_t a, int8x4_t b)
{
  return tf_pack16(tf_lo16(a) + (int8_t)(uint8_t)b, tf_hi16(a) + (int8_t)(uint8_t)((uint32_t)b >> 16));
}
static inline int32_t __smlad(int16x2_t a, int16x2_t b, int32_t acc)
{
  return (int32_t)((uint32_t)acc + (uint32_t)(tf_lo16(a) * tf_lo16(b)) + (uint32_t)(tf_hi16(a) * tf_hi16(b)));
}
static inline int32_t __smuad(int16x2_t a, int16x2_t b) { return __smlad(a, b, 0); }
static inline int32_t __smlabb(int32_t a, int32_t b, int32_t acc) { return (int32_t)((uint32_t)acc + (uint32_t)(tf_lo16(a) * tf_lo16(b))); }
static inline int32_t __smlatt(int32_t a, int32_t b, int32_t acc) { return (int32_t)((uint32_t)acc + (uint32_t)(tf_hi16(a) * tf_hi16(b))); }
static inline int16x2_t tf_sxtb16_ror8(uint32_t x) { return __sxtb16((int8x4_t)(x >> 8 | x << 24)); }
static inline int16x2_t tf_sxtab16_ror8(int16x2_t a, uint32_t x) { return __sxtab16(a, (int8x4_t)(x >> 8 | x << 24)); }
#else
#define TF_DSP 0
#endif

/* Unaligned 32-bit load (one LDR on ARMv7-M). */
static inline int32_t tf_read32(const void *p) { int32_t v; memcpy(&v, p, 4); return v; }

static inline int32_t tf_min(int32_t a, int32_t b) { return a < b ? a : b; }
static inline int32_t tf_max(int32_t a, int32_t b) { return a > b ? a : b; }
static inline int32_t tf_clamp(int32_t x, int32_t lo, int32_t hi) { return x < lo ? lo : x > hi ? hi : x; }

/* gemmlowp SaturatingRoundingDoublingHighMul. */
static inline int32_t tf_srdhm(int32_t a, int32_t b)
{
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  int64_t ab = (int64_t)a * (int64_t)b;
  int64_t nudge = ab >= 0 ? (1ll << 30) : (1ll - (1ll << 30));
  return (int32_t)((ab + nudge) / (1ll << 31));
}

/* gemmlowp RoundingDivideByPOT (round half away from zero), 0 <= e <= 31. */
static inline int32_t tf_rdbpot(int32_t x, int e)
{
  const int32_t mask = (int32_t)((1u << e) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

/* TFLite Micro MultiplyByQuantizedMultiplier (double rounding); shift > 0 is a left shift. */
static inline int32_t tf_requant_tflm(int32_t x, int32_t m, int shift)
{
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  return tf_rdbpot(tf_srdhm((int32_t)((uint32_t)x << left), m), right);
}

/* TFLite's MultiplyByQuantizedMultiplier(int64 x, ...) of the 16x8 kernels (kernels/internal/common.cc):
   the multiplier reduced to 16 bits, one 64-bit product, one round-half-up shift by 15 - shift (m >= 0,
   -31 <= shift <= 7). */
static inline int32_t tf_requant_64(int64_t x, int32_t m, int shift)
{
  const int64_t reduced = m < 0x7FFF0000 ? (int64_t)((m + (1 << 15)) >> 16) : (int64_t)0x7FFF;
  const int total = 15 - shift;
  return (int32_t)((x * reduced + ((int64_t)1 << (total - 1))) >> total);
}

/* TFLite (TFLITE_SINGLE_ROUNDING) MultiplyByQuantizedMultiplier; shift <= 30. */
static inline int32_t tf_requant_tflite(int32_t x, int32_t m, int shift)
{
  const int total = 31 - shift;
  const int64_t round = (int64_t)1 << (total - 1);
  return (int32_t)(((int64_t)x * (int64_t)m + round) >> total);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT with a positive exponent (saturating left shift). */
static inline int32_t tf_sat_lshift(int32_t x, int e)
{
  const int32_t threshold = (int32_t)((1u << (31 - e)) - 1u);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << e);
}

/* std::round for a float32 of magnitude < 2^23 (half away from zero; v - trunc(v) is exact), without libm. */
static inline float tf_roundf(float v)
{
  const float t = (float)(int32_t)v;
  const float d = v - t;
  return d >= 0.5f ? t + 1.0f : d <= -0.5f ? t - 1.0f : t;
}

/* a * b + c in float32, rounded twice as TFLite's kernels compute it: the volatile product keeps the
   compiler from contracting it into a fused multiply-add (VFMA on an FPv4 core rounds once). */
static inline float tf_fmul_add(float a, float b, float c)
{
  volatile float p = a * b;
  return p + c;
}

static inline int32_t tf_add_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a + (uint32_t)b); }
static inline int32_t tf_sub_wrap(int32_t a, int32_t b) { return (int32_t)((uint32_t)a - (uint32_t)b); }

/* gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl, Q0.31 in and out. */
static inline int32_t tf_exp_quarter(int32_t a)
{
  const int32_t constant_term = 1895147668; /* exp(-1/8) */
  const int32_t one_third = 715827883;
  const int32_t x = tf_add_wrap(a, 1 << 28); /* a + 1/8 */
  const int32_t x2 = tf_srdhm(x, x);
  const int32_t x3 = tf_srdhm(x2, x);
  const int32_t x4 = tf_srdhm(x2, x2);
  const int32_t x4_over_4 = tf_rdbpot(x4, 2);
  const int32_t poly = tf_rdbpot(tf_add_wrap(tf_srdhm(tf_add_wrap(x4_over_4, x3), one_third), x2), 1);
  return tf_add_wrap(constant_term, tf_srdhm(constant_term, tf_add_wrap(x, poly)));
}

/* gemmlowp exp_on_negative_values for a Q5.26 input <= 0; result Q0.31. */
static inline int32_t tf_exp_neg_q5_26(int32_t a)
{
  const int32_t one_quarter = 1 << 24;
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_one_quarter = tf_sub_wrap(a & mask, one_quarter);
  int32_t result = tf_exp_quarter(tf_sat_lshift(a_mod_quarter_minus_one_quarter, 5));
  const int32_t remainder = tf_sub_wrap(a_mod_quarter_minus_one_quarter, a);
  if (remainder & (1 << 24)) result = tf_srdhm(result, 1672461947);
  if (remainder & (1 << 25)) result = tf_srdhm(result, 1302514674);
  if (remainder & (1 << 26)) result = tf_srdhm(result, 790015084);
  if (remainder & (1 << 27)) result = tf_srdhm(result, 290630308);
  if (remainder & (1 << 28)) result = tf_srdhm(result, 39332535);
  if (remainder & (1 << 29)) result = tf_srdhm(result, 720401);
  if (remainder & (1 << 30)) result = tf_srdhm(result, 242);
  return a == 0 ? INT32_MAX : result;
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1: Q0.31 in, Q0.31 out (Newton-Raphson in Q2.29). */
static inline int32_t tf_one_over_one_plus_x(int32_t a)
{
  const int64_t sum = (int64_t)a + INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t c48_17 = 1515870810, cneg32_17 = -1010580540;
  int32_t x = tf_add_wrap(c48_17, tf_srdhm(half_denominator, cneg32_17));
  for (int i = 0; i < 3; i++) {
    const int32_t hdx = tf_srdhm(half_denominator, x);
    const int32_t one_minus = tf_sub_wrap(1 << 29, hdx);
    x = tf_add_wrap(x, tf_sat_lshift(tf_srdhm(x, one_minus), 2));
  }
  return tf_sat_lshift(x, 1);
}

static inline int tf_clz32(uint32_t x)
{
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) { x <<= 1; n++; }
  return n;
}

/* TFLite Micro's int8 reference softmax (fixed-point exp, 5 integer bits for the scaled differences,
 * 12 for the sum). Output zero point -128, scale 1/256, as TFLite requires. */
static inline void tf_softmax_s8(const int8_t *in, int8_t *out, int rows, int depth, int32_t mult, int left_shift, int32_t diff_min)
{
  for (int r = 0; r < rows; r++, in += depth, out += depth) {
    int32_t max_in_row = -128;
    for (int c = 0; c < depth; c++) max_in_row = tf_max(max_in_row, in[c]);
    int32_t sum_of_exps = 0;
    for (int c = 0; c < depth; c++) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= diff_min) {
        const int32_t scaled = tf_srdhm((int32_t)((uint32_t)diff << left_shift), mult);
        sum_of_exps = tf_add_wrap(sum_of_exps, tf_rdbpot(tf_exp_neg_q5_26(scaled), 12));
      }
    }
    const int headroom_plus_one = tf_clz32((uint32_t)sum_of_exps);
    const int num_bits_over_unit = 12 - headroom_plus_one;
    const int32_t shifted_sum_minus_one = (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - (1u << 31));
    const int32_t shifted_scale = tf_one_over_one_plus_x(shifted_sum_minus_one);
    for (int c = 0; c < depth; c++) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= diff_min) {
        const int32_t scaled = tf_srdhm((int32_t)((uint32_t)diff << left_shift), mult);
        const int32_t e = tf_exp_neg_q5_26(scaled);
        const int32_t unsat = tf_rdbpot(tf_srdhm(shifted_scale, e), num_bits_over_unit + 31 - 8);
        out[c] = (int8_t)tf_clamp(unsat - 128, -128, 127);
      } else {
        out[c] = -128;
      }
    }
  }
}

/* ---- int16 fixed point of TFLite's integer LSTM (lstm_eval.cc's ApplySigmoid / ApplyTanh: gemmlowp's
 * logistic and tanh on FixedPoint<int16_t, ib>). Raw int16 values held in int32_t; sums wrap to int16 as
 * gemmlowp's int16 Add does; the constants are gemmlowp's int32 ones rounded to 16 bits
 * (RescaleConstantInitializer: RoundingDivideByPOT(c, 16)). ---- */
static inline int32_t tf_w16(int32_t x) { return (int32_t)(int16_t)(uint16_t)(uint32_t)x; }
static inline int32_t tf_sat16(int32_t x) { return x > 32767 ? 32767 : x < -32768 ? -32768 : x; }

/* SaturatingRoundingDoublingHighMul on int16. */
static inline int32_t tf_srdhm16(int32_t a, int32_t b)
{
  if (a == -32768 && b == -32768) return 32767;
  const int32_t ab = a * b;
  return tf_w16((ab + (ab >= 0 ? (1 << 14) : 1 - (1 << 14))) / 32768);
}

/* SaturatingRoundingMultiplyByPOT<e> on int16, e > 0. */
static inline int32_t tf_sat_lshift16(int32_t x, int e)
{
  const int32_t threshold = (1 << (15 - e)) - 1;
  return x > threshold ? 32767 : x < -threshold ? -32768 : tf_w16(x * (1 << e));
}

/* exp(a), a in [-1/4, 0), Q0.15: Taylor series around -1/8 (constants exp(-1/8) = 28918, 1/3 = 10923). */
static inline int32_t tf_exp_quarter16(int32_t a)
{
  const int32_t x = tf_w16(a + 4096);
  const int32_t x2 = tf_srdhm16(x, x), x3 = tf_srdhm16(x2, x), x4 = tf_srdhm16(x2, x2);
  const int32_t p = tf_rdbpot(tf_w16(tf_srdhm16(tf_w16(tf_rdbpot(x4, 2) + x3), 10923) + x2), 1);
  return tf_sat16(28918 + tf_srdhm16(28918, tf_w16(x + p)));
}

/* exp(a) for a <= 0 with ib integer bits (0..7); Q0.15. The remainder's bits (frac - 2 ..) select the factors
 * exp(-1/4), exp(-1/2), exp(-1), exp(-2), exp(-4), exp(-8), exp(-16) (int16: 25520 19875 12055 4435 600 11 0). */
static inline int32_t tf_exp_neg16(int32_t a, int ib)
{
  static const int16_t k[7] = { 25520, 19875, 12055, 4435, 600, 11, 0 };
  const int frac = 15 - ib;
  const int32_t quarter = 1 << (frac - 2);
  const int32_t amq = tf_w16((a & (quarter - 1)) - quarter);
  int32_t r = tf_exp_quarter16(ib > 0 ? tf_sat_lshift16(amq, ib) : amq);
  const int32_t rem = tf_w16(amq - a);
  for (int j = 0; j < 7 && j - 2 < ib; j++)
    if (rem & (1 << (frac - 2 + j))) r = tf_srdhm16(r, k[j]);
  if (ib > 5 && a < -(1 << (20 - ib))) r = 0; /* below -32 */
  return a == 0 ? 32767 : r;
}

/* Newton-Raphson 1 / (1 + a) for a in [0, 1) Q0.15: x in Q2.13 (48/17 = 23130, -32/17 = -15420). */
static inline int32_t tf_recip16(int32_t a)
{
  const int32_t sum = a + 32767;
  const int32_t half = tf_w16((sum + (sum >= 0 ? 1 : -1)) / 2);
  int32_t x = tf_w16(23130 + tf_srdhm16(half, -15420));
  for (int i = 0; i < 3; i++) x = tf_w16(x + tf_sat_lshift16(tf_srdhm16(x, tf_w16(8192 - tf_srdhm16(half, x))), 2));
  return x;
}

/* gemmlowp logistic / tanh of an int16 with ib integer bits; Q0.15. */
static inline int32_t tf_logistic16(int32_t a, int ib)
{
  if (a == 0) return 16384;
  const int32_t pos = tf_sat_lshift16(tf_recip16(tf_exp_neg16(a > 0 ? tf_w16(-a) : a, ib)), 1);
  return a > 0 ? pos : tf_w16(32767 - pos);
}
static inline int32_t tf_tanh16(int32_t a, int ib)
{
  if (a == 0) return 0;
  const int32_t t = tf_sat_lshift16(tf_w16(tf_recip16(tf_exp_neg16(a < 0 ? a : tf_w16(-a), ib + 1)) - 8192), 2);
  return a < 0 ? tf_w16(-t) : t;
}

/* The same functions looked up in half tables t[0..32767] of the non-negative inputs (lstm.lut): logistic(-a) =
 * 32767 - logistic(a) and tanh(-a) = -tanh(a) for a > -32768 (gemmlowp computes negative inputs from |a|);
 * -32768 has its own value (m). */
static inline int32_t tf_lut_logistic16(const int16_t *t, int32_t m, int32_t a) { return a >= 0 ? t[a] : a == -32768 ? m : 32767 - t[-a]; }
static inline int32_t tf_lut_tanh16(const int16_t *t, int32_t m, int32_t a) { return a >= 0 ? t[a] : a == -32768 ? m : -t[-a]; }

/* One LSTM gate's pre-activation (Q3.12) for n_cell rows: the input and the recurrent matmul, each from its
 * effective bias (bias - zero point * row sum), requantised on its own (double rounding) and summed with
 * int16 saturation (MatrixBatchVectorMultiplyAccumulate into an int16 accumulator). */
static inline void tf_lstm_gate(const int8_t *x, const int8_t *h, const int8_t *w, const int8_t *r,
  const int32_t *bi, const int32_t *br, int n_in, int n_out, int n_cell, int32_t mi, int si, int32_t mr, int sr, int16_t *out)
{
  for (int c = 0; c < n_cell; c++, w += n_in, r += n_out) {
    int32_t a = bi[c], b = br[c];
    for (int i = 0; i < n_in; i++) a += (int32_t)x[i] * (int32_t)w[i];
    for (int j = 0; j < n_out; j++) b += (int32_t)h[j] * (int32_t)r[j];
    out[c] = (int16_t)tf_sat16(tf_requant_tflm(b, mr, sr) + tf_sat16(tf_requant_tflm(a, mi, si)));
  }
}

#endif
