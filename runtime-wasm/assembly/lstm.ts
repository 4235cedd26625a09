// UNIDIRECTIONAL_SEQUENCE_LSTM, integer "8x8_16" (int8 input, weights and hidden state, int16 cell state),
// desktop TFLite's arithmetic (kernels/lstm_eval.cc, the integer step, with the portable tensor utils):
//   gate = clamp16(clamp16(MBQM(bias + sum((x - x_zp) * W), in_scale)) + MBQM(sum((h - h_zp) * R), rec_scale))
//          (each matmul requantised to Q3.12 on its own, double rounding, the sums saturated to int16)
//   f, i, o = gemmlowp logistic on int16 (Q3.12 -> Q0.15); g = gemmlowp tanh (Q3.12 -> Q0.15); CIFG: i = 32767 - f
//   c = clamp16(int16(RDBPOT(f * c, 15)) + int16(RDBPOT(i * g, 30 + cell_scale))), then the cell clip
//   h = clamp8(MBQM(o * tanh(c), hidden_scale) - hidden_zp), tanh read with 15 + cell_scale integer bits: the
//       zero point *subtracted*, as TFLite's portable CwiseMul does (measured: the interpreter gives 1 where the
//       mathematically quantised value is -1 for micro_speech_lstm, hidden zero point -1; docs/lstm.md)
// The output of step t is h; h and c are the op's state (updated in place). No peephole, projection or
// layer normalisation (legalize refuses them). The int16 fixed point follows gemmlowp's int16 specialisation
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

// @ts-ignore: decorator
@inline function word(desc: usize, i: i32): i32 { return load<i32>(desc + (<usize>i << 2)); }

/** One gate's pre-activation for every cell of one batch row, into int16 `out`. */
function gate(desc: usize, g: i32, xp: usize, hp: usize, out: usize): void {
  const nIn = word(desc, D_NIN), nCell = word(desc, D_NCELL), nOut = word(desc, D_NOUT);
  const inZp = word(desc, D_IN_ZP), hZp = word(desc, D_H_ZP);
  const base = D_GATES + g * GATE_WORDS;
  const wIn = <usize>word(desc, base), wRec = <usize>word(desc, base + 1), bias = <usize>word(desc, base + 2);
  const mIn = word(desc, base + 3), sIn = word(desc, base + 4), mRec = word(desc, base + 5), sRec = word(desc, base + 6);
  for (let r = 0; r < nCell; r++) {
    let acc = load<i32>(bias + (<usize>r << 2));
    const wr = wIn + <usize>(r * nIn);
    for (let i = 0; i < nIn; i++) acc += (<i32>load<i8>(xp + <usize>i) - inZp) * <i32>load<i8>(wr + <usize>i);
    let v = sat16(mbqmDouble(acc, mIn, sIn));
    let accR = 0;
    const rr = wRec + <usize>(r * nOut);
    for (let j = 0; j < nOut; j++) accR += (<i32>load<i8>(hp + <usize>j) - hZp) * <i32>load<i8>(rr + <usize>j);
    v = sat16(mbqmDouble(accR, mRec, sRec) + v);
    store<i16>(out + (<usize>r << 1), <i16>v);
  }
}

/**
 * Runs every step of every batch row: x int8 [B, T, nIn] (time-major: [T, B, nIn]), y int8 likewise with
 * nOut, h int8 [B, nOut] and c int16 [B, nCell] the state (read and updated), desc the descriptor above,
 * scratch 4 * nCell int16.
 */
export function lstm8x8_16(x: usize, y: usize, h: usize, c: usize, desc: usize, scratch: usize): void {
  const batches = word(desc, D_BATCHES), steps = word(desc, D_STEPS);
  const nIn = word(desc, D_NIN), nCell = word(desc, D_NCELL), nOut = word(desc, D_NOUT);
  const timeMajor = word(desc, D_TIME_MAJOR) != 0, cifg = word(desc, D_CIFG) != 0;
  const cellScale = word(desc, D_CELL_SCALE), clip = word(desc, D_CLIP);
  const hm = word(desc, D_HID_M), hs = word(desc, D_HID_S), hzp = word(desc, D_HID_ZP);
  const gi = scratch, gf = scratch + (<usize>nCell << 1), gc = scratch + (<usize>nCell << 2), go = scratch + <usize>(nCell * 6);
  for (let b = 0; b < batches; b++) {
    const hp = h + <usize>(b * nOut), cp = c + (<usize>(b * nCell) << 1);
    for (let t = 0; t < steps; t++) {
      const row = timeMajor ? t * batches + b : b * steps + t;
      const xp = x + <usize>(row * nIn), yp = y + <usize>(row * nOut);
      if (!cifg) gate(desc, 0, xp, hp, gi);
      gate(desc, 1, xp, hp, gf);
      gate(desc, 2, xp, hp, gc);
      gate(desc, 3, xp, hp, go);
      for (let r = 0; r < nCell; r++) {
        const ro = <usize>r << 1;
        const f = logistic16(<i32>load<i16>(gf + ro), 3);
        const g = tanh16(<i32>load<i16>(gc + ro), 3);
        const i = cifg ? 32767 - f : logistic16(<i32>load<i16>(gi + ro), 3);
        const o = logistic16(<i32>load<i16>(go + ro), 3);
        const kept = w16(rdbpot(f * <i32>load<i16>(cp + ro), 15));
        const added = w16(rdbpot(i * g, 30 + cellScale));
        let cell = sat16(kept + added);
        if (clip > 0) cell = cell > clip ? clip : cell < -clip ? -clip : cell;
        store<i16>(cp + ro, <i16>cell);
        let v = mbqmDouble(o * tanh16(cell, 15 + cellScale), hm, hs) - hzp;
        v = v > 127 ? 127 : v < -128 ? -128 : v;
        // h of this step: the output row, and (after every cell used the old h) the state.
        store<i8>(yp + <usize>r, <i8>v);
      }
      memory.copy(hp, yp, <usize>nOut);
    }
  }
}
