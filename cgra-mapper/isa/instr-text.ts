// One PE instruction as text <-> Instr, in the ESL-CGRA-simulator's spelling (forms in tables.ts OpForm):
//   SADD R2, R2, RCL     SMUL ROUT, R3, 5     BSFA R0, R1, ZERO, RCT     BNE R0, ZERO, loop
//   LWD R0, 4            SWD R1, 4            LWI R3, RCB                SWI R1, RCL   (address, value)
//   JUMP 3               JUMP R0, 2           NOP   EXIT                 .word 0x971d0000 (a raw word)
// A literal number operand is the immediate (IMM source); one instruction has one immediate, so two
// different literal values (or a literal operand plus a different branch target / pointer step) are an
// error. `formatInstr` prints the canonical text of a word, or `.word 0x...` when the word is not exactly
// what the text would assemble to (unused fields set, mux codes 11..15), so disassembly never loses bits.
//
// API: `parseInstr(text, ctx) -> Instr` (throws InstrError with the broken rule), `formatInstr(word) -> string`.
import { decode, encode, type Instr } from './encoding.ts';
import { FLAG_BY_NAME, FLAG_SOURCES, IMM_MAX, IMM_MIN, NUM_OPCODES, OPCODES, OP_BY_NAME, SOURCES, SRC, SRC_BY_NAME } from './tables.ts';

/** A rule broken by one instruction's text; the assembler adds file, line, PE and step. */
export class InstrError extends Error {}

export interface InstrContext {
  /** Instructions per PE in the kernel (branch / jump targets must be below it). */
  nInstr: number;
  /** Step labels for branch targets. */
  labels?: ReadonlyMap<string, number>;
  /** Pointer step used when an LWD/SWD omits it (the ESL tools' old form); undefined makes it required. */
  defaultStep?: number;
}

const NUM_RE = /^[-+]?(0x[0-9a-f]+|0b[01]+|\d+)$/i;

function parseNum(t: string): number | undefined {
  if (!NUM_RE.test(t)) return undefined;
  const neg = t.startsWith('-');
  const body = t.replace(/^[-+]/, '');
  const v = Number(body);
  return neg ? -v : v;
}

