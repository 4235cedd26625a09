// Kernels on tiny hand-computed cases, through the SIMD paths (16 channels, 4+ output channels) where they
// exist. Buffers are StaticArrays (the spec runtime owns the heap; the bump allocator is not used here).
import { conv2d } from '../conv';
import { depthwiseConv2d } from '../depthwise';
import { pool2d } from '../pool';
import { add } from '../add';
import { softmax } from '../softmax';

function ptr<T>(a: StaticArray<T>): usize { return changetype<usize>(a); }

/** quant.ts's double-rounding table for n channels of multiplier shift 1 (leftMul 2, mask 0, rightMul 2^32). */
function unitTable(n: i32): StaticArray<i32> {
  const t = new StaticArray<i32>(n * 4);
  for (let c = 0; c < n; c++) {
    t[c] = 2;
    t[n + c] = 0;
    t[2 * n + 2 * c] = 0; // rightMul as little-endian i64 = 2^32
    t[2 * n + 2 * c + 1] = 1;
  }
  return t;
}

describe('conv2d', () => {
  it('1x1 conv, 16 input channels, 5 output channels: out[o] = (o + 1) * sum(x) (multiplier 1)', () => {
    const x = new StaticArray<i8>(16);
    for (let i = 0; i < 16; i++) x[i] = <i8>(i - 4); // sum = 120 - 64 = 56
    const w = new StaticArray<i16>(5 * 16);
    for (let o = 0; o < 5; o++) for (let i = 0; i < 16; i++) w[o * 16 + i] = <i16>(o + 1);
    const mult = new StaticArray<i32>(5);
    const shift = new StaticArray<i32>(5);
    for (let o = 0; o < 5; o++) { mult[o] = 1 << 30; shift[o] = 1; } // QuantizeMultiplier(1.0)
    const out = new StaticArray<i8>(5);
    const patch = new StaticArray<i16>(32);
    const table = unitTable(5);
    for (let useTable = 0; useTable < 2; useTable++) { // scalar requantisation, then the vector one
      conv2d(0, ptr(x), 1, 1, 1, 16, ptr(w), 16, 0, ptr(mult), ptr(shift), useTable ? ptr(table) : 0, ptr(out), 1, 1, 5,
        1, 1, 16, 1, 1, 1, 1, 0, 0, 0, 0, -128, 127, 0, ptr(patch));
      expect(out[0]).toBe(56);
      expect(out[1]).toBe(112);
      expect(out[2]).toBe(127); // 168 clamps
      expect(out[4]).toBe(127);
    }
  });
  it('L1 (add conv): bias - sum |x - w|', () => {
    const x = new StaticArray<i8>(8);
    for (let i = 0; i < 8; i++) x[i] = <i8>i; // |i - 2| summed over 0..7 = 2+1+0+1+2+3+4+5 = 18
    const w = new StaticArray<i16>(8);
    for (let i = 0; i < 8; i++) w[i] = 2;
    const bias = new StaticArray<i32>(1);
    bias[0] = 100;
    const mult = new StaticArray<i32>(1);
    const shift = new StaticArray<i32>(1);
    mult[0] = 1 << 30; shift[0] = 1;
    const out = new StaticArray<i8>(1);
    const patch = new StaticArray<i16>(16);
    conv2d(1, ptr(x), 1, 1, 1, 8, ptr(w), 8, ptr(bias), ptr(mult), ptr(shift), 0, ptr(out), 1, 1, 1,
      1, 1, 8, 1, 1, 1, 1, 0, 0, 0, 0, -128, 127, 0, ptr(patch));
    expect(out[0]).toBe(82);
  });
});

describe('depthwiseConv2d', () => {
  it('16 channels, 1x1 kernel: out[c] = x[c] * w[c] + bias[c]', () => {
    const x = new StaticArray<i8>(16);
    const w = new StaticArray<i16>(16);
    const bias = new StaticArray<i32>(16);
    const mult = new StaticArray<i32>(16);
    const shift = new StaticArray<i32>(16);
    for (let c = 0; c < 16; c++) { x[c] = <i8>(c - 8); w[c] = 3; bias[c] = c; mult[c] = 1 << 30; shift[c] = 1; }
    const out = new StaticArray<i8>(16);
    const acc = new StaticArray<i32>(24);
    const table = unitTable(16);
    for (let useTable = 0; useTable < 2; useTable++) {
      depthwiseConv2d(ptr(x), 1, 1, 1, 16, ptr(w), ptr(bias), ptr(mult), ptr(shift), useTable ? ptr(table) : 0, ptr(out), 1, 1, 1,
        1, 1, 1, 1, 1, 1, 0, 0, 0, 0, -128, 127, 0, ptr(acc));
      for (let c = 0; c < 16; c++) expect(out[c]).toBe(<i8>((c - 8) * 3 + c));
    }
  });
});

describe('pool2d', () => {
  it('average of (1, 2) is 2 and of (-1, -2) is -2 (half away from zero)', () => {
    const x = new StaticArray<i8>(4);
    x[0] = 1; x[1] = 2; x[2] = -1; x[3] = -2;
    const out = new StaticArray<i8>(2);
    pool2d(0, ptr(x), 1, 1, 4, 1, ptr(out), 1, 2, 1, 2, 1, 2, 0, 0, -128, 127);
    expect(out[0]).toBe(2);
    expect(out[1]).toBe(-2);
  });
});

describe('add', () => {
  it('unit scales: a + b with broadcast b', () => {
    const a = new StaticArray<i8>(3);
    a[0] = 1; a[1] = 100; a[2] = -100;
    const b = new StaticArray<i8>(1);
    b[0] = 50;
    const out = new StaticArray<i8>(3);
    // scales 1: input multipliers 0.5 = (2^30, 0), output 2 / 2^20 = (2^30, -18); left shift 20.
    add(ptr(a), ptr(b), ptr(out), 1, 1, 1, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 20,
      1 << 30, 0, 1 << 30, 0, 1 << 30, -18, -128, 127);
    expect(out[0]).toBe(51);
    expect(out[1]).toBe(127);
    expect(out[2]).toBe(-50);
  });
});

describe('softmax', () => {
  it('four equal logits -> 1/4 each -> -64', () => {
    const x = new StaticArray<i8>(4);
    const out = new StaticArray<i8>(4);
    // beta * scale = 0.1: multiplier 0.1 * 2^26 -> QuantizeMultiplier, but equal logits make every diff 0.
    softmax(ptr(x), ptr(out), 1, 4, 1717986918, 23, -2147483647, 8);
    for (let i = 0; i < 4; i++) expect(out[i]).toBe(-64);
  });
});
