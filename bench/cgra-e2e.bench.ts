// OpenEdgeCGRA end to end on X-HEEP (issue 15). One row per workload (kws, vww, resnet, ad01, str_ww and the
// CF'24 paper's layer, tests/helpers/paper-layer.ts), one column per way of running it; each column is a
// function of the workload (COLUMNS below), so a new column is one function and one entry.
//
// Column `hostOnly`: the whole network on X-HEEP's RV32 host alone, with the best portable C the Cortex-M
// backend emits, compiled for rv32imc (riscv64-unknown-elf-gcc -O2, picolibc) and run on QEMU riscv32
// (mcu-backend/harness/rv32.ts). Two sources are tried: the generic kernels (what a core without DSP gets)
// and the DSP kernels' source through runtime.h's portable intrinsics (-DTF_HOST_SIMD=1); each must equal
// the golden runtime on 2 random inputs, and the better one per core is the baseline. Instructions are
// counted by the plugin (exact, markers 3..4 of the first input); cycles are MODELLED for CV32E40P and
// CV32E20 (mcu-backend/timing/rv32-model.ts: the cores' user-manual timing, zero-wait memory).
import { loadModel } from '../compiler/frontend/load.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import type { KernelModule } from '../compiler/kernel-ir/types.ts';
import { emitModel } from '../mcu-backend/emit/model.ts';
import { goldenOutputBytes, randomGraphInputs } from '../mcu-backend/verify.ts';
import { modelRv32Run } from '../mcu-backend/timing/rv32-model.ts';
import { RV32_CORES, type Rv32Core } from '../mcu-backend/timing/rv32-cores.ts';
import { GoldenRuntime } from '../runtime-wasm/host.ts';
import { modelPath, type ModelKey } from '../tests/helpers/paths.ts';
import { paperLayerGraph } from '../tests/helpers/paper-layer.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One network (or layer) and what every column needs to run it. */
export interface Workload {
  key: string;
  graph: Graph;
  module: KernelModule;
  /** Raw input bytes, 2 random inputs (seeded). */
  inputs: Int8Array[];
  /** The golden runtime's outputs for `inputs`. */
  want: Int8Array[];
  macs: number;
}

export interface Context { golden: GoldenRuntime; work: string }

const MODEL_KEYS: ModelKey[] = ['kws', 'vww', 'resnet', 'ad01', 'str_ww'];

function workload(key: string, graph: Graph, golden: GoldenRuntime): Workload {
  const module = runPipeline(graph, { arith: 'tflm' });
  const inputs = randomGraphInputs(graph, 2, 15);
  const want = inputs.map((x) => goldenOutputBytes(golden, graph, module.arith, x));
  const macs = module.ops.reduce((a, o) => a + (o.macs ?? 0), 0);
  return { key, graph, module, inputs, want, macs };
}

function workloads(golden: GoldenRuntime): Workload[] {
  const out: Workload[] = [];
  for (const key of MODEL_KEYS) {
    const path = modelPath(key);
    if (!path) throw new Error(`model ${key} missing`);
    out.push(workload(key, loadModel(path).graph, golden));
  }
  out.push(workload('paper', paperLayerGraph(), golden));
  return out;
}

const equal = (a: Int8Array, b: Int8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

export interface HostOnlySource {
  source: 'generic' | 'simd-portable';
  bitExact: boolean;
  instructions: number;
  cycles: Record<Rv32Core, number>;
}
export interface HostOnly {
  /** The better bit-exact source per core, its modelled cycles and MAC/cycle. */
  best: Record<Rv32Core, { source: HostOnlySource['source']; cycles: number; macPerCycle: number }>;
  /** Counted instructions of the best source on CV32E40P. */
  instructions: number;
  sources: HostOnlySource[];
}

/** Column `hostOnly`: the network entirely on the RV32 host (see the header). */
export function hostOnlyColumn(w: Workload, ctx: Context): HostOnly {
  const sources: HostOnlySource[] = [];
  for (const simd of [false, true]) {
    const em = emitModel(w.module, { cpu: 'm4', dsp: simd });
    const r = modelRv32Run(em, w.inputs, RV32_CORES, mkdtempSync(join(ctx.work, `${w.key}-${simd ? 'simd' : 'generic'}-`)), { simd });
    const cycles = Object.fromEntries(RV32_CORES.map((c) => [c, r.runs[c].invoke.total])) as Record<Rv32Core, number>;
    sources.push({ source: simd ? 'simd-portable' : 'generic', bitExact: r.outputs.every((o, i) => equal(o, w.want[i])), instructions: r.invokeInstructions[0], cycles });
  }
  const ok = sources.filter((s) => s.bitExact);
  if (ok.length === 0) throw new Error(`${w.key}: no RV32 build equals the golden runtime`);
  const best = Object.fromEntries(RV32_CORES.map((c) => {
    const s = ok.reduce((a, b) => (b.cycles[c] < a.cycles[c] ? b : a));
    return [c, { source: s.source, cycles: s.cycles[c], macPerCycle: +(w.macs / s.cycles[c]).toFixed(4) }];
  })) as HostOnly['best'];
  return { best, instructions: ok.find((s) => s.source === best.cv32e40p.source)!.instructions, sources };
}

/** The columns, in table order; each gets the workload and the shared context and returns JSON-able figures. */
export const COLUMNS: Array<{ name: string; run: (w: Workload, ctx: Context) => unknown }> = [
  { name: 'hostOnly', run: hostOnlyColumn },
];

export default async function run() {
  const golden = await GoldenRuntime.load();
  const ctx: Context = { golden, work: mkdtempSync(join(tmpdir(), 'tf-cgra-e2e-')) };
  const rows: Array<Record<string, unknown>> = [];
  const table = ['workload  MACs         host-only (RV32IMC, best portable C)',
    '                       instructions  CV32E40P cycles  MAC/cyc  CV32E20 cycles  MAC/cyc  sources (bit-exact)'];
  for (const w of workloads(golden)) {
    const row: Record<string, unknown> = { workload: w.key, macs: w.macs };
    for (const col of COLUMNS) row[col.name] = col.run(w, ctx);
    rows.push(row);
    const h = row.hostOnly as HostOnly;
    table.push(`${w.key.padEnd(8)}  ${w.macs.toLocaleString('en-US').padStart(11)}  ${h.instructions.toLocaleString('en-US').padStart(12)}  `
      + `${h.best.cv32e40p.cycles.toLocaleString('en-US').padStart(15)}  ${h.best.cv32e40p.macPerCycle.toFixed(3).padStart(7)}  `
      + `${h.best.cv32e20.cycles.toLocaleString('en-US').padStart(14)}  ${h.best.cv32e20.macPerCycle.toFixed(3).padStart(7)}  `
      + h.sources.map((s) => `${s.source} ${s.bitExact ? 'yes' : 'NO'}`).join(', '));
  }
  console.log(table.join('\n'));
  console.log('instructions counted on QEMU riscv32 (icount plugin); cycles MODELLED from the CV32E40P / CV32E20 user manuals (zero-wait memory)');
  return {
    note: 'Host-only baseline: each workload entirely on X-HEEP\'s RV32IMC host with the Cortex-M backend\'s portable C (generic kernels, or the DSP source through portable intrinsics; the better bit-exact one per core). Instructions counted by QEMU riscv32 + the icount plugin; cycles modelled (mcu-backend/timing/rv32-model.ts), not measured.',
    columns: COLUMNS.map((c) => c.name),
    rows,
  };
}
