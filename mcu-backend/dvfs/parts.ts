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
  core: 'cortex-m4' | 'cortex-m7' | 'cortex-m33';
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
  /** Clock the core wakes on out of Stop, MHz (HSI, or MSI where STOPWUCK picks it). Every PLL is off in
   *  Stop, so each period's first PLL point costs a PLL lock, run on this clock (see wakeEntryCost). */
  wakeClockMHz: number;
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
  wakeClockMHz: 16, // HSI16 with STOPWUCK set (RM0351 Stop 2 exit, L4 family) [P]
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
  wakeClockMHz: 64, // HSI (DS12110 Table 41: Stop wake-up on HSI) [V]
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
  wakeClockMHz: 16, // HSI, the F4's only Stop exit clock [P]
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
  wakeClockMHz: 16, // HSI [P] F4
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
  wakeClockMHz: 16, // HSI [P] F7 as F4
  pllRelockUs: 300, // [P]
  rangeChangeUs: 45, // over-drive set-up [V] (F722)
  prescalerUs: 1,
  notes: ['F722 used as proxy for F746 (same M7 core, 216 MHz, over-drive); 200 MHz needs over-drive (Scale 1 alone stops at 180 MHz).'],
};

/**
 * Board run-power calibration from the MLPerf Tiny v1.3 streaming wake word (sww) energy runs of ST
 * (mlcommons/tiny_results_v1.3, closed/STMicroelectronics/results/<board>[_<clock>]/sww/energy/results.txt)
 * and the same board's back-to-back run power (an energy-mode run of another benchmark) [V]. A sww run
 * streams 20 minutes of audio: average power P = d * Prun(f) + (1 - d) * Pidle(f), d = the measured duty
 * cycle. At the top clock Prun is known, so the idle power follows [D]; at the low clock only the average is
 * known, so the idle power is taken as the same fraction of the run power as at the top clock [A] (the
 * result moves little with this choice: the low-clock runs are busy 93-97 % of the time). The two run
 * powers then fix P = Pboard + s * (V / Vtop)^2 * f [D]: a frequency-independent board power and a
 * dynamic term scaled by the square of the core voltage of each range (CV^2 f) [A: the physics, not a
 * datasheet fit]. Voltages: the middle of each range's VCORE band [V where the part entry says so].
 */
export interface StreamingCalibration {
  /** Run power at the top clock, mW (energy-mode run, no idle). */
  runTopMw: number;
  topMHz: number;
  topVcore: number;
  /** sww average power and duty cycle at the top clock and at the low clock. */
  swwTop: { mw: number; duty: number };
  swwLow: { mw: number; duty: number; mhz: number; vcore: number };
}

export function calibrateRunPower(c: StreamingCalibration): { boardRunMw: number; mwPerMHzAtTop: number; idleFraction: number; runLowMw: number } {
  const idleTop = (c.swwTop.mw - c.swwTop.duty * c.runTopMw) / (1 - c.swwTop.duty);
  const idleFraction = idleTop / c.runTopMw;
  const runLowMw = c.swwLow.mw / (c.swwLow.duty + (1 - c.swwLow.duty) * idleFraction);
  const kLow = (c.swwLow.vcore / c.topVcore) ** 2;
  const s = (c.runTopMw - runLowMw) / (c.topMHz - kLow * c.swwLow.mhz);
  return { boardRunMw: c.runTopMw - s * c.topMHz, mwPerMHzAtTop: s, idleFraction, runLowMw };
}

/** Ranges of a calibrated part: I = k * f at VDD with k scaled by (V / Vtop)^2 (the board power is boardRunMw). */
function calibratedRanges(cal: ReturnType<typeof calibrateRunPower>, vdd: number, vTop: number,
  rs: Array<Omit<VoltageRange, 'i0mA' | 'kmAPerMHz'>>): VoltageRange[] {
  return rs.map((r) => ({ ...r, i0mA: 0, kmAPerMHz: (cal.mwPerMHzAtTop * (r.vcore / vTop) ** 2) / vdd }));
}

