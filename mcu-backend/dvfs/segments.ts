// Turns per-layer costs into DVFS segments, decoupled access-execute style: a layer with weights becomes
// an access segment (stream its weights from flash into an SRAM buffer: memory-bound, its stall cycles
// grow with the flash wait states) and an execute segment (compute from SRAM: a fixed number of cycles).
//
// The cycle model, explicit so it can be checked and replaced:
// - access: the copy loop moves 16 bytes per iteration with LDM/STM of 4 registers (1+4 cycles each),
//   a SUBS (1) and a taken BNE (3): 14 cycles per 16 bytes, plus one stall of WS cycles per flash line
//   fetched (line width from the part table). The flash prefetch buffer/cache is assumed not to hide
//   streamed weights (little reuse; F4 has 8 D-cache lines).
// - execute: cycles = instructions + loads (Cortex-M4: LDR takes 2 cycles, other instructions
//   counted at 1; taken branches' extra cycles are not counted, so this is a lower bound). Instructions
//   and loads are the per-layer counts measured on QEMU (or the kernels' analytic estimates when no
//   measurement is available; the report says which).
// - code runs from flash with the ART/instruction cache hiding its wait states.

import type { PartSpec } from './parts.ts';
import type { Segment } from './planner.ts';

export interface LayerCost {
  name: string;
  /** Executed instructions of the layer's kernel. */
  instructions: number;
  /** Loads executed (0 when unknown). */
  loads: number;
  /** Constant bytes (weights, bias, requantisation tables) the layer streams from flash. */
  weightBytes: number;
}

export const COPY_CYCLES_PER_16_BYTES = 14;

export function accessCycles(weightBytes: number): number {
  return Math.ceil(weightBytes / 16) * COPY_CYCLES_PER_16_BYTES;
}

export function buildSegments(layers: LayerCost[], part: PartSpec): Segment[] {
  const segs: Segment[] = [];
  layers.forEach((l, i) => {
    if (l.weightBytes > 0) {
      segs.push({ name: `${l.name}.access`, layer: i, kind: 'access', cycles: accessCycles(l.weightBytes),
        flashLines: Math.ceil(l.weightBytes / part.flashLineBytes) });
    }
    segs.push({ name: `${l.name}.execute`, layer: i, kind: 'execute', cycles: l.instructions + l.loads, flashLines: 0 });
  });
  return segs;
}
