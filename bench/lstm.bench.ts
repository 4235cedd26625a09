// The UNIDIRECTIONAL_SEQUENCE_LSTM models of the zoo (tflm-mnist_lstm_int8, tflm-dtln_noise_suppression,
// tflm-xtensa-micro_speech_lstm) on the Cortex-M4 and in the golden runtime (docs/lstm.md):
//   m4        `tinyforge build`'s M4 step (buildMcu, tflm arithmetic, the QEMU board's 4 MiB budgets: lstm.lut),
//             the C run on QEMU mps2-an386 for INVOCATIONS consecutive invocations (state carried) and checked
//             against the golden runtime over the same sequence; instructions of the whole invoke (icount
//             plugin, markers 3/4) of the first invocation and per MAC; flash / RAM / state as the build measures
//   variants  the same sequence with the LSTM layers on each variant (lstm.lut, lstm.dsp, lstm.generic; the
//             rest of the table unchanged): instructions per MAC and the layers' constant bytes
//   golden    golden runtime (SIMD, `tflite`) against TFLite's interpreter (plain wasm, XNNPACK off), one
//             invocation, median of 15 interleaved rounds (indicative on a shared machine)
// The zoo bench (zoo.bench.ts) carries the same models in its table; this is the focused figure
// (bench/results/lstm.json).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../compiler/frontend/load.ts';
import { graphStats } from '../compiler/ir/stats.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import { buildMcu } from '../mcu-backend/build.ts';
import { emitModel } from '../mcu-backend/emit/model.ts';
import { VARIANTS } from '../mcu-backend/emit/registry.ts';
import { missingTools } from '../mcu-backend/harness/run.ts';
import { runModel } from '../mcu-backend/runner.ts';
import { GoldenRuntime, GoldenState } from '../runtime-wasm/host.ts';
import { TfliteInterpreter } from '../runtime-wasm/oracle/tflite-interpreter.ts';
import { rawBytes, scanTflite, zooDir, zooInputs } from '../tests/helpers/zoo.ts';

const MODELS = ['tflm-mnist_lstm_int8', 'tflm-dtln_noise_suppression', 'tflm-xtensa-micro_speech_lstm'];
const INVOCATIONS = 3;
const SEED = 11;
const BOARD = { cpu: 'cortex-m4', flash: 4 * 1024 * 1024, sram: 4 * 1024 * 1024 };
const LSTM_VARIANTS = ['lstm.lut', 'lstm.dsp', 'lstm.generic'];

function median(f: () => void, rounds = 15): number {
  for (let i = 0; i < 3; i++) f();
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) { const t0 = performance.now(); f(); ms.push(performance.now() - t0); }
  return ms.sort((a, b) => a - b)[Math.floor(rounds / 2)]!;
}

export default async function run() {
  const missing = missingTools('m4');
  if (missing) throw new Error(missing);
  const golden = await GoldenRuntime.load({ simd: true });
  const tfl = await TfliteInterpreter.load();
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-lstm-bench-'));
  const models = [];
  try {
    for (const name of MODELS) {
      const path = join(zooDir, `${name}.tflite`);
      const bytes = new Uint8Array(readFileSync(path));
      const graph = loadModel(path).graph;
      const macs = graphStats(graph).totals.macs;
      const sets = zooInputs(scanTflite(bytes, path), INVOCATIONS, SEED);
      const module = runPipeline(graph, { arith: 'tflm' });
      const state = new GoldenState(graph);
      const want = sets.map((x) => rawBytes(golden.run(graph, x as never, { arith: 'tflm', state }).outputs));
      const check = (outs: Int8Array[], what: string) => outs.forEach((o, i) => {
        const at = want[i]!.findIndex((v, j) => v !== o[j]);
        if (at >= 0) throw new Error(`${name} (${what}): invocation ${i}, output byte ${at} differs from the golden runtime`);
      });
      const b = buildMcu(module, BOARD, join(dir, name, 'build'));
      const r = runModel(b.em, sets.map(rawBytes), 'm4', { workDir: join(dir, name, 'm4'), count: true });
      check(r.outputs, 'build');
      const instructions = r.invokeInstructions![0]!;
      const variants = LSTM_VARIANTS.map((v) => {
        const em = emitModel(module, { cpu: 'm4', dsp: true }, { table: VARIANTS.filter((x) => x.kind !== 'lstm' || x.name === v) });
        const rv = runModel(em, sets.map(rawBytes), 'm4', { workDir: join(dir, name, v), count: true });
        check(rv.outputs, v);
        const lstmConst = em.layers.filter((l) => l.kind === 'lstm').reduce((s, l) => s + l.constBytes, 0);
        return { variant: v, instructions: rv.invokeInstructions![0]!, instructionsPerMac: +(rv.invokeInstructions![0]! / macs).toFixed(3), lstmConstBytes: lstmConst };
      });
      const x = sets[0]!;
      const handle = tfl.prepare(bytes);
      const goldenMs = median(() => golden.run(graph, x as never, { arith: 'tflite' }));
      const tfliteMs = median(() => handle.runTensors(x));
      handle.dispose();
      const row = {
        model: name, macs, invocations: INVOCATIONS, equalToGolden: true,
        m4: {
          variants: b.em.layers.map((l) => l.variant), instructions, instructionsPerMac: +(instructions / macs).toFixed(3),
          perInvocation: r.invokeInstructions, flashBytes: b.totals.flashBytes, ramBytes: b.totals.ramBytes, stateBytes: b.em.stateBytes,
        },
        variants,
        golden: { goldenMs: +goldenMs.toFixed(3), tfliteMs: +tfliteMs.toFixed(3), tfliteOverGolden: +(tfliteMs / goldenMs).toFixed(2) },
      };
      console.log(JSON.stringify(row));
      models.push(row);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { board: 'QEMU mps2-an386 (Cortex-M4), arm-none-eabi-gcc -O2, instructions of the whole invoke (markers 3/4, icount plugin)', models };
}