export function parseInstr(text: string, ctx: InstrContext): Instr {
  const src = text.trim();
  const m = /^(\S+)\s*(.*)$/.exec(src);
  if (!m) throw new InstrError('empty instruction (write NOP for an idle PE)');
  const mnem = m[1].toUpperCase();
  const args = m[2].trim() === '' ? [] : m[2].split(',').map((s) => s.trim());
  if (args.some((a) => a === '')) throw new InstrError(`empty operand in '${src}'`);

  if (mnem === '.WORD') {
    if (args.length !== 1) throw new InstrError(`.word takes one 32-bit value, got '${src}'`);
    const v = parseNum(args[0]);
    if (v === undefined || v < 0 || v > 0xffffffff) throw new InstrError(`.word value '${args[0]}' is not a 32-bit unsigned number`);
    const i = decode(v);
    if (i.op >= NUM_OPCODES) throw new InstrError(`undefined opcode ${i.op} in .word ${args[0]} (defined: 0..${NUM_OPCODES - 1})`);
    return i;
  }

  const info = OP_BY_NAME.get(mnem);
  if (!info) throw new InstrError(`undefined opcode '${m[1]}' (known: ${OPCODES.map((o) => o.name).join(' ')})`);
  const ins: Instr = { op: info.code, a: 0, b: 0, rd: 0, we: 0, f: 0, imm: 0 };
  let immUse: { v: number; what: string } | undefined;
  const setImm = (v: number, what: string): void => {
    if (!Number.isInteger(v) || v < IMM_MIN || v > IMM_MAX) throw new InstrError(`${what} ${v} does not fit the 13-bit signed immediate [${IMM_MIN}, ${IMM_MAX}]`);
    if (immUse && immUse.v !== v) {
      throw new InstrError(`immediate used twice: ${immUse.what} ${immUse.v} and ${what} ${v} (one immediate per instruction; use ZERO for 0 or a register)`);
    }
    immUse = { v, what };
    ins.imm = v;
  };
  const operand = (t: string, what: string): number => {
    const n = parseNum(t);
    if (n !== undefined) { setImm(n, `${what} immediate`); return SRC.IMM; }
    const s = SRC_BY_NAME.get(t.toUpperCase());
    if (!s || s.kind === 'imm') throw new InstrError(`bad ${what} '${t}' (valid: ${SOURCES.filter((x) => x.kind !== 'imm').map((x) => x.name).join(' ')} or a number)`);
    return s.code;
  };
  const dest = (t: string): void => {
    const u = t.toUpperCase();
    if (u === 'ROUT' || u === 'SELF') return;
    const r = /^R([0-3])$/.exec(u);
    if (!r) throw new InstrError(`bad destination '${t}' (valid: ROUT R0 R1 R2 R3)`);
    ins.rd = Number(r[1]);
    ins.we = 1;
  };
  const target = (t: string, what: string): number => {
    const n = parseNum(t) ?? ctx.labels?.get(t);
    if (n === undefined) throw new InstrError(`bad ${what} '${t}' (a step number or a label)`);
    if (!Number.isInteger(n) || n < 0 || n >= ctx.nInstr) {
      throw new InstrError(`${what} ${t} is past the kernel (steps 0..${ctx.nInstr - 1})`);
    }
    return n;
  };
  const arity = (...ok: number[]): void => {
    if (!ok.includes(args.length)) throw new InstrError(`${info.name} takes ${ok.join(' or ')} operand(s), got ${args.length} in '${src}'`);
  };
  const step = (i: number): void => {
    if (args.length > i) {
      const v = parseNum(args[i]);
      if (v === undefined) throw new InstrError(`pointer step '${args[i]}' of ${info.name} is not a number`);
      setImm(v, 'pointer step');
    } else if (ctx.defaultStep !== undefined) {
      setImm(ctx.defaultStep, 'pointer step');
    } else {
      throw new InstrError(`${info.name} needs its pointer step, e.g. '${info.name} ${args[0] ?? 'R0'}, 4' (0 for paper-era bitstreams)`);
    }
  };

  switch (info.form) {
    case 'none': arity(0); break;
    case 'alu': arity(3); dest(args[0]); ins.a = operand(args[1], 'operand A'); ins.b = operand(args[2], 'operand B'); break;
    case 'sel': {
      arity(4); dest(args[0]); ins.a = operand(args[1], 'operand A'); ins.b = operand(args[2], 'operand B');
      const f = FLAG_BY_NAME.get(args[3].toUpperCase());
      if (!f) throw new InstrError(`bad flag source '${args[3]}' (valid: ${FLAG_SOURCES.map((x) => x.name).join(' ')})`);
      ins.f = f.code;
      break;
    }
    case 'branch': {
      arity(3); ins.a = operand(args[0], 'operand A'); ins.b = operand(args[1], 'operand B');
      const t = target(args[2], 'branch target');
      if (immUse && (immUse.v & 31) !== t) {
        throw new InstrError(`immediate used twice: ${immUse.what} ${immUse.v} and branch target ${t} (the target lives in the immediate; use a register or ZERO)`);
      }
      if (!immUse) setImm(t, 'branch target');
      break;
    }
    case 'jump':
      arity(1, 2);
      if (args.length === 1) { ins.a = SRC.IMM; setImm(target(args[0], 'jump target'), 'jump target'); ins.b = SRC.ZERO; }
      else { ins.a = operand(args[0], 'operand A'); ins.b = operand(args[1], 'operand B'); }
      break;
    case 'lwd': arity(1, 2); dest(args[0]); step(1); break;
    case 'swd': arity(1, 2); ins.a = operand(args[0], 'stored value'); step(1); break;
    case 'lwi': arity(2); dest(args[0]); ins.b = operand(args[1], 'address'); break;
    case 'swi': arity(2); ins.b = operand(args[0], 'address'); ins.a = operand(args[1], 'stored value'); break;
  }
  return ins;
}

function srcText(code: number, imm: number): string | undefined {
  if (code === SRC.IMM) return String(imm);
  return code < SOURCES.length ? SOURCES[code].name : undefined;
}

/** Canonical text of one instruction word (`.word 0x...` when no text assembles to exactly this word). */
export function formatInstr(word: number): string {
  const raw = `.word 0x${(word >>> 0).toString(16).padStart(8, '0')}`;
  const i = decode(word);
  const info = OPCODES[i.op];
  if (!info) return raw;
  const A = srcText(i.a, i.imm), B = srcText(i.b, i.imm);
  const D = i.we ? `R${i.rd}` : 'ROUT';
  let t: string | undefined;
  switch (info.form) {
    case 'none': t = info.name; break;
    case 'alu': t = A && B && `${info.name} ${D}, ${A}, ${B}`; break;
    case 'sel': t = A && B && i.f < FLAG_SOURCES.length ? `${info.name} ${D}, ${A}, ${B}, ${FLAG_SOURCES[i.f].name}` : undefined; break;
    case 'branch': t = A && B && `${info.name} ${A}, ${B}, ${i.imm & 31}`; break;
    case 'jump': t = i.a === SRC.IMM && i.b === SRC.ZERO ? `JUMP ${i.imm}` : A && B && `JUMP ${A}, ${B}`; break;
    case 'lwd': t = `LWD ${D}, ${i.imm}`; break;
    case 'swd': t = A && `SWD ${A}, ${i.imm}`; break;
    case 'lwi': t = B && `LWI ${D}, ${B}`; break;
    case 'swi': t = A && B && `SWI ${B}, ${A}`; break;
  }
  if (!t) return raw;
  try {
    if (encode(parseInstr(t, { nInstr: 32 })) === word >>> 0) return t;
  } catch { /* not canonical */ }
  return raw;
}
