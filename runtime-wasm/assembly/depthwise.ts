// Depthwise conv2d (TFLite DEPTHWISE_CONV_2D, per-channel int8): output channel oc = ic * m + j reads input
// channel ic only; depth multiplier m, dilation, same/valid padding. Taps in the padding are skipped (as in
// TFLite's reference kernel). Weights arrive as int16 [kh * kw][c * m]. With m == 1 the SIMD build
// accumulates 8 channels at a time with i32x4.extmul_{low,high}_i16x8_s and requantises them in registers
// (quant.ts requant4Double, double rounding); with m a multiple of 8 (micro_speech: c 1, m 8) it splats each
// input value over 8 output channels. Exact int32 sums and the same integer steps, so the same bits.
import { requant, requant4Double, store4 } from './quant';

export function depthwiseConv2d(x: usize, n: i32, h: i32, wd: i32, c: i32,
  w: usize, bias: usize, mult: usize, shift: usize, rq: usize,
  out: usize, oh: i32, ow: i32, m: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32, padT: i32, padL: i32,
  inOffset: i32, outOffset: i32, actMin: i32, actMax: i32, single: i32, acc: usize): void {
  const oc = c * m;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padL;
        let ci = 0;
        if (ASC_FEATURE_SIMD) {
          // The taps inside the input: ky in [ky0, ky1), kx in [kx0, kx1) (no per-tap bounds test).
          const ky0 = iy0 >= 0 ? 0 : (-iy0 + dh - 1) / dh;
          const ky1 = min(kh, (h - iy0 + dh - 1) / dh);
          const kx0 = ix0 >= 0 ? 0 : (-ix0 + dw - 1) / dw;
          const kx1 = min(kw, (wd - ix0 + dw - 1) / dw);
          const xStep = <usize>(dw * c);
          const wStep = <usize>oc << 1;
          if (m == 1) {
            const off = i16x8.splat(<i16>inOffset);
            for (; ci + 8 <= c; ci += 8) {
              let a0 = i32x4.splat(0);
              let a1 = i32x4.splat(0);
              for (let ky = ky0; ky < ky1; ky++) {
                const iy = iy0 + ky * dh;
                let px = x + <usize>((b * h + iy) * wd + ix0 + kx0 * dw) * <usize>c + <usize>ci;
                let pw = w + ((<usize>(ky * kw + kx0) * <usize>oc + <usize>ci) << 1);
                for (let kx = kx0; kx < kx1; kx++) {
                  const xv = i16x8.add(v128.load8x8_s(px), off);
                  const wv = v128.load(pw);
                  a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(xv, wv));
                  a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(xv, wv));
                  px += xStep;
                  pw += wStep;
                }
              }
              if (rq != 0) {
                // Requantise the 8 channels in registers (table rq: see quant.ts).
                const outPix = out + <usize>((b * oh + oy) * ow + ox) * <usize>oc;
                const b0 = bias != 0 ? v128.load(bias + (<usize>ci << 2)) : i32x4.splat(0);
                const b1 = bias != 0 ? v128.load(bias + (<usize>ci << 2) + 16) : i32x4.splat(0);
                store4(outPix + <usize>ci, requant4Double(i32x4.add(a0, b0), ci, oc, mult, rq, outOffset, actMin, actMax));
                store4(outPix + <usize>ci + 4, requant4Double(i32x4.add(a1, b1), ci + 4, oc, mult, rq, outOffset, actMin, actMax));
              } else {
                v128.store(acc + (<usize>ci << 2), a0);
                v128.store(acc + (<usize>ci << 2) + 16, a1);
              }
            }
          } else if ((m & 7) == 0) {
            // Depth multiplier a multiple of 8: output channels o..o+7 all read input channel o / m, so the
            // input value is splatted and the 8 weights are contiguous. Requantised in registers as above.
            const off = <i32>inOffset;
            const outPix = out + <usize>((b * oh + oy) * ow + ox) * <usize>oc;
            for (let o = 0; o < oc; o += 8) {
              const ic = o / m;
              let a0 = i32x4.splat(0);
              let a1 = i32x4.splat(0);
              for (let ky = ky0; ky < ky1; ky++) {
                const iy = iy0 + ky * dh;
                let px = x + <usize>((b * h + iy) * wd + ix0 + kx0 * dw) * <usize>c + <usize>ic;
                let pw = w + ((<usize>(ky * kw + kx0) * <usize>oc + <usize>o) << 1);
                for (let kx = kx0; kx < kx1; kx++) {
                  const xv = i16x8.splat(<i16>(<i32>load<i8>(px) + off));
                  const wv = v128.load(pw);
                  a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(xv, wv));
                  a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(xv, wv));
                  px += xStep;
                  pw += wStep;
                }
              }
              if (rq != 0) {
                const b0 = bias != 0 ? v128.load(bias + (<usize>o << 2)) : i32x4.splat(0);
                const b1 = bias != 0 ? v128.load(bias + (<usize>o << 2) + 16) : i32x4.splat(0);
                store4(outPix + <usize>o, requant4Double(i32x4.add(a0, b0), o, oc, mult, rq, outOffset, actMin, actMax));
                store4(outPix + <usize>o + 4, requant4Double(i32x4.add(a1, b1), o + 4, oc, mult, rq, outOffset, actMin, actMax));
              } else {
                v128.store(acc + (<usize>o << 2), a0);
                v128.store(acc + (<usize>o << 2) + 16, a1);
              }
            }
            ci = c;
          }
        }
        // Scalar path (and the SIMD build's remaining channels): channels ci.. of every tap.
        if (ci < c) {
          memory.fill(acc + (<usize>(ci * m) << 2), 0, <usize>((c - ci) * m) << 2);
          for (let ky = 0; ky < kh; ky++) {
            const iy = iy0 + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ix0 + kx * dw;
              if (ix < 0 || ix >= wd) continue;
              const src = x + <usize>((b * h + iy) * wd + ix) * <usize>c;
              const wt = w + ((<usize>(ky * kw + kx) * <usize>oc) << 1);
              for (let i = ci; i < c; i++) {
                const xv = <i32>load<i8>(src + <usize>i) + inOffset;
                for (let j = 0; j < m; j++) {
                  const o = <usize>(i * m + j);
                  store<i32>(acc + (o << 2), load<i32>(acc + (o << 2)) + xv * <i32>load<i16>(wt + (o << 1)));
                }
              }
            }
          }
        }
        const outPix = out + <usize>((b * oh + oy) * ow + ox) * <usize>oc;
        const done = rq != 0 && (m == 1 || (m & 7) == 0) ? ci * m : 0; // channels already requantised in the SIMD loops
        for (let o = done; o < oc; o++) {
          const a = load<i32>(acc + (<usize>o << 2)) + (bias != 0 ? load<i32>(bias + (<usize>o << 2)) : 0);
          store<i8>(outPix + <usize>o, <i8>requant(a, load<i32>(mult + (<usize>o << 2)), load<i32>(shift + (<usize>o << 2)),
            single, outOffset, actMin, actMax));
        }
      }
    }
  }
}
