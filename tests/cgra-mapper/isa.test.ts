// ISA: word layout against the documented example words, encode/decode round trip over every opcode x
// operand x flag x destination combination, text round trips, kernel-table words, image formats and
// every invalid-input rule (each a TinyforgeError naming PE, step and rule).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { makeArch } from '../../cgra-mapper/arch.ts';
import { decode, encode, type Instr } from '../../cgra-mapper/isa/encoding.ts';
import { assemble, assembleImage, disassemble } from '../../cgra-mapper/isa/asm.ts';
import { formatInstr, parseInstr } from '../../cgra-mapper/isa/instr-text.ts';
import { buildImage, decodeKernelTableWord, kernelsOf, kernelTableWord } from '../../cgra-mapper/isa/image.ts';
import { formatBitstreamH, imageFromJson, imageToJson, parseBitstreamH } from '../../cgra-mapper/isa/bitstream.ts';
import { formatEslCsv, parseEslCsv } from '../../cgra-mapper/isa/esl-csv.ts';

const arch = makeArch();

test('documented example words: LWD R0 step 4 = 0x00A90004, SMUL R2, R3, R1 = 0x971D0000', () => {
  // Field values by hand from the doc's table: LWD = 21, rd 0, we 1, imm 4; SMUL = 3, A = R3 (9), B = R1 (7), rd 2, we 1.
  assert.equal(encode({ op: 21, a: 0, b: 0, rd: 0, we: 1, f: 0, imm: 4 }), 0x00a90004);
  assert.equal(encode({ op: 3, a: 9, b: 7, rd: 2, we: 1, f: 0, imm: 0 }), 0x971d0000);
  assert.equal(encode(parseInstr('LWD R0, 4', { nInstr: 1 })), 0x00a90004);
  assert.equal(encode(parseInstr('SMUL R2, R3, R1', { nInstr: 1 })), 0x971d0000);
  assert.equal(encode(parseInstr('NOP', { nInstr: 1 })), 0);
  assert.deepEqual(decode(0x971d0000), { op: 3, a: 9, b: 7, rd: 2, we: 1, f: 0, imm: 0 });
  // imm is 13-bit signed: 0x1fff = -1, 0x1000 = -4096.
  assert.equal(decode(0x00001fff).imm, -1);
  assert.equal(decode(0x00001000).imm, -4096);
});

test('encode/decode round trip over every opcode x operand A x operand B x flag x rd x we', () => {
  const imms = [0, 1, -1, 4095, -4096, 4, 1234, -77];
  let n = 0;
  for (let op = 0; op < 32; op++) for (let a = 0; a < 16; a++) for (let b = 0; b < 16; b++) for (let f = 0; f < 8; f++)
    for (let rd = 0; rd < 4; rd++) for (let we = 0; we < 2; we++) {
      const i: Instr = { op, a, b, rd, we, f, imm: imms[n++ % imms.length] };
      const w = encode(i);
      // the fields land where the doc's table says
      assert.equal(w >>> 28, a);
      assert.equal((w >>> 24) & 15, b);
      assert.equal((w >>> 19) & 31, op);
      const back = decode(w);
      if (back.op !== op || back.a !== a || back.b !== b || back.f !== f || back.rd !== rd || back.we !== we || back.imm !== i.imm) {
        assert.deepEqual(back, i);
      }
      if (encode(back) !== w) assert.fail(`re-encode of 0x${w.toString(16)}`);
    }
  assert.equal(n, 32 * 16 * 16 * 8 * 8);
  assert.throws(() => encode({ op: 32, a: 0, b: 0, rd: 0, we: 0, f: 0, imm: 0 }), RangeError);
  assert.throws(() => encode({ op: 1, a: 0, b: 0, rd: 0, we: 0, f: 0, imm: 4096 }), RangeError);
});

