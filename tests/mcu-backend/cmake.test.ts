// C that drops in (issue #17): the output folder's CMakeLists.txt and tinyforge.mk. The five MLPerf Tiny
// models' C (Cortex-M4 variant table) configures and builds as a static library with CMake for the host
// with gcc and with clang and for cortex-m4 with arm-none-eabi-gcc and with clang against newlib's headers
// (mcu-backend/harness/cmake toolchain files), with -Wall -Wextra -Werror -std=c99 and no warning at all; the Arm build compiles with the core's
// -mcpu flags. These twenty builds use the build type None (no -O: gcc needs ~13 s of CPU for vww's 2.7 MB
// of C even so, three times that optimised); the optimiser's warnings are covered by the Release (-O3)
// builds of the user program below and by every -O2 -Werror build of the other Cortex-M tests. Then a small user program (init, invoke, the header's offset/scale macros) links the library:
// on the host (CMake, and the Makefile fragment with make) it runs and its output equals the golden
// runtime's; for cortex-m4 it links with the harness's startup and linker script and runs on QEMU, where it
// compares its output with the golden bytes itself and exits 0 only when equal.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../compiler/frontend/load.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel, type EmittedModel } from '../../mcu-backend/emit/model.ts';
import { CPUS, harnessDir, missingTools, runQemu } from '../../mcu-backend/harness/run.ts';
import { writeModelFiles } from '../../mcu-backend/runner.ts';
import { randomGraphInputs } from '../../mcu-backend/verify.ts';
import { GoldenRuntime, valueBytes, valuesOf } from '../../runtime-wasm/host.ts';
import { bytesPerElement, numElements, type Graph } from '../../compiler/ir/graph.ts';
import { MODELS, modelPath, scratchDir, type ModelKey } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-cmake-');
after(() => rmSync(work, { recursive: true, force: true }));
const toolchain = join(harnessDir, 'cmake', 'arm-none-eabi.cmake');
const clangToolchain = join(harnessDir, 'cmake', 'arm-none-eabi-clang.cmake');
const hasCmake = spawnSync('cmake', ['--version']).status === 0;

function needCmake(t: { skip: (m: string) => void }): boolean {
  if (hasCmake) return true;
  if (process.env.CI === 'true') throw new Error('cmake is missing (Debian: cmake; required when CI=true)');
  t.skip('cmake missing (Debian: cmake)');
  return false;
}

interface Out { code: number | null; out: string }
function run(cmd: string, args: string[], cwd: string): Promise<Out> {
  return new Promise((resolve) => {
    let out = '';
    const c = spawn(cmd, args, { cwd, env: { ...process.env, MAKEFLAGS: '' } });
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { out += d; });
    c.on('close', (code) => resolve({ code, out }));
  });
}

/** At most `n` promises at a time (the machine has two cores). */
async function pool<T>(jobs: Array<() => Promise<T>>, n = 2): Promise<T[]> {
  const res: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < jobs.length) { const i = next++; res[i] = await jobs[i]!(); }
  }));
  return res;
}

function emit(key: ModelKey, dir: string): { em: EmittedModel; graph: Graph } {
  const { graph } = loadModel(modelPath(key)!);
  const module = runPipeline(graph, { arith: 'tflm' });
  const em = emitModel(module, { cpu: 'm4', dsp: CPUS.m4.dsp });
  writeModelFiles(dir, em);
  return { em, graph };
}

const BUILDS = [
  { name: 'host-gcc', args: ['-DCMAKE_C_COMPILER=gcc'], arm: false },
  { name: 'host-clang', args: ['-DCMAKE_C_COMPILER=clang'], arm: false },
  { name: 'm4-arm-none-eabi-gcc', args: [`-DCMAKE_TOOLCHAIN_FILE=${toolchain}`], arm: true },
  { name: 'm4-clang', args: [`-DCMAKE_TOOLCHAIN_FILE=${clangToolchain}`], arm: true },
] as const;

/** Configures and builds the library target; returns the diagnostics of a failure or of any warning ('' when clean). */
async function buildLibrary(src: string, bin: string, name: string, b: (typeof BUILDS)[number]): Promise<string> {
  const conf = await run('cmake', ['-S', src, '-B', bin, '-DTINYFORGE_WERROR=ON', '-DCMAKE_BUILD_TYPE=None', ...b.args], src);
  if (conf.code !== 0) return `${b.name}: cmake configure failed\n${conf.out.slice(-3000)}`;
  const build = await run('cmake', ['--build', bin, '--target', name, '--', 'VERBOSE=1'], src);
  if (build.code !== 0) return `${b.name}: build failed\n${build.out.slice(-3000)}`;
  if (/warning:/i.test(build.out)) return `${b.name}: warnings\n${build.out.slice(-3000)}`;
  const cc = build.out.split('\n').find((l) => l.includes(`${name}.c`) && / -c /.test(l)) ?? '';
  for (const f of ['-std=c99', '-Wall', '-Wextra', '-Werror', ...(b.arm ? CPUS.m4.flags : ['-DTF_HOST_SIMD=1'])]) {
    if (!cc.split(/\s+/).includes(f)) return `${b.name}: the compile command lacks ${f}: ${cc}`;
  }
  if (!b.arm && cc.includes('-mcpu')) return `${b.name}: a host build got -mcpu: ${cc}`;
  if (!existsSync(join(bin, `lib${name}.a`))) return `${b.name}: lib${name}.a missing`;
  return '';
}

