// Speed of the pass pipeline (graph IR -> verified kernel IR) on the five MLPerf Tiny models: median wall
// and CPU milliseconds per run over repeated runs (the machine is shared: the CPU time is the fair figure),
// and the median share of each pass. The import of the .tflite file is not included.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { importTflite } from '../compiler/frontend/tflite/import.ts';
import { PASSES, runPipeline } from '../compiler/passes/registry.ts';
import { MODELS, modelPath, type ModelKey } from '../tests/helpers/paths.ts';

const RUNS = 15;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export default async function run() {
  const rows: Record<string, unknown> = {};
  for (const key of Object.keys(MODELS) as ModelKey[]) {
    const path = modelPath(key);
    if (!path) { console.log(`${key}: model absent, skipped`); continue; }
    const graph = importTflite(new Uint8Array(readFileSync(path)), MODELS[key]);
    const wall: number[] = [], cpu: number[] = [];
    const perPass: Record<string, number[]> = Object.fromEntries(PASSES.map((p) => [p.name, []]));
    for (let i = 0; i < RUNS; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      let last = t0;
      runPipeline(graph, {
        arith: 'tflm',
        afterPass: (name) => { const now = performance.now(); perPass[name].push(now - last); last = now; },
      });
      wall.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    const row = {
      ops: graph.ops.length,
      wallMs: +median(wall).toFixed(2),
      cpuMs: +median(cpu).toFixed(2),
      passMs: Object.fromEntries(Object.entries(perPass).map(([k, v]) => [k, +median(v).toFixed(3)])),
    };
    rows[key] = row;
    console.log(`${key.padEnd(7)} ${String(row.ops).padStart(3)} ops  wall ${row.wallMs.toFixed(2).padStart(7)} ms  cpu ${row.cpuMs.toFixed(2).padStart(7)} ms`);
  }
  return { runs: RUNS, loadavg: loadavg(), models: rows };
}
