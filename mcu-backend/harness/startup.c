/* Minimal Cortex-M startup for the QEMU mps2 boards: vector table at address 0 (QEMU's M-profile reset
 * loads SP and PC from it and ignores the ELF entry), FPU enabled in CPACR before any FP instruction,
 * .data copied from flash, .bss zeroed, then main(); main's return value and every fault end the
 * program through semihosting SYS_EXIT_EXTENDED, so QEMU's exit status is the guest's status
 * (faults: 200 + exception number, e.g. HardFault = 203, UsageFault = 206). */
#include <stdint.h>
#include "semihost.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[], __stack_top[];
int main(void);

void tf_reset_handler(void);
void tf_fault_handler(void);

void tf_fault_handler(void)
{
  uint32_t ipsr;
  __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
  tf_semihost_exit((int)(200u + (ipsr & 0x1ffu)));
}

__attribute__((section(".vectors"), used)) static void (*const tf_vectors[16])(void) = {
  (void (*)(void))(uintptr_t)__stack_top,
  tf_reset_handler,
  tf_fault_handler, /* NMI */
  tf_fault_handler, /* HardFault */
  tf_fault_handler, /* MemManage */
  tf_fault_handler, /* BusFault */
  tf_fault_handler, /* UsageFault */
  0, 0, 0, 0,
  tf_fault_handler, /* SVCall */
  tf_fault_handler, /* DebugMonitor */
  0,
  tf_fault_handler, /* PendSV */
  tf_fault_handler, /* SysTick */
};

__attribute__((noreturn)) void tf_reset_handler(void)
{
#if defined(__ARM_FP)
  /* CPACR: full access to CP10 and CP11 (the FPU), then barriers before any FP instruction. */
  *(volatile uint32_t *)0xE000ED88u |= (0xFu << 20);
  __asm volatile("dsb\n\tisb" ::: "memory");
#endif
#if !defined(__ARM_ARCH_6M__)
  /* Enable the Usage/Bus/MemManage faults so they report their own number instead of HardFault (ARMv6-M
   * has only HardFault). */
  *(volatile uint32_t *)0xE000ED24u |= (7u << 16);
#endif
  for (uint32_t *s = __data_load, *d = __data_start; d < __data_end;) *d++ = *s++;
  for (uint32_t *d = __bss_start; d < __bss_end;) *d++ = 0;
  tf_semihost_exit(main());
}
