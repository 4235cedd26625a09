// The element-wise binary ops through the Cortex-M backend: the random single-op graphs of the oracle test
// (tests/helpers/random-ops.ts: ranks 1-6, broadcasting, constant operands, activations), CASES per op and
// arithmetic merged into one model (one gcc run each), lowered, emitted as C (the generic variants) and
// compiled for the host: every output equals the golden runtime's on 2 random inputs, and the kernel IR
// evaluated naively from its fields (helpers/kmodule.ts) equals the golden runtime too. A few on QEMU M4.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Graph } from '../../compiler/ir/graph.ts';
import { printKernelModule } from '../../compiler/kernel-ir/printer.ts';
import type { Arith } from '../../compiler/quant/multiplier.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { BINARY_OP_KINDS, randomOpGraph } from '../helpers/random-ops.ts';
import { scratchDir } from '../helpers/paths.ts';
import { GENERIC } from './helpers/generic.ts';
import { evaluate } from './helpers/kmodule.ts';
import { needTools } from './helpers/tools.ts';

const CASES = 100;
const work = scratchDir('tinyforge-mcu-binary-');
const golden = GoldenRuntime.load();

/** Independent graphs side by side in one graph: inputs and outputs concatenated in order. */
export function mergeGraphs(name: string, graphs: Graph[]): Graph {
  const out: Graph = { name, tensors: [], ops: [], inputs: [], outputs: [] };
  graphs.forEach((g, i) => {
    const base = out.tensors.length;
    for (const t of g.tensors) out.tensors.push({ ...t, id: t.id + base, name: `c${i}_${t.name}` });
    for (const op of g.ops) out.ops.push({ ...op, name: `c${i}_${op.name ?? op.kind}`, inputs: op.inputs.map((t) => (t < 0 ? t : t + base)), outputs: op.outputs.map((t) => t + base) } as typeof op);
    out.inputs.push(...g.inputs.map((t) => t + base));
    out.outputs.push(...g.outputs.map((t) => t + base));
  });
  return out;
}

function binaryGraph(kind: (typeof BINARY_OP_KINDS)[number], arith: Arith): Graph {
  const k = BINARY_OP_KINDS.indexOf(kind);
  return mergeGraphs(`bin_${kind}_${arith}`, Array.from({ length: CASES }, (_, i) => randomOpGraph(300000 + 1000 * k + i + (arith === 'tflite' ? 500 : 0), kind, { maxRank: 6 }).graph));
}

const inputBytes = (g: Graph) => g.inputs.reduce((s, id) => s + g.tensors[id]!.shape.reduce((a, b) => a * b, 1), 0);

for (const kind of BINARY_OP_KINDS) {
  test(`${kind}: ${CASES} random graphs per arithmetic as Cortex-M C on the host equal the golden runtime (tflm, tflite)`, async (t) => {
    if (!needTools(t, 'host')) return;
    const g0 = await golden;
    for (const arith of ['tflm', 'tflite'] as const) {
      const graph = binaryGraph(kind, arith);
      const module = runPipeline(graph, { arith });
      const binaryOps = module.ops.filter((o) => o.kind === 'binary').length;
      // ADD of rank <= 4 without a constant keeps the `add` kernel op; every other case is `binary`.
      if (kind !== 'add') assert.equal(binaryOps, CASES);
      else assert.ok(binaryOps > 20 && binaryOps < CASES, `${binaryOps} binary ops`);
      const inputs = randomInputs(inputBytes(graph), 2, 31 + BINARY_OP_KINDS.indexOf(kind));
      // The kernel IR evaluated from its fields equals the golden runtime's op outputs.
      for (const x of inputs.slice(0, 1)) {
        const evals = evaluate(module, x);
        let off = 0;
        const parts = graph.inputs.map((id) => { const n = graph.tensors[id]!.shape.reduce((a, b) => a * b, 1); const p = x.subarray(off, off + n); off += n; return p; });
        const keep = g0.run(graph, parts, { arith, keepAll: true }).tensors!;
        module.ops.forEach((op, i) => {
          const want = keep.get(graph.ops[op.sourceOp]!.outputs[0]!)!;
          assert.deepEqual(Array.from(evals[i]!), Array.from(want), `${arith} ${op.name}: kernel IR evaluation differs from the golden runtime\n${printKernelModule({ ...module, ops: [op] }).split('\n').filter((l) => l.includes(op.name) || l.startsWith('    ')).slice(0, 6).join('\n')}`);
        });
      }
      const em = emitModel(module, { cpu: 'm4', dsp: false }, { table: GENERIC });
      const v = await verifyMcu(graph, module, em, 'host', { inputs, workDir: join(work, `${kind}-${arith}`), golden: g0 });
      assert.ok(v.ok, `${kind} ${arith}: ${JSON.stringify(v.results)}`);
    }
  });
}

test('element-wise binary ops on QEMU Cortex-M4: 12 random graphs per op in one program (tflm)', async (t) => {
  if (!needTools(t, 'm4')) return;
  const g0 = await golden;
  const graph = mergeGraphs('bin_m4', BINARY_OP_KINDS.flatMap((kind, k) => Array.from({ length: 12 }, (_, i) => randomOpGraph(310000 + 100 * k + i, kind, { maxRank: 6 }).graph)));
  const module = runPipeline(graph, { arith: 'tflm' });
  const em = emitModel(module, { cpu: 'm4', dsp: true });
  const v = await verifyMcu(graph, module, em, 'm4', { inputs: randomInputs(inputBytes(graph), 1, 77), workDir: join(work, 'm4'), golden: g0 });
  assert.ok(v.ok, JSON.stringify(v.results));
});
