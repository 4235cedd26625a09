// UNIDIRECTIONAL_SEQUENCE_LSTM, integer "8x8_16" (int8 input, weights and hidden state, int16 cell state),
// desktop TFLite's arithmetic (kernels/lstm_eval.cc, the integer step, with the portable tensor utils):
//   gate = clamp16(clamp16(MBQM(bias + sum((x - x_zp) * W), in_scale)) + MBQM(sum((h - h_zp) * R), rec_scale))
//          (each matmul requantised to Q3.12 on its own, double rounding, the sums saturated to int16)
//   f, i, o = gemmlowp logistic on int16 (Q3.12 -> Q0.15); g = gemmlowp tanh (Q3.12 -> Q0.15); CIFG: i = 32767 - f
//   c = clamp16(int16(RDBPOT(f * c, 15)) + int16(RDBPOT(i * g, 30 + cell_scale))), then the cell clip
//   h = clamp8(MBQM(o * tanh(c), hidden_scale) - hidden_zp), tanh read with 15 + cell_scale integer bits: the
//       zero point *subtracted*, as TFLite's portable CwiseMul does (measured: the interpreter gives 1 where the
//       mathematically quantised value is -1 for micro_speech_lstm, hidden zero point -1; docs/lstm.md)
//   projection (optional): y = clamp8(MBQM(bias + sum((h + hidden_zp) * P), proj_scale) + output_zp), clipped
// The output of step t is y (h without a projection); y and c are the op's state (updated in place). No
// peephole or layer normalisation (legalize refuses them). The int16 fixed point follows gemmlowp's int16 specialisation
// (int16 wrap-around of sums, int16 SaturatingRoundingDoublingHighMul and RoundingDivideByPOT, int32 constants
// rounded to 16 bits) and is written here from its definitions, independently of the C backend's.
import { mbqmDouble, rdbpot, rdbpot16, srdhm16 } from './quant';

// @ts-ignore: decorator
@inline function w16(x: i32): i32 { return <i32><i16>x; }
// @ts-ignore: decorator
@inline function sat16(x: i32): i32 { return x > 32767 ? 32767 : x < -32768 ? -32768 : x; }

/** A gemmlowp constant given as an int32 fixed-point value, rounded to int16 (RescaleConstantInitializer). */
// @ts-ignore: decorator
@inline function k16(c: i32): i32 { return w16(rdbpot(c, 16)); }

/** SaturatingRoundingMultiplyByPOT<e> on int16, e > 0. */
function satMulPot16(x: i32, e: i32): i32 {
  const threshold = (1 << (15 - e)) - 1;
  if (x > threshold) return 32767;
  if (x < -threshold) return -32768;
  return w16(x << e);
}

/** exp(a) for a in [-1/4, 0), Q0.15 in and out. */
function expQuarter16(a: i32): i32 {
  const constantTerm = k16(1895147668);
  const oneThird = k16(715827883);
  const x = w16(a + (1 << 12));
  const x2 = srdhm16(x, x);
  const x3 = srdhm16(x2, x);
  const x4 = srdhm16(x2, x2);
  const x4o4 = rdbpot16(x4, 2);
  const poly = rdbpot16(w16(srdhm16(w16(x4o4 + x3), oneThird) + x2), 1);
  return sat16(constantTerm + srdhm16(constantTerm, w16(x + poly)));
}

/** exp(a) for a <= 0 with `ib` integer bits (int16 raw); result Q0.15. */
function expNeg16(a: i32, ib: i32): i32 {
  const frac = 15 - ib;
  const quarter = 1 << (frac - 2);
  const amq = w16((a & (quarter - 1)) - quarter);
  let result = expQuarter16(ib == 0 ? amq : satMulPot16(amq, ib));
  const remainder = w16(amq - a);
  if (ib > -2 && (remainder & (1 << (frac - 2))) != 0) result = srdhm16(result, k16(1672461947));
  if (ib > -1 && (remainder & (1 << (frac - 1))) != 0) result = srdhm16(result, k16(1302514674));
  if (ib > 0 && (remainder & (1 << frac)) != 0) result = srdhm16(result, k16(790015084));
  if (ib > 1 && (remainder & (1 << (frac + 1))) != 0) result = srdhm16(result, k16(290630308));
  if (ib > 2 && (remainder & (1 << (frac + 2))) != 0) result = srdhm16(result, k16(39332535));
  if (ib > 3 && (remainder & (1 << (frac + 3))) != 0) result = srdhm16(result, k16(720401));
  if (ib > 4 && (remainder & (1 << (frac + 4))) != 0) result = srdhm16(result, k16(242));
  if (ib > 5 && a < k16(-(1 << (36 - ib)))) result = 0;
  return a == 0 ? 32767 : result;
}

