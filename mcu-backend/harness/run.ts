// Runners for generated C: host gcc, and QEMU boards for every core the backend compiles for (Cortex-M0
// microbit for the ARMv6-M path, M3 mps2-an385, M4 an386, M7 an500, M33 mps2-an505, M55 mps3-an547; M85 compiles only) with
// arm-none-eabi-gcc, the board's linker script and the startup of this folder, semihosting exit status, and the
// icount TCG plugin (built with host gcc into .cache/mcu on demand) for exact per-marker instruction
// counts. Every program runs under a timeout. A missing tool raises a TinyforgeError naming the
// Debian package to install (tests turn that into a skip outside CI, a failure when CI=true).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { repoRoot } from '../../compiler/paths.ts';
import { compileObjectSync, type ObjectJob } from '../stages/compile.ts';
import { exec, type ExecResult } from './exec.ts';

/** Cores the backend compiles for; each has a QEMU board, so all can run and be measured. */
export type McuCpu = 'm0plus' | 'm3' | 'm4' | 'm7' | 'm33' | 'm55' | 'm85';
export type QemuCpu = McuCpu;
export type RunOn = 'host' | QemuCpu;
export const RUN_ON: readonly RunOn[] = ['host', 'm3', 'm4', 'm7', 'm0plus', 'm33', 'm55'];

export interface CpuInfo {
  cpu: McuCpu;
  /** QEMU machine emulating this core (m0plus: QEMU's only ARMv6-M board, a Cortex-M0: same ISA). */
  board?: string;
  /** The board's linker script in this folder (memory map; the sections are link-sections.ld). */
  linkScript: string;
  /** Address range of the FLASH region of the linker script (code and constants: a part's flash). */
  flash: [number, number];
  /** The board's RAM for the program (data, bss, stack), bytes; its flash is flash[1] - flash[0]. */
  ram: number;
  /** The board keeps the baked-in test inputs in flash (no PSRAM): they count against its flash. */
  inputsInFlash?: boolean;
  /** arm-none-eabi-gcc flags selecting the core, ISA and float ABI. */
  flags: string[];
  /** Has the DSP extension (SMLAD, SXTB16, ...): the SIMD kernels' path. */
  dsp: boolean;
  fpu: boolean;
}

