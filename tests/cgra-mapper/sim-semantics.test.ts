// Simulator semantics, one test per opcode (expected values computed by hand) plus the sequencing rules
// of docs/openedgecgra.md §3 and the memory rules of §5.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { encode } from '../../cgra-mapper/isa/encoding.ts';
import { formatInstr } from '../../cgra-mapper/isa/instr-text.ts';
import { STORE_CLOBBER } from '../../cgra-mapper/sim/sim.ts';
import { grid1, runAsm } from './run-asm.ts';

const one = { rows: 1, cols: 1 };

/** OP ROUT, A, B on one PE with A, B loaded from memory; returns the stored result. */
function alu(op: string, a: number, b: number): number {
  const text = grid1([['LWI R0, 0'], ['LWI R1, 4'], [`${op} ROUT, R0, R1`], ['SWI 8, ROUT'], ['EXIT']]);
  const { sim } = runAsm(text, { arch: one, mem: [{ addr: 0, words: [a, b] }] });
  return sim.readWords(8, 1)[0];
}

const ALU_CASES: [string, number, number, number][] = [
  ['SADD', 2147483647, 1, -2147483648],
  ['SADD', -7, 3, -4],
  ['SSUB', 5, 9, -4],
  ['SMUL', 100000, 100000, 1410065408], // 10^10 - 2 * 2^32
  ['SMUL', -3, 7, -21],
  ['FXPMUL', 3 << 15, 5 << 15, 15 << 15], // (15 << 30) >> 15
  ['FXPMUL', -(3 << 15), 5 << 15, -(15 << 15)],
  ['FXPMUL', 0x40000000, 4, 1 << 17], // product 2^32, bits 46:15
  ['FXPMUL', -1, 1, -1], // arithmetic shift of -1, no rounding
  ['SLL', 3, 33, 6], // B[4:0] = 1
  ['SLL', -1, 4, -16],
  ['SRL', -16, 2, 0x3ffffffc],
  ['SRA', -16, 2, -4],
  ['LAND', 12, 10, 8],
  ['LOR', 12, 10, 14],
  ['LXOR', 12, 10, 6],
  ['LNAND', 12, 10, -9],
  ['LNOR', 12, 10, -15],
  ['LXNOR', 12, 10, -7],
];

for (const [op, a, b, want] of ALU_CASES) {
  test(`${op} ${a}, ${b} = ${want}`, () => assert.equal(alu(op, a, b), want));
}

test('NOP keeps ROUT; EXIT ends the kernel', () => {
  const { stats } = runAsm(grid1([['SADD ROUT, 7, ZERO'], ['NOP'], ['EXIT'], ['SADD ROUT, 9, ZERO']]), { arch: one, trace: true });
  const tr = stats.trace!;
  assert.deepEqual(tr.map((s) => s.pc), [0, 1, 2]);
  assert.equal(tr[1].rout[0][0], 7);
  assert.equal(tr[2].next, undefined);
});

test('BSFA / BZFA select on the sign / zero flag of their own or a neighbour\'s ROUT', () => {
  const two = { rows: 1, cols: 2 };
  // col 1 sets ROUT = -5 (sign), then 0 (zero); col 0 selects A = 10 when the flag is set, else B = ZERO.
  const text = grid1([
    ['NOP', 'SADD ROUT, -5, ZERO'],
    ['BSFA R0, 10, ZERO, RCR', 'SADD ROUT, ZERO, ZERO'],
    ['BSFA R1, 10, ZERO, RCR', 'NOP'],
    ['BZFA R2, 10, ZERO, RCR', 'NOP'],
    ['BZFA R3, 10, ZERO, ROUT', 'NOP'], // own ROUT = 10 (from the previous BZFA): zero flag clear
    ['SWI 0, R0', 'NOP'], ['SWI 4, R1', 'NOP'], ['SWI 8, R2', 'NOP'], ['SWI 12, R3', 'NOP'], ['EXIT', 'NOP']]);
  const { sim } = runAsm(text, { arch: two });
  assert.deepEqual(sim.readWords(0, 4), [10, 0, 10, 0]);
});

function branch(op: string, a: number, b: number): { pcs: number[]; rout: number } {
  const text = grid1([['LWI R0, 0'], ['LWI R1, 4'], [`${op} R0, R1, 4`], ['NOP'], ['EXIT']]);
  const { stats } = runAsm(text, { arch: one, trace: true, mem: [{ addr: 0, words: [a, b] }] });
  return { pcs: stats.trace!.map((s) => s.pc), rout: stats.trace![2].rout[0][0] };
}

