// Design-space sweep for CGRA researchers (issue 16, `tinyforge cgra sweep`): array sizes x strategies over
// the layers of one model. A point is one (rows, cols, strategy): the model mapped with that strategy alone
// (`auto`: the hand strategies with the general mapper as the fall-through), every mapped layer simulated and
// compared with the golden runtime (runCgraTarget), layers the strategy cannot map counted on the host. Each
// point reports cycles (shared bus with the CPU call per launch, and the ports bus), the simulator's energy
// estimate and the context words its kernels occupy (steps x rows x kernel columns, summed over kernels).
// Points run in worker threads (sweep-worker.ts, bundled to dist/cgra-sweep-worker.mjs), or in-process.
// The Pareto front minimises (cycles, energy, context words) over the points that map every layer; the SVG
// plots cycles against energy, circle area by context words, the front in colour.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { distDir } from '../compiler/paths.ts';
import { loadModel } from '../compiler/frontend/load.ts';
import { makeArch } from './arch.ts';
import { searchBudget, setSearchBudget } from './general/index.ts';
import { runCgraTarget } from './target.ts';

export interface SweepJob { model: string; rows: number; cols: number; strategy: string; inputs: number; callCycles: number; /** The general mapper's search work scale (default 1). */ effort?: number }

export interface SweepPoint {
  rows: number; cols: number; strategy: string;
  layersMapped: number; layersOnHost: number; bitExact: boolean;
  macs: number; cycles: number; cyclesPorts: number; macPerCycle: number; macPerCyclePorts: number;
  energyJ: number; contextWords: number; launches: number;
  /** Per layer: strategy, cycles, and the modulo figures for the general mapper. */
  layers: { index: number; op: string; strategy: string; cycles: number; II?: number; lowerBound?: number }[];
  pareto?: boolean;
  error?: string;
}

/** One point, in this thread. */
export async function runSweepJob(j: SweepJob): Promise<SweepPoint> {
  const { graph } = loadModel(j.model);
  // A worker keeps its schedule cache across jobs of the same effort (auto and general share layers).
  if ((j.effort ?? 1) !== searchBudget()) setSearchBudget(j.effort ?? 1);
  const arch = makeArch({ rows: j.rows, cols: j.cols, callCycles: j.callCycles });
  const { report, mapped } = await runCgraTarget(graph, {
    arch, arith: 'tflm', strategy: 'auto', inputs: j.inputs, seed: 11, ...(j.strategy === 'auto' ? {} : { strategies: [j.strategy] }),
  });
  const onHost = (report.host ?? []).filter((h) => ['conv2d', 'depthwise_conv2d', 'fully_connected'].includes(h.op));
  const t = report.totals;
  let contextWords = 0;
  for (const m of mapped) for (const k of m.choice.plan.kernels) contextWords += k.words.length * j.rows * k.cols;
  const byIndex = new Map(mapped.map((m) => [m.op.index, m.choice.plan.schedule]));
  return {
    rows: j.rows, cols: j.cols, strategy: j.strategy, layersMapped: t.layers, layersOnHost: onHost.length, bitExact: t.bitExact,
    macs: t.macs, cycles: t.cycles, cyclesPorts: t.cyclesPorts, macPerCycle: t.macPerCycle, macPerCyclePorts: t.macPerCyclePorts,
    energyJ: t.energyJ, contextWords, launches: t.launches,
    layers: report.layers.map((l) => {
      const s = byIndex.get(l.index);
      return { index: l.index, op: l.op, strategy: l.cgra.strategy, cycles: l.cgra.cycles, ...(s ? { II: s.II, lowerBound: Math.max(s.resMII, s.recMII) } : {}) };
    }),
  };
}

export const sweepWorkerScript = join(distDir, 'cgra-sweep-worker.mjs');

/** Runs every job, in `workers` worker threads (0: in this thread); results in job order. */
export async function runSweep(jobs: SweepJob[], workers: number, onDone?: (done: number, total: number, p: SweepPoint) => void): Promise<SweepPoint[]> {
  const out: SweepPoint[] = new Array(jobs.length);
  let done = 0;
  const finish = (i: number, p: SweepPoint): void => { out[i] = p; done++; onDone?.(done, jobs.length, p); };
  const failed = (j: SweepJob, e: unknown): SweepPoint => ({
    rows: j.rows, cols: j.cols, strategy: j.strategy, layersMapped: 0, layersOnHost: 0, bitExact: false, macs: 0, cycles: 0, cyclesPorts: 0,
    macPerCycle: 0, macPerCyclePorts: 0, energyJ: 0, contextWords: 0, launches: 0, layers: [], error: (e as Error).message ?? String(e),
  });
  if (workers <= 0 || !existsSync(sweepWorkerScript)) {
    for (let i = 0; i < jobs.length; i++) { let p: SweepPoint; try { p = await runSweepJob(jobs[i]); } catch (e) { p = failed(jobs[i], e); } finish(i, p); }
    return out;
  }
  let next = 0;
  const one = (): Promise<void> => new Promise((resolve, reject) => {
    const w = new Worker(sweepWorkerScript);
    let cur = -1;
    const feed = (): void => {
      if (next >= jobs.length) { void w.terminate(); resolve(); return; }
      cur = next++;
      w.postMessage({ i: cur, job: jobs[cur] });
    };
    w.on('message', (m: { i: number; point?: SweepPoint; error?: string }) => {
      finish(m.i, m.point ?? failed(jobs[m.i], new Error(m.error)));
      feed();
    });
    w.on('error', (e) => reject(new Error(`sweep worker failed${cur >= 0 ? ` on ${jobs[cur].rows}x${jobs[cur].cols} ${jobs[cur].strategy}` : ''}: ${e.message}`)));
    w.on('online', feed);
  });
  await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, one));
  return out;
}

