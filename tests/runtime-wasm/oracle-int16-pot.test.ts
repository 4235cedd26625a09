// Desktop TFLite's power-of-two int16 ADD / SUB (docs/int16.md): random single-op models whose three scales are
// powers of two (one input at the output's scale, the other at most as large), with the file's
// `pot_scale_int16` true or false, written as .tflite. The golden runtime in the `tflite` arithmetic equals
// TFLite's interpreter on every element (the power-of-two path when the option is true, the general one when
// false); the models desktop TFLite refuses (both inputs shifted, an input scale above the output's) are
// refused by the interpreter and by tinyforge in `tflite` with a TinyforgeError, and compile in `tflm`; a model
// without an options table takes the general path in both the interpreter and the importer; the
// Cortex-M C of a few models equals the golden runtime on host gcc in both arithmetics (ASan + UBSan build,
// extreme inputs too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { writeTflite } from '../../compiler/frontend/tflite/writer.ts';
import { importTflite } from '../../compiler/frontend/tflite/import.ts';
import { add } from '../../compiler/ops/add.ts';
import { sub } from '../../compiler/ops/sub.ts';
import type { Graph, Op } from '../../compiler/ir/graph.ts';
import { validateGraph } from '../../compiler/ir/validate.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { GraphBuilder } from '../helpers/graph-builder.ts';
import { scratchDir } from '../helpers/paths.ts';
import { randomInt16Inputs } from '../helpers/random-int16.ts';
import { Rng } from '../helpers/random-ops.ts';
import { rawBytes } from '../helpers/zoo.ts';
import { SANITIZE_FLAGS } from '../mcu-backend/helpers/sanitize.ts';
import { needTools } from '../mcu-backend/helpers/tools.ts';

const CASES = 40;
const interp = await TfliteInterpreter.load();
const golden = await GoldenRuntime.load();
const work = scratchDir('tinyforge-int16-pot-');

/** An int16 ADD / SUB with scales 2^-e1, 2^-e2 -> 2^-eo (optionally the pot_scale_int16 option false). */
function potGraph(kind: 'add' | 'sub', shape: number[], e1: number, e2: number, eo: number, pot: boolean, activation: 'none' | 'relu' = 'none'): Graph {
  const g = new GraphBuilder(`pot_${kind}_${e1}_${e2}_${eo}_${pot}`);
  const a = g.act('a', shape, 2 ** -e1, 0, 'int16'), b = g.act('b', shape, 2 ** -e2, 0, 'int16');
  const y = g.act('y', shape, 2 ** -eo, 0, 'int16');
  g.op({ kind, inputs: [a, b], outputs: [y], activation, ...(pot ? {} : { potScaleInt16: false }) } as Op);
  return g.io([a, b], [y]);
}

/** Case i: a random shape, the output exponent, one input at it and the other 0..6 bits finer (or 15..18). */
function randomPot(seed: number, kind: 'add' | 'sub'): Graph {
  const r = new Rng(seed);
  const shape = [1, r.int(1, 4), r.int(1, 6), r.int(1, 8)];
  const eo = r.int(8, 14);
  const d = r.chance(0.15) ? r.int(15, 18) : r.int(0, 6);
  const first = r.chance(0.5);
  return potGraph(kind, shape, first ? eo + d : eo, first ? eo : eo + d, eo, !r.chance(0.25), r.chance(0.25) ? 'relu' : 'none');
}

