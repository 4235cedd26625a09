// STM32 parts as data for the DVFS planner: voltage ranges, the clocks reachable in each (a PLL output
// divided by the AHB prescaler), flash wait states, a run-current model I = I0[range] + k[range] * f,
// stop-mode current and the costs of switching. Every number comes from ../shared/docs/stm32-power.md
// and carries its status there: V = read in a primary source, P = a proxy part, D = derived, A = an
// assumption of ours where no source was found. Energy computed from this table is a MODEL, not a
// measurement.

export type Provenance = 'V' | 'P' | 'D' | 'A';

export interface VoltageRange {
  name: string;
  /** Core voltage (informational; the current model already includes its effect). */
  vcore: number;
  /** Highest CPU clock in this range, MHz. */
  fMaxMHz: number;
  /** Run current model: I0 (mA) + k (mA per MHz) * f, at the part's VDD. */
  i0mA: number;
  kmAPerMHz: number;
  /** Flash wait-state thresholds: WS = number of entries of `wsLimitsMHz` strictly below the flash clock. */
  wsLimitsMHz: number[];
  /** Highest bus (AHB/AXI) clock in this range when it is below the CPU's (H7: half of fMaxMHz); the flash
   *  runs at the CPU clock divided by the smallest power of two that respects it. Absent = flash at CPU clock. */
  busMaxMHz?: number;
  source: Provenance;
}

export interface PartSpec {
  name: string;
  core: 'cortex-m4' | 'cortex-m7';
  vddV: number;
  ranges: VoltageRange[];
  /** PLL output frequencies offered per range (MHz; our choice [A], each the range's maximum and one lower
   *  setting reachable from HSI); each can be divided by the CPU clock prescaler. */
  pllMHz: Record<string, number[]>;
  /** AHB prescaler divisors offered (1 = none). */
  hpre: number[];
  /** Bytes fetched per flash access (line width). */
  flashLineBytes: number;
  /** Frequency-independent run power of the board outside the MCU core model, mW (absent in stop mode). */
  boardRunMw: number;
  /** Stop-mode current, mA, and wake-up time, µs. */
  stopmA: number;
  wakeUs: number;
  /** Switching costs, µs (the clock is stalled or runs from HSI meanwhile). */
  pllRelockUs: number;
  rangeChangeUs: number;
  /** Prescaler-only or clock-mux-only switch. */
  prescalerUs: number;
  notes: string[];
}

/** Flash wait states for a flash clock f under a range. */
export function waitStates(range: VoltageRange, flashMHz: number): number {
  let ws = 0;
  for (const lim of range.wsLimitsMHz) if (flashMHz > lim) ws++;
  return ws;
}

/** Thresholds given as "WS n below f" (H7): a clock equal to f needs WS n+1. */
const lt = (limits: number[]) => limits.map((l) => l - 0.001);

/** Flash clock of a CPU clock under a range: divided by the smallest power of two that respects busMaxMHz. */
export function flashClockMHz(range: VoltageRange, fMHz: number): number {
  let f = fMHz;
  while (range.busMaxMHz !== undefined && f > range.busMaxMHz) f /= 2;
  return f;
}

