// Average and max pooling (TFLite AVERAGE_POOL_2D / MAX_POOL_2D, int8, reference_integer_ops semantics):
// the window is clipped to the image; average divides the raw int8 sum by the number of in-bounds taps,
// rounding half away from zero with C's truncating division ((sum +- count / 2) / count); max starts
// from -128. Input and output share scale and zero point (TFLite requires it), then the activation clamp.

export function pool2d(isMax: i32, x: usize, n: i32, h: i32, wd: i32, c: i32,
  out: usize, oh: i32, ow: i32, fh: i32, fw: i32, sh: i32, sw: i32, padT: i32, padL: i32,
  actMin: i32, actMax: i32): void {
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - padT;
      const fy0 = max(0, -iy0);
      const fy1 = min(fh, h - iy0);
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - padL;
        const fx0 = max(0, -ix0);
        const fx1 = min(fw, wd - ix0);
        const count = (fy1 - fy0) * (fx1 - fx0);
        const outPix = out + <usize>((b * oh + oy) * ow + ox) * <usize>c;
        for (let ch = 0; ch < c; ch++) {
          let acc = isMax != 0 ? -128 : 0;
          for (let fy = fy0; fy < fy1; fy++) {
            const row = x + <usize>((b * h + iy0 + fy) * wd) * <usize>c + <usize>ch;
            for (let fx = fx0; fx < fx1; fx++) {
              const v = <i32>load<i8>(row + <usize>(ix0 + fx) * <usize>c);
              if (isMax != 0) acc = max(acc, v);
              else acc += v;
            }
          }
          if (isMax == 0) {
            if (count <= 0) acc = 0;
            else acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          }
          acc = acc < actMin ? actMin : acc;
          acc = acc > actMax ? actMax : acc;
          store<i8>(outPix + <usize>ch, <i8>acc);
        }
      }
    }
  }
}
