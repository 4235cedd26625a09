// Decoupled access-execute (DAE) form of a layer, for per-segment DVFS (mcu-backend/dvfs/): the layer's
// constant block (weights, bias, requantisation tables, exactly as the chosen kernel variant lays them out)
// is gathered into one struct in flash; the ACCESS segment copies it into an SRAM staging buffer (arena
// scratch of that layer) with LDM/STM of four words per step, and the EXECUTE segment runs the same kernel
// on the SRAM copy (its array names are redirected by macros to the struct members in the arena). Same
// kernel, same arithmetic: bit-exact by construction, checked on QEMU by tests/mcu-backend/dae.test.ts.
// Works on any variant whose `data` consists of plain const array declarations (cArray() of the generic
// kernels, the one-line `__attribute__((aligned(8)))` word tables of the fast ones: every variant in
// registry.ts); otherwise `daeForm` says why not and the layer stays coupled.
import type { EmittedKernel } from './variant.ts';

type ElemType = 'int8_t' | 'uint8_t' | 'int16_t' | 'int32_t' | 'uint32_t';
const ELEM_BYTES: Record<ElemType, number> = { int8_t: 1, uint8_t: 1, int16_t: 2, int32_t: 4, uint32_t: 4 };
const bytesOf = (t: ElemType, n: number) => ELEM_BYTES[t] * n;

interface ConstArray { type: ElemType; name: string; n: number; align: number; body: string; offset: number }

export interface DaeForm {
  arrays: ConstArray[];
  /** Bytes of the staging buffer (and of the flash struct): the arrays at their alignment, padded to 16. */
  stageBytes: number;
}

const ARRAY_RE = /static const (int8_t|uint8_t|int16_t|int32_t|uint32_t) (\w+)\[(\d+)\] (?:TF_ALIGN\((\d+)\)|__attribute__\(\(aligned\((\d+)\)\)\)) = \{([\s\S]*?)\};\n?/g;

/** Layout of a kernel's constant block, or the reason it cannot be decoupled. */
export function daeForm(k: EmittedKernel): DaeForm | { reason: string } {
  const arrays: ConstArray[] = [];
  let off = 0;
  for (const m of k.data.matchAll(ARRAY_RE)) {
    const type = m[1] as ElemType, n = Number(m[3]), align = Number(m[4] ?? m[5]);
    if (align > 8) return { reason: `constant alignment ${align} above the arena's 8` };
    off = Math.ceil(off / align) * align;
    arrays.push({ type, name: m[2]!, n, align, body: m[6]!, offset: off });
    off += bytesOf(type, n);
  }
  if (arrays.length === 0) return { reason: 'no constants' };
  if (k.data.replace(ARRAY_RE, '').trim() !== '') return { reason: 'constant data not in cArray form' };
  return { arrays, stageBytes: Math.ceil(off / 16) * 16 };
}

/**
 * The DAE version of a kernel: `data` defines the flash struct `<fn>_k` (type `<fn>_k_t`), `code` is the
 * kernel reading the struct at `stage` (a C expression of an SRAM address, 8-aligned). The invoke copies
 * with `daeCopyCall` before calling the kernel.
 */
export function emitDae(fn: string, k: EmittedKernel, form: DaeForm, stage: string): EmittedKernel {
  const used = form.arrays.reduce((s, a) => Math.max(s, a.offset + bytesOf(a.type, a.n)), 0);
  const pad = form.stageBytes - used;
  const members = form.arrays.map((a) => `  ${a.type} m_${a.name}[${a.n}] TF_ALIGN(${a.align});`);
  if (pad > 0) members.push(`  uint8_t pad_[${pad}];`);
  const data = `/* Constant block of ${fn}, copied to SRAM by its access segment (decoupled access-execute). */
typedef struct {
${members.join('\n')}
} ${fn}_k_t;
typedef char ${fn}_k_size_check[sizeof(${fn}_k_t) == ${form.stageBytes} ? 1 : -1];
static const ${fn}_k_t ${fn}_k TF_ALIGN(8) = {
${[...form.arrays.map((a) => `  {${a.body}}`), ...(pad > 0 ? ['  { 0 }'] : [])].join(',\n')}
};
`;
  const defines = form.arrays.map((a) => `#define ${a.name} (((const ${fn}_k_t *)(const void *)(${stage}))->m_${a.name})`);
  const undefs = form.arrays.map((a) => `#undef ${a.name}`);
  const body = k.code.endsWith('\n') ? k.code : `${k.code}\n`;
  return { data, code: `${defines.join('\n')}\n${body}${undefs.join('\n')}\n`, constBytes: form.stageBytes };
}

/** The copy loop shared by every DAE layer of a model (LDM/STM of 16 bytes per step; memcpy off-target). */
export function daeCopyFunction(name: string): string {
  return `/* Access segment of a decoupled access-execute layer: n16 blocks of 16 bytes, word-aligned, flash -> SRAM
 * (LDMIA/STMIA of four registers, SUBS, BNE: 4 instructions per block). */
static void ${name}_dae_copy(void *dst, const void *src, uint32_t n16)
{
#if defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7
  __asm volatile(
    "1: ldmia %1!, {r4, r5, r6, r7}\\n"
    "   stmia %0!, {r4, r5, r6, r7}\\n"
    "   subs %2, %2, #1\\n"
    "   bne 1b\\n"
    : "+r"(dst), "+r"(src), "+r"(n16) : : "r4", "r5", "r6", "r7", "cc", "memory");
#else
  memcpy(dst, src, 16u * n16);
#endif
}
`;
}

export function daeCopyCall(name: string, fn: string, stage: string, form: DaeForm): string {
  return `${name}_dae_copy(${stage}, &${fn}_k, ${form.stageBytes / 16}u);`;
}
