// runtime.h's fixed-point arithmetic (the C every generated kernel requantises with) against the host's
// one implementation (compiler/quant/multiplier.ts) on random and constructed cases: ties of the
// rounding divide, negative values, the INT32_MIN saturation, left and right shifts, both arithmetics.
// Run on the host, on QEMU Cortex-M4 and on Cortex-M3 (different code for the 64-bit products).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { multiplyByQuantizedMultiplier, roundingDivideByPOT, srdhm } from '../../compiler/quant/multiplier.ts';
import { compileArmOrThrow, compileHost, emitDir, harnessDir, runHost, runQemu, type RunOn } from '../../mcu-backend/harness/run.ts';
import { scratchDir } from '../helpers/paths.ts';
import { rng } from './helpers/kmodule.ts';
import { needTools } from './helpers/tools.ts';

type Case = [x: number, m: number, shift: number];

function cases(): Case[] {
  const r = rng(99);
  const i32 = () => (Math.floor(r() * 2 ** 32) | 0);
  const out: Case[] = [];
  for (let i = 0; i < 400; i++) {
    const shift = Math.floor(r() * 40) - 31; // -31 .. 8
    const m = 2 ** 30 + Math.floor(r() * 2 ** 30); // a QuantizeMultiplier mantissa
    const x = i < 200 ? i32() >> Math.floor(r() * 31) : Math.floor((r() - 0.5) * 2 ** 22);
    out.push([shift > 0 ? x >> (shift + 1) : x, m, shift]);
  }
  // Exact ties: m = 2^30 halves x (ties in the doubling high multiply for odd x), and
  // x = k * 2^e +- 2^(e-1) with m = 2^31 - 1 close to 1 for the rounding divide.
  for (const x of [1, -1, 3, -3, 5, -5, 2 ** 30 - 1, -(2 ** 30) + 1]) out.push([x, 2 ** 30, 0], [x, 2 ** 30, -1]);
  for (let e = 1; e < 12; e++) for (const k of [0, 1, -1, 7, -8]) for (const s of [1, -1]) out.push([k * 2 ** e + s * 2 ** (e - 1), 2 ** 31 - 1, -e]);
  out.push([-2147483648, 2 ** 30, 0], [2147483647, 2 ** 31 - 1, 0], [-2147483648, 2 ** 31 - 1, -31], [0, 2 ** 30, 5]);
  return out;
}

const program = (cs: Case[]) => `#include <stdint.h>
#include "runtime.h"
#if defined(__arm__)
#include "semihost.h"
static void put(const char *s) { tf_semihost_write0(s); }
#else
#include <stdio.h>
static void put(const char *s) { fputs(s, stdout); }
#endif
static const int32_t cases[${cs.length}][3] = {
${cs.map((c) => `  {${c.map((v) => (v === -2147483648 ? '(-2147483647 - 1)' : String(v))).join(', ')}}`).join(',\n')}
};
static void putnum(int32_t v)
{
  char b[16]; int n = 0; uint32_t u = v < 0 ? 0u - (uint32_t)v : (uint32_t)v;
  do { b[n++] = (char)('0' + u % 10u); u /= 10u; } while (u);
  char s[18]; int k = 0;
  if (v < 0) s[k++] = '-';
  while (n) s[k++] = b[--n];
  s[k++] = ' '; s[k] = 0;
  put(s);
}
int main(void)
{
  /* Per case: srdhm(x, m), rdbpot(x, e) for e = -shift (when a right shift), tflm and tflite requantisation. */
  for (int i = 0; i < ${cs.length}; i++) {
    const int32_t x = cases[i][0], m = cases[i][1], sh = cases[i][2];
    putnum(tf_srdhm(x, m));
    putnum(sh <= 0 ? tf_rdbpot(x, -sh) : 0);
    putnum(tf_requant_tflm(x, m, sh));
    putnum(sh <= 30 ? tf_requant_tflite(x, m, sh) : 0);
    put("\\n");
  }
  return 0;
}
`;

function expected(cs: Case[]): string[] {
  return cs.map(([x, m, sh]) => [
    srdhm(x, m), sh <= 0 ? roundingDivideByPOT(x, -sh) : 0,
    multiplyByQuantizedMultiplier(x, { multiplier: m, shift: sh }, 'tflm'),
    multiplyByQuantizedMultiplier(x, { multiplier: m, shift: sh }, 'tflite'),
  ].join(' ') + ' ');
}

const dir = scratchDir('tinyforge-mcu-runtime-');
const cs = cases();
writeFileSync(join(dir, 'rt.c'), program(cs));
const prog = { sources: [join(dir, 'rt.c')], includeDirs: [emitDir, harnessDir] };

for (const on of ['host', 'm4', 'm3'] as RunOn[]) {
  test(`runtime.h requantisation equals compiler/quant/multiplier.ts on ${cs.length} cases (${on})`, (t) => {
    if (!needTools(t, on)) return;
    let text: string;
    if (on === 'host') {
      compileHost(prog, join(dir, 'rt-host'), { simd: false });
      const r = runHost(join(dir, 'rt-host'), 20_000);
      assert.equal(r.status, 0, r.stderr);
      text = r.stdout;
    } else {
      const elf = join(dir, `rt-${on}.elf`);
      compileArmOrThrow(prog, elf, on);
      const r = runQemu(elf, on, { timeoutMs: 30_000 });
      assert.equal(r.status, 0, r.stderr.slice(-500));
      text = r.stderr + r.stdout;
    }
    const got = text.split('\n').filter((l) => /^-?\d/.test(l));
    const want = expected(cs);
    assert.equal(got.length, want.length);
    for (let i = 0; i < want.length; i++) assert.equal(got[i], want[i], `case ${i}: x=${cs[i][0]} m=${cs[i][1]} shift=${cs[i][2]}`);
  });
}
