/* tinyforge DVFS operating-point record, shared by the emitted plan (<name>_dvfs.c) and the
 * application's implementation of <name>_set_operating_point(). One record per operating point. */
#ifndef TINYFORGE_OPP_H
#define TINYFORGE_OPP_H
#include <stdint.h>

typedef struct {
  uint8_t range;      /* voltage range index in the part's table (0 = lowest voltage) */
  uint8_t prescaler;  /* CPU clock divider after the PLL: 1, 2, 4 (L4+: HPRE; H7: D1CPRE) */
  uint8_t flash_ws;   /* flash wait states required at this clock and range */
  uint8_t pll_r;      /* PLL output divider to program (part-specific meaning, see the example) */
  uint16_t pll_n;     /* PLL multiplier (VCO = input / M * N) */
  uint16_t pll_m;     /* PLL input divider */
  uint32_t cpu_hz;    /* resulting CPU clock */
  uint8_t bus_div;    /* bus (AHB/AXI, flash) clock = cpu_hz / bus_div (H7: HPRE; 1 elsewhere) */
} tinyforge_opp_t;

#endif
