// Peak SRAM of the five MLPerf Tiny models under four memory schedules, and what partial execution costs
// in instructions. Per model:
//   floor           the whole-tensor floor: the largest input + output of any single op;
//   greedy          TFLite Micro's greedy planner idea (by size, first fit), whole tensors;
//   planner         best fit with in-place execution (delay rows included);
//   planner+partial the planner plus channel-split chains (split factors searched for the least peak).
// The four figures are activation bytes (what the schedules change; kernel scratch is zero for the lean
// kernels these schedules use). `emitted` gives the arena of the generated C (8-byte aligned requests,
// lean kernels) for the last two, and the instruction counts come from QEMU Cortex-M4 (icount plugin) on
// the same lean kernels with and without partial execution (and with whole tensors, for the in-place
// cost), each run checked bit-exact against the golden runtime. One SVG per model plots the bytes live at
// each op under each schedule: bench/results/memory-<model>.svg.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../compiler/frontend/load.ts';
import type { KernelModule } from '../compiler/kernel-ir/types.ts';
import { runPipeline } from '../compiler/passes/registry.ts';
import { emitModel, type EmitOptions } from '../mcu-backend/emit/model.ts';
import { LEAN_VARIANTS } from '../mcu-backend/emit/registry.ts';
import { missingTools } from '../mcu-backend/harness/run.ts';
import { livePeakOp, memoryFigures, type MemoryPlan } from '../mcu-backend/memory/plan.ts';
import { randomInputs, verifyMcu } from '../mcu-backend/verify.ts';
import { GoldenRuntime } from '../runtime-wasm/host.ts';
import { MODELS, modelPath, repoRoot, scratchDir, type ModelKey } from '../tests/helpers/paths.ts';

const resultsDir = join(repoRoot, 'bench', 'results');
const work = scratchDir('tinyforge-bench-memory-');

function opLabel(m: KernelModule, i: number) {
  const op = m.ops[i]!;
  return { op: i, kind: op.kind, name: op.name };
}

function schedule(m: KernelModule, p: MemoryPlan) {
  return {
    peakBytes: p.peak, peakAt: opLabel(m, p.peakOp), liveMaxBytes: Math.max(...p.live), liveMaxAt: opLabel(m, livePeakOp(p)),
    inPlace: p.inPlace.map((ip) => ({ op: ip.op, direction: ip.direction, delayRows: ip.direction === 'forward' || ip.direction === 'backward' ? ip.delay + 1 : 0 })),
    split: p.chains.map((c) => ({ ops: c.ops, channels: c.channels, slices: c.split })),
  };
}

/** Step plot of bytes live per op, one curve per schedule, the floor as a dashed line. */
function svg(title: string, nOps: number, floor: number, curves: Array<{ label: string; color: string; live: number[]; peak: number }>): string {
  const W = 760, H = 360, L = 70, R = 20, T = 40, B = 50;
  const max = Math.max(floor, ...curves.flatMap((c) => [c.peak, ...c.live])) * 1.08;
  const x = (i: number) => +(L + ((W - L - R) * i) / Math.max(1, nOps)).toFixed(1);
  const y = (v: number) => +(T + (H - T - B) * (1 - v / max)).toFixed(1);
  const path = (live: number[]) => live.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)} L${x(i + 1).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const ticks = Array.from({ length: 6 }, (_, k) => (max / 1.08) * k / 5);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${L}" y="18" font-size="13">${title}: bytes live per op (legend: arena peak of the placement)</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#000"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#000"/>`,
    ...ticks.map((v) => `<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v / 1024 * 10) / 10} KiB</text><line x1="${L}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}" stroke="#ddd"/>`),
    ...Array.from({ length: nOps }, (_, i) => i).filter((i) => nOps <= 16 || i % 5 === 0).map((i) => `<text x="${((x(i) + x(i + 1)) / 2).toFixed(1)}" y="${H - B + 14}" text-anchor="middle">${i}</text>`),
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">op index</text>`,
    `<line x1="${L}" y1="${y(floor)}" x2="${W - R}" y2="${y(floor)}" stroke="#888" stroke-dasharray="6,4"/>`,
    ...curves.map((c) => `<path d="${path(c.live)}" fill="none" stroke="${c.color}" stroke-width="2"/>`),
    `<rect x="${W - R - 250}" y="${T}" width="245" height="${16 * (curves.length + 1) + 6}" fill="#fff" stroke="#ccc"/>`,
    `<line x1="${W - R - 242}" y1="${T + 14}" x2="${W - R - 218}" y2="${T + 14}" stroke="#888" stroke-dasharray="6,4"/><text x="${W - R - 212}" y="${T + 18}">whole-tensor floor ${floor} B</text>`,
    ...curves.map((c, k) => `<line x1="${W - R - 242}" y1="${T + 30 + 16 * k}" x2="${W - R - 218}" y2="${T + 30 + 16 * k}" stroke="${c.color}" stroke-width="2"/><text x="${W - R - 212}" y="${T + 34 + 16 * k}">${c.label} ${c.peak} B</text>`),
    '</svg>',
  ];
  return parts.join('\n') + '\n';
}

