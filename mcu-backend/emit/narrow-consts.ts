// Narrowed constant tables: a fast variant's int16 tables kept in flash at about half their bytes and
// widened into arena scratch when the layer starts (issue #13: the fast kernels' int16 weights doubled the
// weight flash). The constant block of the inner variant (its `data` arrays, laid out as dae.ts lays them
// out) is cut into 8-byte units; a unit whose four int16 halves are all in [-128, 127] x 2^k, k <= 3
// (the weights of the int16 forms, pre-scaled by 2^(left+1), requant.ts), is stored as one word whose bytes are
// (w0.lo, w1.lo, w0.hi, w1.hi) >> k, so that SXTB16 gives word 0 and SXTB16 ROR #8 word 1 (then each half
// shifted left by k: SADD16 for k = 1); other units (bias, multipliers, offsets) are stored as they are. A run
// list (uint16 pairs: narrowed units | k << 14, raw words) drives one widening routine shared by the
// model's layers (LDM of 4 words, 8 SXTB16 [+ 8 SADD16], STM of 8 words per step). The inner kernel then runs unchanged on the SRAM
// copy (its array names are redirected to the staging buffer, as dae.ts does): bit-exact by construction.
// Costs: the staging buffer in the layer's scratch and one pass over the table per call (estimate below),
// so the variant has no modal forms (it would widen again per row range or slice).
import type { KernelModule, KernelOp } from '../../compiler/kernel-ir/types.ts';
import { kernelContext } from './context.ts';
import { daeForm, type DaeForm } from './dae.ts';
import { SIMD_PRELUDE } from './simd-prelude.ts';
import { defineVariant, type AnyVariant, type EmittedKernel, type McuTargetInfo } from './variant.ts';

const ELEM: Record<string, number> = { int8_t: 1, uint8_t: 1, int16_t: 2, int32_t: 4, uint32_t: 4 };

/** The narrowed constant block of a kernel: stored words, run list, and what widening it costs. */
export interface NarrowForm {
  dae: DaeForm;
  /** Stored words in stream order (narrowed units as one word, raw units as two). */
  words: Uint32Array;
  /** Pairs (narrowed units | shift << 14, raw words). */
  runs: number[];
  /** Flash bytes of the stored words and the run list. */
  flashBytes: number;
  /** Estimated instructions of one widening pass. */
  instructions: number;
}

/** The constant block of a kernel as bytes (arrays at their offsets, as dae.ts's struct lays them out). */
function blockBytes(form: DaeForm): Uint8Array {
  const out = new Uint8Array(form.stageBytes);
  const dv = new DataView(out.buffer);
  for (const a of form.arrays) {
    const size = ELEM[a.type]!;
    const vals = a.body.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => Number(s.replace(/[uUlL]+$/, '')));
    if (vals.length > a.n) throw new Error(`narrow-consts: array ${a.name} has ${vals.length} values for ${a.n}`);
    vals.forEach((v, j) => {
      if (!Number.isFinite(v)) throw new Error(`narrow-consts: array ${a.name}: value not a number`);
      const at = a.offset + j * size;
      if (size === 1) dv.setUint8(at, v & 0xff);
      else if (size === 2) dv.setUint16(at, v & 0xffff, true);
      else dv.setUint32(at, v >>> 0, true);
    });
  }
  return out;
}

const MAX_SHIFT = 3;

/** Bit k set when every int16 half of the two words is a multiple of 2^k and in [-128, 127] after >> k. */
function unitShifts(a: number, b: number): number {
  const h = [(a << 16) >> 16, a >> 16, (b << 16) >> 16, b >> 16];
  let m = 0;
  for (let k = 0; k <= MAX_SHIFT; k++) if (h.every((x) => x % (1 << k) === 0 && x >> k >= -128 && x >> k <= 127)) m |= 1 << k;
  return m;
}

