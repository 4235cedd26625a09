// int16 activations ("16x8": int16 activations, int8 weights, int64 biases), TFLite Micro's reference
// kernels' arithmetic (tensorflow/lite/kernels/internal/reference/integer_ops/conv.h, transpose_conv.h,
// add.h / sub.h, leaky_relu.h; the int64 MultiplyByQuantizedMultiplier of kernels/internal/common.cc):
//   conv16x8 / transposeConv16x8  int64 accumulator (no input or output offset: int16 is symmetric), plus
//                   the int64 bias, then mbqm64: the multiplier reduced to 16 bits (round half up, saturated
//                   at 0x7FFF), one 64-bit product and one round-half-up right shift by 15 - shift.
//   binary16        ADD / SUB: each input shifted left by 15 and rescaled (double rounding), summed or
//                   subtracted, rescaled to the output (double rounding); MUL: the product times one multiplier;
//                   the int8 arithmetic with int16 data. Opcodes 6 / 7: desktop TFLite's power-of-two int16
//                   ADD / SUB (reference_ops::Add / Sub16 for int16): one input divided by 2^shift with
//                   gemmlowp's RoundingDivideByPOT on int16, then the sum or difference saturated to int16.
//   leakyRelu16     the identity or the alpha multiplier (int32 MultiplyByQuantizedMultiplier, double rounding).
//   sigmoid16       LOGISTIC / TANH: TFLite's 256-entry sigmoid table with linear interpolation (or gemmlowp).
// Scalar only: these are the reference, not the fast path. Addresses are the host's.
import { mbqmDouble } from './quant';
import { logistic16, tanh16 } from './lstm';

/** TFLite's MultiplyByQuantizedMultiplier(int64 x, int32 multiplier, int shift), kernels/internal/common.cc. */
// @ts-ignore: decorator
@inline export function mbqm64(x: i64, multiplier: i32, shift: i32): i32 {
  const reduced: i64 = multiplier < 0x7fff0000 ? <i64>((multiplier + (1 << 15)) >> 16) : <i64>0x7fff;
  const total = <i64>(15 - shift);
  const round = <i64>1 << (total - 1);
  return <i32>((x * reduced + round) >> total);
}

// @ts-ignore: decorator
@inline function clampTo(v: i32, lo: i32, hi: i32): i32 {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * CONV_2D 16x8, NHWC int16 input, OHWI int8 weights (grouped when wc < c), optional int64 bias (bp 0: none),
 * per-channel multipliers and shifts (int32 arrays of oc entries).
 */
export function conv16x8(x: usize, n: i32, h: i32, w: i32, c: i32, wp: usize, wc: i32, bp: usize, mp: usize, sp: usize,
  y: usize, oh: i32, ow: i32, oc: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padT: i32, padL: i32,
  actMin: i32, actMax: i32): void {
  const groups = c / wc;
  const perGroup = oc / groups;
  let out = y;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - padT;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - padL;
        for (let o = 0; o < oc; o++) {
          const g = o / perGroup;
          let acc: i64 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = y0 + dh * ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = x0 + dw * kx;
              if (ix < 0 || ix >= w) continue;
              const xp = x + (<usize>(((b * h + iy) * w + ix) * c + g * wc) << 1);
              const wr = wp + <usize>(((o * kh + ky) * kw + kx) * wc);
              for (let i = 0; i < wc; i++) acc += <i64>(<i32>load<i16>(xp + (<usize>i << 1)) * <i32>load<i8>(wr + <usize>i));
            }
          }
          if (bp != 0) acc += load<i64>(bp + (<usize>o << 3));
          const v = mbqm64(acc, load<i32>(mp + (<usize>o << 2)), load<i32>(sp + (<usize>o << 2)));
          store<i16>(out, <i16>clampTo(v, actMin, actMax));
          out += 2;
        }
      }
    }
  }
}

/**
 * TRANSPOSE_CONV 16x8 in gather form (each output sums the taps whose input pixel lands on it: the same int64
 * sums as TFLite Micro's scatter into its int64 scratch buffer), then bias, mbqm64 and the clamp.
 */
