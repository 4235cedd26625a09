// `tinyforge cgra <asm|disasm|sim|view|map|sweep>`: OpenEdgeCGRA bitstreams by hand (map and sweep live in
// cgra-map.ts and cgra-sweep.ts).
//   asm     assembly text (docs/cgra-asm.md) -> bitstream.h (.h), JSON image (.json) or ESL instructions.csv (.csv)
//   disasm  bitstream (.h, .json, or an ESL .csv) -> assembly text
//   sim     runs the launches of a launch.json on the cycle-level simulator; text or --json
//   view    the kernels as PE grids per instruction step, as text or a self-contained HTML page
import { TinyforgeError, UsageError } from '../../diagnostics.ts';
import type { Command, OptionSpec } from '../command.ts';
import { readInputText, writeFileAtomic } from '../../files.ts';
import { makeArch, type BusModel, type CgraArch } from '../../../cgra-mapper/arch.ts';
import { assemble, disassemble } from '../../../cgra-mapper/isa/asm.ts';
import { readImageFile, writeImageFile } from '../../../cgra-mapper/isa/bitstream.ts';
import { formatEslCsv, parseEslCsv } from '../../../cgra-mapper/isa/esl-csv.ts';
import { buildImage, kernelsOf, type CgraImage } from '../../../cgra-mapper/isa/image.ts';
import { parseLaunchFile, runLaunchFile, type LaunchFileResult } from '../../../cgra-mapper/sim/launch-file.ts';
import type { LaunchStats } from '../../../cgra-mapper/sim/sim.ts';
import { viewHtml, viewText } from '../../../cgra-mapper/view/grid.ts';
import { cgraMap } from './cgra-map.ts';
import { cgraSweep } from './cgra-sweep.ts';

type Values = Record<string, string | boolean | string[] | undefined>;

const ARCH_OPTS: Record<string, OptionSpec> = {
  rows: { type: 'string', description: 'PE rows (default 4)' },
  cols: { type: 'string', description: 'PE columns (default 4)' },
};
const BUS_OPT: Record<string, OptionSpec> = { bus: { type: 'string', description: 'memory bus model: ports (default) | shared' } };

/** Upper bounds of the integer options (a cycle limit past 10^9 would run for hours). */
const INT_MAX: Record<string, number> = { 'cycle-limit': 1_000_000_000 };

function intOpt(v: Values, name: string): number | undefined {
  const s = v[name];
  if (s === undefined) return undefined;
  if (typeof s !== 'string' || !/^\d+$/.test(s) || Number(s) === 0) throw new UsageError(`--${name} must be a positive integer, got '${String(s)}'`);
  const max = INT_MAX[name];
  if (max !== undefined && Number(s) > max) throw new UsageError(`--${name} must be at most ${max}, got '${s}'`);
  return Number(s);
}

function archOf(v: Values): CgraArch {
  const bus = v.bus;
  if (bus !== undefined && bus !== 'ports' && bus !== 'shared') throw new UsageError(`--bus must be ports or shared, got '${String(bus)}'`);
  const p: Partial<CgraArch> = {};
  const rows = intOpt(v, 'rows'), cols = intOpt(v, 'cols');
  if (rows !== undefined) p.rows = rows;
  if (cols !== undefined) p.cols = cols;
  if (bus) p.bus = bus as BusModel;
  return makeArch(p);
}

const readText = (path: string, what = 'file'): string => readInputText(path, what);

/** A bitstream: .json image, bitstream.h, or an ESL instructions.csv (one kernel, slot 1). */
function loadImage(path: string, arch: CgraArch): CgraImage {
  if (path.endsWith('.csv')) return buildImage(arch, [parseEslCsv(readText(path), { arch, file: path })]);
  return readImageFile(path, arch);
}

