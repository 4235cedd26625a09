// Fast exact requantisation for the host CPU (RV32IMC): one MULH instead of TFLite's 64-bit multiply,
// nudge, truncating division and rounding divide; and, where a channel's reachable sums allow it, one MUL
// (mul32Requant, mul32Prefix below).
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

/** Largest integer k in [k0, k1] with f(k) <= v, for f monotone non-decreasing (k0 - 1 when none): bisection. */
function lastAtMost(f: (k: number) => number, v: number, k0: number, k1: number): number {
  if (f(k0) > v) return k0 - 1;
  if (f(k1) <= v) return k1;
  let a = k0, c = k1; // f(a) <= v < f(c)
  while (c - a > 1) {
    const h = Math.floor((a + c) / 2);
    if (f(h) <= v) a = h; else c = h;
  }
  return a;
}

/** lo / hi of clampRange for a monotone raw(s) on s = k step, |k| <= b. */
function thresholds(raw: (s: number) => number, b: number, step: number, actMin: number, actMax: number): { lo: number; hi: number } {
  const dMin = -b * step;
  // Largest s in the domain with raw(s) <= v (dMin - 1 when none).
  const last = (v: number): number => {
    const k = lastAtMost((k) => raw(dMin + k * step), v, 0, 2 * b);
    return k < 0 ? dMin - 1 : dMin + k * step;
  };
  return { lo: last(actMin), hi: last(actMax) };
}

/**
 * The requantisation as one 32-bit MUL (CV32E40P: MUL 1 cycle, MULH 5), where a channel's reachable
 * accumulators allow it: out = bits 24..31 of (acc A + B) mod 2^32, i.e. floor((acc A + B) / 2^24) mod 256,
 * for every reachable acc whose output is unclamped (lo < acc <= hi; acc <= lo gives actMin, acc > hi actMax,
 * tested first as thresholds). `ref` is the exact clamped output (TFLite's arithmetic, monotone in acc).
 * Exact by construction: the unclamped outputs are the levels v with acc in [a_v, b_v] (found by bisection on
 * `ref`), and a line floor((acc A + B) / 2^24) is equal to that step function on [accMin, accMax] iff
 * v 2^24 <= a_v A + B and b_v A + B < (v + 1) 2^24 for every level (A > 0: the line is monotone, so a level's
 * two ends decide it). Pairs of levels bound A (lower and upper bounds, exact integer division), B is then any
 * integer in the levels' common interval, and the choice is re-checked at every level end in BigInt. A 24-bit
 * A has ~24 bits of slope; a channel whose 254 unclamped levels span a wide sum range usually needs more and
 * gets undefined (the caller keeps the MULH form).
 */
export interface Mul32Requant { A: number; B: number; lo: number; hi: number }

