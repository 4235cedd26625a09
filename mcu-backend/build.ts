// The Cortex-M target of `tinyforge build`: the orchestration of the backend's stages, each in its own
// module under stages/ with a typed result, the kernel module flowing forward through them:
//   select (stages/select.ts: a kernel variant per layer)  -> Selected
//   plan   (stages/plan.ts: in place, channel splits, buffer placement, DAE staging) -> Planned
//   emit   (emit/model.ts emitC: <name>.h/.c + runtime.h) -> EmittedModel
//   fit    (stages/fit.ts: measured flash and RAM against the budgets; over the flash budget it runs
//           select -> plan -> emit again with measured per-layer costs) -> Fitted
//   compile (stages/compile.ts: object cache and a pool of compilers; the fit's Arm object serves the QEMU
//           run, the host object is started early, in parallel)
//   run    (stages/run.ts: host and QEMU verification against the golden runtime, instruction counts) -> Ran
//   report (stages/report.ts: tables and JSON) and, with `part`, the DVFS plan (dvfs/attach.ts).
// Everything is written to a staging directory and moved to <outDir>/mcu only when the build succeeds.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkReplaceable, markOutputFolder } from '../compiler/output-stage.ts';
import type { KernelModule } from '../compiler/kernel-ir/types.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import { cIdent, emitC, type EmittedModel } from './emit/model.ts';
import { boardMisfit, CPUS, hasBoard, missingTools, parseCpu } from './harness/run.ts';
import { addModelledCycles, checkModelClock, modelPartName } from './timing/report.ts';
import type { McuTargetInfo } from './emit/variant.ts';
import { formatVerify, type VerifyResult } from './verify.ts';
import { dvfsFiles, modelSegments, resolvePart } from './dvfs/wire.ts';
import { operatingPoints } from './dvfs/parts.ts';
import { addDvfs } from './dvfs/attach.ts';
import { selectStage } from './stages/select.ts';
import { planStage } from './stages/plan.ts';
import { arenaBudget, fitStage, type Emit } from './stages/fit.ts';
import { prefetchHostObject, runStage } from './stages/run.ts';
import { formatMcuReport, reportOf, scheduleSvg, type McuBuild, type McuTargetConfig } from './stages/report.ts';
import { StageTimer } from './stages/timing.ts';

export { STACK_BYTES, layerFlashFromElf } from './stages/fit.ts';
export { addInstructionCounts, formatDvfsReport, formatMcuReport } from './stages/report.ts';
export type { McuBuild, McuDvfsReport, McuLayerReport, McuTargetConfig, McuTotals } from './stages/report.ts';

export interface McuBuildOptions {
  timer?: StageTimer;
  /** Called with each model the fit stage is about to measure (e.g. to start the host compile early). */
  onEmitted?: (em: EmittedModel) => void;
  /** What the schedule search minimises, over the config's `objective`: modelled cycles (estimated instructions where no probe can run) or estimated instructions. */
  objective?: 'cycles' | 'instructions';
}

