// C prelude of the Helium (MVE, Armv8.1-M) kernels (conv-helium.ts, depthwise-helium.ts): the handful of
// MVE operations they use, as ACLE intrinsics (arm_mve.h) where __ARM_FEATURE_MVE is set (-mcpu=cortex-m55,
// -march=armv8.1-m.main+mve for an M85), and as portable C with the same lane semantics elsewhere, so one
// generated source builds for QEMU mps3-an547 (the measurement) and for the host (the quick bit-exactness
// check of the build's verification).
//   tfh_ld8       VLDRB.8 of 16 bytes (any alignment)
//   tfh_dot       VMLADAVA.S8: acc + sum of the 16 lane products
//   tfh_ld32s     VLDRB.S32: 4 bytes sign-extended
//   tfh_gather    VLDRB.S32 gather: 4 bytes at base + offset[i], sign-extended
//   tfh_gathern / tfh_st32n  the gather and a contiguous VSTRB.32, predicated on the first n lanes
//   tfh_copy8     VLDRB.U16 gather of 8 bytes (16-bit offsets) and VSTRB.16 of them, contiguous
//   tfh_mla       VMLA.S32 by a scalar
//   tfh_qrdmulh / tfh_qdmulh   VQRDMULH / VQDMULH.S32 by a scalar (the requantisation's high multiply)
//   tfh_shl / tfh_rshl         VSHL / VRSHL.S32 by a scalar register (negative: right, rounding for VRSHL)
//   tfh_qrdmulhv, tfh_qdmulhv, tfh_shlv, tfh_rshlv  the same by a vector (per lane)
//   tfh_make4     two VMOV (two general registers to two lanes each)
//   tfh_sat8      VQSHL #24, VSHR #24: saturate to int8; tfh_maxn / tfh_minn: VMAX / VMIN against a VDUP
//   tfh_scatter   VSTRB.32 scatter of the low bytes, predicated on the first n lanes
//   tfh_ld8n / tfh_st8n  VLDRB.8 / VSTRB.8 of the first n bytes (tail predication, VCTP.8)
import type { McuTargetInfo } from './variant.ts';

/** Cores with Helium (M-profile Vector Extension): the Helium variants apply on these only. */
export const HELIUM_CPUS: readonly string[] = ['m55', 'm85'];
export const helium = (t: McuTargetInfo): boolean => HELIUM_CPUS.includes(t.cpu);

