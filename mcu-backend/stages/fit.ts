// Stage 3 of the Cortex-M backend, fit: the program against the flash and sram budgets. The emitted model
// is compiled with a minimal main (tf_size_main.c: the zero-copy entry, its input and output inside the
// arena, so the RAM is arena + stack + statics) and measured with arm-none-eabi-size; while over the
// flash budget, each layer's measured bytes (arm-none-eabi-nm -S) price its variant, variants not built
// yet are priced by their emitted C (../emit/flash-estimate.ts), and the selection is made again with
// those costs (select -> plan -> emit, the caller's `emit`) and measured again, up to 5 rounds (a selection
// the costs say fits but the measured program does not: again with the layers' budget lowered by the
// overshoot; once it fits, one more search with the measured bytes, kept when faster and within the
// budget: the estimates err high). Over the sram budget with more RAM beside the arena than the arena budget foresaw, the arena
// is planned again for what is left. Then both budgets are checked; a miss is a TinyforgeError naming the budget, the need and
// the largest contributors. Without the toolchain the figures are estimates.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import type { EmittedModel } from '../emit/model.ts';
import { estimateLayerFlash } from '../emit/flash-estimate.ts';
import type { AnyVariant, McuTargetInfo } from '../emit/variant.ts';
import { armSize, compileArm, missingTools, type McuCpu, type SizeInfo } from '../harness/run.ts';
import { modelProgram, writeModelFiles } from '../runner.ts';
import type { StageTimer } from './timing.ts';

/** Stack reserved by the size build (the generated kernels use a few hundred bytes). */
export const STACK_BYTES = 2048;

/**
 * The emit callback: select -> plan -> emit, with a flash budget for the layers and their costs when given,
 * and an arena budget when the measured program left the first one (`arenaBudget`) too little room.
 */
export type Emit = (flash?: { budget: number; cost?: (op: number, v: AnyVariant) => number }, arenaBudget?: number) => EmittedModel;

/** The generated C's static RAM besides the arena and the state: the debug hook and its user pointer (32-bit cores). */
export const MODEL_STATIC_BYTES = 8;

/** The model's statics: MODEL_STATIC_BYTES, and the state's ready flag (an int) when it has recurrent state. */
export function staticBytes(module: KernelModule): number {
  return MODEL_STATIC_BYTES + (stateBytes(module) > 0 ? 4 : 0);
}

/** The result of the fit stage: the model that fits (as far as the selection can make it), its files and its measured size. */
export interface Fitted {
  em: EmittedModel;
  files: string[];
  measured?: { size: SizeInfo; main: string };
  flashBytes: number;
  ramBytes: number;
  sizeSource: 'arm-none-eabi-size' | 'estimate';
}

const num = (n: number) => n.toLocaleString('en-US');

/**
 * The size report's program: the model through its zero-copy entry, the input written in place inside the
 * arena (`<name>_input`), one `<name>_run()`, the output read in place (`<name>_output`), so the RAM is the
 * arena, the stack and the model's small statics: no input or output buffer outside the arena.
 */
export function sizeMain(em: Pick<EmittedModel, 'cname' | 'inputCount' | 'outputCount'>): string {
  const n = em.cname, N = n.toUpperCase();
  const fill = Array.from({ length: em.inputCount }, (_, i) => `  memset((void *)${n}_input(${i}), 0, ${N}_INPUT${i}_BYTES);`);
  const read = Array.from({ length: em.outputCount }, (_, i) => ` + *(const volatile uint8_t *)(const void *)${n}_output(${i})`);
  return `/* Minimal program for the size report: the model and one run, the input and output inside its arena. */
#include <string.h>
#include "${n}.h"
int main(void)
{
  ${n}_init();
${fill.join('\n')}
  return ${n}_run()${read.join('')};
}
`;
}

/** Compiles the model with a minimal main (tf_size_main.c) and measures it; undefined without the toolchain. */
export function measureSize(em: EmittedModel, cpu: McuCpu, dir: string, where: { file?: string }): { size: SizeInfo; elf: string; main: string } | undefined {
  if (missingTools('arm-gcc')) return undefined;
  const main = join(dir, 'tf_size_main.c');
  writeFileSync(main, sizeMain(em));
  const elf = join(dir, `${em.cname}-${cpu}-size.elf`);
  const big = 64 * 1024 * 1024;
  const r = compileArm(modelProgram(dir, em, main), elf, cpu, { flashBytes: big, ramBytes: big, stackBytes: STACK_BYTES });
  if (r.status !== 0) throw new TinyforgeError(`arm-none-eabi-gcc failed on the generated C:\n${r.stderr.slice(0, 3000)}`, where);
  return { size: armSize(elf), elf, main };
}

