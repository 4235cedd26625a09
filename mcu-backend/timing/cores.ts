// Per-core instruction timing for the cycle model, from Arm's Technical Reference Manuals (instruction
// timing tables: Cortex-M0+ TRM "Instruction set summary", Cortex-M3 TRM table 18-1 and Cortex-M4 TRM
// table 3-1 "Cortex-M4 instruction set summary", with their notes on load/store pipelining). Where a TRM
// gives a range (P = pipeline refill 1..3, divide 2..12 by operand size, long multiply 3..7 on M3) the
// value chosen is stated here; the operands are not visible to the QEMU plugin (QEMU 7.2's plugin API has
// no register access), so a divide costs the same whatever its operands. Cortex-M7, M33 and M55 have no
// per-instruction table in their TRMs: their entries are approximations (stated) built on the M4 figures
// plus the published pipeline features (M7: dual issue, 64-bit loads, branch prediction; M33/M55: limited
// dual issue of 16-bit pairs), checked against Arm's CoreMark/MHz (docs/cycles.md).
import type { McuCpu } from '../harness/run.ts';

export interface CoreTiming {
  cpu: McuCpu;
  /** Single load not pipelined with a previous load/store (M3/M4: 2). */
  load: number;
  /** A load directly after a load or store it can pipeline with (M3/M4: 1; M0+: no pipelining, 2). */
  loadPipelined: number;
  /** Store with immediate offset (M3/M4: 1, the data phase overlaps the next instruction); register offset: storeReg. */
  store: number;
  storeReg: number;
  /** LDRD/STRD. */
  ldrd: number;
  /** LDM/STM/PUSH/POP: base + perReg * N (TRMs: 1 + N). */
  ldmBase: number;
  ldmPerReg: number;
  mul: number;
  mac: number;
  /** SMULL/UMULL and SMLAL/UMLAL. */
  lmul: number;
  lmac: number;
  div: number;
  /** Extra cycles of a taken branch (the pipeline refill P, or the M0+'s fixed extra cycle). */
  takenExtra: number;
  /** A taken branch to a 32-bit instruction at an address = 2 mod 4 costs one more refill cycle (M3/M4 TRM: P depends on the target's alignment and width). */
  refillUnaligned: boolean;
  /** Extra cycles of BL over a taken B (M0+: BL is 3, B is 2). */
  blExtra: number;
  /** POP {..., pc} / LDM with pc: extra cycles over 1 + N (M0+: 3 + N; M3/M4: 1 + N + P). */
  popPcExtra: number;
  /** Extra cycles of an indirect branch (BX, POP {pc}, LDR pc, TBB). M3/M4: 1, i.e. P = 2 for a register target, which
   *  cannot be speculated early (TRM: P = 1..3; its load/store notes give a 3-cycle reload after LDR pc and TBB).
   *  M7: not predicted without a return stack. */
  indirectExtra: number;
  /** TBB/TBH: 2 + P. */
  tbBase: number;
  /** IT folds into a preceding 16-bit instruction (M3/M4): 0 cycles then, else 1. */
  itFolds: boolean;
  /** A load/store whose address register the preceding data-processing instruction wrote: extra cycles (M3/M4
   *  TRM: "stalls the pipeline for an additional cycle while the register bank is updated; no forwarding path"). */
  addrInterlock: number;
  /** A load's result used by the next instruction: extra cycles (0 on M0+/M3/M4, where the load's 2 cycles cover it). */
  loadUse: number;
  /** Dual issue: 'none'; 'pair16' (two adjacent independent 16-bit ALU/load instructions in one cycle); 'm7'. */
  dual: 'none' | 'pair16' | 'm7';
  /** M7: penalty of a mispredicted branch; taken predicted branches are free (BTAC). */
  mispredict: number;
  fp: number;
  sys: number;
  /**
   * Helium beat model (mve.ts): 'dual-beat' (Cortex-M55: a 128-bit vector instruction is 4 beats, 2 per cycle,
   * so 2 cycles; consecutive vector instructions of different kinds overlap by a cycle). Absent: no MVE.
   */
  mve?: 'dual-beat';
  notes: string;
}

