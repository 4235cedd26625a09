// Tool gating for the Cortex-M tests: a missing toolchain or QEMU skips the test outside CI and fails it
// when CI=true (.ci/run installs gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm and clang).
import type { TestContext } from 'node:test';
import { missingTools, type RunOn } from '../../../mcu-backend/harness/run.ts';

/** True when the test may go on; otherwise skips it (or throws in CI). */
export function needTools(t: TestContext, on: RunOn | 'arm-gcc' | 'clang'): boolean {
  const m = missingTools(on);
  if (!m) return true;
  if (process.env.CI === 'true') throw new Error(`${m} (required when CI=true)`);
  t.skip(m);
  return false;
}
