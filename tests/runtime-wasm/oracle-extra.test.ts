// The golden runtime's `tflite` arithmetic against TFLite's interpreter (XNNPACK off), bit for bit, for
// MEAN, SUM, RESIZE_BILINEAR and TRANSPOSE_CONV: random single-op models (tests/helpers/random-ops-extra.ts)
// written with the .tflite writer, on the SIMD and the scalar golden module. The sensitivity checks show
// the comparison can tell the arithmetics apart where they differ (MEAN and SUM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeTflite } from '../../compiler/frontend/tflite/writer.ts';
import { importTflite } from '../../compiler/frontend/tflite/import.ts';
import type { Arith } from '../../compiler/quant/multiplier.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter, allOpOutputs, withAllOutputs } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { randomInputs } from '../helpers/random-ops.ts';
import {
  AUDIT_FAMILIES, EXTRA_OP_KINDS, randomAuditGraph, randomExtraNetGraph, randomExtraOpGraph, type ExtraOpCase, type ExtraOpKind, type ExtraOpOptions,
} from '../helpers/random-ops-extra.ts';
import { reduceQuantParams } from '../../compiler/quant/params.ts';
import type { ReduceOp } from '../../compiler/ir/graph.ts';
import { firstDiff } from '../helpers/compare.ts';

const CASES: Record<ExtraOpKind, number> = { mean: 240, sum: 200, resize_bilinear: 200, transpose_conv: 200 };

const interp = TfliteInterpreter.load();
const goldenSimd = GoldenRuntime.load({ simd: true });
const goldenScalar = GoldenRuntime.load({ simd: false });

function describe(c: { seed: number; graph: ExtraOpCase['graph'] } & ({ kind: string } | { family: string })): string {
  const op = c.graph.ops[0]!;
  const t = (id: number) => (id < 0 ? '-' : `[${c.graph.tensors[id]!.shape}]`);
  const q = (id: number) => { const x = c.graph.tensors[id]!.quant!; return `(${x.scale[0]},${x.zeroPoint[0]})`; };
  const attrs = Object.entries(op).filter(([k]) => !['inputs', 'outputs', 'kind', 'name'].includes(k)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
  return `${'kind' in c ? `randomExtraOpGraph(${c.seed}, '${c.kind}')` : `randomAuditGraph(${c.seed}, '${c.family}')`} in ${op.inputs.map(t).join(' ')} ${q(op.inputs[0]!)} out ${t(op.outputs[0]!)} ${q(op.outputs[0]!)} ${attrs}`;
}


async function compare(kind: ExtraOpKind | (typeof AUDIT_FAMILIES)[number], firstSeed: number, count: number, arith: Arith, modules: Array<'simd' | 'scalar'>, opts: ExtraOpOptions = {}): Promise<string[]> {
  const it = await interp;
  const goldens = { simd: await goldenSimd, scalar: await goldenScalar };
  const bad: string[] = [];
  for (let i = 0; i < count; i++) {
    const c = (AUDIT_FAMILIES as readonly string[]).includes(kind)
      ? randomAuditGraph(firstSeed + i, kind as (typeof AUDIT_FAMILIES)[number])
      : randomExtraOpGraph(firstSeed + i, kind as ExtraOpKind, opts);
    const inputs = randomInputs(c.graph, c.seed);
    const [ref] = it.run(writeTflite(c.graph), inputs);
    for (const label of modules) {
      try {
        const d = firstDiff(goldens[label].run(c.graph, inputs, { arith }).outputs[0]!, ref!);
        if (d) bad.push(`${describe(c)} [${label}]: ${d}`);
      } catch (e) {
        bad.push(`${describe(c)} [${label}]: golden threw ${(e as Error).message}`);
      }
    }
  }
  return bad;
}

for (const kind of EXTRA_OP_KINDS) {
  test(`${kind}: ${CASES[kind]} random single-op models equal TFLite's interpreter (SIMD and scalar golden)`, async () => {
    const bad = await compare(kind, 700000 + 10000 * EXTRA_OP_KINDS.indexOf(kind), CASES[kind], 'tflite', ['simd', 'scalar']);
    assert.deepEqual(bad, [], `${kind}: ${bad.length} mismatches:\n${bad.slice(0, 12).join('\n')}`);
  });
}

// TRANSPOSE_CONV with fused activations: the interpreter ignores them (the golden tflite arithmetic clamps
// to int8 only); both golden arithmetics are checked, and they must differ somewhere on the same cases.
test('transpose_conv with fused activations: 200 random models equal TFLite (golden tflite ignores the activation, as TFLite does)', async () => {
  const bad = await compare('transpose_conv', 720000, 200, 'tflite', ['simd', 'scalar'], { activations: true });
  assert.deepEqual(bad, [], `${bad.length} mismatches:\n${bad.slice(0, 12).join('\n')}`);
  const tflm = await compare('transpose_conv', 720000, 200, 'tflm', ['simd'], { activations: true });
  assert.ok(tflm.length > 0, 'TFLite Micro\'s clamp to the activation range never mattered');
});

// Each desktop path of MEAN / SUM is told apart from TFLite Micro's integer kernel by the same cases: the
// golden tflm arithmetic must differ from TFLite somewhere on the cases of every path.
for (const kind of ['mean', 'sum'] as const) {
  test(`sensitivity: on the ${kind} cases of every desktop path, golden arith tflm (TFLite Micro's integer kernel) differs from TFLite somewhere`, async () => {
    const it = await interp;
    const golden = await goldenSimd;
    const differs = new Map<string, number>();
    for (let i = 0; i < CASES[kind]; i++) {
      const c = randomExtraOpGraph(700000 + 10000 * EXTRA_OP_KINDS.indexOf(kind) + i, kind);
      const method = reduceQuantParams(c.graph, c.graph.ops[0] as ReduceOp, 'tflite').method;
      const inputs = randomInputs(c.graph, c.seed);
      const [ref] = it.run(writeTflite(c.graph), inputs);
      const d = firstDiff(golden.run(c.graph, inputs, { arith: 'tflm' }).outputs[0]!, ref!) ? 1 : 0;
      differs.set(method, (differs.get(method) ?? 0) + d);
    }
    for (const [method, n] of differs) assert.ok(n > 0, `${kind} ${method}: the tflm arithmetic agreed with TFLite on every case`);
  });
}

test('writer -> importer round trip keeps the parameter operands as attributes (axes, size, output shape)', () => {
  for (const kind of EXTRA_OP_KINDS) {
    for (let s = 0; s < 10; s++) {
      const c = randomExtraOpGraph(123 + s, kind);
      const back = importTflite(writeTflite(c.graph), `${kind}.tflite`);
      const a = c.graph.ops[0]!, b = back.ops[0]!;
      const strip = (o: object) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'name' && k !== 'inputs' && k !== 'outputs'));
      assert.deepEqual(strip(b), strip(a), `${kind} seed ${123 + s}`);
      assert.equal(b.inputs.length, a.inputs.length, `${kind}: graph operands`);
      assert.deepEqual(back.tensors[b.outputs[0]!]!.shape, c.graph.tensors[a.outputs[0]!]!.shape);
    }
  }
});

