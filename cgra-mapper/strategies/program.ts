// A small program-builder DSL for OpenEdgeCGRA kernels. A kernel is a list of steps; every step holds one
// instruction per PE (NOP unless set). Generators write per-PE programs as typed instruction records
// (`ins.smul('ROUT', 'RCR', 'RCT')`), name steps with labels for branch targets, and `toKernel` encodes
// the grid with the ISA's encoder (cgra-mapper/isa). Keeping every role's program in one place per step
// makes the lockstep schedule (who loads, who multiplies, who branches in which step) readable.
import type { CgraArch } from '../arch.ts';
import { encode, NOP_INSTR, type Instr } from '../isa/encoding.ts';
import type { Kernel } from '../isa/image.ts';
import { IMM_MAX, IMM_MIN, OP, SRC } from '../isa/tables.ts';

export type Reg = 'R0' | 'R1' | 'R2' | 'R3';
export type Dst = 'ROUT' | Reg;
/** Operand: a source name or a literal (the instruction's immediate). */
export type Src = 'ZERO' | 'SELF' | 'RCL' | 'RCR' | 'RCT' | 'RCB' | Reg | number;

/** An instruction whose branch target may still be a label. */
export interface PInstr extends Instr { label?: string }

function srcCode(s: Src): number {
  if (typeof s === 'number') return SRC.IMM;
  return s === 'SELF' ? SRC.ROUT : SRC[s];
}

function build(op: number, dst: Dst, a: Src, b: Src, extraImm?: number): PInstr {
  let imm: number | undefined = extraImm;
  for (const s of [a, b]) {
    if (typeof s === 'number') {
      if (imm !== undefined && imm !== s) throw new Error(`two immediates in one instruction (${imm}, ${s})`);
      imm = s;
    }
  }
  imm ??= 0;
  if (imm < IMM_MIN || imm > IMM_MAX) throw new Error(`immediate ${imm} outside [${IMM_MIN}, ${IMM_MAX}]`);
  return { op, a: srcCode(a), b: srcCode(b), rd: dst === 'ROUT' ? 0 : Number(dst[1]), we: dst === 'ROUT' ? 0 : 1, f: 0, imm };
}

/** Instruction constructors. Register-writing forms set `we`; `ROUT` as destination writes only ROUT. */
export const ins = {
  nop: (): PInstr => ({ ...NOP_INSTR }),
  exit: (): PInstr => ({ ...NOP_INSTR, op: OP.EXIT }),
  sadd: (d: Dst, a: Src, b: Src): PInstr => build(OP.SADD, d, a, b),
  ssub: (d: Dst, a: Src, b: Src): PInstr => build(OP.SSUB, d, a, b),
  smul: (d: Dst, a: Src, b: Src): PInstr => build(OP.SMUL, d, a, b),
  /** Bits 46:15 of the 64-bit product A*B. */
  fxpmul: (d: Dst, a: Src, b: Src): PInstr => build(OP.FXPMUL, d, a, b),
  sll: (d: Dst, a: Src, b: Src): PInstr => build(OP.SLL, d, a, b),
  sra: (d: Dst, a: Src, b: Src): PInstr => build(OP.SRA, d, a, b),
  land: (d: Dst, a: Src, b: Src): PInstr => build(OP.LAND, d, a, b),
  /** ROUT (and d) <- mem[column read pointer]; pointer += step. */
  lwd: (d: Dst, step: number): PInstr => build(OP.LWD, d, 'ZERO', 'ZERO', step),
  /** mem[column write pointer] <- a; pointer += step. */
  swd: (a: Src, step: number): PInstr => build(OP.SWD, 'ROUT', a, 'ZERO', step),
  /** ROUT (and d) <- mem[b]. */
  lwi: (d: Dst, b: Src): PInstr => build(OP.LWI, d, 'ZERO', b),
  /** mem[b] <- a. */
  swi: (b: Src, a: Src): PInstr => build(OP.SWI, 'ROUT', a, b),
  bne: (a: Src, b: Src, label: string): PInstr => ({ ...build(OP.BNE, 'ROUT', a, b), label }),
  blt: (a: Src, b: Src, label: string): PInstr => ({ ...build(OP.BLT, 'ROUT', a, b), label }),
  bge: (a: Src, b: Src, label: string): PInstr => ({ ...build(OP.BGE, 'ROUT', a, b), label }),
};

export type PE = readonly [number, number];

