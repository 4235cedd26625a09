// SVDF (a fully connected layer factorised into a feature and a time filter, with an activation history as
// recurrent state), the integer arithmetic of TFLite Micro's reference kernel (EvalIntegerSvdfReference),
// whose outputs desktop TFLite's EvalIntegerSVDF equals for int16 state (it shifts the history after the
// time step instead of before, which moves the state by one step but gives the same outputs):
//   1. the whole state buffer [batch, filters x memory] moves left by one element;
//   2. feature: for each batch b and filter f, dot = sum_c wf[f][c] * (x[b][c] - inZp), then
//      MultiplyByQuantizedMultiplier(dot, m1, s1) (double rounding), plus the state zero point, clamped to
//      the state's type, written to state[b][f][memory - 1];
//   3. time: t[b][f] = sum_j wt[f][j] * (state[b][f][j] - stateZp) (int32, wrapping);
//   4. per unit u: bias[u] + sum over the rank filters of unit u (int32, wrapping), then
//      MultiplyByQuantizedMultiplier(., m2, s2) + outZp, clamped to int8. The fused activation is not applied
//      (neither TFLite nor TFLite Micro applies it in the integer kernel).
// weights_time and the state are int8 or int16 together (stateBytes 1 or 2); bias 0 = none. Scratch: filters
// int32 values. Scalar: this is the reference.
import { mbqmDouble } from './quant';

// @ts-ignore: decorator
@inline function ld(p: usize, i: i32, bytes: i32): i32 {
  return bytes == 2 ? <i32>load<i16>(p + (<usize>i << 1)) : <i32>load<i8>(p + <usize>i);
}

export function svdf(x: usize, wf: usize, wt: usize, bias: usize, state: usize, stateBytes: i32, y: usize, scratch: usize,
  batches: i32, inputs: i32, filters: i32, memory: i32, rank: i32,
  inZp: i32, m1: i32, s1: i32, stateZp: i32, m2: i32, s2: i32, outZp: i32): void {
  const units = filters / rank;
  const total = batches * filters * memory;
  const lo = stateBytes == 2 ? -32768 : -128;
  const hi = stateBytes == 2 ? 32767 : 127;
  // 1. shift the history left by one element
  if (stateBytes == 2) {
    for (let i = 0; i < total - 1; i++) store<i16>(state + (<usize>i << 1), load<i16>(state + (<usize>(i + 1) << 1)));
  } else {
    for (let i = 0; i < total - 1; i++) store<i8>(state + <usize>i, load<i8>(state + <usize>(i + 1)));
  }
  for (let b = 0; b < batches; b++) {
    // 2. feature filter into the newest history slot
    for (let f = 0; f < filters; f++) {
      let dot: i32 = 0;
      for (let c = 0; c < inputs; c++) dot += <i32>load<i8>(wf + <usize>(f * inputs + c)) * (<i32>load<i8>(x + <usize>(b * inputs + c)) - inZp);
      let v = mbqmDouble(dot, m1, s1) + stateZp;
      v = v < lo ? lo : v > hi ? hi : v;
      const at = (b * filters + f) * memory + memory - 1;
      if (stateBytes == 2) store<i16>(state + (<usize>at << 1), <i16>v); else store<i8>(state + <usize>at, <i8>v);
    }
    // 3. time filter over the history
    for (let f = 0; f < filters; f++) {
      let acc: i32 = 0;
      const row = (b * filters + f) * memory;
      for (let j = 0; j < memory; j++) acc += ld(wt, f * memory + j, stateBytes) * (ld(state, row + j, stateBytes) - stateZp);
      store<i32>(scratch + (<usize>f << 2), acc);
    }
    // 4. reduce over the rank, bias, rescale
    for (let u = 0; u < units; u++) {
      let acc: i32 = bias != 0 ? load<i32>(bias + (<usize>u << 2)) : 0;
      for (let r = 0; r < rank; r++) acc += load<i32>(scratch + (<usize>(u * rank + r) << 2));
      let v = mbqmDouble(acc, m2, s2) + outZp;
      v = v < -128 ? -128 : v > 127 ? 127 : v;
      store<i8>(y + <usize>(b * units + u), <i8>v);
    }
  }
}
