// SOFTMAX int8 -> int16 (output scale 1/65536, zero point -32768; keyword_scrambled ends with one), CASES
// random models (rows x depth, input scale, beta):
//   tflite: the golden runtime and the Cortex-M C on the host equal TFLite's interpreter (desktop TFLite's
//           float-table path);
//   tflm:   the golden runtime and the C equal a reference of TFLite Micro's fixed-point steps written here
//           from the host-side gemmlowp functions (compiler/quant/fixedpoint.ts, multiplier.ts), the int8
//           kernel's steps with the final shift to 16 bits (the two arithmetics differ by 1 now and then).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeTflite } from '../../compiler/frontend/tflite/writer.ts';
import type { Graph } from '../../compiler/ir/graph.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { runModel } from '../../mcu-backend/runner.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { GraphBuilder } from '../helpers/graph-builder.ts';
import { scratchDir } from '../helpers/paths.ts';
import { Rng } from '../helpers/random-ops.ts';
import { softmaxQuantParams } from '../../compiler/quant/params.ts';
import { expOnNegative, oneOverOnePlusX } from '../../compiler/quant/fixedpoint.ts';
import { roundingDivideByPOT, srdhm } from '../../compiler/quant/multiplier.ts';

/** TFLite Micro's reference_ops::Softmax, int8 in, int16 out, from the host-side gemmlowp functions. */
function tflmSoftmax16(g: Graph, x: Int8Array): Int16Array {
  const op = g.ops[0]! as Extract<Graph['ops'][number], { kind: 'softmax' }>;
  const q = softmaxQuantParams(g, op, 'tflm');
  const depth = g.tensors[op.inputs[0]!]!.shape.at(-1)!;
  const out = new Int16Array(x.length);
  for (let r = 0; r < x.length / depth; r++) {
    const row = Array.from(x.subarray(r * depth, (r + 1) * depth));
    const mx = Math.max(...row);
    const scaled = (v: number) => srdhm(Number(BigInt.asIntN(32, BigInt(v - mx) << BigInt(q.inputLeftShift))), q.inputMultiplier);
    let sum = 0;
    for (const v of row) if (v - mx >= q.diffMin) sum = (sum + roundingDivideByPOT(expOnNegative(scaled(v), 5), 12)) | 0;
    const headroom = Math.clz32(sum);
    const shiftedScale = oneOverOnePlusX(Number(BigInt.asIntN(32, (BigInt(sum >>> 0) << BigInt(headroom)) - (1n << 31n))));
    row.forEach((v, c) => {
      const y = v - mx >= q.diffMin ? roundingDivideByPOT(srdhm(shiftedScale, expOnNegative(scaled(v), 5)), 12 - headroom + 31 - 16) - 32768 : -32768;
      out[r * depth + c] = Math.max(-32768, Math.min(32767, y));
    });
  }
  return out;
}
import { needTools } from '../mcu-backend/helpers/tools.ts';

const CASES = 30;

function randomSoftmax16(seed: number): { graph: Graph; inputs: Int8Array[] } {
  const r = new Rng(seed);
  const rows = r.int(1, 4), depth = r.int(1, 40);
  const b = new GraphBuilder(`softmax16_${seed}`);
  const x = b.act('x', [rows, depth], r.logScale(-6, 0), r.int(-128, 127));
  const y = b.act('y', [rows, depth], Math.fround(1 / 65536), -32768, 'int16');
  b.op({ kind: 'softmax', inputs: [x], outputs: [y], beta: r.pick([1, 1, 0.5, 2]) });
  return { graph: b.io([x], [y]), inputs: [0, 1, 2].map(() => r.int8(rows * depth)) };
}

test(`SOFTMAX int8 -> int16: ${CASES} random models, golden and C equal TFLite's interpreter (tflite) and the TFLite Micro fixed-point reference (tflm)`, async (t) => {
  const [it, golden] = await Promise.all([TfliteInterpreter.load(), GoldenRuntime.load()]);
  const host = needTools(t, 'host');
  const bad: string[] = [];
  let inside = 0, values = 0, differ = 0;
  for (let i = 0; i < CASES; i++) {
    const { graph, inputs } = randomSoftmax16(4400 + i);
    const m = it.prepare(writeTflite(graph));
    const want = inputs.map((x) => m.runTensors([x])[0]!.data);
    m.dispose();
    const wantTflm = inputs.map((x) => tflmSoftmax16(graph, x));
    for (const arith of ['tflite', 'tflm'] as const) {
      const ref = arith === 'tflite' ? want : wantTflm;
      inputs.forEach((x, k) => {
        const got = golden.run(graph, [x], { arith }).outputs[0]!;
        if (Array.from(got).join() !== Array.from(ref[k]!).join()) bad.push(`case ${i}, ${arith}, input ${k}: golden [${got}] reference [${ref[k]}]`);
      });
    }
    for (const w of want) for (const v of w) { values++; if (v > -32768 && v < 32767) inside++; }
    want.forEach((w, k) => { if (Array.from(w).join() !== Array.from(wantTflm[k]!).join()) differ++; });
    if (host && i < 6) {
      for (const arith of ['tflite', 'tflm'] as const) {
        const ref = arith === 'tflite' ? want : wantTflm;
        const em = emitModel(runPipeline(graph, { arith }), { cpu: 'm4', dsp: true });
        const run = runModel(em, inputs, 'host', { workDir: join(scratchDir('tinyforge-softmax16-'), `${arith}-${i}`) });
        run.outputs.forEach((o, k) => {
          const c = new Int16Array(o.slice().buffer);
          if (Array.from(c).join() !== Array.from(ref[k]!).join()) bad.push(`case ${i}, C ${arith}, input ${k}: [${c}] reference [${ref[k]}]`);
        });
      }
    }
  }
  assert.deepEqual(bad.slice(0, 8), []);
  assert.ok(inside > values / 2, `only ${inside} of ${values} outputs are inside the int16 range`);
  assert.ok(differ > 0, 'the two arithmetics never differ: the test cannot tell them apart');
});
