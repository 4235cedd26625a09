// Modelled cycles in the build report (`tinyforge build`, --json, report.txt/report.json): per layer the
// cycles, cycles per MAC and the stalls by cause; per model the total, cycles/MAC and, with a part, the
// latency at its clock. Always labelled "modelled" (QEMU has no timing; mcu-backend/timing/model.ts).
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import type { McuBuild } from '../stages/report.ts';
import { hasBoard, type QemuCpu } from '../harness/run.ts';
import { PART_MEMORY } from './memory.ts';
import { modelRun } from './layers.ts';
import type { Cycles } from './model.ts';

export interface ModelledCycles {
  /** Always "modelled": the figures come from the cycle model, not from a board. */
  source: 'modelled';
  core: string;
  part?: string;
  clockMHz?: number;
  waitStates?: number;
  cycles: number;
  cyclesPerMac?: number;
  latencyMs?: number;
  /** Cycles by cause over the invoke (issue, memory, multiply, branch, loadUse, fetch, flashData). */
  byCause: Omit<Cycles, 'total' | 'instructions'>;
}

export interface ModelledLayerCycles { cycles: number; cyclesPerMac?: number; stalls: Omit<Cycles, 'total' | 'instructions' | 'issue'> }

const causes = (c: Cycles) => ({ issue: c.issue, memory: c.memory, multiply: c.multiply, branch: c.branch, loadUse: c.loadUse, fetch: Math.round(c.fetch), flashData: Math.round(c.flashData) });

/** Part of the memory model for a targets.mcu.part (a longer part number is fine), or undefined. */
export function modelPartName(part: string | undefined): string | undefined {
  if (!part) return undefined;
  const n = part.toLowerCase();
  return Object.keys(PART_MEMORY).find((k) => n.startsWith(k));
}

/** A targets.mcu.clock_mhz above the part's highest clock is a config error. */
export function checkModelClock(partName: string | undefined, clockMHz: number | undefined, where: { file?: string } = {}): void {
  const part = modelPartName(partName);
  if (clockMHz !== undefined && part && clockMHz > PART_MEMORY[part].fMaxMHz) {
    throw new TinyforgeError(`targets.mcu.clock_mhz ${clockMHz} is above the ${PART_MEMORY[part].fMaxMHz} MHz of ${part}`, where, `a clock up to ${PART_MEMORY[part].fMaxMHz} MHz`);
  }
}

/** Runs the build's model once more on QEMU with the block profile and adds modelled cycles to layers and totals. */
export function addModelledCycles(b: McuBuild, input: Int8Array, workDir: string, partName?: string, clockMHz?: number): void {
  const cpu = b.target.cpu;
  if (!hasBoard(cpu)) return;
  const part = modelPartName(partName);
  if (partName && !part) b.notes.push(`cycles modelled with zero-wait memory: no memory model for part '${partName}' (have ${Object.keys(PART_MEMORY).join(', ')})`);
  if (part && PART_MEMORY[part].cpu !== cpu) b.notes.push(`cycles modelled with cortex-${cpu} timing and the memory of ${part} (a ${PART_MEMORY[part].cpu} part)`);
  if (clockMHz !== undefined && !part) b.notes.push(`targets.mcu.clock_mhz ${clockMHz}: latency at that clock with zero-wait memory (no part memory model)`);
  const r = modelRun(b.em, input, cpu as QemuCpu, workDir, { part, clockMHz });
  if (part && r.segments) b.cycleSegments = { part, segments: r.segments };
  b.layers.forEach((l, i) => {
    const c = r.layers[i].cycles;
    const { issue: _issue, ...stalls } = causes(c);
    l.modelled = { cycles: c.total, cyclesPerMac: r.layers[i].cyclesPerMac, stalls };
  });
  b.totals.modelled = {
    source: 'modelled', core: `cortex-${cpu}`, part: r.part, clockMHz: r.clockMHz, waitStates: r.waitStates,
    cycles: r.invoke.total, cyclesPerMac: r.cyclesPerMac, latencyMs: r.latencyMs, byCause: causes(r.invoke),
  };
}

const num = (n: number) => Math.round(n).toLocaleString('en-US');

/** Stall causes in report order, with their column names. */
export const STALL_CAUSES: Array<[keyof ModelledLayerCycles['stalls'], string]> = [
  ['memory', 'memory'], ['multiply', 'multiply'], ['branch', 'branch'], ['loadUse', 'load-use'], ['fetch', 'fetch'], ['flashData', 'flash data'],
];

/** Report lines: per layer cycles, cycles/MAC and where the cycles go (issue and every stall cause), then the model's total. */
export function formatModelledCycles(b: McuBuild): string[] {
  const m = b.totals.modelled;
  if (!m) return [];
  const where = m.part ? `${m.part} at ${m.clockMHz} MHz, ${m.waitStates} flash wait states` : 'code and data in zero-wait memory';
  const out = [`modelled cycles (${m.core} timing, ${where}; mcu-backend/timing, not measured), where they go per layer:`];
  const header = ['#', 'name', 'cycles', 'cyc/MAC', 'issue', ...STALL_CAUSES.map(([, n]) => n)];
  const rows = b.layers.map((l) => {
    const s = l.modelled;
    if (!s) return [String(l.index), l.name, '-', '-', '-', ...STALL_CAUSES.map(() => '-')];
    const issue = s.cycles - STALL_CAUSES.reduce((a, [k]) => a + s.stalls[k], 0);
    return [String(l.index), l.name.length > 28 ? l.name.slice(0, 27) + '…' : l.name, num(s.cycles), s.cyclesPerMac !== undefined ? s.cyclesPerMac.toFixed(2) : '-',
      num(issue), ...STALL_CAUSES.map(([k]) => num(s.stalls[k]))];
  });
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  out.push(line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line));
  const bc = m.byCause;
  out.push(`total: ${num(m.cycles)} modelled cycles per inference` + (m.cyclesPerMac !== undefined ? ` (${m.cyclesPerMac.toFixed(2)} per MAC)` : '') +
    (m.latencyMs !== undefined ? `, ${m.latencyMs.toFixed(3)} ms at ${m.clockMHz} MHz` : '') +
    `; issue ${num(bc.issue)}, memory ${num(bc.memory)}, multiply ${num(bc.multiply)}, branch ${num(bc.branch)}, load-use ${num(bc.loadUse)}, fetch ${num(bc.fetch)}, flash data ${num(bc.flashData)}`);
  return out;
}
