// The int16 (16x8) operators that tests/runtime-wasm/oracle-int16.test.ts does not cover: LOGISTIC and TANH
// (TFLite's table kernels; power-of-two input scales included, where desktop TFLite switches to gemmlowp),
// QUANTIZE int16 <-> int8 and int16 <-> int32, and the int16 AVERAGE/MAX_POOL_2D on the Cortex-M backend
// (docs/int16.md). Random single-op models (tests/helpers/random-int16.ts) written as .tflite:
//   golden: the golden runtime in the `tflite` arithmetic equals TFLite's interpreter on every element, and in
//           `tflm` too (these kernels compute alike in TFLite Micro and desktop TFLite, except LOGISTIC / TANH
//           at power-of-two scales, where tflm is checked against the host-side reference of
//           compiler/quant/sigmoid16.ts and tflite against the interpreter); QUANTIZE int8 -> int16, which
//           desktop TFLite refuses (its Prepare takes int8 input to int8 only) and TFLite Micro runs, against
//           TFLite's Requantize computed on the host (compiler/quant/quantize.ts requantizeValue); SOFTMAX
//           int16 -> int16 in `tflm` against TFLite Micro's steps on the host (compiler/quant/softmax16.ts, its
//           tables in float32 where desktop TFLite's are double);
//   C:      the Cortex-M C on the host equals the golden runtime in both arithmetics (3 graphs x 2 inputs per
//           kind), and on QEMU Cortex-M4 for one graph per kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeTflite } from '../../compiler/frontend/tflite/writer.ts';
import type { Graph } from '../../compiler/ir/graph.ts';
import { validateGraph } from '../../compiler/ir/validate.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { requantizeParams, requantizeValue } from '../../compiler/quant/quantize.ts';
import { sigmoid16, sigmoid16Params } from '../../compiler/quant/sigmoid16.ts';
import { softmax16Params, softmax16Row } from '../../compiler/quant/softmax16.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import type { RunOn } from '../../mcu-backend/harness/run.ts';
import { verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { scratchDir } from '../helpers/paths.ts';
import { INT16_EXTRA_KINDS, randomInt16Graph, randomInt16Inputs, type Int16OpKind } from '../helpers/random-int16.ts';
import { rawBytes } from '../helpers/zoo.ts';
import { needTools } from '../mcu-backend/helpers/tools.ts';

const CASES = Number(process.env.INT16_CASES ?? 30);
const interp = await TfliteInterpreter.load();
const golden = await GoldenRuntime.load();
const work = scratchDir('tinyforge-int16-ops-');

/** The tflm reference of an int16 LOGISTIC / TANH graph at a power-of-two scale: the table kernel, element by element. */
function sigmoidTflm(graph: Graph, x: ArrayLike<number>): number[] {
  const op = graph.ops[0]!;
  const fn = op.kind as 'logistic' | 'tanh';
  const p = sigmoid16Params(fn, graph.tensors[op.inputs[0]!]!.quant!.scale[0]!, 'tflm');
  return Array.from(x, (v) => sigmoid16(fn, p, v));
}

const isSigmoid = (k: Int16OpKind) => k === 'logistic' || k === 'tanh';

/** TFLite Micro's SoftmaxInt16 (tables in float32) on the host, row by row. */
function softmaxTflm(graph: Graph, x: ArrayLike<number>): number[] {
  const op = graph.ops[0]! as Extract<Graph['ops'][number], { kind: 'softmax' }>;
  const t = graph.tensors[op.inputs[0]!]!, depth = t.shape.at(-1)!;
  const p = softmax16Params(t.quant!.scale[0]!, op.beta, 'tflm');
  const out: number[] = [];
  for (let i = 0; i < x.length; i += depth) out.push(...softmax16Row(p, Array.from(x).slice(i, i + depth)));
  return out;
}

/** TFLite Micro's Requantize (int8 -> int16), element by element on the host. */
function requantizeHost(graph: Graph, x: ArrayLike<number>): number[] {
  const xq = graph.tensors[graph.inputs[0]!]!.quant!, y = graph.tensors[graph.outputs[0]!]!;
  const p = requantizeParams(xq.scale[0]!, xq.zeroPoint[0]!, y.quant!.scale[0]!, y.quant!.zeroPoint[0]!, y.dtype);
  return Array.from(x, (v) => requantizeValue(v, p));
}

INT16_EXTRA_KINDS.forEach((kind, k) => {
  const ref = kind === 'quantize_8to16' ? 'TFLite\'s Requantize on the host' : 'TFLite\'s interpreter';
  test(`int16 ${kind}: ${CASES} random models, golden (tflite and tflm) == ${ref}`, () => {
    const bad: string[] = [];
    let inside = 0, total = 0, pots = 0, potsDiffer = 0;
    for (let i = 0; i < CASES; i++) {
      const seed = 900000 + 1000 * k + i;
      const graph = randomInt16Graph(seed, kind);
      validateGraph(graph);
      const inputs = randomInt16Inputs(graph, seed);
      const want = kind === 'quantize_8to16' ? requantizeHost(graph, inputs[0]!) : Array.from(interp.runTensors(writeTflite(graph), inputs)[0]!.data as ArrayLike<number>);
      const fn = graph.ops[0]!.kind;
      const pot = isSigmoid(kind) && sigmoid16Params(fn as 'logistic', graph.tensors[graph.inputs[0]!]!.quant!.scale[0]!, 'tflite').mode === 'gemmlowp';
      if (pot) pots++;
      for (const arith of ['tflite', 'tflm'] as const) {
        const got = Array.from(golden.run(graph, inputs, { arith }).outputs[0]!);
        const ref = arith === 'tflm' && pot ? sigmoidTflm(graph, inputs[0]!) : arith === 'tflm' && kind === 'softmax' ? softmaxTflm(graph, inputs[0]!) : want;
        let diff = 0, max = 0;
        for (let j = 0; j < ref.length; j++) if (got[j] !== ref[j]) { diff++; max = Math.max(max, Math.abs(got[j]! - ref[j]!)); }
        if (got.length !== ref.length) bad.push(`seed ${seed} ${arith}: ${got.length} values, reference ${ref.length}`);
        else if (diff) bad.push(`seed ${seed} ${arith}${pot ? ' (power-of-two scale)' : ''}: ${diff}/${ref.length} differ (max ${max})`);
      }
      if (pot && sigmoidTflm(graph, inputs[0]!).some((v, j) => v !== want[j])) potsDiffer++;
      const [lo, hi] = graph.tensors[graph.outputs[0]!]!.dtype === 'int8' ? [-128, 127] : [-32768, 32767];
      for (const v of want) { total++; if (v > lo && v < hi) inside++; }
    }
    assert.deepEqual(bad.slice(0, 6), [], `${bad.length} differences`);
    assert.ok(inside > total / 2, `only ${inside}/${total} outputs inside the output range: the generator's scales need adjusting`);
    if (isSigmoid(kind)) assert.ok(pots >= 2 && potsDiffer >= 1, `${pots} power-of-two cases, ${potsDiffer} where the two arithmetics differ: the test cannot tell them apart`);
  });
});

/** The kinds the Cortex-M backend gained here, through the C. */
const C_KINDS: Int16OpKind[] = [...INT16_EXTRA_KINDS, 'average_pool2d', 'max_pool2d'];

for (const [on, graphs] of [['host', 3], ['m4', 1]] as Array<[RunOn, number]>) {
  C_KINDS.forEach((kind, k) => {
    test(`int16 ${kind}: ${graphs} random graphs as Cortex-M C on ${on} equal the golden runtime (${on === 'host' ? 'tflm and tflite' : 'tflm'})`, async (t) => {
      if (!needTools(t, on)) return;
      for (let i = 0; i < graphs; i++) {
        const seed = 950000 + 1000 * k + i;
        const graph = randomInt16Graph(seed, kind);
        for (const arith of on === 'host' ? (['tflm', 'tflite'] as const) : (['tflm'] as const)) {
          const module = runPipeline(graph, { arith });
          const em = emitModel(module, { cpu: 'm4', dsp: on === 'm4' });
          const inputs = [seed, seed + 1].map((s) => rawBytes(randomInt16Inputs(graph, s)));
          const v = await verifyMcu(graph, module, em, on, { inputs, workDir: join(work, on, `${kind}-${seed}-${arith}`), golden });
          assert.equal(v.results.length, 2);
          for (const r of v.results) assert.ok(r.ok, `${graph.name} (${arith}) on ${on}, input ${r.input}: ${JSON.stringify(r)}`);
        }
      }
    });
  });
}
