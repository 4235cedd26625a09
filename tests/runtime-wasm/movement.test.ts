// The data-movement operators on the golden runtime against TFLite's own interpreter (XNNPACK off), bit for
// bit: CASES random single-op models per operator (tests/helpers/random-movement.ts: every option, negative
// axes and strides, masks, several inputs/outputs), written with the project's .tflite writer (parameter
// tensors included) and run in batches (BATCH models side by side in one file, one interpreter run), on the
// SIMD and the scalar golden module, in the tflite arithmetic; the tflm arithmetic gives the same bytes
// (data movement has no arithmetic). NETS random chains of them (split/unpack outputs feeding
// concatenation/pack, views, concatenations with earlier tensors) are compared layer by layer. Every case also goes through the importer: the file read back equals
// the graph written (attributes recovered from the parameter tensors).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importTflite } from '../../compiler/frontend/tflite/import.ts';
import { writeTflite } from '../../compiler/frontend/tflite/writer.ts';
import { validateGraph } from '../../compiler/ir/validate.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter, allOpOutputs, withAllOutputs } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { randomInputs } from '../helpers/random-ops.ts';
import {
  MOVEMENT_KINDS, describeCase, mergeGraphs, randomMovementGraph, randomMovementNet, type MovementCase, type MovementKind, type MovementOptions,
} from '../helpers/random-movement.ts';
import { firstDiff } from '../helpers/compare.ts';

const CASES = 200;
const BATCH = 50;

const interp = TfliteInterpreter.load();
const goldenSimd = GoldenRuntime.load({ simd: true });
const goldenScalar = GoldenRuntime.load({ simd: false });


async function compare(kind: MovementKind, firstSeed: number, count: number, o: MovementOptions = {}): Promise<{ mismatches: string[]; cases: number }> {
  const it = await interp;
  const goldens = { simd: await goldenSimd, scalar: await goldenScalar };
  const mismatches: string[] = [];
  let cases = 0;
  for (let at = 0; at < count; at += BATCH) {
    const batch: MovementCase[] = [];
    for (let i = at; i < Math.min(count, at + BATCH); i++) batch.push(randomMovementGraph(firstSeed + i, kind, o));
    const graph = mergeGraphs(`${kind}_${at}`, batch.map((c) => c.graph));
    validateGraph(graph);
    const inputs = randomInputs(graph, firstSeed + at);
    const file = writeTflite(graph);
    // writer -> importer round trip: same ops and attributes
    const back = importTflite(file, `${kind}.tflite`);
    back.ops.forEach((op, k) => {
      const { name: _a, ...want } = graph.ops[k]!;
      const { name: _b, ...got } = op;
      assert.deepEqual(got, want, `import of ${describeCase(batch[k]!)}`);
    });
    const ref = it.run(file, inputs);
    for (const [label, golden] of Object.entries(goldens)) {
      for (const arith of ['tflite', 'tflm'] as const) {
        if (label === 'scalar' && arith === 'tflm') continue;
        const got = golden.run(graph, inputs, { arith }).outputs;
        let out = 0;
        batch.forEach((c) => {
          for (let k = 0; k < c.graph.outputs.length; k++, out++) {
            const d = firstDiff(got[out] as Int8Array, ref[out]!);
            if (d) mismatches.push(`${describeCase(c)} [${label} ${arith}] output ${k}: ${d}`);
          }
        });
      }
    }
    cases += batch.length;
  }
  return { mismatches, cases };
}

MOVEMENT_KINDS.forEach((kind, i) => {
  test(`${kind}: ${CASES} random single-op models equal TFLite's interpreter (SIMD and scalar golden)`, async () => {
    const { mismatches, cases } = await compare(kind, 200_000 + 10_000 * i, CASES);
    assert.equal(cases, CASES);
    assert.deepEqual(mismatches, [], `${kind}: ${mismatches.length} mismatches:\n${mismatches.slice(0, 12).join('\n')}`);
  });
});

// The interpreter's TFLite predates StridedSliceOptions.offset (it ignores the field): offset is checked
// against hand-computed slices in tests/compiler/ops/movement.test.ts instead.
test(`strided_slice with ellipsis_mask and new_axis_mask: ${CASES} random models equal TFLite's interpreter`, async () => {
  const { mismatches } = await compare('strided_slice', 400_000, CASES, { ellipsis: true });
  assert.deepEqual(mismatches, [], `${mismatches.length} mismatches:\n${mismatches.slice(0, 12).join('\n')}`);
});

