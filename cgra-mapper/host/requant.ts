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
import type { Arith } from '../../compiler/quant/multiplier.ts';

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
