// Four behaviours of OpenEdgeCGRA's RTL found by replaying random kernels on it (docs/openedgecgra.md §10),
// one regression test each. Expected values follow from the RTL behaviour as documented there and are
// worked out by hand in the comments; the simulator's previous behaviour is named where it differed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { makeArch } from '../../cgra-mapper/arch.ts';
import { assemble, assembleImage } from '../../cgra-mapper/isa/asm.ts';
import { buildImage, kernelsOf, MIN_KERNEL_STEPS } from '../../cgra-mapper/isa/image.ts';
import { formatBitstreamH, parseBitstreamH } from '../../cgra-mapper/isa/bitstream.ts';
import { CgraSim } from '../../cgra-mapper/sim/sim.ts';
import { grid1, runAsm } from './run-asm.ts';

function errorOf(fn: () => unknown): TinyforgeError {
  try { fn(); } catch (e) { if (e instanceof TinyforgeError) return e; throw e; }
  assert.fail('expected a TinyforgeError');
}

/** A kernel of `n` steps on `cols` columns of a 1-row array: n - 1 NOP steps, then EXIT in column 0. */
const nopKernel = (id: number, cols: number, n: number): string =>
  [`kernel ${id} cols=${cols}`, ...Array.from({ length: n }, (_, t) => `step ${t}\n  ${Array.from({ length: cols }, (_, c) => (t === n - 1 && c === 0 ? 'EXIT' : 'NOP')).join(' | ')}`), 'end'].join('\n');

