// Analytical cycle model shared by the strategies: a kernel's per-step cost follows from its
// instructions alone (docs/openedgecgra.md §4: max(3 if any multiply, 1 + memory accesses), where memory
// is the busiest column on `ports` and all accesses on `shared`); a strategy supplies how often each step
// runs (its loop trip counts), and the launch overhead is the fitted start/end + configuration cost.
import type { BusModel } from './arch.ts';
import { decode } from './isa/encoding.ts';
import type { Kernel } from './isa/image.ts';
import { OPCODES } from './isa/tables.ts';

export const LAUNCH_OVERHEAD = (cols: number): number => 7 + 2 * cols;

export function stepCycles(k: Kernel, t: number, bus: BusModel): number {
  let mul = false, total = 0, maxCol = 0;
  const rows = k.words[t].length;
  for (let c = 0; c < k.cols; c++) {
    let inCol = 0;
    for (let r = 0; r < rows; r++) {
      const cls = OPCODES[decode(k.words[t][r][c]).op]?.cls;
      if (cls === 'mul') mul = true;
      if (cls === 'load' || cls === 'store') inCol++;
    }
    total += inCol;
    maxCol = Math.max(maxCol, inCol);
  }
  const mem = bus === 'shared' ? total : maxCol;
  return Math.max(mul ? 3 : 1, mem > 0 ? 1 + mem : 1);
}

/** Cycles of `launches` launches of kernel k whose step t runs counts[t] times per launch (configuration once). */
export function kernelCycles(k: Kernel, counts: number[], launches: number, bus: BusModel): number {
  let exec = 1; // start bubble
  for (let t = 0; t < counts.length; t++) exec += counts[t] * stepCycles(k, t, bus);
  const config = k.cols * (k.words.length + 1);
  return launches * (exec + LAUNCH_OVERHEAD(k.cols)) + config;
}
