// Runs an emitted model on the host (gcc), on a QEMU Cortex-M board or on QEMU riscv32 (RV32IMC, the portable
// C compiled with riscv64-unknown-elf-gcc: harness/rv32.ts): writes the model's C, a tf_run.h
// with the inputs baked in and the shared driver (harness/driver.c), compiles, runs every input in one
// process, and parses the outputs, the per-layer tensors (debug hook) and, on QEMU, the instruction
// counts of each layer (markers 1/2), of each decoupled access segment (5/6), of each DVFS hook call
// (7/8) and of each invoke (markers 3/4).
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TinyforgeError } from '../compiler/diagnostics.ts';
import type { EmittedModel } from './emit/model.ts';
import { buildFiles } from './emit/build-files.ts';
import {
  between, compileArmOrThrow, compileHost, describeStatus, harnessDir, runHost, runQemu, type CacheSim, type CProgram, type HostCompiler, type Marker, type RunOn,
} from './harness/run.ts';
import { compileRv32OrThrow, describeRv32Status, runRv32 } from './harness/rv32.ts';

/** Where a model can run: the host, a QEMU Cortex-M board, or QEMU riscv32 (RV32IMC). */
export type RunTarget = RunOn | 'rv32';

/** Writes `<name>.h`, `<name>.c`, runtime.h, the extra files and the build files (CMakeLists.txt, tinyforge.mk) into dir (each through a temp name, then renamed). */
export function writeModelFiles(dir: string, em: EmittedModel): string[] {
  mkdirSync(dir, { recursive: true });
  const files: Array<[string, string]> = [[`${em.cname}.h`, em.files.header], [`${em.cname}.c`, em.files.source], ['runtime.h', em.files.runtime],
    ...Object.entries(em.extraFiles ?? {}), ...Object.entries(buildFiles(em))];
  const out: string[] = [];
  for (const [n, text] of files) {
    const p = join(dir, n);
    writeFileSync(`${p}.tmp`, text);
    renameSync(`${p}.tmp`, p);
    out.push(p);
  }
  return out;
}

/**
 * The program of a model written to `dir` with a main (the driver, or the size build's minimal main): the
 * model's C compiles through the object cache (../stages/compile.ts), the small sources in the link.
 */
export function modelProgram(dir: string, em: EmittedModel, main: string): CProgram {
  const model = join(dir, `${em.cname}.c`);
  const extraC = Object.keys(em.extraFiles ?? {}).filter((f) => f.endsWith('.c')).map((f) => join(dir, f));
  return { sources: [model, ...extraC, main], includeDirs: [dir, harnessDir], cached: [model] };
}

/**
 * The zero-copy entry of the model as the driver calls it (TF_RUN_ARENA): each input written at
 * `<name>_input(i)` inside the arena, `<name>_run()`, each output read at `<name>_output(i)` (the driver
 * alternates it with `<name>_invoke`, so every target checks both entries).
 */
function arenaEntry(em: EmittedModel): string {
  const N = em.cname.toUpperCase();
  const ins = Array.from({ length: em.inputCount }, (_, i) => `  memcpy((void *)${em.cname}_input(${i}), in + ${N}_INPUT${i}_OFFSET, ${N}_INPUT${i}_BYTES);`);
  const outs = Array.from({ length: em.outputCount }, (_, i) => `  memcpy(out + ${N}_OUTPUT${i}_OFFSET, (const void *)${em.cname}_output(${i}), ${N}_OUTPUT${i}_BYTES);`);
  return `static int tf_run_arena(const int8_t *in, int8_t *out)
{
  int status;
${ins.join('\n')}
  status = ${em.cname}_run();
${outs.join('\n')}
  return status;
}
#define TF_RUN_ARENA tf_run_arena`;
}

