// Fixed-point helpers (quant.ts) on hand-computed answers: ties, negatives, saturation, large shifts.
import { mbqm, rdbpot, srdhm, expOnNegativeValuesQ5, oneOverOnePlusX } from '../quant';

describe('srdhm', () => {
  it('saturates INT32_MIN * INT32_MIN', () => {
    expect(srdhm(i32.MIN_VALUE, i32.MIN_VALUE)).toBe(i32.MAX_VALUE);
  });
  it('rounds ties as gemmlowp: 1.5 -> 2, -1.5 -> -1, -0.5 -> 0', () => {
    expect(srdhm(3, 1 << 30)).toBe(2);
    expect(srdhm(-3, 1 << 30)).toBe(-1);
    expect(srdhm(-1, 1 << 30)).toBe(0);
  });
});

describe('rdbpot', () => {
  it('rounds half away from zero', () => {
    expect(rdbpot(5, 1)).toBe(3);
    expect(rdbpot(-5, 1)).toBe(-3);
    expect(rdbpot(-6, 2)).toBe(-2);
    expect(rdbpot(7, 2)).toBe(2);
  });
  it('handles shift 31', () => {
    expect(rdbpot(i32.MIN_VALUE, 31)).toBe(-1);
    expect(rdbpot(i32.MAX_VALUE, 31)).toBe(1);
  });
});

describe('mbqm', () => {
  it('double rounding (tflm) vs single rounding (tflite) on 5 * 0.25', () => {
    expect(mbqm(5, 1 << 30, -1, 0)).toBe(2);
    expect(mbqm(5, 1 << 30, -1, 1)).toBe(1);
  });
  it('ties on negatives: -6 * 0.25 -> -2 (tflm), -1 (tflite)', () => {
    expect(mbqm(-6, 1 << 30, -1, 0)).toBe(-2);
    expect(mbqm(-6, 1 << 30, -1, 1)).toBe(-1);
  });
  it('left shifts: 3 * 0.5 * 4 = 6', () => {
    expect(mbqm(3, 1 << 30, 2, 0)).toBe(6);
    expect(mbqm(3, 1 << 30, 2, 1)).toBe(6);
  });
});

describe('gemmlowp exp and reciprocal', () => {
  it('exp(0) is the saturated one', () => {
    expect(expOnNegativeValuesQ5(0)).toBe(i32.MAX_VALUE);
  });
  it('exp(-1) is within 1e-6 of 0.3678794', () => {
    const v = <f64>expOnNegativeValuesQ5(-(1 << 26)) / 2147483648.0;
    expect(Math.abs(v - Math.exp(-1.0)) < 1e-6).toBe(true);
  });
  it('1 / (1 + 0.5) is within 1e-6 of 2/3', () => {
    const v = <f64>oneOverOnePlusX(1 << 30) / 2147483648.0;
    expect(Math.abs(v - 2.0 / 3.0) < 1e-6).toBe(true);
  });
});
