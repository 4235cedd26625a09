// Tool gating for the Cortex-M tests: a missing toolchain or QEMU skips the test outside CI and fails it
// when CI=true (.ci/run installs gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm and clang, and for
// RV32 gcc-riscv64-unknown-elf, picolibc-riscv64-unknown-elf and qemu-system-misc).
import type { TestContext } from 'node:test';
import { missingTools, type RunOn } from '../../../mcu-backend/harness/run.ts';
import { missingRv32Tools } from '../../../mcu-backend/harness/rv32.ts';

/** True when the test may go on; otherwise skips it (or throws in CI). */
export function needTools(t: TestContext, on: RunOn | 'arm-gcc' | 'clang' | 'rv32' | 'rv32-gcc'): boolean {
  const m = on === 'rv32' || on === 'rv32-gcc' ? missingRv32Tools(on) : missingTools(on);
  if (!m) return true;
  if (process.env.CI === 'true') throw new Error(`${m} (required when CI=true)`);
  t.skip(m);
  return false;
}
