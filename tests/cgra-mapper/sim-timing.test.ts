// Timing rules measured on the RTL (docs/openedgecgra.md §4, §6), reproduced by the simulator on the
// default 4x4 array. Each kernel is: step 0 = the instruction under test, step 1 = NOP, step 2 = EXIT (the
// RTL configures kernels from 3 steps), so the instruction's own duration = execCycles - 1 (bubble) - 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BusModel } from '../../cgra-mapper/arch.ts';
import { runAsm } from './run-asm.ts';

/** cells[r][c] of step 0 on a 4x4 array, all 4 columns. */
function stepCycles(cells: string[][], bus: BusModel = 'ports'): number {
  const grid = (rows: string[][]) => rows.map((r) => '  ' + r.join(' | ')).join('\n');
  const exit = [['EXIT', 'NOP', 'NOP', 'NOP'], ['NOP', 'NOP', 'NOP', 'NOP'], ['NOP', 'NOP', 'NOP', 'NOP'], ['NOP', 'NOP', 'NOP', 'NOP']];
  const nop = exit.map((r) => r.map(() => 'NOP'));
  const text = `kernel 1 cols=4\nstep 0\n${grid(cells)}\nstep 1\n${grid(nop)}\nstep 2\n${grid(exit)}\nend\n`;
  const { stats } = runAsm(text, { bus, memoryBytes: 4096, ptrIn: [0, 0, 0, 0], ptrOut: [512, 512, 512, 512] });
  return stats.execCycles - 3;
}

const N = 'NOP';
/** A 4x4 step with `cell` placed at the given (row, col) positions. */
function at(cell: string | string[], ...pos: [number, number][]): string[][] {
  const g = Array.from({ length: 4 }, () => [N, N, N, N]);
  pos.forEach(([r, c], i) => { g[r][c] = Array.isArray(cell) ? cell[i] : cell; });
  return g;
}

test('ALU instruction: 1 cycle; a taken branch costs nothing extra', () => {
  assert.equal(stepCycles(at('SADD R0, R0, 1', [0, 0], [3, 3])), 1);
  assert.equal(stepCycles(at('BEQ ZERO, ZERO, 1', [2, 1])), 1);
});

test('k accesses in one column take 1 + k cycles (2, 3, 4, 5) on either bus', () => {
  for (const bus of ['ports', 'shared'] as BusModel[]) {
    for (let k = 1; k <= 4; k++) {
      const pos = Array.from({ length: k }, (_, r) => [r, 1] as [number, number]);
      assert.equal(stepCycles(at('LWD R0, 4', ...pos), bus), 1 + k, `${bus} k=${k}`);
    }
    assert.equal(stepCycles(at(['LWI R0, 8', 'SWD R1, 4', 'SWI 16, R2'], [0, 2], [1, 2], [3, 2]), bus), 4, `${bus} mixed`);
  }
});

test('ports: columns are served in parallel (max over columns); shared bus: 1 + all accesses', () => {
  const spread = at('LWD R0, 4', [0, 0], [1, 0], [0, 1], [0, 2], [0, 3]); // 2 + 1 + 1 + 1
  assert.equal(stepCycles(spread, 'ports'), 3);
  assert.equal(stepCycles(spread, 'shared'), 6);
  const all = at('LWD R0, 4', ...Array.from({ length: 16 }, (_, i) => [i >> 2, i & 3] as [number, number]));
  assert.equal(stepCycles(all, 'ports'), 5);
  assert.equal(stepCycles(all, 'shared'), 17);
});

test('SMUL / FXPMUL: the whole instruction takes 3 cycles', () => {
  assert.equal(stepCycles(at('SMUL R0, R1, R2', [1, 1])), 3);
  assert.equal(stepCycles(at('FXPMUL R0, R1, R2', [3, 0])), 3);
  assert.equal(stepCycles(at(['SMUL R0, R1, R2', 'SADD R0, R1, R2'], [0, 0], [0, 1])), 3);
});

test('a multiply hides two memory accesses: LWD + SMUL = 3; SMUL + 2 loads = 3; shared: SMUL + 3 loads = 4, + 4 loads = 5', () => {
  assert.equal(stepCycles(at(['SMUL R0, R1, R2', 'LWD R0, 4'], [0, 0], [1, 0]), 'ports'), 3);
  assert.equal(stepCycles(at(['SMUL R0, R1, R2', 'LWD R0, 4'], [0, 0], [1, 0]), 'shared'), 3);
  for (const bus of ['ports', 'shared'] as BusModel[]) {
    assert.equal(stepCycles(at(['SMUL R0, R1, R2', 'LWD R0, 4', 'LWD R0, 4'], [0, 0], [1, 1], [2, 1]), bus), 3, `${bus}, one column`);
    assert.equal(stepCycles(at(['SMUL R0, R1, R2', 'LWD R0, 4', 'LWD R0, 4'], [0, 0], [1, 1], [1, 2]), bus), 3, `${bus}, two columns`);
  }
  const three = at(['SMUL R0, R1, R2', 'LWD R0, 4', 'LWD R0, 4', 'LWD R0, 4'], [0, 0], [1, 1], [1, 2], [1, 3]);
  assert.equal(stepCycles(three, 'shared'), 4);
  assert.equal(stepCycles(three, 'ports'), 3);
  const four = at(['SMUL R0, R1, R2', 'LWD R0, 4', 'LWD R0, 4', 'LWD R0, 4', 'LWD R0, 4'], [0, 0], [1, 0], [1, 1], [1, 2], [1, 3]);
  assert.equal(stepCycles(four, 'shared'), 5);
});

test('launch overhead: 8 NOPs + EXIT on 1 column: 29 cycles with configuration, 19 configured; on 4 columns: 65 / 25', () => {
  for (const [cols, first, again] of [[1, 29, 19], [4, 65, 25]]) {
    const rowsOf = (cell: string) => Array.from({ length: 4 }, (_, r) => '  ' + Array(cols).fill(r === 0 ? cell : 'NOP').join(' | ')).join('\n');
    const steps = Array.from({ length: 9 }, (_, t) => `step ${t}\n${rowsOf(t === 8 ? 'EXIT' : 'NOP')}`).join('\n');
    const { sim, stats } = runAsm(`kernel 2 cols=${cols}\n${steps}\nend\n`, { kernel: 2 });
    assert.equal(stats.cycles, first, `${cols} col first`);
    assert.equal(stats.cyclesWithCall, first + 190);
    assert.equal(sim.launch(2, [], []).cycles, again, `${cols} col again`);
  }
});
