// The SVDF models of the zoo (tflm-keyword_scrambled: int16 state; tflm-keyword_scrambled_8bit: int8 state) on
// the Cortex-M4: `tinyforge build`'s M4 step (buildMcu, tflm arithmetic, the QEMU board's budgets), the C run on
// QEMU mps2-an386 for INVOCATIONS consecutive invocations (state carried) and checked against the golden runtime
// over the same sequence, instructions of the whole invoke (icount plugin, markers 3/4) per invocation and per
// MAC, per-layer instructions of the first invocation, flash / RAM / state bytes. The zoo bench (zoo.bench.ts)
// carries the same models in its table; this one is the quick, focused figure (bench/results/svdf.json).
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../compiler/frontend/load.ts';
import { graphStats } from '../compiler/ir/stats.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import { buildMcu } from '../mcu-backend/build.ts';
import { missingTools } from '../mcu-backend/harness/run.ts';
import { runModel } from '../mcu-backend/runner.ts';
import { GoldenRuntime, GoldenState } from '../runtime-wasm/host.ts';
import { rawBytes, scanTflite, zooDir, zooInputs } from '../tests/helpers/zoo.ts';

const MODELS = ['tflm-keyword_scrambled', 'tflm-keyword_scrambled_8bit'];
const INVOCATIONS = 5;
const SEED = 11;
const BOARD = { cpu: 'cortex-m4', flash: 4 * 1024 * 1024, sram: 4 * 1024 * 1024 };

export default async function run() {
  const missing = missingTools('m4');
  if (missing) throw new Error(missing);
  const golden = await GoldenRuntime.load();
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-svdf-bench-'));
  const models = [];
  try {
    for (const name of MODELS) {
      const path = join(zooDir, `${name}.tflite`);
      const graph = loadModel(path).graph;
      const macs = graphStats(graph).totals.macs;
      const sets = zooInputs(scanTflite(new Uint8Array(readFileSync(path)), path), INVOCATIONS, SEED);
      const module = runPipeline(graph, { arith: 'tflm' });
      const b = buildMcu(module, BOARD, join(dir, name, 'build'));
      const state = new GoldenState(graph);
      const want = sets.map((x) => rawBytes(golden.run(graph, x as never, { arith: 'tflm', state }).outputs));
      const r = runModel(b.em, sets.map(rawBytes), 'm4', { workDir: join(dir, name, 'm4'), count: true });
      const bad = r.outputs.findIndex((o, i) => o.join() !== want[i]!.join());
      if (bad >= 0) throw new Error(`${name}: invocation ${bad} differs from the golden runtime`);
      const instructions = r.invokeInstructions!;
      const row = {
        model: name, macs, invocations: INVOCATIONS, bitExact: true, instructions, instructionsPerMac: +(instructions[0]! / macs).toFixed(3),
        flashBytes: b.totals.flashBytes, ramBytes: b.totals.ramBytes, arenaBytes: b.totals.arenaBytes, stateBytes: b.em.stateBytes,
        layers: b.em.layers.map((l, i) => ({ layer: l.name, kind: l.kind, variant: l.variant, macs: l.macs, instructions: r.layerInstructions?.[0]?.[i] ?? null })),
      };
      console.log(`${name}: ${macs} MACs, ${instructions[0]} instructions (${row.instructionsPerMac}/MAC), flash ${b.totals.flashBytes} B, RAM ${b.totals.ramBytes} B (state ${b.em.stateBytes} B)`);
      models.push(row);
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
  return {
    description: `the zoo's SVDF models on QEMU mps2-an386 (Cortex-M4), ${INVOCATIONS} consecutive invocations with the state carried, C (tflm) == golden on each`,
    board: 'QEMU mps2-an386 (Cortex-M4), arm-none-eabi-gcc -O2, instructions of the whole invoke (markers 3/4, icount plugin)',
    models,
  };
}