test('text -> word -> text round trip for every canonical form', () => {
  const cases = ['SADD R2, R2, RCL', 'SSUB ROUT, ROUT, 4', 'SMUL R0, RCT, RCB', 'FXPMUL R1, R0, -5', 'SLL R3, R3, 8',
    'SRL ROUT, R1, R2', 'SRA R0, R0, 24', 'LAND R0, R1, 255', 'LOR R0, R1, R2', 'LXOR R0, RCR, RCL', 'LNAND R0, R1, R2',
    'LNOR R0, R1, R2', 'LXNOR R0, R1, R2', 'BSFA R2, R1, R0, RCT', 'BZFA ROUT, R1, 7, ROUT', 'BEQ R0, ZERO, 3', 'BNE RCL, R3, 0',
    'BLT R0, R1, 5', 'BGE R0, 5, 5', 'JUMP 4', 'JUMP R0, R1', 'LWD R0, 4', 'LWD ROUT, -8', 'SWD R1, 4', 'SWD RCT, 0',
    'LWI R3, RCB', 'LWI ROUT, 2048', 'SWI R1, RCL', 'SWI 64, R2', 'NOP', 'EXIT'];
  for (const c of cases) {
    const w = encode(parseInstr(c, { nInstr: 8 }));
    assert.equal(formatInstr(w), c, c);
  }
  // Aliases of the tools: SLT/SRT/BGQ/SELF.
  assert.equal(encode(parseInstr('SLT R0, R0, 1', { nInstr: 1 })), encode(parseInstr('SLL R0, R0, 1', { nInstr: 1 })));
  assert.equal(encode(parseInstr('SRT R0, SELF, 1', { nInstr: 1 })), encode(parseInstr('SRL R0, ROUT, 1', { nInstr: 1 })));
  // A non-canonical word (rd set with we = 0) disassembles to a raw .word that re-assembles to itself.
  const odd = encode({ op: 1, a: 6, b: 7, rd: 3, we: 0, f: 0, imm: 0 });
  assert.match(formatInstr(odd), /^\.word 0x/);
  assert.equal(encode(parseInstr(formatInstr(odd), { nInstr: 1 })), odd);
});

test('kernel-table word: 4 columns, start 0, 21 instructions = 0xF014 (the WP bitstream)', () => {
  assert.equal(kernelTableWord(arch, { cols: 4, start: 0, n: 21 }), 0xf014);
  assert.equal(kernelTableWord(arch, { cols: 1, start: 84, n: 32 }), 0x1000 | (84 << 5) | 31);
  assert.deepEqual(decodeKernelTableWord(arch, 0xf014, 1), { cols: 4, start: 0, n: 21 });
});

const twoKernels = `# two kernels
arch 4x4
kernel 1 name=first cols=2
step 0 top:
  SADD R0, R0, 1 | NOP
  NOP            | NOP
  NOP            | NOP
  NOP            | NOP
step
  BNE R0, ZERO, top | NOP  ; back to step 0
  NOP | NOP
  NOP | NOP
  EXIT | NOP
step
  NOP | NOP
  NOP | NOP
  NOP | NOP
  NOP | NOP
end
kernel 3 cols=1
step 0
  LWD R1, 4
  SWD R1, -4
  NOP
  EXIT
step 1
  NOP
  NOP
  NOP
  NOP
step 2
  NOP
  NOP
  NOP
  NOP
end
`;

test('assembler: context-memory layout, kernel table, disassembly round trip, JSON / bitstream.h / ESL CSV', () => {
  const img = assembleImage(twoKernels, { arch });
  // kernel 1: start 0, 2 cols x 3 steps; kernel 3: start 6, 1 col x 3 steps (kernels have at least 3 steps).
  assert.equal(img.kmem[1], (0b0011 << 12) | (0 << 5) | 2);
  assert.equal(img.kmem[3], (0b0001 << 12) | (6 << 5) | 2);
  // step 1 of PE(row 0, col 0) is at line 0 + 0*3 + 1 of bank 0; BNE R0, ZERO, top: A=R0 (6), B=ZERO, op 17, target 0
  assert.equal(img.imem[0 * 128 + 1], encode({ op: 17, a: 6, b: 0, rd: 0, we: 0, f: 0, imm: 0 }));
  // step 0 of PE(row 0, col 1) at line 0 + 1*3 + 0: NOP; step 0 of PE(row 0, col 0): SADD R0, R0, 1
  assert.equal(img.imem[3], 0);
  assert.equal(img.imem[0], encode({ op: 1, a: 6, b: 10, rd: 0, we: 1, f: 0, imm: 1 }));
  assert.equal(img.imem[3 * 128 + 6], 25 << 19); // EXIT of kernel 3 in bank 3
  const again = assembleImage(disassemble(img), { arch });
  assert.deepEqual(again.imem, img.imem);
  assert.deepEqual(again.kmem, img.kmem);
  const j = imageFromJson(imageToJson(img), arch);
  assert.deepEqual(j.imem, img.imem);
  assert.equal(j.names[1], 'first');
  const h = parseBitstreamH(formatBitstreamH(img, 'test'), arch);
  assert.deepEqual(h.imem, img.imem);
  assert.deepEqual(h.kmem, img.kmem);
  const k3 = kernelsOf(img)[1];
  const csv = formatEslCsv(kernelsOf(img)[0]);
  assert.match(csv, /^0,\n"SADD R0, R0, 1",NOP\n/);
  const k1 = parseEslCsv(csv, { arch: makeArch({ cols: 2 }), id: 1 });
  assert.deepEqual(k1.words, kernelsOf(img)[0].words);
  assert.equal(k3.words.length, 3);
});

