// A rough Cortex-M4 cycle model (no wait states, no bus contention) applied to a measured instruction mix.
// Table (../shared/docs/cortex-m.md and the Cortex-M4 TRM's instruction timings, simplified):
//   LDM/POP/STM/PUSH      1 + number of registers          LDRD/STRD   3
//   other loads / stores  2 (LDR, LDRB, LDRH, LDRSB, STR, STRB, ...; back-to-back pipelining ignored)
//   B, BL, BX, BLX, POP {pc} (always taken)  3             conditional branches (taken or not)  2
//   everything else (ALU, SMLAD, SMMLAR, SSAT, SXTAB16, USADA8, MUL, IT, ...)  1
// The mix is measured, not guessed: QEMU's `-d in_asm,exec,nochain` log gives every translated block's
// instructions and every block execution; `mixFromQemuLog` weights each instruction by its executions,
// keeping only blocks that start in the kernel's own functions (symbol prefix), and classifies them.

export type InsnClass = 'ldm_stm' | 'ldrd_strd' | 'load_store' | 'branch' | 'cond_branch' | 'mac' | 'other';

export const CLASS_CYCLES: Record<Exclude<InsnClass, 'ldm_stm'>, number> = {
  ldrd_strd: 3, load_store: 2, branch: 3, cond_branch: 2, mac: 1, other: 1,
};

export interface InsnMix {
  instructions: number;
  byClass: Record<InsnClass, number>;
  /** Registers moved by LDM/STM-class instructions (their cost is 1 + n each). */
  ldmRegisters: number;
  cycles: number;
}

const COND = '(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)';

function countRegs(operands: string): number {
  const m = /\{([^}]*)\}/.exec(operands);
  if (!m) return 1;
  let n = 0;
  for (const part of m[1]!.split(',').map((s) => s.trim()).filter(Boolean)) {
    const r = /^r(\d+)\s*-\s*r(\d+)$/.exec(part);
    n += r ? Number(r[2]) - Number(r[1]) + 1 : 1;
  }
  return n;
}

/** Class and cycles of one disassembled instruction (mnemonic + operands, as QEMU or objdump print them). */
export function classify(mnemonic: string, operands: string): { cls: InsnClass; cycles: number; regs: number } {
  const m = mnemonic.toLowerCase().replace(/\.(w|n)$/, '');
  if (/^(ldm|stm|push|pop)/.test(m)) {
    const regs = countRegs(operands);
    const toPc = /^(ldm|pop)/.test(m) && /\bpc\b/.test(operands);
    return { cls: 'ldm_stm', cycles: 1 + regs + (toPc ? 2 : 0), regs };
  }
  if (/^(ldrd|strd)/.test(m)) return { cls: 'ldrd_strd', cycles: CLASS_CYCLES.ldrd_strd, regs: 0 };
  if (/^(ldr|str|ldrex|strex)/.test(m)) {
    const toPc = /^ldr/.test(m) && /^pc\b/.test(operands.trim());
    return { cls: 'load_store', cycles: CLASS_CYCLES.load_store + (toPc ? 2 : 0), regs: 0 };
  }
  if (new RegExp(`^b${COND}$`).test(m) || /^(cbz|cbnz)$/.test(m)) return { cls: 'cond_branch', cycles: CLASS_CYCLES.cond_branch, regs: 0 };
  if (/^(b|bl|blx|bx)$/.test(m)) return { cls: 'branch', cycles: CLASS_CYCLES.branch, regs: 0 };
  if (/^(smla|smua|smus|smls|smml|smul|usad|mla|mls|mul|umla|umul|smlal)/.test(m)) return { cls: 'mac', cycles: 1, regs: 0 };
  return { cls: 'other', cycles: 1, regs: 0 };
}

interface TbInsn { mnemonic: string; operands: string }

/**
 * Instruction mix of the blocks whose symbol starts with `fnPrefix`, from a QEMU log written with
 * `-d in_asm,exec,nochain` (every block execution is logged when chaining is off).
 */
export function mixFromQemuLog(log: string, fnPrefix: string | string[]): InsnMix {
  const prefixes = Array.isArray(fnPrefix) ? fnPrefix : [fnPrefix];
  const tbs = new Map<number, { sym: string; insns: TbInsn[] }>();
  const execs = new Map<number, number>();
  let cur: { sym: string; insns: TbInsn[] } | undefined;
  for (const line of log.split('\n')) {
    if (line.startsWith('IN: ')) { cur = { sym: line.slice(4).trim(), insns: [] }; continue; }
    const ins = /^0x([0-9a-f]+):\s+(?:[0-9a-f]{4}\s?)+\s+(\S+)\s*(.*)$/.exec(line);
    if (ins && cur) {
      if (cur.insns.length === 0) tbs.set(parseInt(ins[1]!, 16), cur);
      cur.insns.push({ mnemonic: ins[2]!, operands: ins[3]! });
      continue;
    }
    if (line.startsWith('Trace ')) {
      const t = /\[[0-9a-f]+\/([0-9a-f]+)\//.exec(line);
      if (t) { const pc = parseInt(t[1]!, 16); execs.set(pc, (execs.get(pc) ?? 0) + 1); }
      cur = undefined;
    }
  }
  const byClass: Record<InsnClass, number> = { ldm_stm: 0, ldrd_strd: 0, load_store: 0, branch: 0, cond_branch: 0, mac: 0, other: 0 };
  let instructions = 0, cycles = 0, ldmRegisters = 0;
  for (const [pc, n] of execs) {
    const tb = tbs.get(pc);
    if (!tb || !prefixes.some((p) => tb.sym.startsWith(p))) continue;
    for (const i of tb.insns) {
      const c = classify(i.mnemonic, i.operands);
      byClass[c.cls] += n;
      instructions += n;
      cycles += n * c.cycles;
      ldmRegisters += n * c.regs;
    }
  }
  return { instructions, byClass, ldmRegisters, cycles };
}
