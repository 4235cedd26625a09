// The Cortex-M target of `tinyforge build`: kernel module -> C files (<name>.h/.c + runtime.h) in
// <outDir>/mcu, variant selection under the sram and flash budgets (per-layer flash measured with
// arm-none-eabi-nm), flash/RAM measured with arm-none-eabi-size on a minimal program (the model plus
// a main calling it once), the budgets checked with a message naming the budget, the need and the
// largest contributors, and per-layer instruction counts measured on QEMU
// (markers, icount plugin) when the core has a board and QEMU is installed. With `part`, the layers run
// decoupled access-execute and a per-segment DVFS plan is built (../dvfs/wire.ts): <name>_dvfs.h/.c,
// tinyforge_opp.h and <name>_dvfs.svg next to the model, the plan in the report (energy is modelled).
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TinyforgeError } from '../compiler/diagnostics.ts';
import { checkReplaceable, markOutputFolder } from '../compiler/output-stage.ts';
import type { KernelModule } from '../compiler/kernel-ir/types.ts';
import { spawnSync } from 'node:child_process';
import { emitModel, estimateLayerFlash, type EmittedModel } from './emit/model.ts';
import { armSize, compileArm, CPUS, harnessDir, hasBoard, missingTools, parseCpu, type McuCpu, type SizeInfo } from './harness/run.ts';
import { runModel, writeModelFiles } from './runner.ts';
import type { AnyVariant, McuTargetInfo } from './emit/variant.ts';
import { formatVerify, randomGraphInputs, verifyMcu, type VerifyResult } from './verify.ts';
import { GoldenRuntime } from '../runtime-wasm/host.ts';
import type { Graph } from '../compiler/ir/graph.ts';
import { dvfsFiles, modelSegments, planModel, resolvePart, type DvfsBuild, type SegmentCounts } from './dvfs/wire.ts';
import { dvfsSvg, formatDvfs, type DvfsResult } from './dvfs/report.ts';
import { operatingPoints, type PartSpec } from './dvfs/parts.ts';

/** Stack reserved by the size build (the generated kernels use a few hundred bytes). */
export const STACK_BYTES = 2048;

export interface McuLayerReport {
  index: number;
  name: string;
  kind: string;
  sourceOp: number;
  variant: string;
  macs: number;
  /** Measured on QEMU (first input), when available. */
  instructions?: number;
  instructionsPerMac?: number;
  /** Analytic estimate of the variant (loads are not measured). */
  estimatedLoadsPerMac?: number;
  /** Decoupled access-execute: bytes staged in SRAM, and the access segment's measured instructions. */
  dae?: { stageBytes: number; accessInstructions?: number };
  scratchBytes: number;
  constBytes: number;
}

export interface McuTotals {
  cpu: McuCpu;
  instructions?: number;
  flashBytes: number;
  ramBytes: number;
  arenaBytes: number;
  peakLayer: number;
  peakLayerName: string;
  constBytes: number;
  /** Where the figures come from: 'arm-none-eabi-size' or 'estimate' (toolchain missing). */
  sizeSource: 'arm-none-eabi-size' | 'estimate';
  downgrades: EmittedModel['downgrades'];
  /** Kernels replaced by leaner ones to fit the flash budget (layer, from, to, flash saved, estimated instruction cost). */
  flashReplacements: EmittedModel['flashReplacements'];
  /** The memory schedule the arena comes from (memory/plan.ts): which ops run in place or split. */
  memory: {
    strategy: string;
    inPlace: Array<{ layer: number; direction: string; delayRows: number; delayBytes: number }>;
    split: Array<{ layers: number[]; slices: number; sliceChannels: number }>;
  };
}

export interface McuBuild {
  em: EmittedModel;
  target: McuTargetInfo;
  layers: McuLayerReport[];
  totals: McuTotals;
  files: string[];
  notes: string[];
  /** The DVFS part, when targets.mcu.part names one. */
  part?: PartSpec;
  /** Instruction counts per layer, access segment and hook call of the first measured inference. */
  counts?: SegmentCounts;
  dvfs?: McuDvfsReport;
}

