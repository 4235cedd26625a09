// Cortex-M55 (Helium / MVE) benchmark, issue 18: the layers of the table with the Helium kernels
// (mcu-backend/emit/conv-helium.ts, depthwise-helium.ts) and with the Cortex-M4 DSP kernels the M55 ran
// before (conv-window.ts int16, depthwise-ring.ts), in one QEMU mps3-an547 program, every layer first
// checked bit-exact (TFLite Micro double rounding, the independent reference of
// tests/mcu-backend/fast-fixtures.ts) on random, all -128, all +127, alternating and zero-point-only inputs,
// on the host (portable MVE) and on QEMU; instructions per MAC counted exactly (icount plugin, dbg markers),
// next to CMSIS-NN's Helium kernels as measured on the same emulated board (../shared/docs/research.md:
// bit-identical outputs; CMSIS-NN is not fetched or built here). Targets: 0.8x CMSIS-NN's instructions per
// MAC, depthwise <= 1.2. Modelled cycles: the QEMU block profile priced by mcu-backend/timing (the M55's
// scalar table and the dual-beat Helium model of timing/mve.ts).
// Then the five MLPerf Tiny models on M55, Helium against the DSP path: instructions per MAC of the whole
// invoke (target <= 0.45), bit-exact with the golden runtime (2 random inputs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KConv2d, KDepthwiseConv2d, KernelOp } from '../compiler/kernel-ir/types.ts';
import { emitConvHelium } from '../mcu-backend/emit/conv-helium.ts';
import { emitConvWindow, fcAsConv } from '../mcu-backend/emit/conv-window.ts';
import { emitDepthwiseHelium } from '../mcu-backend/emit/depthwise-helium.ts';
import { emitDepthwiseRing } from '../mcu-backend/emit/depthwise-ring.ts';
import type { FastResult } from '../mcu-backend/emit/fast-kernel.ts';
import { kernelCodeBytes, runCasesHost, runCasesOn, type RunCase } from '../mcu-backend/emit/fast-run.ts';
import { HELIUM_VARIANTS } from '../mcu-backend/emit/helium-variants.ts';
import { emitModel } from '../mcu-backend/emit/model.ts';
import { VARIANTS } from '../mcu-backend/emit/registry.ts';
import { runQemu } from '../mcu-backend/harness/run.ts';
import { readProfile, segmentCycles } from '../mcu-backend/timing/model.ts';
import { randomInputs, verifyMcu } from '../mcu-backend/verify.ts';
import { loadModel } from '../compiler/frontend/load.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import { GoldenRuntime } from '../runtime-wasm/host.ts';
import { convFixture, depthwiseFixture, fcFixture, Rng, type Fixture, type InputPattern } from '../tests/mcu-backend/fast-fixtures.ts';
import { MODELS, modelPath, type ModelKey } from '../tests/helpers/paths.ts';

const PATTERNS: InputPattern[] = ['random', 'min', 'max', 'alternating', 'zero-point'];
const MODEL_TARGET = 0.45;

interface Layer {
  key: string; label: string;
  /** CMSIS-NN Helium instructions per MAC, QEMU mps3-an547 (../shared/docs/research.md). */
  cmsisNN: number;
  /** Issue 18's target (instructions per MAC). */
  target: number;
  fixture: (pattern: InputPattern) => Fixture<KernelOp>;
  helium: (f: Fixture<KernelOp>, fn: string) => FastResult;
  dsp: (f: Fixture<KernelOp>, fn: string) => FastResult;
}

const conv = (key: string, label: string, p: Parameters<typeof convFixture>[0], seed: number, cmsisNN: number, target: number): Layer => ({
  key, label, cmsisNN, target,
  fixture: (pt) => convFixture(p, new Rng(seed), pt, key),
  helium: (f, fn) => emitConvHelium(f.op as KConv2d, { consts: f.consts }, { fn }),
  dsp: (f, fn) => emitConvWindow(f.op as KConv2d, { consts: f.consts }, { fn, weights: 'int16' }),
});
const fc = (key: string, label: string, inDepth: number, outDepth: number, seed: number, cmsisNN: number, target: number): Layer => ({
  key, label, cmsisNN, target,
  fixture: (pt) => { const f = fcFixture({ batches: 1, inDepth, outDepth }, new Rng(seed), pt, key); return { ...f, op: fcAsConv(f.op) }; },
  helium: (f, fn) => emitConvHelium(f.op as KConv2d, { consts: f.consts }, { fn }),
  dsp: (f, fn) => emitConvWindow(f.op as KConv2d, { consts: f.consts }, { fn, weights: 'int16' }),
});
const dw = (key: string, label: string, p: Parameters<typeof depthwiseFixture>[0], seed: number, cmsisNN: number): Layer => ({
  key, label, cmsisNN, target: 1.2,
  fixture: (pt) => depthwiseFixture(p, new Rng(seed), pt, key),
  helium: (f, fn) => emitDepthwiseHelium(f.op as KDepthwiseConv2d, { consts: f.consts }, { fn }),
  dsp: (f, fn) => emitDepthwiseRing(f.op as KDepthwiseConv2d, { consts: f.consts }, { fn }),
});