/** Operand that reads `from`'s ROUT at `at` on the 4x4 torus; throws when they are not neighbours. */
export function torusDir(at: PE, from: PE): Src {
  const dr = (from[0] - at[0] + 4) % 4, dc = (from[1] - at[1] + 4) % 4;
  if (dr === 0 && dc === 1) return 'RCR';
  if (dr === 0 && dc === 3) return 'RCL';
  if (dr === 1 && dc === 0) return 'RCB';
  if (dr === 3 && dc === 0) return 'RCT';
  throw new Error(`PE(${from}) is not a neighbour of PE(${at})`);
}
export const torusAdjacent = (a: PE, b: PE): boolean => { try { torusDir(a, b); return true; } catch { return false; } };

/**
 * The checkerboard strategies' multiplier wiring: for each multiplier, two (weight feeder, input feeder)
 * index pairs, both feeders its torus neighbours, covering all 16 pairs over the 8 multipliers; found by
 * backtracking in a fixed order (so the same wiring every time). `ordered`: the two pairs of a multiplier
 * are tried in both orders (the first is multiply step 1); otherwise only in increasing option order.
 */
export function feederPairs(muls: readonly PE[], wFeed: readonly PE[], iFeed: readonly PE[], ordered: boolean, who: string): [number, number][][] {
  const opts = muls.map((m) => {
    const o: [number, number][] = [];
    for (let f = 0; f < wFeed.length; f++) for (let j = 0; j < iFeed.length; j++) if (torusAdjacent(m, wFeed[f]) && torusAdjacent(m, iFeed[j])) o.push([f, j]);
    return o;
  });
  const used = new Set<number>();
  const pick: [number, number][][] = [];
  const go = (i: number): boolean => {
    if (i === muls.length) return used.size === 16;
    for (let a = 0; a < opts[i].length; a++) for (let b = ordered ? 0 : a + 1; b < opts[i].length; b++) {
      if (a === b) continue;
      const ka = opts[i][a][0] * 4 + opts[i][a][1], kb = opts[i][b][0] * 4 + opts[i][b][1];
      if (used.has(ka) || used.has(kb)) continue;
      used.add(ka); used.add(kb); pick.push([opts[i][a], opts[i][b]]);
      if (go(i + 1)) return true;
      used.delete(ka); used.delete(kb); pick.pop();
    }
    return false;
  };
  if (!go(0)) throw new Error(`${who}: no multiplier assignment`);
  return pick;
}

/** A kernel under construction: steps[t] maps "r,c" to an instruction. */
export class KernelBuilder {
  readonly steps: Map<string, PInstr>[] = [];
  readonly labels = new Map<string, number>();
  constructor(readonly arch: CgraArch, readonly id: number, readonly name: string) {}

  /** Appends a step (optionally labelled) and returns its index. */
  step(label?: string): number {
    if (label !== undefined) this.labels.set(label, this.steps.length);
    this.steps.push(new Map());
    return this.steps.length - 1;
  }

  /** Sets PE (r, c)'s instruction in step t (must be unset). */
  set(t: number, [r, c]: PE, i: PInstr): void {
    const key = `${r},${c}`;
    if (this.steps[t].has(key)) throw new Error(`${this.name}: PE(${r},${c}) step ${t} set twice`);
    this.steps[t].set(key, i);
  }

  get(t: number, [r, c]: PE): PInstr | undefined {
    return this.steps[t].get(`${r},${c}`);
  }

  toKernel(): Kernel {
    const n = this.steps.length;
    if (n > this.arch.instrSlots) throw new Error(`${this.name}: ${n} steps, at most ${this.arch.instrSlots}`);
    const words = this.steps.map((m, t) => {
      const branches = [...m.values()].filter((i) => i.label !== undefined).length;
      if (branches > 1) throw new Error(`${this.name}: step ${t} has ${branches} branches (at most one PE may branch)`);
      const rows: number[][] = [];
      for (let r = 0; r < this.arch.rows; r++) {
        const row: number[] = [];
        for (let c = 0; c < this.arch.cols; c++) {
          const p = m.get(`${r},${c}`);
          if (!p) { row.push(0); continue; }
          const { label, ...i } = p;
          if (label !== undefined) {
            const target = this.labels.get(label);
            if (target === undefined) throw new Error(`${this.name}: unknown label ${label}`);
            // The branch target is imm[4:0]; a compare against IMM would need the same bits.
            if (i.a === SRC.IMM || i.b === SRC.IMM) throw new Error(`${this.name}: branch compares with an immediate`);
            i.imm = target;
          }
          row.push(encode(i));
        }
        rows.push(row);
      }
      return rows;
    });
    return { id: this.id, name: this.name, cols: this.arch.cols, words };
  }
}
