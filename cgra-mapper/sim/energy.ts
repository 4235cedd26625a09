// Per-operation power of OpenEdgeCGRA PEs, for an ENERGY ESTIMATE (not a measurement).
// Source: /work/shared/data/cgra-energy/operation_characterization.csv (the ESL-CGRA-simulator's
// src/operation_characterization.csv, characterisation by Aspros et al., arXiv 2504.01672), section
// `operation_power_w_mapping`: watts per operation and duration class (cycles the instruction lasted).
// Only the plain rows are embedded (operand-kind variants _CST/_EXT/_INT/_X* are ignored); the tools'
// spellings SLT/SRT/BGQ are our SLL/SRL/BGE. Clock period 10 ns, as that simulator.
// Estimate = sum over executed (step, PE) of power(op, step cycles) x step cycles x 10 ns, kernel PEs only.
import { OPCODES } from '../isa/tables.ts';

export const CLOCK_PERIOD_S = 10e-9;

/** watts by [op name][duration class in cycles]. */
export const OP_POWER_W: Readonly<Record<string, Readonly<Record<number, number>>>> = {
  NOP: { 1: 4.78e-5, 2: 3.80e-5, 3: 3.44e-5, 4: 3.44e-5, 5: 3.44e-5, 7: 3.22e-5, 8: 2.80e-5 },
  EXIT: { 1: 4.78e-5, 2: 3.80e-5, 3: 3.44e-5, 4: 3.44e-5, 5: 3.44e-5, 8: 2.80e-5 },
  SADD: { 1: 8.92e-5, 3: 6.76e-5 },
  SSUB: { 1: 9.60e-5 },
  SLL: { 1: 8.56e-5 },
  SRL: { 1: 8.26e-5 },
  SRA: { 1: 8.42e-5 },
  LAND: { 1: 1.60e-4 },
  LOR: { 1: 7.64e-5 },
  LXOR: { 1: 8.70e-5 },
  LNAND: { 1: 9.20e-5 },
  LNOR: { 1: 1.94e-4 },
  LXNOR: { 1: 1.92e-4 },
  BSFA: { 1: 7.68e-5 },
  BZFA: { 1: 7.60e-5 },
  BEQ: { 1: 4.44e-5 },
  BNE: { 1: 4.44e-5 },
  BLT: { 1: 4.44e-5 },
  BGE: { 1: 4.44e-5 },
  JUMP: { 1: 4.44e-5 },
  LWD: { 1: 6.64e-5, 2: 6.64e-5, 4: 5.50e-5, 5: 4.96e-5, 7: 2.96e-5 },
  SWD: { 1: 3.06e-5, 2: 3.06e-5, 7: 3.60e-5 },
  LWI: { 1: 4.48e-5, 2: 4.48e-5 },
  SWI: { 1: 3.32e-5, 2: 4.24e-5, 3: 4.24e-5, 7: 3.94e-5 },
  SMUL: { 1: 1.81e-4, 3: 1.81e-4 },
  FXPMUL: { 1: 6.04e-5 },
};

/** Power of `opCode` in an instruction that lasted `cycles`: the exact class, else the nearest smaller, else the smallest. */
export function opPowerW(opCode: number, cycles: number): number {
  const row = OP_POWER_W[OPCODES[opCode]?.name ?? 'NOP'] ?? OP_POWER_W.NOP;
  const keys = Object.keys(row).map(Number).sort((a, b) => a - b);
  let k = keys[0];
  for (const x of keys) if (x <= cycles) k = x;
  return row[k];
}
