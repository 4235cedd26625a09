// Whole-model C emission: `<name>.h` / `<name>.c` (+ runtime.h) from a kernel module.
//   int <name>_invoke(const int8_t *input, int8_t *output);   inputs / outputs concatenated in order
//     (the pointer types follow the model's edges, ioCType: `const float *input` / `float *output` when every
//     input / output is a float32 edge, `const void *` with raw bytes when the edge types are mixed)
//   void <name>_set_debug_hook(hook, user);                   called after every layer with its output
// Weights are const arrays (flash) in the layout each kernel variant wants; activations and scratch live
// in one static arena placed by the memory planner (../memory/plan.ts, arena.ts; size <NAME>_ARENA_BYTES):
// ops the plan runs in place write their output rows through a small delay buffer over their input, and
// channel-split chains (partial execution) run as one loop over channel slices. Each layer's kernel
// call is bracketed by TF_MARK(1) / TF_MARK(2), the whole invoke by TF_MARK(3) / TF_MARK(4) (the
// QEMU icount plugin's marker protocol, ../harness/README.md). C99, no malloc, only memcpy/memset.
// With `dae`, layers with constants run decoupled access-execute (./dae.ts): the access segment (copy of
// the constant block to SRAM, a staging buffer added to the layer's scratch) is bracketed by TF_MARK(5) /
// TF_MARK(6) before the layer's pair; it is turned off per layer while the staging buffer would break the
// arena budget, inside channel-split chains, and (with 'auto') where the layer uses its constants about
// once. With `segmentHooks`, the invoke calls `<name>_set_operating_point` (declared in `<name>_dvfs.h`,
// ../dvfs/emit.ts) before every segment, each call bracketed by TF_MARK(7) / TF_MARK(8).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelModule, KernelOp } from '../../compiler/kernel-ir/types.ts';
import { ARENA_ALIGN, arenaFromPlan, type ArenaPlan } from '../memory/arena.ts';
import type { SplitChain } from '../memory/partial.ts';
import { planForBudget, planMemory, type MemoryPlan, type MemorySchedule, type PlanOptions } from '../memory/plan.ts';
import { emitDir } from '../harness/run.ts';
import { VARIANTS } from './registry.ts';
import { daeCopyCall, daeCopyFunction, daeForm, emitDae, type DaeForm } from './dae.ts';
import { overlays, selectVariants, type AnyVariant, type EmitContext, type EmittedKernel, type McuTargetInfo, type ModalForm, type Selection } from './variant.ts';

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
  /** The memory planner's plan behind `plan` (requests, placement, live curve). */
  memory: MemoryPlan;
  layers: EmittedLayer[];
  downgrades: Selection['downgrades'];
  /** Replacements made to fit the flash budget (EmitOptions.flashBudget). */
  flashReplacements: Selection['flashReplacements'];
  inputBytes: number;
  outputBytes: number;
  /** C element type of `<name>_invoke`'s input and output pointers (ioCType). */
  inputCType: string;
  outputCType: string;
  constBytes: number;
  /** Segments in invoke order (one execute per layer, an access before each DAE layer). */
  segments: EmittedSegment[];
  /** Layers that would run DAE but do not: which and why (sram budget, split chain, constants used once). */
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
  /**
   * Memory schedule. 'auto' (default): in-place execution wherever the chosen kernels allow it, channel-
   * split partial execution only when over arenaBudget. 'partial': always split chains for the least
   * peak. 'whole': whole tensors, no in-place (best-fit placement only).
   */
  memory?: MemorySchedule;
  /** Tests: run exactly these split chains (those the chosen kernels can split), in place elsewhere. */
  splits?: SplitChain[];
  /** Decoupled access-execute: every layer with constants (true), those that reuse their constants
   *  ('auto': more MACs than staged bytes; a layer using each constant about once, such as a fully
   *  connected layer, only gains flash traffic from the copy), or none (false, the default). */
  dae?: boolean | 'auto';
  /**
   * Flash bytes the layers may take (constants + code of every layer function; the caller subtracts the
   * runtime, invoke and startup code). Over it, variants are replaced by leaner ones (variant.ts).
   */
  flashBudget?: number;
  /** Flash bytes of variant v on op i (default: `estimateLayerFlash`); e.g. measured by the build. */
  flashCost?: (op: number, v: AnyVariant) => number;
  /** Call `<name>_set_operating_point` (from `<name>_dvfs.h`) at every segment boundary (default false). */
  segmentHooks?: boolean;
}

