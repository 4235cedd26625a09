// Stage 7 of the Cortex-M backend, report: the build's figures as the report tables and JSON give them.
// Per layer: variant, MACs, measured instructions (QEMU), estimated loads, scratch and constants; totals:
// instructions, flash and RAM (arm-none-eabi-size, or estimates), the arena and its peak, the memory
// schedule (in place, split), the replacements the budgets forced; the DVFS plan when there is one.
// Formatting only: the figures come from the fit stage (fit.ts) and the run stage (run.ts).
import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import type { EmittedModel } from '../emit/model.ts';
import type { McuTargetInfo } from '../emit/variant.ts';
import type { McuCpu } from '../harness/run.ts';
import type { DvfsBuild, SegmentCounts } from '../dvfs/wire.ts';
import { formatDvfs, type DvfsResult } from '../dvfs/report.ts';
import type { PartSpec } from '../dvfs/parts.ts';
import type { ProfileSegmentCost } from '../timing/layers.ts';
import { STACK_BYTES, type Fitted } from './fit.ts';
import type { StageName } from './timing.ts';
import type { Schedule, SchedulePoint } from './search.ts';
import { formatModelledCycles, type ModelledCycles, type ModelledLayerCycles } from '../timing/report.ts';

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
  /** Cycle model over the QEMU block profile (timing/report.ts): modelled, not measured. */
  modelled?: ModelledLayerCycles;
  /** Decoupled access-execute: bytes staged in SRAM, and the access segment's measured instructions. */
  dae?: { stageBytes: number; accessInstructions?: number };
  scratchBytes: number;
  constBytes: number;
}