/** Newton-Raphson for 1 / (1 + a), a in [0, 1) Q0.15: x in Q2.13 after three steps. */
function newton16(a: i32): i32 {
  const sum = a + 32767;
  const halfDen = w16((sum + (sum >= 0 ? 1 : -1)) / 2);
  let x = w16(k16(1515870810) + srdhm16(halfDen, k16(-1010580540)));
  for (let i = 0; i < 3; i++) {
    const oneMinus = w16(8192 - srdhm16(halfDen, x));
    x = w16(x + satMulPot16(srdhm16(x, oneMinus), 2));
  }
  return x;
}

/** gemmlowp logistic of an int16 with `ib` integer bits; Q0.15 result. */
export function logistic16(a: i32, ib: i32): i32 {
  if (a == 0) return 16384;
  const abs = a > 0 ? a : w16(-a);
  const pos = satMulPot16(newton16(expNeg16(w16(-abs), ib)), 1);
  return a > 0 ? pos : w16(32767 - pos);
}

/** gemmlowp tanh of an int16 with `ib` integer bits; Q0.15 result. */
export function tanh16(a: i32, ib: i32): i32 {
  if (a == 0) return 0;
  const n = a < 0 ? a : w16(-a);
  const t = satMulPot16(w16(newton16(expNeg16(n, ib + 1)) - 8192), 2);
  return a < 0 ? w16(-t) : t;
}

// Layout of the descriptor (int32 words) the host uploads once per op.
const D_BATCHES = 0, D_STEPS = 1, D_NIN = 2, D_NCELL = 3, D_NOUT = 4, D_TIME_MAJOR = 5, D_CIFG = 6, D_IN_ZP = 7, D_H_ZP = 8;
const D_CELL_SCALE = 9, D_CLIP = 10, D_HID_M = 11, D_HID_S = 12, D_HID_ZP = 13, D_GATES = 14, GATE_WORDS = 7;
const D_TABLES = D_GATES + 4 * GATE_WORDS;
// Projection (D_PROJ_W 0: none): int16 rows of nCell padded to 8, the raw int32 bias (0: none), scale, clip.
const D_PROJ_W = D_TABLES + 1, D_PROJ_B = D_TABLES + 2, D_PROJ_M = D_TABLES + 3, D_PROJ_S = D_TABLES + 4, D_PROJ_CLIP = D_TABLES + 5;

/**
 * Fills the three activation tables the kernel reads (65,536 int16 each, indexed by the input + 32768):
 * logistic16(., 3), tanh16(., 3) and tanh16(., cellIb) -- the functions above, tabulated once per op so each
 * step looks its activations up.
 */
export function lstmTables(dst: usize, cellIb: i32): void {
  for (let a = -32768; a <= 32767; a++) {
    const o = <usize>(a + 32768) << 1;
    store<i16>(dst + o, <i16>logistic16(a, 3));
    store<i16>(dst + 131072 + o, <i16>tanh16(a, 3));
    store<i16>(dst + 262144 + o, <i16>tanh16(a, cellIb));
  }
}

// @ts-ignore: decorator
@inline function look(table: usize, a: i32): i32 { return <i32>load<i16>(table + (<usize>(a + 32768) << 1)); }

// @ts-ignore: decorator
@inline function word(desc: usize, i: i32): i32 { return load<i32>(desc + (<usize>i << 2)); }

/** sum(a[i] * b[i]) over n int16 values (n a multiple of 8; exact in int32, so both builds agree). */
// @ts-ignore: decorator
@inline function dot16(a: usize, b: usize, n: i32): i32 {
  if (ASC_FEATURE_SIMD) {
    let acc = i32x4.splat(0);
    for (let i = 0; i < n; i += 8) acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load(a + (<usize>i << 1)), v128.load(b + (<usize>i << 1))));
    return i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  }
  let s = 0;
  for (let i = 0; i < n; i++) s += <i32>load<i16>(a + (<usize>i << 1)) * <i32>load<i16>(b + (<usize>i << 1));
  return s;
}

/**
 * One gate's pre-activation for every cell of one batch row, into int16 `out`: xs = x - x_zp and hs = h - h_zp
 * widened to int16 (padded with zeros to kIn / kOut), the weights int16 rows of kIn / kOut.
 */
function gate(desc: usize, g: i32, xs: usize, hs: usize, kIn: i32, kOut: i32, out: usize): void {
  const nCell = word(desc, D_NCELL);
  const base = D_GATES + g * GATE_WORDS;
  const wIn = <usize>word(desc, base), wRec = <usize>word(desc, base + 1), bias = <usize>word(desc, base + 2);
  const mIn = word(desc, base + 3), sIn = word(desc, base + 4), mRec = word(desc, base + 5), sRec = word(desc, base + 6);
  for (let r = 0; r < nCell; r++) {
    const acc = load<i32>(bias + (<usize>r << 2)) + dot16(xs, wIn + (<usize>(r * kIn) << 1), kIn);
    const v = sat16(mbqmDouble(acc, mIn, sIn));
    const accR = dot16(hs, wRec + (<usize>(r * kOut) << 1), kOut);
    store<i16>(out + (<usize>r << 1), <i16>sat16(mbqmDouble(accR, mRec, sRec) + v));
  }
}

