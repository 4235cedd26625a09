/* Test driver for a generated model, the same source on the host and on QEMU. tf_run.h (generated next
 * to it) includes the model's header and defines:
 *   TF_RUN_INVOKE, TF_RUN_SET_HOOK  the model's entry points (invoke: the caller's input/output buffers)
 *   TF_RUN_ARENA (optional)         the same inference through the zero-copy entry: the input written at
 *                                   <name>_input(i) inside the arena, <name>_run(), the output read at
 *                                   <name>_output(i); when defined, even runs take it and odd runs invoke,
 *                                   so every target checks both entries
 *   TF_RUN_IN_BYTES, TF_RUN_OUT_BYTES, TF_RUN_N, TF_RUN_DEBUG
 *   tf_run_inputs[TF_RUN_N][TF_RUN_IN_BYTES]
 * Prints, per run r: with TF_RUN_DEBUG one line `L <r> <layer> <hex bytes>` per layer (debug hook), then
 * `O <r> <hex bytes>` (the output). On Arm and RV32 through semihosting SYS_WRITE0 (QEMU's stderr), else stdout. */
#include <stdint.h>
#include <string.h>
#include "tf_run.h"

#if defined(__arm__) || defined(__riscv)
#include "semihost.h"
static void tf_put(const char *s) { tf_semihost_write0(s); }
#else
#include <stdio.h>
static void tf_put(const char *s) { fputs(s, stdout); }
#endif

static char tf_line[1028];
static int tf_len;
static int tf_cur_run;
static int8_t tf_out[TF_RUN_OUT_BYTES] __attribute__((aligned(8))); /* float32 outputs are read through it */

static void tf_flush(void) { tf_line[tf_len] = 0; tf_put(tf_line); tf_len = 0; }
static void tf_putc(char c) { tf_line[tf_len++] = c; if (tf_len == 1024) tf_flush(); }
static void tf_putu(unsigned v)
{
  char b[12];
  int n = 0;
  do { b[n++] = (char)('0' + v % 10u); v /= 10u; } while (v);
  while (n) tf_putc(b[--n]);
}
static void tf_hex(const int8_t *d, int32_t n)
{
  static const char digits[] = "0123456789abcdef";
  for (int32_t i = 0; i < n; i++) { uint8_t u = (uint8_t)d[i]; tf_putc(digits[u >> 4]); tf_putc(digits[u & 15]); }
}

#if TF_RUN_DEBUG
static void tf_hook(int layer, const int8_t *data, int32_t bytes, void *user)
{
  (void)user;
  tf_putc('L'); tf_putc(' '); tf_putu((unsigned)tf_cur_run); tf_putc(' '); tf_putu((unsigned)layer); tf_putc(' ');
  tf_hex(data, bytes);
  tf_putc('\n');
}
#endif

int main(void)
{
#if TF_RUN_DEBUG
  TF_RUN_SET_HOOK(tf_hook, 0);
#endif
  for (int r = 0; r < TF_RUN_N; r++) {
    tf_cur_run = r;
#ifdef TF_RUN_ARENA
    if ((r % 2 == 0 ? TF_RUN_ARENA(tf_run_inputs[r], tf_out) : TF_RUN_INVOKE(tf_run_inputs[r], tf_out)) != 0) return 2;
#else
    if (TF_RUN_INVOKE(tf_run_inputs[r], tf_out) != 0) return 2;
#endif
    tf_putc('O'); tf_putc(' '); tf_putu((unsigned)r); tf_putc(' ');
    tf_hex(tf_out, TF_RUN_OUT_BYTES);
    tf_putc('\n');
  }
  tf_flush();
  return 0;
}
