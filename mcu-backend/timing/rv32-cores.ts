// Instruction timing of X-HEEP's two host cores for the RV32 cycle model (rv32-model.ts), from their user
// manuals, with zero-wait instruction and data memory (X-HEEP's SRAM banks answer in one cycle; the manuals'
// tables assume zero stall on both interfaces):
// - CV32E40P (OpenHW Group user manual, "Pipeline Details": 4-stage pipeline, table "Cycle counts per
//   instruction type" and "Hazards"): ALU 1; MUL 1, MULH/MULHSU/MULHU 5; DIV/REM 3..35 by the divisor's
//   leading zeros (3 + clz(b)); load/store 1 (aligned); jump 2, taken branch 3, each one more when the target
//   is a non-word-aligned non-RVC instruction; not-taken branch 1; 1 cycle more when the instruction after a
//   load uses its result, and when a JALR uses the result of the instruction just before it.
// - CV32E20 (OpenHW Group CVE2 user manual, "Pipeline Details", table "Stall Cycles" where X stall cycles
//   make an instruction take X + 1, and "Multiplier/Divider Block"; 2-stage pipeline): ALU and CSR 1;
//   load/store 2 (1 stall awaiting the response); jump 2; taken branch 3; not-taken 1; MUL 3 and MULH 4 with
//   the fast multi-cycle multiplier (RV32MFast, cve2_top's default, which X-HEEP instantiates); DIV/REM 38
//   (37 stall cycles: full long division). No load-use or jump-register hazard (operands are read and
//   written in the one ID/EX stage).
// The QEMU plugin sees no operand values, so a divide costs one figure: CV32E40P's is taken for a 16-bit
// divisor (3 + 16 = 19). Misaligned accesses (2 on CV32E40P) are not modelled: gcc emits none for RV32
// (strict alignment; the generated C reads unaligned data bytewise).
import { TinyforgeError } from '../../compiler/diagnostics.ts';

export type Rv32Core = 'cv32e40p' | 'cv32e20';
export const RV32_CORES: readonly Rv32Core[] = ['cv32e40p', 'cv32e20'];

export interface Rv32CoreTiming {
  core: Rv32Core;
  load: number;
  store: number;
  /** Extra cycles when the next instruction uses a load's result. */
  loadUse: number;
  mul: number;
  /** MULH, MULHSU, MULHU. */
  mulh: number;
  div: number;
  /** JAL, JALR (and their compressed forms). */
  jump: number;
  branchTaken: number;
  branchNotTaken: number;
  /** Extra cycles of a jump or taken branch whose target is a 32-bit instruction at an address = 2 mod 4. */
  unalignedTarget: number;
  /** Extra cycles of a JALR whose address register the instruction just before it wrote. */
  jalrHazard: number;
  csr: number;
  notes: string;
}

export const RV32_CORE_TIMING: Record<Rv32Core, Rv32CoreTiming> = {
  cv32e40p: {
    core: 'cv32e40p', load: 1, store: 1, loadUse: 1, mul: 1, mulh: 5, div: 19, jump: 2, branchTaken: 3, branchNotTaken: 1,
    unalignedTarget: 1, jalrHazard: 1, csr: 1,
    notes: 'CV32E40P user manual, Pipeline Details: ALU 1, MUL 1, MULH 5, DIV/REM 3..35 (3 + leading zeros of the divisor; 19 taken, a 16-bit divisor), load/store 1, load-use +1, JALR after the instruction writing its register +1, jump 2, taken branch 3, +1 to a non-word-aligned 32-bit target, not-taken branch 1.',
  },
  cv32e20: {
    core: 'cv32e20', load: 2, store: 2, loadUse: 0, mul: 3, mulh: 4, div: 38, jump: 2, branchTaken: 3, branchNotTaken: 1,
    unalignedTarget: 0, jalrHazard: 0, csr: 1,
    notes: 'CV32E20 (CVE2) user manual, Pipeline Details (X stall cycles = X + 1 cycles): ALU/CSR 1, load/store 2, jump 2, taken branch 3, not-taken 1, MUL 3 and MULH 4 (fast multi-cycle multiplier, RV32MFast: cve2_top\'s default), DIV/REM 38 (37 stalls), no load-use hazard.',
  },
};

export function parseRv32Core(s: string): Rv32Core {
  const k = s.toLowerCase() as Rv32Core;
  if (!RV32_CORES.includes(k)) throw new TinyforgeError(`unknown RV32 core '${s}'`, {}, `valid: ${RV32_CORES.join(', ')}`);
  return k;
}
