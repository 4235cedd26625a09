// Builds and runs generated fast kernels against expected outputs, through the backend's harness
// (mcu-backend/harness/run.ts): host gcc with the portable intrinsics, or QEMU mps2-an386 (Cortex-M4) with
// the icount plugin, returning the instructions counted between each case's markers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { between, compileArm, compileHost, describeStatus, emitDir, runHost, runQemu } from '../../mcu-backend/harness/run.ts';
import type { FastKernel } from '../../mcu-backend/emit/fast-kernel.ts';
import { driverC } from './fast-fixtures.ts';

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
  const src = write(dir, cases);
  const elf = join(dir, 'm4.elf');
  const c = compileArm({ sources: [src], includeDirs: [emitDir] }, elf, 'm4', {}, extraFlags);
  if (c.status !== 0) throw new Error(`arm-none-eabi-gcc failed:\n${(c.stderr + c.stdout).slice(0, 4000)}`);
  const r = runQemu(elf, 'm4', { count: true, timeoutMs: 120_000 });
  const instructions: number[] = [];
  for (let i = 0; i + 1 < r.markers.length; i += 2) instructions.push(between(r.markers[i]!, r.markers[i + 1]!));
  return { ok: r.status === 0, failedCases: r.status, log: describeStatus(r.status, r.timedOut) + r.stderr, instructions, elf };
}