// NUCLEO-H7A3ZI-Q. Run power at 280 MHz: 163 mW, MLPerf Tiny v1.0 ST kws energy run (3.3 V, SMPS) [V]
// (../shared/docs/stm32-power.md section 6b). sww v1.3: 30.4526 mW at duty 0.13259 (280 MHz) and 16.1655 mW at
// duty 0.92807 (40 MHz) [V]; the 40 MHz run is taken in VOS3, the lowest range reaching 40 MHz [A].
export const H7A3_CALIBRATION: StreamingCalibration = {
  runTopMw: 163, topMHz: 280, topVcore: 1.30,
  swwTop: { mw: 30.4526, duty: 0.13259 }, swwLow: { mw: 16.1655, duty: 0.92807, mhz: 40, vcore: 1.00 },
};
const h7a3Cal = calibrateRunPower(H7A3_CALIBRATION);

const stm32h7a3: PartSpec = {
  name: 'stm32h7a3',
  core: 'cortex-m7',
  vddV: 3.3,
  // VOS bands and flash wait states: RM0455 Rev 10 Table 16 [V] (as cited in embassy-stm32's rcc for
  // flash_h7ab): VOS0 1.25-1.35 V <= 280 MHz, WS every 42 MHz; VOS1 1.15-1.25 V <= 225, every 38; VOS2
  // 1.05-1.15 V <= 160, every 34; VOS3 0.95-1.05 V <= 88, every 22. The AXI (flash) clock equals the CPU clock
  // at 280 MHz (NUCLEO-H7A3ZI-Q MLPerf project .ioc: AXIClockFreq 280 MHz) [V]. Run power: calibrated above.
  ranges: calibratedRanges(h7a3Cal, 3.3, 1.30, [
    { name: 'vos3', vcore: 1.00, fMaxMHz: 88, wsLimitsMHz: [22, 44, 66], source: 'D' },
    { name: 'vos2', vcore: 1.10, fMaxMHz: 160, wsLimitsMHz: [34, 68, 102, 136], source: 'D' },
    { name: 'vos1', vcore: 1.20, fMaxMHz: 225, wsLimitsMHz: [38, 76, 114, 152, 190], source: 'D' },
    { name: 'vos0', vcore: 1.30, fMaxMHz: 280, wsLimitsMHz: [42, 84, 126, 168, 210, 252], source: 'D' },
  ]),
  pllMHz: { vos3: [88, 80], vos2: [160, 140], vos1: [225, 200], vos0: [280, 240] },
  hpre: [1, 2, 4],
  flashLineBytes: 16, // 128-bit flash word [A]
  boardRunMw: h7a3Cal.boardRunMw,
  stopmA: 0.032, // low-power Stop, typ [S] (ST product summary as quoted by SoCXin/doc STM32H7B3.rst)
  wakeUs: 4.4, // [P] H743 Stop wake-up
  wakeClockMHz: 64, // HSI [P] H743
  pllRelockUs: 150, // [P] H743 max
  rangeChangeUs: 100, // [A] as H743 (VOS settle time unspecified)
  prescalerUs: 1, // [A]
  notes: ['Run power calibrated on NUCLEO-H7A3ZI-Q board measurements (MLPerf Tiny v1.0 kws energy, v1.3 sww at 280 and 40 MHz); per-range slope scaled by VCORE^2 [A]; stop, wake and switching times from the H743 [P].'],
};

// NUCLEO-U575ZI-Q. Run power at 160 MHz: 23.0679 mW, MLPerf Tiny v1.3 ST kws energy run, trial 0 [V]. sww
// v1.3: 11.4741 mW at duty 0.36346 (160 MHz) and 9.5213 mW at duty 0.96974 (60 MHz, range 2) [V].
// Voltage ranges and flash wait states [V]: ST's STM32U5 LL driver, stm32u5xx_ll_utils.c "Table 1. HCLK clock
// frequency for STM32U5 devices" and LL_SetFlashLatency (as vendored in RT-Thread/rt-thread,
// bsp/stm32/libraries/STM32U5xx_HAL): range 1 1.2 V, 0 WS <= 32 MHz, then one more per 32 MHz up to 4 WS <= 160;
// range 2 1.1 V, 0 WS <= 25, 1 <= 50, 2 <= 75, 3 <= 100 (its maximum); range 3 1.0 V, 0 <= 12.5, 1 <= 25,
// 2 <= 37.5, 3 <= 50 (its maximum); range 4 0.9 V, 0 <= 8, 1 <= 16, 2 <= 24. Range 4 is left out: its clocks
// (<= 24 MHz) cost more energy per cycle than range 3 in this model, and the planner's points are PLL outputs.
export const U575_CALIBRATION: StreamingCalibration = {
  runTopMw: 23.0679, topMHz: 160, topVcore: 1.2,
  swwTop: { mw: 11.4741, duty: 0.36346 }, swwLow: { mw: 9.5213, duty: 0.96974, mhz: 60, vcore: 1.1 },
};
const u575Cal = calibrateRunPower(U575_CALIBRATION);

