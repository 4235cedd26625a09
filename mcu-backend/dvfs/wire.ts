// Wires a per-segment DVFS plan into a generated model (`targets.mcu.part`): the part from its name, the
// segments of the emitted model (../emit/model.ts: an access segment before every decoupled layer, an
// execute segment per layer) priced by the cycle model (zero-wait cycles + flash misses at each point's wait
// states; or, without a profile, their measured instructions, QEMU markers 1/2, 5/6, 7/8), the plan
// for the latency budget (default: 1.5 x the latency at the fastest point, see docs/config.md), and the
// files `<name>_dvfs.h/.c` + tinyforge_opp.h that the generated invoke includes and calls into.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { repoRoot } from '../../compiler/paths.ts';
import type { EmittedModel } from '../emit/model.ts';
import { emitDvfsPlan } from './emit.ts';
import { PARTS, flashClockMHz, operatingPoints, waitStates, type OperatingPoint, type PartSpec } from './parts.ts';
import { PART_MEMORY } from '../timing/memory.ts';
import type { ProfileSegmentCost } from '../timing/layers.ts';
import { raceToIdle, type Plan, type PlanInput, type Segment } from './planner.ts';
import { runDvfs, type DvfsResult } from './report.ts';
import { buildSegments, type LayerCost } from './segments.ts';

/** Factor on the fastest-point latency used when no latency_ms is given. */
export const DEFAULT_LATENCY_FACTOR = 1.5;

/** The part table entry for a part number such as `STM32L4R5ZI` or `stm32h743`. */
export function resolvePart(name: string, where: { file?: string } = {}): PartSpec {
  const n = name.toLowerCase();
  const hit = Object.keys(PARTS).find((k) => n.startsWith(k));
  if (!hit) throw new TinyforgeError(`targets.mcu.part '${name}' has no DVFS part table`, where, `valid parts: ${Object.keys(PARTS).join(', ')} (a longer part number such as STM32L4R5ZI is fine)`);
  return PARTS[hit]!;
}

/** Per-layer and per-segment instruction counts of one invoke (QEMU markers). */
export interface SegmentCounts { layers: number[]; access?: number[]; hooks?: number[] }

export function modelSegments(em: EmittedModel, part: PartSpec, counts?: SegmentCounts): Segment[] {
  const hookOf = new Map<string, number>();
  em.segments.forEach((s, k) => { if (counts?.hooks?.[k] !== undefined) hookOf.set(`${s.layer}.${s.kind}`, counts.hooks[k]!); });
  const layers: LayerCost[] = em.layers.map((l) => ({
    name: `${l.index}:${l.name}`,
    instructions: counts?.layers[l.index] ?? l.estimate?.instructions ?? 0,
    loads: l.estimate?.loads ?? 0,
    weightBytes: l.constBytes,
    dae: l.dae !== undefined,
    accessInstructions: l.dae ? counts?.access?.[l.index] : undefined,
    hookInstructions: { access: hookOf.get(`${l.index}.access`), execute: hookOf.get(`${l.index}.execute`) },
  }));
  const segs = buildSegments(layers, part);
  if (segs.length !== em.segments.length) throw new Error(`dvfs: ${segs.length} modelled segments, the model has ${em.segments.length}`);
  return segs;
}

/**
 * Segments priced by the cycle model (timing/layers.ts): the invoke's marker segments in order, each one's
 * zero-wait cycles and flash misses summed into the DVFS segment it belongs to. A segment closed by marker 6
 * is a layer's access copy, one closed by 2 its execute segment; the hook calls (7..8) and the glue between
 * markers count in the segment they start, the code after the last layer in the last segment.
 */