test('the random MEANs and SUMs reach every desktop TFLite path (spatial, float, plain mean; float sum)', () => {
  const seen = new Set<string>();
  for (const kind of ['mean', 'sum'] as const) {
    for (let i = 0; i < CASES[kind]; i++) {
      const g = randomExtraOpGraph(700000 + 10000 * EXTRA_OP_KINDS.indexOf(kind) + i, kind).graph;
      seen.add(`${kind}:${reduceQuantParams(g, g.ops[0] as ReduceOp, 'tflite').method}`);
    }
  }
  assert.deepEqual([...seen].sort(), ['mean:float', 'mean:plain', 'mean:spatial', 'sum:float']);
});

// The older families, for the options real models set (random-ops-extra.ts AUDIT_FAMILIES).
const AUDIT_CASES = 200;
for (const family of AUDIT_FAMILIES) {
  test(`audit ${family}: ${AUDIT_CASES} random single-op models equal TFLite's interpreter (SIMD and scalar golden)`, async () => {
    const bad = await compare(family, 800000 + 10000 * AUDIT_FAMILIES.indexOf(family), AUDIT_CASES, 'tflite', ['simd', 'scalar']);
    assert.deepEqual(bad, [], `${family}: ${bad.length} mismatches:\n${bad.slice(0, 12).join('\n')}`);
  });
}

// Small decoder-style networks (conv -> transpose_conv -> resize_bilinear -> MEAN/SUM -> FC): every layer.
const NETS = 40;
test(`${NETS} random networks with the new operators: every layer equals TFLite's interpreter (SIMD and scalar golden)`, async () => {
  const it = await interp;
  const bad: string[] = [];
  for (let seed = 600; seed < 600 + NETS; seed++) {
    const graph = randomExtraNetGraph(seed);
    const file = writeTflite(graph);
    const ids = graph.ops.map((o) => o.outputs[0]!);
    assert.deepEqual(allOpOutputs(file), ids, 'the writer keeps tensor indices (parameter tensors come after)');
    const inputs = randomInputs(graph, seed);
    const ref = it.runTensors(withAllOutputs(file), inputs);
    for (const [label, golden] of [['simd', await goldenSimd], ['scalar', await goldenScalar]] as const) {
      const got = golden.run(graph, inputs, { arith: 'tflite', keepAll: true });
      ids.forEach((id, k) => {
        const d = firstDiff(got.tensors!.get(id) ?? new Int8Array(0), ref[k]!.data);
        if (d) bad.push(`randomExtraNetGraph(${seed}) [${label}] ${graph.ops[k]!.name}: ${d}`);
      });
    }
  }
  assert.deepEqual(bad, [], `${bad.length} mismatches:\n${bad.slice(0, 12).join('\n')}`);
});
