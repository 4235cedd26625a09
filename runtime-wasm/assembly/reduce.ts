// MEAN and SUM over any set of axes of a tensor of rank <= 6 (padded with leading 1s; `mask` bit i marks
// dimension i as reduced), int8 -> int8. The int32 sums are exact in any order; how they become outputs
// follows the three kernels of compiler/quant/params.ts ReduceQuantParams (the SIMD build sums 16 outputs per
// step when the innermost dimension is kept):
//   method 0 (TFLite Micro, reference QuantizedMeanOrSum): MultiplyByQuantizedMultiplier(sum - inZp * count)
//            + outZp, clamped (MEAN's multiplier already holds 1 / count);
//   method 1 (desktop TFLite's int8 MEAN over H, W of a 4-D tensor): MultiplyByQuantizedMultiplier(raw sum)
//            + bias, clamped;
//   method 2 (desktop TFLite's float32 QuantizedMeanOrSum): MEAN: round((float(sum) / count) * scale + bias)
//            + outZp, clamped in float; SUM: round(float(sum) * scale + bias) + outZp, wrapped to int8
//            (that kernel does not clamp). Rounding is std::round (half away from zero) in float32;
//   method 3 (desktop TFLite's MEAN with the input's quantisation kept): sum / count, truncating.
import { mbqmDouble } from './quant';

/** std::round on a float32 of magnitude < 2^23: half away from zero (the fraction v - trunc(v) is exact). */
// @ts-ignore: decorator
@inline export function roundAwayF32(v: f32): f32 {
  const t = Mathf.trunc(v);
  const d = v - t;
  return d >= <f32>0.5 ? t + <f32>1 : d <= <f32>-0.5 ? t - <f32>1 : t;
}

export function reduce(x: usize, out: usize, d0: i32, d1: i32, d2: i32, d3: i32, d4: i32, d5: i32, mask: i32, acc: usize,
  method: i32, isSum: i32, count: i32, inOff: i32, outOff: i32, mult: i32, shift: i32, bias: i32, fscale: f32, fbias: f32): void {
  // Output strides of each input dimension (0 along reduced ones), innermost first.
  let st = 1;
  const s5 = (mask & 32) != 0 ? 0 : st; if ((mask & 32) == 0) st *= d5;
  const s4 = (mask & 16) != 0 ? 0 : st; if ((mask & 16) == 0) st *= d4;
  const s3 = (mask & 8) != 0 ? 0 : st; if ((mask & 8) == 0) st *= d3;
  const s2 = (mask & 4) != 0 ? 0 : st; if ((mask & 4) == 0) st *= d2;
  const s1 = (mask & 2) != 0 ? 0 : st; if ((mask & 2) == 0) st *= d1;
  const s0 = (mask & 1) != 0 ? 0 : st; if ((mask & 1) == 0) st *= d0;
  const nOut = st;
  memory.fill(acc, 0, <usize>nOut * 4);
  let p = x;
  for (let i0 = 0; i0 < d0; i0++) for (let i1 = 0; i1 < d1; i1++) for (let i2 = 0; i2 < d2; i2++)
    for (let i3 = 0; i3 < d3; i3++) for (let i4 = 0; i4 < d4; i4++) {
      const base = i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3 + i4 * s4;
      let i5 = 0;
      if (ASC_FEATURE_SIMD) {
        // Innermost dimension kept (MEAN over H, W of NHWC): 16 sums per step.
        if (s5 == 1) {
          for (; i5 + 16 <= d5; i5 += 16) {
            const a = acc + <usize>(base + i5) * 4;
            const v = v128.load(p);
            const lo = i16x8.extend_low_i8x16_s(v), hi = i16x8.extend_high_i8x16_s(v);
            v128.store(a, i32x4.add(v128.load(a), i32x4.extend_low_i16x8_s(lo)));
            v128.store(a, i32x4.add(v128.load(a, 16), i32x4.extend_high_i16x8_s(lo)), 16);
            v128.store(a, i32x4.add(v128.load(a, 32), i32x4.extend_low_i16x8_s(hi)), 32);
            v128.store(a, i32x4.add(v128.load(a, 48), i32x4.extend_high_i16x8_s(hi)), 48);
            p += 16;
          }
        }
      }
      for (; i5 < d5; i5++) {
        const a = acc + <usize>(base + i5 * s5) * 4;
        store<i32>(a, load<i32>(a) + <i32>load<i8>(p));
        p++;
      }
    }
  for (let o = 0; o < nOut; o++) {
    const sum = load<i32>(acc + <usize>o * 4);
    let v: i32;
    if (method == 2) {
      if (isSum != 0) {
        v = <i32>roundAwayF32(<f32>sum * fscale + fbias) + outOff;
        store<i8>(out + <usize>o, <i8>v);
        continue;
      }
      let r = roundAwayF32((<f32>sum / <f32>count) * fscale + fbias) + <f32>outOff;
      r = r > <f32>127 ? <f32>127 : r;
      r = r < <f32>-128 ? <f32>-128 : r;
      v = <i32>r;
    } else if (method == 3) {
      v = sum / count;
    } else if (method == 1) {
      v = mbqmDouble(sum, mult, shift) + bias;
    } else {
      v = mbqmDouble(sum + inOff * count, mult, shift) + outOff;
    }
    v = v < -128 ? -128 : v > 127 ? 127 : v;
    store<i8>(out + <usize>o, <i8>v);
  }
}
