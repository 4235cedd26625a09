// C prelude shared by the fast Cortex-M4 kernels: the handful of DSP instructions they use, as inline
// assembly on an Armv7E-M target and as portable C with identical semantics elsewhere, so one generated
// source builds for QEMU (the measurement) and for the host (a fast bit-exactness check). Inline assembly
// where gcc 12 does not produce the instruction by itself (SMMLAR, SXTAB16 with ROR #8, LDRD, SSAT with a
// shift); ACLE-style builtins where it does (SMLAD and friends schedule better as builtins).

// A kernel uses only some of the helpers: TFK_INLINE marks them `unused`, since clang's -Wunused-function,
// unlike gcc's, also reports an unused static inline function defined in the main file (the prelude is
// pasted into the model's .c); the attribute changes no code.
export const SIMD_PRELUDE_GUARD = 'TF_SIMD_PRELUDE';

export const SIMD_PRELUDE = String.raw`#ifndef TF_SIMD_PRELUDE
#define TF_SIMD_PRELUDE
#include <stdint.h>
#include <string.h>
#define TFK_INLINE static inline __attribute__((always_inline, unused))
/* Hide a const table's address from the optimiser: otherwise gcc constant-propagates the table and
   loads every weight word from a literal pool. */
TFK_INLINE const void *tfk_hide(const void *p) { __asm__("" : "+r"(p)); return p; }
#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
#define tfk_smlad(x, y, a) __smlad((x), (y), (a))
#define tfk_smlabb(x, y, a) __smlabb((x), (y), (a))
#define tfk_smlabt(x, y, a) __smlabt((x), (y), (a))
#define tfk_smlatb(x, y, a) __smlatb((x), (y), (a))
#define tfk_smlatt(x, y, a) __smlatt((x), (y), (a))
#define tfk_usada8(x, y, a) __usada8((x), (y), (a))
#define tfk_smladx(x, y, a) __smladx((x), (y), (a))
TFK_INLINE int32_t tfk_smmlar(int32_t a, int32_t b, int32_t c) { int32_t r; __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(c)); return r; }
TFK_INLINE uint32_t tfk_sxtab16(uint32_t a, uint32_t x) { uint32_t r; __asm__("sxtab16 %0, %1, %2" : "=r"(r) : "r"(a), "r"(x)); return r; }
TFK_INLINE uint32_t tfk_sxtab16_ror8(uint32_t a, uint32_t x) { uint32_t r; __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(x)); return r; }
TFK_INLINE uint32_t tfk_sxtb16(uint32_t x) { uint32_t r; __asm__("sxtb16 %0, %1" : "=r"(r) : "r"(x)); return r; }
TFK_INLINE uint32_t tfk_sxtb16_ror8(uint32_t x) { uint32_t r; __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x)); return r; }
TFK_INLINE uint32_t tfk_pkhbt(uint32_t a, uint32_t b) { uint32_t r; __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b)); return r; }
TFK_INLINE uint32_t tfk_pkhtb(uint32_t a, uint32_t b) { uint32_t r; __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(a), "r"(b)); return r; }
#define TFK_SSAT_ASR(r, x, e) __asm__("ssat %0, #8, %1, asr #" #e : "=r"(r) : "r"(x))
#define TFK_SSAT0(r, x) __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(x))
/* LDRD through inline asm (gcc forms it unreliably); volatile keeps the written consumption order. */
#define TFK_LDRD(a, b, p, off) __asm__ volatile("ldrd %0, %1, [%2, #" #off "]" : "=r"(a), "=r"(b) : "r"(p))
#define TFK_LDRD_POST(a, b, p) __asm__ volatile("ldrd %0, %1, [%2], #8" : "=r"(a), "=r"(b), "+r"(p))
#define TFK_LDR_POST(a, p, n) __asm__ volatile("ldr %0, [%1], #" #n : "=r"(a), "+r"(p))
#define TFK_STRD_POST(a, b, p) __asm__ volatile("strd %1, %2, [%0], #8" : "+r"(p) : "r"(a), "r"(b) : "memory")
#define TFK_LDRD_POST12(a, b, p) __asm__ volatile("ldrd %0, %1, [%2], #12" : "=r"(a), "=r"(b), "+r"(p))
#define TFK_LDR_OFF(a, p, off) __asm__ volatile("ldr %0, [%1, #" #off "]" : "=r"(a) : "r"(p))
#define tfk_usad8(x, y) __usad8((x), (y))
#else
TFK_INLINE int32_t tfk_lo(int32_t x) { return (int16_t)(x & 0xffff); }
TFK_INLINE int32_t tfk_hi(int32_t x) { return (int16_t)((uint32_t)x >> 16); }
TFK_INLINE int32_t tfk_add3(int32_t a, int32_t p, int32_t q) { return (int32_t)((uint32_t)a + (uint32_t)p + (uint32_t)q); }
#define tfk_smlad(x, y, a) tfk_add3((a), tfk_lo(x) * tfk_lo(y), tfk_hi(x) * tfk_hi(y))
#define tfk_smlabb(x, y, a) tfk_add3((a), tfk_lo(x) * tfk_lo(y), 0)
#define tfk_smlabt(x, y, a) tfk_add3((a), tfk_lo(x) * tfk_hi(y), 0)
#define tfk_smlatb(x, y, a) tfk_add3((a), tfk_hi(x) * tfk_lo(y), 0)
#define tfk_smlatt(x, y, a) tfk_add3((a), tfk_hi(x) * tfk_hi(y), 0)
#define tfk_smladx(x, y, a) tfk_add3((a), tfk_lo(x) * tfk_hi(y), tfk_hi(x) * tfk_lo(y))
TFK_INLINE int32_t tfk_usada8(uint32_t x, uint32_t y, int32_t a) {
  uint32_t s = (uint32_t)a;
  for (int i = 0; i < 32; i += 8) { int d = (int)((x >> i) & 0xff) - (int)((y >> i) & 0xff); s += (uint32_t)(d < 0 ? -d : d); }
  return (int32_t)s; }
TFK_INLINE int32_t tfk_smmlar(int32_t a, int32_t b, int32_t c) {
  int64_t t = (int64_t)a * b + (int64_t)((uint64_t)(uint32_t)c << 32) + 0x80000000LL; return (int32_t)(t >> 32); }
TFK_INLINE uint32_t tfk_sxtab16(uint32_t a, uint32_t x) {
  uint32_t lo = (uint32_t)(a + (uint32_t)(int8_t)(x & 0xff)) & 0xffff;
  uint32_t hi = (uint32_t)((a >> 16) + (uint32_t)(int8_t)((x >> 16) & 0xff)) & 0xffff;
  return lo | hi << 16; }
TFK_INLINE uint32_t tfk_sxtab16_ror8(uint32_t a, uint32_t x) { return tfk_sxtab16(a, x >> 8 | x << 24); }
TFK_INLINE uint32_t tfk_sxtb16(uint32_t x) { return tfk_sxtab16(0, x); }
TFK_INLINE uint32_t tfk_sxtb16_ror8(uint32_t x) { return tfk_sxtab16(0, x >> 8 | x << 24); }
TFK_INLINE uint32_t tfk_pkhbt(uint32_t a, uint32_t b) { return (a & 0xffff) | b << 16; }
TFK_INLINE uint32_t tfk_pkhtb(uint32_t a, uint32_t b) { return (a & 0xffff0000u) | ((uint32_t)((int32_t)b >> 16) & 0xffff); }
TFK_INLINE int32_t tfk_sat8(int32_t x) { return x < -128 ? -128 : x > 127 ? 127 : x; }
#define TFK_SSAT_ASR(r, x, e) ((r) = tfk_sat8((x) >> (e)))
#define TFK_SSAT0(r, x) ((r) = tfk_sat8(x))
#define TFK_LDRD(a, b, p, off) do { memcpy(&(a), (const char *)(p) + (off), 4); memcpy(&(b), (const char *)(p) + (off) + 4, 4); } while (0)
#define TFK_LDRD_POST(a, b, p) do { memcpy(&(a), (p), 4); memcpy(&(b), (const char *)(p) + 4, 4); (p) = (const void *)((const char *)(p) + 8); } while (0)
#define TFK_LDR_POST(a, p, n) do { memcpy(&(a), (p), 4); (p) = (const void *)((const char *)(p) + (n)); } while (0)
#define TFK_STRD_POST(a, b, p) do { memcpy((p), &(a), 4); memcpy((char *)(p) + 4, &(b), 4); (p) = (void *)((char *)(p) + 8); } while (0)
#define TFK_LDRD_POST12(a, b, p) do { memcpy(&(a), (p), 4); memcpy(&(b), (const char *)(p) + 4, 4); (p) = (const void *)((const char *)(p) + 12); } while (0)
#define TFK_LDR_OFF(a, p, off) memcpy(&(a), (const char *)(p) + (off), 4)
#define tfk_usad8(x, y) tfk_usada8((x), (y), 0)
#endif
TFK_INLINE int32_t tfk_ld32(const void *p) { int32_t v; memcpy(&v, p, 4); return v; }
TFK_INLINE void tfk_st32(void *p, uint32_t v) { memcpy(p, &v, 4); }
#endif
`;
