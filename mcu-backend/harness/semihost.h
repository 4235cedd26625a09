/* Arm semihosting (bkpt 0xab, r0 = operation, r1 = argument; RISC-V: see below), the two operations the harness uses:
 * SYS_WRITE0 (0x04) prints a NUL-terminated string (QEMU: on its stderr) and SYS_EXIT_EXTENDED (0x20)
 * ends the program; QEMU's exit status is then the guest's status (plain SYS_EXIT only reports 0/1). */
#ifndef TF_SEMIHOST_H
#define TF_SEMIHOST_H
#include <stdint.h>

#if defined(__riscv)
/* RISC-V semihosting (a0 = operation, a1 = argument; the sequence slli x0, x0, 0x1f / ebreak / srai x0, x0, 7):
 * defined in startup-rv32.c, whose own section keeps the three instructions uncompressed and in one page. */
int tf_semihost_call(int op, const void *arg);
#else
static inline int tf_semihost_call(int op, const void *arg)
{
  register int r0 __asm("r0") = op;
  register const void *r1 __asm("r1") = arg;
  __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}
#endif

static inline void tf_semihost_write0(const char *s) { tf_semihost_call(0x04, s); }

__attribute__((noreturn)) static inline void tf_semihost_exit(int status)
{
  const uint32_t block[2] = { 0x20026u /* ADP_Stopped_ApplicationExit */, (uint32_t)status };
  tf_semihost_call(0x20, block);
  for (;;) {}
}
#endif
