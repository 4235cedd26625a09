// The DVFS report: per segment the chosen point, time and energy; totals against race-to-idle and the
// single lowest point; and an SVG of clock and power over one inference period. Every figure is modelled.

import { type OperatingPoint, type PartSpec } from './parts.ts';
import { type Plan, type PlanInput, lowestSinglePoint, periodSteps, planDvfs, raceToIdle, segmentCost } from './planner.ts';

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

/** Clock (top) and power (bottom) over one period, as a step plot with labelled axes: each level the plan
 *  uses is a tick on its panel's axis, the time axis marks the start, the end of the work and the deadline,
 *  and the idle (stop mode) part is shaded. Hovering a bar names its segment. */
export function dvfsSvg(part: PartSpec, points: OperatingPoint[], input: PlanInput, plan: Plan, title: string): string {
  const W = 800, H = 350, left = 90, right = 30;
  const steps: Array<{ t0: number; t1: number; f: number; p: number; label: string; sw?: boolean }> = [];
  let t = part.wakeUs;
  // Clock switches (and the PLL lock after the wake-up) take time at a stalled or HSI clock: drawn as grey
  // power bars with no clock bar.
  for (const st of periodSteps(input, plan.choice)) {
    if (st.kind === 'segment') steps.push({ t0: t, t1: t + st.us, f: st.to.fMHz, p: st.to.powerMw, label: st.segment!.name });
    else if (st.us > 0) {
      const what = st.kind === 'wake' ? `wake-up: PLL lock to ${st.to.fMHz} MHz` : `switch ${st.from!.fMHz} -> ${st.to.fMHz} MHz`;
      steps.push({ t0: t, t1: t + st.us, f: 0, p: st.uj / st.us * 1000, label: `${what} (${st.us} us)`, sw: true });
    }
    t += st.us;
  }
  const busyEnd = t;
  const T = Math.max(input.deadlineUs, t);
  const fMax = Math.max(...points.map((p) => p.fMHz));
  const pMax = Math.max(...points.map((p) => p.powerMw));
  const x = (us: number) => left + ((W - left - right) * us) / T;
  const fTop = 45, fBot = 145, pTop = 185, pBot = 285;
  const yF = (f: number) => fBot - (fBot - fTop) * (f / fMax);
  const yP = (p: number) => pBot - (pBot - pTop) * (p / pMax);
  const bar = (x0: number, x1: number, y: number, y0: number, fill: string, tip: string) =>
    `<rect x="${x(x0).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0.5, x(x1) - x(x0)).toFixed(1)}" height="${(y0 - y).toFixed(1)}" fill="${fill}"><title>${tip}</title></rect>`;
  const rects = steps.map((s) => s.sw
    ? bar(s.t0, s.t1, yP(s.p), pBot, '#999', `${s.label}, ${s.p.toFixed(1)} mW`)
    : bar(s.t0, s.t1, yF(s.f), fBot, '#4a7ebb', `${s.label}: ${s.f} MHz`) + bar(s.t0, s.t1, yP(s.p), pBot, '#d9822b', `${s.label}: ${s.p.toFixed(1)} mW`)).join('\n');
  // Axis ticks at the levels the plan uses (and 0), skipping labels that would overlap a neighbour.
  const ticks = (vals: number[], y: (v: number) => number, fmt: (v: number) => string) => {
    const out: string[] = [];
    let lastY = Infinity;
    for (const v of [...new Set([0, ...vals])].sort((a, b) => a - b)) {
      const yy = y(v);
      out.push(`<line x1="${left - 4}" y1="${yy.toFixed(1)}" x2="${left}" y2="${yy.toFixed(1)}" stroke="#333"/>`);
      if (lastY - yy >= 11) { out.push(`<text x="${left - 6}" y="${(yy + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`); lastY = yy; }
    }
    return out.join('');
  };
  const ms = (us: number) => `${(us / 1000).toFixed(2)} ms`;
  const xTick = (us: number, label: string, anchor: string, dy = 0) =>
    `<line x1="${x(us).toFixed(1)}" y1="${pBot}" x2="${x(us).toFixed(1)}" y2="${pBot + 5 + dy}" stroke="#333"/><text x="${x(us).toFixed(1)}" y="${pBot + 18 + dy}" text-anchor="${anchor}">${label}</text>`;
  // The end-of-work label drops a line when it would run into the deadline's.
  const endDy = x(T) - x(busyEnd) < 130 ? 14 : 0;
  const idle = busyEnd < T
    ? `<rect x="${x(busyEnd).toFixed(1)}" y="${fTop}" width="${(x(T) - x(busyEnd)).toFixed(1)}" height="${pBot - fTop}" fill="#eee"/>` +
      `<text x="${((x(busyEnd) + x(T)) / 2).toFixed(1)}" y="${(fTop + 12).toFixed(1)}" text-anchor="middle" fill="#666">idle</text>`
    : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<rect width="${W}" height="${H}" fill="#fff"/>
<text x="${left}" y="20" font-size="13">${title} (modelled)</text>
${idle}
<text x="12" y="${(fTop + fBot) / 2}" transform="rotate(-90 12 ${(fTop + fBot) / 2})" text-anchor="middle">clock (MHz)</text>
<text x="12" y="${(pTop + pBot) / 2}" transform="rotate(-90 12 ${(pTop + pBot) / 2})" text-anchor="middle">power (mW)</text>
${ticks(steps.filter((s) => !s.sw).map((s) => s.f), yF, (v) => String(v))}
${ticks(steps.map((s) => s.p), yP, (v) => v.toFixed(0))}
<line x1="${left}" y1="${fTop}" x2="${left}" y2="${fBot}" stroke="#333"/><line x1="${left}" y1="${pTop}" x2="${left}" y2="${pBot}" stroke="#333"/>
<line x1="${left}" y1="${fBot}" x2="${W - right}" y2="${fBot}" stroke="#333"/><line x1="${left}" y1="${pBot}" x2="${W - right}" y2="${pBot}" stroke="#333"/>
${rects}
${xTick(0, '0', 'start')}${busyEnd < T ? xTick(busyEnd, `work ends ${ms(busyEnd)}`, 'end', endDy) : ''}${xTick(T, `deadline ${ms(T)}`, 'end')}
<text x="${W - right}" y="${H - 6}" text-anchor="end">time; grey: clock switches; the idle part runs in stop mode (max clock ${fMax} MHz, ${pMax.toFixed(0)} mW)</text>
</svg>
`;
}
