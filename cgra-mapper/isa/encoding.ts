// Encoder and decoder of OpenEdgeCGRA's 32-bit instruction words, field for field as the RTL
// (layout in tables.ts FIELDS). `decode` never fails: undefined opcodes (26..31) and unused mux codes
// decode to their numbers, so a bitstream can be inspected; `checkWord` says what is wrong with a word.
//
// API: `encode(instr) -> number` (unsigned 32-bit), `decode(word) -> Instr`, `immOf(word)`,
//      `checkWord(word, nInstr) -> string | undefined` (the broken rule, for errors that name PE and step).
import { FIELDS, IMM_MAX, IMM_MIN, NUM_OPCODES, OPCODES, type FieldName } from './tables.ts';

/** One decoded instruction. `imm` is the sign-extended 13-bit immediate. */
export interface Instr {
  op: number;
  /** muxA / muxB operand source codes (tables.ts SOURCES). */
  a: number;
  b: number;
  /** Destination register index (meaningful when we = 1). */
  rd: number;
  /** 1: also write R[rd]. */
  we: number;
  /** muxF flag source code (BSFA / BZFA). */
  f: number;
  imm: number;
}

export const NOP_INSTR: Readonly<Instr> = Object.freeze({ op: 0, a: 0, b: 0, rd: 0, we: 0, f: 0, imm: 0 });

const KEYS: Record<FieldName, keyof Instr> = { muxA: 'a', muxB: 'b', op: 'op', rd: 'rd', we: 'we', muxF: 'f', imm: 'imm' };

/** The 32-bit word of `i` (as an unsigned number). Throws RangeError on a field that does not fit. */
export function encode(i: Instr): number {
  let w = 0;
  for (const [name, [shift, width]] of Object.entries(FIELDS) as [FieldName, readonly [number, number]][]) {
    const v = i[KEYS[name]];
    if (name === 'imm') {
      if (!Number.isInteger(v) || v < IMM_MIN || v > IMM_MAX) throw new RangeError(`immediate ${v} outside [${IMM_MIN}, ${IMM_MAX}]`);
      w |= v & ((1 << width) - 1);
    } else {
      if (!Number.isInteger(v) || v < 0 || v >= 1 << width) throw new RangeError(`field ${name} = ${v} does not fit in ${width} bits`);
      w |= v << shift;
    }
  }
  return w >>> 0;
}

export function immOf(word: number): number {
  return ((word & 0x1fff) << 19) >> 19;
}

export function decode(word: number): Instr {
  const w = word >>> 0;
  return {
    a: (w >>> 28) & 0xf,
    b: (w >>> 24) & 0xf,
    op: (w >>> 19) & 0x1f,
    rd: (w >>> 17) & 0x3,
    we: (w >>> 16) & 0x1,
    f: (w >>> 13) & 0x7,
    imm: immOf(w),
  };
}

/**
 * What makes `word` unusable as instruction of a kernel with `nInstr` instructions per PE, or undefined.
 * Rules: a defined opcode; a branch target (imm[4:0]) inside the kernel.
 */
export function checkWord(word: number, nInstr: number): string | undefined {
  const i = decode(word);
  if (i.op >= NUM_OPCODES) return `undefined opcode ${i.op} (defined: 0..${NUM_OPCODES - 1})`;
  if (OPCODES[i.op].form === 'branch' && (i.imm & 31) >= nInstr) {
    return `branch target ${i.imm & 31} is past the kernel's last instruction ${nInstr - 1}`;
  }
  return undefined;
}
