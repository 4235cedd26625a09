// The pass pipeline, graph IR -> kernel IR, as an ordered list of pass descriptions. `runPipeline` runs
// them in order with the options each declares (defaults, overridable per pass by name), and can report
// the state after every pass (for `--print-after`-style debugging and the IR-in/IR-out tests).

import { TinyforgeError } from '../diagnostics.ts';
import type { Graph } from '../ir/graph.ts';
import type { KernelModule } from '../kernel-ir/types.ts';
import type { Arith } from '../quant/multiplier.ts';
import { assignBuffers } from './assign-buffers.ts';
import { countMacs } from './count-macs.ts';
import { foldRequant } from './fold-requant.ts';
import { fuseActivation } from './fuse-activation.ts';
import { legalize } from './legalize.ts';
import { lowerToKernel } from './lower-to-kernel.ts';
import { materializeBias } from './materialize-bias.ts';
import type { OptionValue, Pass, PipelineState } from './pass.ts';
import { verifyKernel } from './verify-kernel.ts';

/** Every pass, in pipeline order. */
export const PASSES: readonly Pass<any>[] = [
  legalize, materializeBias, lowerToKernel, foldRequant, fuseActivation, assignBuffers, countMacs, verifyKernel,
];

export interface PipelineOptions {
  arith: Arith;
  /** Per-pass option overrides, by pass name, e.g. { 'lower-to-kernel': { groupedAsDepthwise: false } }. */
  passOptions?: Record<string, Record<string, OptionValue>>;
  /** Called after each pass with its name and the resulting state. */
  afterPass?: (pass: string, state: PipelineState) => void;
  /** The file the graph was read from (model or config): named by every error of the lowering. */
  file?: string;
}

export function passByName(name: string): Pass<any> {
  const p = PASSES.find((x) => x.name === name);
  if (!p) throw new TinyforgeError(`unknown pass '${name}'`, {}, `passes: ${PASSES.map((x) => x.name).join(', ')}`);
  return p;
}

/** A pass's options: its declared defaults overridden by `overrides`, each checked against its spec. */
export function resolveOptions(pass: Pass<any>, overrides: Record<string, OptionValue> = {}): Record<string, OptionValue> {
  const specs = pass.options as Record<string, { default: OptionValue }>;
  const out: Record<string, OptionValue> = {};
  for (const [k, spec] of Object.entries(specs)) out[k] = spec.default;
  for (const [k, v] of Object.entries(overrides)) {
    const spec = specs[k];
    if (!spec) throw new TinyforgeError(`pass ${pass.name} has no option '${k}'`, {}, `options: ${Object.keys(specs).join(', ') || 'none'}`);
    if (typeof v !== typeof spec.default) throw new TinyforgeError(`pass ${pass.name} option '${k}' must be a ${typeof spec.default}, got ${JSON.stringify(v)}`);
    out[k] = v;
  }
  return out;
}

/** Run one pass on a state (for tests and tools that need one step). */
export function runPass(pass: Pass<any>, state: PipelineState, overrides?: Record<string, OptionValue>): PipelineState {
  return pass.run(state, resolveOptions(pass, overrides));
}

/** Graph IR -> verified kernel IR. The input graph is not modified. */
export function runPipeline(graph: Graph, options: PipelineOptions): KernelModule {
  for (const name of Object.keys(options.passOptions ?? {})) passByName(name);
  let state: PipelineState = { graph, arith: options.arith };
  for (const pass of PASSES) {
    try {
      state = runPass(pass, state, options.passOptions?.[pass.name]);
    } catch (e) {
      // A user's error in the model (an unsupported op or attribute) names the model's file.
      if (e instanceof TinyforgeError && options.file !== undefined && e.where.file === undefined) {
        throw new TinyforgeError(e.message, { ...e.where, file: options.file }, e.hint, e.exitCode);
      }
      throw e;
    }
    options.afterPass?.(pass.name, state);
  }
  if (!state.module) throw new Error('pipeline ended without a kernel module');
  return state.module;
}