for (const [k, kind] of (['add', 'sub'] as const).entries()) {
  test(`int16 power-of-two ${kind}: ${CASES} random models, golden (tflite) == TFLite's interpreter`, () => {
    const bad: string[] = [];
    let potShifted = 0, tflmDiffers = 0, optionOff = 0, wide = 0;
    for (let i = 0; i < CASES; i++) {
      const seed = 960000 + 1000 * k + i;
      const graph = randomPot(seed, kind);
      validateGraph(graph);
      const op = graph.ops[0] as Op & { potScaleInt16?: boolean };
      const model = writeTflite(graph);
      // The option survives the writer and the importer.
      assert.equal((importTflite(model, graph.name).ops[0] as Op & { potScaleInt16?: boolean }).potScaleInt16, op.potScaleInt16, graph.name);
      const inputs = randomInt16Inputs(graph, seed);
      const want = Array.from(interp.runTensors(model, inputs)[0]!.data as ArrayLike<number>);
      const got = Array.from(golden.run(graph, inputs, { arith: 'tflite' }).outputs[0]!);
      const diff = want.filter((v, j) => v !== got[j]).length;
      if (got.length !== want.length || diff) bad.push(`seed ${seed} ${graph.name}: ${diff}/${want.length} differ`);
      const scales = graph.tensors.map((t) => t.quant!.scale[0]!);
      if (op.potScaleInt16 === false) optionOff++;
      else if (scales[0] !== scales[1]) {
        potShifted++;
        if (Math.abs(Math.log2(scales[0]! / scales[1]!)) >= 15) wide++;
        const tflm = Array.from(golden.run(graph, inputs, { arith: 'tflm' }).outputs[0]!);
        if (tflm.some((v, j) => v !== want[j])) tflmDiffers++;
      }
    }
    assert.deepEqual(bad.slice(0, 6), [], `${bad.length} of ${CASES} differ`);
    // The test tells the two paths apart: shifted power-of-two cases exist, and the general path misses some.
    // (wide: shifts of 15 and more, where the int16 mask of RoundingDivideByPOT degenerates.)
    assert.ok(optionOff >= 3 && potShifted >= 10 && tflmDiffers >= 3 && wide >= 1, `option off ${optionOff}, shifted ${potShifted} (${wide} by 15 or more), general path differs in ${tflmDiffers}`);
  });
}

test('int16 power-of-two ADD / SUB: the models desktop TFLite refuses are refused in tflite, compiled in tflm', () => {
  const shape = [1, 2, 3, 4];
  const cases: Array<[string, Graph]> = [
    ['both inputs shifted', potGraph('add', shape, 12, 12, 11, true)],
    ['both inputs shifted', potGraph('sub', shape, 13, 12, 11, true)],
    ['an input scale above the output\'s', potGraph('add', shape, 10, 12, 12, true)],
    ['an input scale above the output\'s', potGraph('sub', shape, 12, 11, 12, true)],
  ];
  for (const [why, graph] of cases) {
    const inputs = randomInt16Inputs(graph, 1);
    assert.throws(() => interp.runTensors(writeTflite(graph), inputs), /rejected|failed/, `${graph.name}: TFLite accepts ${why}`);
    assert.throws(() => runPipeline(graph, { arith: 'tflite' }), (e: unknown) => e instanceof TinyforgeError && /power-of-two/.test(e.message), graph.name);
    assert.throws(() => golden.run(graph, inputs, { arith: 'tflite' }), TinyforgeError, graph.name);
    runPipeline(graph, { arith: 'tflm' });
    golden.run(graph, inputs, { arith: 'tflm' });
    // With the option false desktop TFLite takes the general path and agrees with the golden runtime.
    const off = potGraph(graph.ops[0]!.kind as 'add', shape, ...graphExps(graph), false);
    const want = Array.from(interp.runTensors(writeTflite(off), inputs)[0]!.data as ArrayLike<number>);
    assert.deepEqual(Array.from(golden.run(off, inputs, { arith: 'tflite' }).outputs[0]!), want, off.name);
  }
  // Broadcasting: desktop TFLite's power-of-two kernels read flat arrays; tinyforge refuses it in tflite.
  const g = new GraphBuilder('pot_broadcast');
  const a = g.act('a', [1, 2, 3, 4], 2 ** -12, 0, 'int16'), b = g.act('b', [1, 1, 1, 4], 2 ** -13, 0, 'int16'), y = g.act('y', [1, 2, 3, 4], 2 ** -12, 0, 'int16');
  g.op({ kind: 'add', inputs: [a, b], outputs: [y], activation: 'none' } as Op);
  const bc = g.io([a, b], [y]);
  assert.throws(() => runPipeline(bc, { arith: 'tflite' }), (e: unknown) => e instanceof TinyforgeError && /broadcasting/.test(e.message));
  runPipeline(bc, { arith: 'tflm' });
});

