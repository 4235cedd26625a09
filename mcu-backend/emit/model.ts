// Whole-model C emission: `<name>.h` / `<name>.c` (+ runtime.h) from a kernel module.
//   int <name>_invoke(const int8_t *input, int8_t *output);   inputs / outputs concatenated in order
//   void <name>_set_debug_hook(hook, user);                   called after every layer with its output
// Weights are const arrays (flash) in the layout each kernel variant wants; activations and scratch live
// in one static arena planned by ../memory/arena.ts (size: <NAME>_ARENA_BYTES). Each layer's kernel
// call is bracketed by TF_MARK(1) / TF_MARK(2), the whole invoke by TF_MARK(3) / TF_MARK(4) (the
// QEMU icount plugin's marker protocol, ../harness/README.md). C99, no malloc, only memcpy/memset.
// With `dae`, layers with constants run decoupled access-execute (./dae.ts): the access segment (copy of
// the constant block to SRAM) is bracketed by TF_MARK(5) / TF_MARK(6) before the layer's pair; it is
// turned off per layer while the staging buffer would break the arena budget (and, with 'auto', where
// the layer uses its constants about once). With `segmentHooks`, the
// invoke calls `<name>_set_operating_point` (declared in `<name>_dvfs.h`, ../dvfs/emit.ts) before every
// segment, each call bracketed by TF_MARK(7) / TF_MARK(8).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelModule, KernelOp } from '../../compiler/kernel-ir/types.ts';
import { planArena, type ArenaPlan } from '../memory/arena.ts';
import { emitDir } from '../harness/run.ts';
import { VARIANTS } from './registry.ts';
import { daeCopyCall, daeCopyFunction, daeForm, emitDae, type DaeForm } from './dae.ts';
import { selectVariants, type AnyVariant, type EmitContext, type EmittedKernel, type McuTargetInfo, type Selection } from './variant.ts';

export interface EmittedLayer {
  index: number;
  name: string;
  kind: KernelOp['kind'];
  variant: string;
  macs: number;
  constBytes: number;
  scratchBytes: number;
  estimate?: { instructions: number; loads: number };
  /** Decoupled access-execute: bytes copied to SRAM by the access segment (then constBytes = the block). */
  dae?: { stageBytes: number };
}

/** A DVFS segment of the invoke, in execution order (index = position in the plan). */
export interface EmittedSegment { layer: number; kind: 'access' | 'execute' }

export interface EmittedModel {
  /** C identifier of the model (prefix of every public symbol). */
  cname: string;
  files: { header: string; source: string; runtime: string };
  plan: ArenaPlan;
  layers: EmittedLayer[];
  downgrades: Selection['downgrades'];
  inputBytes: number;
  outputBytes: number;
  constBytes: number;
  /** Segments in invoke order (one execute per layer, an access before each DAE layer). */
  segments: EmittedSegment[];
  /** Layers that would run DAE but do not: which and why (sram budget, constant layout). */
  daeOff: Array<{ op: number; opName: string; reason: string }>;
  /** Further files written next to the model (name -> text; `.c` ones are compiled with it). */
  extraFiles: Record<string, string>;
}

export function cIdent(name: string): string {
  let s = name.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (!s || /^[0-9]/.test(s)) s = 'm_' + s;
  return s;
}

export function runtimeHeader(): string {
  return readFileSync(join(emitDir, 'runtime.h'), 'utf8');
}

export interface EmitOptions {
  table?: readonly AnyVariant[];
  /** Bytes of SRAM the arena may use (the sram budget minus the program's other RAM). */
  arenaBudget?: number;
  /** Decoupled access-execute: every layer with constants (true), those that reuse their constants
   *  ('auto': more MACs than staged bytes; a layer using each constant about once, such as a fully
   *  connected layer, only gains flash traffic from the copy), or none (false, the default). */
  dae?: boolean | 'auto';
  /** Call `<name>_set_operating_point` (from `<name>_dvfs.h`) at every segment boundary (default false). */
  segmentHooks?: boolean;
}

