// RV32IMC instruction classes for the cycle model (the RISC-V counterpart of thumb.ts): from an instruction's
// bytes as the QEMU plugin writes them (memory order, 2 or 4 bytes) to what the timing of X-HEEP's cores
// depends on: the class (ALU, load, store, MUL, MULH*, DIV/REM, jump, jump-and-link, indirect jump,
// conditional branch, system), whether it writes the PC, and the registers it reads and writes (x1..x31 as
// bits; x0 is never a dependence). Encodings from the RISC-V unprivileged ISA manual (RV32I base opcode
// map, the M extension, and the RVC quadrant tables for RV32). The `Insn` record is thumb.ts's, so the
// profile reader (model.ts parseProfile) takes this decoder in place of the Thumb one.
import type { Insn, InsnClass } from './thumb.ts';

const bit = (r: number): number => (r === 0 ? 0 : (1 << r) | 0);

function ins(cls: InsnClass, size: number, use = 0, def = 0, extra: Partial<Insn> = {}): Insn {
  return { cls, size, nregs: 0, writesPc: cls === 'b' || cls === 'bcc' || cls === 'bl' || cls === 'bx', use, def, ...extra };
}

/** Decodes one RV32IMC instruction from hex bytes in memory order (little-endian). */
export function decodeRv32(hex: string): Insn {
  const byte = (k: number) => parseInt(hex.slice(2 * k, 2 * k + 2), 16);
  const h = byte(0) | (byte(1) << 8);
  if ((h & 3) !== 3) return decode16(h);
  return decode32((h | (byte(2) << 16) | (byte(3) << 24)) >>> 0);
}

function decode32(w: number): Insn {
  const op = w & 0x7f, rd = (w >>> 7) & 31, f3 = (w >>> 12) & 7, rs1 = (w >>> 15) & 31, rs2 = (w >>> 20) & 31, f7 = w >>> 25;
  switch (op) {
    case 0x37: case 0x17: return ins('alu', 4, 0, bit(rd)); // LUI, AUIPC
    case 0x6f: return ins(rd === 0 ? 'b' : 'bl', 4, 0, bit(rd)); // JAL
    case 0x67: return ins('bx', 4, bit(rs1), bit(rd)); // JALR
    case 0x63: return ins('bcc', 4, bit(rs1) | bit(rs2)); // BEQ..BGEU
    case 0x03: return ins('load', 4, bit(rs1), bit(rd), { addr: bit(rs1) });
    case 0x23: return ins('store', 4, bit(rs1) | bit(rs2), 0, { addr: bit(rs1) });
    case 0x13: return rd === 0 ? ins('nop', 4) : ins('alu', 4, bit(rs1), bit(rd)); // OP-IMM; rd = x0: NOP and HINTs (the markers)
    case 0x33: {
      if (f7 === 1) {
        // M extension: MUL; MULH, MULHSU, MULHU (upper word); DIV, DIVU, REM, REMU
        const cls: InsnClass = f3 === 0 ? 'mul' : f3 <= 3 ? 'lmul' : 'div';
        return ins(cls, 4, bit(rs1) | bit(rs2), bit(rd));
      }
      return rd === 0 ? ins('nop', 4) : ins('alu', 4, bit(rs1) | bit(rs2), bit(rd));
    }
    case 0x73: return ins('sys', 4, f3 === 0 ? 0 : bit(rs1), f3 === 0 ? 0 : bit(rd)); // ECALL/EBREAK, CSR*
    default: return ins('sys', 4); // FENCE, FENCE.I, anything outside RV32IMC
  }
}

function decode16(h: number): Insn {
  const q = h & 3, f3 = h >>> 13;
  const rdp = ((h >>> 2) & 7) + 8, rs1p = ((h >>> 7) & 7) + 8; // the 3-bit register fields: x8..x15
  const rd = (h >>> 7) & 31, rs2 = (h >>> 2) & 31;
  if (q === 0) {
    if (f3 === 0) return ins('alu', 2, bit(2), bit(rdp)); // C.ADDI4SPN
    if (f3 === 2) return ins('load', 2, bit(rs1p), bit(rdp), { addr: bit(rs1p) }); // C.LW
    if (f3 === 6) return ins('store', 2, bit(rs1p) | bit(rdp), 0, { addr: bit(rs1p) }); // C.SW
    return ins('sys', 2);
  }
  if (q === 1) {
    switch (f3) {
      case 0: return rd === 0 ? ins('nop', 2) : ins('alu', 2, bit(rd), bit(rd)); // C.NOP, C.ADDI
      case 1: return ins('bl', 2, 0, bit(1)); // C.JAL (RV32)
      case 2: return ins('alu', 2, 0, bit(rd)); // C.LI
      case 3: return rd === 2 ? ins('alu', 2, bit(2), bit(2)) : ins('alu', 2, 0, bit(rd)); // C.ADDI16SP, C.LUI
      case 4: {
        const sub = (h >>> 10) & 3;
        if (sub < 3) return ins('alu', 2, bit(rs1p), bit(rs1p)); // C.SRLI, C.SRAI, C.ANDI
        return ins('alu', 2, bit(rs1p) | bit(rdp), bit(rs1p)); // C.SUB, C.XOR, C.OR, C.AND
      }
      case 5: return ins('b', 2); // C.J
      default: return ins('bcc', 2, bit(rs1p)); // C.BEQZ, C.BNEZ
    }
  }
  if (q === 2) {
    if (f3 === 0) return ins('alu', 2, bit(rd), bit(rd)); // C.SLLI
    if (f3 === 2) return ins('load', 2, bit(2), bit(rd), { addr: bit(2) }); // C.LWSP
    if (f3 === 6) return ins('store', 2, bit(2) | bit(rs2), 0, { addr: bit(2) }); // C.SWSP
    if (f3 === 4) {
      const b12 = (h >>> 12) & 1;
      if (b12 === 0) return rs2 === 0 ? ins('bx', 2, bit(rd)) : ins('alu', 2, bit(rs2), bit(rd)); // C.JR, C.MV
      if (rs2 === 0) return rd === 0 ? ins('sys', 2) : ins('bx', 2, bit(rd), bit(1)); // C.EBREAK, C.JALR
      return ins('alu', 2, bit(rd) | bit(rs2), bit(rd)); // C.ADD
    }
  }
  return ins('sys', 2);
}