test('int16 power-of-two ADD / SUB without an options table: desktop TFLite takes the general path, so does the importer', () => {
  for (const [kind, def] of [['add', add], ['sub', sub]] as const) {
    const graph = potGraph(kind, [1, 2, 3, 4], 13, 12, 12, true);
    const mapping = def.tflite as { export: unknown };
    const saved = mapping.export;
    let model: Uint8Array;
    try {
      mapping.export = () => [0, 0]; // BuiltinOptions NONE, no table
      model = writeTflite(graph);
    } finally { mapping.export = saved; }
    const imported = importTflite(model, graph.name);
    assert.equal((imported.ops[0] as Op & { potScaleInt16?: boolean }).potScaleInt16, false);
    const inputs = randomInt16Inputs(graph, 3);
    const want = Array.from(interp.runTensors(model, inputs)[0]!.data as ArrayLike<number>);
    assert.deepEqual(Array.from(golden.run(imported, inputs, { arith: 'tflite' }).outputs[0]!), want);
    // With the table (option true) the two paths differ on these inputs: the case above is not vacuous.
    assert.notDeepEqual(Array.from(golden.run(graph, inputs, { arith: 'tflite' }).outputs[0]!), want);
  }
});

function graphExps(graph: Graph): [number, number, number] {
  const e = graph.tensors.map((t) => -Math.log2(t.quant!.scale[0]!));
  return [e[0]!, e[1]!, e[2]!];
}

test('int16 power-of-two ADD / SUB as Cortex-M C on host (ASan + UBSan) equal the golden runtime (tflite and tflm)', async (t) => {
  if (!needTools(t, 'host')) return;
  for (const [k, kind] of (['add', 'sub'] as const).entries()) {
    for (let i = 0; i < 3; i++) {
      const seed = 980000 + 1000 * k + i;
      // Shifts 3, 0 and 16 (where the int16 mask of RoundingDivideByPOT is -1), either input.
      const d = [3, 5, 16][i]!;
      const graph = potGraph(kind, [1, 3, 5, 7], i % 2 ? 11 : 11 + d, i % 2 ? 11 + d : 11, 11, true, i === 2 ? 'relu' : 'none');
      for (const arith of ['tflite', 'tflm'] as const) {
        const module = runPipeline(graph, { arith });
        assert.equal(module.ops.some((o) => o.kind === 'binary' && o.pot !== undefined), arith === 'tflite', `${graph.name} ${arith}: power-of-two path`);
        const em = emitModel(module, { cpu: 'm4', dsp: false });
        // Two random input sets and the extremes (every value -32768, every value 32767), under ASan + UBSan.
        const n = graph.inputs.reduce((s, id) => s + graph.tensors[id]!.shape.reduce((p, d) => p * d, 1), 0);
        const extreme = [-32768, 32767].map((v) => new Int8Array(new Int16Array(n).fill(v).buffer));
        const inputs = [...[seed, seed + 1].map((s) => rawBytes(randomInt16Inputs(graph, s))), ...extreme];
        const v = await verifyMcu(graph, module, em, 'host', { inputs, workDir: join(work, `${kind}-${seed}-${arith}`), golden, host: { flags: SANITIZE_FLAGS } });
        assert.equal(v.results.length, 4);
        for (const r of v.results) assert.ok(r.ok, `${graph.name} (${arith}), input ${r.input}: ${JSON.stringify(r)}`);
      }
    }
  }
});
