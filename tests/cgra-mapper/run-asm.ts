// Test helper: assemble a kernel text, load data, launch it on the simulator and return stats + memory.
import { makeArch, type BusModel, type CgraArch } from '../../cgra-mapper/arch.ts';
import { assembleImage } from '../../cgra-mapper/isa/asm.ts';
import { CgraSim, type LaunchStats } from '../../cgra-mapper/sim/sim.ts';

export interface RunOpts {
  arch?: Partial<CgraArch>;
  bus?: BusModel;
  mem?: { addr: number; words: number[] }[];
  ptrIn?: number[];
  ptrOut?: number[];
  memoryBytes?: number;
  trace?: boolean;
  legacyStep?: boolean;
  cycleLimit?: number;
  kernel?: number;
}

export function runAsm(text: string, o: RunOpts = {}): { stats: LaunchStats; sim: CgraSim } {
  const arch = makeArch({ ...(o.arch ?? {}), ...(o.bus ? { bus: o.bus } : {}) });
  const image = assembleImage(text, { arch });
  const sim = new CgraSim(arch, image, o.memoryBytes ?? 4096, { trace: o.trace, legacyStep: o.legacyStep, cycleLimit: o.cycleLimit });
  for (const m of o.mem ?? []) sim.writeWords(m.addr, m.words);
  const stats = sim.launch(o.kernel ?? 1, o.ptrIn ?? [], o.ptrOut ?? []);
  return { stats, sim };
}

/** A 1-row, `cols`-column kernel text from per-step cell lists (rows = 1 arch). */
export function grid1(steps: string[][], cols = steps[0].length): string {
  return [`kernel 1 cols=${cols}`, ...steps.flatMap((cells, t) => [`step ${t}`, '  ' + cells.join(' | ')]), 'end'].join('\n');
}