test('kernels of 1 or 2 instructions per column are refused by the assembler, the image builder and the readers; 3 steps run', () => {
  const arch = makeArch({ rows: 1, cols: 4 });
  assert.equal(MIN_KERNEL_STEPS, 3);
  for (const cols of [1, 2, 4]) {
    for (const n of [1, 2]) {
      const e = errorOf(() => assemble(nopKernel(1, cols, n), { arch, file: 'k.s' }));
      assert.equal(e.where.file, 'k.s');
      assert.match(e.message, new RegExp(`^kernel 1: ${n} instructions? per PE; the RTL's context loader configures a kernel only from 3 instructions per column`));
      assert.match(e.message, cols === 1 ? /on one column the kernel hangs/ : new RegExp(`on ${cols} columns the words shift between columns`));
      assert.match(e.hint ?? '', /pad the kernel to 3 steps with NOP steps before its EXIT/);
      const words = Array.from({ length: n }, () => [Array<number>(cols).fill(0)]);
      assert.throws(() => buildImage(arch, [{ id: 2, cols, words }]), /kernel 2: \d instructions? per PE; the RTL's context loader/);
    }
    // 3 steps on 1..4 columns load correctly on the RTL: accepted and run (bubble + 3 steps).
    const { stats } = runAsm(nopKernel(1, cols, 3), { arch: { rows: 1, cols: 4 } });
    assert.equal(stats.execCycles, 4);
  }
  // A bitstream whose kernel table says 2 steps (n - 1 = 1 in bits 4:0) is refused when read back.
  const img = assembleImage(nopKernel(1, 1, 3), { arch });
  img.kmem[1] = (img.kmem[1] & ~31) | 1;
  assert.throws(() => kernelsOf(img), /kernel 1: 2 instructions per PE/);
  assert.throws(() => parseBitstreamH(formatBitstreamH(img, 't'), arch, 't.h'), /kernel 1: 2 instructions per PE/);
  assert.throws(() => new CgraSim(arch, img, 1024).launch(1, [], []), /kernel 1: 2 instructions per PE/);
});

test('after a launch the flags are sign 0 and zero 0 although ROUT reads 0, until the PE writes ROUT', () => {
  // Column 0 selects with BZFA on its own flags (steps 0, 1) and on column 1's (step 2), which never writes ROUT.
  // Step 0: flags reset -> zero 0 -> R0 = B = 0 (the simulator used to derive zero = 1 from ROUT = 0: 10).
  //         The result 0 is registered with its flags: zero 1.
  // Step 1: zero 1 -> R1 = A = 10.
  // Step 2: column 1's flags are still the reset ones -> R2 = 0; BSFA on them (sign 0) -> B as well.
  const text = grid1([
    ['BZFA R0, 10, ZERO, ROUT', 'NOP'],
    ['BZFA R1, 10, ZERO, ROUT', 'NOP'],
    ['BZFA R2, 10, ZERO, RCR', 'NOP'],
    ['BSFA R3, 10, ZERO, RCR', 'NOP'],
    ['SWI 0, R0', 'NOP'],
    ['SWI 4, R1', 'NOP'],
    ['SWI 8, R2', 'NOP'],
    ['SWI 12, R3', 'NOP'],
    ['EXIT', 'NOP'],
  ]);
  const { sim, stats } = runAsm(text, { arch: { rows: 1, cols: 2 } });
  assert.deepEqual(sim.readWords(0, 4), [0, 10, 0, 0]);
  // A relaunch without reconfiguration resets the flags again (the last run left column 0 with zero = 1).
  sim.writeWords(0, [7, 7, 7, 7]);
  const again = sim.launch(1, [], []);
  assert.equal([stats.configured, again.configured].join(), 'true,false');
  assert.deepEqual(sim.readWords(0, 4), [0, 10, 0, 0]);
  // A load of 0 sets zero = 1 from the data; SADD of 0 likewise.
  const load = grid1([['LWI ROUT, 64'], ['BZFA R0, 10, ZERO, ROUT'], ['SWI 0, R0'], ['EXIT']]);
  assert.deepEqual(runAsm(load, { arch: { rows: 1, cols: 1 } }).sim.readWords(0, 1), [10]);
});

test('when a kernel ends, ROUT, registers and flags of every column are cleared, including columns it did not use', () => {
  // 2x4 array. Kernel 1 (4 columns) leaves PE(0,3) with ROUT = 0 written by SADD (zero flag 1), PE(1,3) with
  // ROUT = -5 (sign 1), and registers set everywhere in column 3.
  const arch = makeArch({ rows: 2, cols: 4 });
  const text = [
    'kernel 1 cols=4',
    'step 0', '  NOP | NOP | NOP | SADD R0, 9, ZERO', '  NOP | NOP | NOP | SADD R1, -5, ZERO',
    'step 1', '  NOP | NOP | NOP | SADD ROUT, ZERO, ZERO', '  NOP | NOP | NOP | NOP',
    'step 2', '  EXIT | NOP | NOP | NOP', '  NOP | NOP | NOP | NOP',
    'end',
    // Kernel 2 (column 0 only) reads its left neighbours, which wrap to column 3:
    // PE(0,0): zero flag of PE(0,3) -> cleared -> 0 (was 10); PE(1,0): ROUT of PE(1,3) -> 0 (was -5),
    // then its sign flag -> cleared -> 0 (was 10).
    'kernel 2 cols=1',
    'step 0', '  BZFA R0, 10, ZERO, RCL', '  SADD R0, RCL, ZERO',
    'step 1', '  NOP', '  BSFA R1, 10, ZERO, RCL',
    'step 2', '  SWI 0, R0', '  SWI 4, R0',
    'step 3', '  EXIT', '  SWI 8, R1',
    'end',
  ].join('\n');
  const sim = new CgraSim(arch, assembleImage(text, { arch }), 1024);
  const first = sim.launch(1, [], []);
  assert.equal(first.configuredColumns, 4);
  for (let r = 0; r < 2; r++) for (let c = 0; c < 4; c++) {
    assert.deepEqual(sim.peState(r, c), { rout: 0, regs: [0, 0, 0, 0], sign: false, zero: false }, `PE(${r},${c}) after kernel 1`);
  }
  sim.launch(2, [], []);
  assert.deepEqual(sim.readWords(0, 3), [0, 0, 0]);
  // With trace, the last step of kernel 1 still shows PE(0,3)'s and PE(1,3)'s values before the end clears them.
  const traced = new CgraSim(arch, assembleImage(text, { arch }), 1024, { trace: true });
  const tr = traced.launch(1, [], []).trace!;
  assert.equal(tr[1].rout[1][3], -5);
  assert.equal(traced.peState(1, 3).rout, 0);
});

test('reconfiguration reloads only the columns whose last kernel differs: 1,1,2,1,3,1,2,2,3 with 4-, 1- and 2-column kernels', () => {
  // 1x4 array; kernel 1: 4 columns x 6 steps, kernel 2: 1 column x 3 steps, kernel 3: 2 columns x 4 steps,
  // every step 1 cycle. A launch costs 7 + 2 cols + (n + 1) per reloaded column + 1 (bubble) + n.
  //   launch  kernel  columns holding before   reloaded  cycles
  //   1       1       -,-,-,-                  4         15 + 28 + 1 + 6 = 50
  //   2       1       1,1,1,1                  0         15 +  0 + 7     = 22
  //   3       2       1,1,1,1                  1          9 +  4 + 4     = 17
  //   4       1       2,1,1,1                  1         15 +  7 + 7     = 29   (whole-kernel reload: 50)
  //   5       3       1,1,1,1                  2         11 + 10 + 5     = 26
  //   6       1       3,3,1,1                  2         15 + 14 + 7     = 36   (50)
  //   7       2       1,1,1,1                  1          9 +  4 + 4     = 17
  //   8       2       2,1,1,1                  0          9 +  0 + 4     = 13
  //   9       3       2,1,1,1                  2         11 + 10 + 5     = 26
  // 236 cycles in all; reloading every column of the kernel (the simulator before) charged 271, 35 more (13% of 271).
  const arch = makeArch({ rows: 1, cols: 4 });
  const text = [nopKernel(1, 4, 6), nopKernel(2, 1, 3), nopKernel(3, 2, 4)].join('\n');
  const sim = new CgraSim(arch, assembleImage(text, { arch }), 1024);
  const runs = [1, 1, 2, 1, 3, 1, 2, 2, 3].map((k) => sim.launch(k, [], []));
  assert.deepEqual(runs.map((s) => s.configuredColumns), [4, 0, 1, 1, 2, 2, 1, 0, 2]);
  assert.deepEqual(runs.map((s) => s.configCycles), [28, 0, 4, 7, 10, 14, 4, 0, 10]);
  assert.deepEqual(runs.map((s) => s.cycles), [50, 22, 17, 29, 26, 36, 17, 13, 26]);
  assert.deepEqual(runs.map((s) => s.configured), [true, false, true, true, true, true, true, false, true]);
  assert.equal(runs.reduce((a, s) => a + s.cycles, 0), 236);
});
