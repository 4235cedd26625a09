// Beat-aware cycle model of Helium (MVE) instructions on a dual-beat core (Cortex-M55), beside the scalar
// timing of model.ts. Facts it rests on (Arm's M-profile Vector Extension and Cortex-M55 descriptions): a
// 128-bit vector instruction is four beats; the M55 executes two beats per cycle, so a vector instruction
// takes 2 cycles; consecutive vector instructions may overlap by beats when they use different units (a
// load or store beside an arithmetic / MAC instruction), so an interleaved load / MAC stream approaches one
// instruction per cycle while two MACs or two loads in a row do not overlap; gathers and scatters move one
// lane per cycle; a scalar instruction after a vector one issues during its last beats. Tail predication
// changes nothing here (a predicated beat still takes its slot). Everything is a model: QEMU has no timing,
// and no M55 timing table is published per instruction; docs/cycles.md says how far to trust it.
import type { Insn } from './thumb.ts';
import type { Cycles } from './model.ts';

export const isVector = (i: Insn): boolean => i.cls === 'vmem' || i.cls === 'vgather' || i.cls === 'vop' || i.cls === 'vmov';

/** The unit an instruction's beats occupy (undefined: scalar). */
function unit(i: Insn): 'mem' | 'alu' | undefined {
  if (i.cls === 'vmem' || i.cls === 'vgather') return 'mem';
  if (i.cls === 'vop') return 'alu';
  return undefined;
}

/**
 * Adds the cycles beyond the issue slot of one MVE instruction after `prev` to `c`, and takes back the
 * cycle of `prev`'s second half that this instruction overlaps: memory cycles for loads/stores/gathers,
 * `multiply` for the beats of arithmetic and MAC instructions.
 */
export function mveCycles(i: Insn, prev: Insn | undefined, c: Cycles): void {
  switch (i.cls) {
    case 'vmem': c.memory += 1; break;
    case 'vgather': c.memory += Math.max(1, i.nregs) - 1; break;
    case 'vop': c.multiply += 1; break;
    case 'vmov': break;
    default: break;
  }
  // Overlap with the previous vector instruction's second cycle: different units, or a scalar instruction.
  const pu = prev ? unit(prev) : undefined;
  if (!prev || !pu || prev.cls === 'vgather') return;
  const u = unit(i);
  if (i.cls === 'vgather' || u === pu) return;
  if (pu === 'mem') c.memory -= 1; else c.multiply -= 1;
}