/** Narrowed form of a kernel's constants, or why not (no cArray data, nothing to narrow). */
export function narrowForm(k: EmittedKernel): NarrowForm | { reason: string } {
  const dae = daeForm(k);
  if ('reason' in dae) return dae;
  const bytes = blockBytes(dae);
  const w = new Uint32Array(bytes.buffer);
  const units = w.length / 2;
  const fits = Array.from({ length: units }, (_, i) => unitShifts(w[2 * i]!, w[2 * i + 1]!));
  const words: number[] = [];
  const runs: number[] = [];
  let cost = 20;
  let u = 0, narrowUnits = 0;
  const MAX_N = 0x3fff;
  while (u < units) {
    // A run: units of one shift k (stored as n | k << 14), then raw words. k: the shift the longest run of
    // units starting here fits (the weights of a layer share their pre-scale except where small values
    // fit several), the smaller on a tie.
    let k = 0, best = -1;
    for (let kk = 0; kk <= MAX_SHIFT; kk++) {
      let L = 0;
      while (u + L < units && L < MAX_N && fits[u + L]! >> kk & 1) L++;
      if (L > best) { best = L; k = kk; }
    }
    let n = 0, r = 0;
    while (u < units && fits[u]! >> k & 1 && n < MAX_N) {
      const wa = w[2 * u]!, wb = w[2 * u + 1]!;
      const lo = (x: number) => ((x << 16) >> 16 >> k) & 0xff, hi = (x: number) => (x >> 16 >> k) & 0xff;
      words.push((lo(wa) | lo(wb) << 8 | hi(wa) << 16 | hi(wb) << 24) >>> 0);
      n++; u++;
    }
    while (u < units && fits[u] === 0 && r < 0xfffe) { words.push(w[2 * u]!, w[2 * u + 1]!); r += 2; u++; }
    runs.push(n | k << 14, r);
    narrowUnits += n;
    // Per step of 4 units: LDM, 8 SXTB16 (+ 8 SADD16 for k = 1), STM, the loop (13 / 21); a leftover unit
    // (and every unit of k > 1) 14; a raw word 4; a run 28 (its loads and the loop tests). Fitted to QEMU
    // M4 counts of vww's 1x1 layers.
    cost += k > 1 ? 14 * n : (k ? 21 : 13) * Math.floor(n / 4) + 14 * (n % 4);
    cost += 4 * r + 28;
  }
  if (narrowUnits === 0) return { reason: 'no table word pair fits int8 x 2^k' };
  const flashBytes = 4 * words.length + 2 * runs.length;
  return { dae, words: Uint32Array.from(words), runs, flashBytes, instructions: cost };
}

/** The widening routine, once per program (include-guarded like the SIMD prelude). */
const WIDEN_FN = String.raw`#ifndef TF_NARROW_WIDEN
#define TF_NARROW_WIDEN
/* Widens a narrowed constant block (narrow-consts.ts): per run, n units of one stored word each
 * (SXTB16 -> word 0, SXTB16 ROR #8 -> word 1, each half shifted left by k), then r raw words copied. */
static uint32_t tf_narrow_pair(uint32_t x, int b, int k) {
  const int32_t lo = (int8_t)(x >> b), hi = (int8_t)(x >> (b + 16));
  return ((uint32_t)(lo * (1 << k)) & 0xffffu) | (uint32_t)(hi * (1 << k)) << 16;
}
static void __attribute__((noinline, unused)) tf_narrow_widen(uint32_t *d, const uint32_t *s, const uint16_t *runs, int nruns) {
  for (int i = 0; i < nruns; i++) {
    int n = runs[2 * i] & 0x3fff, k = runs[2 * i] >> 14, r = runs[2 * i + 1];
#if defined(__ARM_FEATURE_DSP) && defined(__arm__)
    if (k == 0) for (; n >= 4; n -= 4)
      __asm__ volatile(
        "ldmia %1!, {r8, r9, r10, r11}\n"
        "sxtb16 r4, r8\n  sxtb16 r5, r8, ror #8\n"
        "sxtb16 r6, r9\n  sxtb16 r7, r9, ror #8\n"
        "sxtb16 r8, r10\n sxtb16 r9, r10, ror #8\n"
        "sxtb16 r10, r11\n sxtb16 r11, r11, ror #8\n"
        "stmia %0!, {r4, r5, r6, r7, r8, r9, r10, r11}\n"
        : "+r"(d), "+r"(s) : : "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "memory");
    else if (k == 1) for (; n >= 4; n -= 4)
      __asm__ volatile(
        "ldmia %1!, {r8, r9, r10, r11}\n"
        "sxtb16 r4, r8\n  sxtb16 r5, r8, ror #8\n  sadd16 r4, r4, r4\n  sadd16 r5, r5, r5\n"
        "sxtb16 r6, r9\n  sxtb16 r7, r9, ror #8\n  sadd16 r6, r6, r6\n  sadd16 r7, r7, r7\n"
        "sxtb16 r8, r10\n sxtb16 r9, r10, ror #8\n sadd16 r8, r8, r8\n  sadd16 r9, r9, r9\n"
        "sxtb16 r10, r11\n sxtb16 r11, r11, ror #8\n sadd16 r10, r10, r10\n sadd16 r11, r11, r11\n"
        "stmia %0!, {r4, r5, r6, r7, r8, r9, r10, r11}\n"
        : "+r"(d), "+r"(s) : : "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "memory");
#endif
    for (; n > 0; n--) { const uint32_t x = *s++; d[0] = tf_narrow_pair(x, 0, k); d[1] = tf_narrow_pair(x, 8, k); d += 2; }
    for (; r > 0; r--) *d++ = *s++;
  }
}
#endif
`;