export function mul32Requant(ref: (acc: number) => number, accMin: number, accMax: number, actMin: number, actMax: number): Mul32Requant | undefined {
  // Largest acc in [from - 1, accMax] with ref(acc) <= v (monotone), galloping up from `from` by `step`.
  const last = (v: number, from: number, step: number): number => {
    if (ref(from) > v) return from - 1;
    let a = from, c = Math.min(accMax, from + Math.max(1, step));
    if (ref(c) <= v) {
      // The guess is usually the level's end: one probe past it settles that.
      if (c === accMax || ref(c + 1) > v) return c;
      a = c + 1;
      for (let k = 2; ; k *= 2) {
        c = Math.min(accMax, a + k);
        if (ref(c) > v) break;
        a = c;
        if (c === accMax) return c;
      }
    } else if (ref(c - 1) <= v) return c - 1;
    while (c - a > 1) { // ref(a) <= v < ref(c)
      const h = Math.floor((a + c) / 2);
      if (ref(h) <= v) a = h; else c = h;
    }
    return a;
  };
  const span = accMax - accMin + 1;
  const lo = last(actMin, accMin, span >> 4);
  if (lo >= accMax) return { A: 1, B: 0, lo, hi: lo };
  const hi = last(actMax - 1, lo + 1, span >> 4);
  if (hi <= lo) return { A: 1, B: 0, lo, hi };
  const levels: Array<{ v: number; a: number; b: number }> = [];
  let w = 1;
  for (let a = lo + 1; a <= hi;) {
    const v = ref(a), b = Math.min(last(v, a, w - 1), hi);
    levels.push({ v, a, b });
    w = b - a + 1;
    a = b + 1;
  }
  // Exact floor(x / d) for integers |x| < 2^40, 0 < d < 2^30 (the double quotient corrected by one step).
  const fdiv = (x: number, d: number): number => {
    let q = Math.floor(x / d);
    if (q * d > x) q--; else if ((q + 1) * d <= x) q++;
    return q;
  };
  const S = 2 ** 24;
  let lb = 1, ub = 2 ** 31 - 1;
  for (let i = 0; i < levels.length; i++) for (let j = 0; j < levels.length; j++) {
    const li = levels[i], lj = levels[j];
    if (j >= i) {
      // b_j A + B < (v_j + 1) S and a_i A + B >= v_i S: (b_j - a_i) A <= (v_j - v_i + 1) S - 1.
      const d = lj.b - li.a;
      if (d > 0) ub = Math.min(ub, fdiv((lj.v - li.v + 1) * S - 1, d));
    } else {
      // a_i A + B >= v_i S and b_j A + B <= (v_j + 1) S - 1: (a_i - b_j) A >= (v_i - v_j - 1) S + 1.
      lb = Math.max(lb, -fdiv(-((li.v - lj.v - 1) * S + 1), li.a - lj.b));
    }
    if (lb > ub) return undefined;
  }
  const A = BigInt(lb), SB = BigInt(S);
  let bLo: bigint | undefined, bHi: bigint | undefined;
  for (const { v, a, b } of levels) {
    const x = BigInt(v) * SB - BigInt(a) * A, y = BigInt(v + 1) * SB - 1n - BigInt(b) * A;
    if (bLo === undefined || x > bLo) bLo = x;
    if (bHi === undefined || y < bHi) bHi = y;
  }
  if (bLo! > bHi!) return undefined;
  const B = bLo!;
  const floorDiv = (x: bigint): bigint => (x >= 0n ? x / SB : -((-x + SB - 1n) / SB));
  for (const { v, a, b } of levels) for (const e of [a, b]) {
    if (floorDiv(BigInt(e) * A + B) !== BigInt(v)) throw new Error(`mul32Requant: level ${v} end ${e} gives ${floorDiv(BigInt(e) * A + B)}`);
  }
  return { A: lb, B: Number(BigInt.asIntN(32, B)), lo, hi };
}

/** The C's MUL form (mul32Requant) in TypeScript (for the tests): 32-bit wrap-around, bits 24..31, as int8. */
export function applyMul32(acc: number, r: Mul32Requant, actMin: number, actMax: number): number {
  if (acc <= r.lo) return actMin;
  if (acc > r.hi) return actMax;
  return ((Math.imul(acc, r.A) + r.B) | 0) >> 24;
}

/**
 * The longest prefix of a channel's unclamped levels the one-MUL form covers: the form (mul32Requant) on
 * [accMin, mid] for the largest level end `mid` it exists for (its `hi` = mid; the whole range when it exists
 * for it), or undefined when not even the first level fits. Sums past mid take the MULH form.
 */
export function mul32Prefix(ref: (acc: number) => number, accMin: number, accMax: number, actMin: number, actMax: number): Mul32Requant | undefined {
  const whole = mul32Requant(ref, accMin, accMax, actMin, actMax);
  if (whole) return whole;
  // Level ends above lo (bisection on ref over the range), then bisection on how many levels the form takes.
  const lastLe = (v: number, a0: number): number => lastAtMost(ref, v, a0, accMax);
  const lo = lastLe(actMin, accMin);
  if (lo >= accMax) return undefined;
  const ends: number[] = [];
  for (let a = lo + 1; a <= accMax && ref(a) < actMax;) { const b = lastLe(ref(a), a); ends.push(b); a = b + 1; }
  let good: Mul32Requant | undefined, n0 = 0, n1 = ends.length; // levels [0, n0) fit, [0, n1) do not
  while (n1 - n0 > 1) {
    const h = (n0 + n1) >> 1, f = mul32Requant(ref, accMin, ends[h - 1], actMin, actMax);
    if (f) { n0 = h; good = f; } else n1 = h;
  }
  if (!good && n0 === 0 && ends.length) good = mul32Requant(ref, accMin, ends[0], actMin, actMax);
  return good;
}
