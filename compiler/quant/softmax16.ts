// SOFTMAX int16 -> int16 (16x8 models), TFLite's reference_ops::SoftmaxInt16 on the host: its Prepare (the input
// multiplier and the two 513-entry int16 tables of gen_lut) and the element arithmetic, for the lowering and
// the tests (the golden runtime's twin is runtime-wasm/assembly/softmax.ts softmax16, the C's
// mcu-backend/emit/softmax.ts).
//   diff = x - max(row), rescaled by MultiplyByQuantizedMultiplier(s_in * beta / (10 / 65535)) so that
//   [-65535, 0] stands for [-10, 0]; exp from the exp table at diff + 32767 (saturated to int16), Q0.15;
//   sum in int32; 1 / sum from the 1/(1+x) table at the sum normalised by its leading zeros; each output the
//   product rounded back by 31 - clz(sum), clamped to [0, 32767]. The output is scale 1/32768, zero point 0.
// The tables (gen_lut: 512 samples of the function, each corrected by half the error of the interpolated
// midpoint, plus the end value for the last slope) are computed in float32 by TFLite Micro and in double by
// desktop TFLite; the input multiplier from double(s_in) * double(beta) by TFLite Micro and from the float32
// product by desktop TFLite. Both are the arithmetic's choice here.
import { expf } from './libm.ts';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfAway, type Arith } from './multiplier.ts';

const f = Math.fround;

/** gen_lut<FloatT, int16_t, int16_t>(func, min, max, -1, 1): 513 entries; FloatT float32 (tflm) or double (tflite). */
export function genLut16(fn: 'exp' | 'recip', min: number, max: number, arith: Arith): Int16Array {
  const single = arith === 'tflm';
  const r = single ? f : (v: number) => v;
  const func = fn === 'exp' ? (single ? (v: number) => expf(v) : Math.exp) : (v: number) => r(1 / r(1 + v));
  const step = r((max - min) / 512), half = r(step / 2), inv = 32768;
  const clamp = (v: number) => Math.min(Math.max(v, -32768), 32767);
  const lut = new Int16Array(513);
  for (let i = 0; i < 512; i++) {
    const val = func(r(min + r(i * step)));
    const mid = func(r(r(min + r(i * step)) + half));
    const next = func(r(min + r((i + 1) * step)));
    const sample = roundHalfAway(r(val * inv));
    const midInterp = roundHalfAway(r(r(r(next * inv) + sample) / 2));
    const midVal = roundHalfAway(r(mid * inv));
    const bias = roundHalfAway(r(r(midInterp - midVal) / 2));
    lut[i] = clamp(r(sample - bias));
  }
  lut[512] = clamp(roundHalfAway(r(func(max) * inv)));
  return lut;
}

/** lut_lookup_with_interpolation for an int16 input. */
export function lutLookup16(lut: Int16Array, v: number): number {
  const index = 256 + (v >> 7), offset = v & 0x7f;
  const base = lut[index]!, slope = (lut[index + 1]! - base) << 16 >> 16;
  return (base + ((slope * offset + 64) >> 7)) << 16 >> 16;
}

export interface Softmax16Params { multiplier: number; shift: number; expLut: Int16Array; recipLut: Int16Array }

export function softmax16Params(inScale: number, beta: number, arith: Arith): Softmax16Params {
  const sb = arith === 'tflm' ? inScale * beta : f(inScale * beta);
  const m = quantizeMultiplier(sb / (10 / 65535));
  return { multiplier: m.multiplier, shift: m.shift, expLut: genLut16('exp', -10, 0, arith), recipLut: genLut16('recip', 0, 1, arith) };
}

/** One row. */
export function softmax16Row(p: Softmax16Params, row: ArrayLike<number>): number[] {
  const mx = Math.max(...Array.from(row));
  const sat = (v: number) => Math.min(Math.max(v, -32768), 32767);
  const e = Array.from(row, (x) => lutLookup16(p.expLut, sat(multiplyByQuantizedMultiplier(x - mx, p, 'tflm') + 32767)));
  const sum = e.reduce((a, b) => a + b, 0);
  const h = Math.clz32(sum);
  const shifted = Number(((BigInt(sum) << BigInt(h - 1)) + 8192n) >> 14n);
  const recip = lutLookup16(p.recipLut, sat(shifted - 98304));
  const rs = 31 - h;
  return e.map((v) => Math.min(Math.max(Number((BigInt(v) * BigInt(recip) + (1n << BigInt(rs - 1))) >> BigInt(rs)), 0), 32767));
}