export interface McuTotals {
  cpu: McuCpu;
  instructions?: number;
  /** Cycle model over the QEMU block profile, with the part and clock (timing/report.ts). */
  modelled?: ModelledCycles;
  flashBytes: number;
  ramBytes: number;
  arenaBytes: number;
  /** Recurrent state outside the arena (static `<name>_state`); 0 for a stateless model. */
  stateBytes: number;
  peakLayer: number;
  peakLayerName: string;
  constBytes: number;
  /** Where the figures come from: 'arm-none-eabi-size' or 'estimate' (toolchain missing). */
  sizeSource: 'arm-none-eabi-size' | 'estimate';
  downgrades: EmittedModel['downgrades'];
  /** Kernels replaced by leaner ones to fit the flash budget (layer, from, to, flash saved, estimated instruction cost). */
  flashReplacements: EmittedModel['flashReplacements'];
  /**
   * The schedule search (search.ts): the chosen point, the objective it minimised (modelled cycles or
   * estimated instructions, `objective`) and the Pareto front of the evaluated points, by arena bytes, the
   * layers' flash and that objective; `plot` names the SVG next to the model.
   */
  schedule?: Schedule & { plot?: string };
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
  /** The invoke's marker segments priced by the cycle model for a part's memory (timing/layers.ts), for the DVFS plan. */
  cycleSegments?: { part: string; segments: ProfileSegmentCost[] };
  dvfs?: McuDvfsReport;
  /** Milliseconds per stage (StageTimer), summed over the stage's calls. */
  timings?: Partial<Record<StageName, number>>;
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

export interface McuTargetConfig { cpu: string; flash: number; sram: number; part?: string; latencyMs?: number; dae?: boolean; clockMHz?: number; objective?: 'cycles' | 'instructions' }

const num = (n: number) => n.toLocaleString('en-US');

/** Layers and totals of a fitted model (instructions are added by the run stage). */
export function reportOf(module: KernelModule, target: McuTargetInfo, f: Fitted): { layers: McuLayerReport[]; totals: McuTotals } {
  const em = f.em;
  const peak = em.plan.peakOp;
  const totals: McuTotals = {
    cpu: target.cpu, flashBytes: f.flashBytes, ramBytes: f.ramBytes, arenaBytes: em.plan.arenaBytes, stateBytes: em.stateBytes, peakLayer: peak, peakLayerName: module.ops[peak]?.name ?? '',
    constBytes: em.constBytes, sizeSource: f.sizeSource, downgrades: em.downgrades, flashReplacements: em.flashReplacements,
    ...(em.schedule ? { schedule: em.schedule } : {}),
    memory: {
      strategy: em.plan.strategy,
      inPlace: em.plan.inPlace.map((ip) => ({ layer: ip.op, direction: ip.direction, delayRows: ip.direction === 'forward' || ip.direction === 'backward' ? ip.delay + 1 : 0, delayBytes: ip.scratchBytes })),
      split: em.plan.chains.map((c) => ({ layers: c.ops, slices: c.split, sliceChannels: c.channels / c.split })),
    },
  };
  const layers: McuLayerReport[] = em.layers.map((l) => ({
    index: l.index, name: l.name, kind: l.kind, sourceOp: module.ops[l.index].sourceOp, variant: l.variant + (l.dae ? '+dae' : ''), macs: l.macs,
    estimatedLoadsPerMac: l.macs > 0 && l.estimate ? +(l.estimate.loads / l.macs).toFixed(3) : undefined,
    scratchBytes: l.scratchBytes, constBytes: l.constBytes, ...(l.dae ? { dae: { stageBytes: l.dae.stageBytes } } : {}),
  }));
  return { layers, totals };
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
    `flash ${num(t.flashBytes)} B, RAM ${num(t.ramBytes)} B (${t.sizeSource}; arena ${num(t.arenaBytes)} B with the ${num(b.em.inputBytes)} B input and ${num(b.em.outputBytes)} B output inside it, peaking at layer ${t.peakLayer} '${t.peakLayerName}', ${t.stateBytes ? `recurrent state ${num(t.stateBytes)} B outside it, ` : ''}stack ${num(STACK_BYTES)} B)`,
  ];
  const mem = t.memory;
  out.push(`memory: ${mem.strategy} schedule; in place: ${mem.inPlace.length ? mem.inPlace.map((ip) => `${ip.layer}${ip.direction === 'elementwise' ? '' : ip.direction === 'prepass' ? ' (after its prepass)' : ` (${ip.direction}, ${ip.delayRows} row${ip.delayRows > 1 ? 's' : ''})`}`).join(', ') : 'none'}` +
    `; split: ${mem.split.length ? mem.split.map((c) => `${c.layers.join('->')} in ${c.slices} slices of ${c.sliceChannels} channel${c.sliceChannels > 1 ? 's' : ''}`).join(', ') : 'none'}`);
  for (const d of t.downgrades) {
    out.push(`sram budget: layer ${d.op} '${d.opName}' uses ${d.to} instead of ${d.from} (saves ${num(d.scratchSaved)} B of scratch${replacementCost(d)})`);
  }
  for (const d of t.flashReplacements) {
    out.push(`flash budget: layer ${d.op} '${d.opName}' uses ${d.to} instead of ${d.from} (saves ${num(d.flashSaved)} B of flash${replacementCost(d)})`);
  }
  if (t.schedule) {
    const s = t.schedule, c = s.chosen;
    const o = s.objective;
    const objective = o.kind === 'modelled cycles'
      ? `objective: modelled cycles (${o.note}; ${o.probes} probe model${o.probes === 1 ? '' : 's'} on QEMU)`
      : `objective: estimated instructions (${o.note})`;
    const cost = c.cycles !== undefined ? `${num(c.cycles)} modelled cycles, ~${num(c.instructions)} instructions (estimates)` : `~${num(c.instructions)} instructions (estimates)`;
    out.push(`schedule: ${s.method} search over ${num(s.evaluated)} selections (${num(s.memoryPlans)} memory plans), ${objective}; chosen: arena ${num(c.arenaBytes)} B, layers' flash ~${num(c.flashBytes)} B, ${cost}${s.feasible ? '' : ', over a budget'}; Pareto front: ${s.front.length} point(s)${s.plot ? `, plot ${s.plot}` : ''}`);
  }
  if (b.em.inputCType !== 'int8_t' || b.em.outputCType !== 'int8_t') {
    // Float (or mixed) edges: say what the entry point takes, since it is not the usual int8 one.
    // (int16 / int32 edges: raw integers, no float conversion.)
    const how = b.em.floatEdges ? '; the model quantises its float32 inputs and dequantises its float32 outputs' : '';
    out.push(`entry point: int ${b.em.cname}_invoke(const ${b.em.inputCType} *input, ${b.em.outputCType} *output) (${num(b.em.inputBytes)} B in, ${num(b.em.outputBytes)} B out${how})`);
  }
  const modelled = formatModelledCycles(b);
  if (modelled.length) out.push('', ...modelled, '');
  for (const n of b.notes) out.push(`note: ${n}`);
  if (b.dvfs) out.push('', formatDvfsReport(b.dvfs));
  return out.join('\n');
}

/** What a budget replacement costs: modelled cycles with the cycle objective, estimated instructions. */
function replacementCost(d: { instructionCost?: number; cycleCost?: number }): string {
  const parts = [d.cycleCost !== undefined ? `${num(d.cycleCost)} modelled cycles` : '', d.instructionCost !== undefined ? `~${num(d.instructionCost)} instructions` : ''].filter((x) => x);
  return parts.length ? `, costs ${parts.join(', ')}` : '';
}

