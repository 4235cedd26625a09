/* Minimal RV32 startup for QEMU's riscv32 `virt` board (machine mode, -bios none): the entry at the start of
 * DRAM sets gp and sp and a trap vector, then .data is copied, .bss zeroed and main() called; main's return
 * value and every trap end the program through semihosting SYS_EXIT_EXTENDED, so QEMU's exit status is the
 * guest's status (traps: 200 + mcause, e.g. illegal instruction 202, load access fault 205). Also defines
 * tf_semihost_call (semihost.h): the RISC-V semihosting sequence must be three uncompressed instructions
 * in one page, so it is its own 16-byte aligned function written with the compressed extension off. */
#include <stdint.h>
#include "semihost.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
int main(void);
void tf_start_c(void);
void tf_trap_c(void);

__asm__(
  ".section .tf_entry, \"ax\"\n"
  ".globl tf_reset_handler\n"
  "tf_reset_handler:\n"
  ".option push\n"
  ".option norelax\n"
  "  la gp, __global_pointer$\n"
  ".option pop\n"
  "  la sp, __stack_top\n"
  "  la t0, tf_trap_entry\n"
  ".option push\n"
  ".option arch, +zicsr\n"
  "  csrw mtvec, t0\n"
  ".option pop\n"
  "  j tf_start_c\n"
  ".balign 4\n"
  "tf_trap_entry:\n"
  "  la sp, __stack_top\n"
  "  j tf_trap_c\n"
  ".section .text.tf_semihost_call, \"ax\"\n"
  ".balign 16\n"
  ".globl tf_semihost_call\n"
  "tf_semihost_call:\n"
  ".option push\n"
  ".option norvc\n"
  "  slli x0, x0, 0x1f\n"
  "  ebreak\n"
  "  srai x0, x0, 7\n"
  "  ret\n"
  ".option pop\n"
  ".text\n");

__attribute__((noreturn)) void tf_trap_c(void)
{
  uint32_t cause;
  __asm volatile(".option push\n.option arch, +zicsr\ncsrr %0, mcause\n.option pop" : "=r"(cause));
  tf_semihost_exit((int)(200u + (cause & 0x3fu)));
}

__attribute__((noreturn)) void tf_start_c(void)
{
  for (uint32_t *s = __data_load, *d = __data_start; d < __data_end;) *d++ = *s++;
  for (uint32_t *d = __bss_start; d < __bss_end;) *d++ = 0;
  tf_semihost_exit(main());
}
