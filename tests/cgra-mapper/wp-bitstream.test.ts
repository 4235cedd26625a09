// The CF'24 paper's WP convolution bitstream (HEEPsilon bitstream.h, ../shared/data/heepsilon-wp-conv),
// run with legacyStep on the data its README describes: every output must equal the 3x3 convolution
// computed here from the README's formula, and the cycles must be within 1% of the RTL's
// (first launch 1766 ports / 2421 shared bus, second launch 1678 / 2333).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { makeArch, type BusModel } from '../../cgra-mapper/arch.ts';
import { parseBitstreamH } from '../../cgra-mapper/isa/bitstream.ts';
import { decode } from '../../cgra-mapper/isa/encoding.ts';
import { kernelOf } from '../../cgra-mapper/isa/image.ts';
import { OP } from '../../cgra-mapper/isa/tables.ts';
import { CgraSim } from '../../cgra-mapper/sim/sim.ts';
import { sharedDataPath } from '../helpers/paths.ts';

const path = sharedDataPath('heepsilon-wp-conv/bitstream.h');
const RTL: Record<BusModel, [number, number]> = { ports: [1766, 1678], shared: [2421, 2333] };

const input = Array.from({ length: 256 }, (_, i) => 16 * Math.floor(i / 16) + (i % 16)); // in[r][c] = 16r + c
const filter = [[1, 2, 3], [4, 5, 6], [7, 8, 9]];
const expected: number[] = [];
for (let r = 0; r < 14; r++) for (let c = 0; c < 14; c++) {
  let s = 0;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) s += filter[i][j] * input[(r + i) * 16 + c + j];
  expected.push(s);
}

function setUp(sim: CgraSim): void {
  sim.writeWords(0x1000, input);
  for (let col = 0; col < 3; col++) {
    sim.writeWords(0x2000 + 24 * col, [0, 1, 2].map((i) => 0x1000 + 4 * (16 * col + i)).concat(filter[col]));
  }
  sim.writeWords(0x2000 + 4 * 18, [0x3000]);
  sim.writeWords(0x3000, new Array(196).fill(0));
}

for (const bus of ['ports', 'shared'] as BusModel[]) {
  test(`WP bitstream, ${bus} bus: 196/196 outputs and RTL cycles within 1%`, { skip: path ? false : 'shared data missing' }, () => {
    const arch = makeArch({ bus });
    const image = parseBitstreamH(readFileSync(path!, 'utf8'), arch, path);
    const sim = new CgraSim(arch, image, 0x4000, { legacyStep: true });
    setUp(sim);
    const ptrIn = [0, 1, 2, 3].map((k) => 0x2000 + 24 * k);
    const ptrOut = [0, 1, 2, 3].map((k) => 0x3800 + 4 * k);
    const first = sim.launch(1, ptrIn, ptrOut);
    const out = sim.readWords(0x3000, 196);
    assert.equal(out.filter((v, i) => v === expected[i]).length, 196);
    assert.deepEqual(out, expected);
    // The kernel read-modify-writes: a second launch over a zeroed output gives the same plane.
    sim.writeWords(0x3000, new Array(196).fill(0));
    const second = sim.launch(1, ptrIn, ptrOut);
    assert.deepEqual(sim.readWords(0x3000, 196), expected);
    const [rtl1, rtl2] = RTL[bus];
    assert.ok(Math.abs(first.cycles - rtl1) <= 0.01 * rtl1, `first launch ${first.cycles} vs RTL ${rtl1}`);
    assert.ok(Math.abs(second.cycles - rtl2) <= 0.01 * rtl2, `second launch ${second.cycles} vs RTL ${rtl2}`);
    assert.equal(first.configured, true);
    assert.equal(second.configured, false);
    // 14 x 14 outputs x 9 taps = 1764 MACs: count the SMULs executed (step executions x SMUL cells of the step).
    const k = kernelOf(image, 1);
    const smuls = second.perStep.reduce((s, st) => s + st.executions * k.words[st.step].flat().filter((w) => decode(w).op === OP.SMUL).length, 0);
    assert.equal(smuls, 1764);
    console.log(`WP ${bus}: first ${first.cycles} (RTL ${rtl1}), second ${second.cycles} (RTL ${rtl2}), ` +
      `${(1764 / second.cycles).toFixed(3)} MAC/cycle, energy estimate ${(second.energy.joules * 1e9).toFixed(1)} nJ`);
  });
}

test('WP bitstream without legacyStep (imm 0, current RTL) produces wrong outputs, as the README says', { skip: path ? false : 'shared data missing' }, () => {
  const arch = makeArch();
  const sim = new CgraSim(arch, parseBitstreamH(readFileSync(path!, 'utf8'), arch, path), 0x4000, { cycleLimit: 200_000 });
  setUp(sim);
  let wrong = true;
  try {
    sim.launch(1, [0, 1, 2, 3].map((k) => 0x2000 + 24 * k), [0, 1, 2, 3].map((k) => 0x3800 + 4 * k));
    wrong = sim.readWords(0x3000, 196).some((v, i) => v !== expected[i]);
  } catch { /* an out-of-memory access or no EXIT is also garbage */ }
  assert.ok(wrong);
});
