// Elementwise ADD with NumPy broadcasting (TFLite ADD, int8): both inputs are offset, shifted left by
// leftShift (20 for int8), rescaled to a common scale with double-rounding multipliers, summed, rescaled
// to the output scale, offset and clamped. Broadcasting is by strides over a 4-D output: a stride of 0
// repeats an input along that dimension (the host computes the strides). The SIMD build does four
// (contiguous: sixteen) elements of the innermost dimension per step with the same integer steps (quant.ts mbqm4Uniform).
import { mbqm4Small, mbqm4Uniform, mbqmDouble, smallShiftOk, store4 } from './quant';

/** Four lanes of ADD before the clamp (SIMD build only). */
// @ts-ignore: decorator
@inline function add4(xa: v128, xb: v128, in1Offset: i32, in2Offset: i32, outOffset: i32, leftShift: i32,
  m1: i32, s1: i32, m2: i32, s2: i32, mo: i32, so: i32): v128 {
  const va = i32x4.add(xa, i32x4.splat(in1Offset)), vb = i32x4.add(xb, i32x4.splat(in2Offset));
  const sa = smallShiftOk(in1Offset, leftShift, s1) ? mbqm4Small(va, leftShift, m1, s1) : mbqm4Uniform(i32x4.shl(va, leftShift), m1, s1);
  const sb = smallShiftOk(in2Offset, leftShift, s2) ? mbqm4Small(vb, leftShift, m2, s2) : mbqm4Uniform(i32x4.shl(vb, leftShift), m2, s2);
  return i32x4.add(mbqm4Uniform(i32x4.add(sa, sb), mo, so), i32x4.splat(outOffset));
}

export function add(a: usize, bIn: usize, out: usize,
  d0: i32, d1: i32, d2: i32, d3: i32,
  as0: i32, as1: i32, as2: i32, as3: i32,
  bs0: i32, bs1: i32, bs2: i32, bs3: i32,
  in1Offset: i32, in2Offset: i32, outOffset: i32, leftShift: i32,
  m1: i32, s1: i32, m2: i32, s2: i32, mo: i32, so: i32, actMin: i32, actMax: i32): void {
  let o: usize = out;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        const pa = a + <usize>(i0 * as0 + i1 * as1 + i2 * as2);
        const pb = bIn + <usize>(i0 * bs0 + i1 * bs1 + i2 * bs2);
        let i3 = 0;
        if (ASC_FEATURE_SIMD) {
          // Sixteen, then four elements at a time along the innermost dimension (stride 1, or 0 when broadcast).
          if (as3 == 1 && bs3 == 1) {
            for (; i3 + 16 <= d3; i3 += 16) {
              const va = v128.load(pa + <usize>i3);
              const vb = v128.load(pb + <usize>i3);
              const la = i16x8.extend_low_i8x16_s(va), ha = i16x8.extend_high_i8x16_s(va);
              const lb = i16x8.extend_low_i8x16_s(vb), hb = i16x8.extend_high_i8x16_s(vb);
              const r0 = add4(i32x4.extend_low_i16x8_s(la), i32x4.extend_low_i16x8_s(lb), in1Offset, in2Offset, outOffset, leftShift, m1, s1, m2, s2, mo, so);
              const r1 = add4(i32x4.extend_high_i16x8_s(la), i32x4.extend_high_i16x8_s(lb), in1Offset, in2Offset, outOffset, leftShift, m1, s1, m2, s2, mo, so);
              const r2 = add4(i32x4.extend_low_i16x8_s(ha), i32x4.extend_low_i16x8_s(hb), in1Offset, in2Offset, outOffset, leftShift, m1, s1, m2, s2, mo, so);
              const r3 = add4(i32x4.extend_high_i16x8_s(ha), i32x4.extend_high_i16x8_s(hb), in1Offset, in2Offset, outOffset, leftShift, m1, s1, m2, s2, mo, so);
              // Saturating narrows; the clamp to [actMin, actMax] (within int8) is done on the bytes.
              let r = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(r0, r1), i16x8.narrow_i32x4_s(r2, r3));
              r = i8x16.min_s(i8x16.max_s(r, i8x16.splat(<i8>actMin)), i8x16.splat(<i8>actMax));
              v128.store(o, r);
              o += 16;
            }
          }
          for (; i3 + 4 <= d3; i3 += 4) {
            const xa = as3 == 0 ? i32x4.splat(<i32>load<i8>(pa)) : i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(pa + <usize>i3)));
            const xb = bs3 == 0 ? i32x4.splat(<i32>load<i8>(pb)) : i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(pb + <usize>i3)));
            let r = add4(xa, xb, in1Offset, in2Offset, outOffset, leftShift, m1, s1, m2, s2, mo, so);
            r = i32x4.min_s(i32x4.max_s(r, i32x4.splat(actMin)), i32x4.splat(actMax));
            store4(o, r);
            o += 4;
          }
        }
        for (; i3 < d3; i3++) {
          const va = (<i32>load<i8>(pa + <usize>(i3 * as3)) + in1Offset) * (1 << leftShift);
          const vb = (<i32>load<i8>(pb + <usize>(i3 * bs3)) + in2Offset) * (1 << leftShift);
          const sum = mbqmDouble(va, m1, s1) + mbqmDouble(vb, m2, s2);
          let r = mbqmDouble(sum, mo, so) + outOffset;
          r = r < actMin ? actMin : r;
          r = r > actMax ? actMax : r;
          store<i8>(o, <i8>r);
          o++;
        }
      }
    }
  }
}