test('the five MLPerf Tiny models build via CMake as static libraries: host gcc, host clang, cortex-m4 arm-none-eabi-gcc and clang; -Wall -Wextra -Werror -std=c99, no warning', { timeout: 900_000 }, async (t) => {
  if (!needCmake(t) || !needTools(t, 'host') || !needTools(t, 'clang') || !needTools(t, 'arm-gcc')) return;
  const keys = Object.keys(MODELS) as ModelKey[];
  const jobs: Array<() => Promise<string>> = [];
  const built: string[] = [];
  for (const key of keys) {
    if (!modelPath(key)) { t.skip(`model ${key} missing`); continue; }
    const dir = join(work, 'lib', key);
    const { em } = emit(key, dir);
    const cm = readFileSync(join(dir, 'CMakeLists.txt'), 'utf8');
    assert.match(cm, new RegExp(`add_library\\(${em.cname} STATIC`));
    for (const b of BUILDS) jobs.push(async () => { const r = await buildLibrary(dir, join(work, 'lib-build', key, b.name), em.cname, b); if (!r) built.push(`${key}/${b.name}`); return r; });
  }
  const problems = (await pool(jobs)).filter(Boolean);
  assert.deepEqual(problems, []);
  assert.equal(built.length, keys.length * BUILDS.length);
  t.diagnostic(`built ${built.length} libraries: ${built.sort().join(', ')}`);
});

/** The user program: init, invoke on a baked input, compare with the baked golden output; prints it on the host. */
function userMain(em: EmittedModel, input: Uint8Array, golden: Uint8Array): string {
  const N = em.cname.toUpperCase();
  const arr = (a: Uint8Array) => Array.from(a).join(',');
  return `/* A user's program: the model through its documented API. */
#include <stdint.h>
#include <string.h>
#include "${em.cname}.h"
#if !defined(__arm__)
#include <stdio.h>
#endif

static const uint8_t input[${N}_INPUT_BYTES] __attribute__((aligned(8))) = {${arr(input)}};
static const uint8_t golden[${N}_OUTPUT_BYTES] = {${arr(golden)}};
static uint8_t output[${N}_OUTPUT_BYTES] __attribute__((aligned(8)));

int main(void)
{
  int bad = 0, i;
  /* The edge macros: input 0 starts the buffer and the offsets add up to the sizes. */
  if (${N}_INPUT0_OFFSET != 0 || ${N}_OUTPUT0_OFFSET != 0 || ${N}_INPUT0_BYTES > ${N}_INPUT_BYTES) return 100;
  if (${em.cname}_init() != 0) return 101;
  ${em.cname}_reset_state();
  if (${em.cname}_invoke((const ${em.inputCType} *)(const void *)input, (${em.outputCType} *)(void *)output) != 0) return 102;
  for (i = 0; i < ${N}_OUTPUT_BYTES; i++) bad += output[i] != golden[i];
#if !defined(__arm__)
  printf("arena %d scale %.9g zero %d\\n", ${N}_ARENA_BYTES, (double)${N}_INPUT0_SCALE, ${N}_INPUT0_ZERO_POINT);
  for (i = 0; i < ${N}_OUTPUT_BYTES; i++) printf("%02x", output[i]);
  printf("\\n");
#endif
  return bad > 99 ? 99 : bad;
}
`;
}