const m4: CoreTiming = {
  cpu: 'm4', load: 2, loadPipelined: 1, store: 1, storeReg: 2, ldrd: 3, ldmBase: 1, ldmPerReg: 1,
  mul: 1, mac: 1, lmul: 1, lmac: 1, div: 7, takenExtra: 1, refillUnaligned: true, blExtra: 0, popPcExtra: 0, indirectExtra: 1, tbBase: 2, itFolds: true, loadUse: 0, addrInterlock: 1,
  dual: 'none', mispredict: 0, fp: 1, sys: 2,
  notes: 'Cortex-M4 TRM table 3-1 and its load/store notes: LDR 2 (1 when pipelined after an LDR its address does not depend on; nothing pipelines after a store), STR imm 1, STR [reg] 2 (1 after an LDR), LDRD 3, LDM/STM 1+N, a load/store addressed by the previous data-processing result +1, MUL/MLA/SMULL/SMLAL/DSP MAC 1, SDIV/UDIV 2-12 (7 taken), taken branch 1+P with P = 1, 2 to an unaligned 32-bit target or from a register-indirect branch (BX, POP/LDM with pc, TBB/TBH; TRM: 1-3), IT folded after a 16-bit instruction.',
};

export const CORE_TIMING: Record<McuCpu, CoreTiming> = {
  m0plus: {
    cpu: 'm0plus', load: 2, loadPipelined: 2, store: 2, storeReg: 2, ldrd: 4, ldmBase: 1, ldmPerReg: 1,
    mul: 1, mac: 1, lmul: 1, lmac: 1, div: 1, takenExtra: 1, refillUnaligned: false, blExtra: 1, popPcExtra: 1, indirectExtra: 0, tbBase: 3, itFolds: false, loadUse: 0, addrInterlock: 0,
    dual: 'none', mispredict: 0, fp: 1, sys: 3,
    notes: 'Cortex-M0+ TRM: LDR/STR 2, LDM/STM/PUSH 1+N, POP {pc} 3+N, B and taken Bcc 2, BL 3, BX/BLX 2, MULS 1 (single-cycle multiplier option), others 1. No divide instruction (ARMv6-M).',
  },
  m3: {
    ...m4, cpu: 'm3', mac: 2, lmul: 4, lmac: 6, itFolds: true,
    notes: 'Cortex-M3 TRM table 18-1: as M4 but MLA/MLS 2, SMULL/UMULL 3-5 (4 taken), SMLAL/UMLAL 4-7 (6 taken), no DSP instructions.',
  },
  m4,
  m7: {
    ...m4, cpu: 'm7', load: 1, loadPipelined: 1, store: 1, storeReg: 1, ldrd: 1, ldmBase: 1, ldmPerReg: 0.5, takenExtra: 0, refillUnaligned: false, popPcExtra: 0, indirectExtra: 4,
    div: 7, tbBase: 3, itFolds: true, loadUse: 1, addrInterlock: 0, dual: 'm7', mispredict: 8,
    notes: 'Cortex-M7 (no TRM timing table; approximation): in-order dual issue of two adjacent independent instructions (at most one load/store, one multiply, a branch only second), 64-bit loads (LDRD 1, LDM 1+N/2), a load result feeding an address or a multiply 1 extra cycle (ALU consumers use the late ALU), predicted branches free (BTAC), mispredicted 8, mispredictions per block estimated as min(taken, not taken), indirect branches 4.',
  },
  m33: {
    ...m4, cpu: 'm33', load: 1, loadPipelined: 1, loadUse: 1, addrInterlock: 0, takenExtra: 1, dual: 'pair16',
    notes: 'Cortex-M33 (no TRM timing table; approximation from Arm\'s pipeline description: most instructions finish in a 2-stage pipeline, address generation and branch resolution in stage 2, dual issue of 16-bit and branch instructions): the M4 figures except single-cycle loads with a 1-cycle load-use interlock, no address interlock, and dual issue of two adjacent independent 16-bit instructions (ALU or one load/store; the second may be a branch).',
  },
  m55: {
    ...m4, cpu: 'm55', load: 1, loadPipelined: 1, loadUse: 1, addrInterlock: 0, dual: 'pair16', mve: 'dual-beat',
    notes: 'Cortex-M55 scalar pipeline (no TRM timing table; approximation): as M33. Helium: the dual-beat model of mve.ts (2 cycles per vector instruction, a load/store overlapping the next arithmetic instruction or the reverse by a cycle, gathers and scatters one lane per cycle).',
  },
  m85: {
    ...m4, cpu: 'm85', load: 1, loadPipelined: 1, loadUse: 1, addrInterlock: 0, dual: 'pair16', mve: 'dual-beat',
    notes: 'Cortex-M85 (compile target without a QEMU board): the M55 approximation; nothing is counted or modelled for it.',
  },
};