const stm32l4r5: PartSpec = {
  name: 'stm32l4r5',
  core: 'cortex-m4',
  vddV: 1.8,
  ranges: [
    // Range 2 (1.0 V, <= 26 MHz): G474 proxy fit 0.2 mA + 132 uA/MHz [P]; WS 0 <= 8, 1 <= 16, 2 <= 26 [V].
    { name: 'range2', vcore: 1.0, fMaxMHz: 26, i0mA: 0.2, kmAPerMHz: 0.132, wsLimitsMHz: [8, 16], source: 'P' },
    // Range 1 normal (1.2 V, <= 80 MHz): G474 proxy 0.2 mA + 162 uA/MHz [P]; WS per 20 MHz [V].
    { name: 'range1', vcore: 1.2, fMaxMHz: 80, i0mA: 0.2, kmAPerMHz: 0.162, wsLimitsMHz: [20, 40, 60], source: 'P' },
    // Range 1 boost (<= 120 MHz): G474 boost 29.5 mA at 170 MHz -> 0.2 + 172 uA/MHz [P][D].
    { name: 'range1-boost', vcore: 1.2, fMaxMHz: 120, i0mA: 0.2, kmAPerMHz: 0.172, wsLimitsMHz: [20, 40, 60, 80, 100], source: 'D' },
  ],
  pllMHz: { range2: [26, 16], range1: [80, 64], 'range1-boost': [120, 100] },
  hpre: [1, 2, 4],
  flashLineBytes: 8,
  // MLPerf Tiny: NUCLEO-L4R5ZI at 120 MHz, 1.8 V draws ~25 mA (45 mW) [V]; the core model gives 20.8 mA,
  // leaving ~4.2 mA x 1.8 V = 7.5 mW of frequency-independent board run power [D].
  boardRunMw: 7.5,
  stopmA: 0.0046, // Stop 1 ~4.6 uA [S]
  wakeUs: 6, // [A] G4-class wake-up; not found for L4R5
  pllRelockUs: 40, // G474 proxy tLOCK max [P]
  rangeChangeUs: 40, // G474 tVOST max; HAL waits up to 50 us for VOSF [P]
  prescalerUs: 1, // [A] no datasheet figure
  notes: ['Run-current fits are G474 proxies (no L4R5 table in the sources); board power calibrated on MLPerf Tiny.'],
};

const stm32h743: PartSpec = {
  name: 'stm32h743',
  core: 'cortex-m7',
  vddV: 3.3,
  // ITCM run-current fits, DS12110 rev V Table 129 [D]; flash WS vs AXI clock, RM0433 Table 17 [V]
  // (the table says "<": a limit equal to the clock already needs the next WS, hence the -0.001);
  // AXI/AHB maximum per VOS 100/150/200/240 MHz, DS12110 Table 122 [V].
  ranges: [
    { name: 'vos3', vcore: 1.0, fMaxMHz: 200, busMaxMHz: 100, i0mA: 5.4, kmAPerMHz: 0.207, wsLimitsMHz: lt([45, 90, 135, 180]), source: 'D' },
    { name: 'vos2', vcore: 1.1, fMaxMHz: 300, busMaxMHz: 150, i0mA: 6.1, kmAPerMHz: 0.233, wsLimitsMHz: lt([55, 110, 165]), source: 'D' },
    { name: 'vos1', vcore: 1.2, fMaxMHz: 400, busMaxMHz: 200, i0mA: 6.0, kmAPerMHz: 0.260, wsLimitsMHz: lt([70, 140, 210]), source: 'D' },
    { name: 'vos0', vcore: 1.35, fMaxMHz: 480, busMaxMHz: 240, i0mA: 10.0, kmAPerMHz: 0.288, wsLimitsMHz: lt([70, 140, 210, 225]), source: 'D' },
  ],
  pllMHz: { vos3: [200, 160], vos2: [300, 240], vos1: [400, 320], vos0: [480] },
  hpre: [1, 2, 4],
  flashLineBytes: 32, // 256-bit flash word [A]
  boardRunMw: 0, // no board-level figure for an H743 board in the sources [A]
  stopmA: 1.27, // all-domain Stop, SVOS5, flash off [V]
  wakeUs: 4.4, // [V]
  pllRelockUs: 150, // max [V]
  rangeChangeUs: 100, // VOS settle time unspecified [A]
  prescalerUs: 1, // [A]
  notes: ['Board run power unknown (0 mW assumed); VOS settle time assumed 100 us; AXI (flash) clock at most half the CPU clock limit of each VOS, so VOS3 200 MHz reads flash at 100 MHz (2 WS).'],
};