test('BEQ / BNE / BLT / BGE: taken -> PC = target, no delay slot, ROUT = 1; not taken -> ROUT = 0', () => {
  const taken = { pcs: [0, 1, 2, 4], rout: 1 };
  const not = { pcs: [0, 1, 2, 3, 4], rout: 0 };
  assert.deepEqual(branch('BEQ', 5, 5), taken);
  assert.deepEqual(branch('BEQ', 5, 6), not);
  assert.deepEqual(branch('BNE', 5, 6), taken);
  assert.deepEqual(branch('BNE', 5, 5), not);
  assert.deepEqual(branch('BLT', -1, 0), taken); // signed
  assert.deepEqual(branch('BLT', 0, -1), not);
  assert.deepEqual(branch('BGE', 3, 3), taken);
  assert.deepEqual(branch('BGE', -2, 3), not);
});

test('JUMP goes to (A + B)[4:0] and leaves A + B in ROUT', () => {
  const text = grid1([['LWI R0, 0'], ['LWI R1, 4'], ['JUMP R0, R1'], ['NOP'], ['EXIT'], ['JUMP 4']]);
  let r = runAsm(text, { arch: one, trace: true, mem: [{ addr: 0, words: [1, 3] }] });
  assert.deepEqual(r.stats.trace!.map((s) => s.pc), [0, 1, 2, 4]);
  assert.equal(r.stats.trace![2].rout[0][0], 4);
  r = runAsm(text, { arch: one, trace: true, mem: [{ addr: 0, words: [33, 4] }] }); // 37 & 31 = 5
  assert.deepEqual(r.stats.trace!.map((s) => s.pc), [0, 1, 2, 5, 4]);
  assert.equal(r.stats.trace![2].rout[0][0], 37);
});

test('a branch to step 0 is taken (loop counter)', () => {
  const text = grid1([['SADD R0, R0, 1'], ['SSUB ROUT, R0, 3'], ['BLT ROUT, ZERO, 0'], ['SWI 0, R0'], ['EXIT']]);
  const { stats, sim } = runAsm(text, { arch: one });
  assert.equal(sim.readWords(0, 1)[0], 3);
  assert.equal(stats.perStep[0].executions, 3);
});

test('two PEs requesting a branch in one instruction: no branch; EXIT is ignored when a branch is taken', () => {
  const two = { rows: 1, cols: 2 };
  const both = grid1([['NOP', 'NOP'], ['BEQ ZERO, ZERO, 3', 'BEQ ZERO, ZERO, 3'], ['EXIT', 'NOP'], ['EXIT', 'NOP']]);
  assert.deepEqual(runAsm(both, { arch: two, trace: true }).stats.trace!.map((s) => s.pc), [0, 1, 2]);
  const single = grid1([['NOP', 'NOP'], ['BEQ ZERO, ZERO, 3', 'BNE ZERO, ZERO, 3'], ['EXIT', 'NOP'], ['EXIT', 'NOP']]);
  assert.deepEqual(runAsm(single, { arch: two, trace: true }).stats.trace!.map((s) => s.pc), [0, 1, 3]);
  const exitAndBranch = grid1([['EXIT', 'BEQ ZERO, ZERO, 2'], ['EXIT', 'NOP'], ['SWI ZERO, 5', 'NOP'], ['EXIT', 'NOP']]);
  const r = runAsm(exitAndBranch, { arch: two, trace: true });
  assert.deepEqual(r.stats.trace!.map((s) => s.pc), [0, 2, 3]);
  assert.equal(r.sim.readWords(0, 1)[0], 5);
});

test('neighbour reads see the previous instruction\'s ROUT, on a torus', () => {
  const t = { rows: 2, cols: 2 };
  // step 0: PE(0,0) ROUT = 5; PE(0,1) reads RCL in the same step -> 0 (reset value).
  // step 1: PE(0,1) reads RCL -> 5; PE(1,0) reads RCB = row 0 (wraps) -> 5; PE(1,1) reads RCR = col 0 (wraps) of row 1 -> 0.
  const text = ['kernel 1 cols=2',
    'step 0', '  SADD ROUT, 5, ZERO | SADD R0, RCL, ZERO', '  NOP | NOP',
    'step 1', '  NOP | SADD R1, RCL, ZERO', '  SADD R2, RCB, ZERO | SADD R3, RCR, 1',
    'step 2', '  NOP | SWI 0, R0', '  SWI 8, R2 | SWI 12, R3',
    'step 3', '  NOP | SWI 4, R1', '  EXIT | NOP', 'end'].join('\n');
  const { sim } = runAsm(text, { arch: t });
  assert.deepEqual(sim.readWords(0, 4), [0, 5, 5, 1]);
});

