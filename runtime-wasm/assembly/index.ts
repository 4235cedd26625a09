// The golden runtime's WebAssembly exports: the bump allocator, one kernel per op family (graph IR ops,
// executed directly by runtime-wasm/host.ts), and the fixed-point helpers (exported for known-answer tests).
// Built twice by scripts/build.mjs: scalar (dist/golden.wasm) and SIMD (dist/golden-simd.wasm).
export { alloc, mark, reset, simdEnabled } from './memory';
export { conv2d, shiftConv2d } from './conv';
export { depthwiseConv2d } from './depthwise';
export { add } from './add';
export { binary } from './binary';
export { pool2d } from './pool';
export { softmax, softmaxFloat16, softmax16 } from './softmax';
export { copyBytes } from './reshape';
export { copyRegion, fillBytes, resizeNearest } from './movement';
export { reduce } from './reduce';
export { resizeBilinear } from './resize';
export { transposeConv } from './transpose-conv';
export { quantizeFloat, requantize, dequantize } from './quantize';
import { mbqm, rdbpot, srdhm, expOnNegativeValuesQ5, oneOverOnePlusX } from './quant';

export function qMultiply(x: i32, multiplier: i32, shift: i32, single: i32): i32 { return mbqm(x, multiplier, shift, single); }
export function qSrdhm(a: i32, b: i32): i32 { return srdhm(a, b); }
export function qRdbpot(x: i32, exponent: i32): i32 { return rdbpot(x, exponent); }
export function qExpOnNegativeValues(a: i32): i32 { return expOnNegativeValuesQ5(a); }
export function qOneOverOnePlusX(a: i32): i32 { return oneOverOnePlusX(a); }
export { rescale8, leakyRelu8, hardSwish8, logisticQ4s8, tanhQ4s8, sigmoidLut8, prelu8 } from './activations';
export { conv16x8, transposeConv16x8, binary16, leakyRelu16, pool16, sigmoid16 } from './int16';
export { svdf } from './svdf';
export { lstm8x8_16, lstmTables, logistic16, tanh16 } from './lstm';
