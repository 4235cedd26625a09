// OpenEdgeCGRA instruction-set tables, as data: opcodes (code, mnemonic, spelling aliases, operand form,
// latency class), operand sources (muxA/muxB), flag sources (muxF) and the 32-bit word's field layout.
// Facts from docs/openedgecgra.md §2 (the RTL is the truth). The encoder, assembler, simulator and views
// all read these tables; none of them spells an opcode number.

/** Bit layout of the 32-bit instruction word: [shift, width]. */
export const FIELDS = {
  muxA: [28, 4],
  muxB: [24, 4],
  op: [19, 5],
  rd: [17, 2],
  we: [16, 1],
  muxF: [13, 3],
  imm: [0, 13],
} as const;
export type FieldName = keyof typeof FIELDS;

export const IMM_MIN = -(1 << 12);
export const IMM_MAX = (1 << 12) - 1;

/**
 * How an opcode's assembly text is written (ESL-CGRA-simulator's spelling, which this project keeps):
 * - `none`    NOP, EXIT
 * - `alu`     OP dst, A, B
 * - `sel`     OP dst, A, B, FLAGSRC          (BSFA / BZFA)
 * - `branch`  OP A, B, target                (target in imm[4:0])
 * - `jump`    JUMP target   or   JUMP A, B   (PC <- (A + B)[4:0])
 * - `lwd`     LWD dst, step                  (column read pointer, post-incremented by sext(imm))
 * - `swd`     SWD A, step                    (column write pointer)
 * - `lwi`     LWI dst, B                     (B is the byte address)
 * - `swi`     SWI B, A                       (address first, then the value stored, as the ESL tools)
 */
export type OpForm = 'none' | 'alu' | 'sel' | 'branch' | 'jump' | 'lwd' | 'swd' | 'lwi' | 'swi';

/** Coarse behaviour class the simulator and the views switch on. */
export type OpClass = 'nop' | 'alu' | 'mul' | 'sel' | 'branch' | 'jump' | 'load' | 'store' | 'exit';

export interface OpInfo {
  code: number;
  name: string;
  /** Other spellings accepted by the assembler (the tools write SLT/SRT for the shifts). */
  aliases: string[];
  form: OpForm;
  cls: OpClass;
  /** Cycles the instruction takes on its own (a multiply stalls the whole array 3 cycles). */
  cycles: number;
  summary: string;
}

const op = (code: number, name: string, form: OpForm, cls: OpClass, summary: string, aliases: string[] = [], cycles = 1): OpInfo =>
  ({ code, name, aliases, form, cls, cycles, summary });

export const OPCODES: readonly OpInfo[] = [
  op(0, 'NOP', 'none', 'nop', 'nothing; ROUT and flags kept'),
  op(1, 'SADD', 'alu', 'alu', 'A + B'),
  op(2, 'SSUB', 'alu', 'alu', 'A - B'),
  op(3, 'SMUL', 'alu', 'mul', 'low 32 bits of signed A*B (3 cycles)', [], 3),
  op(4, 'FXPMUL', 'alu', 'mul', '(A*B) >> 15, bits 46:15 of the product (3 cycles)', [], 3),
  op(5, 'SLL', 'alu', 'alu', 'A << B[4:0]', ['SLT']),
  op(6, 'SRL', 'alu', 'alu', 'A >> B[4:0], logical', ['SRT']),
  op(7, 'SRA', 'alu', 'alu', 'A >> B[4:0], arithmetic'),
  op(8, 'LAND', 'alu', 'alu', 'A & B'),
  op(9, 'LOR', 'alu', 'alu', 'A | B'),
  op(10, 'LXOR', 'alu', 'alu', 'A ^ B'),
  op(11, 'LNAND', 'alu', 'alu', '~(A & B)'),
  op(12, 'LNOR', 'alu', 'alu', '~(A | B)'),
  op(13, 'LXNOR', 'alu', 'alu', '~(A ^ B)'),
  op(14, 'BSFA', 'sel', 'sel', 'sign flag of FLAGSRC ? A : B'),
  op(15, 'BZFA', 'sel', 'sel', 'zero flag of FLAGSRC ? A : B'),
  op(16, 'BEQ', 'branch', 'branch', 'if A == B: PC <- target; ROUT <- (A == B)'),
  op(17, 'BNE', 'branch', 'branch', 'if A != B: PC <- target; ROUT <- (A != B)'),
  op(18, 'BLT', 'branch', 'branch', 'if A < B (signed): PC <- target; ROUT <- (A < B)'),
  op(19, 'BGE', 'branch', 'branch', 'if A >= B (signed): PC <- target; ROUT <- (A >= B)', ['BGQ']),
  op(20, 'JUMP', 'jump', 'jump', 'PC <- (A + B)[4:0]; ROUT <- A + B'),
  op(21, 'LWD', 'lwd', 'load', 'ROUT <- mem[column read pointer]; pointer += step'),
  op(22, 'SWD', 'swd', 'store', 'mem[column write pointer] <- A; pointer += step; ROUT clobbered'),
  op(23, 'LWI', 'lwi', 'load', 'ROUT <- mem[B]'),
  op(24, 'SWI', 'swi', 'store', 'mem[B] <- A; ROUT clobbered'),
  op(25, 'EXIT', 'none', 'exit', 'ends the kernel (unless a branch is taken in the same instruction)'),
];