export interface McuDvfsReport extends DvfsResult {
  maxClockUs: number;
  deadlineFrom: DvfsBuild['deadlineFrom'];
  instructionsFrom: DvfsBuild['instructionsFrom'];
  /** Measured instructions of the DVFS hook calls (weak no-op) and of the access segments, per inference. */
  hookInstructions?: number;
  hookCalls: number;
  accessInstructions?: number;
  svg: string;
}

export interface McuTargetConfig { cpu: string; flash: number; sram: number; part?: string; latencyMs?: number; dae?: boolean }

const num = (n: number) => n.toLocaleString('en-US');

/** Writes the C and measures sizes; throws a TinyforgeError when a budget is exceeded. */
export function buildMcu(module: KernelModule, cfg: McuTargetConfig, outDir: string, where: { file?: string } = {}): McuBuild {
  const cpu = parseCpu(cfg.cpu, 'targets.mcu.cpu');
  const target: McuTargetInfo = { cpu, dsp: CPUS[cpu].dsp, flashBytes: cfg.flash, sramBytes: cfg.sram };
  const notes: string[] = [];
  const part = cfg.part !== undefined ? resolvePart(cfg.part, where) : undefined;
  const emit: Emit = (flash) => {
    const em = emitModel(module, target, { arenaBudget: Math.max(0, cfg.sram - STACK_BYTES - em0Io(module)), dae: cfg.dae ?? (part ? 'auto' : false), segmentHooks: part !== undefined,
      ...(flash ? { flashBudget: flash.budget, flashCost: flash.cost } : {}) });
    // Before measuring, the plan file puts every segment at the fastest point (rewritten after planning).
    if (part) em.extraFiles = dvfsFiles(em, part, operatingPoints(part), modelSegments(em, part));
    return em;
  };
  // Everything is written to a staging directory and moved to <out>/mcu only when the build succeeds.
  const final = join(outDir, 'mcu');
  // Never replace a folder holding files tinyforge did not write (`tinyforge build` checks this first, with --force).
  checkReplaceable(final);
  const dir = join(outDir, `.mcu-staging-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    const b = stagedBuild(module, cfg, emit, target, dir, final, notes, where);
    if (part) b.part = part;
    return b;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Emit = (flash?: { budget: number; cost?: (op: number, v: AnyVariant) => number }) => EmittedModel;

/** Compiles the model with a minimal main (tf_size_main.c) and measures it; undefined without the toolchain. */
function measureSize(em: EmittedModel, cpu: McuCpu, dir: string, where: { file?: string }): { size: SizeInfo; elf: string; main: string } | undefined {
  if (missingTools('arm-gcc')) return undefined;
  const main = join(dir, 'tf_size_main.c');
  writeFileSync(main, `/* Minimal program for the size report: the model and one call. */\n#include "${em.cname}.h"\nstatic int8_t tf_in[${em.cname.toUpperCase()}_INPUT_BYTES] __attribute__((aligned(8))), tf_out[${em.cname.toUpperCase()}_OUTPUT_BYTES] __attribute__((aligned(8)));\nint main(void) { return ${em.cname}_invoke(${em.inputCType === 'int8_t' ? 'tf_in' : `(const ${em.inputCType} *)(const void *)tf_in`}, ${em.outputCType === 'int8_t' ? 'tf_out' : `(${em.outputCType} *)(void *)tf_out`}); }\n`);
  const elf = join(dir, `${em.cname}-${cpu}-size.elf`);
  const big = 64 * 1024 * 1024;
  const extraC = Object.keys(em.extraFiles).filter((f) => f.endsWith('.c')).map((f) => join(dir, f));
  const r = compileArm({ sources: [join(dir, `${em.cname}.c`), ...extraC, main], includeDirs: [dir, harnessDir] }, elf, cpu, { flashBytes: big, ramBytes: big, stackBytes: STACK_BYTES });
  if (r.status !== 0) throw new TinyforgeError(`arm-none-eabi-gcc failed on the generated C:\n${r.stderr.slice(0, 3000)}`, where);
  return { size: armSize(elf), elf, main };
}

/**
 * Flash bytes of each layer in a linked program: every symbol (code and constants) named after the layer
 * function `<cname>_l<i>` (its helpers and data arrays carry that prefix), from arm-none-eabi-nm -S.
 */
export function layerFlashFromElf(elf: string, cname: string, layers: number): number[] {
  const r = spawnSync('arm-none-eabi-nm', ['-S', elf], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`arm-none-eabi-nm failed on ${elf}: ${r.stderr}`);
  const per = new Array<number>(layers).fill(0);
  const re = new RegExp(`^${cname}_l(\\d+)(?:[._]|$)`);
  // gcc's identical code folding (-fipa-icf, on at -O2) merges equal functions of different layers (the
  // windowed kernels' block functions): the aliases share one address, counted once (first layer listed).
  const seen = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) [tTrRdD] (\S+)$/.exec(line.trim());
    const l = m && re.exec(m[3]!);
    if (!m || !l || Number(l[1]) >= layers || parseInt(m[2]!, 16) === 0 || seen.has(m[1]!)) continue;
    seen.add(m[1]!);
    per[Number(l[1])]! += parseInt(m[2]!, 16);
  }
  return per;
}