test('a user program links the CMake library (host: runs, equals the golden runtime; cortex-m4: runs on QEMU, equals it) and builds through tinyforge.mk', { timeout: 600_000 }, async (t) => {
  if (!needCmake(t) || !needTools(t, 'host') || !needTools(t, 'arm-gcc')) return;
  const key: ModelKey = 'kws';
  if (!modelPath(key)) { t.skip('kws model missing'); return; }
  const base = join(work, 'user');
  const { em, graph } = emit(key, join(base, 'model'));
  const N = em.cname.toUpperCase();
  const x = randomGraphInputs(graph, 1, 17)[0]!;
  const input = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const golden = await GoldenRuntime.load();
  let off = 0;
  const inputs = graph.inputs.map((id) => {
    const tt = graph.tensors[id]!, n = numElements(tt.shape), bytes = n * bytesPerElement(tt.dtype);
    const v = valuesOf(tt.dtype, input.slice(off, off + bytes).buffer, 0, n);
    off += bytes;
    return v;
  });
  const want = Buffer.concat(golden.run(graph, inputs, { arith: 'tflm' }).outputs.map((o) => Buffer.from(valueBytes(o)))); 
  writeFileSync(join(base, 'main.c'), userMain(em, input, want));
  const app = (extra: string) => `cmake_minimum_required(VERSION 3.13)
project(user_app LANGUAGES C)
add_subdirectory(model)
add_executable(app main.c ${extra})
set_target_properties(app PROPERTIES C_STANDARD 99 C_EXTENSIONS OFF)
target_compile_options(app PRIVATE -Wall -Wextra -Werror)
target_link_libraries(app PRIVATE ${em.cname})
`;
  // Host: gcc.
  writeFileSync(join(base, 'CMakeLists.txt'), app(''));
  let r = await run('cmake', ['-S', base, '-B', join(base, 'build-host'), '-DCMAKE_C_COMPILER=gcc', '-DTINYFORGE_WERROR=ON', '-DCMAKE_BUILD_TYPE=Release'], base);
  assert.equal(r.code, 0, r.out);
  r = await run('cmake', ['--build', join(base, 'build-host')], base);
  assert.equal(r.code, 0, r.out);
  assert.doesNotMatch(r.out, /warning:/i);
  const host = spawnSync(join(base, 'build-host', 'app'), { encoding: 'utf8' });
  assert.equal(host.status, 0, `host program: ${host.status} differing output bytes\n${host.stdout}${host.stderr}`);
  const lines = host.stdout.trim().split('\n');
  assert.equal(lines[1], Buffer.from(want).toString('hex'), 'the printed output equals the golden runtime');
  const t0 = graph.tensors[graph.inputs[0]!]!;
  assert.match(lines[0]!, new RegExp(`^arena \\d+ scale ${Number(Math.fround(t0.quant!.scale[0]!).toPrecision(9))} zero ${t0.quant!.zeroPoint[0]}$`));

  // Host: the Makefile fragment with plain make.
  writeFileSync(join(base, 'Makefile'), `include model/tinyforge.mk
app-make: main.c $(${N}_SRCS)
\tgcc $(${N}_CFLAGS) $(${N}_HOST_FLAGS) -Werror -o $@ main.c $(${N}_SRCS)
`);
  r = await run('make', ['app-make'], base);
  assert.equal(r.code, 0, r.out);
  assert.doesNotMatch(r.out, /warning:/i);
  const viaMake = spawnSync(join(base, 'app-make'), { encoding: 'utf8' });
  assert.equal(viaMake.status, 0, viaMake.stdout + viaMake.stderr);
  assert.equal(viaMake.stdout, host.stdout);

  // cortex-m4: the toolchain file, the harness's startup code and linker script; run on QEMU mps2-an386.
  writeFileSync(join(base, 'CMakeLists.txt'), app(`${join(harnessDir, 'startup.c')}`) +
    `target_include_directories(app PRIVATE ${harnessDir})\ntarget_link_options(app PRIVATE -nostartfiles -L${harnessDir} -T ${join(harnessDir, 'link.ld')} -Wl,--gc-sections)\ntarget_link_libraries(app PRIVATE c gcc)\n`);
  r = await run('cmake', ['-S', base, '-B', join(base, 'build-m4'), `-DCMAKE_TOOLCHAIN_FILE=${toolchain}`, '-DTINYFORGE_WERROR=ON', '-DCMAKE_BUILD_TYPE=Release'], base);
  assert.equal(r.code, 0, r.out);
  r = await run('cmake', ['--build', join(base, 'build-m4'), '--', 'VERBOSE=1'], base);
  assert.equal(r.code, 0, r.out);
  assert.doesNotMatch(r.out, /warning:/i);
  assert.match(r.out, /-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16/);
  const elf = join(base, 'build-m4', 'app');
  assert.ok(existsSync(elf));
  if (missingTools('m4')) {
    if (process.env.CI === 'true') throw new Error(`${missingTools('m4')} (required when CI=true)`);
    t.diagnostic(`QEMU run skipped: ${missingTools('m4')}`);
    return;
  }
  mkdirSync(join(base, 'qemu'), { recursive: true });
  const q = runQemu(elf, 'm4', { timeoutMs: 120_000 });
  assert.equal(q.status, 0, `cortex-m4 program: exit ${q.status} (differing output bytes, or 100+ for an API error)\n${q.stderr.slice(-1000)}`);
});
