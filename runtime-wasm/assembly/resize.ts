// RESIZE_BILINEAR, int8 NHWC, as TFLite's ResizeBilinearInteger (used by TFLite Micro and, for int8, by
// desktop TFLite's optimised kernel): source coordinates in 10-bit fixed point (scale rounded to nearest,
// half_pixel_centers shifts by half a pixel, align_corners maps corner to corner), four taps weighted in
// 20 bits, the sum rounded half away from zero with a truncating division. Values are not requantised.

export function resizeBilinear(x: usize, out: usize, n: i32, h: i32, w: i32, c: i32, oh: i32, ow: i32, align: i32, half: i32): void {
  let hs = ((1 << 10) * h + oh / 2) / oh;
  let ws = ((1 << 10) * w + ow / 2) / ow;
  if (align != 0 && oh > 1) hs = ((1 << 10) * (h - 1) + (oh - 1) / 2) / (oh - 1);
  if (align != 0 && ow > 1) ws = ((1 << 10) * (w - 1) + (ow - 1) / 2) / (ow - 1);
  let o = out;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy = half != 0 ? oy * hs + hs / 2 - (1 << 9) : oy * hs;
      const y0 = max(iy / (1 << 10), 0);
      const y1 = min((iy + (1 << 10) - 1) / (1 << 10), h - 1);
      const fy = <i64>(iy - (1 << 10) * y0);
      for (let ox = 0; ox < ow; ox++) {
        const ix = half != 0 ? ox * ws + ws / 2 - (1 << 9) : ox * ws;
        const x0 = max(ix / (1 << 10), 0);
        const x1 = min((ix + (1 << 10) - 1) / (1 << 10), w - 1);
        const fx = <i64>(ix - (1 << 10) * x0);
        const p00 = x + <usize>(((b * h + y0) * w + x0) * c);
        const p01 = x + <usize>(((b * h + y0) * w + x1) * c);
        const p10 = x + <usize>(((b * h + y1) * w + x0) * c);
        const p11 = x + <usize>(((b * h + y1) * w + x1) * c);
        for (let ch = 0; ch < c; ch++) {
          const v = <i64>load<i8>(p00 + <usize>ch) * ((1 << 10) - fy) * ((1 << 10) - fx)
            + <i64>load<i8>(p10 + <usize>ch) * fy * ((1 << 10) - fx)
            + <i64>load<i8>(p01 + <usize>ch) * ((1 << 10) - fy) * fx
            + <i64>load<i8>(p11 + <usize>ch) * fy * fx;
          const round: i64 = v > 0 ? (1 << 19) : -(1 << 19);
          store<i8>(o, <i8>((v + round) / (1 << 20)));
          o++;
        }
      }
    }
  }
}