test('ESL CSV import: old LWD without step gets +4, literal 0 operand is ZERO', () => {
  const a1 = makeArch({ rows: 1, cols: 2 });
  const k = parseEslCsv('0,\nLWD R0,"BEQ R1, 0, 1"\n1,\nNOP,NOP\n2,\nEXIT,NOP\n', { arch: a1 });
  assert.equal(k.words[0][0][0], encode({ op: 21, a: 0, b: 0, rd: 0, we: 1, f: 0, imm: 4 }));
  assert.equal(k.words[0][0][1], encode({ op: 16, a: 7, b: 0, rd: 0, we: 0, f: 0, imm: 1 }));
});

function errorOf(fn: () => unknown): TinyforgeError {
  try { fn(); } catch (e) { if (e instanceof TinyforgeError) return e; throw e; }
  assert.fail('expected a TinyforgeError');
}

const k1 = (cells: string, extra = '') => `kernel 1 cols=1\nstep 0 a:\n  ${cells}\n  NOP\n  NOP\n  NOP\nstep 1\n  NOP\n  NOP\n  NOP\n  NOP\nstep 2\n  EXIT\n  NOP\n  NOP\n  NOP\n${extra}end\n`;

test('invalid input: undefined opcode, immediate used twice, branch past the kernel, > 32 instructions, slot 0', () => {
  let e = errorOf(() => assemble(k1('FOO R0, R1, R2'), { arch, file: 'x.s' }));
  assert.match(e.format(), /^x\.s:3:3: kernel 1: PE\(row 0, col 0\) step 0 'FOO R0, R1, R2': undefined opcode 'FOO'/);
  e = errorOf(() => assemble(k1('.word 0x00d00000'), { arch })); // op field 26
  assert.match(e.message, /PE\(row 0, col 0\) step 0 .*undefined opcode 26/);
  e = errorOf(() => assemble(k1('SADD R0, 5, 6'), { arch }));
  assert.match(e.message, /PE\(row 0, col 0\) step 0 'SADD R0, 5, 6': immediate used twice: operand A immediate 5 and operand B immediate 6/);
  e = errorOf(() => assemble(k1('BEQ R0, 5, 1'), { arch }));
  assert.match(e.message, /immediate used twice: .*5 and branch target 1/);
  e = errorOf(() => assemble(k1('LWD R0'), { arch }));
  assert.match(e.message, /needs its pointer step/);
  e = errorOf(() => assemble(k1('SWD 8, 4'), { arch }));
  assert.match(e.message, /immediate used twice: stored value immediate 8 and pointer step 4/);
  e = errorOf(() => assemble(k1('BNE R0, ZERO, 3'), { arch }));
  assert.match(e.message, /PE\(row 0, col 0\) step 0 'BNE R0, ZERO, 3': branch target 3 is past the kernel \(steps 0\.\.2\)/);
  e = errorOf(() => assemble(k1('JUMP 9'), { arch }));
  assert.match(e.message, /jump target 9 is past the kernel/);
  const long = ['kernel 2 cols=1', ...Array.from({ length: 33 }, (_, t) => `step ${t}\n  NOP\n  NOP\n  NOP\n  NOP`), 'end'].join('\n');
  e = errorOf(() => assemble(long, { arch }));
  assert.match(e.message, /kernel 2: 33 instructions per PE; a kernel has at most 32/);
  e = errorOf(() => assemble(k1('NOP').replace('kernel 1', 'kernel 0'), { arch }));
  assert.match(e.message, /kernel slot 0 is not usable \(valid: 1\.\.15; slot 0 is reserved\)/);
  e = errorOf(() => buildImage(arch, [{ id: 0, cols: 1, words: [[[0], [0], [0], [0]]] }]));
  assert.match(e.message, /kernel slot 0 is not usable/);
  // A binary image: slot 0 used, or a word with an undefined opcode, names the PE and step.
  const img = assembleImage(k1('NOP'), { arch });
  img.kmem[0] = 0x1000;
  assert.match(errorOf(() => kernelsOf(img)).message, /slot 0 is reserved/);
  img.kmem[0] = 0;
  img.imem[2 * 128 + 1] = 27 << 19; // row 2, line 1 = step 1 of column 0
  assert.match(errorOf(() => kernelsOf(img)).message, /kernel 1: PE\(row 2, col 0\) step 1 '\.word 0x00d80000': undefined opcode 27/);
  img.imem[2 * 128 + 1] = encode({ op: 16, a: 0, b: 0, rd: 0, we: 0, f: 0, imm: 5 });
  assert.match(errorOf(() => kernelsOf(img)).message, /PE\(row 2, col 0\) step 1 'BEQ ZERO, ZERO, 5': branch target 5 is past the kernel's last instruction 2/);
  // Shape errors.
  assert.match(errorOf(() => assemble('kernel 1 cols=2\nstep 0\n  NOP\n', { arch })).message, /has 1 cells, but the kernel has 2 columns/);
  assert.match(errorOf(() => assemble('arch 2x2\n', { arch })).message, /written for a 2x2 array, the target is 4x4/);
});