/**
 * The flash budget (targets.mcu.flash): the fastest selection is compiled and measured; while over the
 * budget, each layer's measured bytes (layerFlashFromElf) price its variant, the variants not built yet
 * are priced by emit/model.ts estimateLayerFlash, the rest of the program (runtime, invoke, startup) is
 * what the measurement leaves, and selectVariants replaces variants until the layers fit; the result is
 * measured again (up to 3 rounds, as estimates may be off). Without the toolchain: estimates only.
 */
function fitFlash(module: KernelModule, cfg: McuTargetConfig, emit: Emit, target: McuTargetInfo, dir: string, where: { file?: string }):
  { em: EmittedModel; files: string[]; measured?: { size: SizeInfo; main: string } } {
  let em = emit();
  let files = writeModelFiles(dir, em);
  let m = measureSize(em, target.cpu, dir, where);
  if (!m) {
    if (em.constBytes > cfg.flash) { em = emit({ budget: cfg.flash }); files = writeModelFiles(dir, em); }
    return { em, files };
  }
  const known = new Map<string, number>();
  for (let round = 0; round < 3 && m.size.flash > cfg.flash; round++) {
    const per = layerFlashFromElf(m.elf, em.cname, module.ops.length);
    em.layers.forEach((l, i) => known.set(`${i}:${l.variant}`, per[i]!));
    const rest = m.size.flash - per.reduce((s, b) => s + b, 0);
    const name = em.cname;
    const next = emit({ budget: cfg.flash - rest, cost: (i, v) => known.get(`${i}:${v.name}`) ?? estimateLayerFlash(module, target, name, i, v) });
    if (next.layers.every((l, i) => l.variant === em.layers[i]!.variant)) break; // nothing leaner left to try
    em = next;
    files = writeModelFiles(dir, em);
    m = measureSize(em, target.cpu, dir, where)!;
  }
  return { em, files, measured: m };
}

