// Stage 4 of the Cortex-M backend, emit: `<name>.h` / `<name>.c` (+ runtime.h) from a kernel module, its
// kernel selection (../stages/select.ts) and its memory plan (../stages/plan.ts); emitModel runs all three.
//   int8_t *<name>_input(int i);  const int8_t *<name>_output(int i);  int <name>_run(void);
//     the zero-copy entry: graph inputs and outputs are ordinary planned buffers of the arena (memory/
//     requests.ts: the input live from before the first op to its last reader, the output to the end), so
//     the application writes input i at <name>_input(i), runs, and reads output i at <name>_output(i); the
//     run overwrites the input (its bytes are reused once consumed), the next input may overwrite the output
//   int <name>_invoke(const int8_t *input, int8_t *output);   the same with the caller's buffers: copies
//     the inputs in, runs, copies the outputs out; inputs / outputs concatenated in order (the pointer types
//     follow the model's edges, ioCType: `const float *input` / `float *output` when every input / output
//     is a float32 edge, `const void *` with raw bytes when the edge types are mixed)
//   void <name>_set_debug_hook(hook, user);                   called after every layer with its output
// Weights are const arrays (flash) in the layout each kernel variant wants; activations and scratch live
// in one static arena placed by the plan stage (../memory/plan.ts, arena.ts; size <NAME>_ARENA_BYTES):
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
import type { ArenaPlan } from '../memory/arena.ts';
import type { MemoryPlan } from '../memory/plan.ts';
import { emitDir } from '../harness/run.ts';
import { daeCopyCall, daeCopyFunction, daeForm, emitDae } from './dae.ts';
import { kernelContext } from './context.ts';
import type { McuTargetInfo, ModalForm, Selection } from './variant.ts';
import { align8, planStage, type Planned } from '../stages/plan.ts';
import { selectStage, type SelectStageOptions } from '../stages/select.ts';
import type { Schedule } from '../stages/search.ts';
export { planFor, planOptions } from '../stages/plan.ts';
export { estimateCodeBytes, estimateLayerFlash } from './flash-estimate.ts';

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
  /** Graph inputs and outputs (`<name>_input(i)`, `<name>_output(i)`, inside the arena). */
  inputCount: number;
  outputCount: number;
  /** Bytes of recurrent state (static `<name>_state`, outside the arena; 0 for a stateless model). */
  stateBytes: number;
  /** Some graph input or output is a float32 edge (the model quantises / dequantises it itself). */
  floatEdges?: boolean;
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
  /** The schedule search behind the selection (chosen point, Pareto front), when the select stage made it. */
  schedule?: Schedule;
  /** The core the C was emitted for (CMakeLists.txt and tinyforge.mk take their -mcpu flags from it). */
  cpu?: McuTargetInfo['cpu'];
}