/**
 * Runs every step of every batch row: x int8 [B, T, nIn] (time-major: [T, B, nIn]), y int8 likewise with
 * nOut, h int8 [B, nOut] and c int16 [B, nCell] the state (read and updated), desc the descriptor above (the
 * weights as int16 rows padded to a multiple of 8, the tables of lstmTables), scratch 4 * nCell + kIn + kOut +
 * kCell int16 (k: padded to 8).
 */
export function lstm8x8_16(x: usize, y: usize, h: usize, c: usize, desc: usize, scratch: usize): void {
  const batches = word(desc, D_BATCHES), steps = word(desc, D_STEPS);
  const nIn = word(desc, D_NIN), nCell = word(desc, D_NCELL), nOut = word(desc, D_NOUT);
  const timeMajor = word(desc, D_TIME_MAJOR) != 0, cifg = word(desc, D_CIFG) != 0;
  const cellScale = word(desc, D_CELL_SCALE), clip = word(desc, D_CLIP);
  const hMul = word(desc, D_HID_M), hShift = word(desc, D_HID_S), hzp = word(desc, D_HID_ZP);
  const inZp = word(desc, D_IN_ZP), hZp = word(desc, D_H_ZP);
  const tLogistic = <usize>word(desc, D_TABLES), tTanh = tLogistic + 131072, tCell = tLogistic + 262144;
  const kIn = (nIn + 7) & ~7, kOut = (nOut + 7) & ~7;
  const gi = scratch, gf = scratch + (<usize>nCell << 1), gc = scratch + (<usize>nCell << 2), go = scratch + <usize>(nCell * 6);
  const kCell = (nCell + 7) & ~7;
  const xs = scratch + <usize>(nCell * 8), hs = xs + (<usize>kIn << 1), hid = hs + (<usize>kOut << 1);
  memory.fill(xs, 0, <usize>(kIn + kOut + kCell) << 1);
  const pW = <usize>word(desc, D_PROJ_W), pB = <usize>word(desc, D_PROJ_B);
  const pM = word(desc, D_PROJ_M), pS = word(desc, D_PROJ_S), pClip = word(desc, D_PROJ_CLIP);
  for (let b = 0; b < batches; b++) {
    const hp = h + <usize>(b * nOut), cp = c + (<usize>(b * nCell) << 1);
    for (let t = 0; t < steps; t++) {
      const row = timeMajor ? t * batches + b : b * steps + t;
      const xp = x + <usize>(row * nIn), yp = y + <usize>(row * nOut);
      for (let i = 0; i < nIn; i++) store<i16>(xs + (<usize>i << 1), <i16>(<i32>load<i8>(xp + <usize>i) - inZp));
      for (let j = 0; j < nOut; j++) store<i16>(hs + (<usize>j << 1), <i16>(<i32>load<i8>(hp + <usize>j) - hZp));
      if (!cifg) gate(desc, 0, xs, hs, kIn, kOut, gi);
      gate(desc, 1, xs, hs, kIn, kOut, gf);
      gate(desc, 2, xs, hs, kIn, kOut, gc);
      gate(desc, 3, xs, hs, kIn, kOut, go);
      for (let r = 0; r < nCell; r++) {
        const ro = <usize>r << 1;
        const f = look(tLogistic, <i32>load<i16>(gf + ro));
        const g = look(tTanh, <i32>load<i16>(gc + ro));
        const i = cifg ? 32767 - f : look(tLogistic, <i32>load<i16>(gi + ro));
        const o = look(tLogistic, <i32>load<i16>(go + ro));
        const kept = w16(rdbpot(f * <i32>load<i16>(cp + ro), 15));
        const added = w16(rdbpot(i * g, 30 + cellScale));
        let cell = sat16(kept + added);
        if (clip > 0) cell = cell > clip ? clip : cell < -clip ? -clip : cell;
        store<i16>(cp + ro, <i16>cell);
        let v = mbqmDouble(o * look(tCell, cell), hMul, hShift) - hzp;
        v = v > 127 ? 127 : v < -128 ? -128 : v;
        // h of this step: the output row (or, with a projection, its input), and after every cell used the
        // old h, the state.
        if (pW == 0) store<i8>(yp + <usize>r, <i8>v);
        else store<i16>(hid + ro, <i16>(v + hzp)); // the hidden value plus TFLite's (negated) zero point
      }
      if (pW != 0) {
        for (let o = 0; o < nOut; o++) {
          const acc = (pB != 0 ? load<i32>(pB + (<usize>o << 2)) : 0) + dot16(hid, pW + (<usize>(o * kCell) << 1), kCell);
          let v = mbqmDouble(acc, pM, pS) + hZp;
          v = v > 127 ? 127 : v < -128 ? -128 : v;
          if (pClip > 0) v = v > pClip ? pClip : v < -pClip ? -pClip : v;
          store<i8>(yp + <usize>o, <i8>v);
        }
      }
      memory.copy(hp, yp, <usize>nOut);
    }
  }
}