/**
 * Flash bytes of each layer in a linked program: every symbol (code and constants) named after the layer
 * function `<cname>_l<i>` (its helpers and data arrays carry that prefix), from arm-none-eabi-nm -S.
 */
export function layerFlashFromElf(elf: string, cname: string, layers: number): number[] {
  const r = spawnSync('arm-none-eabi-nm', ['-S', elf], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`arm-none-eabi-nm failed on ${elf}: ${r.stderr}`);
  const per = new Array<number>(layers).fill(0);
  const re = new RegExp(`^${cname}_l(\\d+)(?:[._]|$)`);
  // gcc's identical code folding (-fipa-icf, on at -O2) merges equal functions of different layers (the
  // windowed kernels' block functions): the aliases share one address, counted once (first layer listed).
  const seen = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) [tTrRdD] (\S+)$/.exec(line.trim());
    const l = m && re.exec(m[3]!);
    if (!m || !l || Number(l[1]) >= layers || parseInt(m[2]!, 16) === 0 || seen.has(m[1]!)) continue;
    seen.add(m[1]!);
    per[Number(l[1])]! += parseInt(m[2]!, 16);
  }
  return per;
}

export interface FitInput {
  module: KernelModule;
  target: McuTargetInfo;
  budgets: { flash: number; sram: number };
  emit: Emit;
  /** Where the model's files are written and compiled. */
  dir: string;
  where: { file?: string };
  timer: StageTimer;
}

/** The fit stage: measure, refit the selection to the flash budget, check both budgets. */
export function fitStage(f: FitInput): Fitted {
  const { module, target, budgets, dir, where, timer } = f;
  const write = (em: EmittedModel) => timer.time('emit', () => writeModelFiles(dir, em));
  const measure = (em: EmittedModel) => timer.time('compile', () => measureSize(em, target.cpu, dir, where));
  // The arena budget refined by the measured program (undefined: the caller's, arenaBudget below).
  let arena: number | undefined;
  let em = f.emit();
  let files = write(em);
  let m = measure(em);
  if (!m) {
    if (em.constBytes > budgets.flash) { em = f.emit({ budget: budgets.flash }); files = write(em); }
  } else {
    // SRAM: everything beyond the arena (stack, the model's statics, a DVFS plan's) is measured: when the
    // arena budget left too little room for it, plan again for the arena that is left (up to 2 rounds).
    for (let round = 0; round < 2 && m.size.ram > budgets.sram; round++) {
      const left = budgets.sram - (m.size.ram - em.plan.arenaBytes);
      if (left < 0 || left >= em.plan.arenaBytes) break; // not the arena's doing, or nothing to gain
      arena = left;
      em = f.emit(undefined, arena);
      files = write(em);
      m = measure(em)!;
    }
    const known = new Map<string, number>();
    // The selection made again under the flash budget less `lower` bytes: the measured program's layers
    // (arm-none-eabi-nm) price their variants, the rest of its flash is fixed, unbuilt variants are estimated.
    const reselect = (lower: number): EmittedModel => {
      const per = timer.time('fit', () => layerFlashFromElf(m!.elf, em.cname, module.ops.length));
      em.layers.forEach((l, i) => known.set(`${i}:${l.variant}`, per[i]!));
      const rest = m!.size.flash - per.reduce((s, b) => s + b, 0);
      const name = em.cname;
      return f.emit({ budget: budgets.flash - rest - lower, cost: (i, v) => known.get(`${i}:${v.name}`) ?? estimateLayerFlash(module, target, name, i, v) }, arena);
    };
    // Bytes the layers' budget is lowered by when the search's per-layer costs say a selection fits and the
    // measured program does not (alignment padding and code shared between layers are in neither).
    let tighten = 0;
    for (let round = 0; round < 5 && m.size.flash > budgets.flash; round++) {
      const next = reselect(tighten);
      if (next.layers.every((l, i) => l.variant === em.layers[i]!.variant)) {
        if (next.schedule && !next.schedule.feasible) break; // nothing leaner left to try
        tighten += m.size.flash - budgets.flash;
        continue;
      }
      em = next;
      files = write(em);
      m = measure(em)!;
    }
    // Relax: the replacements were priced partly by estimates, which err high (the program can end well
    // under the budget); with the measured bytes of every variant built so far, search once more and keep
    // the result when it is faster by the objective and measures within the budget.
    if (known.size > 0 && m.size.flash <= budgets.flash) {
      const next = reselect(0);
      const metric = (e: EmittedModel) => (e.schedule ? e.schedule.chosen.cycles ?? e.schedule.chosen.instructions : Infinity);
      if (next.layers.some((l, i) => l.variant !== em.layers[i]!.variant) && metric(next) < metric(em)) {
        const nextFiles = write(next);
        const mNext = measure(next)!;
        if (mNext.size.flash <= budgets.flash) { em = next; files = nextFiles; m = mNext; }
        else { files = write(em); m = measure(em)!; }
      }
    }
  }
  const size = m?.size;
  const fitted: Fitted = {
    em, files, ...(m ? { measured: { size: m.size, main: m.main } } : {}),
    flashBytes: size ? size.flash : em.constBytes,
    ramBytes: size ? size.ram : em.plan.arenaBytes + STACK_BYTES + staticBytes(module) + em.stateBytes,
    sizeSource: size ? 'arm-none-eabi-size' : 'estimate',
  };
  timer.time('fit', () => checkBudgets(module, fitted, budgets, where));
  return fitted;
}