export function emitModel(module: KernelModule, target: McuTargetInfo, opts: EmitOptions = {}): EmittedModel {
  const table = opts.table ?? VARIANTS;
  const name = cIdent(module.name);
  const NAME = name.toUpperCase();
  const sel = selectVariants(module, table, target, (scratch) => {
    const p = planArena(module, scratch);
    return { peak: p.arenaBytes, liveByOp: p.liveByOp };
  }, opts.arenaBudget);
  const baseScratch = module.ops.map((op, i) => sel.variants[i].scratchBytes(op));
  const kernels = module.ops.map((op, i) => sel.variants[i].emit(op, contextOf(module, target, `${name}_l${i}`, i)));
  const dae = chooseDae(module, kernels, baseScratch, opts);
  const scratch = baseScratch.map((b, i) => (dae.forms[i] ? align8(b) + dae.forms[i]!.stageBytes : b));
  const plan = planArena(module, scratch);

  const data: string[] = [];
  const code: string[] = [];
  const calls: string[] = [];
  const layers: EmittedLayer[] = [];
  const segments: EmittedSegment[] = [];
  let constBytes = 0;
  const ptr = (buf: number) => `A + ${plan.bufferOffset.get(buf)}`;
  const enter = (layer: number, kind: EmittedSegment['kind']) => {
    if (opts.segmentHooks) calls.push(`  TF_MARK(7);\n  ${NAME}_DVFS_ENTER(${segments.length});\n  TF_MARK(8);`);
    segments.push({ layer, kind });
  };
  module.ops.forEach((op, i) => {
    const v = sel.variants[i];
    const fn = `${name}_l${i}`;
    const form = dae.forms[i];
    const stage = form ? `${name}_arena + ${plan.scratchOffset[i] + align8(baseScratch[i])}` : '';
    const k = form ? emitDae(fn, kernels[i], form, stage) : kernels[i];
    const label = `/* layer ${i}: ${op.name} (${op.kind}, ${v.name}${form ? ', decoupled access-execute' : ''}) */`;
    data.push(`${label}\n${k.data}`);
    code.push(`${label}\n${k.code}`);
    const args = [...op.inputs.map(ptr), ptr(op.output)];
    if (baseScratch[i] > 0) args.push(`A + ${plan.scratchOffset[i]}`);
    const outBytes = module.buffers[op.output].bytes;
    if (form) {
      enter(i, 'access');
      calls.push(`  TF_MARK(5);\n  ${daeCopyCall(name, fn, stage, form)}\n  TF_MARK(6);`);
    }
    enter(i, 'execute');
    calls.push(`  TF_MARK(1);\n  ${fn}(${args.join(', ')});\n  TF_MARK(2);\n  if (${name}_hook) ${name}_hook(${i}, ${ptr(op.output)}, ${outBytes}, ${name}_hook_user);`);
    constBytes += k.constBytes;
    layers.push({ index: i, name: op.name, kind: op.kind, variant: v.name, macs: op.macs, constBytes: k.constBytes, scratchBytes: scratch[i], estimate: v.estimate?.(op),
      ...(form ? { dae: { stageBytes: form.stageBytes } } : {}) });
  });

  let inOff = 0, outOff = 0;
  const copyIn = module.inputs.map((b) => { const s = `  memcpy(${ptr(b)}, input + ${inOff}, ${module.buffers[b].bytes});`; inOff += module.buffers[b].bytes; return s; });
  const copyOut = module.outputs.map((b) => { const s = `  memcpy(output + ${outOff}, ${ptr(b)}, ${module.buffers[b].bytes});`; outOff += module.buffers[b].bytes; return s; });
  const header = `/* ${module.name}: generated by tinyforge (Cortex-M C backend, arithmetic ${module.arith}). Do not edit. */
#ifndef ${NAME}_H
#define ${NAME}_H
#include <stdint.h>

#define ${NAME}_ARENA_BYTES ${Math.max(plan.arenaBytes, 8)}
#define ${NAME}_INPUT_BYTES ${inOff}
#define ${NAME}_OUTPUT_BYTES ${outOff}
#define ${NAME}_NUM_LAYERS ${module.ops.length}

/* Runs the network: ${module.inputs.length} input(s) and ${module.outputs.length} output(s), int8, concatenated in order. Returns 0. */
int ${name}_invoke(const int8_t *input, int8_t *output);

/* Called after every layer with its output tensor (NULL hook: off). */
typedef void (*${name}_debug_hook_t)(int layer, const int8_t *data, int32_t bytes, void *user);
void ${name}_set_debug_hook(${name}_debug_hook_t hook, void *user);

#endif
`;
  const source = `/* ${module.name}: generated by tinyforge (Cortex-M C backend, arithmetic ${module.arith}). Do not edit.
 * ${module.ops.length} layers, arena ${plan.arenaBytes} bytes (peak at layer ${plan.peakOp}), ${constBytes} bytes of constants. */
#include "${name}.h"
#include "runtime.h"
${opts.segmentHooks ? `#include "${name}_dvfs.h"\n` : ''}
static int8_t ${name}_arena[${NAME}_ARENA_BYTES] TF_ALIGN(8);
static ${name}_debug_hook_t ${name}_hook;
static void *${name}_hook_user;

void ${name}_set_debug_hook(${name}_debug_hook_t hook, void *user)
{
  ${name}_hook = hook;
  ${name}_hook_user = user;
}

${data.join('\n')}
${dae.forms.some(Boolean) ? daeCopyFunction(name) : ''}${code.join('\n')}
int ${name}_invoke(const int8_t *input, int8_t *output)
{
  int8_t *const A = ${name}_arena;
${copyIn.join('\n')}
  TF_MARK(3);
${calls.join('\n')}
  TF_MARK(4);
${copyOut.join('\n')}
  return 0;
}
`;
  return {
    cname: name, files: { header, source, runtime: runtimeHeader() }, plan, layers, downgrades: sel.downgrades,
    inputBytes: inOff, outputBytes: outOff, constBytes, segments, daeOff: dae.off, extraFiles: {},
  };
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

function contextOf(module: KernelModule, target: McuTargetInfo, fn: string, i: number): EmitContext {
  return {
    module, target, arith: module.arith, fn,
    konst: (id) => module.consts.find((c) => c.id === id) ?? raise(`op ${i}: const ${id} not found`),
    buffer: (id) => module.buffers[id] ?? raise(`op ${i}: buffer ${id} not found`),
  };
}

/**
 * Which layers run decoupled access-execute: every layer with constants when `opts.dae`, then, while the
 * arena with the staging buffers exceeds the budget and the layer at its peak is decoupled, that layer
 * goes back to reading its constants from flash (recorded in `off`).
 */
function chooseDae(module: KernelModule, kernels: EmittedKernel[], baseScratch: number[], opts: EmitOptions): { forms: Array<DaeForm | undefined>; off: EmittedModel['daeOff'] } {
  const off: EmittedModel['daeOff'] = [];
  const forms: Array<DaeForm | undefined> = kernels.map((k, i) => {
    if (!opts.dae) return undefined;
    const f = daeForm(k);
    if ('reason' in f) {
      if (f.reason !== 'no constants') off.push({ op: i, opName: module.ops[i].name, reason: f.reason });
      return undefined;
    }
    const op = module.ops[i];
    if (opts.dae === 'auto' && op.macs <= f.stageBytes) {
      off.push({ op: i, opName: op.name, reason: `constants used about once (${op.macs} MACs for ${f.stageBytes} B staged): a copy would only add flash traffic` });
      return undefined;
    }
    return f;
  });
  if (opts.arenaBudget === undefined) return { forms, off };
  for (;;) {
    const p = planArena(module, baseScratch.map((b, i) => (forms[i] ? align8(b) + forms[i]!.stageBytes : b)));
    const f = forms[p.peakOp];
    if (p.arenaBytes <= opts.arenaBudget || !f) break;
    off.push({ op: p.peakOp, opName: module.ops[p.peakOp].name, reason: `sram budget: its ${f.stageBytes} B staging buffer would raise the arena to ${p.arenaBytes} B (budget ${opts.arenaBudget} B)` });
    forms[p.peakOp] = undefined;
  }
  return { forms, off };
}

function raise(msg: string): never {
  throw new Error(msg);
}
