// float32 expf and tanhf with musl libc's algorithms, step for step, in TypeScript. Desktop TFLite's int8
// LOGISTIC and TANH (arith `tflite`) fill a 256-entry table at Prepare with 1 / (1 + expf(-x)) and tanhf(x)
// in float32; the interpreter the oracle runs is compiled with Emscripten, whose libm is musl. A correctly
// rounded exp/tanh (Math.exp + fround) differs from musl's in the last bit now and then, and a last-bit
// difference can move a value across a rounding boundary of the table, so the table needs musl's bits:
//   expf:   the table-driven algorithm (32-entry 2^(i/32) table, degree-3 polynomial in double precision);
//   expm1f: the fdlibm float algorithm (argument reduction by ln2, rational correction), in float32 steps;
//   tanhf:  tanh from expm1f with musl's three ranges.
// Every float32 operation is rounded with Math.fround; the expf steps are double precision as in musl.
// (The golden runtime's twin is AssemblyScript's NativeMathf, itself a port of the same musl sources.)

const f = Math.fround;
const buf = new DataView(new ArrayBuffer(8));

function f32bits(x: number): number { buf.setFloat32(0, x); return buf.getUint32(0); }
function bitsF32(u: number): number { buf.setUint32(0, u >>> 0); return buf.getFloat32(0); }
function f64FromBits(hi: number, lo: number): number { buf.setUint32(0, hi >>> 0); buf.setUint32(4, lo >>> 0); return buf.getFloat64(0); }

/** 2^(i/32) for i in [0, 32), as musl's exp2f_data table stores them: bits of 2^(i/32) minus i << 47. */
const EXP2F_TAB: ReadonlyArray<bigint> = [
  0x3ff0000000000000n, 0x3fefd9b0d3158574n, 0x3fefb5586cf9890fn, 0x3fef9301d0125b51n,
  0x3fef72b83c7d517bn, 0x3fef54873168b9aan, 0x3fef387a6e756238n, 0x3fef1e9df51fdee1n,
  0x3fef06fe0a31b715n, 0x3feef1a7373aa9cbn, 0x3feedea64c123422n, 0x3feece086061892dn,
  0x3feebfdad5362a27n, 0x3feeb42b569d4f82n, 0x3feeab07dd485429n, 0x3feea47eb03a5585n,
  0x3feea09e667f3bcdn, 0x3fee9f75e8ec5f74n, 0x3feea11473eb0187n, 0x3feea589994cce13n,
  0x3feeace5422aa0dbn, 0x3feeb737b0cdc5e5n, 0x3feec49182a3f090n, 0x3feed503b23e255dn,
  0x3feee89f995ad3adn, 0x3feeff76f2fb5e47n, 0x3fef199bdd85529cn, 0x3fef3720dcef9069n,
  0x3fef5818dcfba487n, 0x3fef7c97337b9b5fn, 0x3fefa4afa2a490dan, 0x3fefd0765b6e4540n,
];

const N = 32;
const SHIFT = 6755399441055744; // 0x1.8p52: adding it rounds a double to an integer (ties to even)
const INV_LN2_N = f64FromBits(0x3ff71547, 0x652b82fe) * N;
const C0 = f64FromBits(0x3fac6af8, 0x4b912394) / N / N / N;
const C1 = f64FromBits(0x3fcebfce, 0x50fac4f3) / N / N;
const C2 = f64FromBits(0x3fe62e42, 0xff0c52d6) / N;