export function transposeConv16x8(x: usize, n: i32, h: i32, w: i32, c: i32, wp: usize, bp: usize, mp: usize, sp: usize,
  y: usize, oh: i32, ow: i32, oc: i32, kh: i32, kw: i32, sh: i32, sw: i32, padT: i32, padL: i32, actMin: i32, actMax: i32): void {
  let out = y;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let o = 0; o < oc; o++) {
          let acc: i64 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const ty = oy + padT - ky;
            if (ty < 0 || ty % sh != 0) continue;
            const iy = ty / sh;
            if (iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const tx = ox + padL - kx;
              if (tx < 0 || tx % sw != 0) continue;
              const ix = tx / sw;
              if (ix >= w) continue;
              const xp = x + (<usize>(((b * h + iy) * w + ix) * c) << 1);
              const wr = wp + <usize>(((o * kh + ky) * kw + kx) * c);
              for (let i = 0; i < c; i++) acc += <i64>(<i32>load<i16>(xp + (<usize>i << 1)) * <i32>load<i8>(wr + <usize>i));
            }
          }
          if (bp != 0) acc += load<i64>(bp + (<usize>o << 3));
          const v = mbqm64(acc, load<i32>(mp + (<usize>o << 2)), load<i32>(sp + (<usize>o << 2)));
          store<i16>(out, <i16>clampTo(v, actMin, actMax));
          out += 2;
        }
      }
    }
  }
}

/** gemmlowp's RoundingDivideByPOT on int16 (exponent 0..31): mask (2^e - 1) and threshold in int16, so from
 *  e = 16 on the mask is -1 (the result is then 1 for x >= 0 and -1 below). */
// @ts-ignore: decorator
@inline function rdivPot16(x: i32, e: i32): i32 {
  const m32: i32 = (1 << e) - 1;
  const mask: i32 = <i32><i16>m32;
  const t32: i32 = (mask >> 1) + (x < 0 ? 1 : 0);
  const threshold: i32 = <i32><i16>t32;
  const r32: i32 = x & mask;
  const remainder: i32 = <i32><i16>r32;
  const q32: i32 = (x >> e) + (remainder > threshold ? 1 : 0);
  return <i32><i16>q32;
}

/**
 * ADD (opcode 0) / SUB (1) / MUL (2: the product of the offset inputs times one multiplier); 6 / 7: ADD / SUB
 * on desktop TFLite's power-of-two path (s1, s2 the right shifts of the inputs, the other parameters unused) on int16 with NumPy broadcasting over 6 dimensions: `geom` holds 18 int32, the
 * output dims d0..d5 and each input's element strides a0..a5, b0..b5 (0 along a broadcast dimension). SUB
 * with a negative input-2 multiplier adds (desktop TFLite's SUB-as-ADD), as binary.ts does.
 */
export function binary16(opcode: i32, a: usize, b: usize, out: usize, geom: usize,
  in1Offset: i32, in2Offset: i32, outOffset: i32, leftShift: i32,
  m1: i32, s1: i32, m2: i32, s2: i32, mo: i32, so: i32, actMin: i32, actMax: i32): void {
  const d0 = load<i32>(geom), d1 = load<i32>(geom, 4), d2 = load<i32>(geom, 8), d3 = load<i32>(geom, 12), d4 = load<i32>(geom, 16), d5 = load<i32>(geom, 20);
  const a0 = load<i32>(geom, 24), a1 = load<i32>(geom, 28), a2 = load<i32>(geom, 32), a3 = load<i32>(geom, 36), a4 = load<i32>(geom, 40), a5 = load<i32>(geom, 44);
  const b0 = load<i32>(geom, 48), b1 = load<i32>(geom, 52), b2 = load<i32>(geom, 56), b3 = load<i32>(geom, 60), b4 = load<i32>(geom, 64), b5 = load<i32>(geom, 68);
  let o: usize = out;
  for (let i0 = 0; i0 < d0; i0++) {
    for (let i1 = 0; i1 < d1; i1++) {
      for (let i2 = 0; i2 < d2; i2++) {
        for (let i3 = 0; i3 < d3; i3++) {
          for (let i4 = 0; i4 < d4; i4++) {
            const ia = i0 * a0 + i1 * a1 + i2 * a2 + i3 * a3 + i4 * a4;
            const ib = i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3 + i4 * b4;
            for (let i5 = 0; i5 < d5; i5++) {
              const x1 = <i32>load<i16>(a + (<usize>(ia + i5 * a5) << 1));
              const x2 = <i32>load<i16>(b + (<usize>(ib + i5 * b5) << 1));
              let r: i32;
              if (opcode >= 6) {
                const p = s1 > 0 ? rdivPot16(x1, s1) : x1;
                const q = s2 > 0 ? rdivPot16(x2, s2) : x2;
                r = opcode == 6 ? p + q : p - q;
              } else if (opcode == 2) {
                r = mbqmDouble((x1 + in1Offset) * (x2 + in2Offset), mo, so) + outOffset;
              } else {
                const p = mbqmDouble((x1 + in1Offset) * (1 << leftShift), m1, s1);
                const q = mbqmDouble((x2 + in2Offset) * (1 << leftShift), m2, s2);
                r = mbqmDouble(opcode == 0 || m2 < 0 ? p + q : p - q, mo, so) + outOffset;
              }
              store<i16>(o, <i16>clampTo(r, actMin, actMax));
              o += 2;
            }
          }
        }
      }
    }
  }
}

