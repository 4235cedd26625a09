// The RV32 cycle model (mcu-backend/timing/rv32-model.ts) on instruction micro-sequences run on QEMU riscv32
// under the plugin's block profile: each sequence sits between the markers `srli x0, x0, 1` and `srli x0, x0,
// 2`, and the modelled cycles of that segment must equal the count worked out by hand below from the user
// manuals' timing (CV32E40P: "Cycle counts per instruction type" and "Hazards"; CV32E20: the stall-cycle
// table, X stalls = X + 1 cycles, with the fast multiplier). Every expected value includes 1 cycle for the
// opening marker (a NOP-class HINT); the closing marker belongs to the next segment. The decoder is also
// checked on encodings taken from the ISA manual's tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRv32, runRv32 } from '../../mcu-backend/harness/rv32.ts';
import { readRv32Profile, rv32SegmentCycles } from '../../mcu-backend/timing/rv32-model.ts';
import { regionCycles } from '../../mcu-backend/timing/model.ts';
import { decodeRv32 } from '../../mcu-backend/timing/rv32.ts';
import { scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

interface Seq { name: string; pre?: string; asm: string; cv32e40p: number; cv32e20: number }

// a2 points at a buffer; `pre` runs before the opening marker (not counted).
const SEQS: Seq[] = [
  // 8 x ADDI: 1 each on both.
  { name: 'alu', asm: 'addi a0, a0, 1\n'.repeat(8), cv32e40p: 1 + 8, cv32e20: 1 + 8 },
  // Three independent loads: E40P 1 each; E20 2 each (1 stall awaiting the data).
  { name: 'lw x3', asm: 'lw a1, 0(a2)\nlw a3, 4(a2)\nlw a4, 8(a2)\n', cv32e40p: 1 + 3, cv32e20: 1 + 6 },
  // A load whose result the next instruction uses: E40P 1 + 1 (load data hazard) + 1; E20 2 + 1.
  { name: 'load-use', asm: 'lw a1, 0(a2)\nadd a0, a1, a1\n', cv32e40p: 1 + 3, cv32e20: 1 + 3 },
  // Two stores: E40P 1 each, E20 2 each.
  { name: 'sw x2', asm: 'sw a1, 12(a2)\nsw a1, 16(a2)\n', cv32e40p: 1 + 2, cv32e20: 1 + 4 },
  // MUL: E40P 1 (single-cycle multiplier); E20 3 (fast multiplier: 2 stalls).
  { name: 'mul x2', asm: 'mul a0, a0, a3\nmul a1, a1, a3\n', cv32e40p: 1 + 2, cv32e20: 1 + 6 },
  // MULH: E40P 5; E20 4 (3 stalls).
  { name: 'mulh', asm: 'mulh a0, a0, a3\n', cv32e40p: 1 + 5, cv32e20: 1 + 4 },
  // DIV by 40000 (16 leading zeros): E40P 3 + 16 = 19; E20 38 (37 stalls).
  { name: 'div', pre: 'li a3, 40000\n', asm: 'div a0, a0, a3\n', cv32e40p: 1 + 19, cv32e20: 1 + 38 },
  // C.J to a compressed instruction, then that instruction: jump 2 + 1 on both.
  { name: 'jump', asm: 'j 1f\naddi a0, a0, 1\n1:\nc.addi a0, 1\n', cv32e40p: 1 + 2 + 1, cv32e20: 1 + 2 + 1 },
  // Taken BEQ to a 32-bit instruction at an address = 2 mod 4 (the marker is word-aligned: BEQ at +4, C.NOP
  // at +8, target at +10): E40P 3 + 1 (non-word-aligned non-RVC target) + 1; E20 3 + 1.
  { name: 'beq taken, unaligned target', asm: '.option push\n.option norvc\nbeq zero, zero, 1f\n.option pop\nc.nop\n1:\n.option push\n.option norvc\naddi a0, a0, 1\n.option pop\n', cv32e40p: 1 + 3 + 1 + 1, cv32e20: 1 + 3 + 1 },
  // Not-taken BNE: 1, then two ADDIs.
  { name: 'bne not taken', asm: 'bne zero, zero, 1f\naddi a0, a0, 1\n1:\naddi a0, a0, 1\n', cv32e40p: 1 + 3, cv32e20: 1 + 3 },
  // Loop of 5: LI 1, 5 x ADDI 1, 4 taken BNEZ x 3 (back to a compressed ADDI), the last not taken 1: 1 + 5 + 12 + 1.
  { name: 'loop', asm: 'li t0, 5\n1:\naddi t0, t0, -1\nbnez t0, 1b\n', cv32e40p: 1 + 19, cv32e20: 1 + 19 },
  // AUIPC, ADDI writing t1, JALR through t1 just after (E40P: jump 2 + 1 jump-register hazard; E20: 2), to an
  // aligned target (auipc at +4, target at +16), then ADDI.
  { name: 'jalr hazard', asm: '.option push\n.option norvc\nauipc t1, 0\naddi t1, t1, 12\njalr zero, 0(t1)\naddi a0, a0, 1\n.option pop\n', cv32e40p: 1 + 1 + 1 + 3 + 1, cv32e20: 1 + 1 + 1 + 2 + 1 },
];

test('rv32 decoder: classes and registers of encodings from the ISA manual', () => {
  // addi a0, a0, 1 = 0x00150513; lw a1, 0(a2) = 0x00062583; sw a1, 12(a2) = 0x00b62623; mul a0, a0, a3 = 0x02d50533;
  // mulhu a0, a0, a3 = 0x02d53533; divu a0, a0, a3 = 0x02d55533; jal ra, 0 = 0x000000ef; jalr zero, 0(ra) = 0x00008067;
  // beq a0, a1, 0 = 0x00b50063; c.lw a1, 0(a2) = 0x420c; c.jr ra = 0x8082; c.addi a0, 1 = 0x0505; srli x0, x0, 3 = 0x00305013.
  const le = (w: number, n = 4) => Array.from({ length: n }, (_, k) => ((w >>> (8 * k)) & 255).toString(16).padStart(2, '0')).join('');
  const d = (w: number, n = 4) => decodeRv32(le(w, n));
  const A0 = 1 << 10, A1 = 1 << 11, A2 = 1 << 12, A3 = 1 << 13, RA = 1 << 1;
  assert.deepEqual([d(0x00150513).cls, d(0x00150513).use, d(0x00150513).def, d(0x00150513).size], ['alu', A0, A0, 4]);
  assert.deepEqual([d(0x00062583).cls, d(0x00062583).use, d(0x00062583).def], ['load', A2, A1]);
  assert.deepEqual([d(0x00b62623).cls, d(0x00b62623).use, d(0x00b62623).def], ['store', A2 | A1, 0]);
  assert.deepEqual([d(0x02d50533).cls, d(0x02d53533).cls, d(0x02d55533).cls], ['mul', 'lmul', 'div']);
  assert.deepEqual([d(0x02d50533).use], [A0 | A3]);
  assert.deepEqual([d(0x000000ef).cls, d(0x000000ef).def, d(0x00008067).cls, d(0x00008067).use, d(0x00008067).def], ['bl', RA, 'bx', RA, 0]);
  assert.deepEqual([d(0x00b50063).cls, d(0x00b50063).writesPc], ['bcc', true]);
  assert.deepEqual([d(0x420c, 2).cls, d(0x420c, 2).use, d(0x420c, 2).def, d(0x420c, 2).size], ['load', A2, A1, 2]);
  assert.deepEqual([d(0x8082, 2).cls, d(0x8082, 2).use], ['bx', RA]);
  assert.deepEqual([d(0x0505, 2).cls, d(0x0505, 2).def], ['alu', A0]);
  assert.equal(d(0x00305013).cls, 'nop'); // the marker: rd = x0
});

test('RV32 cycle model: micro-sequences take the cycles the CV32E40P and CV32E20 manuals state', (t) => {
  if (!needTools(t, 'rv32')) return;
  const dir = scratchDir('tinyforge-rv32-cycles-');
  const M = (n: number) => `.insn i 0x13, 5, x0, x0, ${n}`;
  const esc = (s: string) => s.replace(/\n/g, '\\n');
  const body = SEQS.map((s) => `  __asm volatile("mv a2, %0\\n${esc(s.pre ?? '')}.balign 4\\n${M(1)}\\n${esc(s.asm)}${M(2)}\\n" :: "r"(buf) : "a0", "a1", "a2", "a3", "a4", "t0", "t1", "memory");`).join('\n');
  const src = join(dir, 'seq.c');
  writeFileSync(src, `#include <stdint.h>\nstatic uint32_t buf[8];\nint main(void)\n{\n  buf[0] = (uint32_t)(uintptr_t)buf;\n${body}\n  return 0;\n}\n`);
  const elf = join(dir, 'seq.elf');
  const c = compileRv32({ sources: [src], includeDirs: [] }, elf, { flags: ['-O1'] });
  assert.equal(c.status, 0, c.stderr);
  const prof = join(dir, 'seq.prof');
  const r = runRv32(elf, { profile: prof, timeoutMs: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  const profile = readRv32Profile(prof);
  for (const core of ['cv32e40p', 'cv32e20'] as const) {
    const segs = rv32SegmentCycles(profile, core).filter((s) => s.marker === 2);
    assert.equal(segs.length, SEQS.length);
    SEQS.forEach((s, k) => assert.equal(segs[k].cycles.total, s[core], `${core} ${s.name}: ${JSON.stringify(segs[k].cycles)}`));
    // The same figures as regions 1..2.
    assert.deepEqual(regionCycles(rv32SegmentCycles(profile, core), 1, 2).map((c) => c.total), SEQS.map((s) => s[core]));
  }
});
