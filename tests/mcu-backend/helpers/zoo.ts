// A kernel module exercising every kernel-IR op kind and their variations (groups, dilation, stride,
// padding, depth multiplier, per-tensor and per-channel requantisation, broadcast add, aliasing reshape,
// batched FC, shift and add convolutions, two concatenated inputs, a lookup table and PRELU), for the kernel tests.
import type { KernelModule } from '../../../compiler/kernel-ir/types.ts';
import type { Arith } from '../../../compiler/quant/multiplier.ts';
import { quantizeMultiplier } from '../../../compiler/quant/multiplier.ts';
import { KBuilder, window } from './kmodule.ts';

export function zooModule(arith: Arith, seed = 7): KernelModule {
  const k = new KBuilder(`zoo_${arith}`, arith);
  // TFLite rounds CONV_2D and FULLY_CONNECTED once in the tflite arithmetic, every other op twice.
  const single = arith === 'tflite' ? 'single' : 'double';
  const X = k.buffer('x', [1, 9, 10, 12], 'input', 3);
  const X2 = k.buffer('x2', [1, 16, 16, 1], 'input', -5);
  void seed;
  const conv = (inp: number, w: ReturnType<typeof window>, groups: number, inputOffset: number, perChannel: boolean, act: [number, number] = [-128, 127]) => {
    const n = w.outC * w.kH * w.kW * (w.inC / groups);
    const macs = w.outH * w.outW * n;
    return k.op({
      kind: 'conv2d', name: `conv${k.m.ops.length}`, ...w, groups, weights: k.konst('w', k.weights(n), [w.outC, w.kH, w.kW, w.inC / groups]),
      bias: k.konst('b', k.bias(w.outC), [w.outC]), macs, inputOffset, outputOffset: -7,
      requant: k.requant(w.outC, Math.sqrt(n) * 70 * 70, perChannel), rounding: single, actMin: act[0], actMax: act[1],
    }, [inp], [1, w.outH, w.outW, w.outC]);
  };
  const A = conv(X, window({ inH: 9, inW: 10, inC: 12, outC: 8, kH: 3, kW: 3 }, 'same'), 1, -3, true, [-100, 90]);
  conv(X, window({ inH: 9, inW: 10, inC: 12, outC: 8, kH: 3, kW: 3, strideH: 2, strideW: 2, dilationH: 2, dilationW: 2 }, 'same'), 4, -3, true);
  // Odd output channels: the single-channel tail after the channel pairs.
  conv(X, window({ inH: 9, inW: 10, inC: 12, outC: 5, kH: 2, kW: 3, strideH: 1, strideW: 2 }, 'same'), 1, -3, false);
  const C = conv(A, window({ inH: 9, inW: 10, inC: 8, outC: 8, kH: 1, kW: 1 }), 1, 7, false);
  const dw = (inp: number, w: ReturnType<typeof window>, mult: number, inputOffset: number, rounding: 'single' | 'double' = 'double') => {
    const n = w.kH * w.kW * w.outC;
    return k.op({
      kind: 'depthwise_conv2d', name: `dw${k.m.ops.length}`, ...w, depthMultiplier: mult, weights: k.konst('w', k.weights(n), [1, w.kH, w.kW, w.outC]),
      bias: k.konst('b', k.bias(w.outC), [w.outC]), macs: w.outH * w.outW * n, inputOffset, outputOffset: 4,
      requant: k.requant(w.outC, 3 * 70 * 70), rounding, actMin: -128, actMax: 127,
    }, [inp], [1, w.outH, w.outW, w.outC]);
  };
  dw(X, window({ inH: 9, inW: 10, inC: 12, outC: 24, kH: 3, kW: 3, strideH: 2, strideW: 2 }, 'same'), 2, -3);
  dw(A, window({ inH: 9, inW: 10, inC: 8, outC: 8, kH: 3, kW: 3, dilationH: 2, dilationW: 2 }, 'valid'), 1, 7);
  // A grouped conv2d lowered to a depthwise kernel keeps the conv2d's rounding.
  dw(X, window({ inH: 9, inW: 10, inC: 12, outC: 12, kH: 3, kW: 3 }, 'same'), 1, -3, single);
  const pool = (kind: 'max_pool2d' | 'average_pool2d', inp: number, w: ReturnType<typeof window>, act: [number, number]) =>
    k.op({ kind, name: `${kind}${k.m.ops.length}`, ...w, actMin: act[0], actMax: act[1], macs: 0 }, [inp], [1, w.outH, w.outW, w.outC]);
  pool('max_pool2d', A, window({ inH: 9, inW: 10, inC: 8, outC: 8, kH: 3, kW: 3, strideH: 2, strideW: 2 }, 'same'), [-50, 127]);
  pool('average_pool2d', A, window({ inH: 9, inW: 10, inC: 8, outC: 8, kH: 2, kW: 3, strideH: 2, strideW: 2 }, 'same'), [-128, 100]);
  const add = (a: number, b: number, aShape: number[], bShape: number[]) => k.op({
    kind: 'add', name: `add${k.m.ops.length}`, outShape: [1, 9, 10, 8], aShape: aShape as never, bShape: bShape as never,
    input1Offset: 7, input2Offset: -2, outputOffset: -3, leftShift: 20,
    input1Q: { multiplier: 1073741824, shift: 0 }, input2Q: { multiplier: 1518500250, shift: -1 }, outputQ: { multiplier: 1789569707, shift: -19 },
    actMin: -128, actMax: 127, macs: 0,
  }, [a, b], [1, 9, 10, 8]);
  add(A, C, [1, 9, 10, 8], [1, 9, 10, 8]);
  const I = pool('average_pool2d', A, window({ inH: 9, inW: 10, inC: 8, outC: 8, kH: 9, kW: 10 }), [-128, 127]);
  const J = add(A, I, [1, 9, 10, 8], [1, 1, 1, 8]);
  const K = k.op({ kind: 'reshape', name: 'flatten', macs: 0 }, [J], [1, 720]);
  const fc = (inp: number, batches: number, inDepth: number, outDepth: number, perChannel: boolean) => k.op({
    kind: 'fully_connected', name: `fc${k.m.ops.length}`, batches, inDepth, outDepth,
    weights: k.konst('w', k.weights(inDepth * outDepth), [outDepth, inDepth]), bias: k.konst('b', k.bias(outDepth), [outDepth]),
    macs: batches * inDepth * outDepth, inputOffset: 3, outputOffset: -1, requant: k.requant(outDepth, Math.sqrt(inDepth) * 70 * 70, perChannel), rounding: single,
    actMin: -128, actMax: 127,
  }, [inp], [batches, outDepth]);
  fc(K, 1, 720, 10, true);
  fc(K, 2, 360, 7, false);
  const shifts = (n: number): Array<[number, number]> => Array.from({ length: n }, () => [Math.floor(k.r() * 5) - 2, Math.floor(k.r() * 5) - 2]);
  const shiftConv = (stride: number, outC: number) => {
    const w = window({ inH: 9, inW: 10, inC: 12, outC, kH: 1, kW: 1, strideH: stride, strideW: stride });
    return k.op({
      kind: 'shift_conv2d', name: `shift${k.m.ops.length}`, ...w, shifts: shifts(12), weights: k.konst('w', k.weights(outC * 12), [outC, 1, 1, 12]),
      bias: k.konst('b', k.bias(outC), [outC]), macs: w.outH * w.outW * outC * 12, inputOffset: -3, outputOffset: 2,
      requant: k.requant(outC, 4 * 70 * 70), rounding: 'double', actMin: -128, actMax: 127,
    }, [X], [1, w.outH, w.outW, outC]);
  };
  shiftConv(1, 6);
  shiftConv(2, 5);
  const addConv = (w: ReturnType<typeof window>) => {
    const n = w.outC * w.kH * w.kW * w.inC;
    return k.op({
      kind: 'add_conv2d', name: `addconv${k.m.ops.length}`, ...w, weights: k.konst('w', k.weights(n), [w.outC, w.kH, w.kW, w.inC]),
      bias: k.konst('b', k.bias(w.outC, 20000), [w.outC]), macs: w.outH * w.outW * n, inputOffset: -3, outputOffset: 0,
      requant: k.requant(w.outC, n * 60), rounding: 'double', actMin: -128, actMax: 127,
    }, [X], [1, w.outH, w.outW, w.outC]);
  };
  addConv(window({ inH: 9, inW: 10, inC: 12, outC: 5, kH: 3, kW: 3 }, 'same'));
  addConv(window({ inH: 9, inW: 10, inC: 12, outC: 3, kH: 2, kW: 2, strideH: 2, strideW: 2 }, 'valid'));
  // One channel: only the channel tail of depthwise.chan4.
  dw(X2, window({ inH: 16, inW: 16, inC: 1, outC: 1, kH: 3, kW: 3, strideH: 2, strideW: 2 }, 'same'), 1, 5);
  const R = conv(X2, window({ inH: 16, inW: 16, inC: 1, outC: 4, kH: 3, kW: 3, strideH: 2, strideW: 2 }, 'same'), 1, 5, true);
  // Element-wise: a 256-entry table, then PRELU with one alpha per channel (offset -3), both in place.
  const L = k.op({ kind: 'lut', name: 'lut', size: 256, table: k.konst('lut', k.weights(256), [256]), fn: 'tanh', macs: 0 }, [R], [1, 8, 8, 4]);
  const m1 = quantizeMultiplier(0.8), m2 = quantizeMultiplier(0.9 / 128);
  const P = k.op({
    kind: 'prelu', name: 'prelu', outShape: [1, 8, 8, 4], alphaShape: [1, 1, 1, 4], alpha: k.konst('alpha', k.weights(4), [4]),
    inputOffset: 0, alphaOffset: -3, outputOffset: 0, mult1: m1.multiplier, shift1: m1.shift, mult2: m2.multiplier, shift2: m2.shift, macs: 0,
  }, [L], [1, 8, 8, 4]);
  return k.done([P]);
}
