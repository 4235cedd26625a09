// The float edges (QUANTIZE float32 -> int8, DEQUANTIZE int8 -> float32, QUANTIZE between int8 and int16):
//  - known answers computed by hand (the float32-vs-double division case: 0.25 / float32(0.1) is 2.4999999627...
//    exactly, 2.5 once rounded to float32, so TFLite Micro's float32 division rounds it to 3 and desktop
//    TFLite's double division to 2);
//  - the golden runtime's `tflite` arithmetic against TFLite's interpreter, bit for bit, on random single-op
//    graphs (random scales and zero points; inputs across, beyond and exactly between quantisation steps) and
//    on every layer of the two float-edged TFLite Micro example models whose ops are all supported
//    (hello_world_2023 and model_runner_codegen), fed float32 inputs.
import { join } from 'node:path';
import { test } from 'node:test';
import { modelsDir } from '../helpers/paths.ts';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { importTflite } from '../../compiler/frontend/tflite/import.ts';
import { writeTflite } from '../../compiler/frontend/tflite/writer.ts';
import { numElements, type DType, type Graph } from '../../compiler/ir/graph.ts';
import { dequantizeValue, floatInputRange, quantizeFloat, requantizeParams, requantizeValue } from '../../compiler/quant/quantize.ts';
import { GoldenRuntime, type TensorValues } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter, allOpOutputs, withAllOutputs } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { GraphBuilder } from '../helpers/graph-builder.ts';
import { mulberry32 } from '../../compiler/rng.ts';

const ZOO = join(modelsDir, 'zoo');
const interp = TfliteInterpreter.load();
const golden = GoldenRuntime.load();

const bits = (v: ArrayLike<number>, float: boolean) => Array.from(float ? new Uint32Array(new Float32Array(Array.from(v)).buffer) : v);

test('QUANTIZE known answers: half away from zero, saturation, NaN, and float32 vs double division', () => {
  // scale 0.5: 0.25 / 0.5 = 0.5 -> 1, -0.25 -> -1, 0.75 / 0.5 = 1.5 -> 2 (+ zero point 3)
  assert.equal(quantizeFloat(0.25, 0.5, 3, 'float32'), 4);
  assert.equal(quantizeFloat(-0.25, 0.5, 3, 'float32'), 2);
  assert.equal(quantizeFloat(0.75, 0.5, 0, 'float64'), 2);
  assert.equal(quantizeFloat(1000, 0.5, 0, 'float32'), 127);
  assert.equal(quantizeFloat(-1e30, 0.5, 0, 'float32'), -128);
  assert.equal(quantizeFloat(Infinity, 0.5, 0, 'float32'), 127);
  assert.equal(quantizeFloat(NaN, 0.5, -7, 'float32'), -7);
  assert.equal(quantizeFloat(40000, 1, 0, 'float32', 'int16'), 32767);
  const s = Math.fround(0.1);
  assert.equal(quantizeFloat(0.25, s, 0, 'float32'), 3); // TFLite Micro
  assert.equal(quantizeFloat(0.25, s, 0, 'float64'), 2); // desktop TFLite
});

test('DEQUANTIZE and int8 <-> int16 known answers', () => {
  assert.equal(dequantizeValue(5, 0.5, 4), 0.5);
  assert.equal(dequantizeValue(-128, 0.25, -128), 0);
  // float32(0.1) * 3 rounded once to float32 (0.30000000447034836 exactly -> 0.3000000119...)
  assert.equal(dequantizeValue(3, Math.fround(0.1), 0), Math.fround(0.30000000447034836));
  // int8 (scale 0.5, zp 10) -> int16 (scale 0.25, zp 0): (q - 10) * 2
  const up = requantizeParams(0.5, 10, 0.25, 0, 'int16');
  assert.deepEqual([-128, 10, 127].map((q) => requantizeValue(q, up)), [-276, 0, 234]);
  // int16 (scale 1/256) -> int8 (scale 1/16, zp -1): q / 16 rounded half away, then -1, clamped
  const down = requantizeParams(1 / 256, 0, 1 / 16, -1, 'int8');
  assert.deepEqual([8, -8, 24, 4000, -4000].map((q) => requantizeValue(q, down)), [0, -2, 1, 127, -128]);
});

function floatInputs(r: () => number, n: number, scale: number, zp: number): Float32Array {
  const lo = (-128 - zp) * scale, hi = (127 - zp) * scale;
  return Float32Array.from({ length: n }, (_, i) => {
    const k = Math.floor(r() * 260) - 130 - zp;
    switch (i % 5) {
      case 0: return lo + (hi - lo) * r(); // in range
      case 1: return (k + 0.5) * scale; // a rounding boundary (as far as float32 can hold it)
      case 2: return (lo - 10 * scale) + (hi - lo + 20 * scale) * r(); // past both ends
      case 3: return k * scale;
      default: return -((k + 0.5) * scale);
    }
  });
}