/** Marks the points on the Pareto front of (cycles, energy, context words) among those mapping every layer bit-exactly. */
export function markPareto(points: SweepPoint[]): SweepPoint[] {
  const ok = (p: SweepPoint): boolean => !p.error && p.layersOnHost === 0 && p.layersMapped > 0 && p.bitExact;
  const dominates = (a: SweepPoint, b: SweepPoint): boolean =>
    a.cycles <= b.cycles && a.energyJ <= b.energyJ && a.contextWords <= b.contextWords &&
    (a.cycles < b.cycles || a.energyJ < b.energyJ || a.contextWords < b.contextWords);
  for (const p of points) p.pareto = ok(p) && !points.some((q) => q !== p && ok(q) && dominates(q, p));
  return points;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The Pareto plot: cycles (log x) against energy (log y), circle area by context words, front in colour. */
export function sweepSvg(points: SweepPoint[], title: string): string {
  const pts = points.filter((p) => !p.error && p.layersOnHost === 0 && p.cycles > 0 && p.energyJ > 0);
  const W = 760, H = 520, L = 80, R = 200, T = 50, B = 60;
  const lx = (v: number): number => Math.log10(v), xs = pts.map((p) => lx(p.cycles)), ys = pts.map((p) => lx(p.energyJ));
  const span = (a: number[]): [number, number] => { const lo = Math.min(...a), hi = Math.max(...a); return hi - lo < 1e-9 ? [lo - 0.5, hi + 0.5] : [lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)]; };
  const [x0, x1] = pts.length ? span(xs) : [0, 1], [y0, y1] = pts.length ? span(ys) : [0, 1];
  const X = (v: number): number => L + ((v - x0) / (x1 - x0)) * (W - L - R), Y = (v: number): number => H - B - ((v - y0) / (y1 - y0)) * (H - T - B);
  const maxCw = Math.max(1, ...pts.map((p) => p.contextWords));
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(title)}</title>`, `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="24" font-size="14">${esc(title)}</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 20}" text-anchor="middle">cycles (shared bus, with CPU calls; log scale)</text>`,
    `<text x="20" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 20 ${(T + H - B) / 2})">energy, J (model; log scale)</text>`];
  for (let e = Math.ceil(x0); e <= Math.floor(x1); e++) out.push(`<text x="${X(e)}" y="${H - B + 16}" text-anchor="middle">1e${e}</text><line x1="${X(e)}" y1="${H - B}" x2="${X(e)}" y2="${H - B + 4}" stroke="black"/>`);
  for (let e = Math.ceil(y0); e <= Math.floor(y1); e++) out.push(`<text x="${L - 6}" y="${Y(e) + 4}" text-anchor="end">1e${e}</text><line x1="${L - 4}" y1="${Y(e)}" x2="${L}" y2="${Y(e)}" stroke="black"/>`);
  pts.forEach((p, i) => {
    const r = 3 + 12 * Math.sqrt(p.contextWords / maxCw);
    out.push(`<circle cx="${X(xs[i]).toFixed(1)}" cy="${Y(ys[i]).toFixed(1)}" r="${r.toFixed(1)}" fill="${p.pareto ? '#d62728' : '#9ecae1'}" fill-opacity="0.6" stroke="${p.pareto ? '#7f0000' : '#3182bd'}"><title>${esc(`${p.rows}x${p.cols} ${p.strategy}: ${p.cycles} cycles, ${p.energyJ.toExponential(3)} J, ${p.contextWords} context words${p.pareto ? ' (Pareto)' : ''}`)}</title></circle>`);
    if (p.pareto) out.push(`<text x="${(X(xs[i]) + r + 2).toFixed(1)}" y="${(Y(ys[i]) + 4).toFixed(1)}">${esc(`${p.rows}x${p.cols} ${p.strategy}`)}</text>`);
  });
  out.push(`<text x="${W - R + 20}" y="${T + 10}">circle area: context words</text>`,
    `<circle cx="${W - R + 28}" cy="${T + 30}" r="6" fill="#d62728" fill-opacity="0.6"/><text x="${W - R + 40}" y="${T + 34}">Pareto front (cycles, energy, words)</text>`,
    `<circle cx="${W - R + 28}" cy="${T + 50}" r="6" fill="#9ecae1" fill-opacity="0.6"/><text x="${W - R + 40}" y="${T + 54}">dominated</text>`);
  const skipped = points.filter((p) => p.error || p.layersOnHost > 0);
  if (skipped.length) out.push(`<text x="${W - R + 20}" y="${T + 80}">not plotted (layers on host / error): ${skipped.length}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
