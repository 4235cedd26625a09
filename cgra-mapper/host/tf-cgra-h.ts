// tf_cgra.h, the launch layer of the emitted host program. Two builds:
//  - HEEPsilon (TF_CGRA_HEEPSILON defined): the CGRA's context memory and peripheral registers at the
//    addresses HEEPsilon's headers give (TF_CGRA_CMEM_BASE, TF_CGRA_PERIPH_BASE), register map as in
//    ../shared/docs/openedgecgra.md section 6: pointers at 0x08 + 8k / 0x0C + 8k, KERNEL_ID at 0x04, the
//    kernel running while KERNEL_ID reads non-zero;
//  - co-simulation (default): the same register writes to a register file in RAM, then a call to
//    tf_cgra_service(), which the co-simulation's replay file defines: it checks a hash of the layer's array
//    memory against the simulator's and writes back what the simulator's launch wrote. Markers 9/10 bracket
//    the service so the host's own count excludes it.
// Launches are split into start and wait, so the host post-processes launch l while the array runs l + 1; a
// start is itself split into tf_cgra_prime (the column pointers) and tf_cgra_go (KERNEL_ID), so the next
// launch's pointers are written while the array runs and only the KERNEL_ID write follows the wait. The RTL
// loads the pointers into the columns when a kernel starts (openedgecgra.md sections 5 and 6: write the
// pointers, wait until KERNEL_ID reads 0, write KERNEL_ID).
export const TF_CGRA_H = `/* tf_cgra.h: OpenEdgeCGRA launch layer of a tinyforge host program (generated). */
#ifndef TF_CGRA_H
#define TF_CGRA_H
#include <stdint.h>
#include <string.h>

#ifndef TF_CGRA_ROWS
#define TF_CGRA_ROWS 4
#endif
#ifndef TF_CGRA_COLS
#define TF_CGRA_COLS 4
#endif
#define TF_CGRA_LINES 128
#define TF_CGRA_IMEM_WORDS (TF_CGRA_ROWS * TF_CGRA_LINES)
#define TF_CGRA_KMEM_WORDS 16
#if defined(__GNUC__)
#define TF_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define TF_LIKELY(x) __builtin_expect(!!(x), 1)
#define TF_MAYBE_UNUSED __attribute__((unused))
/* Keeps a store on its own (cold) path: GCC otherwise merges the stores of an if/else into one after it. */
#define TF_KEEP_STORE() __asm__ volatile("" ::: "memory")
#else
#define TF_UNLIKELY(x) (x)
#define TF_LIKELY(x) (x)
#define TF_MAYBE_UNUSED
#define TF_KEEP_STORE()
#endif

/* Copies n words into the context memory: 8 loads, then 8 stores per step (no load-use stall, the volatile
 * stores addressed by offsets from one pointer). */
static inline void tf_cgra_copy(volatile uint32_t *d, const uint32_t *s, int n)
{
  for (; n >= 8; n -= 8, s += 8, d += 8) {
    const uint32_t a0 = s[0], a1 = s[1], a2 = s[2], a3 = s[3], a4 = s[4], a5 = s[5], a6 = s[6], a7 = s[7];
    d[0] = a0; d[1] = a1; d[2] = a2; d[3] = a3; d[4] = a4; d[5] = a5; d[6] = a6; d[7] = a7;
  }
  for (; n > 0; n--) *d++ = *s++;
}

#if defined(TF_CGRA_HEEPSILON)
/* Set these from HEEPsilon's core_v_mini_mcu.h / heepsilon.h (the CGRA's context memory and peripheral). */
#ifndef TF_CGRA_CMEM_BASE
#error "define TF_CGRA_CMEM_BASE (CGRA context memory base address)"
#endif
#ifndef TF_CGRA_PERIPH_BASE
#error "define TF_CGRA_PERIPH_BASE (CGRA peripheral registers base address)"
#endif
#define TF_CGRA_REG(off) (*(volatile uint32_t *)((uintptr_t)TF_CGRA_PERIPH_BASE + (off)))
/* Loads the first LINES lines of every row bank (the layer's kernels) and the kernel table. */
static inline void tf_cgra_load(const uint32_t *imem, const uint32_t *kmem, int lines)
{
  volatile uint32_t *c = (volatile uint32_t *)(uintptr_t)TF_CGRA_CMEM_BASE;
  for (int r = 0; r < TF_CGRA_ROWS; r++) tf_cgra_copy(c + r * TF_CGRA_LINES, imem + r * TF_CGRA_LINES, lines);
  tf_cgra_copy(c + TF_CGRA_IMEM_WORDS, kmem, TF_CGRA_KMEM_WORDS);
}
/* Writes a launch's column pointers (the running kernel, if any, read its own when it started). */
static inline void tf_cgra_prime(uint32_t *mem, const uint32_t *d)
{
  for (int c = 0; c < TF_CGRA_COLS; c++) {
    TF_CGRA_REG(0x08 + 8 * c) = (uint32_t)(uintptr_t)mem + d[1 + c];
    TF_CGRA_REG(0x0C + 8 * c) = (uint32_t)(uintptr_t)mem + d[1 + TF_CGRA_COLS + c];
  }
}
/* Starts the primed launch (the array must be idle: tf_cgra_wait() first). */
static inline void tf_cgra_go(int layer, int l, uint32_t *mem, uint32_t words, const uint32_t *d)
{
  (void)layer; (void)l; (void)mem; (void)words;
  TF_CGRA_REG(0x04) = d[0];
}
/* Primes and starts a launch at once (the array must be idle). */
static inline void tf_cgra_start(int layer, int l, uint32_t *mem, uint32_t words, const uint32_t *d)
{
  (void)layer; (void)l; (void)words;
  for (int c = 0; c < TF_CGRA_COLS; c++) {
    TF_CGRA_REG(0x08 + 8 * c) = (uint32_t)(uintptr_t)mem + d[1 + c];
    TF_CGRA_REG(0x0C + 8 * c) = (uint32_t)(uintptr_t)mem + d[1 + TF_CGRA_COLS + c];
  }
  TF_CGRA_REG(0x04) = d[0];
}
/* Waits for the running launch to end (KERNEL_ID back to 0). */
static inline void tf_cgra_wait(void) { while (TF_CGRA_REG(0x04) != 0) { } }
#else
/* Co-simulation: the register file lives in RAM; tf_cgra_service() stands for the array's run. */
typedef struct { volatile uint32_t kernel_id; volatile uint32_t ptr[2 * TF_CGRA_COLS]; volatile uint32_t cmem[TF_CGRA_IMEM_WORDS + TF_CGRA_KMEM_WORDS]; } tf_cgra_regs_t;
extern tf_cgra_regs_t tf_cgra_regs;
void tf_cgra_service(int layer, int launch, uint32_t *mem, uint32_t words);
static inline void tf_cgra_load(const uint32_t *imem, const uint32_t *kmem, int lines)
{
  for (int r = 0; r < TF_CGRA_ROWS; r++) tf_cgra_copy(tf_cgra_regs.cmem + r * TF_CGRA_LINES, imem + r * TF_CGRA_LINES, lines);
  tf_cgra_copy(tf_cgra_regs.cmem + TF_CGRA_IMEM_WORDS, kmem, TF_CGRA_KMEM_WORDS);
}
static inline void tf_cgra_prime(uint32_t *mem, const uint32_t *d)
{
  for (int c = 0; c < TF_CGRA_COLS; c++) {
    tf_cgra_regs.ptr[2 * c] = (uint32_t)(uintptr_t)mem + d[1 + c];
    tf_cgra_regs.ptr[2 * c + 1] = (uint32_t)(uintptr_t)mem + d[1 + TF_CGRA_COLS + c];
  }
}
static inline void tf_cgra_start(int layer, int l, uint32_t *mem, uint32_t words, const uint32_t *d)
{
  for (int c = 0; c < TF_CGRA_COLS; c++) {
    tf_cgra_regs.ptr[2 * c] = (uint32_t)(uintptr_t)mem + d[1 + c];
    tf_cgra_regs.ptr[2 * c + 1] = (uint32_t)(uintptr_t)mem + d[1 + TF_CGRA_COLS + c];
  }
  tf_cgra_regs.kernel_id = d[0];
  TF_MARK(9);
  tf_cgra_service(layer, l, mem, words);
  TF_MARK(10);
}
static inline void tf_cgra_go(int layer, int l, uint32_t *mem, uint32_t words, const uint32_t *d)
{
  tf_cgra_regs.kernel_id = d[0];
  TF_MARK(9);
  tf_cgra_service(layer, l, mem, words);
  TF_MARK(10);
}
static inline void tf_cgra_wait(void) { while (tf_cgra_regs.kernel_id != 0) { } }
#endif
#endif
`;
