// Random single-op graphs through the Cortex-M C, bit-exact with the golden runtime in both arithmetics:
// MEAN, SUM, RESIZE_BILINEAR and TRANSPOSE_CONV (tests/helpers/random-ops-extra.ts, the graphs the
// oracle suite checks against TFLite) and the convolution, fully-connected and pooling families
// (tests/helpers/random-ops.ts, and the audit families of random-ops-extra.ts: dilation, FC batch dims
// and keep_num_dims, global pooling). Many single-op graphs are merged into one multi-input, multi-output graph
// per batch, so one C program (one compile) checks a whole batch; a layer mismatch names its op.
// On the host (generic kernels' portable path) always; a small sample on QEMU Cortex-M4 (DSP, FPU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Graph, Op } from '../../compiler/ir/graph.ts';
import type { Arith } from '../../compiler/quant/multiplier.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import type { RunOn } from '../../mcu-backend/harness/run.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { AUDIT_FAMILIES, randomAuditGraph, randomExtraNetGraph, randomExtraOpGraph, type ExtraOpKind } from '../helpers/random-ops-extra.ts';
import { printKernelModule } from '../../compiler/kernel-ir/printer.ts';
import { randomOpGraph, type RandomOpKind } from '../helpers/random-ops.ts';
import { scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-mcu-random-ops-');
let golden: GoldenRuntime | undefined;

/** Several single-op graphs as one graph (tensor ids shifted, names prefixed). */
export function mergeGraphs(name: string, graphs: Graph[]): Graph {
  const g: Graph = { name, tensors: [], ops: [], inputs: [], outputs: [] };
  graphs.forEach((s, k) => {
    const base = g.tensors.length;
    const id = (t: number) => (t < 0 ? t : t + base);
    for (const t of s.tensors) g.tensors.push({ ...t, id: t.id + base, name: `g${k}.${t.name}` });
    for (const op of s.ops) g.ops.push({ ...op, name: `g${k}.${op.name ?? op.kind}`, inputs: op.inputs.map(id), outputs: op.outputs.map(id) } as Op);
    g.inputs.push(...s.inputs.map(id));
    g.outputs.push(...s.outputs.map(id));
  });
  return g;
}

async function check(label: string, graphs: Graph[], arith: Arith, on: RunOn, seed: number): Promise<void> {
  golden ??= await GoldenRuntime.load();
  const graph = mergeGraphs(`${label}_${arith}`, graphs);
  const module = runPipeline(graph, { arith });
  const em = emitModel(module, { cpu: 'm4', dsp: on === 'm4' });
  const bytes = graph.inputs.reduce((s, id) => s + graph.tensors[id]!.shape.reduce((a, b) => a * b, 1), 0);
  const v = await verifyMcu(graph, module, em, on, { inputs: randomInputs(bytes, 2, seed), workDir: join(work, `${label}-${arith}-${on}`), golden });
  for (const r of v.results) assert.ok(r.ok, `${label} (${arith}) on ${on}, input ${r.input}: ${JSON.stringify(r)}`);
}

const EXTRA: Array<[ExtraOpKind, number]> = [['mean', 200], ['sum', 200], ['resize_bilinear', 200], ['transpose_conv', 200]];
const BATCH = 100;
/** MEAN and SUM compute differently per arithmetic; RESIZE_BILINEAR and TRANSPOSE_CONV lower identically in both. */
const ARITHS: Record<ExtraOpKind, Arith[]> = { mean: ['tflm', 'tflite'], sum: ['tflm', 'tflite'], resize_bilinear: ['tflm'], transpose_conv: ['tflm'] };

for (const [kind, count] of EXTRA) {
  for (const arith of ARITHS[kind]) {
    test(`${kind}: ${count} random single-op graphs (the oracle suite's), Cortex-M C on the host equals the golden runtime (${arith})`, async (t) => {
      if (!needTools(t, 'host')) return;
      for (let b = 0; b < count; b += BATCH) {
        const graphs = Array.from({ length: Math.min(BATCH, count - b) }, (_, i) => randomExtraOpGraph(700000 + 10000 * EXTRA.findIndex(([k]) => k === kind) + b + i, kind).graph);
        await check(`${kind}-${b}`, graphs, arith, 'host', 31 + b);
      }
    });
  }
}

test('transpose_conv with fused activations: 24 random graphs, host C equals the golden runtime (tflm applies the activation, tflite does not)', async (t) => {
  if (!needTools(t, 'host')) return;
  const graphs = Array.from({ length: 24 }, (_, i) => randomExtraOpGraph(720000 + i, 'transpose_conv', { activations: true }).graph);
  for (const arith of ['tflm', 'tflite'] as const) await check('transpose_conv-act', graphs, arith, 'host', 53);
});

// The older families (their own C tests use the model zoo): a sample of the oracle suite's random graphs,
// both arithmetics where the rounding differs (CONV_2D, FULLY_CONNECTED).
const AUDIT: Array<[RandomOpKind, number, Arith[]]> = [
  ['conv2d', 24, ['tflm', 'tflite']], ['depthwise_conv2d', 24, ['tflm']], ['fully_connected', 24, ['tflm', 'tflite']],
  ['average_pool2d', 24, ['tflm']], ['max_pool2d', 24, ['tflm']],
];
const ORACLE_ORDER = ['conv2d', 'depthwise_conv2d', 'fully_connected', 'add', 'average_pool2d', 'max_pool2d'];
for (const [kind, count, ariths] of AUDIT) {
  test(`${kind}: ${count} random single-op graphs, Cortex-M C on the host equals the golden runtime (${ariths.join(', ')})`, async (t) => {
    if (!needTools(t, 'host')) return;
    const graphs = Array.from({ length: count }, (_, i) => randomOpGraph(10000 * (1 + ORACLE_ORDER.indexOf(kind)) + i, kind).graph);
    for (const arith of ariths) await check(kind, graphs, arith, 'host', 47);
  });
}

for (const family of AUDIT_FAMILIES) {
  test(`audit ${family}: 24 of the oracle suite's random graphs, Cortex-M C on the host equals the golden runtime (tflm, tflite)`, async (t) => {
    if (!needTools(t, 'host')) return;
    const graphs = Array.from({ length: 24 }, (_, i) => randomAuditGraph(800000 + 10000 * AUDIT_FAMILIES.indexOf(family) + i, family).graph);
    for (const arith of ['tflm', 'tflite'] as const) await check(`audit-${family}`, graphs, arith, 'host', 61);
  });
}

test('12 random networks with the new operators (conv, transpose_conv, resize, MEAN/SUM, FC): host C equals the golden runtime', async (t) => {
  if (!needTools(t, 'host')) return;
  const graphs = Array.from({ length: 12 }, (_, i) => randomExtraNetGraph(600 + i));
  for (const arith of ['tflm', 'tflite'] as const) {
    await check('extra-nets', graphs, arith, 'host', 67);
    const text = printKernelModule(runPipeline(graphs[0]!, { arith }));
    assert.match(text, /transpose_conv .*\n.*window/);
    assert.match(text, /resize_bilinear/);
  }
});

test('QEMU Cortex-M4: 10 random graphs of each new op equal the golden runtime (both arithmetics; float paths on the FPU)', async (t) => {
  if (!needTools(t, 'm4')) return;
  for (const arith of ['tflm', 'tflite'] as const) {
    const graphs = EXTRA.flatMap(([kind], k) => Array.from({ length: 10 }, (_, i) => randomExtraOpGraph(700000 + 10000 * k + i, kind).graph));
    await check('m4-sample', graphs, arith, 'm4', 59);
  }
});

test('QEMU Cortex-M3: the float MEAN / SUM paths in software floating point (20 random graphs each, tflite)', async (t) => {
  if (!needTools(t, 'm3')) return;
  const graphs = (['mean', 'sum'] as const).flatMap((kind, k) => Array.from({ length: 20 }, (_, i) => randomExtraOpGraph(700000 + 10000 * k + i, kind).graph));
  await check('m3-float', graphs, 'tflite', 'm3', 71);
});
