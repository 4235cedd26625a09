// Thumb / Thumb-2 instruction classes for the cycle model: from an instruction's bytes (as the QEMU plugin
// writes them, little-endian halfwords) to what timing depends on: the class (ALU, load, store, multiple
// transfer with its register count, multiply, long multiply, divide, branch kinds, FP), whether it writes
// the PC, and the registers it reads and writes (for load-use and dual-issue dependences). Encodings from
// the ARMv7-M / ARMv8-M Architecture Reference Manuals (Thumb instruction set encoding tables). Classes
// the timing does not distinguish (coprocessor, system) fall into 'alu' or 'sys'.

export type InsnClass =
  | 'alu' | 'load' | 'store' | 'ldm' | 'stm' | 'ldrd' | 'strd'
  | 'mul' | 'mac' | 'lmul' | 'div'
  | 'b' | 'bcc' | 'bl' | 'bx' | 'cbz' | 'tb' | 'it' | 'nop' | 'fp' | 'fpmem' | 'sys'
  // Helium (MVE, Armv8.1-M): contiguous vector load/store, gather/scatter (nregs = lanes), other vector
  // instructions (arithmetic, MACs, reductions, predication), two general registers to or from two lanes.
  | 'vmem' | 'vgather' | 'vop' | 'vmov';

export interface Insn {
  cls: InsnClass;
  /** 2 or 4 bytes. */
  size: number;
  /** Registers transferred by LDM/STM/PUSH/POP (N of the TRMs' 1+N), 0 otherwise. */
  nregs: number;
  /** The instruction may write the PC (POP {pc}, LDR pc, MOV/ADD pc, BX, every branch). */
  writesPc: boolean;
  /** Bit masks of core registers read and written (r0..r15); best effort, 0 where not decoded. */
  use: number;
  def: number;
  /** Load or store addressed PC-relative (literal pool). */
  literal?: boolean;
  /** Load or store with a register offset ([Rn, Rm]). */
  regOffset?: boolean;
  /** Registers a load/store computes its address from (base, offset). */
  addr?: number;
}

const bit = (r: number) => 1 << r;
const popcount = (x: number) => { let n = 0; while (x) { n += x & 1; x >>>= 1; } return n; };

/** Decodes one instruction from hex bytes (2 or 4 bytes, little-endian halfwords). */
export function decode(hex: string): Insn {
  const hw1 = parseInt(hex.slice(2, 4) + hex.slice(0, 2), 16);
  if (hex.length >= 8 && (hw1 >>> 11) >= 0x1d) return decode32(hw1, parseInt(hex.slice(6, 8) + hex.slice(4, 6), 16));
  return decode16(hw1);
}

function ins(cls: InsnClass, size: number, use = 0, def = 0, extra: Partial<Insn> = {}): Insn {
  return { cls, size, nregs: 0, writesPc: false, use, def, ...extra };
}