function singleOp(kind: 'quantize' | 'dequantize', from: DType, to: DType, n: number, s: [number, number], z: [number, number]): Graph {
  const b = new GraphBuilder(`${kind}-${from}-${to}`);
  const x = from === 'float32' ? b.tensor({ name: 'x', shape: [1, n], dtype: 'float32' }) : b.act('x', [1, n], s[0], z[0], from);
  const y = to === 'float32' ? b.tensor({ name: 'y', shape: [1, n], dtype: 'float32' }) : b.act('y', [1, n], s[1], z[1], to);
  b.op({ kind, inputs: [x], outputs: [y] });
  return b.io([x], [y]);
}

test('golden `tflite` equals TFLite\'s interpreter on random QUANTIZE / DEQUANTIZE / requantize ops, bit for bit', async () => {
  const [it, rt] = await Promise.all([interp, golden]);
  const r = mulberry32(11);
  const mismatches: string[] = [];
  let cases = 0;
  for (let c = 0; c < 120; c++) {
    const scale = Math.fround(2 ** (-10 + r() * 12) * (1 + r()));
    const zp = Math.floor(r() * 256) - 128;
    const kind = (['f32->i8', 'i8->f32', 'i8->i8', 'i16->i8', 'f32->i8 (0.1)'] as const)[c % 5];
    let g: Graph, input: TensorValues;
    if (kind === 'f32->i8' || kind === 'f32->i8 (0.1)') {
      const s = kind === 'f32->i8' ? scale : Math.fround(0.1);
      g = singleOp('quantize', 'float32', 'int8', 64, [0, s], [0, kind === 'f32->i8' ? zp : 0]);
      input = floatInputs(r, 64, s, kind === 'f32->i8' ? zp : 0);
      if (kind === 'f32->i8 (0.1)') input[0] = 0.25; // float32 and double division differ here
    } else if (kind === 'i8->f32') {
      g = singleOp('dequantize', 'int8', 'float32', 256, [scale, 0], [zp, 0]);
      input = Int8Array.from({ length: 256 }, (_, i) => i - 128);
    } else if (kind === 'i8->i8') {
      g = singleOp('quantize', 'int8', 'int8', 256, [scale, Math.fround(scale * (0.2 + 3 * r()))], [zp, Math.floor(r() * 256) - 128]);
      input = Int8Array.from({ length: 256 }, (_, i) => i - 128);
    } else {
      g = singleOp('quantize', 'int16', 'int8', 512, [Math.fround(scale / 64), scale], [0, zp]);
      input = Int16Array.from({ length: 512 }, () => Math.floor(r() * 65536) - 32768);
    }
    const file = writeTflite(g);
    const want = it.runTensors(file, [input])[0]!.data;
    const got = rt.run(g, [input], { arith: 'tflite' }).outputs[0]!;
    if (kind === 'f32->i8 (0.1)') assert.equal(want[0], 2, 'desktop TFLite divides 0.25 by float32(0.1) in double');
    cases++;
    const float = got instanceof Float32Array;
    const a = bits(got, float), w = bits(want, float);
    const at = a.findIndex((v, i) => v !== w[i]);
    if (at >= 0 || a.length !== w.length) mismatches.push(`case ${c} ${kind} scale ${scale} zp ${zp}: index ${at}: input ${input[at]}, golden ${got[at]}, tflite ${want[at]}`);
  }
  assert.equal(cases, 120);
  assert.deepEqual(mismatches, []);
});

for (const [file, runs] of [['tflm-hello_world_2023.tflite', 40], ['tflm-model_runner_codegen_model.tflite', 8]] as const) {
  test(`${file}: float32 in, float32 out, every layer equals TFLite's interpreter (golden tflite, ${runs} inputs)`, async (t) => {
    const path = `${ZOO}/${file}`;
    if (!existsSync(path)) return t.skip('model missing');
    const [it, rt] = await Promise.all([interp, golden]);
    const bytes = new Uint8Array(readFileSync(path));
    const graph = importTflite(bytes, path);
    assert.equal(graph.tensors[graph.inputs[0]!]!.dtype, 'float32');
    assert.equal(graph.tensors[graph.outputs[0]!]!.dtype, 'float32');
    const all = withAllOutputs(bytes);
    assert.equal(allOpOutputs(bytes).length, graph.ops.length);
    const range = floatInputRange(graph, graph.inputs[0]!)!;
    const r = mulberry32(5);
    const mismatches: string[] = [];
    for (let k = 0; k < runs; k++) {
      const n = numElements(graph.tensors[graph.inputs[0]!]!.shape);
      const x = Float32Array.from({ length: n }, () => range[0] - 0.1 + (range[1] - range[0] + 0.2) * r());
      const ref = it.runTensors(all, [x]);
      const got = rt.run(graph, [x], { arith: 'tflite', keepAll: true });
      graph.ops.forEach((op, i) => {
        const g = got.tensors!.get(op.outputs[0]!)!;
        const float = g instanceof Float32Array;
        assert.equal(ref[i]!.dtype, graph.tensors[op.outputs[0]!]!.dtype);
        const a = bits(g, float), w = bits(ref[i]!.data, float);
        if (a.some((v, j) => v !== w[j])) mismatches.push(`input ${k}, op ${i} (${op.kind}): golden ${Array.from(g).slice(0, 6)}, tflite ${Array.from(ref[i]!.data).slice(0, 6)}`);
      });
    }
    assert.deepEqual(mismatches, []);
  });
}
