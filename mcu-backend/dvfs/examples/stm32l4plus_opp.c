/* Example implementation of the DVFS hook for STM32L4+ (e.g. STM32L4R5), written against RM0432's
 * register descriptions (RCC, PWR, FLASH). It cannot run on QEMU's boards (no such peripherals there);
 * the tests only compile it with arm-none-eabi-gcc. Sequence (RM0432 / HAL rules):
 *   raising the clock:  range up first (wait VOSF), then wait states up, then the clock;
 *   lowering the clock: clock first, then wait states down, then range down.
 * The PLL is reprogrammed only when its output changes; a prescaler-only change is one register write.
 * Assumes the PLL runs from HSI16 and SYSCLK is briefly switched to HSI16 while the PLL relocks. */
#include "tinyforge_opp.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC_CR       REG(0x40021000u)
#define RCC_CFGR     REG(0x40021008u)
#define RCC_PLLCFGR  REG(0x4002100Cu)
#define PWR_CR1      REG(0x40007000u)
#define PWR_SR2      REG(0x40007014u)
#define PWR_CR5      REG(0x40007080u)
#define FLASH_ACR    REG(0x40022000u)

#define RCC_CR_HSION   (1u << 8)
#define RCC_CR_HSIRDY  (1u << 10)
#define RCC_CR_PLLON   (1u << 24)
#define RCC_CR_PLLRDY  (1u << 25)
#define CFGR_SW_MASK   0x3u
#define CFGR_SW_HSI16  0x1u
#define CFGR_SW_PLL    0x3u
#define CFGR_SWS_SHIFT 2
#define CFGR_HPRE_SHIFT 4
#define PLLCFGR_PLLSRC_HSI16 0x2u
#define PLLCFGR_PLLREN (1u << 24)
#define PWR_CR1_VOS_SHIFT 9
#define PWR_SR2_VOSF   (1u << 10)
#define PWR_CR5_R1MODE (1u << 8)

/* Ranges in tinyforge's table for this part: 0 = Range 2, 1 = Range 1 normal, 2 = Range 1 boost. */
static void set_range(uint8_t range) {
  uint32_t cr1 = PWR_CR1 & ~(0x3u << PWR_CR1_VOS_SHIFT);
  PWR_CR1 = cr1 | ((range == 0 ? 0x2u : 0x1u) << PWR_CR1_VOS_SHIFT);
  if (range == 2) PWR_CR5 &= ~PWR_CR5_R1MODE; else PWR_CR5 |= PWR_CR5_R1MODE;
  while (PWR_SR2 & PWR_SR2_VOSF) { }
}

static uint32_t hpre_bits(uint8_t div) { return div == 1 ? 0x0u : div == 2 ? 0x8u : div == 4 ? 0x9u : 0xAu; }

static void set_wait_states(uint8_t ws) {
  FLASH_ACR = (FLASH_ACR & ~0xFu) | ws;
  while ((FLASH_ACR & 0xFu) != ws) { }
}

static tinyforge_opp_t current;

void tinyforge_apply_operating_point(const tinyforge_opp_t *p) {
  int faster = p->cpu_hz > current.cpu_hz;
  int pll_change = p->pll_n != current.pll_n || p->pll_m != current.pll_m || p->pll_r != current.pll_r;
  if (p->range > current.range) set_range(p->range); /* voltage up first, whatever the clock does */
  if (faster || p->flash_ws > current.flash_ws) set_wait_states(p->flash_ws > current.flash_ws ? p->flash_ws : current.flash_ws);
  if (pll_change) {
    RCC_CR |= RCC_CR_HSION;
    while (!(RCC_CR & RCC_CR_HSIRDY)) { }
    RCC_CFGR = (RCC_CFGR & ~CFGR_SW_MASK) | CFGR_SW_HSI16;
    while (((RCC_CFGR >> CFGR_SWS_SHIFT) & 0x3u) != CFGR_SW_HSI16) { }
    RCC_CR &= ~RCC_CR_PLLON;
    while (RCC_CR & RCC_CR_PLLRDY) { }
    /* PLLM bits 7:4 (M-1), PLLN bits 14:8, PLLR bits 26:25 (R/2 - 1), source HSI16, R output enabled. */
    RCC_PLLCFGR = PLLCFGR_PLLSRC_HSI16 | ((uint32_t)(p->pll_m - 1u) << 4) | ((uint32_t)p->pll_n << 8) |
                  ((uint32_t)(p->pll_r / 2u - 1u) << 25) | PLLCFGR_PLLREN;
    RCC_CR |= RCC_CR_PLLON;
    while (!(RCC_CR & RCC_CR_PLLRDY)) { }
  }
  RCC_CFGR = (RCC_CFGR & ~(0xFu << CFGR_HPRE_SHIFT)) | (hpre_bits(p->prescaler) << CFGR_HPRE_SHIFT);
  if (pll_change) {
    RCC_CFGR = (RCC_CFGR & ~CFGR_SW_MASK) | CFGR_SW_PLL;
    while (((RCC_CFGR >> CFGR_SWS_SHIFT) & 0x3u) != CFGR_SW_PLL) { }
  }
  if (p->flash_ws < current.flash_ws || !faster) set_wait_states(p->flash_ws);
  if (p->range < current.range) set_range(p->range); /* voltage down last */
  current = *p;
}
