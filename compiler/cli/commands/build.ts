// `tinyforge build`: loads and validates a YAML build config, prints its layer table, and (as targets are
// added) runs each configured target's back end. Kept a small orchestrator: one step per target.
import type { Command } from '../command.ts';
import { TinyforgeError, UsageError } from '../../diagnostics.ts';
import { loadConfig, type BuildConfig } from '../../frontend/yaml/config.ts';
import { graphStats, type GraphStats } from '../../ir/stats.ts';
import { formatLayerTable } from '../../report/layers.ts';
import { runPipeline } from '../../passes/registry.ts';
import { formatCgraVsMcu } from '../../report/compare.ts';
import { mcuBuildStep, type McuDvfsReport, type McuLayerReport, type McuTotals } from '../../../mcu-backend/build.ts';
import type { VerifyResult } from '../../../mcu-backend/verify.ts';
import { cacheStats } from '../../../mcu-backend/stages/compile.ts';
import { StageTimer, type StageName } from '../../../mcu-backend/stages/timing.ts';
import { basename, join } from 'node:path';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { OutputStage } from '../../output-stage.ts';
import { makeArch } from '../../../cgra-mapper/arch.ts';
import type { LayerFigures, ModelTotals } from '../../../cgra-mapper/map-model.ts';
import { reportText } from '../../../cgra-mapper/report.ts';
import { runCgraTarget } from '../../../cgra-mapper/target.ts';
import type { MappedLayer } from '../../../cgra-mapper/map-model.ts';
import { decode } from '../../../cgra-mapper/isa/encoding.ts';
import { OPCODES } from '../../../cgra-mapper/isa/tables.ts';
import { buildReportHtml, isBuildReport, type HtmlReportData } from '../../report/html.ts';
import { writeFileAtomic } from '../../files.ts';

export interface BuildReport {
  config: { file: string; name: string; arith: BuildConfig['arith']; outDir: string; model?: string; targets: BuildConfig['targets'] };
  graph: GraphStats;
  /** One entry per kernel-IR op; each backend adds its own figures (mcu: ...). */
  layers?: Array<{ index: number; name: string; kind: string; op?: string; sourceOp: number; macs: number; mcu?: Omit<McuLayerReport, 'index' | 'name' | 'kind' | 'sourceOp' | 'macs'>; cgra?: LayerFigures }>;
  totals?: { ops: number; macs: number; mcu?: McuTotals; cgra?: ModelTotals };
  verify?: { mcu: VerifyResult[] };
  /** Per-segment clock plan of the mcu target (targets.mcu.part); its energy is modelled. */
  dvfs?: McuDvfsReport;
  /** Wall-clock milliseconds: the mcu backend per stage, the cgra target, the whole build; object cache hits and misses. */
  timings?: { mcu?: Partial<Record<StageName, number>>; cgra?: number; total: number; objectCache: { hits: number; misses: number; corrupt: number } };
}

export const build: Command = {
  name: 'build',
  summary: 'Build a YAML config for its targets (prints the layer table)',
  usage: 'build <config.yaml> [--json] [--no-verify] [--force] [--verbose]',
  options: {
    force: { type: 'boolean', description: 'replace <out>/mcu and <out>/cgra even when they hold files tinyforge did not write' },
    json: { type: 'boolean', description: 'print the build report as JSON' },
    'no-verify': { type: 'boolean', description: 'do not run the built targets against the golden runtime' },
    verbose: { type: 'boolean', description: 'print the time of each backend stage as it finishes (stderr)' },
  },
  positionals: [1, 1],
  async run({ positionals, values }) {
    const path = positionals[0]!;
    if (!/\.ya?ml$/i.test(path)) throw new UsageError(`build takes a .yaml config, got '${path}' (use inspect for a .tflite model)`);
    const config = loadConfig(path);
    // Every artefact goes to a temporary folder beside the output and moves into place only when the build
    // succeeds: a failed or interrupted build leaves the previous output as it was (compiler/output-stage.ts).
    checkReportReplaceable(join(config.outDir, 'report.html'), values.force === true);
    const stage = new OutputStage(config.outDir, [config.targets.mcu && 'mcu', config.targets.cgra && 'cgra'].filter((n): n is string => !!n), { force: values.force === true });
    try {
      return await buildStaged(config, stage, values);
    } catch (e) {
      // An error without a location names the config (or, about an operator, the model it comes from).
      if (e instanceof TinyforgeError && !(e instanceof UsageError) && e.where.file === undefined) {
        throw new TinyforgeError(e.message, { ...e.where, file: e.where.op !== undefined ? config.model ?? config.file : config.file }, e.hint, e.exitCode);
      }
      throw e;
    } finally {
      await stage.settle();
      stage.discard();
    }
  },
};