const stm32f401: PartSpec = {
  name: 'stm32f401',
  core: 'cortex-m4',
  vddV: 3.3,
  // F411 proxy (DocID026289 Table 23) [P]: S3 fit from 20/50/64 MHz -> 1.17 mA + 86 uA/MHz [D];
  // S2 at 84 MHz 9.7 mA with the same slope -> I0 2.44 mA [D]. WS: one per 30 MHz at 3.3 V [V].
  ranges: [
    // fMax 60 MHz in Scale 3 is the unverified F401 belief of stm32-power.md section 2 [A] (F411: 64 MHz [V]).
    { name: 'scale3', vcore: 1.14, fMaxMHz: 60, i0mA: 1.17, kmAPerMHz: 0.0864, wsLimitsMHz: [30], source: 'P' },
    { name: 'scale2', vcore: 1.26, fMaxMHz: 84, i0mA: 2.44, kmAPerMHz: 0.0864, wsLimitsMHz: [30, 60], source: 'P' },
  ],
  pllMHz: { scale3: [60, 48], scale2: [84] },
  hpre: [1, 2, 4],
  flashLineBytes: 16, // 128-bit flash interface [V] (RM0383)
  boardRunMw: 11.5, // NUCLEO-F401RE floor, primitive_of_convolution measurements [D]
  stopmA: 0.043, // LP regulator [V] (F411)
  wakeUs: 21, // LP regulator [V]
  pllRelockUs: 200, // F4 75-300 us [V]
  rangeChangeUs: 0, // F4: a VOS change needs the PLL off; its cost is the relock counted above [V]
  prescalerUs: 1, // [A]
  notes: ['F411 used as proxy for F401 current (its Table 23 is at VDD 3.6 V; the LDO keeps the current about the same at 3.3 V); F401 Scale 3 <= 60 MHz is unverified.',
    'The NUCLEO-F401RE board fit (11.5 mW + 0.51-0.64 mW/MHz) has about twice the datasheet slope used here (0.29 mW/MHz): the model may underestimate the frequency-dependent power on that board.'],
};

const stm32f446: PartSpec = {
  name: 'stm32f446',
  core: 'cortex-m4',
  vddV: 3.3,
  // F429 proxy (DS9405 Table 24) [P]: S3 2.35 mA + 192 uA/MHz [D]; S2/S1/over-drive from the 144/168/180 MHz points [D].
  ranges: [
    { name: 'scale3', vcore: 1.14, fMaxMHz: 120, i0mA: 2.35, kmAPerMHz: 0.192, wsLimitsMHz: [30, 60, 90], source: 'P' },
    { name: 'scale2', vcore: 1.26, fMaxMHz: 144, i0mA: 5.35, kmAPerMHz: 0.192, wsLimitsMHz: [30, 60, 90, 120], source: 'P' },
    { name: 'scale1', vcore: 1.32, fMaxMHz: 168, i0mA: 8.7, kmAPerMHz: 0.192, wsLimitsMHz: [30, 60, 90, 120, 150], source: 'P' },
    { name: 'scale1-od', vcore: 1.32, fMaxMHz: 180, i0mA: 9.4, kmAPerMHz: 0.192, wsLimitsMHz: [30, 60, 90, 120, 150], source: 'P' },
  ],
  pllMHz: { scale3: [120, 96], scale2: [144], scale1: [168], 'scale1-od': [180] },
  hpre: [1, 2, 4],
  flashLineBytes: 16,
  boardRunMw: 11.5, // NUCLEO-class floor (F401 board) used as proxy [P]
  stopmA: 0.4, // main regulator [V] (F429)
  wakeUs: 14, // [P] F411 main regulator
  pllRelockUs: 300, // VCO 432 MHz [V]
  rangeChangeUs: 45, // over-drive / VOS set-up on top of the relock [V] (45 us, HSI)
  prescalerUs: 1,
  notes: ['F429 used as proxy for F446 (same regulator and over-drive scheme).'],
};