test('LWD / SWD: column pointers from ptrIn / ptrOut, post-incremented by the signed immediate; legacyStep = +4', () => {
  const text = grid1([['LWD R0, 8'], ['LWD R1, -4'], ['LWD R2, 4'], ['SWD R0, 8'], ['SWD R1, -4'], ['SWD R2, 0'], ['EXIT']]);
  const mem = [{ addr: 16, words: [10, 20, 30, 40] }];
  const { sim } = runAsm(text, { arch: one, mem, ptrIn: [16], ptrOut: [64] });
  // loads: @16 = 10 (-> 24), @24 = 30 (-> 20), @20 = 20; stores: 10 @64 (-> 72), 30 @72 (-> 68), 20 @68
  assert.deepEqual(sim.readWords(64, 3), [10, 20, 30]);
  const legacy = runAsm(grid1([['LWD R0, 0'], ['LWD R1, 0'], ['SWD R1, 0'], ['SWD R0, 0'], ['EXIT']]), { arch: one, mem, ptrIn: [16], ptrOut: [64], legacyStep: true });
  assert.deepEqual(legacy.sim.readWords(64, 2), [20, 10]);
  const current = runAsm(grid1([['LWD R0, 0'], ['LWD R1, 0'], ['SWD R1, 0'], ['SWD R0, 0'], ['EXIT']]), { arch: one, mem, ptrIn: [16], ptrOut: [64] });
  assert.deepEqual(current.sim.readWords(64, 2), [10, 0]); // pointers never move: both loads read 10, the second store overwrites
});

test('several LWD of one column in one instruction are served row 0 first, each moving the pointer', () => {
  const text = ['kernel 1 cols=1', 'step 0', '  LWD R0, 4', '  LWD R0, 4', '  NOP', '  NOP',
    'step 1', '  SWI 100, R0', '  SWI 104, R0', '  NOP', '  NOP', 'step 2', '  EXIT', '  NOP', '  NOP', '  NOP', 'end'].join('\n');
  const { sim } = runAsm(text, { arch: { rows: 4, cols: 1 }, mem: [{ addr: 0, words: [7, 8] }], ptrIn: [0] });
  assert.deepEqual(sim.readWords(100, 2), [7, 8]);
});

test('LWI / SWI: byte address from operand B; unaligned addresses access the containing word and are counted', () => {
  const text = grid1([['LWI R0, 18'], ['SWI 21, R0'], ['LWI R1, 4'], ['SWI R1, R0'], ['EXIT']]);
  const { sim, stats } = runAsm(text, { arch: one, mem: [{ addr: 0, words: [0, 40, 0, 0, 55] }] });
  // LWI 18 reads the word at 16 (55); SWI 21 writes the word at 20; LWI 4 = 40; SWI [40] <- 55.
  assert.deepEqual(sim.readWords(20, 1), [55]);
  assert.deepEqual(sim.readWords(40, 1), [55]);
  assert.equal(stats.unalignedAccesses, 2);
  assert.equal(stats.loads, 2);
  assert.equal(stats.stores, 2);
});

test('a store clobbers ROUT; a store with the register-write bit set leaves the register alone', () => {
  const swdWe = encode({ op: 22, a: 6, b: 0, rd: 0, we: 1, f: 0, imm: 4 });
  const text = grid1([['SADD R0, 7, ZERO'], ['SWI 0, ROUT'], [formatInstr(swdWe)], ['SWI 4, R0'], ['EXIT']]);
  const { sim, stats } = runAsm(text, { arch: one, trace: true, ptrOut: [8] });
  assert.equal(stats.trace![1].rout[0][0], STORE_CLOBBER);
  assert.notEqual(STORE_CLOBBER, 7);
  assert.deepEqual(sim.readWords(0, 3), [7, 7, 7]);
});

test('registers and ROUT are reset at every launch, even without reconfiguration', () => {
  const text = grid1([['SADD R0, R0, 1'], ['SADD ROUT, ROUT, R0'], ['SWI 0, R0'], ['SWI 4, ROUT'], ['EXIT']]);
  const { sim, stats } = runAsm(text, { arch: one });
  assert.equal(stats.configured, true);
  const again = sim.launch(1, [], []);
  assert.equal(again.configured, false);
  assert.deepEqual(sim.readWords(0, 1), [1]);
});

