// Stage 6 of the Cortex-M backend, run: the built model against the golden runtime, on the host (gcc) and,
// when the core has a QEMU board and QEMU is installed, on that board, whose run also counts each layer's
// instructions (markers, icount plugin). With verification off, one QEMU run still gives the counts.
// The host object (the slowest compile: the DSP source through the portable intrinsics) can be started
// early and concurrently with the fit stage's Arm compile (prefetchHostObject); both land in the object
// cache (compile.ts), where the verification's compiles then find them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../../compiler/ir/graph.ts';
import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import type { EmittedModel } from '../emit/model.ts';
import { harnessDir, hasBoard, hostObjectJobs, missingTools, type McuCpu } from '../harness/run.ts';
import type { SegmentCounts } from '../dvfs/wire.ts';
import { modelProgram, runModel, writeModelFiles } from '../runner.ts';
import { randomGraphInputs, verifyMcu, type VerifyResult } from '../verify.ts';
import { compileObjects } from './compile.ts';

export interface Ran {
  verify: VerifyResult[];
  /** Per-layer instructions of the first measured inference, and of its whole invoke. */
  layerInstructions?: number[];
  invokeInstructions?: number;
  counts?: SegmentCounts;
  /** The first input the model ran on (the cycle model replays it). */
  firstInput?: Int8Array;
  notes: string[];
}

/**
 * Starts compiling the model's host object (as the host verification will compile it) in the background,
 * from a private copy of its files. Aborting it (a newer selection) kills the compiler. Never rejects.
 */
export function prefetchHostObject(em: EmittedModel): { done: Promise<void>; abort: () => void } {
  if (missingTools('host')) return { done: Promise.resolve(), abort: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-prefetch-'));
  writeModelFiles(dir, em);
  const ac = new AbortController();
  const jobs = hostObjectJobs(modelProgram(dir, em, join(harnessDir, 'driver.c')), join(dir, `${em.cname}-host-simd`), { simd: true });
  const done = compileObjects(jobs.map((j) => ({ ...j, out: join(dir, 'obj', j.out.split('/').pop()!) })), { signal: ac.signal })
    .then(() => undefined, () => undefined)
    .finally(() => rmSync(dir, { recursive: true, force: true }));
  return { done, abort: () => ac.abort() };
}

/** Verifies on the host and on the core's board (counting instructions there); `verifyInputs` 0: only counts. */
export async function runStage(graph: Graph, module: KernelModule, em: EmittedModel, cpu: McuCpu, workDir: string,
  opts: { verifyInputs: number; seed?: number; boardMisfit?: string }): Promise<Ran> {
  const verify: VerifyResult[] = [];
  const notes: string[] = [];
  const inputs = randomGraphInputs(graph, Math.max(1, opts.verifyInputs), opts.seed ?? 1);
  const ran: Ran = { verify, notes, ...(inputs[0] ? { firstInput: inputs[0] } : {}) };
  const golden = opts.verifyInputs > 0 ? await GoldenRuntime.load() : undefined;
  if (opts.verifyInputs > 0 && !missingTools('host')) {
    verify.push(await verifyMcu(graph, module, em, 'host', { inputs, workDir, golden }));
  } else if (opts.verifyInputs > 0) {
    notes.push(`host verification skipped: ${missingTools('host')}`);
  }
  if (hasBoard(cpu)) {
    const miss = missingTools(cpu);
    if (miss) {
      notes.push(`QEMU run skipped (no instruction counts, no on-target verification): ${miss}`);
    } else if (opts.boardMisfit) {
      // A part's budget may exceed the board's memory (the microbit: 256 KiB flash, 16 KiB RAM).
      notes.push(`QEMU run skipped (no instruction counts, no on-target verification): ${opts.boardMisfit}`);
    } else if (opts.verifyInputs > 0) {
      const v = await verifyMcu(graph, module, em, cpu, { inputs, workDir, golden, count: true });
      verify.push(v);
      ran.layerInstructions = v.layerInstructions;
      ran.invokeInstructions = v.invokeInstructions?.[0];
      if (v.layerInstructions) ran.counts = { layers: v.layerInstructions, access: v.accessInstructions, hooks: v.hookInstructions };
    } else {
      const r = runModel(em, inputs.slice(0, 1), cpu, { workDir: join(workDir, cpu), count: true });
      ran.layerInstructions = r.layerInstructions?.[0];
      ran.invokeInstructions = r.invokeInstructions?.[0];
      if (r.layerInstructions) ran.counts = { layers: r.layerInstructions[0]!, access: r.accessInstructions?.[0], hooks: r.hookInstructions?.[0] };
    }
  }
  return ran;
}
