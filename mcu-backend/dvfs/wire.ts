// Wires a per-segment DVFS plan into a generated model (`targets.mcu.part`): the part from its name, the
// segments of the emitted model (../emit/model.ts: an access segment before every decoupled layer, an
// execute segment per layer) with their measured instructions (QEMU markers 1/2, 5/6, 7/8), the plan
// for the latency budget (default: 1.5 x the latency at the fastest point, see docs/config.md), and the
// files `<name>_dvfs.h/.c` + tinyforge_opp.h that the generated invoke includes and calls into.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { repoRoot } from '../../compiler/paths.ts';
import type { EmittedModel } from '../emit/model.ts';
import { emitDvfsPlan } from './emit.ts';
import { PARTS, operatingPoints, type OperatingPoint, type PartSpec } from './parts.ts';
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
  instructionsFrom: 'measured' | 'estimated';
}

export function planModel(em: EmittedModel, part: PartSpec, counts: SegmentCounts | undefined, latencyMs?: number): DvfsBuild {
  const points = operatingPoints(part);
  const segments = modelSegments(em, part, counts);
  const maxClockUs = raceToIdle({ part, points, segments, deadlineUs: Number.MAX_SAFE_INTEGER }).busyUs;
  const deadlineUs = latencyMs !== undefined ? latencyMs * 1000 : DEFAULT_LATENCY_FACTOR * maxClockUs;
  const input: PlanInput = { part, points, segments, deadlineUs };
  return { result: runDvfs(input), input, points, maxClockUs, deadlineFrom: latencyMs !== undefined ? 'config' : 'default', instructionsFrom: counts ? 'measured' : 'estimated' };
}
