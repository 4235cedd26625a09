// Global average pooling on DSP cores (kws's and vww's last pool: the window is the whole image, one output
// pixel): four channels per word, summed in two 16-bit-lane accumulators with SXTAB16 (bytes 0, 2) and
// SXTAB16 ROR #8 (bytes 1, 3): 3 instructions per 4 values instead of about 7 per value in avgpool.generic.
// The lanes cannot wrap when the image has at most 255 pixels (|sum| <= 128 * 255 < 2^15); then TFLite
// Micro's rounding division (half away from zero) by the pixel count and the activation clamp, as
// avgpool.generic (pool.ts). Needs a channel count that is a multiple of 4.
import type { KPool2d } from '../../compiler/kernel-ir/types.ts';
import { SIMD_PRELUDE } from './simd-prelude.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function globalAvgPoolApplies(op: KPool2d): string | undefined {
  if (op.kind !== 'average_pool2d') return 'not an average pool';
  if (op.batches !== 1) return 'batches > 1';
  if (op.outH !== 1 || op.outW !== 1 || op.padTop !== 0 || op.padLeft !== 0 || op.kH !== op.inH || op.kW !== op.inW) return 'not a global pool';
  if (op.inC % 4 !== 0) return `${op.inC} channels (needs a multiple of 4)`;
  if (op.inH * op.inW > 255) return `${op.inH * op.inW} pixels (16-bit lane sums need at most 255)`;
  return undefined;
}

export function emitGlobalAvgPool(op: KPool2d, ctx: Pick<EmitContext, 'fn'>): EmittedKernel {
  const why = globalAvgPoolApplies(op);
  if (why) throw new Error(`global average pool kernel for op ${op.index} '${op.name}' not applicable: ${why}`);
  const n = op.inH * op.inW, C = op.inC;
  // Pixels per loop iteration: the largest of 5..1 dividing the pixel count.
  const u = [5, 4, 3, 2, 1].find((d) => n % d === 0)!;
  const fin = (k: number, lane: string) =>
    `    { int32_t s = (int16_t)(${lane}); s = s > 0 ? (s + ${n >> 1}) / ${n} : (s - ${n >> 1}) / ${n}; out[c + ${k}] = (int8_t)(s < ${op.actMin} ? ${op.actMin} : s > ${op.actMax} ? ${op.actMax} : s); }`;
  const code = `${SIMD_PRELUDE}
static void ${ctx.fn}(const int8_t *in, int8_t *out)
{
  for (int c = 0; c < ${C}; c += 4) {
    uint32_t ev = 0, od = 0; const int8_t *x = in + c;
    for (int p = 0; p < ${n}; p += ${u}, x += ${u * C}) {
${Array.from({ length: u }, (_, i) => `      { const uint32_t v = (uint32_t)tfk_ld32(x + ${i * C}); ev = tfk_sxtab16(ev, v); od = tfk_sxtab16_ror8(od, v); }`).join('\n')}
    }
${fin(0, 'ev & 0xffffu')}
${fin(1, 'od & 0xffffu')}
${fin(2, 'ev >> 16')}
${fin(3, 'od >> 16')}
  }
}
`;
  return { data: '', code, constBytes: 0 };
}

export const avgPoolGlobal = defineVariant<KPool2d>({
  name: 'avgpool.global-m4',
  kind: 'average_pool2d',
  priority: 5,
  applies: (op, t, m) => t.dsp && m?.buffers[op.inputs[0]!]?.dtype === 'int8' && globalAvgPoolApplies(op) === undefined,
  scratchBytes: () => 0,
  emit: emitGlobalAvgPool,
  estimate: (op) => ({ instructions: Math.round(op.inH * op.inW * op.inC * 1.1 + op.inC * 12), loads: op.inH * op.inW * op.inC / 4 }),
});
