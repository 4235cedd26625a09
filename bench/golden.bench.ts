// Golden-runtime speed: ms per inference of the five real models on the golden runtime's SIMD and scalar
// modules (arith tflite) and on TFLite's own interpreter (its plain wasm build, XNNPACK patched out, one
// thread), all in the same process and run, with ratios. The XNNPACK build is timed too, for information
// only (it is not bit-exact). The configurations are timed interleaved (see timeInterleaved) and the median
// is reported. Outputs are checked bit-exact (golden SIMD and scalar, arith tflite, vs the interpreter).
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { importTflite } from '../compiler/frontend/tflite/import.ts';
import { numElements } from '../compiler/ir/graph.ts';
import { graphStats } from '../compiler/ir/stats.ts';
import { GoldenRuntime } from '../runtime-wasm/host.ts';
import { TfliteInterpreter } from '../runtime-wasm/oracle/tflite-interpreter.ts';
import { MODELS, modelPath, type ModelKey } from '../tests/helpers/paths.ts';
import { Rng } from '../tests/helpers/random-ops.ts';

interface Timing { medianMs: number; minMs: number; runs: number }

/**
 * Times several configurations interleaved (one run of each per round), so that load from other processes on
 * this shared machine hits them alike: 3 warm-up rounds, then rounds until 4 s or 200 rounds (at least 10).
 */
function timeInterleaved<K extends string>(fns: Record<K, () => void>): Record<K, Timing> {
  const keys = Object.keys(fns) as K[];
  const ms = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < 3; i++) for (const k of keys) fns[k]();
  const start = performance.now();
  for (let round = 0; round < 200 && (round < 10 || performance.now() - start < 4000); round++) {
    for (const k of keys) {
      const t = performance.now();
      fns[k]();
      ms[k].push(performance.now() - t);
    }
  }
  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  return Object.fromEntries(keys.map((k) => {
    const v = ms[k].sort((a, b) => a - b);
    return [k, { medianMs: round3(v[v.length >> 1]), minMs: round3(v[0]), runs: v.length }];
  })) as Record<K, Timing>;
}

export default async function run() {
  const [simd, scalar, tflite, xnnpack] = await Promise.all([
    GoldenRuntime.load({ simd: true }), GoldenRuntime.load({ simd: false }), TfliteInterpreter.load(), TfliteInterpreter.load({ xnnpack: true }),
  ]);
  const models: Record<string, unknown> = {};
  const rows: string[][] = [];
  for (const key of Object.keys(MODELS) as ModelKey[]) {
    const p = modelPath(key);
    if (!p) { console.log(`${key}: model missing, skipped`); continue; }
    const file = new Uint8Array(readFileSync(p));
    const graph = importTflite(file, p);
    const r = new Rng(7);
    const inputs = graph.inputs.map((id) => r.int8(numElements(graph.tensors[id].shape)));
    const ref = tflite.prepare(file);
    const refX = xnnpack.prepare(file);
    const refOut = ref.run(inputs);
    const bitExact = [simd, scalar].every((g) => g.run(graph, inputs, { arith: 'tflite' }).outputs.every((o, i) => o.every((v, k) => v === refOut[i][k])));
    const t = timeInterleaved({
      goldenSimd: () => simd.run(graph, inputs, { arith: 'tflite' }),
      goldenScalar: () => scalar.run(graph, inputs, { arith: 'tflite' }),
      tflite: () => ref.run(inputs),
      tfliteXnnpack: () => refX.run(inputs),
    });
    ref.dispose();
    refX.dispose();
    const macs = graphStats(graph).totals.macs;
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    models[key] = {
      macs, bitExactWithTflite: bitExact, ...t,
      ratios: {
        tfliteOverGoldenSimd: ratio(t.tflite.medianMs, t.goldenSimd.medianMs),
        goldenScalarOverSimd: ratio(t.goldenScalar.medianMs, t.goldenSimd.medianMs),
        tfliteOverGoldenScalar: ratio(t.tflite.medianMs, t.goldenScalar.medianMs),
      },
      // Minima are less sensitive to other processes on a shared machine.
      ratiosOfMin: {
        tfliteOverGoldenSimd: ratio(t.tflite.minMs, t.goldenSimd.minMs),
        goldenScalarOverSimd: ratio(t.goldenScalar.minMs, t.goldenSimd.minMs),
        tfliteOverGoldenScalar: ratio(t.tflite.minMs, t.goldenScalar.minMs),
      },
    };
    const cell = (x: Timing) => `${x.medianMs.toFixed(2)} (${x.minMs.toFixed(2)})`;
    rows.push([key, (macs / 1e6).toFixed(2), cell(t.goldenSimd), cell(t.goldenScalar), cell(t.tflite), cell(t.tfliteXnnpack),
      ratio(t.tflite.medianMs, t.goldenSimd.medianMs).toFixed(2), ratio(t.goldenScalar.medianMs, t.goldenSimd.medianMs).toFixed(2),
      bitExact ? 'yes' : 'NO']);
  }
  const head = ['model', 'MMACs', 'golden SIMD ms', 'golden scalar ms', 'TFLite ms', 'TFLite+XNNPACK ms', 'TFLite/SIMD', 'scalar/SIMD', 'bit-exact'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log('ms per inference: median (min); ratios of medians; golden arith tflite; TFLite = plain wasm interpreter, XNNPACK off, 1 thread');
  console.log(`load average (1 min) at the end: ${loadavg()[0].toFixed(2)} on ${cpus().length} cores (shared machine: figures are noisy)`);
  return {
    description: 'ms per inference (median) of the five models: golden runtime SIMD and scalar (arith tflite) vs TFLite\'s wasm interpreter with XNNPACK off (1 thread); the XNNPACK build for information',
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, loadAverage1m: Math.round(loadavg()[0] * 100) / 100 },
    models,
  };
}