export const CPUS: Record<McuCpu, CpuInfo> = {
  m3: { cpu: 'm3', flash: [0, 0x400000], ram: 0x400000, board: 'mps2-an385', linkScript: 'link.ld', flags: ['-mcpu=cortex-m3', '-mthumb', '-mfloat-abi=soft'], dsp: false, fpu: false },
  m4: { cpu: 'm4', flash: [0, 0x400000], ram: 0x400000, board: 'mps2-an386', linkScript: 'link.ld', flags: ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16'], dsp: true, fpu: true },
  m7: { cpu: 'm7', flash: [0, 0x400000], ram: 0x400000, board: 'mps2-an500', linkScript: 'link-an500.ld', flags: ['-mcpu=cortex-m7', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv5-d16'], dsp: true, fpu: true },
  m0plus: { cpu: 'm0plus', flash: [0, 0x40000], ram: 0x4000, inputsInFlash: true, board: 'microbit', linkScript: 'link-microbit.ld', flags: ['-mcpu=cortex-m0plus', '-mthumb', '-mfloat-abi=soft'], dsp: false, fpu: false },
  m33: { cpu: 'm33', flash: [0x10000000, 0x10400000], ram: 0x400000, board: 'mps2-an505', linkScript: 'link-an505.ld', flags: ['-mcpu=cortex-m33', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv5-sp-d16'], dsp: true, fpu: true },
  m55: { cpu: 'm55', flash: [0x11000000, 0x11200000], ram: 0x400000, board: 'mps3-an547', linkScript: 'link-an547.ld', flags: ['-mcpu=cortex-m55', '-mthumb', '-mfloat-abi=hard'], dsp: true, fpu: true },
  // Cortex-M85: a compile target (Helium kernels, the an547 memory map for the link); no QEMU board models it, and
  // gcc 12 has no -mcpu=cortex-m85: its architecture (Armv8.1-M with MVE integer and float, double FPU).
  m85: { cpu: 'm85', flash: [0x11000000, 0x11200000], ram: 0x400000, linkScript: 'link-an547.ld', flags: ['-march=armv8.1-m.main+mve.fp+fp.dp', '-mthumb', '-mfloat-abi=hard'], dsp: true, fpu: true },
};

/**
 * Why a program of these sizes (arm-none-eabi-size of the build, plus the baked-in inputs where the board
 * keeps them in flash) cannot run on the cpu's board, or undefined when it fits. A part's budget may be larger
 * than the board (the microbit has 256 KiB flash and 16 KiB RAM).
 */
export function boardMisfit(cpu: McuCpu, flashBytes: number, ramBytes: number, inputBytes = 0): string | undefined {
  const c = CPUS[cpu];
  const flash = c.flash[1] - c.flash[0], flashNeed = flashBytes + (c.inputsInFlash ? inputBytes : 0);
  const over: string[] = [];
  if (flashNeed > flash) over.push(`flash ${flashNeed} B > ${flash} B`);
  if (ramBytes > c.ram) over.push(`RAM ${ramBytes} B > ${c.ram} B`);
  return over.length ? `the program does not fit QEMU's ${c.board} (${over.join(', ')})` : undefined;
}

export function hasBoard(cpu: McuCpu): cpu is QemuCpu {
  return CPUS[cpu].board !== undefined;
}

export function parseCpu(s: string, where = 'cpu'): McuCpu {
  const k = s.toLowerCase().replace(/^cortex-/, '') as McuCpu;
  if (!(k in CPUS)) throw new TinyforgeError(`unknown ${where} '${s}'`, {}, `valid: ${Object.keys(CPUS).map((c) => `cortex-${c}`).join(', ')}`);
  return k;
}

export const harnessDir = join(repoRoot, 'mcu-backend', 'harness');
export const emitDir = join(repoRoot, 'mcu-backend', 'emit');
export const cacheDir = join(repoRoot, '.cache', 'mcu');

/**
 * Optimisation and warning flags shared by both compilers. Not -ffreestanding (it implies -fno-builtin
 * and turns memcpy-based unaligned loads into calls); -fno-schedule-insns keeps gcc's pre-RA scheduler
 * from hoisting every load of an unrolled block into spills.
 */
export const COMMON_CFLAGS = ['-std=c99', '-O2', '-fno-schedule-insns', '-Wall', '-Wextra', '-Werror'];

function has(cmd: string): boolean {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}
const toolCache = new Map<string, boolean>();
function tool(cmd: string): boolean {
  if (!toolCache.has(cmd)) toolCache.set(cmd, has(cmd));
  return toolCache.get(cmd)!;
}

export interface ToolStatus { hostGcc: boolean; armGcc: boolean; qemu: boolean; clang: boolean }
export function toolStatus(): ToolStatus {
  return { hostGcc: tool('gcc'), armGcc: tool('arm-none-eabi-gcc'), qemu: tool('qemu-system-arm'), clang: tool('clang') };
}

/** What `on` needs that is missing, as a sentence naming the Debian packages; undefined when all is there. */
export function missingTools(on: RunOn | 'arm-gcc' | 'clang'): string | undefined {
  const t = toolStatus();
  const miss: string[] = [];
  if (on === 'clang') return t.clang ? undefined : 'missing clang (Debian: clang)';
  if (on === 'host' && !t.hostGcc) miss.push('gcc (Debian: gcc libc6-dev)');
  if (on !== 'host' && !t.armGcc) miss.push('arm-none-eabi-gcc (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi)');
  if (on !== 'host' && on !== 'arm-gcc' && !t.qemu) miss.push('qemu-system-arm (Debian: qemu-system-arm)');
  if (on !== 'host' && on !== 'arm-gcc' && !t.hostGcc) miss.push('gcc for the QEMU plugin (Debian: gcc)');
  return miss.length ? `missing ${miss.join(', ')}` : undefined;
}

export function requireTools(on: RunOn | 'arm-gcc' | 'clang'): void {
  const m = missingTools(on);
  if (m) throw new TinyforgeError(`cannot run on ${on}: ${m}`, {}, 'install them, or see .ci/run');
}

function mustCompile(cmd: string, args: string[], what: string, timeoutMs = 300_000): void {
  const r = exec(cmd, args, timeoutMs);
  if (r.status !== 0) {
    throw new TinyforgeError(`${what} failed (${cmd} exit ${r.status}${r.timedOut ? ', timed out' : ''}):\n${(r.stderr + r.stdout).trim().slice(0, 4000)}`);
  }
}

/** A C program: sources plus include directories and defines. */
export interface CProgram {
  sources: string[];
  includeDirs: string[];
  defines?: Record<string, string | number>;
  /**
   * Sources (also listed in `sources`) compiled on their own into objects through the object cache
   * (../stages/compile.ts) before the link, e.g. the generated model; the others compile in the link command.
   */
  cached?: string[];
}

function includeArgs(p: CProgram): string[] {
  return [...p.includeDirs.map((d) => `-I${d}`), ...Object.entries(p.defines ?? {}).map(([k, v]) => `-D${k}=${v}`)];
}

export function progArgs(p: CProgram, objects: Map<string, string> = new Map()): string[] {
  return [...includeArgs(p), ...p.sources.map((s) => objects.get(s) ?? s)];
}

/** The object-compile jobs of a program's cached sources (objects in a temporary folder, removed after the link). */
export function objectJobs(p: CProgram, cc: string, flags: string[], binary: string, timeoutMs?: number): ObjectJob[] {
  const dir = join(tmpdir(), `tinyforge-obj-${process.pid}-${basename(binary)}`);
  return (p.cached ?? []).map((s) => ({ cc, flags: [...flags, ...includeArgs(p)], source: s, out: join(dir, basename(s).replace(/\.c$/, '.o')),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}) }));
}

/** Compiles (or takes from the cache) the cached sources, runs `link` with them, then removes the objects. */
export function withObjects<T>(jobs: ObjectJob[], link: (objects: Map<string, string>) => T): T {
  try {
    return link(new Map(jobs.map((j) => [j.source, compileObjectSync(j).out])));
  } finally {
    for (const j of jobs) rmSync(dirname(j.out), { recursive: true, force: true });
  }
}

/** Host compiler options beyond COMMON_CFLAGS: which compiler, and flags after the common ones (e.g. sanitizers). */
export interface HostCompiler {
  cc?: 'gcc' | 'clang';
  flags?: string[];
  /** Compile time limit (default 300 s; an ASan build of a multi-megabyte model takes longer). */
  timeoutMs?: number;
}

/**
 * Host build. `simd` compiles the DSP path through runtime.h's portable definitions of the ACLE
 * intrinsics (same semantics), so the SIMD source is checked on the host too.
 */
export function compileHost(p: CProgram, exe: string, opts: { simd: boolean } & HostCompiler): void {
  const cc = opts.cc ?? 'gcc';
  requireTools(cc === 'gcc' ? 'host' : 'clang');
  withObjects(hostObjectJobs(p, exe, opts), (objects) => mustCompile(cc, [...hostFlags(opts), ...progArgs(p, objects), '-o', exe], `host ${cc}`, opts.timeoutMs));
}

/** Host gcc only: its RTL combine pass, trying 3- and 4-instruction combinations over the long unrolled blocks
 *  of the DSP source's portable intrinsics, took most of a host compile (a kernel-test driver of 27 kernels:
 *  25 of 32 s; one 64-step unrolled int8p block alone 21 s). Pairs only: 15 s. The host build checks exactness;
 *  its speed is not measured, and the flag changes no semantics. */
const HOST_GCC_FLAGS = ['--param', 'max-combine-insns=2'];

function hostFlags(opts: { simd: boolean } & HostCompiler): string[] {
  return [...COMMON_CFLAGS, ...((opts.cc ?? 'gcc') === 'gcc' ? HOST_GCC_FLAGS : []), ...(opts.flags ?? []), ...(opts.simd ? ['-DTF_HOST_SIMD=1'] : [])];
}

/** What compileHost compiles through the object cache (for compileObjects, to start them early and concurrently). */
export function hostObjectJobs(p: CProgram, exe: string, opts: { simd: boolean } & HostCompiler): ObjectJob[] {
  return objectJobs(p, opts.cc ?? 'gcc', hostFlags(opts), exe, opts.timeoutMs);
}

export interface Budget { flashBytes?: number; ramBytes?: number; stackBytes?: number }

/** arm-none-eabi-gcc build against the harness (startup, linker script with the part's budget). */
export function compileArm(p: CProgram, elf: string, cpu: McuCpu, budget: Budget = {}, extraFlags: string[] = []): ExecResult {
  requireTools('arm-gcc');
  const defsym: string[] = [];
  if (budget.flashBytes !== undefined) defsym.push(`-Wl,--defsym=__flash_size=${budget.flashBytes}`);
  if (budget.ramBytes !== undefined) defsym.push(`-Wl,--defsym=__ram_size=${budget.ramBytes}`);
  if (budget.stackBytes !== undefined) defsym.push(`-Wl,--defsym=__stack_size=${budget.stackBytes}`);
  try {
    return withObjects(armObjectJobs(p, elf, cpu, extraFlags), (objects) => exec('arm-none-eabi-gcc', [
      ...armFlags(cpu, extraFlags),
      '-nostartfiles', `-L${harnessDir}`, '-T', join(harnessDir, CPUS[cpu].linkScript), join(harnessDir, 'startup.c'),
      ...progArgs(p, objects), '-Wl,--gc-sections', ...defsym, '-o', elf, '-lc', '-lgcc',
    ], 300_000));
  } catch (e) {
    if (e instanceof TinyforgeError) return { status: 1, stdout: '', stderr: e.message, timedOut: false };
    throw e;
  }
}

function armFlags(cpu: McuCpu, extraFlags: string[]): string[] {
  return [...CPUS[cpu].flags, ...COMMON_CFLAGS, ...extraFlags, '-ffunction-sections', '-fdata-sections', `-I${harnessDir}`];
}

/** What compileArm compiles through the object cache (for compileObjects). */
export function armObjectJobs(p: CProgram, elf: string, cpu: McuCpu, extraFlags: string[] = []): ObjectJob[] {
  return objectJobs(p, 'arm-none-eabi-gcc', armFlags(cpu, extraFlags), elf);
}

export function compileArmOrThrow(p: CProgram, elf: string, cpu: McuCpu, budget: Budget = {}): void {
  const r = compileArm(p, elf, cpu, budget);
  if (r.status !== 0) throw new TinyforgeError(`arm-none-eabi-gcc failed (exit ${r.status}):\n${(r.stderr + r.stdout).trim().slice(0, 4000)}`);
}

export interface SizeInfo { text: number; data: number; bss: number; flash: number; ram: number }

/** Section sizes (arm-none-eabi-size, Berkeley format): flash = text + data, ram = data + bss (bss includes the stack). */
export function armSize(elf: string): SizeInfo {
  const r = exec('arm-none-eabi-size', [elf], 30_000);
  const line = r.stdout.trim().split('\n')[1];
  if (r.status !== 0 || !line) throw new TinyforgeError(`arm-none-eabi-size ${elf} failed: ${r.stderr}`);
  const [text, data, bss] = line.trim().split(/\s+/).map(Number);
  return { text, data, bss, flash: text + data, ram: data + bss };
}

export function runHost(exe: string, timeoutMs = 60_000): ExecResult {
  return exec(exe, [], timeoutMs);
}

/** The icount plugin, compiled on demand into .cache/mcu (keyed by the source's hash). */
export function pluginPath(): string {
  const src = join(harnessDir, 'qemu-plugin', 'icount.c');
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
  const so = join(cacheDir, `icount-${hash}.so`);
  if (existsSync(so)) return so;
  requireTools('host');
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${so}.${process.pid}.tmp`;
  mustCompile('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-Wextra', '-Werror', '-o', tmp, src], 'building the QEMU icount plugin');
  renameSync(tmp, so);
  return so;
}

export interface Marker { n: number; before: number }
export interface QemuResult extends ExecResult {
  /** Executed `dbg #n` markers in order, each with the instructions executed before it (when counting). */
  markers: Marker[];
  totalInstructions?: number;
}

let machines: string | undefined;
/**
 * Throws when this qemu-system-arm lacks the cpu's board. Deliberately not part of missingTools: a QEMU
 * without the board is a broken install, so a test fails loudly instead of skipping.
 */
export function requireBoard(cpu: QemuCpu): void {
  machines ??= exec('qemu-system-arm', ['-machine', 'help'], 30_000).stdout;
  const board = CPUS[cpu].board!;
  if (!new RegExp(`^${board}\\s`, 'm').test(machines)) {
    throw new TinyforgeError(`cannot run on ${cpu}: this qemu-system-arm has no machine '${board}'`, {}, 'install QEMU 7.2 or later (Debian: qemu-system-arm)');
  }
}

export interface CacheSim { icache: { bytes: number; lineBytes: number; ways: number }; dcache: { bytes: number; lineBytes: number; ways: number } }

/**
 * Runs an ELF on the cpu's QEMU board with semihosting; `count` adds the icount plugin, `profile` its block
 * profile (for the cycle model), `caches` a simulation of a part's flash caches in that profile.
 */
export function runQemu(elf: string, cpu: QemuCpu, opts: { timeoutMs?: number; count?: boolean; profile?: string; caches?: CacheSim } = {}): QemuResult {
  requireTools(cpu);
  requireBoard(cpu);
  const args = ['-M', CPUS[cpu].board!, '-nographic', '-monitor', 'none', '-serial', 'none',
    '-semihosting-config', 'enable=on,target=native', '-kernel', elf];
  let countFile: string | undefined;
  if (opts.count || opts.profile) {
    countFile = `${elf}.icount.${process.pid}.txt`;
    rmSync(countFile, { force: true });
    // profile=PATH: the executed blocks per marker segment, for the cycle model (mcu-backend/timing/).
    let extra = opts.profile ? `,profile=${opts.profile}` : '';
    const c = opts.caches;
    if (opts.profile && c) {
      const [lo, hi] = CPUS[cpu].flash;
      const spec = (x: CacheSim['icache']) => `${x.bytes}:${x.lineBytes}:${x.ways}`;
      extra += `,flash=${lo.toString(16)}:${hi.toString(16)},icache=${spec(c.icache)},dcache=${spec(c.dcache)}`;
    }
    args.push('-plugin', `${pluginPath()},out=${countFile}${extra}`);
  }
  const r = exec('qemu-system-arm', args, opts.timeoutMs ?? 120_000);
  return { ...r, ...readCountFile(countFile) };
}

/** The icount plugin's output file (markers `M n before`, total `T n`), read and removed; empty when absent. */
export function readCountFile(countFile: string | undefined): { markers: Marker[]; totalInstructions: number | undefined } {
  const markers: Marker[] = [];
  let total: number | undefined;
  if (countFile && existsSync(countFile) && statSync(countFile).size > 0) {
    for (const line of readFileSync(countFile, 'utf8').split('\n')) {
      const m = /^M (\d+) (\d+)$/.exec(line);
      if (m) markers.push({ n: Number(m[1]), before: Number(m[2]) });
      const t = /^T (\d+)$/.exec(line);
      if (t) total = Number(t[1]);
    }
    rmSync(countFile, { force: true });
  }
  return { markers, totalInstructions: total };
}

/** Instructions strictly between consecutive markers a -> b (a and b excluded). */
export function between(a: Marker, b: Marker): number {
  return b.before - a.before - 1;
}

/** A readable reason for a non-zero guest status (faults exit with 200 + exception number). */
export function describeStatus(status: number, timedOut: boolean): string {
  if (timedOut) return 'timed out (hang?)';
  const names: Record<number, string> = { 2: 'NMI', 3: 'HardFault', 4: 'MemManage', 5: 'BusFault', 6: 'UsageFault (e.g. an instruction this core lacks)' };
  if (status >= 200 && status < 216) return `fault: exception ${status - 200} ${names[status - 200] ?? ''}`.trim();
  return `exit status ${status}`;
}