function stagedBuild(module: KernelModule, cfg: McuTargetConfig, emit: Emit, target: McuTargetInfo, dir: string, final: string,
  notes: string[], where: { file?: string }): McuBuild {
  const cpu = target.cpu;
  const { em, files, measured } = fitFlash(module, cfg, emit, target, dir, where);
  for (const d of em.daeOff) notes.push(`layer ${d.op} '${d.opName}' not decoupled: ${d.reason}`);
  const size = measured?.size;
  if (measured) files.push(measured.main);
  else notes.push(`flash/RAM estimated, not measured: ${missingTools('arm-gcc')}`);
  const flashBytes = size ? size.flash : em.constBytes;
  const ramBytes = size ? size.ram : em.plan.arenaBytes + STACK_BYTES + em.inputBytes + em.outputBytes;
  const peak = em.plan.peakOp;
  const totals: McuTotals = {
    cpu, flashBytes, ramBytes, arenaBytes: em.plan.arenaBytes, peakLayer: peak, peakLayerName: module.ops[peak]?.name ?? '',
    constBytes: em.constBytes, sizeSource: size ? 'arm-none-eabi-size' : 'estimate', downgrades: em.downgrades, flashReplacements: em.flashReplacements,
    memory: {
      strategy: em.plan.strategy,
      inPlace: em.plan.inPlace.map((ip) => ({ layer: ip.op, direction: ip.direction, delayRows: ip.direction === 'forward' || ip.direction === 'backward' ? ip.delay + 1 : 0, delayBytes: ip.scratchBytes })),
      split: em.plan.chains.map((c) => ({ layers: c.ops, slices: c.split, sliceChannels: c.channels / c.split })),
    },
  };
  checkBudgets(module, em, cfg, totals, where);
  const layers: McuLayerReport[] = em.layers.map((l) => ({
    index: l.index, name: l.name, kind: l.kind, sourceOp: module.ops[l.index].sourceOp, variant: l.variant + (l.dae ? '+dae' : ''), macs: l.macs,
    estimatedLoadsPerMac: l.macs > 0 && l.estimate ? +(l.estimate.loads / l.macs).toFixed(3) : undefined,
    scratchBytes: l.scratchBytes, constBytes: l.constBytes, ...(l.dae ? { dae: { stageBytes: l.dae.stageBytes } } : {}),
  }));
  if (!hasBoard(cpu)) notes.push(`instructions not measured: no QEMU board for cortex-${cpu} in the harness (m3, m4, m7)`);
  markOutputFolder(dir);
  rmSync(final, { recursive: true, force: true });
  renameSync(dir, final);
  const moved = files.map((f) => resolve(final, f.slice(dir.length + 1)));
  return { em, target, layers, totals, files: moved, notes };
}

/** Input and output buffers of the size program (the application's, counted in its RAM). */
function em0Io(module: KernelModule): number {
  const sum = (ids: number[]) => ids.reduce((s, id) => s + module.buffers[id].bytes, 0);
  return sum(module.inputs) + sum(module.outputs);
}

function checkBudgets(module: KernelModule, em: EmittedModel, cfg: McuTargetConfig, t: McuTotals, where: { file?: string }): void {
  if (t.flashBytes > cfg.flash) {
    const top = [...em.layers].sort((a, b) => b.constBytes - a.constBytes).slice(0, 3)
      .map((l) => `layer ${l.index} '${l.name}' (${l.kind}) constants ${num(l.constBytes)} B`);
    const code = Math.max(0, t.flashBytes - t.constBytes);
    const lean = em.flashReplacements.length ? `the leanest kernel selection found (${em.flashReplacements.length} kernel(s) replaced by leaner ones); ` : '';
    throw new TinyforgeError(
      `mcu flash budget of ${num(cfg.flash)} B exceeded: the program needs ${num(t.flashBytes)} B (${num(t.flashBytes - cfg.flash)} B over; ${t.sizeSource}); ${lean}largest contributors: ${top.join(', ')}, code and runtime ${num(code)} B`,
      where, 'raise targets.mcu.flash or use a smaller model');
  }
  if (t.ramBytes > cfg.sram) {
    const p = em.plan;
    const live = p.items.filter((it) => it.first <= p.peakOp && p.peakOp <= it.last).sort((a, b) => b.bytes - a.bytes).slice(0, 3)
      .map((it) => `${it.kind === 'scratch' ? '' : it.kind === 'slice' ? 'slice of ' : 'tensor '}'${it.name}' ${num(it.bytes)} B`);
    const how = p.chains.length ? `in-place and partial execution, ${p.chains.length} split chain(s)` : p.inPlace.length ? 'in-place execution' : 'whole tensors';
    throw new TinyforgeError(
      `mcu sram budget of ${num(cfg.sram)} B exceeded: the program needs ${num(t.ramBytes)} B (${num(t.ramBytes - cfg.sram)} B over; ${t.sizeSource}); the best schedule found (${how}${em.downgrades.length ? `, ${em.downgrades.length} kernel(s) replaced by leaner ones` : ''}) needs an activation arena of ${num(p.arenaBytes)} B peaking at layer ${p.peakOp} '${module.ops[p.peakOp]?.name}' (${module.ops[p.peakOp]?.kind}; ${live.join(', ')}), plus stack ${num(STACK_BYTES)} B and input+output buffers ${num(em.inputBytes + em.outputBytes)} B`,
      where, 'raise targets.mcu.sram or shrink that layer');
  }
}