export default async function run() {
  const rows: Record<string, unknown> = {};
  const noQemu = missingTools('m4');
  const golden = noQemu ? undefined : await GoldenRuntime.load();
  for (const key of Object.keys(MODELS) as ModelKey[]) {
    const path = modelPath(key);
    if (!path) { console.log(`${key}: model absent, skipped`); continue; }
    const graph = loadModel(path).graph;
    const m = runPipeline(graph, { arith: 'tflm' });
    const f = memoryFigures(m);
    const target = { cpu: 'm4' as const, dsp: true };
    const configs: Record<string, EmitOptions> = {
      whole: { table: LEAN_VARIANTS, memory: 'whole' },
      planner: { table: LEAN_VARIANTS, memory: 'auto' },
      partial: { table: LEAN_VARIANTS, memory: 'partial' },
      // For reference: the backend's default choice on M4 (fast kernels with int16 scratch, in place
      // after their prepass), no budget.
      fastDefault: {},
    };
    const emitted: Record<string, { arenaBytes: number; instructions?: number; bitExact?: boolean; layers?: number[]; chains?: number[][] }> = {};
    for (const [name, o] of Object.entries(configs)) {
      const em = emitModel(m, target, o);
      emitted[name] = { arenaBytes: em.plan.arenaBytes, chains: em.plan.chains.map((c) => c.ops) };
      if (!golden) continue;
      const v = await verifyMcu(graph, m, em, 'm4', { inputs: randomInputs(em.inputBytes, 1, 7), workDir: join(work, key, name), count: true, golden });
      emitted[name]!.instructions = v.invokeInstructions?.[0];
      emitted[name]!.bitExact = v.ok;
      emitted[name]!.layers = v.layerInstructions;
    }
    // The split layers alone: their instructions in the split run (all counted at the chain's first
    // layer) against the same layers run whole (no in-place, no split).
    const chainOps = (emitted.partial?.chains ?? []).flat();
    const sum = (k: string) => chainOps.reduce((a, i) => a + (emitted[k]?.layers?.[i] ?? NaN), 0);
    const chainOverhead = chainOps.length && golden ? sum('partial') / sum('whole') - 1 : undefined;
    for (const e of Object.values(emitted)) delete e.layers;
    const ins = (k: string) => emitted[k]?.instructions;
    const overhead = ins('partial') !== undefined && ins('planner') ? ins('partial')! / ins('planner')! - 1 : undefined;
    const inPlaceCost = ins('planner') !== undefined && ins('whole') ? ins('planner')! / ins('whole')! - 1 : undefined;
    const ratio = f.partial.peak / f.floor.bytes;
    rows[key] = {
      floor: { bytes: f.floor.bytes, at: opLabel(m, f.floor.op) },
      greedy: schedule(m, f.greedy), planner: schedule(m, f.planner), plannerPartial: schedule(m, f.partial),
      partialOverFloor: +ratio.toFixed(4), plannerOverFloor: +(f.planner.peak / f.floor.bytes).toFixed(4),
      emitted,
      // Whole model, partial vs the planner without it (both in place elsewhere; the split chain's ops
      // do not run in place, which is why this can be negative), and the split layers alone.
      partialInstructionOverhead: overhead === undefined ? undefined : +overhead.toFixed(5),
      splitLayersInstructionOverhead: chainOverhead === undefined ? undefined : +chainOverhead.toFixed(5),
      inPlaceInstructionOverhead: inPlaceCost === undefined ? undefined : +inPlaceCost.toFixed(5),
      svg: `bench/results/memory-${key}.svg`,
    };
    const file = join(resultsDir, `memory-${key}.svg`);
    writeFileSync(`${file}.tmp`, svg(key, m.ops.length, f.floor.bytes, [
      { label: 'greedy (TFLM-style)', color: '#d62728', live: f.greedy.live, peak: f.greedy.peak },
      { label: 'planner (in place)', color: '#1f77b4', live: f.planner.live, peak: f.planner.peak },
      { label: 'planner + partial', color: '#2ca02c', live: f.partial.live, peak: f.partial.peak },
    ]));
    renameSync(`${file}.tmp`, file);
    console.log(`${key.padEnd(7)} floor ${String(f.floor.bytes).padStart(6)}  greedy ${String(f.greedy.peak).padStart(6)}  planner ${String(f.planner.peak).padStart(6)}  +partial ${String(f.partial.peak).padStart(6)} (${(100 * ratio).toFixed(1)}% of floor, peak at op ${f.partial.peakOp})` +
      (overhead !== undefined ? `  M4 instructions: whole ${ins('whole')}, in place ${ins('planner')}, +partial ${ins('partial')} (${(100 * overhead).toFixed(2)}%${chainOverhead !== undefined ? `; split layers ${(100 * chainOverhead).toFixed(2)}% vs whole` : ''})` : `  (no QEMU: ${noQemu})`));
  }
  return { unit: 'bytes of activations (plus in-place delay rows); instructions on QEMU Cortex-M4, lean kernels', models: rows };
}
