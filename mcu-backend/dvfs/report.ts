// The DVFS report: per segment the chosen point, time and energy; totals against race-to-idle and the
// single lowest point; and an SVG of clock and power over one inference period. Every figure is modelled.

import { transitionCost, type OperatingPoint, type PartSpec } from './parts.ts';
import { type Plan, type PlanInput, type Segment, lowestSinglePoint, planDvfs, raceToIdle, segmentCost } from './planner.ts';

export interface DvfsResult {
  part: string;
  deadlineUs: number;
  plan: Plan;
  raceToIdle: Plan;
  lowestPoint: Plan;
  /** 1 - plan / baseline energy. */
  savingVsRace: number;
  savingVsLowest: number;
  segments: Array<{ name: string; point: number; fMHz: number; range: string; us: number; uj: number }>;
  note: string;
}

export function runDvfs(input: PlanInput): DvfsResult {
  const plan = planDvfs(input);
  const race = raceToIdle(input);
  const low = lowestSinglePoint(input);
  const segments = input.segments.map((s, i) => {
    const p = input.points[plan.choice[i]!]!;
    const c = segmentCost(s, p);
    return { name: s.name, point: p.id, fMHz: p.fMHz, range: p.range, us: c.us, uj: c.uj };
  });
  return {
    part: input.part.name, deadlineUs: input.deadlineUs, plan, raceToIdle: race, lowestPoint: low,
    savingVsRace: 1 - plan.energyUj / race.energyUj, savingVsLowest: 1 - plan.energyUj / low.energyUj, segments,
    note: 'Energy is modelled from the part table (tinyforge mcu-backend/dvfs/parts.ts), not measured.',
  };
}

export function formatDvfs(r: DvfsResult): string {
  const lines = [`DVFS plan for ${r.part}, deadline ${(r.deadlineUs / 1000).toFixed(3)} ms (modelled energy)`];
  lines.push('segment'.padEnd(32) + 'point'.padStart(22) + 'time us'.padStart(12) + 'energy uJ'.padStart(12));
  for (const s of r.segments) {
    lines.push(s.name.padEnd(32) + `${s.range} ${s.fMHz} MHz`.padStart(22) + s.us.toFixed(1).padStart(12) + s.uj.toFixed(2).padStart(12));
  }
  const row = (n: string, p: Plan) => `${n.padEnd(20)} ${p.energyUj.toFixed(2).padStart(10)} uJ  busy ${(p.busyUs / 1000).toFixed(3)} ms  switches ${p.switches}${p.feasible ? '' : '  (misses the deadline)'}`;
  lines.push(row('plan', r.plan), row('race-to-idle', r.raceToIdle), row('lowest single point', r.lowestPoint));
  lines.push(`saving vs race-to-idle ${(100 * r.savingVsRace).toFixed(1)}%, vs lowest single point ${(100 * r.savingVsLowest).toFixed(1)}%`);
  return lines.join('\n');
}

/** Clock (top) and power (bottom) over one period, as a step plot. */
export function dvfsSvg(part: PartSpec, points: OperatingPoint[], input: PlanInput, plan: Plan, title: string): string {
  const W = 800, H = 320, pad = 50;
  const steps: Array<{ t0: number; t1: number; f: number; p: number; label: string; sw?: boolean }> = [];
  let t = part.wakeUs;
  const home = points[input.homePoint ?? 0]!;
  let prev = home;
  const switchTo = (pt: OperatingPoint) => {
    const tr = transitionCost(part, prev, pt);
    if (tr.us > 0) steps.push({ t0: t, t1: t + tr.us, f: 0, p: tr.uj / tr.us * 1000, label: `switch ${prev.fMHz} -> ${pt.fMHz} MHz (${tr.us} us)`, sw: true });
    t += tr.us;
    prev = pt;
  };
  input.segments.forEach((s: Segment, i) => {
    const pt = points[plan.choice[i]!]!;
    switchTo(pt);
    const c = segmentCost(s, pt);
    steps.push({ t0: t, t1: t + c.us, f: pt.fMHz, p: pt.powerMw, label: s.name });
    t += c.us;
  });
  switchTo(home);
  const T = Math.max(input.deadlineUs, t);
  const fMax = Math.max(...points.map((p) => p.fMHz));
  const pMax = Math.max(...points.map((p) => p.powerMw));
  const x = (us: number) => pad + ((W - 2 * pad) * us) / T;
  const yF = (f: number) => pad + (H / 2 - pad) * (1 - f / fMax);
  const yP = (p: number) => H / 2 + 20 + (H / 2 - pad - 20) * (1 - p / pMax);
  const rects = steps.map((s) => s.sw
    ? `<rect x="${x(s.t0).toFixed(1)}" y="${yP(s.p).toFixed(1)}" width="${Math.max(0.5, x(s.t1) - x(s.t0)).toFixed(1)}" height="${(yP(0) - yP(s.p)).toFixed(1)}" fill="#999"><title>${s.label}, ${s.p.toFixed(1)} mW</title></rect>`
    : `<rect x="${x(s.t0).toFixed(1)}" y="${yF(s.f).toFixed(1)}" width="${Math.max(0.5, x(s.t1) - x(s.t0)).toFixed(1)}" height="${(yF(0) - yF(s.f)).toFixed(1)}" fill="#4a7ebb"><title>${s.label}: ${s.f} MHz</title></rect>` +
    `<rect x="${x(s.t0).toFixed(1)}" y="${yP(s.p).toFixed(1)}" width="${Math.max(0.5, x(s.t1) - x(s.t0)).toFixed(1)}" height="${(yP(0) - yP(s.p)).toFixed(1)}" fill="#d9822b"><title>${s.label}: ${s.p.toFixed(1)} mW</title></rect>`).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<text x="${pad}" y="20" font-size="13">${title} (modelled)</text>
<text x="8" y="${yF(fMax) + 4}">${fMax} MHz</text><text x="8" y="${yP(pMax) + 4}">${pMax.toFixed(0)} mW</text>
<line x1="${pad}" y1="${yF(0)}" x2="${W - pad}" y2="${yF(0)}" stroke="#333"/><line x1="${pad}" y1="${yP(0)}" x2="${W - pad}" y2="${yP(0)}" stroke="#333"/>
<text x="${W - pad}" y="${H - 8}" text-anchor="end">${(T / 1000).toFixed(2)} ms (deadline); grey: clock switches; after the last segment: stop mode (${(part.vddV * part.stopmA).toFixed(2)} mW)</text>
${rects}
</svg>
`;
}
