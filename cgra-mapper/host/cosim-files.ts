// Files of a co-simulation build: the host program (app.ts / emit-c.ts), the replay of the simulator's
// launches (cosim.ts) and a driver main that runs the program on baked-in inputs and prints
//   L <layer> <hex>   each layer's output (model builds, through the debug hook)
//   O <hex>           the output
//   X <mismatches> <launches>   launches whose staged memory differed from the simulator's, launches served
// Host gcc runs it for a quick functional check; the RV32 build runs it on QEMU riscv32 with markers
// (tf_cgra.h and runtime.h TF_MARK): 5/6 pre-step, 7/8 context load + launches (9/10 the service inside,
// excluded), 11/12 post-step, 1/2 per model layer, 3/4 the invoke.
import { runtimeHeader } from '../../mcu-backend/emit/model.ts';
import type { CgraArch } from '../arch.ts';
import { cgraSource, type AppLayer } from './app.ts';
import { replayC, type LaunchRecord } from './cosim.ts';
import { layerC } from './emit-c.ts';
import type { LayerProgram } from './layer-program.ts';
import { TF_CGRA_H } from './tf-cgra-h.ts';

const bytes = (a: Int8Array): string => Array.from(a).join(',');

const PRINT_HEX = `#if defined(__riscv)
#include "semihost.h"
#define TF_OUT(s) tf_semihost_write0(s)
#else
#define TF_OUT(s) fputs(s, stdout)
#endif
static void print_hex(const char *tag, const int8_t *p, int32_t n)
{
  static const char d[] = "0123456789abcdef";
  static char line[2 * 4096 + 8];
  int32_t at = 0;
  TF_OUT(tag);
  TF_OUT(" ");
  while (at < n) {
    int32_t k = 0;
    for (; k < 4096 && at < n; k++, at++) { line[2 * k] = d[(p[at] >> 4) & 15]; line[2 * k + 1] = d[p[at] & 15]; }
    line[2 * k] = 0;
    TF_OUT(line);
  }
  TF_OUT("\\n");
}
static void print_x(int a, int b)
{
  char s[64];
  snprintf(s, sizeof s, "X %d %d\\n", a, b);
  TF_OUT(s);
}`;

/** One array layer alone (the paper layer): its program, replay and a driver calling it on `input`. */
export function layerCosimFiles(prog: LayerProgram, records: LaunchRecord[], input: Int8Array, arch: CgraArch, name = 'layer'): Record<string, string> {
  const fn = `${name}_c0`;
  const layer: AppLayer = { op: 0, name: prog.layer.name, fn, prog, c: layerC(prog, fn, 0, arch), id: 0 };
  const cg = cgraSource(name, [layer]);
  const outBytes = prog.layer.outH * prog.layer.outW * prog.layer.outC;
  return {
    'runtime.h': runtimeHeader(), 'tf_cgra.h': TF_CGRA_H, 'bitstream.h': cg.bitstream, [`${name}_cgra.h`]: cg.header, [`${name}_cgra.c`]: cg.source,
    'replay.c': replayC([records]),
    'driver.c': `#include <stdio.h>
#include <stdint.h>
#include "runtime.h"
#include "${name}_cgra.h"
extern int tf_cgra_mismatches, tf_cgra_launches;
static const int8_t input[${input.length}] TF_ALIGN(8) = {${bytes(input)}};
static int8_t output[${outBytes}] TF_ALIGN(8);
${PRINT_HEX}
int main(void)
{
  ${name}_cgra_setup();
  TF_MARK(3);
  ${fn}(input, output);
  TF_MARK(4);
  print_hex("O", output, ${outBytes});
  print_x(tf_cgra_mismatches, tf_cgra_launches);
  return 0;
}
`,
  };
}

/** A whole model: the app's files, the replay and a driver running `input` with the debug hook on. */
export function modelCosimFiles(app: { name: string; files: Record<string, string>; inputBytes: number; outputBytes: number }, records: LaunchRecord[][], input: Int8Array): Record<string, string> {
  const n = app.name;
  const files = { ...app.files };
  delete files['main.c'];
  delete files['README.md'];
  return {
    ...files,
    'replay.c': replayC(records),
    'driver.c': `#include <stdio.h>
#include <stdint.h>
#include "runtime.h"
#include "${n}.h"
#include "${n}_cgra.h"
extern int tf_cgra_mismatches, tf_cgra_launches;
static const int8_t input[${input.length}] TF_ALIGN(8) = {${bytes(input)}};
static int8_t output[${app.outputBytes}] TF_ALIGN(8);
${PRINT_HEX}
static void hook(int layer, const int8_t *data, int32_t bytes, void *user)
{
  char tag[16];
  (void)user;
  snprintf(tag, sizeof tag, "L %d", layer);
  print_hex(tag, data, bytes);
}
int main(void)
{
  ${n}_init();
  ${n}_cgra_setup();
#ifdef TF_LAYER_DUMP
  ${n}_set_debug_hook(hook, 0);
#else
  (void)hook;
#endif
  ${n}_invoke((const void *)input, (void *)output);
  print_hex("O", output, ${app.outputBytes});
  print_x(tf_cgra_mismatches, tf_cgra_launches);
  return 0;
}
`,
  };
}
