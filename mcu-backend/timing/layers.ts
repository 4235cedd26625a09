// Modelled cycles of a generated model's layers: the cycle model (model.ts) over the block profile of one
// invoke on QEMU, split by the markers of the generated code (harness/README.md: 3 invoke start, 1/2 a
// layer, 5/6 a layer's access segment, 7/8 a DVFS hook call, 4 invoke end). A layer's cycles are its 1..2
// segment plus its access segment; the invoke's are everything from marker 3 to marker 4. Modelled, not
// measured.
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import type { EmittedModel } from '../emit/model.ts';
import { runModel } from '../runner.ts';
import { type McuCpu, type QemuCpu } from '../harness/run.ts';
import { partMemory, type PartMemory } from './memory.ts';
import { flashMisses, segmentCycles, sumCycles, zeroCycles, type Cycles, readProfile } from './model.ts';

export interface ModelledLayer { index: number; name: string; kind: string; macs: number; cycles: Cycles; cyclesPerMac?: number }
export interface ModelledRun {
  cpu: McuCpu;
  part?: string;
  clockMHz?: number;
  waitStates?: number;
  layers: ModelledLayer[];
  invoke: Cycles;
  macs: number;
  cyclesPerMac?: number;
  /** Invoke latency at the clock, ms (with a part). */
  latencyMs?: number;
  /** With a part: the invoke's marker segments (marker 3 to 4) priced in zero-wait memory, with the flash
   *  accesses that stall for a miss, so that a DVFS plan can price them at any clock (../dvfs/wire.ts). */
  segments?: ProfileSegmentCost[];
}

/** One marker segment of an invoke: the marker that ends it, its cycles in zero-wait memory, and its flash misses. */
export interface ProfileSegmentCost { marker: number; cycles: number; misses: number }

/** Splits an invoke's segments into layers (first invoke of the profile). */
export function layerCycles(segs: Array<{ marker: number; cycles: Cycles }>, em: EmittedModel): { layers: Cycles[]; invoke: Cycles } {
  const start = segs.findIndex((s) => s.marker === 3);
  if (start < 0) throw new TinyforgeError('cycle profile: no invoke start marker (3)');
  const layers: Cycles[] = [];
  const all: Cycles[] = [];
  let access: Cycles | undefined;
  for (let k = start + 1; k < segs.length; k++) {
    const s = segs[k];
    all.push(s.cycles);
    if (s.marker === 6) access = s.cycles;
    else if (s.marker === 2) {
      const c = sumCycles(access ? [s.cycles, access] : [s.cycles]);
      layers.push(c);
      access = undefined;
    } else if (s.marker === 4) break;
  }
  if (layers.length !== em.layers.length) throw new TinyforgeError(`cycle profile: expected ${em.layers.length} layers, got ${layers.length}`);
  return { layers, invoke: sumCycles(all) };
}

/** Runs one input of an emitted model on QEMU with the profile and prices it for the core (and part at a clock). */
export function modelRun(em: EmittedModel, input: Int8Array, cpu: QemuCpu, workDir: string, opts: { part?: string; clockMHz?: number } = {}): ModelledRun {
  const part: PartMemory | undefined = opts.part ? partMemory(opts.part) : undefined;
  const profile = `${workDir}/profile.txt`;
  runModel(em, [input], cpu, { workDir, profile, caches: part ? { icache: part.icache, dcache: part.dcache } : undefined });
  const clockMHz = part ? opts.clockMHz ?? part.fMaxMHz : opts.clockMHz;
  const prof = readProfile(profile);
  const segs = segmentCycles(prof, { cpu, part, clockMHz });
  const { layers, invoke } = layerCycles(segs, em);
  let segments: ProfileSegmentCost[] | undefined;
  if (part) {
    const base = segmentCycles(prof, { cpu });
    const start = prof.segments.findIndex((s) => s.marker === 3);
    const end = prof.segments.findIndex((s, k) => k > start && s.marker === 4);
    segments = prof.segments.slice(start + 1, end + 1).map((s, k) => {
      const m = flashMisses(s, part);
      return { marker: s.marker, cycles: base[start + 1 + k].cycles.total, misses: m.fetch + m.data };
    });
  }
  const macs = em.layers.reduce((s, l) => s + l.macs, 0);
  return {
    cpu, part: part?.name, clockMHz, waitStates: part ? part.waitStates(clockMHz!) : undefined,
    layers: em.layers.map((l, i) => ({ index: l.index, name: l.name, kind: l.kind, macs: l.macs, cycles: layers[i] ?? zeroCycles(),
      cyclesPerMac: l.macs > 0 ? +(layers[i].total / l.macs).toFixed(3) : undefined })),
    invoke, macs, cyclesPerMac: macs > 0 ? +(invoke.total / macs).toFixed(3) : undefined,
    latencyMs: clockMHz ? +(invoke.total / clockMHz / 1000).toFixed(3) : undefined,
    segments,
  };
}