export const HELIUM_PRELUDE = String.raw`#ifndef TF_HELIUM_PRELUDE
#define TF_HELIUM_PRELUDE
#include <stdint.h>
#include <string.h>
#define TFH_INLINE static inline __attribute__((always_inline, unused))
/* Hide a const table's address from the optimiser (no constant propagation of the table). */
TFH_INLINE const void *tfh_hide(const void *p) { __asm__("" : "+r"(p)); return p; }
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>
typedef int8x16_t tfh_v8;
typedef int32x4_t tfh_v32;
typedef uint32x4_t tfh_u32;
#define tfh_ld8(p) vldrbq_s8((const int8_t *)(p))
#define tfh_st8(p, v) vstrbq_s8((int8_t *)(p), (v))
#define tfh_dup8(x) vdupq_n_s8((int8_t)(x))
#define tfh_dot(a, x, w) vmladavaq_s8((a), (x), (w))
#define tfh_gather(p, o) vldrbq_gather_offset_s32((const int8_t *)(p), (o))
#define tfh_ld32s(p) vldrbq_s32((const int8_t *)(p))
#define tfh_gathern(p, o, n) vldrbq_gather_offset_z_s32((const int8_t *)(p), (o), vctp32q((uint32_t)(n)))
#define tfh_st32(p, v) vstrbq_s32((int8_t *)(p), (v))
typedef uint16x8_t tfh_u16;
#define tfh_offsets16(s) vmulq_n_u16(vidupq_n_u16(0, 1), (uint16_t)(s))
#define tfh_copy8(d, p, o) vstrbq_u16((uint8_t *)(d), vldrbq_gather_offset_u16((const uint8_t *)(p), (o)))
#define tfh_st32n(p, v, n) vstrbq_p_s32((int8_t *)(p), (v), vctp32q((uint32_t)(n)))
#define tfh_mla(a, x, s) vmlaq_n_s32((a), (x), (s))
#define tfh_dup32(x) vdupq_n_s32((int32_t)(x))
#define tfh_qrdmulh(a, m) vqrdmulhq_n_s32((a), (m))
#define tfh_qdmulh(a, m) vqdmulhq_n_s32((a), (m))
#define tfh_shl(a, n) vshlq_r_s32((a), (n))
TFH_INLINE tfh_v32 tfh_make4(int32_t a, int32_t b, int32_t c, int32_t d) {
  tfh_v32 v; __asm__("vmov %q0[2], %q0[0], %1, %3\n\tvmov %q0[3], %q0[1], %2, %4" : "=&w"(v) : "r"(a), "r"(b), "r"(c), "r"(d)); return v; }
#define tfh_sat8(a) vshrq_n_s32(vqshlq_n_s32((a), 24), 24)
#define tfh_maxn(a, n) vmaxq_s32((a), vdupq_n_s32(n))
#define tfh_minn(a, n) vminq_s32((a), vdupq_n_s32(n))
#define tfh_qrdmulhv(a, m) vqrdmulhq_s32((a), (m))
#define tfh_qdmulhv(a, m) vqdmulhq_s32((a), (m))
#define tfh_shlv(a, n) vshlq_s32((a), (n))
#define tfh_rshlv(a, n) vrshlq_s32((a), (n))
#define tfh_rshl(a, n) vrshlq_n_s32((a), (n))
#define tfh_sign(a) vshrq_n_s32((a), 31)
#define tfh_ld32sn(p, n) vldrbq_z_s32((const int8_t *)(p), vctp32q((uint32_t)(n)))
TFH_INLINE tfh_v32 tfh_add_sign(tfh_v32 t) { return vaddq_s32(t, vshrq_n_s32(t, 31)); }
#define tfh_add(a, b) vaddq_s32((a), (b))
#define tfh_addn(a, n) vaddq_n_s32((a), (n))
#define tfh_max(a, b) vmaxq_s32((a), (b))
#define tfh_min(a, b) vminq_s32((a), (b))
#define tfh_offsets(s) vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)(s))
#define tfh_scatter(p, o, v, n) vstrbq_scatter_offset_p_s32((int8_t *)(p), (o), (v), vctp32q((uint32_t)(n)))
#define tfh_scatter4(p, o, v) vstrbq_scatter_offset_s32((int8_t *)(p), (o), (v))
#define tfh_st8n(p, v, n) vstrbq_p_s8((int8_t *)(p), (v), vctp8q((uint32_t)(n)))
#define tfh_ld8n(p, n) vldrbq_z_s8((const int8_t *)(p), vctp8q((uint32_t)(n)))
#else
typedef struct { int8_t v[16]; } tfh_v8;
typedef struct { int32_t v[4]; } tfh_v32;
typedef struct { uint32_t v[4]; } tfh_u32;
TFH_INLINE tfh_v8 tfh_ld8(const void *p) { tfh_v8 r; memcpy(r.v, p, 16); return r; }
TFH_INLINE void tfh_st8(void *p, tfh_v8 v) { memcpy(p, v.v, 16); }
TFH_INLINE tfh_v8 tfh_dup8(int x) { tfh_v8 r; for (int i = 0; i < 16; i++) r.v[i] = (int8_t)x; return r; }
TFH_INLINE int32_t tfh_dot(int32_t a, tfh_v8 x, tfh_v8 w) {
  uint32_t s = (uint32_t)a;
  for (int i = 0; i < 16; i++) s += (uint32_t)(x.v[i] * w.v[i]);
  return (int32_t)s; }
TFH_INLINE tfh_v32 tfh_gather(const void *p, tfh_u32 o) { tfh_v32 r; for (int i = 0; i < 4; i++) r.v[i] = ((const int8_t *)p)[o.v[i]]; return r; }
TFH_INLINE tfh_v32 tfh_ld32s(const void *p) { tfh_v32 r; for (int i = 0; i < 4; i++) r.v[i] = ((const int8_t *)p)[i]; return r; }
TFH_INLINE tfh_v32 tfh_gathern(const void *p, tfh_u32 o, int n) { tfh_v32 r; for (int i = 0; i < 4; i++) r.v[i] = i < n ? ((const int8_t *)p)[o.v[i]] : 0; return r; }
typedef struct { uint16_t v[8]; } tfh_u16;
TFH_INLINE tfh_u16 tfh_offsets16(uint32_t s) { tfh_u16 r; for (int i = 0; i < 8; i++) r.v[i] = (uint16_t)(i * s); return r; }
TFH_INLINE void tfh_copy8(void *d, const void *p, tfh_u16 o) { for (int i = 0; i < 8; i++) ((int8_t *)d)[i] = ((const int8_t *)p)[o.v[i]]; }
TFH_INLINE void tfh_st32(void *p, tfh_v32 v) { for (int i = 0; i < 4; i++) ((int8_t *)p)[i] = (int8_t)v.v[i]; }
TFH_INLINE void tfh_st32n(void *p, tfh_v32 v, int n) { for (int i = 0; i < 4 && i < n; i++) ((int8_t *)p)[i] = (int8_t)v.v[i]; }
TFH_INLINE tfh_v32 tfh_mla(tfh_v32 a, tfh_v32 x, int32_t s) { for (int i = 0; i < 4; i++) a.v[i] = (int32_t)((uint32_t)a.v[i] + (uint32_t)x.v[i] * (uint32_t)s); return a; }
TFH_INLINE tfh_v32 tfh_dup32(int32_t x) { tfh_v32 r; for (int i = 0; i < 4; i++) r.v[i] = x; return r; }
TFH_INLINE int32_t tfh_sat32(int64_t x) { return x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : (int32_t)x; }
TFH_INLINE tfh_v32 tfh_qrdmulh(tfh_v32 a, int32_t m) { for (int i = 0; i < 4; i++) a.v[i] = tfh_sat32((2 * (int64_t)a.v[i] * m + ((int64_t)1 << 31)) >> 32); return a; }
TFH_INLINE tfh_v32 tfh_qdmulh(tfh_v32 a, int32_t m) { for (int i = 0; i < 4; i++) a.v[i] = tfh_sat32((2 * (int64_t)a.v[i] * m) >> 32); return a; }
TFH_INLINE tfh_v32 tfh_shl(tfh_v32 a, int32_t n) { for (int i = 0; i < 4; i++) a.v[i] = n >= 0 ? (int32_t)((uint32_t)a.v[i] << n) : a.v[i] >> -n; return a; }
TFH_INLINE tfh_v32 tfh_rshl(tfh_v32 a, int32_t n) {
  for (int i = 0; i < 4; i++) a.v[i] = n >= 0 ? (int32_t)((uint32_t)a.v[i] << n) : (int32_t)(((int64_t)a.v[i] + ((int64_t)1 << (-n - 1))) >> -n);
  return a; }
TFH_INLINE tfh_v32 tfh_qrdmulhv(tfh_v32 a, tfh_v32 m) { for (int i = 0; i < 4; i++) a.v[i] = tfh_qrdmulh(tfh_dup32(a.v[i]), m.v[i]).v[0]; return a; }
TFH_INLINE tfh_v32 tfh_qdmulhv(tfh_v32 a, tfh_v32 m) { for (int i = 0; i < 4; i++) a.v[i] = tfh_qdmulh(tfh_dup32(a.v[i]), m.v[i]).v[0]; return a; }
TFH_INLINE tfh_v32 tfh_shlv(tfh_v32 a, tfh_v32 n) { for (int i = 0; i < 4; i++) a.v[i] = tfh_shl(tfh_dup32(a.v[i]), n.v[i]).v[0]; return a; }
TFH_INLINE tfh_v32 tfh_rshlv(tfh_v32 a, tfh_v32 n) { for (int i = 0; i < 4; i++) a.v[i] = tfh_rshl(tfh_dup32(a.v[i]), n.v[i]).v[0]; return a; }
TFH_INLINE tfh_v32 tfh_make4(int32_t a, int32_t b, int32_t c, int32_t d) { tfh_v32 v; v.v[0] = a; v.v[1] = b; v.v[2] = c; v.v[3] = d; return v; }
TFH_INLINE tfh_v32 tfh_sat8(tfh_v32 a) { for (int i = 0; i < 4; i++) a.v[i] = a.v[i] < -128 ? -128 : a.v[i] > 127 ? 127 : a.v[i]; return a; }
TFH_INLINE tfh_v32 tfh_maxn(tfh_v32 a, int32_t n) { for (int i = 0; i < 4; i++) a.v[i] = a.v[i] > n ? a.v[i] : n; return a; }
TFH_INLINE tfh_v32 tfh_minn(tfh_v32 a, int32_t n) { for (int i = 0; i < 4; i++) a.v[i] = a.v[i] < n ? a.v[i] : n; return a; }
TFH_INLINE tfh_v32 tfh_sign(tfh_v32 a) { for (int i = 0; i < 4; i++) a.v[i] = a.v[i] < 0 ? -1 : 0; return a; }
TFH_INLINE tfh_v32 tfh_ld32sn(const void *p, int n) { tfh_v32 r; for (int i = 0; i < 4; i++) r.v[i] = i < n ? ((const int8_t *)p)[i] : 0; return r; }
TFH_INLINE tfh_v32 tfh_add(tfh_v32 a, tfh_v32 b) { for (int i = 0; i < 4; i++) a.v[i] = (int32_t)((uint32_t)a.v[i] + (uint32_t)b.v[i]); return a; }
TFH_INLINE tfh_v32 tfh_add_sign(tfh_v32 t) { for (int i = 0; i < 4; i++) t.v[i] = (int32_t)((uint32_t)t.v[i] + (t.v[i] < 0 ? 0xffffffffu : 0u)); return t; }
TFH_INLINE tfh_v32 tfh_addn(tfh_v32 a, int32_t n) { for (int i = 0; i < 4; i++) a.v[i] = (int32_t)((uint32_t)a.v[i] + (uint32_t)n); return a; }
TFH_INLINE tfh_v32 tfh_max(tfh_v32 a, tfh_v32 b) { for (int i = 0; i < 4; i++) a.v[i] = a.v[i] > b.v[i] ? a.v[i] : b.v[i]; return a; }
TFH_INLINE tfh_v32 tfh_min(tfh_v32 a, tfh_v32 b) { for (int i = 0; i < 4; i++) a.v[i] = a.v[i] < b.v[i] ? a.v[i] : b.v[i]; return a; }
TFH_INLINE tfh_u32 tfh_offsets(uint32_t s) { tfh_u32 r; for (int i = 0; i < 4; i++) r.v[i] = (uint32_t)i * s; return r; }
TFH_INLINE void tfh_scatter(void *p, tfh_u32 o, tfh_v32 v, int n) { for (int i = 0; i < 4 && i < n; i++) ((int8_t *)p)[o.v[i]] = (int8_t)v.v[i]; }
TFH_INLINE void tfh_scatter4(void *p, tfh_u32 o, tfh_v32 v) { tfh_scatter(p, o, v, 4); }
TFH_INLINE void tfh_st8n(void *p, tfh_v8 v, int n) { memcpy(p, v.v, (size_t)(n < 16 ? n : 16)); }
TFH_INLINE tfh_v8 tfh_ld8n(const void *p, int n) { tfh_v8 r; memset(r.v, 0, 16); memcpy(r.v, p, (size_t)(n < 16 ? n : 16)); return r; }
#endif
#endif
`;