export function cIdent(name: string): string {
  let s = name.toLowerCase().replace(/[^a-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  if (!s || /^[0-9]/.test(s)) s = 'm_' + s;
  return s;
}

export function runtimeHeader(): string {
  return readFileSync(join(emitDir, 'runtime.h'), 'utf8');
}

/** Options of the select, plan and emit stages together (emitModel runs all three). */
export interface EmitOptions extends SelectStageOptions {
  /** Call `<name>_set_operating_point` (from `<name>_dvfs.h`) at every segment boundary (default false). */
  segmentHooks?: boolean;
  /**
   * Layers another unit runs (op index -> C function `void f(const int8_t *in, [const int8_t *in2, ...] int8_t *out)`,
   * one pointer per op input, declared by the caller's `offloadHeader`): the invoke calls it instead of a kernel
   * variant (cgra-mapper/host/: the layers OpenEdgeCGRA runs, with their host steps, and the host's table ADD).
   * Use with `memory: 'whole'` (no in-place, no split chains).
   */
  offload?: Map<number, string>;
  offloadHeader?: string;
}

/** Select -> plan -> emit in one call (../stages/select.ts, ../stages/plan.ts, emitC). */
export function emitModel(module: KernelModule, target: McuTargetInfo, opts: EmitOptions = {}): EmittedModel {
  const name = cIdent(module.name);
  const sel = selectStage(module, target, name, opts);
  return emitC(module, target, sel, planStage(module, target, sel.variants, name, opts), opts);
}

/**
 * Stage 4, emit: the C of a model from its kernel selection (stage 1) and memory plan (stage 2). It plans
 * and chooses nothing: every offset, in-place loop, split chain and staging buffer comes from `planned`.
 */
export function emitC(module: KernelModule, target: McuTargetInfo, sel: Selection & { schedule?: Schedule }, planned: Planned, opts: Pick<EmitOptions, 'segmentHooks' | 'offload' | 'offloadHeader'> = {}): EmittedModel {
  const name = cIdent(module.name);
  const NAME = name.toUpperCase();
  const { baseScratch, scratch, memory, arena: plan } = planned;
  const dae = { forms: planned.dae, off: planned.daeOff };
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
  // Recurrent state (kind 'state'): persistent, in the static `<name>_state` block, outside the arena.
  const stateOffset = new Map<number, number>();
  let stateBytes = 0;
  for (const b of module.buffers) if (b.kind === 'state') { stateOffset.set(b.id, stateBytes); stateBytes += align8(b.bytes); }
  const ptr = (buf: number) => (stateOffset.has(buf) ? `${name}_state + ${stateOffset.get(buf)}` : `A + ${plan.bufferOffset.get(buf)}`);
  const lastDim = (buf: number) => { const s = module.buffers[buf].shape; return s[s.length - 1]; };
  module.ops.forEach((op, i) => {
    const v = sel.variants[i];
    const fn = `${name}_l${i}`;
    const chain = chainOf.get(i);
    const ip = inPlace.get(i);
    const ext = opts.offload?.get(i);
    if (ext) {
      if (chain || ip) throw new Error(`op ${i}: an offloaded layer cannot run in place or in a split chain (use memory: 'whole')`);
      enter(i, 'execute');
      calls.push(`  TF_MARK(1);\n  ${ext}(${op.inputs.map((b) => ptr(b)).join(', ')}, ${ptr(op.output)});\n  TF_MARK(2);\n  if (${name}_hook) ${name}_hook(${i}, ${ptr(op.output)}, ${module.buffers[op.output].bytes}, ${name}_hook_user);`);
      layers.push({ index: i, name: op.name, kind: op.kind, variant: 'offload', macs: op.macs, constBytes: 0, scratchBytes: 0 });
      return;
    }
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
    const k0 = v.emit(op, kernelContext(module, target, fn, i, mode));
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
  // The graph's inputs and outputs are arena buffers (recurrent state never is an edge): their offsets.
  const edgeOffset = (b: number) => {
    const off = plan.bufferOffset.get(b);
    if (off === undefined || off < 0 || stateOffset.has(b)) throw new Error(`graph edge '${module.buffers[b].name}' has no arena offset`);
    return off;
  };
  const copyIn = module.inputs.map((b) => { const s = `  memcpy(A + ${edgeOffset(b)}, ${at('input', inType, true, inOff)}, ${module.buffers[b].bytes});`; inOff += module.buffers[b].bytes; return s; });
  const copyOut = module.outputs.map((b) => { const s = `  memcpy(${at('output', outType, false, outOff)}, A + ${edgeOffset(b)}, ${module.buffers[b].bytes});`; outOff += module.buffers[b].bytes; return s; });
  const offsetTable = (kind: 'input' | 'output', ids: number[]) => `static const uint32_t ${name}_${kind}_offset[${ids.length}] = { ${ids.map(edgeOffset).join(', ')} };`;
  const edges = (ids: number[]) => ids.map((b) => module.buffers[b].dtype).join(', ');
  const allInt8 = inType === 'int8_t' && outType === 'int8_t';
  const about = allInt8
    ? `/* Runs the network: ${module.inputs.length} input(s) and ${module.outputs.length} output(s), int8, concatenated in order. Returns 0. */`
    : `/* Runs the network: ${module.inputs.length} input(s) (${edges(module.inputs)}) and ${module.outputs.length} output(s) (${edges(module.outputs)}),
 * concatenated in order. float32 edges are plain C floats (IEEE-754 binary32, little-endian): the model quantises
 * its float inputs and dequantises its float outputs itself, bit-exactly as TFLite${module.arith === 'tflm' ? ' Micro' : ''} (QUANTIZE / DEQUANTIZE).
 * ${NAME}_INPUT_BYTES / ${NAME}_OUTPUT_BYTES are sizes in bytes. Returns 0. */`;
  const header = `/* ${module.name}: generated by tinyforge (Cortex-M C backend, arithmetic ${module.arith}). Do not edit.
 *
 * API (C99, no malloc; build with CMakeLists.txt or tinyforge.mk next to this file):
 *   ${name}_init()               call once before the first run (clears the debug hook, resets the state)
 *   ${name}_input(i)             where input i lives, inside the arena (${NAME}_INPUT<i>_BYTES bytes): write it there
 *   ${name}_run()                runs one inference on the input in the arena; returns 0. The run OVERWRITES the
 *                                input (its bytes are reused once the layers reading it are done)
 *   ${name}_output(i)            where output i lives, inside the arena (${NAME}_OUTPUT<i>_BYTES bytes): read it
 *                                after the run, before writing the next input (which may overwrite it)
 *   ${name}_invoke(input, output) the same with the caller's buffers (copies in, runs, copies out; \`input\` is
 *                                not modified); inputs and outputs are concatenated in order: input i starts at
 *                                byte ${NAME}_INPUT<i>_OFFSET of \`input\` (outputs likewise); returns 0
 *   ${name}_reset_state()        resets recurrent state between independent sequences (${NAME}_HAS_STATE
 *                                says whether the model has any; a no-op otherwise)
 *   ${name}_set_debug_hook()     calls a function after every layer with its output tensor (NULL: off)
 * Quantised edges: real = ${NAME}_INPUT<i>_SCALE * (q - ${NAME}_INPUT<i>_ZERO_POINT) (outputs likewise).
 * Memory: the input, the output, activations and scratch live in one static arena of ${NAME}_ARENA_BYTES
 * bytes (aligned to ${NAME}_ARENA_ALIGN) inside ${name}.c; ${name}_invoke's buffers are the caller's, extra.${stateBytes > 0 ? `
 * State: ${NAME}_STATE_BYTES bytes of recurrent state in a static block of ${name}.c outside the arena, kept from
 * one invoke to the next (consecutive invokes are one sequence; ${name}_reset_state() starts a new one).` : ''} */
#ifndef ${NAME}_H
#define ${NAME}_H
#include <stdint.h>

#define ${NAME}_ARENA_BYTES ${Math.max(plan.arenaBytes, 8)}
#define ${NAME}_ARENA_ALIGN 8
#define ${NAME}_INPUT_BYTES ${inOff}
#define ${NAME}_OUTPUT_BYTES ${outOff}
#define ${NAME}_NUM_LAYERS ${module.ops.length}
#define ${NAME}_NUM_INPUTS ${module.inputs.length}
#define ${NAME}_NUM_OUTPUTS ${module.outputs.length}
#define ${NAME}_HAS_STATE ${stateBytes > 0 ? 1 : 0}
${stateBytes > 0 ? `#define ${NAME}_STATE_BYTES ${stateBytes}\n` : ''}${ioMacros(module, NAME, 'INPUT', module.inputs)}
${ioMacros(module, NAME, 'OUTPUT', module.outputs)}

/* Input i (0 <= i < ${NAME}_NUM_INPUTS) inside the arena, ${NAME}_ARENA_ALIGN-aligned: write it, then call
 * ${name}_run(), which overwrites it. NULL for any other i. */
${inType} *${name}_input(int i);

/* Runs the network on the input in the arena (${name}_input). Returns 0. The input is overwritten by the run. */
int ${name}_run(void);

/* Output i (0 <= i < ${NAME}_NUM_OUTPUTS) inside the arena, valid after ${name}_run() until the next input is
 * written (the arena reuses those bytes). NULL for any other i. */
const ${outType} *${name}_output(int i);

${about}
int ${name}_invoke(const ${inType} *input, ${outType} *output);

/* Called after every layer with its output tensor (NULL hook: off). */
typedef void (*${name}_debug_hook_t)(int layer, const int8_t *data, int32_t bytes, void *user);
void ${name}_set_debug_hook(${name}_debug_hook_t hook, void *user);

${stateBytes > 0 ? `/* Resets the recurrent state (${NAME}_STATE_BYTES bytes in the static ${name}_state, outside the arena) to its
 * value before the first invoke (TFLite's ResetVariableTensor: the zero point of int8 state, 0 otherwise).
 * Each invoke reads and updates it, so consecutive invokes are one sequence; call this between sequences. */
void ${name}_reset_state(void);` : `/* Resets the recurrent state (${NAME}_HAS_STATE 0: the model is stateless, every invoke is independent). */
static inline void ${name}_reset_state(void) { }`}

/* Prepares the model: no debug hook, state reset. The arena needs no initialisation. Returns 0. */
static inline int ${name}_init(void)
{
  ${name}_set_debug_hook((${name}_debug_hook_t)0, (void *)0);
  ${name}_reset_state();
  return 0;
}

#endif
`;
  const source = `/* ${module.name}: generated by tinyforge (Cortex-M C backend, arithmetic ${module.arith}). Do not edit.
 * ${module.ops.length} layers, arena ${plan.arenaBytes} bytes (peak at layer ${plan.peakOp}), ${constBytes} bytes of constants. */
#include "${name}.h"
#include "runtime.h"
${opts.segmentHooks ? `#include "${name}_dvfs.h"\n` : ''}${opts.offloadHeader ? `#include "${opts.offloadHeader}"\n` : ''}
static int8_t ${name}_arena[${NAME}_ARENA_BYTES] TF_ALIGN(8);
static ${name}_debug_hook_t ${name}_hook;
static void *${name}_hook_user;

void ${name}_set_debug_hook(${name}_debug_hook_t hook, void *user)
{
  ${name}_hook = hook;
  ${name}_hook_user = user;
}

${data.join('\n')}
${stateBytes > 0 ? stateBlock(module, name, stateOffset, stateBytes) : ''}${dae.forms.some(Boolean) ? daeCopyFunction(name) : ''}${code.join('\n')}
${offsetTable('input', module.inputs)}
${offsetTable('output', module.outputs)}

${inType} *${name}_input(int i)
{
  return i >= 0 && i < ${NAME}_NUM_INPUTS ? (${inType} *)(void *)(${name}_arena + ${name}_input_offset[i]) : (${inType} *)0;
}

const ${outType} *${name}_output(int i)
{
  return i >= 0 && i < ${NAME}_NUM_OUTPUTS ? (const ${outType} *)(const void *)(${name}_arena + ${name}_output_offset[i]) : (const ${outType} *)0;
}

int ${name}_run(void)
{
  int8_t *const A = ${name}_arena;
${stateBytes > 0 ? `  if (!${name}_state_ready) ${name}_reset_state();\n` : ''}  TF_MARK(3);
${calls.join('\n')}
  TF_MARK(4);
  return 0;
}

int ${name}_invoke(const ${inType} *input, ${outType} *output)
{
  int8_t *const A = ${name}_arena;
  int status;
${copyIn.join('\n')}
  status = ${name}_run();
${copyOut.join('\n')}
  return status;
}
`;
  return {
    cname: name, files: { header, source, runtime: runtimeHeader() }, plan, memory, layers, downgrades: sel.downgrades, flashReplacements: sel.flashReplacements,
    inputBytes: inOff, outputBytes: outOff, inputCount: module.inputs.length, outputCount: module.outputs.length, stateBytes, floatEdges: [...module.inputs, ...module.outputs].some((b) => module.buffers[b]!.dtype === 'float32'), inputCType: inType, outputCType: outType, constBytes, segments, daeOff: dae.off, extraFiles: {}, cpu: target.cpu,
    ...(sel.schedule ? { schedule: sel.schedule } : {}),
  };
}


/**
 * The recurrent state: a static block outside the arena (it persists across invokes), one 8-aligned slot
 * per state buffer, and `<name>_reset_state()`, which writes every slot's reset value (KBuffer.stateInit).
 * The first invoke resets it when the program did not (static storage starts at 0, not at the zero point).
 */
function stateBlock(m: KernelModule, name: string, offset: Map<number, number>, bytes: number): string {
  const fills = [...offset].map(([id, off]) => {
    const b = m.buffers[id]!;
    const v = b.stateInit ?? 0;
    if (v !== 0 && b.dtype !== 'int8') throw new Error(`state '${b.name}' (${b.dtype}) resets to ${v}; only int8 state has a non-zero reset value`);
    return `  memset(${name}_state + ${off}, ${v}, ${b.bytes}); /* '${b.name.replace(/\*\//g, '* /')}' ${b.dtype} [${b.shape.join(', ')}] */`;
  });
  return `static int8_t ${name}_state[${bytes}] TF_ALIGN(8);
static int ${name}_state_ready;

void ${name}_reset_state(void)
{
${fills.join('\n')}
  ${name}_state_ready = 1;
}

`;
}

/** Per-edge macros of the header: byte offset and size in the concatenated buffer, shape, quantisation. */
function ioMacros(module: KernelModule, NAME: string, kind: 'INPUT' | 'OUTPUT', ids: number[]): string {
  let off = 0;
  return ids.map((id, i) => {
    const b = module.buffers[id]!;
    const p = `#define ${NAME}_${kind}${i}`;
    const lines = [`/* ${kind.toLowerCase()} ${i}: '${b.name.replace(/\*\//g, '* /')}', ${b.dtype} [${b.shape.join(', ')}] */`,
      `${p}_OFFSET ${off}`, `${p}_BYTES ${b.bytes}`];
    if (b.dtype !== 'float32') lines.push(`${p}_SCALE ${Math.fround(b.scale).toPrecision(9)}f`, `${p}_ZERO_POINT ${b.zeroPoint}`);
    off += b.bytes;
    return lines.join('\n');
  }).join('\n');
}

/** The C element type of the invoke's input or output pointer: the edges' common type, else void (raw bytes). */
export function ioCType(module: KernelModule, ids: number[]): string {
  const types = new Set(ids.map((b) => module.buffers[b]!.dtype));
  if (types.size !== 1) return 'void';
  const t = [...types][0];
  return t === 'float32' ? 'float' : t === 'int16' ? 'int16_t' : t === 'int8' ? 'int8_t' : 'void';
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
