// Executes a layer plan on the cycle-level simulator: writes the constant and host-staged blocks, runs
// every launch in order, reads the output regions back and lets the plan's host post-step gather the raw
// int32 sums; the caller requantises (layer.ts) and compares with the golden runtime. Also sums the
// simulator's statistics into the per-layer figures the report prints.
import type { Arith } from '../compiler/quant/multiplier.ts';
import { makeArch, type BusModel, type CgraArch } from './arch.ts';
import { buildImage } from './isa/image.ts';
import { requantise } from './layer.ts';
import type { LayerPlan } from './plan.ts';
import { CgraSim } from './sim/sim.ts';

export interface RunFigures {
  bus: BusModel;
  launches: number;
  /** Array cycles (overhead + configuration + execution), summed over launches. */
  arrayCycles: number;
  /** arrayCycles + callCycles per launch. */
  cycles: number;
  loads: number;
  stores: number;
  unaligned: number;
  energyJ: number;
  /** Busy cycles of all PEs / (16 x execution cycles). */
  peUtilisation: number;
}

export interface RunResult { raw: Int32Array; output: Int8Array; figures: RunFigures }

export function runPlan(plan: LayerPlan, input: Int8Array, arith: Arith, arch: CgraArch = makeArch(), bus: BusModel = 'shared'): RunResult {
  const image = buildImage(arch, plan.kernels);
  const sim = new CgraSim(arch, image, plan.memoryBytes, { bus });
  for (const b of plan.constBlocks) sim.writeWords(b.addr, b.words);
  for (const b of plan.stage(input)) sim.writeWords(b.addr, b.words);
  const f: RunFigures = { bus, launches: 0, arrayCycles: 0, cycles: 0, loads: 0, stores: 0, unaligned: 0, energyJ: 0, peUtilisation: 0 };
  let busy = 0, exec = 0;
  for (const l of plan.launches) {
    const s = sim.launch(l.kernel, l.ptrIn, l.ptrOut);
    f.launches++;
    f.arrayCycles += s.cycles;
    f.cycles += s.cycles + arch.callCycles;
    f.loads += s.loads;
    f.stores += s.stores;
    f.unaligned += s.unalignedAccesses;
    f.energyJ += s.energy.joules;
    for (const p of s.perPe) busy += p.busyCycles;
    exec += s.execCycles * arch.rows * arch.cols;
  }
  f.peUtilisation = exec ? busy / exec : 0;
  const regions = plan.outRegions.map((r) => Int32Array.from(sim.readWords(r.addr, r.words)));
  const raw = plan.gather(regions);
  return { raw, output: requantise(plan.layer, raw, arith), figures: f };
}
