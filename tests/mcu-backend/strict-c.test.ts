// The generated Cortex-M C compiles warning-free under `-std=c99 -pedantic -Wall -Wextra -Werror` (issue #19):
// every model's C (the five MLPerf Tiny models and the ten MUST_PASS zoo models), as the M4 variant table
// emits it (fast DSP kernels) and with the generic kernels, each with and without -DTF_HOST_SIMD=1 (runtime.h's
// SIMD path through its portable intrinsics / the portable path), with gcc and with clang; the M4 table's C
// with arm-none-eabi-gcc for Cortex-M4 (the real DSP path: ACLE and inline asm); the harness (driver.c with a
// generated tf_run.h, startup.c). Compile only (-fsyntax-only: -pedantic's diagnostics and clang's warnings
// come from the front end; gcc's optimiser-based warnings are enforced by every -O2 -Werror build of the
// other Cortex-M tests). A missing clang skips its checks outside CI and fails them when CI=true.
// The sanitizer runs are in sanitize.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadModel } from '../../compiler/frontend/load.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel, type EmittedModel } from '../../mcu-backend/emit/model.ts';
import { CPUS, harnessDir } from '../../mcu-backend/harness/run.ts';
import { writeModelFiles } from '../../mcu-backend/runner.ts';
import { randomGraphInputs } from '../../mcu-backend/verify.ts';
import { scratchDir } from '../helpers/paths.ts';
import { missingModel, realModels, type RealModel } from '../helpers/zoo.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-strict-c-');
const STRICT = ['-std=c99', '-pedantic', '-Wall', '-Wextra', '-Werror'];

type Model = RealModel;
const models: Model[] = realModels();
const missing = missingModel;

/** Compiles `c` with `cc` and the strict flags (+ `extra`); returns the diagnostics ('' when clean). */
function strictCompile(cc: string, dir: string, c: string, extra: string[]): string {
  const r = spawnSync(cc, [...STRICT, '-O2', ...extra, `-I${dir}`, `-I${harnessDir}`, '-fsyntax-only', c], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw r.error;
  return r.status === 0 && !r.stderr.trim() ? '' : `${cc} ${extra.join(' ')} ${c}: exit ${r.status}\n${r.stderr.slice(0, 3000)}`;
}

function emitTo(dir: string, em: EmittedModel): string {
  writeModelFiles(dir, em);
  return join(dir, `${em.cname}.c`);
}

for (const m of models) {
  test(`${m.name}: the C compiles warning-free under -std=c99 -pedantic -Wall -Wextra -Werror (gcc, clang, arm-none-eabi-gcc; SIMD and portable)`, (t) => {
    if (!m.path) { t.skip(missing(m)); return; }
    if (!needTools(t, 'host')) return;
    const withClang = needTools(t, 'clang');
    const graph = loadModel(m.path).graph;
    const module = runPipeline(graph, { arith: 'tflm' });
    const table = emitTo(join(work, 'strict', m.name, 'm4'), emitModel(module, { cpu: 'm4', dsp: true }));
    const generic = emitTo(join(work, 'strict', m.name, 'generic'), emitModel(module, { cpu: 'm4', dsp: false }));
    const errors: string[] = [];
    let compiles = 0;
    for (const cc of withClang ? ['gcc', 'clang'] : ['gcc']) {
      for (const c of [table, generic]) {
        for (const simd of [[], ['-DTF_HOST_SIMD=1']]) {
          const e = strictCompile(cc, join(c, '..'), c, simd);
          compiles++;
          if (e) errors.push(e);
        }
      }
    }
    if (needTools(t, 'arm-gcc')) {
      const e = strictCompile('arm-none-eabi-gcc', join(table, '..'), table, CPUS.m4.flags);
      compiles++;
      if (e) errors.push(e);
    }
    assert.deepEqual(errors, [], errors.join('\n'));
    assert.equal(compiles, (withClang ? 8 : 4) + 1);
  });
}

test('the harness (driver.c with a generated tf_run.h, startup.c) compiles warning-free with -pedantic on gcc, clang and arm-none-eabi-gcc', (t) => {
  if (!needTools(t, 'host')) return;
  const withClang = needTools(t, 'clang');
  const dir = join(work, 'driver');
  mkdirSync(dir, { recursive: true });
  // A float-edged model exercises the driver's casts (TF_RUN_INVOKE with a pointer conversion).
  const path = models.find((m) => m.name === 'tflm-hello_world_2023')?.path ?? models.find((m) => m.name === 'kws')?.path;
  if (!path) { t.skip('no model to build the driver against'); return; }
  const graph = loadModel(path).graph;
  const em = emitModel(runPipeline(graph, { arith: 'tflm' }), { cpu: 'm4', dsp: true });
  writeModelFiles(dir, em);
  const rows = randomGraphInputs(graph, 1, 3).map((x) => `  {${Array.from(x).join(',')}}`);
  const invoke = em.inputCType === 'int8_t' && em.outputCType === 'int8_t' ? `#define TF_RUN_INVOKE ${em.cname}_invoke`
    : `#define TF_RUN_INVOKE(i, o) ${em.cname}_invoke((const ${em.inputCType} *)(const void *)(i), (${em.outputCType} *)(void *)(o))`;
  writeFileSync(join(dir, 'tf_run.h'), `#include "${em.cname}.h"\n${invoke}\n#define TF_RUN_SET_HOOK ${em.cname}_set_debug_hook\n` +
    `#define TF_RUN_IN_BYTES ${em.inputBytes}\n#define TF_RUN_OUT_BYTES ${em.outputBytes}\n#define TF_RUN_N 1\n#define TF_RUN_DEBUG 1\n` +
    `static const int8_t tf_run_inputs[TF_RUN_N][TF_RUN_IN_BYTES] __attribute__((aligned(8))) = {\n${rows.join(',\n')}\n};\n`);
  const errors: string[] = [];
  for (const cc of withClang ? ['gcc', 'clang'] : ['gcc']) {
    const e = strictCompile(cc, dir, join(harnessDir, 'driver.c'), []);
    if (e) errors.push(e);
  }
  if (needTools(t, 'arm-gcc')) {
    for (const c of ['driver.c', 'startup.c']) {
      const e = strictCompile('arm-none-eabi-gcc', dir, join(harnessDir, c), CPUS.m4.flags);
      if (e) errors.push(e);
    }
  }
  assert.deepEqual(errors, [], errors.join('\n'));
});

