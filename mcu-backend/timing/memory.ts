// Memory model of the parts the cycle model prices (data, one entry per part): the flash wait states at
// the clock, what hides them (ST's ART accelerator: prefetch plus a small instruction and data cache on
// Cortex-M4 parts; the Cortex-M7's L1 caches; the U5's ICACHE), and zero-wait SRAM/TCM. The QEMU plugin
// simulates the caches on the executed addresses (harness/qemu-plugin/icount.c, icache=/dcache=), the
// model (model.ts) charges the misses: an instruction-line miss entered by a branch stalls for the miss
// cost (a sequential one too unless the part prefetches), a data load missing the data cache likewise.
// Provenance as in ../dvfs/parts.ts: V = read in a primary source, A = an assumption of ours.
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { flashClockMHz, PARTS, waitStates } from '../dvfs/parts.ts';
import type { McuCpu } from '../harness/run.ts';

export interface CacheSpec { bytes: number; lineBytes: number; ways: number }

export interface PartMemory {
  name: string;
  cpu: McuCpu;
  fMaxMHz: number;
  /** Flash wait states (in CPU cycles) at a CPU clock. */
  waitStates(fMHz: number): number;
  /** Stall of one cache miss to flash, CPU cycles, given the wait states. */
  missCycles(ws: number): number;
  /** Sequential instruction lines are prefetched (ART prefetch): only misses entered by a branch stall. */
  prefetch: boolean;
  icache: CacheSpec;
  dcache: CacheSpec;
  notes: string;
}

/** Wait states of a part of ../dvfs/parts.ts at a clock: the lowest voltage range reaching the clock. */
function dvfsWaitStates(part: string) {
  return (f: number): number => {
    const p = PARTS[part];
    const r = p.ranges.find((x) => x.fMaxMHz >= f);
    if (!r) throw new TinyforgeError(`${part}: no voltage range reaches ${f} MHz`, {}, `at most ${Math.max(...p.ranges.map((x) => x.fMaxMHz))} MHz`);
    const flashMHz = flashClockMHz(r, f);
    // The H7's flash runs on the AXI clock: its wait states count AXI cycles, each f / flashMHz CPU cycles.
    return waitStates(r, flashMHz) * Math.round(f / flashMHz);
  };
}


export const PART_MEMORY: Record<string, PartMemory> = {
  stm32l4r5: {
    name: 'stm32l4r5', cpu: 'm4', fMaxMHz: 120, waitStates: dvfsWaitStates('stm32l4r5'), missCycles: (ws) => ws, prefetch: true,
    icache: { bytes: 1024, lineBytes: 8, ways: 4 }, dcache: { bytes: 256, lineBytes: 8, ways: 4 },
    notes: 'ART: 1 KB instruction cache, 256 B data cache [V, RM0432], 64-bit flash reads, prefetch; 5 WS at 120 MHz boost [V]; SRAM zero-wait. Cache organisation (4-way, 8-byte lines) [A].',
  },
  stm32f446: {
    name: 'stm32f446', cpu: 'm4', fMaxMHz: 180, waitStates: dvfsWaitStates('stm32f446'), missCycles: (ws) => ws, prefetch: true,
    icache: { bytes: 1024, lineBytes: 16, ways: 64 }, dcache: { bytes: 128, lineBytes: 16, ways: 8 },
    notes: 'ART: 64 x 128-bit instruction cache lines, 8 x 128-bit data cache lines, prefetch [V, RM0390]; 5 WS at 180 MHz [V]; SRAM zero-wait.',
  },
  stm32f746: {
    name: 'stm32f746', cpu: 'm7', fMaxMHz: 216, waitStates: dvfsWaitStates('stm32f746'), missCycles: (ws) => ws + 4, prefetch: false,
    icache: { bytes: 4096, lineBytes: 32, ways: 2 }, dcache: { bytes: 4096, lineBytes: 32, ways: 4 },
    notes: 'Cortex-M7 L1: 4 KB I-cache (2-way), 4 KB D-cache (4-way), 32-byte lines [V]; flash on AXI, 7 WS at 216 MHz [V]; a line fill = WS + 4 cycles (256-bit flash word over the 64-bit AXI) [A]; DTCM/SRAM zero-wait.',
  },
  stm32h743: {
    name: 'stm32h743', cpu: 'm7', fMaxMHz: 480, waitStates: dvfsWaitStates('stm32h743'), missCycles: (ws) => ws + 8, prefetch: false,
    icache: { bytes: 16384, lineBytes: 32, ways: 2 }, dcache: { bytes: 16384, lineBytes: 32, ways: 4 },
    notes: 'Cortex-M7 L1: 16 KB I-cache, 16 KB D-cache, 32-byte lines [V]; flash on AXI at half the CPU clock, WS per RM0433 [V] counted in CPU cycles; line fill = WS + 8 CPU cycles [A]; DTCM/AXI SRAM zero-wait.',
  },
  stm32h7a3: {
    name: 'stm32h7a3', cpu: 'm7', fMaxMHz: 280, waitStates: dvfsWaitStates('stm32h7a3'), missCycles: (ws) => ws + 4, prefetch: false,
    icache: { bytes: 16384, lineBytes: 32, ways: 2 }, dcache: { bytes: 16384, lineBytes: 32, ways: 4 },
    notes: 'Cortex-M7 L1: 16 KB I-cache, 16 KB D-cache, 32-byte lines [V]; AXI at the CPU clock (280 MHz); WS per VOS from RM0455 Table 16 (../dvfs/parts.ts), 6 WS at 280 MHz in VOS0 [V]; line fill = WS + 4 [A]; DTCM/SRAM zero-wait.',
  },
  stm32u575: {
    name: 'stm32u575', cpu: 'm33', fMaxMHz: 160, waitStates: dvfsWaitStates('stm32u575'), missCycles: (ws) => ws, prefetch: true,
    icache: { bytes: 8192, lineBytes: 16, ways: 2 }, dcache: { bytes: 8192, lineBytes: 16, ways: 2 },
    notes: 'ICACHE 8 KB 2-way, 16-byte lines on the code bus, which carries both instruction and data reads of the flash [V, RM0456] (simulated as two separate 8 KB caches: an optimistic approximation); WS per range from ../dvfs/parts.ts, 4 WS at 160 MHz range 1 [A]; flash prefetch on; SRAM zero-wait.',
  },
};

export function partMemory(name: string): PartMemory {
  const p = PART_MEMORY[name.toLowerCase()];
  if (!p) throw new TinyforgeError(`unknown part '${name}' for the cycle model`, {}, `valid: ${Object.keys(PART_MEMORY).join(', ')}`);
  return p;
}
