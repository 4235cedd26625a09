// The CGRA target end to end, shared by `tinyforge build` (targets.cgra) and `tinyforge cgra map`:
// graph -> kernel IR (pass pipeline) -> one plan per conv/depthwise/FC layer -> every layer simulated on
// both bus models and compared bit for bit with the golden runtime on random inputs -> report (+ artefacts).
import type { Graph } from '../compiler/ir/graph.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import type { Arith } from '../compiler/quant/multiplier.ts';
import { GoldenRuntime } from '../runtime-wasm/host.ts';
import type { BusModel, CgraArch } from './arch.ts';
import { hostLayers, int8Tensors, mapModule, randomInputs, simulateModel, type HostLayer, type LayerResult, type MappedLayer } from './map-model.ts';
import { reportHtml, writeArtefacts, type ModelReport } from './report.ts';
import { TinyforgeError } from '../compiler/diagnostics.ts';
import { STRATEGY_NAMES } from './strategies/index.ts';
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../compiler/files.ts';
import { join } from 'node:path';
import type { KernelModule } from '../compiler/kernel-ir/types.ts';
import { emitHostApp } from './host/app.ts';

export interface CgraTargetOptions {
  arch: CgraArch;
  arith: Arith;
  strategy: string;
  layers?: Record<string, string>;
  /** The strategies auto may choose from (undefined: all; the general mapper only as the fall-through). */
  strategies?: readonly string[];
  /** The bus model `auto` minimises (default shared). */
  optimise?: BusModel;
  /** Random input sets checked against the golden runtime (default 2). */
  inputs?: number;
  seed?: number;
  /** Write bitstreams, launch files, mapping views and report.html here. */
  outDir?: string;
  onLayer?: (r: LayerResult) => void;
  /** The graph's kernel IR in `arith`, when the caller has lowered it already (build shares one lowering). */
  module?: KernelModule;
  /** The file the graph was read from, named by lowering errors. */
  file?: string;
  /** `auto` by end-to-end cycles: array + the host program's modelled cycles (host/cost.ts). */
  endToEnd?: boolean;
  /** Write the host program for X-HEEP (HEEPsilon application folder, host/app.ts) here. */
  hostAppDir?: string;
}

export async function runCgraTarget(graph: Graph, o: CgraTargetOptions): Promise<{ report: ModelReport; mapped: MappedLayer[]; files: string[] }> {
  for (const s of [o.strategy, ...Object.values(o.layers ?? {}), ...(o.strategies ?? [])]) {
    if (!STRATEGY_NAMES.includes(s)) throw new TinyforgeError(`unknown CGRA strategy '${s}'`, {}, `strategies: ${STRATEGY_NAMES.join(', ')}`);
  }
  const km = o.module ?? runPipeline(graph, { arith: o.arith, ...(o.file !== undefined ? { file: o.file } : {}) });
  const unmapped: HostLayer[] = [];
  const mapped = mapModule(km, { arch: o.arch, strategy: o.strategy, ...(o.layers ? { layers: o.layers } : {}), ...(o.optimise ? { optimise: o.optimise } : {}), ...(o.endToEnd ? { endToEnd: o.arith } : {}), ...(o.strategies ? { strategies: o.strategies } : {}) }, graph, unmapped);
  const golden = await GoldenRuntime.load();
  const inputs = randomInputs(graph, o.inputs ?? 2, o.seed ?? 1);
  const { layers, totals } = simulateModel(graph, km, mapped, golden, inputs, o.arith, o.arch, o.onLayer);
  const report: ModelReport = { model: graph.name, arch: { rows: o.arch.rows, cols: o.arch.cols, callCycles: o.arch.callCycles }, layers, totals, host: [...hostLayers(km, graph), ...unmapped].sort((a, b) => a.index - b.index) };
  const files: string[] = [];
  if (o.outDir) {
    // The launch files replay the first input set: each layer's input is the golden runtime's tensor.
    const t = int8Tensors(golden.run(graph, inputs[0], { arith: o.arith, keepAll: true }).tensors!);
    const byName = new Map(graph.tensors.map((x) => [x.name, x.id]));
    files.push(...writeArtefacts(o.outDir, o.arch, mapped, (m) => t.get(byName.get(km.buffers[m.op.inputs[0]].name)!)!));
    mkdirSync(o.outDir, { recursive: true });
    const html = join(o.outDir, 'report.html');
    writeFileAtomic(html, reportHtml(report, new Map(mapped.map((m) => [m.op.index, m.choice.plan.view]))));
    files.push(html);
  }
  if (o.hostAppDir) {
    const app = emitHostApp(km, mapped, o.arith, o.arch);
    mkdirSync(o.hostAppDir, { recursive: true });
    for (const [f, text] of Object.entries(app.files)) { writeFileAtomic(join(o.hostAppDir, f), text); files.push(join(o.hostAppDir, f)); }
  }
  return { report, mapped, files };
}
