// QUANTIZE and DEQUANTIZE at the float edges, and QUANTIZE between int8 and int16: TFLite's AffineQuantize,
// Requantize and Dequantize (the steps and where TFLite Micro and desktop TFLite differ are documented in
// compiler/quant/quantize.ts, the host twin of this file). Elements are int8 or int16 (`bytes` 1 or 2) and
// float32; addresses are the host's.
import { mbqmDouble } from './quant';

// @ts-ignore: decorator
@inline function loadQ(p: usize, i: i32, bytes: i32): i32 {
  if (bytes == 4) return load<i32>(p + (<usize>i << 2));
  return bytes == 1 ? <i32>load<i8>(p + <usize>i) : <i32>load<i16>(p + (<usize>i << 1));
}

// @ts-ignore: decorator
@inline function storeQ(p: usize, i: i32, bytes: i32, v: i32): void {
  if (bytes == 1) store<i8>(p + <usize>i, <i8>v);
  else if (bytes == 2) store<i16>(p + (<usize>i << 1), <i16>v);
  else store<i32>(p + (<usize>i << 2), v);
}

/** std::round: half away from zero (the difference v - trunc(v) is exact). */
// @ts-ignore: decorator
@inline function roundHalfAway(v: f64): f64 {
  const t = Math.trunc(v);
  const f = v - t;
  return f >= 0.5 ? t + 1.0 : f <= -0.5 ? t - 1.0 : t;
}

/**
 * float32 -> int8/int16: q = clamp(round(x / scale) + zeroPoint, qmin, qmax). `f64div` 0: the quotient in
 * float32 (TFLite Micro), 1: in double (desktop TFLite). NaN gives the zero point; out-of-range quotients
 * saturate.
 */
export function quantizeFloat(src: usize, dst: usize, n: i32, scale: f32, zeroPoint: i32, f64div: i32, bytes: i32, qmin: i32, qmax: i32): void {
  for (let i = 0; i < n; i++) {
    const x = load<f32>(src + (<usize>i << 2));
    const q: f64 = f64div ? <f64>x / <f64>scale : <f64>(x / scale);
    let v: f64;
    if (isNaN(q)) v = <f64>zeroPoint;
    else v = roundHalfAway(q) + <f64>zeroPoint;
    const c = v < <f64>qmin ? qmin : v > <f64>qmax ? qmax : <i32>v;
    storeQ(dst, i, bytes, c);
  }
}

/** int8/int16/int32 -> int8/int16/int32 (bytes 1, 2, 4; int32 only as TFLite Micro's 16x8 edges): clamp(MultiplyByQuantizedMultiplier(q + inputOffset) + outputOffset), double rounding. */
export function requantize(src: usize, dst: usize, n: i32, inBytes: i32, outBytes: i32, inputOffset: i32,
  multiplier: i32, shift: i32, outputOffset: i32, qmin: i32, qmax: i32): void {
  for (let i = 0; i < n; i++) {
    const r = mbqmDouble(loadQ(src, i, inBytes) + inputOffset, multiplier, shift) + outputOffset;
    storeQ(dst, i, outBytes, r < qmin ? qmin : r > qmax ? qmax : r);
  }
}

/** int8/int16 -> float32: scale * (q + inputOffset), one float32 multiply (exact product rounded once). */
export function dequantize(src: usize, dst: usize, n: i32, inBytes: i32, scale: f32, inputOffset: i32): void {
  for (let i = 0; i < n; i++) {
    store<f32>(dst + (<usize>i << 2), scale * <f32>(loadQ(src, i, inBytes) + inputOffset));
  }
}