const asm: Command = {
  name: 'asm',
  summary: 'Assemble per-PE assembly into a bitstream (.h, .json) or an ESL instructions.csv',
  usage: 'cgra asm <file.s> -o <bitstream.h|image.json|instructions.csv> [--name N] [--rows R --cols C]',
  options: {
    output: { type: 'string', short: 'o', description: 'output file; the extension picks the format' },
    name: { type: 'string', description: 'C array suffix in bitstream.h (default: the input file name)' },
    ...ARCH_OPTS,
  },
  positionals: [1, 1],
  async run({ positionals, values }) {
    const src = positionals[0]!;
    const out = values.output;
    if (typeof out !== 'string') throw new UsageError('cgra asm needs -o <bitstream.h|image.json|instructions.csv>');
    if (!/\.(h|json|csv)$/.test(out)) throw new UsageError(`cgra asm -o: '${out}' has no known extension; the extension picks the format: .h (bitstream.h), .json (image) or .csv (ESL instructions.csv)`);
    const arch = archOf(values);
    const kernels = assemble(readText(src), { arch, file: src });
    if (out.endsWith('.csv')) {
      if (kernels.length !== 1) throw new TinyforgeError(`instructions.csv holds one kernel, ${src} has ${kernels.length}`, { file: src });
      writeFileAtomic(out, formatEslCsv(kernels[0]), '-o file');
    } else {
      const name = typeof values.name === 'string' ? values.name : src.replace(/^.*\//, '').replace(/\.[^.]*$/, '').replace(/\W/g, '_');
      writeImageFile(out, buildImage(arch, kernels), name);
    }
    process.stderr.write(`${out}: ${kernels.map((k) => `kernel ${k.id}${k.name ? ` (${k.name})` : ''} ${k.cols}x${k.words.length}`).join(', ')}\n`);
    return 0;
  },
};

const disasm: Command = {
  name: 'disasm',
  summary: 'Print a bitstream\'s kernels as per-PE assembly',
  usage: 'cgra disasm <bitstream.h|image.json|instructions.csv> [--rows R --cols C]',
  options: { ...ARCH_OPTS },
  positionals: [1, 1],
  async run({ positionals, values }) {
    process.stdout.write(disassemble(loadImage(positionals[0]!, archOf(values))));
    return 0;
  },
};

function fmtLaunch(i: number, s: LaunchStats): string {
  const util = s.perPe.length ? s.perPe.reduce((a, p) => a + p.utilisation, 0) / s.perPe.length : 0;
  return [
    `launch ${i}: kernel ${s.kernel}: ${s.cycles} cycles (${s.overheadCycles} launch overhead, ${s.configCycles} configuration${s.configured ? ` of ${s.configuredColumns} column${s.configuredColumns === 1 ? '' : 's'}` : ' skipped'}, ${s.execCycles} execution); ${s.cyclesWithCall} with the CPU call`,
    `  ${s.steps} steps, ${s.peInstructions} PE instructions, ${s.loads} loads, ${s.stores} stores${s.unalignedAccesses ? `, ${s.unalignedAccesses} unaligned` : ''}, ` +
      `stalls: ${s.mulStallCycles} multiply / ${s.memStallCycles} memory cycles (${s.bus} bus)`,
    `  mean PE utilisation ${(100 * util).toFixed(1)}%; energy estimate ${(s.energy.joules * 1e9).toFixed(2)} nJ`,
    '  per column: ' + s.perColumn.map((c) => `col ${c.col}: ${c.memAccesses} accesses, ${c.stallCycles} stall cycles`).join('; '),
  ].join('\n');
}

function fmtTrace(s: LaunchStats): string {
  return (s.trace ?? []).map((t) => `  @${t.cycle} pc ${t.pc} (${t.cycles} cyc)${t.next !== undefined ? ` -> ${t.next}` : ' exit'}` +
    `${t.mem.length ? ' ' + t.mem.map((m) => `${m.kind} PE(${m.row},${m.col}) [0x${m.addr.toString(16)}]=${m.value}`).join(', ') : ''}` +
    `  ROUT ${t.rout.map((r) => r.join(',')).join(' / ')}`).join('\n');
}

const sim: Command = {
  name: 'sim',
  summary: 'Run a bitstream\'s launches on the cycle-level simulator',
  usage: 'cgra sim --bitstream <bitstream.h|image.json|instructions.csv> --launch <launch.json> [--bus ports|shared] [--legacy-step] [--cycle-limit N] [--json] [--trace]',
  options: {
    bitstream: { type: 'string', description: 'bitstream.h, JSON image or ESL instructions.csv' },
    launch: { type: 'string', description: 'launch.json: {"memory", "launches", "dump"}' },
    ...BUS_OPT,
    'legacy-step': { type: 'boolean', description: 'LWD/SWD step +4 (paper-era bitstreams with imm 0)' },
    'cycle-limit': { type: 'string', description: 'fail a launch running longer (default 50000000)' },
    json: { type: 'boolean', description: 'print {"launches": [...], "dump": [...]} as JSON' },
    trace: { type: 'boolean', description: 'record and print an instruction-level trace' },
    ...ARCH_OPTS,
  },
  positionals: [0, 0],
  async run({ values }) {
    if (typeof values.bitstream !== 'string' || typeof values.launch !== 'string') throw new UsageError('cgra sim needs --bitstream <file> and --launch <launch.json>');
    const arch = archOf(values);
    const limit = intOpt(values, 'cycle-limit');
    const image = loadImage(values.bitstream, arch);
    const lf = parseLaunchFile(readText(values.launch), arch, values.launch);
    const res: LaunchFileResult = runLaunchFile(arch, image, lf, { bus: arch.bus, legacyStep: !!values['legacy-step'], trace: !!values.trace, ...(limit ? { cycleLimit: limit } : {}) }, values.launch);
    if (values.json) {
      process.stdout.write(JSON.stringify({ bus: arch.bus, legacyStep: !!values['legacy-step'], memoryBytes: res.memoryBytes, launches: res.launches, dump: res.dump }) + '\n');
      return 0;
    }
    const lines = [`${values.bitstream}: ${arch.rows}x${arch.cols} array, ${arch.bus} bus${values['legacy-step'] ? ', legacy +4 pointer step' : ''}, ${res.memoryBytes} bytes of data memory`];
    res.launches.forEach((s, i) => { lines.push(fmtLaunch(i, s)); if (values.trace) lines.push(fmtTrace(s)); });
    for (const d of res.dump) {
      lines.push(`dump 0x${d.addr.toString(16)} (${d.words.length} words):`);
      for (let i = 0; i < d.words.length; i += 8) lines.push(`  0x${(d.addr + 4 * i).toString(16).padStart(6, '0')}: ${d.words.slice(i, i + 8).join(' ')}`);
    }
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};

const view: Command = {
  name: 'view',
  summary: 'Show kernels as PE grids per instruction step (text, or HTML/SVG)',
  usage: 'cgra view <bitstream> [--html out.html] [--kernel K] [--launch launch.json [--legacy-step]] [--bus ports|shared]',
  options: {
    html: { type: 'string', description: 'write a self-contained HTML page with one SVG per step' },
    kernel: { type: 'string', description: 'only this kernel slot' },
    launch: { type: 'string', description: 'simulate this launch.json and show how often each step ran' },
    'legacy-step': { type: 'boolean', description: 'with --launch: LWD/SWD step +4' },
    ...BUS_OPT,
    ...ARCH_OPTS,
  },
  positionals: [1, 1],
  async run({ positionals, values }) {
    const path = positionals[0]!;
    if (values['legacy-step'] && typeof values.launch !== 'string') throw new UsageError('--legacy-step needs --launch launch.json');
    const arch = archOf(values);
    const image = loadImage(path, arch);
    const only = intOpt(values, 'kernel');
    const kernels = kernelsOf(image).filter((k) => only === undefined || k.id === only);
    if (kernels.length === 0) throw new TinyforgeError(`kernel ${only} is not in the bitstream`, { file: path });
    const measured: Record<number, LaunchStats['perStep']> = {};
    if (typeof values.launch === 'string') {
      const res = runLaunchFile(arch, image, parseLaunchFile(readText(values.launch), arch, values.launch), { bus: arch.bus, legacyStep: !!values['legacy-step'] }, values.launch);
      for (const s of res.launches) {
        const m = (measured[s.kernel] ??= s.perStep.map((p) => ({ ...p, executions: 0, cycles: 0 })));
        s.perStep.forEach((p, t) => { m[t].executions += p.executions; m[t].cycles += p.cycles; });
      }
    }
    if (typeof values.html === 'string') {
      const html = viewHtml(arch, kernels, { bus: arch.bus, title: `OpenEdgeCGRA kernels of ${path}`, measuredByKernel: measured });
      writeFileAtomic(values.html, html, '--html file');
      process.stderr.write(`wrote ${values.html}\n`);
    } else {
      process.stdout.write(kernels.map((k) => viewText(arch, k, { bus: arch.bus, measured: measured[k.id] })).join('\n'));
    }
    return 0;
  },
};

export const cgra: Command = {
  name: 'cgra',
  summary: 'OpenEdgeCGRA: assemble, disassemble, simulate and view bitstreams',
  usage: 'cgra <asm|disasm|sim|view|map|sweep> ...',
  options: {},
  positionals: [1, 1],
  subcommands: [asm, disasm, sim, view, cgraMap, cgraSweep],
  async run() { return 2; },
};