function runHeader(em: EmittedModel, inputs: readonly Int8Array[], debug: boolean): string {
  const rows = inputs.map((x) => {
    if (x.length !== em.inputBytes) throw new TinyforgeError(`input has ${x.length} bytes, the model takes ${em.inputBytes}`);
    return '  {' + Array.from(x).join(',') + '}';
  });
  return `#include "${em.cname}.h"
${em.inputCType === 'int8_t' && em.outputCType === 'int8_t' ? `#define TF_RUN_INVOKE ${em.cname}_invoke` : `#define TF_RUN_INVOKE(i, o) ${em.cname}_invoke((const ${em.inputCType} *)(const void *)(i), (${em.outputCType} *)(void *)(o))`}
${arenaEntry(em)}
#define TF_RUN_SET_HOOK ${em.cname}_set_debug_hook
#define TF_RUN_IN_BYTES ${em.inputBytes}
#define TF_RUN_OUT_BYTES ${em.outputBytes}
#define TF_RUN_N ${inputs.length}
#define TF_RUN_DEBUG ${debug ? 1 : 0}
static const int8_t tf_run_inputs[TF_RUN_N][TF_RUN_IN_BYTES] __attribute__((aligned(8))) = {
${rows.join(',\n')}
};
`;
}

export interface ModelRun {
  /** Per run: the output bytes. */
  outputs: Int8Array[];
  /** Per run, per layer: the layer's output (only with debug). */
  layers?: Int8Array[][];
  /** Per run, per layer: executed instructions between the layer's markers (QEMU with count). */
  layerInstructions?: number[][];
  /** Per run: instructions of the whole invoke (markers 3..4). */
  invokeInstructions?: number[];
  /** Per run, per layer: instructions of the layer's access segment (markers 5/6; 0 for a coupled layer). */
  accessInstructions?: number[][];
  /** Per run: instructions of each DVFS hook call (markers 7/8), in invoke order. */
  hookInstructions?: number[][];
  /** Host executable or ELF that ran. */
  binary: string;
}

export interface RunOptions {
  debug?: boolean;
  /** Count instructions with the QEMU plugin (QEMU only). */
  count?: boolean;
  /** Host: compile the DSP (SIMD) source through runtime.h's portable intrinsics (default true); rv32: the same when true (default false). */
  simd?: boolean;
  /** Host only: the compiler and extra flags (default gcc, none), e.g. sanitizers. */
  host?: HostCompiler;
  workDir: string;
  timeoutMs?: number;
  /** QEMU only: write the plugin's block profile here (for the cycle model, mcu-backend/timing/), with a part's caches simulated. */
  profile?: string;
  caches?: CacheSim;
}

function hexBytes(h: string): Int8Array {
  const out = new Int8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16) << 24 >> 24;
  return out;
}

export function runModel(em: EmittedModel, inputs: readonly Int8Array[], on: RunTarget, opts: RunOptions): ModelRun {
  const dir = opts.workDir;
  writeModelFiles(dir, em);
  writeFileSync(join(dir, 'tf_run.h'), runHeader(em, inputs, opts.debug ?? false));
  const prog = modelProgram(dir, em, join(harnessDir, 'driver.c'));
  let text: string;
  let markers: Marker[] = [];
  let binary: string;
  if (on === 'host') {
    binary = join(dir, `${em.cname}-host${opts.simd === false ? '' : '-simd'}`);
    rmSync(binary, { force: true });
    compileHost(prog, binary, { simd: opts.simd ?? true, ...opts.host });
    const r = runHost(binary, opts.timeoutMs ?? 120_000);
    if (r.status !== 0) throw new TinyforgeError(`${em.cname} on host failed: ${describeStatus(r.status, r.timedOut)}\n${r.stderr.slice(0, 2000)}`);
    text = r.stdout;
  } else if (on === 'rv32') {
    binary = join(dir, `${em.cname}-rv32${opts.simd ? '-simd' : ''}.elf`);
    rmSync(binary, { force: true });
    compileRv32OrThrow(prog, binary, opts.simd ? { flags: ['-DTF_HOST_SIMD=1'] } : {});
    const r = runRv32(binary, { timeoutMs: opts.timeoutMs ?? 120_000, count: opts.count, profile: opts.profile });
    if (r.status !== 0) throw new TinyforgeError(`${em.cname} on QEMU riscv32 failed: ${describeRv32Status(r.status, r.timedOut)}\n${r.stderr.slice(-2000)}`);
    text = r.stderr + r.stdout;
    markers = r.markers;
  } else {
    binary = join(dir, `${em.cname}-${on}.elf`);
    rmSync(binary, { force: true });
    compileArmOrThrow(prog, binary, on);
    const r = runQemu(binary, on, { timeoutMs: opts.timeoutMs ?? 120_000, count: opts.count, profile: opts.profile, caches: opts.caches });
    if (r.status !== 0) throw new TinyforgeError(`${em.cname} on QEMU ${on} failed: ${describeStatus(r.status, r.timedOut)}\n${r.stderr.slice(-2000)}`);
    text = r.stderr + r.stdout;
    markers = r.markers;
  }
  const n = inputs.length;
  const outputs: Int8Array[] = new Array(n);
  const layers: Int8Array[][] | undefined = opts.debug ? Array.from({ length: n }, () => []) : undefined;
  for (const line of text.split('\n')) {
    let m = /^O (\d+) ([0-9a-f]*)$/.exec(line);
    if (m) { outputs[Number(m[1])] = hexBytes(m[2]); continue; }
    m = /^L (\d+) (\d+) ([0-9a-f]*)$/.exec(line);
    if (m && layers) layers[Number(m[1])][Number(m[2])] = hexBytes(m[3]);
  }
  for (let i = 0; i < n; i++) if (!outputs[i]) throw new TinyforgeError(`${em.cname} on ${on}: no output for input ${i}\n${text.slice(-1000)}`);
  const result: ModelRun = { outputs, layers, binary };
  if (opts.count && on !== 'host') Object.assign(result, parseMarkers(markers, em.layers.length, n));
  return result;
}

/** Splits the marker stream into per-run counts: 3 [7 8] [5 6] [7 8] 1 2 ... 4 per invoke. */
function parseMarkers(markers: Marker[], L: number, n: number): Required<Pick<ModelRun, 'layerInstructions' | 'invokeInstructions' | 'accessInstructions' | 'hookInstructions'>> {
  const out = { layerInstructions: [] as number[][], invokeInstructions: [] as number[], accessInstructions: [] as number[][], hookInstructions: [] as number[][] };
  let start: Marker | undefined, open: Marker | undefined;
  let layers: number[] = [], access: number[] = [], hooks: number[] = [];
  const bad = (why: string): never => { throw new TinyforgeError(`instruction markers: ${why}`); };
  for (const m of markers) {
    if (m.n === 3) {
      if (start) bad('invoke start inside an invoke');
      start = m; layers = []; access = new Array<number>(L).fill(0); hooks = [];
    } else if (m.n === 4) {
      if (!start || open) bad('unbalanced invoke end');
      if (layers.length !== L) bad(`expected ${L} layers per invoke, got ${layers.length}`);
      out.invokeInstructions.push(between(start!, m));
      out.layerInstructions.push(layers); out.accessInstructions.push(access); out.hookInstructions.push(hooks);
      start = undefined;
    } else if (m.n === 1 || m.n === 5 || m.n === 7) {
      if (!start || open) bad(`marker ${m.n} outside an invoke or inside a pair`);
      open = m;
    } else if (m.n === 2 || m.n === 6 || m.n === 8) {
      if (!open || open.n !== m.n - 1) bad(`marker ${m.n} without its opening marker`);
      const c = between(open!, m);
      if (m.n === 2) layers.push(c); else if (m.n === 6) access[layers.length] = c; else hooks.push(c);
      open = undefined;
    }
  }
  if (out.invokeInstructions.length !== n) bad(`expected ${n} invokes, got ${out.invokeInstructions.length}`);
  return out;
}
