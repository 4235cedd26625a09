// TRANSPOSE_CONV, int8 NHWC with OHWI int8 weights, in gather form: output (oy, ox) sums, over the
// window taps (ky, kx) whose source row oy + padT - ky (and column) is a multiple of the stride inside the
// input, (x + inputOffset) * w. The int32 sums equal the scatter of TFLite's kernels; bias, per-channel
// MultiplyByQuantizedMultiplier with double rounding (both arithmetics), output offset, clamp.
import { mbqmDouble } from './quant';

export function transposeConv(x: usize, n: i32, h: i32, w: i32, c: i32, wp: usize, bp: usize, mp: usize, sp: usize,
  y: usize, oh: i32, ow: i32, oc: i32, kh: i32, kw: i32, sh: i32, sw: i32, padT: i32, padL: i32,
  inOff: i32, outOff: i32, actMin: i32, actMax: i32): void {
  let out = y;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        for (let o = 0; o < oc; o++) {
          let acc = bp != 0 ? load<i32>(bp + <usize>o * 4) : 0;
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
              const xp = x + <usize>(((b * h + iy) * w + ix) * c);
              const wr = wp + <usize>(((o * kh + ky) * kw + kx) * c);
              for (let i = 0; i < c; i++) acc += (<i32>load<i8>(xp + <usize>i) + inOff) * <i32>load<i8>(wr + <usize>i);
            }
          }
          let v = mbqmDouble(acc, load<i32>(mp + <usize>o * 4), load<i32>(sp + <usize>o * 4)) + outOff;
          v = v < actMin ? actMin : v > actMax ? actMax : v;
          store<i8>(out, <i8>v);
          out++;
        }
      }
    }
  }
}