async function buildStaged(config: BuildConfig, stage: OutputStage, values: Record<string, string | boolean | string[] | undefined>): Promise<number> {
  const report: BuildReport = {
    config: { file: config.file, name: config.name, arith: config.arith, outDir: config.outDir, targets: config.targets, ...(config.model ? { model: config.model } : {}) },
    graph: graphStats(config.graph),
  };
  const texts: string[] = [];
  let ok = true;
  let liveByOp: number[] | undefined;
  let mapped: MappedLayer[] = [];
  const progress = (msg: string) => process.stderr.write(`tinyforge: ${msg}\n`);
  const t0 = performance.now();
  const cache0 = { ...cacheStats };
  // One lowering: both backends read the same kernel IR.
  const module = runPipeline(config.graph, { arith: config.arith, file: config.model ?? config.file });
  const timer = new StageTimer(values.verbose ? (st, ms) => { if (ms >= 1) progress(`  mcu ${st}: ${(ms / 1000).toFixed(2)} s`); } : undefined);
  // The mcu step runs until it waits for the host compile of its verification (started alongside its Arm
  // compile, in another process); the cgra target then runs meanwhile, and the mcu step finishes after it.
  let mcuStep: Promise<Awaited<ReturnType<typeof mcuBuildStep>>> | undefined;
  if (config.targets.mcu) {
    progress(`mcu ${config.targets.mcu.cpu}: emitting and compiling C${values['no-verify'] ? '' : ', then verifying on the host and QEMU'}...`);
    mcuStep = mcuBuildStep(config.graph, module, config.targets.mcu, stage.dir,
      { file: config.file, verifyInputs: values['no-verify'] ? 0 : 2, publishDir: config.outDir, timer });
    // A build that fails before its verification (a budget, the compiler) fails now, before the cgra target.
    const early = await Promise.race([mcuStep.then(() => 'done', () => 'failed'), new Promise<string>((ok) => setImmediate(() => ok('pending')))]);
    if (early === 'failed') await mcuStep;
  }
  let cgraMs: number | undefined;
  let cgra: { cr: Awaited<ReturnType<typeof runCgraTarget>>['report']; files: string[] } | undefined;
  if (config.targets.cgra) {
    const tc = performance.now();
    const cg = config.targets.cgra;
    progress(`cgra ${cg.rows}x${cg.cols}: mapping and simulating ${module.ops.filter((o) => o.macs > 0).length} layers...`);
    const { report: cr, files, mapped: m } = await runCgraTarget(config.graph, {
      module,
      onLayer: (l) => progress(`  cgra layer ${l.index} '${l.name}' (${l.op}): ${l.cgra.bitExact ? 'bit-exact' : 'MISMATCH'}`),
      arch: makeArch({ rows: cg.rows, cols: cg.cols, bus: cg.bus, callCycles: cg.callCycles }), arith: config.arith, strategy: cg.strategy,
      ...(cg.layers ? { layers: cg.layers } : {}), ...(cg.strategies ? { strategies: cg.strategies } : {}), inputs: values['no-verify'] ? 1 : 2, outDir: stage.path('cgra'),
    }).catch(async (e: unknown) => {
      // Let the mcu step finish writing into the staging folder before the build removes it.
      await mcuStep?.catch(() => undefined);
      throw e;
    });
    mapped = m;
    cgra = { cr, files };
    cgraMs = Math.round(performance.now() - tc);
  }
  if (mcuStep) {
    const step = await mcuStep;
    report.layers = step.build.layers.map(({ index, name, kind, sourceOp, macs, ...mcu }) => ({ index, name, kind, sourceOp, macs, mcu }));
    report.totals = { ops: module.ops.length, macs: module.ops.reduce((s, o) => s + o.macs, 0), mcu: step.build.totals };
    report.verify = { mcu: step.verify };
    if (step.build.dvfs) report.dvfs = step.build.dvfs;
    liveByOp = step.build.em.plan.liveByOp;
    texts.push(step.text);
    ok &&= step.ok;
  }
  if (cgra) {
    const { cr, files } = cgra;
    report.layers ??= module.ops.map((o) => ({ index: o.index, name: o.name, kind: o.kind, sourceOp: o.sourceOp, macs: o.macs }));
    for (const l of report.layers) {
      const c = cr.layers.find((x) => x.index === l.index);
      if (c) { l.op = c.op; l.cgra = c.cgra; }
    }
    report.totals ??= { ops: module.ops.length, macs: module.ops.reduce((a, o) => a + o.macs, 0) };
    report.totals.cgra = cr.totals;
    texts.push(reportText(cr) + `\nwrote ${files.length} CGRA files to ${join(config.outDir, 'cgra')}`);
    const cmp = config.targets.mcu ? formatCgraVsMcu(report.layers, config.targets.mcu.cpu) : undefined;
    if (cmp) texts.push(cmp);
    ok &&= values['no-verify'] ? true : cr.totals.bitExact;
  }
  report.timings = {
    ...(config.targets.mcu ? { mcu: timer.ms } : {}), ...(cgraMs !== undefined ? { cgra: cgraMs } : {}), total: Math.round(performance.now() - t0),
    objectCache: { hits: cacheStats.hits - cache0.hits, misses: cacheStats.misses - cache0.misses, corrupt: cacheStats.corrupt - cache0.corrupt },
  };
  if (values.verbose) {
    const t = report.timings;
    progress(`time: ${(t.total / 1000).toFixed(2)} s (${[...Object.entries(t.mcu ?? {}).map(([k, v]) => `mcu ${k} ${(v / 1000).toFixed(2)} s`), ...(t.cgra !== undefined ? [`cgra ${(t.cgra / 1000).toFixed(2)} s`] : [])].join(', ')}; object cache: ${t.objectCache.hits} hit(s), ${t.objectCache.misses} miss(es))`);
  }
  if (values.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  } else {
    const t = config.targets;
    const lines = [
      `build ${config.name} (${config.file}), arithmetic ${config.arith}, output ${config.outDir}`,
      `targets: ${[t.mcu && `mcu ${t.mcu.cpu} (flash ${t.mcu.flash} B, sram ${t.mcu.sram} B)`, t.cgra && `cgra ${t.cgra.rows}x${t.cgra.cols} ${t.cgra.bus} bus, strategy ${t.cgra.strategy}`].filter(Boolean).join('; ') || 'none'}`,
      '',
      formatLayerTable(`graph ${config.graph.name}`, report.graph),
      ...texts.flatMap((t) => ['', t]),
    ];
    process.stdout.write(lines.join('\n') + '\n');
  }
  if (!ok) {
    process.stderr.write(`tinyforge: error: verification against the golden runtime failed (see the report); the previous output in ${config.outDir} is unchanged\n`);
    return 1;
  }
  await stage.commit();
  // report.html joins both targets; written into the output folder once the targets are in place.
  writeFileAtomic(join(config.outDir, 'report.html'), buildReportHtml(htmlData(config, report, liveByOp, mapped)), 'report.html');
  return 0;
}