// The table, same shapes and seeds as bench/mcu.bench.ts where they overlap; targets = 0.8x CMSIS-NN.
const LAYERS: Layer[] = [
  conv('conv3x3_16', '3x3 conv 16x16x16 -> 16, pad 1', { inH: 16, inW: 16, inC: 16, outC: 16, kH: 3, kW: 3, pad: 1 }, 101, 0.388, 0.31),
  conv('conv1x1_16', '1x1 conv 16x16x16 -> 16', { inH: 16, inW: 16, inC: 16, outC: 16, kH: 1, kW: 1 }, 102, 1.09, 0.87),
  dw('dw3x3_16', '3x3 depthwise 16x16x16, pad 1', { inH: 16, inW: 16, inC: 16, outC: 16, kH: 3, kW: 3, pad: 1 }, 103, 3.467),
  fc('fc256_64', 'FC 256 -> 64', 256, 64, 104, 0.527, 0.42),
  conv('conv3x3_64', '3x3 conv 16x16x64 -> 64, pad 1', { inH: 16, inW: 16, inC: 64, outC: 64, kH: 3, kW: 3, pad: 1 }, 105, 0.206, 0.165),
  conv('conv1x1_64', '1x1 conv 16x16x64 -> 64', { inH: 16, inW: 16, inC: 64, outC: 64, kH: 1, kW: 1 }, 106, 0.393, 0.31),
  dw('dw3x3_32x64', '3x3 depthwise 32x32x64, pad 1', { inH: 32, inW: 32, inC: 64, outC: 64, kH: 3, kW: 3, pad: 1 }, 111, 2.30),
  fc('fc1024_256', 'FC 1024 -> 256', 1024, 256, 107, 0.482, 0.39),
];

export default async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-helium-bench-'));
  // One program per layer (both paths, every pattern): the tensors of all layers exceed the board's 2 MB flash.
  const layers: Array<Record<string, any>> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const layer of LAYERS) {
    const cases: RunCase[] = [];
    const meta: Array<{ path: 'helium' | 'dsp'; fn: string; macs: number; kernel: Extract<FastResult, { ok: true }>['kernel'] }> = [];
    const fx = PATTERNS.map((p) => layer.fixture(p));
    for (const path of ['helium', 'dsp'] as const) {
      const fn = `b_${path}_${layer.key}`;
      const r = layer[path](fx[0]!, fn);
      if (!r.ok) throw new Error(`${layer.key} (${path}): kernel not applicable: ${r.reason}`);
      for (const f of fx) cases.push({ kernel: r.kernel, input: f.input, expected: f.expected });
      meta.push({ path, fn, macs: fx[0]!.op.macs, kernel: r.kernel });
    }
    const host = runCasesHost(join(dir, `${layer.key}-host`), cases);
    const m55 = runCasesOn('m55', join(dir, `${layer.key}-m55`), cases);
    if (!host.ok || !m55.ok) throw new Error(`${layer.key}: not bit-exact: host ${host.failedCases} / M55 ${m55.failedCases} failing cases ${host.log} ${m55.log}`);
    // Modelled cycles: the same program under the plugin's block profile; segment k ends at the k-th dbg #2.
    const prof = join(dir, `${layer.key}-profile.txt`);
    const pr = runQemu(m55.elf, 'm55', { profile: prof, timeoutMs: 300_000 });
    if (pr.status !== 0) throw new Error(`${layer.key}: profile run failed: ${pr.status}`);
    const kernelSegs = segmentCycles(readProfile(prof), { cpu: 'm55' }).filter((s) => s.marker === 2);
    const code = kernelCodeBytes(m55.elf, meta.map((m) => m.fn));
    const row: Record<string, any> = { layer: layer.label, macs: meta[0]!.macs, cmsisNNHeliumInstructionsPerMac: layer.cmsisNN, target: layer.target }; // eslint-disable-line @typescript-eslint/no-explicit-any
    meta.forEach((m, i) => {
      const counts = m55.instructions!.slice(i * PATTERNS.length, (i + 1) * PATTERNS.length);
      const cyc = kernelSegs[i * PATTERNS.length]?.cycles.total;
      row[m.path] = {
        instructions: counts[0], instructionsPerMac: +(counts[0]! / m.macs).toFixed(3),
        instructionsPerInput: Object.fromEntries(PATTERNS.map((p, k) => [p, counts[k]])),
        modelledCyclesPerMac: cyc !== undefined ? +(cyc / m.macs).toFixed(3) : null,
        scratchBytes: m.kernel.scratchBytes, constBytes: m.kernel.constBytes, codeBytes: code.get(m.fn) ?? null,
      };
    });
    row.ratioToCmsisNN = +(row.helium.instructionsPerMac / layer.cmsisNN).toFixed(3);
    row.meetsTarget = row.helium.instructionsPerMac <= layer.target;
    row.bitExact = { host: true, m55: true, inputs: PATTERNS };
    layers.push(row);
  }
  const col = (v: unknown, w: number) => String(v).padStart(w);
  console.log(`${'layer (QEMU mps3-an547, instructions/MAC)'.padEnd(44)} ${col('Helium', 7)} ${col('CMSIS', 6)} ${col('ratio', 6)} ${col('target', 6)} ${col('DSP', 6)} ${col('cyc/MAC', 7)} ${col('scratch', 7)}`);
  for (const l of layers) {
    const h = l.helium, d = l.dsp;
    console.log(`${String(l.layer).padEnd(44)} ${col(h.instructionsPerMac, 7)} ${col(l.cmsisNNHeliumInstructionsPerMac, 6)} ${col(l.ratioToCmsisNN, 6)} ${col(l.target, 6)} ${col(d.instructionsPerMac, 6)} ${col(h.modelledCyclesPerMac, 7)} ${col(h.scratchBytes, 7)}${l.meetsTarget ? '' : '  (target not met)'}`);
  }
  const models = await modelTotals(dir);
  rmSync(dir, { recursive: true, force: true });
  return {
    board: 'QEMU 7.2 mps3-an547 (Cortex-M55 with MVE), arm-none-eabi-gcc 12.2 -O2 -mcpu=cortex-m55 (mcu-backend/harness/run.ts)',
    counting: 'instructions between dbg #1 / dbg #2 markers, icount TCG plugin (exact)',
    cycleModel: 'mcu-backend/timing on the plugin block profile: M55 scalar table and the dual-beat Helium model (timing/mve.ts: 2 cycles per vector instruction, load/arithmetic overlap, gathers one lane per cycle); a model, not a measurement',
    citedFigures: '../shared/docs/research.md: CMSIS-NN Helium kernels on QEMU mps3-an547, bit-identical to TFLite Micro (not re-measured here: CMSIS-NN is not fetched)',
    layers,
    models,
  };
}