function errorOf(fn: () => unknown): TinyforgeError {
  try { fn(); } catch (e) { if (e instanceof TinyforgeError) return e; throw e; }
  assert.fail('expected a TinyforgeError');
}

test('errors: access outside memory names PE, step, instruction and address; no EXIT; running off the end', () => {
  let e = errorOf(() => runAsm(grid1([['NOP'], ['LWI R0, 2048'], ['EXIT']]), { arch: one, memoryBytes: 2048 }));
  assert.match(e.message, /kernel 1: PE\(row 0, col 0\) step 1 'LWI R0, 2048': load address 0x800 is outside data memory \[0, 0x800\)/);
  e = errorOf(() => runAsm(grid1([['SWI -4, R0'], ['NOP'], ['EXIT']]), { arch: one }));
  assert.match(e.message, /step 0 'SWI -4, R0': store address 0xfffffffc is outside data memory/);
  e = errorOf(() => runAsm(grid1([['SADD R0, R0, 1'], ['NOP'], ['JUMP 0']]), { arch: one, cycleLimit: 10000 }));
  assert.match(e.message, /no EXIT within 10000 cycles/);
  e = errorOf(() => runAsm(grid1([['NOP'], ['NOP'], ['NOP']]), { arch: one }));
  assert.match(e.message, /step 2 falls through to step 3, past the kernel's last step 2 without EXIT/);
  e = errorOf(() => runAsm(grid1([['SADD R0, 9, ZERO'], ['JUMP R0, ZERO'], ['EXIT']]), { arch: one }));
  assert.match(e.message, /jump from step 1 to step 9, past the kernel/);
});

test('other array sizes from targets.cgra; alternating kernels reconfigure, relaunching one does not', async () => {
  const { archFromConfig, makeArch } = await import('../../cgra-mapper/arch.ts');
  const a = archFromConfig({ rows: 2, cols: 3, bus: 'shared', strategy: 'wp', callCycles: 100 });
  assert.deepEqual([a.rows, a.cols, a.bus, a.callCycles], [2, 3, 'shared', 100]);
  assert.throws(() => makeArch({ rows: 0 }), /rows = 0 is not an integer in \[1, 16\]/);
  assert.throws(() => archFromConfig({ bus: 'mesh' as never }), /bus 'mesh' is not one of ports \| shared/);
  // 2x3 torus: PE(1,2) reads RCR -> PE(1,0) and RCB -> PE(0,2) (both wrap).
  const text = ['kernel 1 cols=3', 'step 0', '  NOP | NOP | SADD ROUT, 7, ZERO', '  SADD ROUT, 5, ZERO | NOP | NOP',
    'step 1', '  NOP | NOP | NOP', '  NOP | NOP | SADD R0, RCR, RCB',
    'step 2', '  EXIT | NOP | NOP', '  NOP | NOP | SWI 0, R0', 'end',
    'kernel 2 cols=1', 'step 0', '  NOP', '  NOP', 'step 1', '  NOP', '  NOP', 'step 2', '  EXIT', '  NOP', 'end'].join('\n');
  const { sim, stats } = runAsm(text, { arch: { rows: 2, cols: 3 }, bus: 'shared' });
  assert.equal(sim.readWords(0, 1)[0], 12);
  assert.equal(stats.configured, true);
  assert.equal(sim.launch(2, [], []).configured, true);
  assert.equal(sim.launch(1, [], []).configured, true); // column 0 last ran kernel 2
  assert.equal(sim.launch(1, [], []).configured, false);
  assert.equal(sim.readWords(0, 1)[0], 12);
});

test('a read pointer stepping one byte at a time reads the containing word; the kernel picks the byte with shifts', () => {
  // word at 0 = 0x44332211 (little-endian bytes 11 22 33 44); byte k = (word << (24 - 8k)) >> 24 (arithmetic)
  const text = grid1([['LWD R0, 1'], ['LWD R1, 1'], ['LWD R2, 1'], ['SLL R2, R2, 8'], ['SRA R2, R2, 24'], ['SWI 16, R2'], ['SWI 20, R1'], ['EXIT']]);
  const { sim, stats } = runAsm(text, { arch: one, mem: [{ addr: 0, words: [0x44332211] }], ptrIn: [0] });
  assert.deepEqual(sim.readWords(16, 2), [0x33, 0x44332211]); // byte 2; address 1 read the whole word at 0
  assert.equal(stats.unalignedAccesses, 2); // addresses 1 and 2
});
