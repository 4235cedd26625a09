// The float edges through the Cortex-M C backend: the invoke takes and returns float, and the C's float32
// outputs equal the golden runtime's bit for bit (both arithmetics, host; QEMU M4 and M3 when installed) on
// the two float-edged TFLite Micro examples whose ops are all supported, and equal TFLite's interpreter
// directly in the tflite arithmetic (hello_world_2023). A hand-built graph covers the special float inputs
// (NaN, infinities, huge values, exact rounding boundaries) and QUANTIZE int8 -> int16 -> int8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../compiler/frontend/load.ts';
import type { Graph } from '../../compiler/ir/graph.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import type { Arith } from '../../compiler/quant/multiplier.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import type { RunOn } from '../../mcu-backend/harness/run.ts';
import { runModel } from '../../mcu-backend/runner.ts';
import { randomGraphInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { GraphBuilder } from '../helpers/graph-builder.ts';
import { modelsDir, scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

const ZOO = join(modelsDir, 'zoo');
const work = scratchDir('tinyforge-mcu-float-');
const golden = GoldenRuntime.load();

const floatBytes = (v: number[]) => new Int8Array(new Float32Array(v).buffer);

for (const file of ['tflm-hello_world_2023.tflite', 'tflm-model_runner_codegen_model.tflite']) {
  test(`${file}: C invoke takes and returns float; outputs equal the golden runtime bit for bit (tflm and tflite)`, async (t) => {
    const path = `${ZOO}/${file}`;
    if (!existsSync(path)) return t.skip('model missing');
    if (!needTools(t, 'host')) return;
    const graph = loadModel(path).graph;
    const inputs = randomGraphInputs(graph, 12, 3);
    assert.equal(inputs[0]!.length, 4 * graph.tensors[graph.inputs[0]!]!.shape.reduce((a, b) => a * b, 1));
    for (const arith of ['tflm', 'tflite'] as Arith[]) {
      const module = runPipeline(graph, { arith });
      const targets: RunOn[] = ['host'];
      if (arith === 'tflm' && needTools(t, 'm4')) targets.push('m4', 'm3');
      for (const on of targets) {
        const em = emitModel(module, { cpu: on === 'host' ? 'm4' : on, dsp: on === 'm4' });
        assert.match(em.files.header, new RegExp(`int ${em.cname}_invoke\\(const float \\*input, float \\*output\\);`));
        assert.match(em.files.header, /float32 edges are plain C floats/);
        const v = await verifyMcu(graph, module, em, on, { inputs, workDir: join(work, file, arith), golden: await golden });
        assert.ok(v.ok, `${arith} on ${on}: ${JSON.stringify(v.results.filter((r) => !r.ok))}`);
      }
    }
  });
}

test('hello_world_2023: the C in the tflite arithmetic equals TFLite\'s interpreter directly (float32 bits)', async (t) => {
  const path = `${ZOO}/tflm-hello_world_2023.tflite`;
  if (!existsSync(path)) return t.skip('model missing');
  if (!needTools(t, 'host')) return;
  const graph = loadModel(path).graph;
  const em = emitModel(runPipeline(graph, { arith: 'tflite' }), { cpu: 'm4', dsp: false });
  const xs = Array.from({ length: 64 }, (_, i) => Math.fround(-0.3 + i * 0.11));
  const run = runModel(em, xs.map((x) => floatBytes([x])), 'host', { workDir: join(work, 'hw-oracle') });
  const it = await TfliteInterpreter.load();
  const model = new Uint8Array(readFileSync(path));
  xs.forEach((x, i) => {
    const want = it.runTensors(model, [Float32Array.of(x)])[0]!.data as Float32Array;
    const got = new Float32Array(new Int8Array(run.outputs[i]!).buffer);
    assert.equal(new Uint32Array(got.buffer)[0], new Uint32Array(Float32Array.from(want).buffer)[0], `x = ${x}: C ${got[0]}, TFLite ${want[0]}`);
  });
});

/** float32 [1, n] -> QUANTIZE int8 -> QUANTIZE int16 -> QUANTIZE int8 -> DEQUANTIZE float32. */
function chain(n: number): Graph {
  const b = new GraphBuilder('edges-chain');
  const x = b.tensor({ name: 'x', shape: [1, n], dtype: 'float32' });
  const q8 = b.act('q8', [1, n], Math.fround(0.1), 3);
  const q16 = b.act('q16', [1, n], Math.fround(0.1 / 300), 0, 'int16');
  const r8 = b.act('r8', [1, n], Math.fround(0.07), -5);
  const y = b.tensor({ name: 'y', shape: [1, n], dtype: 'float32' });
  b.op({ kind: 'quantize', inputs: [x], outputs: [q8] });
  b.op({ kind: 'quantize', inputs: [q8], outputs: [q16] });
  b.op({ kind: 'quantize', inputs: [q16], outputs: [r8] });
  b.op({ kind: 'dequantize', inputs: [r8], outputs: [y] });
  return b.io([x], [y]);
}

test('special float inputs and int8 <-> int16 QUANTIZE: C equals the golden runtime (host, QEMU M4 and M3; both arithmetics)', async (t) => {
  if (!needTools(t, 'host')) return;
  const special = [NaN, Infinity, -Infinity, 1e30, -1e30, 0, -0, 0.25, -0.25, 0.05, -0.05, 0.15, 12.7, 12.75, -13.1, -12.85,
    3.4028234663852886e38, 1.401298464324817e-45, 6553.6, -6553.6, 6553.7];
  const g = chain(special.length);
  for (const arith of ['tflm', 'tflite'] as Arith[]) {
    const module = runPipeline(g, { arith });
    assert.deepEqual(module.ops.map((o) => o.kind), ['quantize', 'quantize', 'quantize', 'dequantize']);
    const targets: RunOn[] = ['host'];
    if (needTools(t, 'm4')) targets.push('m4', 'm3');
    for (const on of targets) {
      const em = emitModel(module, { cpu: on === 'host' ? 'm4' : on, dsp: on === 'm4' });
      const v = await verifyMcu(g, module, em, on, { inputs: [floatBytes(special), ...randomGraphInputs(g, 3, 9)], workDir: join(work, `chain-${arith}`), golden: await golden });
      assert.ok(v.ok, `${arith} on ${on}: ${JSON.stringify(v.results.filter((r) => !r.ok))}`);
    }
  }
  // The golden values themselves, by hand: x = 0.25 / 0.1 rounds to 3 in float32 (tflm), 2 in double (tflite).
  const rt = await golden;
  const one = chain(1);
  const out = (arith: Arith) => (rt.run(one, [Float32Array.of(0.25)], { arith }).outputs[0] as Float32Array)[0];
  // tflm: q8 = 3 + 3 = 6 -> q16 = (6 - 3) * 300 = 900 -> r8 = round(900 * 0.1/300 / 0.07) - 5 = round(4.2857) - 5 = -1 -> (-1 + 5) * 0.07
  assert.equal(out('tflm'), Math.fround(Math.fround(0.07) * 4));
  // tflite: q8 = 2 + 3 = 5 -> q16 = 600 -> r8 = round(2.857) - 5 = -2 -> (-2 + 5) * 0.07
  assert.equal(out('tflite'), Math.fround(Math.fround(0.07) * 3));
});
