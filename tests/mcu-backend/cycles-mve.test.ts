// The Helium (MVE) beat model of mcu-backend/timing/mve.ts: instruction classes decoded from real encodings
// (taken from arm-none-eabi-objdump of the Helium kernels) and the cycles of small sequences, computed by
// hand from the model's rules (2 cycles per vector instruction on the dual-beat M55, a load/store and an
// arithmetic instruction in a row overlap by one cycle, two of a kind do not, gathers one lane per cycle,
// a scalar instruction overlaps the last cycle of a vector one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '../../mcu-backend/timing/thumb.ts';
import { sequenceCycles } from '../../mcu-backend/timing/model.ts';
import { CORE_TIMING } from '../../mcu-backend/timing/cores.ts';

/** objdump's two halfwords ("ecb1 5e10") as the plugin's bytes. */
const hw = (a: string, b: string) => decode(a.slice(2) + a.slice(0, 2) + b.slice(2) + b.slice(0, 2));
const VLD = hw('ecb1', '5e10');      // vldrb.u8 q2, [r1], #16
const VLDW = hw('ed90', '3f08');     // vldrw.u32 q1, [r0, #32]
const VMLAVA = hw('eef0', 'ef2c');   // vmlava.s8 lr, q0, q6
const VMLA = hw('ee25', '6e41');     // vmla.s32 q3, q2, r1
const VMAX = hw('ef26', '664c');     // vmax.s32 q3, q3, q6
const GATHER4 = hw('ec93', '4f08');  // vldrb.s32 q2, [r3, q4]
const GATHER8 = hw('fc97', '6e84');  // vldrb.u16 q3, [r7, q2]
const SCATTER = hw('ec82', '6f08');  // vstrb.32 q3, [r2, q4]
const VMOV2 = hw('ec12', '0f00');    // vmov q0[2], q0[0], r0, r2
const VDUP = hw('eea2', '0b10');     // vdup.32 q1, r0
const ADDS = decode('0433');         // adds r3, #4

test('MVE instructions decode into the beat model classes', () => {
  assert.deepEqual([VLD, VLDW].map((i) => i.cls), ['vmem', 'vmem']);
  assert.deepEqual([VMLAVA, VMLA, VMAX, VDUP].map((i) => i.cls), ['vop', 'vop', 'vop', 'vop']);
  assert.deepEqual([GATHER4, GATHER8, SCATTER].map((i) => [i.cls, i.nregs]), [['vgather', 4], ['vgather', 8], ['vgather', 4]]);
  assert.equal(VMOV2.cls, 'vmov');
  assert.equal(ADDS.cls, 'alu');
});

test('dual-beat cycles: overlap of a load with a MAC, none between two MACs, gathers by lane', () => {
  const m55 = CORE_TIMING.m55;
  const cyc = (xs: ReturnType<typeof decode>[]) => sequenceCycles(m55, xs).total;
  assert.equal(cyc([VLD]), 2);
  assert.equal(cyc([VLD, VMLAVA, VLD, VMLAVA]), 2 + 1 + 1 + 1);
  assert.equal(cyc([VMLAVA, VMLAVA, VMLAVA]), 6);
  assert.equal(cyc([VLD, VLDW]), 4);
  assert.equal(cyc([GATHER4, VMLA]), 4 + 2);
  assert.equal(cyc([VMLA, GATHER8]), 2 + 8);
  assert.equal(cyc([VMOV2, VMAX]), 1 + 2);
  assert.equal(cyc([VMLA, ADDS]), 2 + 0);
  // A core without Helium keeps the old pricing (one issue cycle for the same encodings as FP instructions).
  assert.equal(sequenceCycles(CORE_TIMING.m4, [VMLA, VMLA]).total, 2);
});
