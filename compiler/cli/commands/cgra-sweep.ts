// `tinyforge cgra sweep <config|model> --rows 2,4,8 --cols 2,4,8 --strategies auto,general,...`: the
// design-space sweep of cgra-mapper/sweep.ts over array sizes x strategies, every point mapped, simulated
// and checked against the golden runtime in worker threads, with a progress bar on stderr; writes
// <out>/sweep.json (every point, per-layer figures, the Pareto front) and <out>/sweep.svg (the Pareto plot).
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../../diagnostics.ts';
import type { Command } from '../command.ts';
import { loadModel } from '../../frontend/load.ts';
import { writeFileAtomic } from '../../files.ts';
import { STRATEGY_NAMES } from '../../../cgra-mapper/strategies/index.ts';
import { EFFORT_OPTION, effortOf } from './cgra-map.ts';
import { markPareto, runSweep, sweepSvg, type SweepJob } from '../../../cgra-mapper/sweep.ts';

function sizes(v: unknown, name: string, dflt: string): number[] {
  const s = typeof v === 'string' ? v : dflt;
  const out = s.split(',').map((x) => x.trim());
  for (const x of out) if (!/^\d+$/.test(x) || Number(x) < 1 || Number(x) > 16) throw new UsageError(`--${name} must be a comma-separated list of integers from 1 to 16, got '${s}'`);
  return [...new Set(out.map(Number))];
}

export const cgraSweep: Command = {
  name: 'sweep',
  summary: 'Sweep array sizes x strategies over a model: cycles, energy and context words per point, JSON and an SVG Pareto plot',
  usage: 'cgra sweep <config.yaml|model.tflite> [--rows 2,4,8] [--cols 2,4,8] [--strategies auto,general,...] [--inputs N] [--workers N] [--call-cycles N] [--effort x] [--out dir] [--json]',
  options: {
    rows: { type: 'string', description: 'comma-separated PE row counts (default 2,4,8)' },
    cols: { type: 'string', description: 'comma-separated PE column counts (default 2,4,8)' },
    strategies: { type: 'string', description: `comma-separated strategies, each a sweep axis value (${STRATEGY_NAMES.join(' | ')}); auto = hand strategies with the general mapper as the fall-through (default auto,general)` },
    inputs: { type: 'string', description: 'random input sets checked against the golden runtime per point (default 1)' },
    workers: { type: 'string', description: 'worker threads (default: the available cores, at most 4; 0 runs in this thread)' },
    'call-cycles': { type: 'string', description: 'CPU cycles per kernel launch (default 190)' },
    out: { type: 'string', description: 'output folder for sweep.json and sweep.svg (default cgra-sweep)' },
    json: { type: 'boolean', description: 'also print the points as JSON on stdout' },
    ...EFFORT_OPTION,
  },
  positionals: [1, 1],
  async run({ positionals, values }) {
    const path = resolve(positionals[0]!);
    const { graph, config } = loadModel(path);
    const num = (k: string, d: number): number => {
      const v = values[k];
      if (v === undefined) return d;
      if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new UsageError(`--${k} must be a non-negative integer, got '${String(v)}'`);
      return Number(v);
    };
    const rows = sizes(values.rows, 'rows', '2,4,8'), cols = sizes(values.cols, 'cols', '2,4,8');
    const strategies = (typeof values.strategies === 'string' ? values.strategies : 'auto,general').split(',').map((x) => x.trim()).filter(Boolean);
    for (const s of strategies) if (!STRATEGY_NAMES.includes(s)) throw new UsageError(`--strategies: '${s}' is not a strategy (${STRATEGY_NAMES.join(', ')})`);
    const inputs = num('inputs', 1);
    if (inputs < 1) throw new UsageError('--inputs must be at least 1');
    const workers = num('workers', Math.min(4, availableParallelism()));
    const callCycles = num('call-cycles', config?.targets.cgra?.callCycles ?? 190);
    const effort = effortOf(values);
    const jobs: SweepJob[] = [];
    for (const r of rows) for (const c of cols) for (const s of strategies) jobs.push({ model: path, rows: r, cols: c, strategy: s, inputs, callCycles, effort });
    const t0 = Date.now();
    const tty = process.stderr.isTTY === true;
    const points = await runSweep(jobs, workers, (done, total, p) => {
      const w = 30, fill = Math.round((w * done) / total);
      const line = `[${'#'.repeat(fill)}${'-'.repeat(w - fill)}] ${done}/${total} ${p.rows}x${p.cols} ${p.strategy}: ${p.error ? `error: ${p.error}` : `${p.layersMapped} layers, ${p.cycles} cycles${p.bitExact ? '' : ' MISMATCH'}`} (${((Date.now() - t0) / 1000).toFixed(1)} s)`;
      process.stderr.write(tty ? `\r${line.slice(0, 150).padEnd(150)}${done === total ? '\n' : ''}` : `tinyforge: sweep ${line}\n`);
    });
    markPareto(points);
    const out = typeof values.out === 'string' ? values.out : 'cgra-sweep';
    mkdirSync(out, { recursive: true });
    const doc = { model: graph.name, source: positionals[0], rows, cols, strategies, inputs, callCycles, points, pareto: points.filter((p) => p.pareto).map((p) => `${p.rows}x${p.cols} ${p.strategy}`) };
    writeFileAtomic(join(out, 'sweep.json'), JSON.stringify(doc, null, 2) + '\n', 'sweep.json');
    writeFileAtomic(join(out, 'sweep.svg'), sweepSvg(points, `${graph.name}: cycles vs energy vs context words`), 'sweep.svg');
    const lines = points.map((p) => `${`${p.rows}x${p.cols}`.padEnd(6)} ${p.strategy.padEnd(12)} ${p.error ? `error: ${p.error}` : `mapped ${p.layersMapped}, host ${p.layersOnHost}, ${p.bitExact ? 'bit-exact' : 'MISMATCH'}, ${p.cycles} cycles (${p.macPerCycle.toFixed(3)} MAC/c; ports ${p.macPerCyclePorts.toFixed(3)}), ${p.energyJ.toExponential(3)} J, ${p.contextWords} context words${p.pareto ? '  [Pareto]' : ''}`}`);
    if (values.json) process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    else process.stdout.write(`${lines.join('\n')}\nwrote ${join(out, 'sweep.json')} and ${join(out, 'sweep.svg')}\n`);
    return points.every((p) => !p.error && p.bitExact) ? 0 : 1;
  },
};