/**
 * The narrowed version of kernel `inner` (emitted with function name `${fn}_n`): `data` holds the stored
 * words and the run list; `code` the inner kernel on the staging buffer and `static void ${fn}(in, out,
 * scratch)`, which widens into scratch + `stageAt` and calls it.
 */
export function emitNarrowed(fn: string, inner: EmittedKernel, form: NarrowForm, stageAt: number, innerScratch: boolean): EmittedKernel {
  const members = form.dae.arrays.map((a) => `  ${a.type} m_${a.name}[${a.n}] TF_ALIGN(${a.align});`);
  const used = form.dae.arrays.reduce((s, a) => Math.max(s, a.offset + ELEM[a.type]! * a.n), 0);
  if (form.dae.stageBytes > used) members.push(`  uint8_t pad_[${form.dae.stageBytes - used}];`);
  const data = `static const uint32_t ${fn}_z[${form.words.length}] __attribute__((aligned(8))) = {${Array.from(form.words, (v) => v + 'u').join(',')}};
static const uint16_t ${fn}_zr[${form.runs.length}] = {${form.runs.join(',')}};
`;
  const defines = form.dae.arrays.map((a) => `#define ${a.name} (((const ${fn}_k_t *)(const void *)${fn}_stage)->m_${a.name})`);
  const undefs = form.dae.arrays.map((a) => `#undef ${a.name}`);
  const body = inner.code.endsWith('\n') ? inner.code : `${inner.code}\n`;
  const code = `${SIMD_PRELUDE}${WIDEN_FN}typedef struct {
${members.join('\n')}
} ${fn}_k_t;
typedef char ${fn}_k_size_check[sizeof(${fn}_k_t) == ${form.dae.stageBytes} ? 1 : -1];
/* The widened constants of ${fn} (arena scratch, set at each call). */
static const void *${fn}_stage;
${defines.join('\n')}
${body}${undefs.join('\n')}
static void ${fn}(const int8_t *in, int8_t *out, int8_t *scratch) {
  uint32_t *stage = (uint32_t *)(void *)(scratch + ${stageAt});
  tf_narrow_widen(stage, ${fn}_z, ${fn}_zr, ${form.runs.length / 2});
  ${fn}_stage = stage;
  ${fn}_n(in, out${innerScratch ? ', scratch' : ''});
}
`;
  return { data, code, constBytes: form.flashBytes };
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** The inner kernel emitted under a placeholder name, and its narrowed form, per op and inner variant (emitted once). */
const PLACEHOLDER = 'tf_narrow_probe';
interface Probed { kernel: EmittedKernel; form: NarrowForm | { reason: string } }
const probes = new WeakMap<KernelOp, Map<string, Probed>>();

function probeOf(inner: AnyVariant, op: KernelOp, module: KernelModule, target: McuTargetInfo): Probed {
  const m = probes.get(op) ?? probes.set(op, new Map()).get(op)!;
  const key = `${target.cpu}:${target.dsp}:${inner.name}`;
  let p = m.get(key);
  if (!p) {
    const kernel = inner.emit(op, kernelContext(module, target, PLACEHOLDER, op.index));
    let form = narrowForm(kernel);
    // Worth it only where it saves at least a quarter of the table.
    if (!('reason' in form) && form.flashBytes > 0.75 * form.dae.stageBytes) form = { reason: `narrowing saves ${form.dae.stageBytes - form.flashBytes} of ${form.dae.stageBytes} bytes` };
    p = { kernel, form };
    m.set(key, p);
  }
  return p;
}

/** Constants smaller than this (bytes of int8 weights) are not worth a widening pass. */
const MIN_WEIGHT_BYTES = 1024;
/**
 * Widening instructions per MAC above which the variant declines: the pair-encoded int8 kernels (int8p,
 * ranked below) cost about 0.26-0.33 instructions/MAC more than the int16 ones on the bench layers, and
 * the schedule search ranks a lower-priority candidate at no fewer instructions than a higher one, so the
 * narrowed form offers itself only where it is the cheaper of the two by a margin (layers that reuse each
 * weight over many pixels; never a fully connected layer, which reads each weight once).
 */
const MAX_WIDEN_PER_MAC = 0.2;

/**
 * `inner` with its constants narrowed in flash and widened into scratch per call: priority just below the
 * inner variant, scratch = inner scratch + the staging buffer, estimate = inner estimate + the widening.
 */
export function narrowedVariant(inner: AnyVariant): AnyVariant {
  const seen = new WeakMap<KernelOp, { probed: Probed; module: KernelModule; target: McuTargetInfo }>();
  const get = (op: KernelOp) => { const f = seen.get(op); if (!f) throw new Error(`${inner.name}.narrowed: op ${op.index} not probed`); return f; };
  const form = (op: KernelOp) => get(op).probed.form as NarrowForm;
  const prepass = inner.modes?.prepass;
  return defineVariant<KernelOp>({
    name: `${inner.name}.narrowed`,
    kind: inner.kind,
    priority: inner.priority - 0.25,
    applies: (op, t, m) => {
      if (!m || op.inputs.length !== 1 || !('weights' in op)) return false;
      const w = m.consts.find((c) => c.id === (op as { weights: number }).weights);
      if (!w || w.data.length < MIN_WEIGHT_BYTES || !inner.applies(op, t, m)) return false;
      const probed = probeOf(inner, op, m, t);
      if ('reason' in probed.form || probed.form.instructions > MAX_WIDEN_PER_MAC * op.macs) return false;
      seen.set(op, { probed, module: m, target: t });
      return true;
    },
    ...(prepass !== undefined ? { modes: { prepass } } : {}),
    scratchBytes: (op) => align8(inner.scratchBytes(op)) + form(op).dae.stageBytes,
    emit: (op, ctx) => {
      if (ctx.mode) throw new Error(`${inner.name}.narrowed: op ${op.index}: no modal forms`);
      const { probed, target } = get(op);
      // The probe's kernel under this layer's name (the placeholder only ever appears as the name prefix).
      const k = target.cpu === ctx.target.cpu && target.dsp === ctx.target.dsp ? probed.kernel : inner.emit(op, { ...ctx, fn: PLACEHOLDER });
      const rename = (t: string) => t.replaceAll(PLACEHOLDER, `${ctx.fn}_n`);
      const f = form(op);
      return emitNarrowed(ctx.fn, { ...k, data: rename(k.data), code: rename(k.code) }, { ...f, dae: { ...f.dae, arrays: f.dae.arrays.map((a) => ({ ...a, name: rename(a.name) })) } },
        align8(inner.scratchBytes(op)), inner.scratchBytes(op) > 0);
    },
    ...(inner.estimate ? {
      estimate: (op: KernelOp) => { const e = inner.estimate!(op); const f = form(op); return { instructions: e.instructions + f.instructions, loads: e.loads + f.words.length }; },
    } : {}),
  });
}