const stm32f746: PartSpec = {
  name: 'stm32f746',
  core: 'cortex-m7',
  vddV: 3.3,
  // F722 proxy (DocID029808 Table 26) [P]: S3 2.6 mA + 336 uA/MHz [D]; higher ranges from the 168/180/216 points [D].
  ranges: [
    { name: 'scale3', vcore: 1.14, fMaxMHz: 144, i0mA: 2.6, kmAPerMHz: 0.336, wsLimitsMHz: [30, 60, 90, 120], source: 'P' },
    { name: 'scale2', vcore: 1.26, fMaxMHz: 168, i0mA: 9.55, kmAPerMHz: 0.336, wsLimitsMHz: [30, 60, 90, 120, 150], source: 'P' },
    // Scale 1 without over-drive stops at 180 MHz (DocID029808 Table 17 [V]); I0 from the 180 MHz point [D].
    { name: 'scale1', vcore: 1.32, fMaxMHz: 180, i0mA: 13.5, kmAPerMHz: 0.336, wsLimitsMHz: [30, 60, 90, 120, 150], source: 'P' },
    // Over-drive (200 and 216 MHz): I0 from the 216 MHz point (90 mA) [D]; the 200 MHz point (84 mA) gives 16.8.
    { name: 'scale1-od', vcore: 1.32, fMaxMHz: 216, i0mA: 17.4, kmAPerMHz: 0.336, wsLimitsMHz: [30, 60, 90, 120, 150, 180, 210], source: 'P' },
  ],
  pllMHz: { scale3: [144, 96], scale2: [168], scale1: [180], 'scale1-od': [216, 200] },
  hpre: [1, 2, 4],
  flashLineBytes: 16,
  boardRunMw: 11.5, // [P]
  stopmA: 0.4, // [P] F429
  wakeUs: 14, // [P]
  pllRelockUs: 300, // [P]
  rangeChangeUs: 45, // over-drive set-up [V] (F722)
  prescalerUs: 1,
  notes: ['F722 used as proxy for F746 (same M7 core, 216 MHz, over-drive); 200 MHz needs over-drive (Scale 1 alone stops at 180 MHz).'],
};

export const PARTS: Record<string, PartSpec> = { stm32l4r5, stm32h743, stm32f401, stm32f446, stm32f746 };

export interface OperatingPoint {
  id: number;
  range: string;
  pllMHz: number;
  hpre: number;
  fMHz: number;
  waitStates: number;
  /** Run power at this point, mW (core model at VDD + board run power). */
  powerMw: number;
}

/** Every (range, PLL output, prescaler) combination the part offers, fastest first. */
export function operatingPoints(part: PartSpec): OperatingPoint[] {
  const pts: Omit<OperatingPoint, 'id'>[] = [];
  for (const r of part.ranges) {
    for (const pll of part.pllMHz[r.name] ?? []) {
      for (const h of part.hpre) {
        const f = pll / h;
        if (f > r.fMaxMHz) continue;
        pts.push({ range: r.name, pllMHz: pll, hpre: h, fMHz: f, waitStates: waitStates(r, flashClockMHz(r, f)),
          powerMw: part.vddV * (r.i0mA + r.kmAPerMHz * f) + part.boardRunMw });
      }
    }
  }
  pts.sort((a, b) => b.fMHz - a.fMHz || a.powerMw - b.powerMw);
  return pts.map((p, id) => ({ ...p, id }));
}

/** Time (µs) and energy (µJ) of switching from point a to point b. */
export function transitionCost(part: PartSpec, a: OperatingPoint, b: OperatingPoint): { us: number; uj: number } {
  if (a.id === b.id) return { us: 0, uj: 0 };
  let us = 0;
  if (a.range !== b.range) us += part.rangeChangeUs;
  if (a.range !== b.range || a.pllMHz !== b.pllMHz) us += part.pllRelockUs;
  else us += part.prescalerUs;
  // While switching, the core is stalled or clocked from HSI: charge the lower of the two points' power.
  return { us, uj: (us * Math.min(a.powerMw, b.powerMw)) / 1000 };
}