/** Select, plan, emit and fit the model into <outDir>/mcu; throws a TinyforgeError when a budget is exceeded. */
export function buildMcu(module: KernelModule, cfg: McuTargetConfig, outDir: string, where: { file?: string } = {}, o: McuBuildOptions = {}): McuBuild {
  const timer = o.timer ?? new StageTimer();
  const cpu = parseCpu(cfg.cpu, 'targets.mcu.cpu');
  const target: McuTargetInfo = { cpu, dsp: CPUS[cpu].dsp, flashBytes: cfg.flash, sramBytes: cfg.sram };
  const part = cfg.part !== undefined ? resolvePart(cfg.part, where) : undefined;
  const name = cIdent(module.name);
  const memory = { arenaBudget: arenaBudget(module, cfg.sram), dae: cfg.dae ?? (part ? 'auto' as const : false) };
  // The schedule search minimises modelled cycles for the core, with the part's memory at its clock when the
  // part has a memory model (zero-wait memory otherwise); select.ts falls back to instructions where no probe runs.
  // Default: cycles when a part is named (its flash and caches are what instruction counts miss), else
  // estimated instructions (no probe runs: a cold build stays fast).
  const objective = o.objective ?? cfg.objective ?? (part ? 'cycles' : 'instructions');
  const modelPart = modelPartName(cfg.part);
  const cycles = objective === 'instructions' ? undefined : { cpu, ...(modelPart ? { part: modelPart, ...(cfg.clockMHz !== undefined ? { clockMHz: cfg.clockMHz } : {}) } : cfg.clockMHz !== undefined ? { clockMHz: cfg.clockMHz } : {}) };
  const emit: Emit = (flash, arena) => {
    const mem = arena === undefined ? memory : { ...memory, arenaBudget: arena };
    const sel = timer.time('select', () => selectStage(module, target, name, { ...mem, ...(cycles ? { cycles } : {}), ...(flash ? { flashBudget: flash.budget, flashCost: flash.cost } : {}) }));
    const planned = timer.time('plan', () => planStage(module, target, sel.variants, name, mem));
    const em = timer.time('emit', () => emitC(module, target, sel, planned, { segmentHooks: part !== undefined }));
    // Before measuring, the plan file puts every segment at the fastest point (rewritten after planning).
    if (part) em.extraFiles = dvfsFiles(em, part, operatingPoints(part), modelSegments(em, part));
    o.onEmitted?.(em);
    return em;
  };
  // Never replace a folder holding files tinyforge did not write (`tinyforge build` checks this first, with --force).
  const final = join(outDir, 'mcu');
  checkReplaceable(final);
  const dir = join(outDir, `.mcu-staging-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    const fitted = fitStage({ module, target, budgets: cfg, emit, dir, where, timer });
    const notes: string[] = fitted.em.daeOff.map((d) => `layer ${d.op} '${d.opName}' not decoupled: ${d.reason}`);
    const files = [...fitted.files];
    if (fitted.measured) files.push(fitted.measured.main);
    else notes.push(`flash/RAM estimated, not measured: ${missingTools('arm-gcc')}`);
    const { layers, totals } = reportOf(module, target, fitted);
    if (totals.schedule) {
      // The schedule search's front as a plot next to the model.
      const svg = join(dir, `${fitted.em.cname}_schedule.svg`);
      timer.time('report', () => writeFileSync(svg, scheduleSvg(totals.schedule!, fitted.em.cname)));
      files.push(svg);
      totals.schedule = { ...totals.schedule, plot: `${fitted.em.cname}_schedule.svg` };
    }
    if (!hasBoard(cpu)) notes.push(`instructions not measured: no QEMU board for cortex-${cpu} in the harness`);
    markOutputFolder(dir);
    rmSync(final, { recursive: true, force: true });
    renameSync(dir, final);
    const b: McuBuild = { em: fitted.em, target, layers, totals, files: files.map((f) => resolve(final, f.slice(dir.length + 1))), notes, timings: timer.ms };
    if (part) b.part = part;
    return b;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------- the build step as `tinyforge build` runs it ----------

export interface McuStepResult {
  build: McuBuild;
  verify: VerifyResult[];
  text: string;
  ok: boolean;
}

/**
 * Build the mcu target of a config and verify it: on the host always, and on the core's QEMU board when
 * installed (that run also measures the per-layer instructions). `verifyInputs` = 0 skips verification.
 */
export async function mcuBuildStep(graph: Graph, module: KernelModule, cfg: McuTargetConfig, outDir: string,
  opts: { file?: string; verifyInputs: number; seed?: number; publishDir?: string; timer?: StageTimer }): Promise<McuStepResult> {
  checkModelClock(cfg.part, cfg.clockMHz, { file: opts.file });
  const timer = opts.timer ?? new StageTimer();
  // The host compile of the verification is the longest: start it with each emitted model, alongside the fit stage's Arm compile.
  let prefetch: ReturnType<typeof prefetchHostObject> | undefined;
  const onEmitted = opts.verifyInputs > 0 ? (em: EmittedModel) => { prefetch?.abort(); prefetch = prefetchHostObject(em); } : undefined;
  let b: McuBuild;
  try {
    b = buildMcu(module, cfg, outDir, { file: opts.file }, { timer, onEmitted });
  } catch (e) {
    prefetch?.abort();
    throw e;
  }
  if (prefetch) await timer.timeAsync('compile', () => prefetch!.done);
  const work = join(outDir, 'mcu', 'verify');
  const cpu = b.target.cpu;
  const misfit = b.totals.sizeSource === 'arm-none-eabi-size' ? boardMisfit(cpu, b.totals.flashBytes, b.totals.ramBytes, b.em.inputBytes * Math.max(1, opts.verifyInputs)) : undefined;
  const ran = await timer.timeAsync('run', () => runStage(graph, module, b.em, cpu, work, { verifyInputs: opts.verifyInputs, seed: opts.seed, ...(misfit ? { boardMisfit: misfit } : {}) }));
  const verify = ran.verify;
  b.notes.push(...ran.notes);
  if (ran.layerInstructions) {
    b.layers.forEach((l, i) => {
      l.instructions = ran.layerInstructions![i];
      if (l.macs > 0) l.instructionsPerMac = +(ran.layerInstructions![i]! / l.macs).toFixed(3);
    });
    b.totals.instructions = ran.invokeInstructions;
  }
  if (ran.counts) b.counts = ran.counts;
  if (ran.counts && ran.firstInput) {
    try {
      timer.time('report', () => addModelledCycles(b, ran.firstInput!, join(work, 'cycles'), cfg.part, cfg.clockMHz));
    } catch (e) {
      b.notes.push(`cycles not modelled: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
  }
  if (b.part) timer.time('report', () => addDvfs(b, b.part!, ran.counts, cfg.latencyMs, outDir));
  return timer.time('report', () => {
    // Built in a temporary folder (`tinyforge build`): the report names the paths the files will have.
    const publish = (p: string) => (opts.publishDir !== undefined && p.startsWith(resolve(outDir) + '/') ? resolve(opts.publishDir, p.slice(resolve(outDir).length + 1)) : p);
    b.files = b.files.map(publish);
    if (b.dvfs) b.dvfs.svg = publish(b.dvfs.svg);
    const texts = [formatMcuReport(b), ...verify.map((v) => formatVerify(module.name, v))];
    const text = texts.join('\n');
    // report.txt names the folder it sits in as '.', so builds of one config from two folders are byte-identical.
    const fileText = [formatMcuReport(b, '.'), ...texts.slice(1)].join('\n');
    // The report next to the C: report.txt (as printed) and report.json (layers, totals, verification).
    const final = join(outDir, 'mcu');
    for (const [name, body] of [['report.txt', fileText + '\n'], ['report.json', JSON.stringify({ layers: b.layers, totals: b.totals, verify, ...(b.dvfs ? { dvfs: b.dvfs } : {}) }, null, 2) + '\n']]) {
      writeFileSync(join(final, `${name}.tmp`), body);
      renameSync(join(final, `${name}.tmp`), join(final, name));
      b.files.push(publish(resolve(final, name)));
    }
    markOutputFolder(final);
    return { build: b, verify, text, ok: verify.every((v) => v.ok) };
  });
}
