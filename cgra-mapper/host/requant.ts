// Fast exact requantisation for the host CPU (RV32IMC): one MULH instead of TFLite's 64-bit multiply,
// nudge, truncating division and rounding divide.
//
// With y = MULH(a << 2, M) = floor(a M / 2^30), both of TFLite's arithmetics are a single rounding of y:
//  tflm (double rounding): SRDHM(a, M) = floor((a M + 2^30) / 2^31) for every a M (the nudge and the
//   truncating division combine into one floor), and RoundingDivideByPOT(x, e) = floor((x + 2^(e-1) - [x<0]) / 2^e).
//   Out >= k  <=>  a M >= 2^31 (k 2^e - 2^(e-1) + [x<0]) - 2^30, whose right side is a multiple of 2^30, so
//   (floor(z) >= n <=> z >= n for integer n) out = (y + 2^e + 1 - 2 [y < -1]) >> (e + 1); x < 0 <=> y < -1.
//   At y = -1 both corrections give the same output (e >= 1: (2^e) >> (e+1) = (2^e - 2) >> (e+1) = 0), so
//   the C subtracts 2 when y < 0: y + 2 (y >> 31), branch-free.
//   e = 0 (no right shift, or a left shift folded into a): out = (y + 1) >> 1.
//  tflite (single rounding, shift <= 0, T = 31 - shift): out = (y + 2^(T-31)) >> (T - 30).
// The output zero point is folded into the rounding constant (K = C + zp 2^E). When the clamp's lower bound
// is at or above the zero point, the [y < -1] correction never changes a clamped output (every y < -1 gives
// out <= zp) and is dropped. Valid while |a| << (2 + left) fits int32; the emitter checks the bound from the
// weights and falls back to runtime.h's exact functions otherwise. tests/cgra-mapper/host-requant.test.ts
// checks it against compiler/quant/multiplier.ts on random and boundary values.
import { multiplyByQuantizedMultiplier, type Arith } from '../../compiler/quant/multiplier.ts';

export interface FastRequant {
  /** Left shift applied to the accumulator before the MULH (2 + TFLite's left shift). */
  pre: number;
  m: number;
  /** Arithmetic right shift after adding K. */
  E: number;
  /** Rounding constant with the output zero point folded in. */
  K: number;
  /** Apply y -= 2 when y < -1 (tflm with a right shift, unless the clamp makes it moot). */
  corr: boolean;
}

/** Fast-path parameters for one channel, or undefined when the fast path does not apply. */
export function fastRequant(multiplier: number, shift: number, arith: Arith, outZero: number, actMin: number): FastRequant | undefined {
  if (arith === 'tflm') {
    const left = shift > 0 ? shift : 0, e = shift > 0 ? 0 : -shift;
    if (e > 29 || left > 20) return undefined;
    if (e === 0) return { pre: 2 + left, m: multiplier, E: 1, K: 1 + outZero * 2, corr: false };
    const E = e + 1;
    const K = 2 ** e + 1 + outZero * 2 ** E;
    if (Math.abs(K) >= 2 ** 30) return undefined;
    return { pre: 2, m: multiplier, E, K, corr: actMin < outZero };
  }
  if (shift > 0) return undefined;
  const T = 31 - shift, E = T - 30;
  if (E > 29) return undefined;
  const K = 2 ** (E - 1) + outZero * 2 ** E;
  if (Math.abs(K) >= 2 ** 30) return undefined;
  return { pre: 2, m: multiplier, E, K, corr: false };
}

/** The C's computation in TypeScript (for the tests): the int8 output of accumulator a. */
export function applyFast(a: number, f: FastRequant, actMin: number, actMax: number): number {
  const y = Number((BigInt((a << f.pre) | 0) * BigInt(f.m)) >> 32n) | 0;
  const y2 = f.corr && y < 0 ? y - 2 : y;
  const v = (y2 + f.K) >> f.E;
  return v < actMin ? actMin : v > actMax ? actMax : v;
}

/** Largest |a| the fast path takes (a << pre must not overflow). */
export const fastLimit = (f: FastRequant): number => 2 ** (31 - f.pre) - 1;

/**
 * The unclamped output of the C's requantisation of s (no clamp): `packed` s = z = 512 (D + b), the post-step's
 * packed-pair form (y7 = MULH(z, M), out = (y7 + 128 K (- 256 when corr and y7 < 0)) >> (E + 7), emit-c.ts);
 * else s = a, applyFast without its clamp.
 */
export function requantRaw(s: number, f: FastRequant, packed: boolean): number {
  if (packed) {
    let y = Number((BigInt(s) * BigInt(f.m)) >> 32n);
    if (f.corr && y < 0) y -= 256;
    return Math.floor((y + f.K * 128) / 2 ** (f.E + 7));
  }
  let y = Number((BigInt((s << f.pre) | 0) * BigInt(f.m)) >> 32n);
  if (f.corr && y < 0) y -= 2;
  return Math.floor((y + f.K) / 2 ** f.E);
}

/**
 * The clamp as two thresholds on the value before the MULH. The requantisation is monotone in s (a
 * non-negative multiplier; the negative-side correction only lowers negative y), so with lo = the largest s
 * whose output is <= actMin and hi = the largest s whose output is <= actMax, every s in (lo, hi] needs no
 * clamp, s <= lo gives actMin and s > hi gives actMax, neither with a MULH. Domain: the s the C computes
 * exactly (packed: multiples of 512 in int32; else |a| <= fastLimit), within +-bound (|D + b| <= bound, so
 * +-512 bound packed); lo >= the domain's start - 1, so both fit int32.
 */
export function clampRange(f: FastRequant, packed: boolean, actMin: number, actMax: number, bound = Infinity): { lo: number; hi: number } {
  const step = packed ? 512 : 1;
  const b = Math.floor(Math.min(bound, packed ? 2 ** 22 - 1 : fastLimit(f)));
  return thresholds((s) => requantRaw(s, f, packed), b, step, actMin, actMax);
}

/** clampRange for the exact path (runtime.h's tf_requant_*, equal to compiler/quant/multiplier.ts): s = a. */
export function clampRangeExact(multiplier: number, shift: number, arith: Arith, outZero: number, actMin: number, actMax: number, bound: number): { lo: number; hi: number } {
  const b = Math.floor(Math.min(bound, 2 ** 31 - 2));
  return thresholds((a) => multiplyByQuantizedMultiplier(a, { multiplier, shift }, arith) + outZero, b, 1, actMin, actMax);
}

/** lo / hi of clampRange for a monotone raw(s) on s = k step, |k| <= b. */
function thresholds(raw: (s: number) => number, b: number, step: number, actMin: number, actMax: number): { lo: number; hi: number } {
  const dMin = -b * step, dMax = b * step;
  // Largest s in the domain with raw(s) <= v (dMin - 1 when none).
  const last = (v: number): number => {
    if (raw(dMin) > v) return dMin - 1;
    if (raw(dMax) <= v) return dMax;
    let a = 0, c = 2 * b; // raw(dMin + a step) <= v < raw(dMin + c step)
    while (c - a > 1) {
      const h = Math.floor((a + c) / 2);
      if (raw(dMin + h * step) <= v) a = h; else c = h;
    }
    return dMin + a * step;
  };
  return { lo: last(actMin), hi: last(actMax) };
}
