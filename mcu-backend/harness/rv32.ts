// Runner for RV32IMC programs (X-HEEP's host core class): Debian's riscv64-unknown-elf-gcc with
// -march=rv32imc -mabi=ilp32 against picolibc (its specs; libc for memcpy/memset only, this folder's own
// startup-rv32.c and link-rv32.ld), run on qemu-system-riscv32's `virt` board in machine mode with the A, F
// and D extensions switched off (an instruction outside RV32IMC traps: exit status 202), semihosting for
// output and exit status, and the icount plugin (qemu-plugin/icount.c, which recognises the RISC-V marker
// `srli x0, x0, n`) for exact per-marker instruction counts and the block profile the RV32 cycle model
// prices (../timing/rv32-model.ts). Every tool runs through exec.ts under a time limit. A missing tool is a
// TinyforgeError naming the Debian package.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { exec, type ExecResult } from './exec.ts';
import { COMMON_CFLAGS, harnessDir, objectJobs, pluginPath, progArgs, withObjects, readCountFile, type CProgram, type QemuResult } from './run.ts';

export const RV32_GCC = 'riscv64-unknown-elf-gcc';
export const RV32_QEMU = 'qemu-system-riscv32';
/** picolibc's specs for the riscv64-unknown-elf toolchain (Debian: picolibc-riscv64-unknown-elf). */
export const PICOLIBC_SPECS = '/usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs';
/** The ISA of X-HEEP's cores (CV32E20, CV32E40P without its PULP extensions). */
export const RV32_ARCH = ['-march=rv32imc', '-mabi=ilp32'];
/** QEMU's generic rv32 CPU limited to RV32IMC (plus Zicsr/Zifencei). */
export const RV32_QEMU_CPU = 'rv32,a=off,f=off,d=off';

const toolCache = new Map<string, boolean>();
function has(cmd: string, args: string[] = ['--version']): boolean {
  const key = [cmd, ...args].join(' ');
  if (!toolCache.has(key)) {
    let ok = false;
    try { ok = exec(cmd, args, 30_000).status === 0; } catch { ok = false; }
    toolCache.set(key, ok);
  }
  return toolCache.get(key)!;
}

/** What an RV32 build ('rv32-gcc') or run ('rv32') needs that is missing, naming the Debian packages; undefined when all is there. */
export function missingRv32Tools(what: 'rv32' | 'rv32-gcc' = 'rv32'): string | undefined {
  const miss: string[] = [];
  if (!has(RV32_GCC)) miss.push(`${RV32_GCC} (Debian: gcc-riscv64-unknown-elf)`);
  if (!existsSync(PICOLIBC_SPECS)) miss.push('picolibc for riscv64-unknown-elf (Debian: picolibc-riscv64-unknown-elf)');
  if (what === 'rv32') {
    if (!has(RV32_QEMU)) miss.push(`${RV32_QEMU} (Debian: qemu-system-misc)`);
    if (!has('gcc')) miss.push('gcc for the QEMU plugin (Debian: gcc)');
  }
  return miss.length ? `missing ${miss.join(', ')}` : undefined;
}

export function requireRv32Tools(what: 'rv32' | 'rv32-gcc' = 'rv32'): void {
  const m = missingRv32Tools(what);
  if (m) throw new TinyforgeError(`cannot build or run for RV32: ${m}`, {}, 'install them, or see .ci/run');
}

export interface Rv32Budget { codeBytes?: number; ramBytes?: number; stackBytes?: number }

/** The compiler flags of an RV32 build (the common flags of both Cortex-M compilers, the ISA, picolibc, sections). */
export function rv32Flags(extra: string[] = []): string[] {
  return [`--specs=${PICOLIBC_SPECS}`, ...RV32_ARCH, ...COMMON_CFLAGS, ...extra, '-ffunction-sections', '-fdata-sections', `-I${harnessDir}`];
}