/** musl expf (float32 in, float32 out). */
export function expf(xIn: number): number {
  const x = f(xIn);
  const ix = f32bits(x);
  const top = (ix >>> 20) & 0x7ff;
  if (top >= 0x42b) {
    if (ix === 0xff800000) return 0;
    if (top >= 0x7f8) return x + x;
    if (x > bitsF32(0x42b17217)) return Infinity;
    if (x < bitsF32(0xc2cff1b4)) return 0;
  }
  const z = INV_LN2_N * x;
  const kd = z + SHIFT;
  // The low bits of kd hold k = round(z) (two's complement in the mantissa's low bits).
  buf.setFloat64(0, kd);
  const ki = buf.getBigUint64(0);
  const r = z - (kd - SHIFT);
  let t = EXP2F_TAB[Number(ki & BigInt(N - 1))]!;
  t = (t + (ki << 47n)) & 0xffffffffffffffffn;
  buf.setBigUint64(0, t);
  const s = buf.getFloat64(0);
  const zz = C0 * r + C1;
  let y = C2 * r + 1;
  y += zz * (r * r);
  y *= s;
  return f(y);
}

/** musl expm1f (fdlibm's float algorithm). */
export function expm1f(xIn: number): number {
  let x = f(xIn);
  const ln2Hi = bitsF32(0x3f317180), ln2Lo = bitsF32(0x3717f7d1), invLn2 = bitsF32(0x3fb8aa3b);
  const Q1 = bitsF32(0xbd088868), Q2 = bitsF32(0x3acf3010);
  const u = f32bits(x);
  const hx = u & 0x7fffffff;
  const sign = u >>> 31;
  if (hx >= 0x4195b844) {
    if (hx > 0x7f800000) return x;
    if (sign) return -1;
    if (hx > 0x42b17217) return Infinity;
  }
  let c = 0, k: number;
  if (hx > 0x3eb17218) {
    let hi: number, lo: number;
    if (hx < 0x3f851592) {
      if (!sign) { hi = f(x - ln2Hi); lo = ln2Lo; k = 1; } else { hi = f(x + ln2Hi); lo = -ln2Lo; k = -1; }
    } else {
      k = Math.trunc(f(f(invLn2 * x) + (sign ? -0.5 : 0.5)));
      const t = f(k);
      hi = f(x - f(t * ln2Hi));
      lo = f(t * ln2Lo);
    }
    x = f(hi - lo);
    c = f(f(hi - x) - lo);
  } else if (hx < 0x33000000) {
    return x;
  } else {
    k = 0;
  }
  const hfx = f(0.5 * x);
  const hxs = f(x * hfx);
  const r1 = f(1 + f(hxs * f(Q1 + f(hxs * Q2))));
  let t = f(3 - f(r1 * hfx));
  let e = f(hxs * f(f(r1 - t) / f(6 - f(x * t))));
  if (k === 0) return f(x - f(f(x * e) - hxs));
  e = f(f(x * f(e - c)) - c);
  e = f(e - hxs);
  if (k === -1) return f(f(0.5 * f(x - e)) - 0.5);
  if (k === 1) {
    if (x < -0.25) return f(-2 * f(e - f(x + 0.5)));
    return f(1 + f(2 * f(x - e)));
  }
  const twopk = bitsF32((0x7f + k) << 23);
  if (k < 0 || k > 56) {
    let y = f(f(x - e) + 1);
    y = k === 128 ? f(f(y * 2) * bitsF32(0x7f000000)) : f(y * twopk);
    return f(y - 1);
  }
  const uk = bitsF32((0x7f - k) << 23);
  const y = k < 20 ? f(f(1 - uk) - e) : f(1 - f(e + uk));
  t = f(x + y);
  return f(t * twopk);
}

/** musl tanhf. */
export function tanhf(xIn: number): number {
  const x = f(xIn);
  const w = f32bits(x) & 0x7fffffff;
  const ax = bitsF32(w);
  let t: number;
  if (w > 0x3f0c9f54) {
    if (w > 0x41200000) t = 1;
    else {
      t = expm1f(f(2 * ax));
      t = f(1 - f(2 / f(t + 2)));
    }
  } else if (w > 0x3e82c578) {
    t = expm1f(f(2 * ax));
    t = f(t / f(t + 2));
  } else if (w >= 0x00800000) {
    t = expm1f(f(-2 * ax));
    t = f(-t / f(t + 2));
  } else {
    t = ax;
  }
  return x < 0 || Object.is(x, -0) ? -t : t;
}