/** <out>/report.html is replaced only when it is a report tinyforge wrote (or with --force); checked before the build starts. */
function checkReportReplaceable(file: string, force: boolean): void {
  if (force || !existsSync(file)) return;
  if (!statSync(file).isFile() || !isBuildReport(readFileSync(file, 'utf8'))) {
    throw new TinyforgeError('report.html exists and is not a report tinyforge wrote; not replacing it', { file }, 'move it away, or rerun with --force');
  }
}

/** Share of each PE's kernel steps that issue an instruction other than NOP, over a layer's kernels ([row][col]). */
function peUtilisation(m: MappedLayer, rows: number, cols: number): number[][] {
  const busy = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  let steps = 0;
  for (const k of m.choice.plan.kernels) {
    for (const step of k.words) {
      steps++;
      step.forEach((row, r) => row.forEach((w, c) => { if (r < rows && c < cols && (OPCODES[decode(w).op]?.cls ?? 'nop') !== 'nop') busy[r]![c]!++; }));
    }
  }
  return busy.map((row) => row.map((b) => (steps ? b / steps : 0)));
}

function htmlData(config: BuildConfig, report: BuildReport, liveByOp: number[] | undefined, mapped: MappedLayer[]): HtmlReportData {
  const t = report.totals;
  const cg = config.targets.cgra;
  return {
    // The config's file name, not its path: builds of one config from two folders are byte-identical.
    name: config.name, config: basename(config.file), arith: config.arith,
    layers: (report.layers ?? []).map((l) => ({
      index: l.index, name: l.name, kind: l.kind, macs: l.macs,
      ...(l.mcu ? { mcu: { variant: l.mcu.variant, instructions: l.mcu.instructions, instructionsPerMac: l.mcu.instructionsPerMac, scratchBytes: l.mcu.scratchBytes, constBytes: l.mcu.constBytes,
        ...(l.mcu.modelled ? { modelled: { cycles: l.mcu.modelled.cycles, cyclesPerMac: l.mcu.modelled.cyclesPerMac, stalls: { ...l.mcu.modelled.stalls } } } : {}) } } : {}),
      ...(l.cgra ? { cgra: { strategy: l.cgra.strategy, cycles: l.cgra.cycles, macPerCycle: l.cgra.macPerCycle, peUtilisation: l.cgra.peUtilisation, bitExact: l.cgra.bitExact, launches: l.cgra.launches } } : {}),
      ...(liveByOp?.[l.index] !== undefined ? { liveBytes: liveByOp[l.index] } : {}),
    })),
    ...(t?.mcu ? { mcu: {
      cpu: t.mcu.cpu, flashBytes: t.mcu.flashBytes, ramBytes: t.mcu.ramBytes, arenaBytes: t.mcu.arenaBytes, peakLayer: t.mcu.peakLayer, strategy: t.mcu.memory.strategy,
      sizeSource: t.mcu.sizeSource, ...(t.mcu.instructions !== undefined ? { instructions: t.mcu.instructions } : {}),
      verify: (report.verify?.mcu ?? []).map((v) => ({ on: v.on, ok: v.ok, inputs: v.inputs })),
      ...(t.mcu.modelled ? { modelled: { core: t.mcu.modelled.core, part: t.mcu.modelled.part, clockMHz: t.mcu.modelled.clockMHz, waitStates: t.mcu.modelled.waitStates,
        cycles: t.mcu.modelled.cycles, cyclesPerMac: t.mcu.modelled.cyclesPerMac, latencyMs: t.mcu.modelled.latencyMs, byCause: { ...t.mcu.modelled.byCause } } } : {}),
    } } : {}),
    ...(t?.cgra && cg ? { cgra: { rows: cg.rows, cols: cg.cols, bus: cg.bus, cycles: t.cgra.cycles, macPerCycle: t.cgra.macPerCycle, bitExactLayers: t.cgra.bitExactLayers, layers: t.cgra.layers } } : {}),
    ...(report.dvfs ? { dvfs: { part: report.dvfs.part, deadlineUs: report.dvfs.deadlineUs, segments: report.dvfs.segments.map((s) => ({ name: s.name, fMHz: s.fMHz, us: s.us, uj: s.uj })) } } : {}),
    pe: cg ? mapped.map((m) => ({ index: m.op.index, name: m.name, strategy: m.choice.plan.strategy, grid: peUtilisation(m, cg.rows, cg.cols), mapping: m.choice.plan.view })) : [],
  };
}