/** Compiles and links a program with this folder's RV32 startup and linker script; returns the tool's result. */
export function compileRv32(p: CProgram, elf: string, opts: { budget?: Rv32Budget; flags?: string[]; timeoutMs?: number } = {}): ExecResult {
  requireRv32Tools('rv32-gcc');
  const b = opts.budget ?? {};
  const defsym: string[] = [];
  if (b.codeBytes !== undefined) defsym.push(`-Wl,--defsym=__flash_size=${b.codeBytes}`);
  if (b.ramBytes !== undefined) defsym.push(`-Wl,--defsym=__ram_size=${b.ramBytes}`);
  if (b.stackBytes !== undefined) defsym.push(`-Wl,--defsym=__stack_size=${b.stackBytes}`);
  const flags = rv32Flags(opts.flags);
  try {
    // The program's cached sources (the generated model) compile through the object cache (../stages/compile.ts).
    return withObjects(objectJobs(p, RV32_GCC, flags, elf, opts.timeoutMs), (objects) => exec(RV32_GCC, [
      ...flags, '-nostartfiles', '-T', join(harnessDir, 'link-rv32.ld'), join(harnessDir, 'startup-rv32.c'),
      ...progArgs(p, objects), '-Wl,--gc-sections', ...defsym, '-o', elf, '-lc', '-lgcc',
    ], opts.timeoutMs ?? 300_000));
  } catch (e) {
    if (e instanceof TinyforgeError) return { status: 1, stdout: '', stderr: e.message, timedOut: false };
    throw e;
  }
}

export function compileRv32OrThrow(p: CProgram, elf: string, opts: { budget?: Rv32Budget; flags?: string[]; timeoutMs?: number } = {}): void {
  const r = compileRv32(p, elf, opts);
  if (r.status !== 0) throw new TinyforgeError(`${RV32_GCC} failed (exit ${r.status}${r.timedOut ? ', timed out' : ''}):\n${(r.stderr + r.stdout).trim().slice(0, 4000)}`);
}

/** Section sizes (riscv64-unknown-elf-size, Berkeley format): code = text + data, ram = data + bss (bss includes the stack). */
export function rv32Size(elf: string): { text: number; data: number; bss: number; code: number; ram: number } {
  const r = exec('riscv64-unknown-elf-size', [elf], 30_000);
  const line = r.stdout.trim().split('\n')[1];
  if (r.status !== 0 || !line) throw new TinyforgeError(`riscv64-unknown-elf-size ${elf} failed: ${r.stderr}`);
  const [text, data, bss] = line.trim().split(/\s+/).map(Number);
  return { text, data, bss, code: text + data, ram: data + bss };
}

/**
 * Runs an ELF on QEMU's riscv32 virt board with semihosting; `count` adds the icount plugin, `profile` its
 * block profile (for ../timing/rv32-model.ts). Output written through semihosting is on stderr.
 */
export function runRv32(elf: string, opts: { timeoutMs?: number; count?: boolean; profile?: string } = {}): QemuResult {
  requireRv32Tools('rv32');
  const args = ['-M', 'virt', '-cpu', RV32_QEMU_CPU, '-bios', 'none', '-nographic', '-monitor', 'none', '-serial', 'none',
    '-semihosting-config', 'enable=on,target=native', '-kernel', elf];
  let countFile: string | undefined;
  if (opts.count || opts.profile) {
    countFile = `${elf}.icount.${process.pid}.txt`;
    rmSync(countFile, { force: true });
    args.push('-plugin', `${pluginPath()},out=${countFile}${opts.profile ? `,profile=${opts.profile}` : ''}`);
  }
  const r = exec(RV32_QEMU, args, opts.timeoutMs ?? 120_000);
  return { ...r, ...readCountFile(countFile) };
}

/** A readable reason for a non-zero guest status (traps exit with 200 + mcause). */
export function describeRv32Status(status: number, timedOut: boolean): string {
  if (timedOut) return 'timed out (hang?)';
  const names: Record<number, string> = {
    0: 'instruction address misaligned', 1: 'instruction access fault', 2: 'illegal instruction (outside RV32IMC?)', 3: 'breakpoint',
    4: 'load address misaligned', 5: 'load access fault', 6: 'store address misaligned', 7: 'store access fault', 11: 'environment call',
  };
  if (status >= 200 && status < 264) return `trap: mcause ${status - 200} ${names[status - 200] ?? ''}`.trim();
  return `exit status ${status}`;
}