/** Kernel kinds whose in-place form is element-wise (output over a same-shape input, memory/inplace.ts). */
const ELEMENTWISE_KINDS = new Set<KernelOp['kind']>(['add', 'binary', 'lut', 'prelu']);

/** What the planner needs to know about the chosen kernels. */
export function planOptions(module: KernelModule, vs: readonly AnyVariant[]): PlanOptions {
  return {
    scratch: module.ops.map((op, i) => vs[i]!.scratchBytes(op)),
    canInPlace: (i) => (ELEMENTWISE_KINDS.has(module.ops[i]!.kind) ? vs[i]!.modes?.elementwise === true : vs[i]!.modes?.rows === true || overlays(vs[i]!, module.ops[i]!)),
    canSplit: (i) => vs[i]!.modes?.slice === true,
    prepass: (i) => overlays(vs[i]!, module.ops[i]!),
    align: ARENA_ALIGN,
  };
}

/**
 * The memory plan for a choice of kernels (memory/plan.ts planForBudget). Under a budget the cheaper
 * memory schedule comes first: in-place execution costs one row copy per output row and partial execution
 * a few loop instructions per slice (bench/results/memory.json: well under 1% of a model), while a leaner
 * kernel costs 2-3x the layer's instructions; so selectVariants (variant.ts) swaps kernels only while
 * even the split schedule is over the budget, and each swap makes its op eligible for in-place and split
 * execution (the lean kernels have the modal form).
 */
export function planFor(module: KernelModule, vs: readonly AnyVariant[], memory: MemorySchedule | undefined, budget?: number, splits?: SplitChain[], extraScratch?: readonly number[]): MemoryPlan {
  const o = planOptions(module, vs);
  if (extraScratch) o.scratch = o.scratch!.map((b, i) => (extraScratch[i] ? align8(b) + extraScratch[i]! : b));
  if (splits) return planMemory(module, 'planner+partial', splits.filter((c) => c.ops.every((i) => o.canSplit!(i))), o);
  return planForBudget(module, budget, o, memory);
}

