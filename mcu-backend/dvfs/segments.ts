// Turns per-layer costs into DVFS segments, decoupled access-execute style: a layer run in DAE form
// (../emit/dae.ts) becomes an access segment (copy its constant block from flash into an SRAM staging
// buffer: memory-bound, its stall cycles grow with the flash wait states) and an execute segment (the
// kernel on the SRAM copy: a fixed number of cycles). A coupled layer is one execute segment that reads
// its constants from flash.
//
// This instruction-based model is the fallback: when the core has a QEMU board and the part a memory model,
// the build and the bench price the segments with the cycle model instead (wire.ts profileSegments).
// The fallback model, explicit so it can be checked and replaced:
// - access: the measured instructions of the copy (markers 5/6: LDMIA + STMIA of 4 registers, SUBS,
//   BNE per 16 bytes, plus the call) plus 10 cycles per 16-byte block that the count does not see
//   (Cortex-M4 TRM: LDM/STM of N registers take 1+N cycles, 4 extra each; a taken branch 1+P, P = 2
//   assumed), plus one stall of WS cycles per flash line (line width from the part table): the
//   prefetch buffer / cache is assumed not to hide streamed constants (little reuse; F4 has 8 D-cache
//   lines). Without a measurement the instructions are modelled as 4 per block + 8.
// - execute: cycles = instructions + loads (Cortex-M4: LDR takes 2 cycles, other instructions counted at 1;
//   taken branches' extra cycles are not counted, so this is a lower bound). Instructions are the per-layer
//   counts measured on QEMU (or the kernels' analytic estimates when no measurement is available; the
//   report says which); loads are the variants' analytic estimates (QEMU does not count them).
// - coupled layer with constants: as execute, plus one pass of flash-line stalls over its constants (a
//   lower bound: reused lines are assumed to stay in the cache).
// - DVFS hook calls (markers 7/8): their measured instructions are added to the segment they start.
// - code runs from flash with the ART/instruction cache hiding its wait states.

import type { PartSpec } from './parts.ts';
import type { Segment } from './planner.ts';

export interface LayerCost {
  name: string;
  /** Executed instructions of the layer's kernel (execute segment). */
  instructions: number;
  /** Loads executed (0 when unknown). */
  loads: number;
  /** Constant bytes (weights, bias, requantisation tables) the layer reads from flash (DAE: the staged block). */
  weightBytes: number;
  /** Decoupled access-execute (default: true when the layer has constants). */
  dae?: boolean;
  /** Measured instructions of the access segment (copy loop and call). */
  accessInstructions?: number;
  /** Measured instructions of the DVFS hook call(s) before the access and the execute segment. */
  hookInstructions?: { access?: number; execute?: number };
}

/** Cycles per 16-byte block that the instruction count does not see (LDM/STM beats, branch refill). */
export const COPY_EXTRA_CYCLES_PER_BLOCK = 10;
/** Modelled copy instructions per 16-byte block when not measured. */
export const COPY_INSTRUCTIONS_PER_BLOCK = 4;

export function accessCycles(weightBytes: number, measuredInstructions?: number): number {
  const blocks = Math.ceil(weightBytes / 16);
  const instr = measuredInstructions ?? COPY_INSTRUCTIONS_PER_BLOCK * blocks + 8;
  return instr + COPY_EXTRA_CYCLES_PER_BLOCK * blocks;
}

export function buildSegments(layers: LayerCost[], part: PartSpec): Segment[] {
  const segs: Segment[] = [];
  const lines = (bytes: number) => Math.ceil(bytes / part.flashLineBytes);
  layers.forEach((l, i) => {
    const dae = (l.dae ?? true) && l.weightBytes > 0;
    if (dae) {
      segs.push({ name: `${l.name}.access`, layer: i, kind: 'access',
        cycles: accessCycles(l.weightBytes, l.accessInstructions) + (l.hookInstructions?.access ?? 0), flashLines: lines(l.weightBytes) });
    }
    segs.push({ name: `${l.name}.execute`, layer: i, kind: 'execute', cycles: l.instructions + l.loads + (l.hookInstructions?.execute ?? 0),
      flashLines: dae ? 0 : lines(l.weightBytes) });
  });
  return segs;
}