function decode16(h: number): Insn {
  const r0 = h & 7, r3 = (h >> 3) & 7, r6 = (h >> 6) & 7, r8 = (h >> 8) & 7;
  if ((h >> 14) === 0) {
    // shift (imm), add/sub (reg/imm3), mov/cmp/add/sub (imm8)
    if ((h >> 11) === 3) return ins('alu', 2, bit(r3) | ((h & 0x400) ? 0 : bit(r6)), bit(r0)); // add/sub
    if ((h >> 13) === 0) return ins('alu', 2, bit(r3), bit(r0));
    return ins('alu', 2, bit(r8), bit(r8));
  }
  if ((h >> 10) === 0x10) {
    // data processing register
    if ((h & 0xffc0) === 0x4340) return ins('mul', 2, bit(r0) | bit(r3), bit(r0));
    return ins('alu', 2, bit(r0) | bit(r3), bit(r0));
  }
  if ((h >> 10) === 0x11) {
    // special data processing, BX/BLX
    if ((h & 0xff00) === 0x4700) {
      const rm = (h >> 3) & 15;
      return (h & 0x80) ? ins('bx', 2, bit(rm), bit(14) | bit(15), { writesPc: true }) : ins('bx', 2, bit(rm), bit(15), { writesPc: true });
    }
    const rd = (h & 7) | ((h >> 4) & 8), rm = (h >> 3) & 15;
    const op = (h >> 8) & 3;
    if (op === 1) return ins('alu', 2, bit(rd) | bit(rm), 0); // cmp
    if (rd === 15) return ins('bx', 2, bit(rm), bit(15), { writesPc: true });
    return ins('alu', 2, bit(rm) | (op === 0 ? bit(rd) : 0), bit(rd));
  }
  if ((h >> 11) === 9) return ins('load', 2, bit(15), bit(r8), { literal: true });
  if ((h >> 12) === 5) {
    const op = (h >> 9) & 7;
    const addr = bit(r3) | bit(r6);
    return op <= 2 ? ins('store', 2, bit(r0) | addr, 0, { regOffset: true, addr }) : ins('load', 2, addr, bit(r0), { regOffset: true, addr });
  }
  if ((h >> 13) === 3 || (h >> 12) === 8) {
    // LDR/STR(B) imm, LDRH/STRH imm
    return (h & 0x800) ? ins('load', 2, bit(r3), bit(r0), { addr: bit(r3) }) : ins('store', 2, bit(r0) | bit(r3), 0, { addr: bit(r3) });
  }
  if ((h >> 12) === 9) return (h & 0x800) ? ins('load', 2, bit(13), bit(r8), { addr: bit(13) }) : ins('store', 2, bit(13) | bit(r8), 0, { addr: bit(13) });
  if ((h >> 12) === 10) return ins('alu', 2, (h & 0x800) ? bit(13) : bit(15), bit(r8)); // ADD rd, sp/pc, #imm
  if ((h >> 12) === 11) {
    // miscellaneous
    if ((h & 0xfe00) === 0xb400) { const n = popcount(h & 0xff) + ((h >> 8) & 1); return ins('stm', 2, (h & 0xff) | ((h & 0x100) ? bit(14) : 0) | bit(13), bit(13), { nregs: n }); }
    if ((h & 0xfe00) === 0xbc00) {
      const pc = (h >> 8) & 1, n = popcount(h & 0xff) + pc;
      return ins('ldm', 2, bit(13), (h & 0xff) | bit(13) | (pc ? bit(15) : 0), { nregs: n, writesPc: pc === 1 });
    }
    if ((h & 0xf500) === 0xb100) return ins('cbz', 2, bit(r0), 0, { writesPc: true });
    if ((h & 0xff00) === 0xbf00) return (h & 0xf) ? ins('it', 2) : ins('nop', 2);
    if ((h & 0xff00) === 0xb000) return ins('alu', 2, bit(13), bit(13));
    if ((h & 0xff00) === 0xbe00) return ins('sys', 2);
    if ((h & 0xffe0) === 0xb660) return ins('sys', 2);
    return ins('alu', 2, bit(r3), bit(r0)); // SXTH/SXTB/UXTH/UXTB/REV*
  }
  if ((h >> 12) === 12) {
    const rn = r8, list = h & 0xff, n = popcount(list);
    return (h & 0x800) ? ins('ldm', 2, bit(rn), list | bit(rn), { nregs: n, addr: bit(rn) }) : ins('stm', 2, list | bit(rn), bit(rn), { nregs: n, addr: bit(rn) });
  }
  if ((h >> 12) === 13) {
    const cond = (h >> 8) & 15;
    if (cond >= 14) return ins('sys', 2); // UDF, SVC
    return ins('bcc', 2, 0, bit(15), { writesPc: true });
  }
  if ((h >> 11) === 0x1c) return ins('b', 2, 0, bit(15), { writesPc: true });
  return ins('alu', 2);
}

function decode32(h1: number, h2: number): Insn {
  const rn = h1 & 15, rd = (h2 >> 8) & 15, rt = (h2 >> 12) & 15, rm = h2 & 15;
  const top = h1 >> 11;
  if (top === 0x1d) {
    const op1 = (h1 >> 9) & 3;
    if (op1 === 0) {
      if ((h1 & 0x40) === 0) {
        // LDM/STM (and PUSH.W/POP.W)
        const list = h2 & 0xffff, n = popcount(list), load = (h1 & 0x10) !== 0;
        return load ? ins('ldm', 4, bit(rn), list | bit(rn), { nregs: n, writesPc: (list & 0x8000) !== 0, addr: bit(rn) })
          : ins('stm', 4, list | bit(rn), bit(rn), { nregs: n, addr: bit(rn) });
      }
      if ((h1 & 0xfff0) === 0xe8d0 && (h2 & 0xffe0) === 0xf000) return ins('tb', 4, bit(rn) | bit(rm), bit(15), { writesPc: true });
      const load = (h1 & 0x10) !== 0;
      if ((h1 & 0x1a0) === 0) return load ? ins('load', 4, bit(rn), bit(rt)) : ins('store', 4, bit(rn) | bit(rt), bit(rd)); // LDREX/STREX
      return load ? ins('ldrd', 4, bit(rn), bit(rt) | bit(rd), { literal: rn === 15, addr: bit(rn) }) : ins('strd', 4, bit(rn) | bit(rt) | bit(rd), 0, { addr: bit(rn) });
    }
    if (op1 === 1) return ins('alu', 4, bit(rn) | bit(rm), bit(rd)); // data processing (shifted register)
    return fpInsn(h1, h2);
  }
  if (top === 0x1e) {
    if ((h2 & 0x8000) === 0) return ins('alu', 4, bit(rn), bit(rd)); // data processing (immediate)
    if ((h2 & 0x5000) === 0x5000) return ins('bl', 4, 0, bit(14) | bit(15), { writesPc: true });
    if ((h2 & 0x5000) === 0x1000) return ins('b', 4, 0, bit(15), { writesPc: true });
    if (((h1 >> 6) & 0xe) !== 0xe) return ins('bcc', 4, 0, bit(15), { writesPc: true });
    if ((h1 & 0xfff0) === 0xf3a0 && (h2 & 0xff00) === 0x8000) return ins('nop', 4); // hints incl. DBG
    return ins('sys', 4);
  }
  // top === 0x1f
  if ((h1 & 0xfe00) === 0xf800 || (h1 & 0xfe00) === 0xf900) {
    // load/store single; with Rt = PC a load is a branch (or PLD when it is a hint)
    const load = (h1 & 0x10) !== 0;
    const regForm = (h1 & 0x80) === 0 && (h2 & 0x0fc0) === 0 && rn !== 15;
    const use = bit(rn) | (regForm ? bit(rm) : 0);
    if (!load) return ins('store', 4, use | bit(rt), 0, { regOffset: regForm, addr: use });
    if (rt === 15) return (h1 & 0x60) === 0x40 ? ins('bx', 4, use, bit(15), { writesPc: true }) : ins('nop', 4, use, 0);
    return ins('load', 4, use, bit(rt), { literal: rn === 15, regOffset: regForm, addr: use });
  }
  if ((h1 & 0xff00) === 0xfa00) return ins('alu', 4, bit(rn) | bit(rm), bit(rd)); // shifts, extends, parallel add, CLZ, REV
  if ((h1 & 0xff80) === 0xfb00) {
    // multiply, multiply-accumulate (Ra = 15: plain multiply)
    return rt === 15 ? ins('mul', 4, bit(rn) | bit(rm), bit(rd)) : ins('mac', 4, bit(rn) | bit(rm) | bit(rt), bit(rd));
  }
  if ((h1 & 0xff80) === 0xfb80) {
    const op1 = (h1 >> 4) & 7;
    if (op1 === 1 || op1 === 3) return ins('div', 4, bit(rn) | bit(rm), bit(rd));
    const acc = op1 >= 4;
    return ins('lmul', 4, bit(rn) | bit(rm) | (acc ? bit(rt) | bit(rd) : 0), bit(rt) | bit(rd), { nregs: acc ? 1 : 0 });
  }
  return fpInsn(h1, h2);
}

