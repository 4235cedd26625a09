// Builds and runs generated fast kernels against expected outputs, through the backend's harness
// (../harness/run.ts): host gcc with the portable intrinsics, or QEMU mps2-an386 (Cortex-M4) with the
// icount plugin, returning the instructions counted between each case's markers; `traceM4` reruns an ELF
// with QEMU's block trace for the instruction mix (m4-cost.ts). Used by the tests and the benchmarks.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { between, compileArm, compileHost, CPUS, describeStatus, emitDir, runHost, runQemu, type QemuCpu } from '../harness/run.ts';
import type { FastKernel } from './fast-kernel.ts';

export interface RunCase { kernel: Pick<FastKernel, 'fn' | 'data' | 'code' | 'scratchBytes'>; input: Int8Array; expected: Int8Array }

export interface RunOutcome { ok: boolean; failedCases: number; log: string; instructions?: number[] }

function write(dir: string, cases: RunCase[]): string {
  mkdirSync(dir, { recursive: true });
  const src = join(dir, 'main.c');
  writeFileSync(src, driverC(cases.map((c) => ({ ...c.kernel, input: c.input, expected: c.expected }))));
  return src;
}

export function runCasesHost(dir: string, cases: RunCase[]): RunOutcome {
  const src = write(dir, cases);
  const exe = join(dir, 'host.exe');
  compileHost({ sources: [src], includeDirs: [emitDir] }, exe, { simd: true });
  const r = runHost(exe);
  return { ok: r.status === 0, failedCases: r.status, log: r.stdout + r.stderr };
}

export function runCasesM4(dir: string, cases: RunCase[], extraFlags: string[] = []): RunOutcome & { elf: string } {
  return runCasesOn('m4', dir, cases, extraFlags);
}

/** The cases on a QEMU board (m4: mps2-an386, m55: mps3-an547 for the Helium kernels), counted per case. */
export function runCasesOn(cpu: QemuCpu, dir: string, cases: RunCase[], extraFlags: string[] = []): RunOutcome & { elf: string } {
  const src = write(dir, cases);
  const elf = join(dir, `${cpu}.elf`);
  const c = compileArm({ sources: [src], includeDirs: [emitDir] }, elf, cpu, {}, extraFlags);
  if (c.status !== 0) throw new Error(`arm-none-eabi-gcc failed:\n${(c.stderr + c.stdout).slice(0, 4000)}`);
  const r = runQemu(elf, cpu, { count: true, timeoutMs: 120_000 });
  const instructions: number[] = [];
  for (let i = 0; i + 1 < r.markers.length; i += 2) instructions.push(between(r.markers[i]!, r.markers[i + 1]!));
  return { ok: r.status === 0, failedCases: r.status, log: describeStatus(r.status, r.timedOut) + r.stderr, instructions, elf };
}

/**
 * One C translation unit running every case: main returns the number of mismatching cases; `dbg #1/#2`
 * bracket each call. A kernel takes the scratch pointer only when it needs scratch (variant.ts contract).
 */
export function driverC(cases: Array<{ fn: string; data: string; code: string; input: Int8Array; expected: Int8Array; scratchBytes: number }>): string {
  const scratch = Math.max(8, ...cases.map((c) => c.scratchBytes));
  const L = ['#include "runtime.h"', '#if !defined(__arm__)', '#include <stdio.h>', '#endif', `static uint64_t tf_scratch[${Math.ceil(scratch / 8)}];`];
  const emitted = new Set<string>();
  cases.forEach((c, i) => {
    if (!emitted.has(c.fn)) { emitted.add(c.fn); L.push(c.data, c.code); }
    L.push(
      `static const int8_t in${i}[${c.input.length}] = {${Array.from(c.input).join(',')}};`,
      `static const int8_t ex${i}[${c.expected.length}] = {${Array.from(c.expected).join(',')}};`,
      `static int8_t out${i}[${c.expected.length}];`);
  });
  L.push(`int main(void) {`, `  int bad = 0;`);
  cases.forEach((c, i) => {
    const args = c.scratchBytes > 0 ? `in${i}, out${i}, (int8_t *)tf_scratch` : `in${i}, out${i}`;
    L.push(`  { TF_MARK(1); ${c.fn}(${args}); TF_MARK(2);`,
      `    int n = 0; for (int i = 0; i < ${c.expected.length}; i++) if (out${i}[i] != ex${i}[i]) n++;`,
      `#if !defined(__arm__)`,
      `    if (n) printf("case ${i} (${c.fn}): %d of ${c.expected.length} outputs differ\\n", n);`,
      `#endif`,
      `    bad += n ? 1 : 0; }`);
  });
  L.push(`  return bad;`, `}`);
  return L.join('\n');
}

/** QEMU's block log (`-d in_asm,exec,nochain`) of a Cortex-M4 run, for mixFromQemuLog. */
export function traceM4(elf: string, timeoutMs = 300_000): string {
  const log = `${elf}.trace.${process.pid}.txt`;
  rmSync(log, { force: true });
  const r = spawnSync('qemu-system-arm', ['-M', CPUS.m4?.board ?? 'mps2-an386', '-nographic', '-monitor', 'none', '-serial', 'none',
    '-semihosting-config', 'enable=on,target=native', '-kernel', elf, '-d', 'in_asm,exec,nochain', '-D', log], { timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`QEMU trace run of ${elf} failed (status ${r.status})`);
  const text = readFileSync(log, 'utf8');
  rmSync(log, { force: true });
  return text;
}

/**
 * Code bytes of each kernel in an ELF: the sizes (arm-none-eabi-nm -S) of the text symbols named `fn` or
 * `fn_<name>` (not `fn_<digit>...`, another kernel's prefix), its constant tables (`..._w`, `..._t`) excluded.
 */
export function kernelCodeBytes(elf: string, fns: string[]): Map<string, number> {
  const nm = spawnSync('arm-none-eabi-nm', ['-S', elf], { encoding: 'utf8' }).stdout;
  const out = new Map<string, number>();
  for (const line of nm.split('\n')) {
    const m = line.match(/^[0-9a-f]+ ([0-9a-f]+) [tT] (\S+)$/);
    if (!m) continue;
    const sym = m[2]!.replace(/\..*$/, '');
    const fn = fns.find((f) => sym === f || (sym.startsWith(`${f}_`) && !/^\d/.test(sym.slice(f.length + 1))));
    if (fn && !sym.endsWith('_w') && !sym.endsWith('_t')) out.set(fn, (out.get(fn) ?? 0) + parseInt(m[1]!, 16));
  }
  return out;
}