export function emitModel(module: KernelModule, target: McuTargetInfo, opts: EmitOptions = {}): EmittedModel {
  const table = opts.table ?? VARIANTS;
  const name = cIdent(module.name);
  const NAME = name.toUpperCase();
  const sel = selectVariants(module, table, target, (vs) => {
    const p = planFor(module, vs, opts.memory, opts.arenaBudget, opts.splits);
    return { peak: p.peak, liveByOp: p.live };
  }, opts.arenaBudget, opts.flashBudget === undefined ? undefined
    : { budget: opts.flashBudget, cost: opts.flashCost ?? ((i, v) => estimateLayerFlash(module, target, name, i, v)) });
  const baseScratch = module.ops.map((op, i) => sel.variants[i].scratchBytes(op));
  const dae = chooseDae(module, target, sel.variants, name, opts);
  const scratch = baseScratch.map((b, i) => (dae.forms[i] ? align8(b) + dae.forms[i]!.stageBytes : b));
  const memory = dae.memory;
  const plan = arenaFromPlan(module, memory);
  const inPlace = new Map(plan.inPlace.map((ip) => [ip.op, ip]));
  const chainOf = new Map(plan.chains.flatMap((c) => c.ops.map((o) => [o, c] as const)));

  const data: string[] = [];
  const code: string[] = [];
  const calls: string[] = [];
  const layers: EmittedLayer[] = [];
  const segments: EmittedSegment[] = [];
  const enter = (layer: number, kind: EmittedSegment['kind']) => {
    if (opts.segmentHooks) calls.push(`  TF_MARK(7);\n  ${NAME}_DVFS_ENTER(${segments.length});\n  TF_MARK(8);`);
    segments.push({ layer, kind });
  };
  let constBytes = 0;
  const ptr = (buf: number) => `A + ${plan.bufferOffset.get(buf)}`;
  const lastDim = (buf: number) => { const s = module.buffers[buf].shape; return s[s.length - 1]; };
  module.ops.forEach((op, i) => {
    const v = sel.variants[i];
    const fn = `${name}_l${i}`;
    const chain = chainOf.get(i);
    const ip = inPlace.get(i);
    // Modal form: whole channels for an in-place op; a slice of width C / split inside a chain, read from
    // (written to) the full tensor at the chain's ends, from (to) a slice buffer in between.
    let mode: ModalForm | undefined;
    if (chain) {
      const W = chain.channels / chain.split;
      const first = chain.ops[0] === i, last = chain.ops[chain.ops.length - 1] === i;
      mode = { width: W, inStride: first ? lastDim(op.inputs[0]) : W, outStride: last ? lastDim(op.output) : W };
    } else if (ip && (ip.direction === 'forward' || ip.direction === 'backward')) {
      mode = { width: lastDim(op.output), inStride: lastDim(op.inputs[0]), outStride: lastDim(op.output) };
    }
    const k0 = v.emit(op, contextOf(module, target, fn, i, mode));
    const form = dae.forms[i];
    const stage = form ? `${name}_arena + ${plan.scratchOffset[i] + align8(baseScratch[i])}` : '';
    if (form) {
      const again = daeForm(k0);
      if ('reason' in again || again.stageBytes !== form.stageBytes) throw new Error(`op ${i}: constant block changed with the memory schedule`);
    }
    const k1 = form ? emitDae(fn, k0, form, stage) : k0;
    // Layer functions stay out of line: inlined into one huge invoke (and into the in-place / slice
    // loops) gcc's register allocation got worse by up to 65% per layer (resnet conv, QEMU M4); out of
    // line every layer is as fast or faster (bench/results/memory.json).
    const k = { ...k1, code: k1.code.replace(`static void ${fn}(`, `__attribute__((noinline)) static void ${fn}(`) };
    const rows = ip && (ip.direction === 'forward' || ip.direction === 'backward');
    const how = (chain ? `, channel slices of ${chain.channels / chain.split}` : ip ? `, in place (${ip.direction}${rows ? `, ${ip.delay + 1} delay row(s)` : ''})` : '') +
      (form ? ', decoupled access-execute' : '');
    data.push(`/* layer ${i}: ${op.name} (${op.kind}, ${v.name}${form ? ', decoupled access-execute' : ''}) */\n${k.data}`);
    code.push(`/* layer ${i}: ${op.name} (${op.kind}, ${v.name}${how}) */\n${k.code}`);
    const outBytes = module.buffers[op.output].bytes;
    if (form) {
      enter(i, 'access');
      calls.push(`  TF_MARK(5);\n  ${daeCopyCall(name, fn, stage, form)}\n  TF_MARK(6);`);
    }
    enter(i, 'execute');
    const hook = `\n  if (${name}_hook) ${name}_hook(${i}, ${ptr(op.output)}, ${outBytes}, ${name}_hook_user);`;
    if (chain && chain.ops[0] === i) {
      calls.push(`  TF_MARK(1);\n${chainLoop(module, chain, name, plan, baseScratch)}\n  TF_MARK(2);`);
    } else if (chain) {
      // Ran inside the producer's slice loop: an empty marker pair keeps one pair per layer; only the
      // chain's last op has a whole output tensor for the debug hook.
      calls.push(`  TF_MARK(1);\n  TF_MARK(2);${chain.ops[chain.ops.length - 1] === i ? hook : ''}`);
    } else if (ip && (ip.direction === 'forward' || ip.direction === 'backward')) {
      calls.push(`  TF_MARK(1);\n${inPlaceLoop(module, i, ip.direction, ip.delay, fn, plan, baseScratch[i] > 0 ? `, A + ${plan.scratchOffset[i]}` : '')}\n  TF_MARK(2);${hook}`);
    } else {
      const args = [...op.inputs.map(ptr), ptr(op.output)];
      if (baseScratch[i] > 0) args.push(`A + ${plan.scratchOffset[i]}`);
      calls.push(`  TF_MARK(1);\n  ${fn}(${args.join(', ')});\n  TF_MARK(2);${hook}`);
    }
    constBytes += k.constBytes;
    layers.push({ index: i, name: op.name, kind: op.kind, variant: v.name, macs: op.macs, constBytes: k.constBytes, scratchBytes: scratch[i], estimate: v.estimate?.(op),
      ...(form ? { dae: { stageBytes: form.stageBytes } } : {}) });
  });

  let inOff = 0, outOff = 0;
  const inType = ioCType(module, module.inputs), outType = ioCType(module, module.outputs);
  // Offsets are in bytes: through a byte pointer unless the edge type is int8_t (the int8 models' C is unchanged).
  const at = (p: string, type: string, c: boolean, off: number) => (type === 'int8_t' ? `${p} + ${off}` : `(${c ? 'const ' : ''}uint8_t *)${p} + ${off}`);
  const copyIn = module.inputs.map((b) => { const s = `  memcpy(${ptr(b)}, ${at('input', inType, true, inOff)}, ${module.buffers[b].bytes});`; inOff += module.buffers[b].bytes; return s; });
  const copyOut = module.outputs.map((b) => { const s = `  memcpy(${at('output', outType, false, outOff)}, ${ptr(b)}, ${module.buffers[b].bytes});`; outOff += module.buffers[b].bytes; return s; });
  const edges = (ids: number[]) => ids.map((b) => module.buffers[b].dtype).join(', ');
  const allInt8 = inType === 'int8_t' && outType === 'int8_t';
  const about = allInt8
    ? `/* Runs the network: ${module.inputs.length} input(s) and ${module.outputs.length} output(s), int8, concatenated in order. Returns 0. */`
    : `/* Runs the network: ${module.inputs.length} input(s) (${edges(module.inputs)}) and ${module.outputs.length} output(s) (${edges(module.outputs)}),
 * concatenated in order. float32 edges are plain C floats (IEEE-754 binary32, little-endian): the model quantises
 * its float inputs and dequantises its float outputs itself, bit-exactly as TFLite${module.arith === 'tflm' ? ' Micro' : ''} (QUANTIZE / DEQUANTIZE).
 * ${NAME}_INPUT_BYTES / ${NAME}_OUTPUT_BYTES are sizes in bytes. Returns 0. */`;
  const header = `/* ${module.name}: generated by tinyforge (Cortex-M C backend, arithmetic ${module.arith}). Do not edit. */
#ifndef ${NAME}_H
#define ${NAME}_H
#include <stdint.h>

#define ${NAME}_ARENA_BYTES ${Math.max(plan.arenaBytes, 8)}
#define ${NAME}_INPUT_BYTES ${inOff}
#define ${NAME}_OUTPUT_BYTES ${outOff}
#define ${NAME}_NUM_LAYERS ${module.ops.length}

${about}
int ${name}_invoke(const ${inType} *input, ${outType} *output);

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
int ${name}_invoke(const ${inType} *input, ${outType} *output)
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
    cname: name, files: { header, source, runtime: runtimeHeader() }, plan, memory, layers, downgrades: sel.downgrades, flashReplacements: sel.flashReplacements,
    inputBytes: inOff, outputBytes: outOff, inputCType: inType, outputCType: outType, constBytes, segments, daeOff: dae.off, extraFiles: {},
  };
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** The C element type of the invoke's input or output pointer: the edges' common type, else void (raw bytes). */
export function ioCType(module: KernelModule, ids: number[]): string {
  const types = new Set(ids.map((b) => module.buffers[b]!.dtype));
  if (types.size !== 1) return 'void';
  const t = [...types][0];
  return t === 'float32' ? 'float' : t === 'int16' ? 'int16_t' : t === 'int8' ? 'int8_t' : 'void';
}

/**
 * Code bytes of a layer's C, estimated from its text: 0.12 bytes of Thumb-2 per character (whitespace
 * runs counted as one). Calibrated on vww's layer functions with arm-none-eabi-gcc -O2 -mcpu=cortex-m4
 * (nm sizes minus constants: 0.09-0.13 per character for the generated fast and generic kernels; lower
 * where gcc shares code between identical layers, so this errs high). The build measures instead when
 * the toolchain is there (build.ts); this is the fallback and the cost of not-yet-measured variants.
 */
export function estimateCodeBytes(code: string): number {
  return Math.max(32, Math.round(0.12 * code.replace(/\s+/g, ' ').length));
}

const flashMemo = new WeakMap<KernelModule, Map<string, number>>();
/** Constants (as the variant emits them) + estimated code bytes of variant v on op i (memoised per module). */
export function estimateLayerFlash(module: KernelModule, target: McuTargetInfo, name: string, i: number, v: AnyVariant): number {
  const memo = flashMemo.get(module) ?? flashMemo.set(module, new Map()).get(module)!;
  const key = `${target.cpu}:${i}:${v.name}`;
  let b = memo.get(key);
  if (b === undefined) {
    const k = v.emit(module.ops[i]!, contextOf(module, target, `${name}_l${i}`, i)) as EmittedKernel;
    b = k.constBytes + estimateCodeBytes(k.code);
    memo.set(key, b);
  }
  return b;
}

function contextOf(module: KernelModule, target: McuTargetInfo, fn: string, i: number, mode?: ModalForm): EmitContext {
  return {
    module, target, arith: module.arith, fn, mode,
    konst: (id) => module.consts.find((c) => c.id === id) ?? raise(`op ${i}: const ${id} not found`),
    buffer: (id) => module.buffers[id] ?? raise(`op ${i}: buffer ${id} not found`),
  };
}

/**
 * Which layers run decoupled access-execute, and the memory plan with their staging buffers: every layer
 * with constants when `opts.dae` (with 'auto': those using them more than once), then repeatedly: a
 * layer in a channel-split chain goes back to reading its constants from flash (the chain interleaves
 * its ops per slice), and while the arena exceeds the budget, so does the decoupled layer at its peak.
 */
function chooseDae(module: KernelModule, target: McuTargetInfo, vs: readonly AnyVariant[], name: string, opts: EmitOptions):
  { forms: Array<DaeForm | undefined>; off: EmittedModel['daeOff']; memory: MemoryPlan } {
  const off: EmittedModel['daeOff'] = [];
  const plan0 = planFor(module, vs, opts.memory, opts.arenaBudget, opts.splits);
  const forms: Array<DaeForm | undefined> = module.ops.map((op, i) => {
    if (!opts.dae) return undefined;
    // The constant block does not depend on the modal form: emit the plain kernel to lay it out.
    const f = daeForm(vs[i]!.emit(op, contextOf(module, target, `${name}_l${i}`, i)) as EmittedKernel);
    if ('reason' in f) {
      if (f.reason !== 'no constants') off.push({ op: i, opName: op.name, reason: f.reason });
      return undefined;
    }
    if (opts.dae === 'auto' && op.macs <= f.stageBytes) {
      off.push({ op: i, opName: op.name, reason: `constants used about once (${op.macs} MACs for ${f.stageBytes} B staged): a copy would only add flash traffic` });
      return undefined;
    }
    return f;
  });
  if (!forms.some(Boolean)) return { forms, off, memory: plan0 };
  for (;;) {
    const memory = planFor(module, vs, opts.memory, opts.arenaBudget, opts.splits, forms.map((f) => f?.stageBytes ?? 0));
    const inChain = memory.chains.flatMap((c) => c.ops).filter((o) => forms[o]);
    for (const o of inChain) {
      off.push({ op: o, opName: module.ops[o]!.name, reason: 'runs inside a channel-split chain' });
      forms[o] = undefined;
    }
    if (inChain.length) continue;
    const plan = arenaFromPlan(module, memory);
    const f = forms[plan.peakOp];
    if (opts.arenaBudget === undefined || plan.arenaBytes <= opts.arenaBudget || !f) return { forms, off, memory };
    off.push({ op: plan.peakOp, opName: module.ops[plan.peakOp]!.name, reason: `sram budget: its ${f.stageBytes} B staging buffer would raise the arena to ${plan.arenaBytes} B (budget ${opts.arenaBudget} B)` });
    forms[plan.peakOp] = undefined;
  }
}

/**
 * An in-place op: output rows go to a ring of delay + 1 rows and are copied over the input (same arena
 * offset) `delay` rows later, forward or backward (memory/inplace.ts proves the order never overwrites
 * input rows still to be read).
 */
function inPlaceLoop(m: KernelModule, i: number, dir: 'forward' | 'backward', delay: number, fn: string, plan: ArenaPlan, scratchArg = ''): string {
  const op = m.ops[i];
  const outShape = m.buffers[op.output].shape;
  const H = outShape[1], R = m.buffers[op.output].bytes / H, D = delay + 1;
  const io = plan.bufferOffset.get(op.output)!;
  if (plan.bufferOffset.get(op.inputs[0]) !== io) throw new Error(`op ${i}: in-place output and input at different offsets`);
  const ring = `A + ${plan.delayOffset[i]}`;
  const slot = (row: string) => (D === 1 ? ring : `${ring} + ((${row}) % ${D}) * ${R}`);
  if (dir === 'forward') {
    return `  for (int oy = 0; oy < ${H}; oy++) {
    ${fn}(A + ${io}, ${slot('oy')}, oy, oy + 1, 0${scratchArg});
    if (oy >= ${delay}) memcpy(A + ${io} + (oy - ${delay}) * ${R}, ${slot(`oy - ${delay}`)}, ${R});
  }` + (delay > 0 ? `
  for (int oy = ${Math.max(0, H - delay)}; oy < ${H}; oy++) memcpy(A + ${io} + oy * ${R}, ${slot('oy')}, ${R});` : '');
  }
  return `  for (int oy = ${H - 1}; oy >= 0; oy--) {
    ${fn}(A + ${io}, ${slot('oy')}, oy, oy + 1, 0${scratchArg});
    if (oy + ${delay} < ${H}) memcpy(A + ${io} + (oy + ${delay}) * ${R}, ${slot(`oy + ${delay}`)}, ${R});
  }` + (delay > 0 ? `
  for (int oy = ${Math.min(delay, H) - 1}; oy >= 0; oy--) memcpy(A + ${io} + oy * ${R}, ${slot('oy')}, ${R});` : '');
}

/**
 * A split chain (partial execution): per slice of output channels [c0, c0 + W), the producer computes
 * its slice from its whole input, each channel-wise consumer maps slice to slice, the last op writes its
 * slice into the full output at channel c0.
 */
function chainLoop(m: KernelModule, chain: { ops: number[]; channels: number; split: number }, name: string, plan: ArenaPlan, scratch: readonly number[]): string {
  const W = chain.channels / chain.split;
  const lines = chain.ops.map((o, k) => {
    const op = m.ops[o];
    const first = k === 0, last = k === chain.ops.length - 1;
    const inOff = plan.bufferOffset.get(op.inputs[0])!;
    // A convolution producer reads every input channel; a channel-wise producer reads its slice.
    const inPtr = first ? (op.kind === 'conv2d' ? `A + ${inOff}` : `A + ${inOff} + c0`) : `A + ${inOff}`;
    const outPtr = `A + ${plan.bufferOffset.get(op.output)!}${last ? ' + c0' : ''}`;
    const H = m.buffers[op.output].shape[1];
    return `    ${name}_l${o}(${inPtr}, ${outPtr}, 0, ${H}, c0${scratch[o]! > 0 ? `, A + ${plan.scratchOffset[o]}` : ''});`;
  });
  return `  for (int c0 = 0; c0 < ${chain.channels}; c0 += ${W}) {\n${lines.join('\n')}\n  }`;
}

function raise(msg: string): never {
  throw new Error(msg);
}
