/* Example implementation of the DVFS hook for STM32H743, written against RM0433's register descriptions
 * (RCC, PWR, FLASH, SYSCFG). It cannot run on QEMU's boards; the tests only compile it with
 * arm-none-eabi-gcc. Rules (RM0433): when increasing performance change VOS before the frequency; when
 * decreasing, lower the frequency first. VOS0 = VOS1 plus SYSCFG over-drive (ODEN). The CPU prescaler is
 * D1CPRE; HPRE (bus_div) keeps the AXI/flash clock within the VOS limit (100/150/200/240 MHz). PLL1 runs from HSI (64 MHz); SYSCLK switches to HSI
 * while PLL1 relocks. */
#include "tinyforge_opp.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define RCC_CR        REG(0x58024400u)
#define RCC_CFGR      REG(0x58024410u)
#define RCC_D1CFGR    REG(0x58024418u)
#define RCC_PLLCKSELR REG(0x58024428u)
#define RCC_PLL1DIVR  REG(0x58024430u)
#define PWR_D3CR      REG(0x58024818u)
#define SYSCFG_PWRCR  REG(0x5800042Cu)
#define FLASH_ACR     REG(0x52002000u)

#define RCC_CR_HSIRDY  (1u << 2)
#define RCC_CR_PLL1ON  (1u << 24)
#define RCC_CR_PLL1RDY (1u << 25)
#define D3CR_VOSRDY    (1u << 13)

/* Ranges in tinyforge's table for this part: 0 = VOS3, 1 = VOS2, 2 = VOS1, 3 = VOS0. */
static void set_range(uint8_t range) {
  static const uint32_t vos_bits[4] = { 0x1u, 0x2u, 0x3u, 0x3u };
  if (range < 3) SYSCFG_PWRCR &= ~1u;
  PWR_D3CR = (PWR_D3CR & ~(0x3u << 14)) | (vos_bits[range] << 14);
  while (!(PWR_D3CR & D3CR_VOSRDY)) { }
  if (range == 3) {
    SYSCFG_PWRCR |= 1u;
    while (!(PWR_D3CR & D3CR_VOSRDY)) { }
  }
}

static uint32_t presc_bits(uint8_t div) { return div == 1 ? 0x0u : div == 2 ? 0x8u : div == 4 ? 0x9u : 0xAu; }

static void set_wait_states(uint8_t ws, uint32_t axi_hz) {
  uint32_t wrhighfreq = axi_hz > 185000000u ? 2u : 1u;
  FLASH_ACR = (FLASH_ACR & ~0x3Fu) | ws | (wrhighfreq << 4);
  while ((FLASH_ACR & 0xFu) != ws) { }
}

static tinyforge_opp_t current;

void tinyforge_apply_operating_point(const tinyforge_opp_t *p) {
  int pll_change = p->pll_n != current.pll_n || p->pll_m != current.pll_m || p->pll_r != current.pll_r;
  uint32_t axi_hz = p->cpu_hz / p->bus_div;
  if (p->range > current.range) set_range(p->range); /* voltage up first, whatever the clock does */
  if (p->flash_ws > current.flash_ws) set_wait_states(p->flash_ws, axi_hz);
  if (pll_change) {
    RCC_CFGR &= ~0x7u; /* SW = HSI */
    while (((RCC_CFGR >> 3) & 0x7u) != 0u) { }
    RCC_CR &= ~RCC_CR_PLL1ON;
    while (RCC_CR & RCC_CR_PLL1RDY) { }
    RCC_PLLCKSELR = (RCC_PLLCKSELR & ~((0x3Fu << 4) | 0x3u)) | ((uint32_t)p->pll_m << 4); /* PLLSRC = HSI */
    RCC_PLL1DIVR = (uint32_t)(p->pll_n - 1u) | ((uint32_t)(p->pll_r - 1u) << 9); /* DIVN1, DIVP1 */
    RCC_CR |= RCC_CR_PLL1ON;
    while (!(RCC_CR & RCC_CR_PLL1RDY)) { }
  }
  RCC_D1CFGR = (RCC_D1CFGR & ~((0xFu << 8) | 0xFu)) | (presc_bits(p->prescaler) << 8) | presc_bits(p->bus_div); /* D1CPRE, HPRE */
  if (pll_change) {
    RCC_CFGR = (RCC_CFGR & ~0x7u) | 0x3u; /* SW = PLL1 */
    while (((RCC_CFGR >> 3) & 0x7u) != 0x3u) { }
  }
  if (p->flash_ws < current.flash_ws) set_wait_states(p->flash_ws, axi_hz);
  if (p->range < current.range) set_range(p->range); /* voltage down last */
  current = *p;
}