export function formatDvfsReport(d: McuDvfsReport): string {
  const lines = [formatDvfs(d)];
  lines.push(`latency budget ${(d.deadlineUs / 1000).toFixed(3)} ms (${d.deadlineFrom === 'config' ? 'targets.mcu.latency_ms' : `default: 1.5 x ${(d.maxClockUs / 1000).toFixed(3)} ms at the fastest point`}); ${d.instructionsFrom === 'cycle model' ? 'segment cycles modelled by mcu-backend/timing (QEMU block profile with the part\'s caches; flash-miss stalls priced at each point\'s wait states)' : `segment cycles from ${d.instructionsFrom} instructions and the cycle model of mcu-backend/dvfs/segments.ts`}`);
  if (d.hookInstructions !== undefined) lines.push(`DVFS hook calls: ${d.hookCalls} per inference, ${num(d.hookInstructions)} instructions with the weak no-op hook (QEMU icount)`);
  if (d.accessInstructions !== undefined) lines.push(`access segments (flash -> SRAM copies): ${num(d.accessInstructions)} instructions per inference`);
  lines.push(`plot of clock and power over one inference: ${d.svg}`);
  lines.push(`note: ${d.note}`);
  return lines.join('\n');
}

/**
 * The schedule search as an SVG scatter plot: every Pareto point by arena bytes (x) and the search's
 * objective (y: modelled cycles or estimated instructions), its flash as the label, the chosen point
 * ringed, the arena budget as a dashed line.
 */
export function scheduleSvg(s: Schedule, title: string): string {
  const W = 640, H = 400, L = 80, R = 20, T = 40, B = 50;
  const pts = s.front.length ? s.front : [s.chosen];
  const xs = pts.map((p) => p.arenaBytes).concat(s.budgets.arenaBytes !== undefined ? [s.budgets.arenaBytes] : []);
  const metric = (p: SchedulePoint) => p.cycles ?? p.instructions;
  const yName = s.objective?.kind === 'modelled cycles' ? 'modelled cycles' : 'estimated instructions';
  const ys = pts.map(metric);
  const x0 = Math.min(...xs) * 0.95, x1 = Math.max(...xs) * 1.05 || 1, y0 = Math.min(...ys) * 0.95, y1 = Math.max(...ys) * 1.05 || 1;
  const X = (v: number) => L + ((v - x0) / Math.max(1, x1 - x0)) * (W - L - R);
  const Y = (v: number) => H - B - ((v - y0) / Math.max(1, y1 - y0)) * (H - T - B);
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="13">${esc(title)}: Pareto front of the schedule search (${s.method}, ${s.evaluated} selections)</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">activation arena (bytes)</text>`,
    `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">${yName}</text>`,
    `<text x="${L}" y="${H - B + 15}" text-anchor="middle">${Math.round(x0)}</text><text x="${W - R}" y="${H - B + 15}" text-anchor="middle">${Math.round(x1)}</text>`,
    `<text x="${L - 4}" y="${H - B}" text-anchor="end">${Math.round(y0)}</text><text x="${L - 4}" y="${T + 4}" text-anchor="end">${Math.round(y1)}</text>`,
  ];
  if (s.budgets.arenaBytes !== undefined) {
    const bx = X(s.budgets.arenaBytes);
    parts.push(`<line x1="${bx}" y1="${T}" x2="${bx}" y2="${H - B}" stroke="#c00" stroke-dasharray="4 3"/><text x="${bx + 3}" y="${T + 10}" fill="#c00">sram budget (arena)</text>`);
  }
  for (const p of pts) {
    const chosen = p === s.chosen || (p.arenaBytes === s.chosen.arenaBytes && p.flashBytes === s.chosen.flashBytes && metric(p) === metric(s.chosen));
    parts.push(`<circle cx="${X(p.arenaBytes).toFixed(1)}" cy="${Y(metric(p)).toFixed(1)}" r="4" fill="${chosen ? '#c60' : '#36c'}"><title>arena ${p.arenaBytes} B, flash ${p.flashBytes} B, ${metric(p)} ${yName}</title></circle>`);
    if (chosen) parts.push(`<circle cx="${X(p.arenaBytes).toFixed(1)}" cy="${Y(metric(p)).toFixed(1)}" r="8" fill="none" stroke="#c60" stroke-width="2"/>`);
    parts.push(`<text x="${(X(p.arenaBytes) + 6).toFixed(1)}" y="${(Y(metric(p)) - 6).toFixed(1)}" fill="#555" font-size="9">${Math.round(p.flashBytes / 1024)} KiB</text>`);
  }
  parts.push(`<text x="${W - R}" y="${T - 4}" text-anchor="end" fill="#555">labels: layers' flash; ringed: chosen</text>`, '</svg>');
  return parts.join('\n') + '\n';
}
