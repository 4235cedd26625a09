// The DVFS step of a Cortex-M build (`targets.mcu.part`): with the measured counts of the run stage, plans
// the segments (wire.ts), rewrites `<name>_dvfs.c` with the plan, writes the clock plot and adds the plan
// to the build report.
import { renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeModelFiles } from '../runner.ts';
import type { McuBuild } from '../stages/report.ts';
import type { PartSpec } from './parts.ts';
import { dvfsSvg } from './report.ts';
import { dvfsFiles, planModel, type SegmentCounts } from './wire.ts';

/** Plans the segments with the measured counts, rewrites <name>_dvfs.c with the plan, writes the SVG. */
export function addDvfs(b: McuBuild, part: PartSpec, counts: SegmentCounts | undefined, latencyMs: number | undefined, outDir: string): void {
  const profile = b.cycleSegments?.part === part.name ? b.cycleSegments.segments : undefined;
  const d = planModel(b.em, part, counts, latencyMs, profile);
  const dir = join(outDir, 'mcu');
  b.em.extraFiles = dvfsFiles(b.em, part, d.points, d.input.segments, d.result.plan);
  writeModelFiles(dir, b.em);
  const svg = join(dir, `${b.em.cname}_dvfs.svg`);
  writeFileSync(`${svg}.tmp`, dvfsSvg(part, d.points, d.input, d.result.plan, `${b.em.cname} on ${part.name}`));
  renameSync(`${svg}.tmp`, svg);
  for (const f of [...Object.keys(b.em.extraFiles).map((n) => join(dir, n)), svg]) if (!b.files.includes(resolve(f))) b.files.push(resolve(f));
  const sum = (xs: number[] | undefined) => xs?.reduce((s, x) => s + x, 0);
  b.layers.forEach((l) => { if (l.dae && counts?.access) l.dae.accessInstructions = counts.access[l.index]; });
  if (!d.result.plan.feasible) b.notes.push(`DVFS: latency budget ${(d.input.deadlineUs / 1000).toFixed(3)} ms is below the ${(d.maxClockUs / 1000).toFixed(3)} ms of the fastest point; every segment runs at the fastest point`);
  if (part.core !== `cortex-${b.target.cpu}`) b.notes.push(`DVFS: instructions counted for cortex-${b.target.cpu}, the part ${part.name} has a ${part.core}`);
  b.dvfs = {
    ...d.result, maxClockUs: d.maxClockUs, deadlineFrom: d.deadlineFrom, instructionsFrom: d.instructionsFrom,
    hookInstructions: sum(counts?.hooks), hookCalls: b.em.segments.length, accessInstructions: sum(counts?.access), svg: resolve(svg),
  };
}