/** LEAKY_RELU on int16: TFLite's QuantizeLeakyRelu (identity multiplier at or above the input zero point, else alpha's). */
export function leakyRelu16(x: usize, out: usize, n: i32, inZp: i32, outZp: i32, multId: i32, shiftId: i32, multAlpha: i32, shiftAlpha: i32): void {
  for (let i = 0; i < n; i++) {
    const v = <i32>load<i16>(x + (<usize>i << 1)) - inZp;
    const r = v >= 0 ? mbqmDouble(v, multId, shiftId) : mbqmDouble(v, multAlpha, shiftAlpha);
    store<i16>(out + (<usize>i << 1), <i16>clampTo(outZp + r, -32768, 32767));
  }
}

/**
 * AVERAGE_POOL_2D (isMax 0) / MAX_POOL_2D (1) on int16: TFLite's reference_integer_ops pooling for int16, the
 * int8 steps (window clipped to the image; the average's int32 sum rounded half away from zero by the count).
 */
export function pool16(isMax: i32, x: usize, n: i32, h: i32, wd: i32, c: i32,
  out: usize, oh: i32, ow: i32, fh: i32, fw: i32, sh: i32, sw: i32, padT: i32, padL: i32, actMin: i32, actMax: i32): void {
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      const fy0 = max(0, -iy0), fy1 = min(fh, h - iy0);
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padL;
        const fx0 = max(0, -ix0), fx1 = min(fw, wd - ix0);
        const count = (fy1 - fy0) * (fx1 - fx0);
        for (let ch = 0; ch < c; ch++) {
          let acc = isMax != 0 ? -32768 : 0;
          for (let fy = fy0; fy < fy1; fy++) {
            for (let fx = fx0; fx < fx1; fx++) {
              const v = <i32>load<i16>(x + (<usize>(((b * h + iy0 + fy) * wd + ix0 + fx) * c + ch) << 1));
              acc = isMax != 0 ? max(acc, v) : acc + v;
            }
          }
          if (isMax == 0) acc = count <= 0 ? 0 : acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          store<i16>(out + (<usize>(((b * oh + oy) * ow + ox) * c + ch) << 1), <i16>clampTo(acc, actMin, actMax));
        }
      }
    }
  }
}

/**
 * LOGISTIC (isTanh 0) / TANH (1) on int16, TFLite's reference_integer_ops int16 kernels: the input rescaled by
 * (x * mult + round) >> shift, linear interpolation in the uploaded 256-entry sigmoid table (uint16; LOGISTIC
 * 9 fraction bits of the index, TANH 8), the sign folded back, Q0.15. gemm != 0: desktop TFLite's optimized
 * kernel for power-of-two scales, gemmlowp logistic / tanh on FixedPoint<int16, 3> (lstm.ts), the TANH input
 * first doubled with saturation when preShift is 1 (then `shift` holds preShift).
 */
export function sigmoid16(x: usize, out: usize, n: i32, isTanh: i32, mult: i32, shift: i32, table: usize, gemm: i32): void {
  const round = shift > 0 ? 1 << (shift - 1) : 0;
  for (let i = 0; i < n; i++) {
    const xi = <i32>load<i16>(x + (<usize>i << 1));
    let r: i32;
    if (gemm != 0) {
      if (isTanh == 0) r = logistic16(xi, 3);
      else r = tanh16(shift != 0 ? (xi > 16383 ? 32767 : xi < -16384 ? -32768 : xi << 1) : xi, 3);
    } else {
      const v = (xi * mult + round) >> shift;
      const a = <u32>(v < 0 ? -v : v);
      if (isTanh == 0) {
        const uh = a >> 9;
        let u: u32;
        if (uh >= 255) u = <u32>0x7fff << 10;
        else {
          const ua = <u32>load<u16>(table + (<usize>uh << 1)), ub = <u32>load<u16>(table + (<usize>(uh + 1) << 1));
          u = (ua << 9) + (a & 0x1ff) * (ub - ua);
        }
        u = v >= 0 ? u + (1 << 9) : (1 << 25) - u + (1 << 9) - 1;
        r = <i32>(u >> 10);
      } else {
        const uh = a >> 8;
        let s: i32;
        if (uh >= 255) s = 0xffff << 8;
        else {
          const ua = <u32>load<u16>(table + (<usize>uh << 1)), ub = <u32>load<u16>(table + (<usize>(uh + 1) << 1));
          s = <i32>((ua << 8) + (a & 0xff) * (ub - ua));
        }
        s = v >= 0 ? s - (1 << 23) + (1 << 7) : -s + (1 << 23) + (1 << 7) - 1;
        r = s >> 8;
      }
    }
    store<i16>(out + (<usize>i << 1), <i16>r);
  }
}