/** Opcode numbers by canonical name (for code that must name one, e.g. the simulator's switch). */
export const OP = Object.fromEntries(OPCODES.map((o) => [o.name, o.code])) as Record<
  'NOP' | 'SADD' | 'SSUB' | 'SMUL' | 'FXPMUL' | 'SLL' | 'SRL' | 'SRA' | 'LAND' | 'LOR' | 'LXOR' | 'LNAND' | 'LNOR' |
  'LXNOR' | 'BSFA' | 'BZFA' | 'BEQ' | 'BNE' | 'BLT' | 'BGE' | 'JUMP' | 'LWD' | 'SWD' | 'LWI' | 'SWI' | 'EXIT', number>;

export const OP_BY_NAME: ReadonlyMap<string, OpInfo> = new Map(
  OPCODES.flatMap((o) => [[o.name, o] as [string, OpInfo], ...o.aliases.map((a) => [a, o] as [string, OpInfo])]));

export const NUM_OPCODES = OPCODES.length; // 26; codes 26..31 are undefined

export function opInfo(code: number): OpInfo | undefined {
  return OPCODES[code];
}

/** Operand sources of muxA / muxB. Codes 11..15 read as 0 (not assembled). */
export interface SrcInfo { code: number; name: string; aliases: string[]; kind: 'zero' | 'self' | 'neighbour' | 'reg' | 'imm'; dr?: number; dc?: number; reg?: number }
export const SOURCES: readonly SrcInfo[] = [
  { code: 0, name: 'ZERO', aliases: [], kind: 'zero' },
  { code: 1, name: 'ROUT', aliases: ['SELF'], kind: 'self' },
  { code: 2, name: 'RCL', aliases: [], kind: 'neighbour', dr: 0, dc: -1 },
  { code: 3, name: 'RCR', aliases: [], kind: 'neighbour', dr: 0, dc: 1 },
  { code: 4, name: 'RCT', aliases: [], kind: 'neighbour', dr: -1, dc: 0 },
  { code: 5, name: 'RCB', aliases: [], kind: 'neighbour', dr: 1, dc: 0 },
  { code: 6, name: 'R0', aliases: [], kind: 'reg', reg: 0 },
  { code: 7, name: 'R1', aliases: [], kind: 'reg', reg: 1 },
  { code: 8, name: 'R2', aliases: [], kind: 'reg', reg: 2 },
  { code: 9, name: 'R3', aliases: [], kind: 'reg', reg: 3 },
  { code: 10, name: 'IMM', aliases: [], kind: 'imm' },
];
export const SRC = { ZERO: 0, ROUT: 1, RCL: 2, RCR: 3, RCT: 4, RCB: 5, R0: 6, R1: 7, R2: 8, R3: 9, IMM: 10 } as const;
export const SRC_BY_NAME: ReadonlyMap<string, SrcInfo> = new Map(
  SOURCES.flatMap((s) => [[s.name, s] as [string, SrcInfo], ...s.aliases.map((a) => [a, s] as [string, SrcInfo])]));

/** Flag sources of muxF (BSFA / BZFA). Codes 5..7 read as 0. */
export interface FlagSrcInfo { code: number; name: string; aliases: string[]; dr: number; dc: number }
export const FLAG_SOURCES: readonly FlagSrcInfo[] = [
  { code: 0, name: 'ROUT', aliases: ['SELF'], dr: 0, dc: 0 },
  { code: 1, name: 'RCL', aliases: [], dr: 0, dc: -1 },
  { code: 2, name: 'RCR', aliases: [], dr: 0, dc: 1 },
  { code: 3, name: 'RCT', aliases: [], dr: -1, dc: 0 },
  { code: 4, name: 'RCB', aliases: [], dr: 1, dc: 0 },
];
export const FLAG_BY_NAME: ReadonlyMap<string, FlagSrcInfo> = new Map(
  FLAG_SOURCES.flatMap((s) => [[s.name, s] as [string, FlagSrcInfo], ...s.aliases.map((a) => [a, s] as [string, FlagSrcInfo])]));

/** Destination names: ROUT only (we = 0) or R0..R3 (we = 1, rd = n). */
export const DESTS = ['ROUT', 'R0', 'R1', 'R2', 'R3'] as const;