export function profileSegments(em: EmittedModel, prof: ProfileSegmentCost[]): Segment[] {
  const segs: Segment[] = [];
  let cycles = 0, misses = 0;
  for (const p of prof) {
    cycles += p.cycles;
    misses += p.misses;
    if (p.marker === 6 || p.marker === 2) {
      const k = segs.length;
      const want = em.segments[k];
      const kind = p.marker === 6 ? 'access' : 'execute';
      if (!want || want.kind !== kind) throw new Error(`dvfs: profile segment ${k} is an ${kind} segment, the model has ${want ? want.kind : 'none'}`);
      const l = em.layers[want.layer]!;
      segs.push({ name: `${l.index}:${l.name}.${kind}`, layer: want.layer, kind, cycles, flashLines: 0, misses });
      cycles = 0; misses = 0;
    } else if (p.marker === 4 && segs.length > 0) {
      segs[segs.length - 1]!.cycles += cycles;
      segs[segs.length - 1]!.misses! += misses;
    }
  }
  if (segs.length !== em.segments.length) throw new Error(`dvfs: ${segs.length} profile segments, the model has ${em.segments.length}`);
  return segs;
}

/** The part's operating points with the stall of one flash miss at each (the cycle model's memory of the part:
 *  its wait states in CPU cycles at the point's range and clock, timing/memory.ts); unchanged without a memory model. */
export function pointsWithMisses(part: PartSpec): OperatingPoint[] {
  const mem = PART_MEMORY[part.name];
  return operatingPoints(part).map((p) => {
    if (!mem) return p;
    const r = part.ranges.find((x) => x.name === p.range)!;
    const flash = flashClockMHz(r, p.fMHz);
    const ws = waitStates(r, flash) * Math.round(p.fMHz / flash);
    return { ...p, missCycles: ws > 0 ? mem.missCycles(ws) : 0 };
  });
}

/** `<name>_dvfs.h/.c` (the plan, or every segment at the fastest point before planning) and tinyforge_opp.h. */
export function dvfsFiles(em: EmittedModel, part: PartSpec, points: OperatingPoint[], segments: Segment[], plan?: Plan): Record<string, string> {
  const p: Plan = plan ?? { choice: segments.map(() => points[0]!.id), busyUs: 0, energyUj: 0, switches: 0, feasible: true };
  const { header, source } = emitDvfsPlan(em.cname, part, points, p, segments);
  return {
    [`${em.cname}_dvfs.h`]: header, [`${em.cname}_dvfs.c`]: source,
    'tinyforge_opp.h': readFileSync(join(repoRoot, 'mcu-backend', 'dvfs', 'examples', 'tinyforge_opp.h'), 'utf8'),
  };
}

export interface DvfsBuild {
  result: DvfsResult;
  input: PlanInput;
  points: OperatingPoint[];
  /** Latency at the fastest point (busy time of race-to-idle), µs. */
  maxClockUs: number;
  /** 'config' when latency_ms was given, else the default factor on maxClockUs. */
  deadlineFrom: 'config' | 'default';
  instructionsFrom: 'cycle model' | 'measured' | 'estimated';
}

/** Plans a model's segments. With `profile` (the cycle model's segments for this part) the segments are modelled
 *  cycles with their flash misses priced at each point; else measured (or estimated) instructions (segments.ts). */
export function planModel(em: EmittedModel, part: PartSpec, counts: SegmentCounts | undefined, latencyMs?: number, profile?: ProfileSegmentCost[]): DvfsBuild {
  const points = profile ? pointsWithMisses(part) : operatingPoints(part);
  const segments = profile ? profileSegments(em, profile) : modelSegments(em, part, counts);
  const maxClockUs = raceToIdle({ part, points, segments, deadlineUs: Number.MAX_SAFE_INTEGER }).busyUs;
  const deadlineUs = latencyMs !== undefined ? latencyMs * 1000 : DEFAULT_LATENCY_FACTOR * maxClockUs;
  const input: PlanInput = { part, points, segments, deadlineUs };
  return { result: runDvfs(input), input, points, maxClockUs, deadlineFrom: latencyMs !== undefined ? 'config' : 'default', instructionsFrom: profile ? 'cycle model' : counts ? 'measured' : 'estimated' };
}