const NETS = 40;
test(`${NETS} random data-movement networks: every layer equals TFLite's interpreter (SIMD and scalar golden)`, async () => {
  const [it, simd, scalar] = await Promise.all([interp, goldenSimd, goldenScalar]);
  const mismatches: string[] = [];
  let layers = 0;
  for (let seed = 700; seed < 700 + NETS; seed++) {
    const graph = randomMovementNet(seed);
    validateGraph(graph);
    const file = writeTflite(graph);
    const ids = allOpOutputs(file);
    const inputs = randomInputs(graph, seed);
    const ref = it.runTensors(withAllOutputs(file), inputs);
    for (const [label, golden] of [['simd', simd], ['scalar', scalar]] as const) {
      const got = golden.run(graph, inputs, { arith: 'tflite', keepAll: true });
      ids.forEach((id, k) => {
        const d = firstDiff((got.tensors!.get(id) as Int8Array | undefined) ?? new Int8Array(0), ref[k]!.data);
        const op = graph.ops.find((o) => o.outputs.includes(id))!;
        if (d) mismatches.push(`randomMovementNet(${seed}) [${label}] ${op.name} [${graph.tensors[id]!.shape}]: ${d}`);
      });
    }
    layers += ids.length;
  }
  assert.ok(layers >= 4 * NETS, `only ${layers} layers`);
  assert.deepEqual(mismatches, [], `${mismatches.length} mismatches:\n${mismatches.slice(0, 12).join('\n')}`);
});

// What TFLite does with int8 CONCATENATION inputs of differing scales: it refuses them in Prepare (as TFLite
// Micro does); neither requantises. The legalize pass refuses them too (compiler/ops/concatenation.ts).
test('TFLite rejects int8 CONCATENATION with differing input quantisation, as legalize does', async () => {
  const it = await interp;
  const q = (scale: number) => ({ scale: [scale], zeroPoint: [3] });
  const graph = {
    name: 'concat_scales',
    tensors: [
      { id: 0, name: 'a', shape: [1, 2], dtype: 'int8' as const, quant: q(0.5) },
      { id: 1, name: 'b', shape: [1, 2], dtype: 'int8' as const, quant: q(0.25) },
      { id: 2, name: 'y', shape: [1, 4], dtype: 'int8' as const, quant: q(0.5) },
    ],
    ops: [{ kind: 'concatenation' as const, inputs: [0, 1], outputs: [2], axis: 1, activation: 'none' as const }],
    inputs: [0, 1], outputs: [2],
  };
  validateGraph(graph);
  assert.throws(() => it.run(writeTflite(graph), [new Int8Array(2), new Int8Array(2)]), /concatenation\.cc.*scale != output->params\.scale.*CONCATENATION/);
  assert.throws(() => runPipeline(graph, { arith: 'tflite' }), /concatenation: 'b' is quantised \(scale 0\.25/);
});

// Width 2 -> 82: float32(2 / 82) * 41 = 0.99999994, so TFLite's float reference reads column 0 for output 41
// where exact arithmetic (or a 16.16 fixed-point scale, as newer desktop builds use for plain 8-bit resizes)
// reads column 1. The interpreter here follows the float reference, as TFLite Micro does; so does the golden.
test('RESIZE_NEAREST_NEIGHBOR float32 index edge (width 2 -> 82) equals TFLite', async () => {
  const it = await interp;
  const g = await goldenSimd;
  const q = { scale: [0.5], zeroPoint: [0] };
  const graph = {
    name: 'resize_edge',
    tensors: [
      { id: 0, name: 'x', shape: [1, 1, 2, 1], dtype: 'int8' as const, quant: q },
      { id: 1, name: 'y', shape: [1, 1, 82, 1], dtype: 'int8' as const, quant: q },
    ],
    ops: [{ kind: 'resize_nearest_neighbor' as const, inputs: [0], outputs: [1], alignCorners: false, halfPixelCenters: false, size: [1, 82] as [number, number] }],
    inputs: [0], outputs: [1],
  };
  const x = Int8Array.from([10, 20]);
  const [ref] = it.run(writeTflite(graph), [x]);
  assert.equal(ref![41], 10, 'TFLite reads column 0 for output 41');
  assert.deepEqual(Array.from(g.run(graph, [x], { arith: 'tflite' }).outputs[0]!), Array.from(ref!));
  const m = runPipeline(graph, { arith: 'tflm' });
  const k = m.ops[0]!;
  assert.ok(k.kind === 'resize_nearest' && k.colIndex[41] === 0 && k.colIndex[42] === 1, 'lowered index table');
});
