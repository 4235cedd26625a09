// Fixed-point helpers (quant.ts) on hand-computed answers: ties, negatives, saturation, large shifts.
import { mbqm, rdbpot, srdhm, expOnNegativeValuesQ5, oneOverOnePlusX, requant4Double } from '../quant';

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

describe('requant4Double', () => {
  it('equals the scalar double rounding lane by lane (shifts -1, -3, 0, 2)', () => {
    // Table for 4 channels: leftMul, mask, rightMul (i64) per channel.
    const shifts: i32[] = [-1, -3, 0, 2];
    const t = new StaticArray<i32>(16);
    const mult = new StaticArray<i32>(4);
    for (let c = 0; c < 4; c++) {
      const s = shifts[c];
      const l = s > 0 ? s : 0;
      const r = s > 0 ? 0 : -s;
      mult[c] = 1518500250 + c * 12345;
      t[c] = 1 << l;
      t[4 + c] = (1 << r) - 1;
      const rm: i64 = <i64>1 << (32 - r);
      t[8 + 2 * c] = <i32>rm;
      t[8 + 2 * c + 1] = <i32>(rm >> 32);
    }
    const accs: i32[] = [12345, -12345, -7, 100000];
    const v = requant4Double(i32x4(accs[0], accs[1], accs[2], accs[3]), 0, 4, changetype<usize>(mult), changetype<usize>(t), 3, -1000000, 1000000);
    expect(i32x4.extract_lane(v, 0)).toBe(mbqm(accs[0], mult[0], shifts[0], 0) + 3);
    expect(i32x4.extract_lane(v, 1)).toBe(mbqm(accs[1], mult[1], shifts[1], 0) + 3);
    expect(i32x4.extract_lane(v, 2)).toBe(mbqm(accs[2], mult[2], shifts[2], 0) + 3);
    expect(i32x4.extract_lane(v, 3)).toBe(mbqm(accs[3], mult[3], shifts[3], 0) + 3);
  });
});
