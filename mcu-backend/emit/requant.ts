// The 4-instruction requantisation of the fast Cortex-M4 kernels, and the static proof that it is
// bit-exact with TFLite Micro's double rounding for a given layer.
//
//   smmlar t, acc2, M, C   ;  t = C + floor((acc2*M + 2^31) / 2^32) = C + SRDHM(acc, M)
//   sub    t, t, acc2, lsr #31          ; ties away from zero for negative values
//   ssat   t, #8, t, asr #e             ; RoundingDivideByPOT(., e) + zero point, clamped to int8
//   strb   t, [...]
// where acc2 = 2^(left+1) * acc (weights and bias are stored multiplied by 2^(left+1), which also folds a
// left shift into them) and C = 2^(e-1) + outputZeroPoint * 2^e (C = zero point when e = 0; no sub then).
// SRDHM(a, M) = floor((a*M + 2^30) / 2^31) whenever it cannot saturate, and SMMULR(2a, M) computes exactly
// that, so the identity holds when: |acc2| < 2^31 (|acc| * 2^left < 2^30), M >= 0, the widened weights fit
// int16, and |C| < 2^30. `planRequant` checks those per output channel; a kernel variant that uses the
// trick is not applicable when any channel fails. Narrower activation ranges cost an extra max/min.
// A channel that fails can still be folded when its output is provably constant: the requantised value
// is monotone in acc (M >= 0), so when the extremes of acc over every possible input (bias + sum of
// min/max of w*x, x in the offset input range and 0 for padding) give the same int8, the channel gets
// zero weights, M = 0 and C = that value (real models have such dead channels, e.g. a zero-weight
// channel whose bias TFLite quantised near 2^31, or a vanishing multiplier). Double rounding only.
// The `sub` is dropped when actMin >= the output zero point (ReLU / ReLU6 layers, zero point -128): for
// acc < 0, SRDHM <= 0 (M >= 0), so with or without the tie correction the value before the clamp is
// <= zero point <= actMin and both clamp to actMin; for acc >= 0 the sub is 0 anyway (`signFix`).

import type { Requantise } from '../../compiler/kernel-ir/types.ts';
import { clamp, multiplyByQuantizedMultiplier } from '../../compiler/quant/multiplier.ts';

export interface ChannelRequant {
  /** Q31 multiplier (>= 0). */
  M: number;
  /** Right shift applied by SSAT (0..31). */
  e: number;
  /** Factor applied to stored weights and bias: 2^(left + 1). */
  wScale: number;
  /** Rounding constant with the output zero point folded in. */
  C: number;
  /** TFLite's shift (positive = left), for the single-rounding fallback. */
  shift: number;
  /** Set when the channel's output is provably this constant (weights and multiplier zeroed). */
  constant?: number;
}

/** The int8 output when it is the same for every accumulator in [lo, hi] (double rounding), else undefined. */
export function constantOutput(rq: Requantise, M: number, shift: number, [lo, hi]: [number, number]): number | undefined {
  if (lo < -2147483648 || hi > 2147483647) return undefined;
  const f = (acc: number) => clamp(multiplyByQuantizedMultiplier(acc, { multiplier: M, shift }, 'tflm') + rq.outputOffset, rq.actMin, rq.actMax);
  const a = f(lo), b = f(hi);
  return a === b ? a : undefined;
}

/** Range of bias + sum w_i * x_i over x_i in [-128, 127] + inputOffset (and 0, for padding). */
export function accRangeOf(bias: number, weights: ArrayLike<number>, inputOffset: number, start = 0, n = weights.length, stride = 1): [number, number] {
  const xl = Math.min(-128 + inputOffset, 0), xh = Math.max(127 + inputOffset, 0);
  let lo = bias, hi = bias;
  for (let i = 0; i < n; i++) {
    const w = weights[start + i * stride]!;
    lo += Math.min(w * xl, w * xh);
    hi += Math.max(w * xl, w * xh);
  }
  return [lo, hi];
}

export type RequantPlan = { ok: true; channels: ChannelRequant[]; clampMin: boolean; clampMax: boolean } | { ok: false; reason: string };

const TWO30 = 2 ** 30;