/** The five MLPerf Tiny models on QEMU M55: the Helium selection against the DSP path, bit-exact with the golden runtime. */
async function modelTotals(dir: string) {
  const golden = await GoldenRuntime.load();
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(MODELS) as ModelKey[]) {
    const path = modelPath(key);
    if (!path) { out[key] = 'model not found'; continue; }
    const graph = loadModel(path).graph;
    const module = runPipeline(graph, { arith: 'tflm' });
    const macs = module.ops.reduce((s, op) => s + op.macs, 0);
    const inputs = randomInputs(graph.inputs.reduce((s, id) => s + graph.tensors[id]!.shape.reduce((a, b) => a * b, 1), 0), 2, 5);
    const row: Record<string, unknown> = { macs };
    for (const [label, table] of [['helium', VARIANTS], ['dsp', VARIANTS.filter((v) => !HELIUM_VARIANTS.includes(v))]] as const) {
      const em = emitModel(module, { cpu: 'm55', dsp: true }, { table });
      const v = await verifyMcu(graph, module, em, 'm55', { inputs, workDir: join(dir, `${key}-${label}`), count: true, golden });
      const ok = v.results.every((r) => r.ok);
      if (!ok) throw new Error(`${key} (${label}) on M55: not bit-exact with the golden runtime`);
      const instr = v.invokeInstructions![0]!;
      row[label] = { instructions: instr, instructionsPerMac: +(instr / macs).toFixed(3), bitExact: ok, arenaBytes: em.plan.arenaBytes, constBytes: em.constBytes,
        variants: Object.fromEntries([...new Set(em.layers.map((l) => l.variant))].map((n) => [n, em.layers.filter((l) => l.variant === n).length])) };
    }
    const h = row.helium as { instructionsPerMac: number; instructions: number }, d = row.dsp as { instructions: number };
    row.speedup = +(d.instructions / h.instructions).toFixed(2);
    row.target = MODEL_TARGET;
    row.meetsTarget = h.instructionsPerMac <= MODEL_TARGET;
    out[key] = row;
    console.log(`${key}: Helium ${h.instructionsPerMac} instructions/MAC (target ${MODEL_TARGET}${row.meetsTarget ? '' : ', not met'}), DSP path ${(row.dsp as { instructionsPerMac: number }).instructionsPerMac}, x${row.speedup}, bit-exact`);
  }
  return out;
}