/**
 * MVE instructions (Armv8.1-M ARM, MVE encodings): they live in the coprocessor space with coprocessor field
 * 14/15 (bits 11:9 of the second halfword = 111), or in the 0xEF/0xFF (Advanced SIMD style) space. Memory
 * forms: P = W = 0 is the vector-offset (gather/scatter) form, lanes from the size field (bits 8:7); VMOV of
 * two general registers to/from two lanes is 0xEC0x/0xEC1x. Undefined where it is an FP instruction.
 */
function mveInsn(h1: number, h2: number): Insn | undefined {
  const cp1415 = ((h2 >> 9) & 7) === 7;
  if ((h1 & 0xffe0) === 0xec00 && cp1415) return ins('vmov', 4, bit((h2 >> 0) & 15) | bit(h1 & 15), 0);
  if ((h1 & 0xee00) === 0xec00 && cp1415) {
    const rn = h1 & 15, load = (h1 & 0x10) !== 0;
    const gather = (h1 & 0x0120) === 0;
    if (gather) {
      const size = (h2 >> 7) & 3;
      return ins('vgather', 4, bit(rn), 0, { nregs: 16 >> size, addr: bit(rn) });
    }
    return ins('vmem', 4, bit(rn), (h1 & 0x20) ? bit(rn) : 0, { addr: bit(rn), nregs: load ? 1 : 0 });
  }
  if ((h1 & 0xef00) === 0xef00) return ins('vop', 4);
  if ((h1 & 0xef00) === 0xee00 && cp1415) return ins('vop', 4, 0, (h1 & 0x0010) && ((h2 >> 12) & 15) !== 15 ? bit((h2 >> 12) & 15) : 0);
  // VDUP / VMOV lane: 0xEE8x-0xEEBx (VDUP) and 0xEE0x-0xEE3x (lane insert) with 1011 in bits 11:8, 0x10 below.
  if ((h1 & 0xff00) === 0xee00 && (h2 & 0x0f5f) === 0x0b10) return ins('vop', 4, bit((h2 >> 12) & 15), 0);
  return undefined;
}

function fpInsn(h1: number, h2: number): Insn {
  const mve = mveInsn(h1, h2);
  if (mve) return mve;
  // coprocessor space: VLDR/VSTR/VLDM/VSTM/VPUSH/VPOP (coprocessor load/store) vs FP data processing
  if ((h1 & 0xee00) === 0xec00 && (h1 & 0x01a0) !== 0) {
    const dbl = ((h2 >> 8) & 15) === 0xb;
    const single = (h1 & 0x0120) === 0x0100; // VLDR/VSTR: P = 1, W = 0
    return ins('fpmem', 4, bit(h1 & 15), 0, { nregs: single ? (dbl ? 2 : 1) : Math.max(1, h2 & 0xff) });
  }
  return ins('fp', 4);
}