/**
 * Plans the trick for `outC` channels. `accBound(c)` bounds |acc| of channel c before any left shift
 * (bias included); `maxAbsWeight(c)` is the largest |stored weight| of channel c before scaling (weights
 * are scaled by wScale and must stay within int16).
 */
export function planRequant(rq: Requantise, outC: number, accBound: (c: number) => number, maxAbsWeight: (c: number) => number,
  accRange?: (c: number) => [number, number]): RequantPlan {
  const channels: ChannelRequant[] = [];
  for (let c = 0; c < outC; c++) {
    const i = rq.requant.multiplier.length === 1 ? 0 : c;
    const M = rq.requant.multiplier[i]!;
    const shift = rq.requant.shift[i]!;
    const left = shift > 0 ? shift : 0;
    const e = shift > 0 ? 0 : -shift;
    const wScale = 2 ** (left + 1);
    const C = e > 0 ? 2 ** (e - 1) + rq.outputOffset * 2 ** e : rq.outputOffset;
    const why = M < 0 ? `channel ${c}: negative multiplier ${M}`
      : e > 31 ? `channel ${c}: right shift ${e} > 31`
      : maxAbsWeight(c) * wScale > 32767 ? `channel ${c}: weight x ${wScale} does not fit int16`
      : accBound(c) * 2 ** left >= TWO30 ? `channel ${c}: |acc| bound ${accBound(c)} x 2^${left} >= 2^30`
      : Math.abs(C) >= TWO30 ? `channel ${c}: rounding constant ${C} out of range` : undefined;
    if (!why) { channels.push({ M, e, wScale, C, shift }); continue; }
    const k = accRange && rq.rounding !== 'single' && M >= 0 ? constantOutput(rq, M, shift, accRange(c)) : undefined;
    if (k === undefined) return { ok: false, reason: why };
    channels.push({ M: 0, e: 0, wScale: 0, C: k, shift, constant: k });
  }
  return { ok: true, channels, clampMin: rq.actMin > -128, clampMax: rq.actMax < 127 };
}

/** Largest |x + inputOffset| over int8 x. */
export function maxAbsInput(inputOffset: number): number {
  return Math.max(Math.abs(-128 + inputOffset), Math.abs(127 + inputOffset));
}

/** Whether the requantisation needs its `sub t, t, acc2, lsr #31` for right shift e (see the header). */
export function signFix(rq: Pick<Requantise, 'actMin' | 'outputOffset'>, e: number): boolean {
  return e > 0 && rq.actMin < rq.outputOffset;
}

/**
 * C statements turning the int32 variable `acc` (already scaled by wScale) into int8 in `dst`,
 * with multiplier/constant expressions `m`, `c` and the channel's shift `e` (an immediate).
 */
export function requantC(acc: string, m: string, c: string, e: number, dst: string, rq: Requantise, single?: { k: number; shift: number }): string {
  const t = `${dst}_t`;
  let s = `int32_t ${t} = tfk_smmlar(${acc}, ${m}, ${c});`;
  if (single) {
    // TFLite single rounding (conv/FC in 'tflite' arithmetic): undo the exact 2^k scaling, use runtime.h.
    s = `int32_t ${dst} = tf_requant_tflite((${acc}) >> ${single.k}, ${m}, ${single.shift}) + ${rq.outputOffset};` +
      ` if (${dst} < ${rq.actMin}) ${dst} = ${rq.actMin}; if (${dst} > ${rq.actMax}) ${dst} = ${rq.actMax}; (void)${c};`;
    return s;
  }
  if (e > 0) s += `${signFix(rq, e) ? ` ${t} -= (int32_t)((uint32_t)(${acc}) >> 31);` : ''} int32_t ${dst}; TFK_SSAT_ASR(${dst}, ${t}, ${e});`;
  else s += ` int32_t ${dst}; TFK_SSAT0(${dst}, ${t});`;
  if (rq.actMin > -128) s += ` if (${dst} < ${rq.actMin}) ${dst} = ${rq.actMin};`;
  if (rq.actMax < 127) s += ` if (${dst} > ${rq.actMax}) ${dst} = ${rq.actMax};`;
  return s;
}