const stm32u575: PartSpec = {
  name: 'stm32u575',
  core: 'cortex-m33',
  vddV: 1.8,
  ranges: calibratedRanges(u575Cal, 1.8, 1.2, [
    { name: 'range3', vcore: 1.0, fMaxMHz: 50, wsLimitsMHz: [12.5, 25, 37.5], source: 'V' },
    { name: 'range2', vcore: 1.1, fMaxMHz: 100, wsLimitsMHz: [25, 50, 75], source: 'V' },
    { name: 'range1', vcore: 1.2, fMaxMHz: 160, wsLimitsMHz: [32, 64, 96, 128], source: 'V' },
  ]),
  pllMHz: { range3: [50, 48], range2: [100, 96], range1: [160, 128] },
  hpre: [1, 2, 4],
  flashLineBytes: 16, // 128-bit flash word (ICACHE 16-byte lines) [A]
  boardRunMw: u575Cal.boardRunMw,
  stopmA: 0.0046, // [P] L4R5 Stop 1
  wakeUs: 6, // [P] as stm32l4r5
  wakeClockMHz: 16, // HSI16 with STOPWUCK set [P] L4
  pllRelockUs: 40, // [P] G474
  rangeChangeUs: 40, // [P] G474 tVOST
  prescalerUs: 1, // [A]
  notes: ['Run power calibrated on NUCLEO-U575ZI-Q board measurements (MLPerf Tiny v1.3 kws energy and sww at 160 and 60 MHz); voltage ranges and wait states from the table of ST\'s STM32U5 LL driver [V]; stop and switching from proxies [P].'],
};

export const PARTS: Record<string, PartSpec> = { stm32l4r5, stm32h743, stm32h7a3, stm32u575, stm32f401, stm32f446, stm32f746 };

export interface OperatingPoint {
  id: number;
  range: string;
  pllMHz: number;
  hpre: number;
  fMHz: number;
  waitStates: number;
  /** Run power at this point, mW (core model at VDD + board run power). */
  powerMw: number;
  /** CPU cycles one flash miss stalls at this point (the cycle model's memory, ../timing/memory.ts; set by
   *  ../dvfs/wire.ts). Absent: the flash wait states. */
  missCycles?: number;
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

/** Run power on the wake clock in a range, mW (the range's current model at that clock + board run power). */
function wakeClockMw(part: PartSpec, range: string): number {
  const r = part.ranges.find((x) => x.name === range)!;
  return part.vddV * (r.i0mA + r.kmAPerMHz * part.wakeClockMHz) + part.boardRunMw;
}

/**
 * Time (µs) and energy (µJ) from waking out of Stop to point b. Stop turns every PLL off and the core wakes
 * on its wake clock (HSI/MSI), still in the voltage range it stopped in (`range`: for a periodic inference,
 * the range of the previous period's last segment); reaching b costs a PLL lock, plus a range change when
 * b's range differs. The core runs on the wake clock meanwhile: charged at the lower of that power and b's.
 * Race-to-idle pays this too (a lock back to the fastest point after every wake-up); the end of the work
 * goes straight to Stop from whatever point it is at.
 */
export function wakeEntryCost(part: PartSpec, range: string, b: OperatingPoint): { us: number; uj: number } {
  const us = part.pllRelockUs + (range !== b.range ? part.rangeChangeUs : 0);
  return { us, uj: (us * Math.min(wakeClockMw(part, range), b.powerMw)) / 1000 };
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