/** Recurrent state (the static `<name>_state` block outside the arena): 8-aligned slots, as the emitter lays them out. */
export function stateBytes(module: KernelModule): number {
  return module.buffers.reduce((s, b) => s + (b.kind === 'state' ? Math.ceil(b.bytes / 8) * 8 : 0), 0);
}

/**
 * The SRAM left for the arena under the sram budget: minus the stack, the model's statics and the recurrent
 * state (the fit stage plans again when the measured program needs more beside the arena). The graph's
 * input and output are buffers of the arena (the zero-copy entry, sizeMain), planned with lifetimes like
 * every activation, so the schedule search weighs them against the kernels' scratch.
 */
export function arenaBudget(module: KernelModule, sram: number): number {
  return Math.max(0, sram - STACK_BYTES - staticBytes(module) - stateBytes(module));
}

function checkBudgets(module: KernelModule, f: Fitted, cfg: { flash: number; sram: number }, where: { file?: string }): void {
  const em = f.em;
  if (f.flashBytes > cfg.flash) {
    const top = [...em.layers].sort((a, b) => b.constBytes - a.constBytes).slice(0, 3)
      .map((l) => `layer ${l.index} '${l.name}' (${l.kind}) constants ${num(l.constBytes)} B`);
    const code = Math.max(0, f.flashBytes - em.constBytes);
    const lean = em.flashReplacements.length ? `the leanest kernel selection found (${em.flashReplacements.length} kernel(s) replaced by leaner ones); ` : '';
    throw new TinyforgeError(
      `mcu flash budget of ${num(cfg.flash)} B exceeded: the program needs ${num(f.flashBytes)} B (${num(f.flashBytes - cfg.flash)} B over; ${f.sizeSource}); ${lean}largest contributors: ${top.join(', ')}, code and runtime ${num(code)} B`,
      where, 'raise targets.mcu.flash or use a smaller model');
  }
  if (f.ramBytes > cfg.sram) {
    const p = em.plan;
    const live = p.items.filter((it) => it.first <= p.peakOp && p.peakOp <= it.last).sort((a, b) => b.bytes - a.bytes).slice(0, 3)
      .map((it) => `${it.kind === 'scratch' ? '' : it.kind === 'slice' ? 'slice of ' : 'tensor '}'${it.name}' ${num(it.bytes)} B`);
    const how = p.chains.length ? `in-place and partial execution, ${p.chains.length} split chain(s)` : p.inPlace.length ? 'in-place execution' : 'whole tensors';
    throw new TinyforgeError(
      `mcu sram budget of ${num(cfg.sram)} B exceeded: the program needs ${num(f.ramBytes)} B (${num(f.ramBytes - cfg.sram)} B over; ${f.sizeSource}); the best schedule found (${how}${em.downgrades.length ? `, ${em.downgrades.length} kernel(s) replaced by leaner ones` : ''}) needs an activation arena of ${num(p.arenaBytes)} B peaking at layer ${p.peakOp} '${module.ops[p.peakOp]?.name}' (${module.ops[p.peakOp]?.kind}; ${live.join(', ')}) (the ${num(em.inputBytes)} B input and ${num(em.outputBytes)} B output inside it), plus stack ${num(STACK_BYTES)} B${em.stateBytes ? ` and recurrent state ${num(em.stateBytes)} B` : ''}`,
      where, 'raise targets.mcu.sram or shrink that layer');
  }
}