/** Adds measured per-layer instruction counts (from a QEMU run) to the report. */
export function addInstructionCounts(b: McuBuild, layerInstructions: number[] | undefined, invoke: number | undefined): void {
  if (!layerInstructions) return;
  b.layers.forEach((l, i) => {
    l.instructions = layerInstructions[i];
    if (l.macs > 0) l.instructionsPerMac = +(layerInstructions[i] / l.macs).toFixed(3);
  });
  b.totals.instructions = invoke;
}

/** The report as printed; `dir` replaces the output folder's path in its first line. */
export function formatMcuReport(b: McuBuild, dir?: string): string {
  const header = ['#', 'kind', 'name', 'variant', 'MACs', 'instr', 'instr/MAC', 'loads/MAC', 'scratch B', 'const B'];
  const rows = b.layers.map((l) => [
    String(l.index), l.kind, l.name.length > 28 ? l.name.slice(0, 27) + '…' : l.name, l.variant, num(l.macs),
    l.instructions !== undefined ? num(l.instructions) : '-', l.instructionsPerMac !== undefined ? l.instructionsPerMac.toFixed(2) : '-',
    l.estimatedLoadsPerMac !== undefined ? `~${l.estimatedLoadsPerMac.toFixed(2)}` : '-', num(l.scratchBytes), num(l.constBytes),
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const right = new Set([0, 4, 5, 6, 7, 8, 9]);
  const line = (r: string[]) => r.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  const t = b.totals;
  const macs = b.layers.reduce((s, l) => s + l.macs, 0);
  const out = [
    `mcu target cortex-${t.cpu}: ${b.files.filter((f) => /\.(c|h)$/.test(f) && !f.endsWith('tf_size_main.c')).map((f) => f.split('/').pop()).join(', ')} in ${dir ?? b.files[0]?.replace(/\/[^/]*$/, '')}`,
    line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line),
    `total: ${num(macs)} MACs` + (t.instructions !== undefined ? `, ${num(t.instructions)} instructions per inference (${(t.instructions / Math.max(1, macs)).toFixed(2)} per MAC, QEMU icount; ~ = estimate)` : ''),
    `flash ${num(t.flashBytes)} B, RAM ${num(t.ramBytes)} B (${t.sizeSource}; arena ${num(t.arenaBytes)} B peaking at layer ${t.peakLayer} '${t.peakLayerName}', stack ${num(STACK_BYTES)} B)`,
  ];
  const mem = t.memory;
  out.push(`memory: ${mem.strategy} schedule; in place: ${mem.inPlace.length ? mem.inPlace.map((ip) => `${ip.layer}${ip.direction === 'elementwise' ? '' : ip.direction === 'prepass' ? ' (after its prepass)' : ` (${ip.direction}, ${ip.delayRows} row${ip.delayRows > 1 ? 's' : ''})`}`).join(', ') : 'none'}` +
    `; split: ${mem.split.length ? mem.split.map((c) => `${c.layers.join('->')} in ${c.slices} slices of ${c.sliceChannels} channel${c.sliceChannels > 1 ? 's' : ''}`).join(', ') : 'none'}`);
  for (const d of t.downgrades) {
    out.push(`sram budget: layer ${d.op} '${d.opName}' uses ${d.to} instead of ${d.from} (saves ${num(d.scratchSaved)} B of scratch${d.instructionCost !== undefined ? `, costs ~${num(d.instructionCost)} instructions` : ''})`);
  }
  for (const d of t.flashReplacements) {
    out.push(`flash budget: layer ${d.op} '${d.opName}' uses ${d.to} instead of ${d.from} (saves ${num(d.flashSaved)} B of flash${d.instructionCost !== undefined ? `, costs ~${num(d.instructionCost)} instructions` : ''})`);
  }
  if (b.em.inputCType !== 'int8_t' || b.em.outputCType !== 'int8_t') {
    // Float (or mixed) edges: say what the entry point takes, since it is not the usual int8 one.
    out.push(`entry point: int ${b.em.cname}_invoke(const ${b.em.inputCType} *input, ${b.em.outputCType} *output) (${num(b.em.inputBytes)} B in, ${num(b.em.outputBytes)} B out; the model quantises its float32 inputs and dequantises its float32 outputs)`);
  }
  for (const n of b.notes) out.push(`note: ${n}`);
  if (b.dvfs) out.push('', formatDvfsReport(b.dvfs));
  return out.join('\n');
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
  opts: { file?: string; verifyInputs: number; seed?: number; publishDir?: string }): Promise<McuStepResult> {
  const b = buildMcu(module, cfg, outDir, { file: opts.file });
  const verify: VerifyResult[] = [];
  const texts: string[] = [];
  const cpu = b.target.cpu;
  const inputs = randomGraphInputs(graph, Math.max(1, opts.verifyInputs), opts.seed ?? 1);
  const work = join(outDir, 'mcu', 'verify');
  const golden = opts.verifyInputs > 0 ? await GoldenRuntime.load() : undefined;
  let counts: SegmentCounts | undefined;
  if (opts.verifyInputs > 0 && !missingTools('host')) {
    verify.push(await verifyMcu(graph, module, b.em, 'host', { inputs, workDir: work, golden }));
  } else if (opts.verifyInputs > 0) {
    b.notes.push(`host verification skipped: ${missingTools('host')}`);
  }
  if (hasBoard(cpu)) {
    const miss = missingTools(cpu);
    if (miss) {
      b.notes.push(`QEMU run skipped (no instruction counts, no on-target verification): ${miss}`);
    } else if (opts.verifyInputs > 0) {
      const v = await verifyMcu(graph, module, b.em, cpu, { inputs, workDir: work, golden, count: true });
      verify.push(v);
      addInstructionCounts(b, v.layerInstructions, v.invokeInstructions?.[0]);
      counts = v.layerInstructions && { layers: v.layerInstructions, access: v.accessInstructions, hooks: v.hookInstructions };
    } else {
      const r = runModel(b.em, inputs.slice(0, 1), cpu, { workDir: join(work, cpu), count: true });
      addInstructionCounts(b, r.layerInstructions?.[0], r.invokeInstructions?.[0]);
      counts = r.layerInstructions && { layers: r.layerInstructions[0]!, access: r.accessInstructions?.[0], hooks: r.hookInstructions?.[0] };
    }
  }
  if (counts) b.counts = counts;
  if (b.part) addDvfs(b, b.part, counts, cfg.latencyMs, outDir);
  // Built in a temporary folder (`tinyforge build`): the report names the paths the files will have.
  const publish = (p: string) => (opts.publishDir !== undefined && p.startsWith(resolve(outDir) + '/') ? resolve(opts.publishDir, p.slice(resolve(outDir).length + 1)) : p);
  b.files = b.files.map(publish);
  if (b.dvfs) b.dvfs.svg = publish(b.dvfs.svg);
  const at = texts.length;
  texts.push(formatMcuReport(b));
  for (const v of verify) texts.push(formatVerify(module.name, v));
  const text = texts.join('\n');
  // report.txt names the folder it sits in as '.', so builds of one config from two folders are byte-identical.
  const fileText = texts.map((t, i) => (i === at ? formatMcuReport(b, '.') : t)).join('\n');
  // The report next to the C: report.txt (as printed) and report.json (layers, totals, verification).
  const final = join(outDir, 'mcu');
  for (const [name, body] of [['report.txt', fileText + '\n'], ['report.json', JSON.stringify({ layers: b.layers, totals: b.totals, verify, ...(b.dvfs ? { dvfs: b.dvfs } : {}) }, null, 2) + '\n']]) {
    writeFileSync(join(final, `${name}.tmp`), body);
    renameSync(join(final, `${name}.tmp`), join(final, name));
    b.files.push(publish(resolve(final, name)));
  }
  markOutputFolder(final);
  return { build: b, verify, text, ok: verify.every((v) => v.ok) };
}

// ---------- DVFS (targets.mcu.part) ----------

/** Plans the segments with the measured counts, rewrites <name>_dvfs.c with the plan, writes the SVG. */
function addDvfs(b: McuBuild, part: PartSpec, counts: SegmentCounts | undefined, latencyMs: number | undefined, outDir: string): void {
  const d = planModel(b.em, part, counts, latencyMs);
  const dir = join(outDir, 'mcu');
  b.em.extraFiles = dvfsFiles(b.em, part, d.points, d.input.segments, d.result.plan);
  writeModelFiles(dir, b.em);
  const svg = join(dir, `${b.em.cname}_dvfs.svg`);
  writeFileSync(`${svg}.tmp`, dvfsSvg(part, d.points, d.input, d.result.plan, `${b.em.cname} on ${part.name}`));
  renameSync(`${svg}.tmp`, svg);
  for (const f of [...Object.keys(b.em.extraFiles).map((n) => join(dir, n)), svg]) if (!b.files.includes(resolve(f))) b.files.push(resolve(f));
  const sum = (xs: number[] | undefined) => xs?.reduce((s, x) => s + x, 0);
  b.layers.forEach((l) => { if (l.dae && counts?.access) l.dae.accessInstructions = counts.access[l.index]; });
  if (!d.result.plan.feasible) b.notes.push(`DVFS: latency budget ${(d.input.deadlineUs / 1000).toFixed(3)} ms is below the ${(d.maxClockUs / 1000).toFixed(3)} ms of the fastest point; every segment runs at the fastest point`);
  if (part.core !== `cortex-${b.target.cpu}`) b.notes.push(`DVFS: instructions counted for cortex-${b.target.cpu}, the part ${part.name} has a ${part.core}`);
  b.dvfs = {
    ...d.result, maxClockUs: d.maxClockUs, deadlineFrom: d.deadlineFrom, instructionsFrom: d.instructionsFrom,
    hookInstructions: sum(counts?.hooks), hookCalls: b.em.segments.length, accessInstructions: sum(counts?.access), svg: resolve(svg),
  };
}

export function formatDvfsReport(d: McuDvfsReport): string {
  const lines = [formatDvfs(d)];
  lines.push(`latency budget ${(d.deadlineUs / 1000).toFixed(3)} ms (${d.deadlineFrom === 'config' ? 'targets.mcu.latency_ms' : `default: 1.5 x ${(d.maxClockUs / 1000).toFixed(3)} ms at the fastest point`}); segment cycles from ${d.instructionsFrom} instructions and the cycle model of mcu-backend/dvfs/segments.ts`);
  if (d.hookInstructions !== undefined) lines.push(`DVFS hook calls: ${d.hookCalls} per inference, ${num(d.hookInstructions)} instructions with the weak no-op hook (QEMU icount)`);
  if (d.accessInstructions !== undefined) lines.push(`access segments (flash -> SRAM copies): ${num(d.accessInstructions)} instructions per inference`);
  lines.push(`plot of clock and power over one inference: ${d.svg}`);
  lines.push(`note: ${d.note}`);
  return lines.join('\n');
}
