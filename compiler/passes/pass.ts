// What a pass is. Like MLIR's declarative passes, each pass is typed data: a name, a one-line summary,
// the stage it works on, its options (typed, with defaults and descriptions) and a run function. The
// pipeline state carries the graph IR, the arithmetic mode, and, from `lower-to-kernel` on, the kernel
// module being built. Graph passes never mutate the caller's graph: they return a new one.

import type { Graph } from '../ir/graph.ts';
import type { KernelModule } from '../kernel-ir/types.ts';
import type { Arith } from '../quant/multiplier.ts';

export type OptionValue = boolean | number | string;

export interface PassOptionSpec<T extends OptionValue = OptionValue> {
  default: T;
  description: string;
}

export type PassOptionSpecs<O> = { [K in keyof O]: O[K] extends OptionValue ? PassOptionSpec<O[K]> : never };

export interface PipelineState {
  graph: Graph;
  arith: Arith;
  /** Set by the `lower` stage; kernel passes read and update it (the pipeline owns it). */
  module?: KernelModule;
}

export interface Pass<O extends Record<string, OptionValue> = Record<string, OptionValue>> {
  name: string;
  summary: string;
  /** graph: graph IR -> graph IR; lower: graph IR -> kernel IR; kernel: kernel IR -> kernel IR. */
  stage: 'graph' | 'lower' | 'kernel';
  options: PassOptionSpecs<O>;
  run(state: PipelineState, options: O): PipelineState;
}

/** Identity helper that keeps a pass's option type precise at its definition site. */
export function definePass<O extends Record<string, OptionValue>>(p: Pass<O>): Pass<O> {
  return p;
}

/** The kernel module of a state, or an internal error when a kernel pass runs before lowering. */
export function requireModule(state: PipelineState, pass: string): KernelModule {
  if (!state.module) throw new Error(`pass ${pass} needs kernel IR: run lower-to-kernel first`);
  return state.module;
}
