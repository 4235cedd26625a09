// The int8 -> int8 element-wise operators on the host: their Prepare-time integers (as TFLite / TFLite Micro
// compute them) and, for the Cortex-M backend, the 256-entry lookup table each of them is (an int8 op of one
// int8 input is a function of one byte). The golden runtime executes these ops with its own AssemblyScript
// arithmetic (runtime-wasm/assembly/activations.ts) from the same Prepare integers; the tables here are an
// independent implementation of the element arithmetic, so the Cortex-M output checked against the golden
// runtime checks the two against each other.
//
// Where the two arithmetics differ (tflm = TFLite Micro reference kernels, tflite = desktop TFLite):
//   RELU, RELU_N1_TO_1   the same: rescale x - zp_in by QuantizeMultiplier(float(s_in / s_out)) (double
//                        rounding), add zp_out, clamp to zp_out + round(lo / s_out) .. (TFLite Micro has no
//                        RELU_N1_TO_1 kernel; tflm uses the same arithmetic).
//   RELU6                tflite rescales as RELU with the clamp at round(6 / s_out); TFLite Micro only clamps
//                        the input bytes to [zp_in, zp_in + round(6 / s_in)] and ignores the output quantisation.
//   LEAKY_RELU           the same: identity multiplier float(s_in / s_out) for x >= zp_in, alpha multiplier
//                        float(s_in * alpha / s_out) below (negative alpha: negative multiplier).
//   HARD_SWISH           the same: TFLite's int16 fixed-point reference (hires input = x << 7, "reluish"
//                        multiplier, SQDMULH-style product, int16 multipliers from QuantizeMultiplier >> 16).
//   LOGISTIC, TANH       tflm: gemmlowp fixed point on a Q4 input (input multiplier from frexp(s_in * 2^27));
//                        LOGISTIC's output is 1/256 with zero point -128 (required), TANH's output is computed
//                        as 1/128 with zero point 0 whatever the tensor says (TFLite Micro does not check).
//                        tflite: a table of float32 1 / (1 + expf(-x)) or tanhf(x) at the dequantised inputs,
//                        rounded half away from zero onto the output scale (LOGISTIC requires scale 1/256).
//   QUANTIZE (int8 -> int8)  the same: QuantizeMultiplier(double(s_in) / double(s_out)), double rounding.
//   PRELU                the kernel arithmetic is the same; the multipliers differ: TFLite Micro computes
//                        s_in / s_out and s_in * s_alpha / s_out in double, desktop TFLite in float32.
import { TinyforgeError } from '../diagnostics.ts';
import { activationRange, type Graph, type Op, type Tensor } from '../ir/graph.ts';
import { opLabel, opTensor } from '../ir/lookup.ts';
import { expf, tanhf } from './libm.ts';
import { logisticFx, rdbpot16, satLeftShift16, sdhm16, srdhm16, tanhFx } from './fixedpoint.ts';
import { clamp, frexp, multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfAway, roundingDivideByPOT, type Arith } from './multiplier.ts';
import { calculateInputRadius } from './params.ts';

/** The element-wise kinds that are a function of one int8 input (lowered to a lookup table). */
export const LUT_KINDS = ['relu', 'relu6', 'relu_n1_to_1', 'leaky_relu', 'logistic', 'tanh', 'hard_swish', 'quantize'] as const;
export type LutKind = (typeof LUT_KINDS)[number];

const f = Math.fround;

/** Rescale x - inZp by (mult, shift), add outZp, clamp to [lo, hi] (ReluX / Requantize). */
export interface RescaleParams { type: 'rescale'; inZp: number; mult: number; shift: number; outZp: number; lo: number; hi: number }
/** Clamp the input bytes to [lo, hi] (TFLite Micro's RELU6). */
export interface ClampParams { type: 'clamp'; lo: number; hi: number }
export interface LeakyParams { type: 'leaky'; inZp: number; outZp: number; multId: number; shiftId: number; multAlpha: number; shiftAlpha: number }
export interface HardSwishParams { type: 'hard_swish'; inZp: number; outZp: number; outMult16: number; outExp: number; reluishMult16: number; reluishExp: number }
/** TFLite Micro's LOGISTIC / TANH: input rescaled into Q4 (radius: inputs at or beyond it saturate). */
export interface SigmoidFxParams { type: 'logistic_fx' | 'tanh_fx'; inZp: number; radius: number; mult: number; shift: number }
/** Desktop TFLite's LOGISTIC / TANH table: float32 in and out scales. */
export interface SigmoidLutParams { type: 'logistic_lut' | 'tanh_lut'; inScale: number; inZp: number; outScale: number; outZp: number }

export type UnaryParams = RescaleParams | ClampParams | LeakyParams | HardSwishParams | SigmoidFxParams | SigmoidLutParams;

function fail(g: Graph, op: Op, message: string, hint?: string): never {
  throw new TinyforgeError(`${op.kind}: ${message}`, { op: opLabel(g, op) }, hint);
}

function q1(g: Graph, op: Op, t: Tensor, role: string): { scale: number; zp: number } {
  const q = t.quant;
  if (!q || q.scale.length !== 1) fail(g, op, `${role} '${t.name}' is not quantised per tensor`, 'element-wise int8 operators need one scale and zero point');
  return { scale: q.scale[0]!, zp: q.zeroPoint[0] ?? 0 };
}

/** QuantizeMultiplier of a multiplier TFLite computes in float32 (the quotient rounded to float first). */
function qmFloat(real: number, g: Graph, op: Op): { multiplier: number; shift: number } {
  return quantizeMultiplier(checkedMultiplier(f(real), g, op));
}

/**
 * A rescaling multiplier the kernels can apply: finite, and 0 or of magnitude within 2^-31 .. 2^31 (the
 * fixed-point multiplier's shift range); scales far apart (a mutated or broken model) fail here, located.
 */
function checkedMultiplier(real: number, g: Graph, op: Op): number {
  const a = Math.abs(real);
  if (!Number.isFinite(real) || a >= 2 ** 31 || (a !== 0 && a < 2 ** -31)) {
    fail(g, op, `its input and output scales give a rescaling multiplier of ${real}, outside the range the kernels support`,
      'input and output scales within a factor of 2^31 of each other');
  }
  return real;
}

/** TFLite's DownScaleInt32ToInt16Multiplier. */
export function downScaleToInt16(m: number): number {
  if (m < 0) throw new Error(`negative int16 multiplier ${m}`);
  if (m >= 2147483647 - (1 << 15)) return 32767;
  return (m + (1 << 15)) >> 16;
}

/** The Prepare integers of an element-wise op of one int8 input, in arithmetic `arith`. */
export function unaryParams(g: Graph, op: Op, arith: Arith): UnaryParams {
  const x = opTensor(g, op, op.inputs[0]!, 'input');
  const y = opTensor(g, op, op.outputs[0]!, 'output');
  const xq = q1(g, op, x, 'input'), yq = q1(g, op, y, 'output');
  switch (op.kind) {
    case 'relu':
    case 'relu_n1_to_1':
    case 'relu6': {
      if (op.kind === 'relu6' && arith === 'tflm') {
        // Relu6Prepare: six = FloatToQuantizedType(6.0f, s_in, zp_in) (float32 division, round, clamp).
        const six = clamp(roundHalfAway(f(6 / f(xq.scale))) + xq.zp, -128, 127);
        return { type: 'clamp', lo: xq.zp, hi: six };
      }
      const m = qmFloat(xq.scale / yq.scale, g, op);
      const [lo, hi] = activationRange(op.kind, yq.scale, yq.zp, 'int8');
      return { type: 'rescale', inZp: xq.zp, mult: m.multiplier, shift: m.shift, outZp: yq.zp, lo, hi };
    }
    case 'quantize': {
      const m = quantizeMultiplier(checkedMultiplier(xq.scale / yq.scale, g, op));
      return { type: 'rescale', inZp: xq.zp, mult: m.multiplier, shift: m.shift, outZp: yq.zp, lo: -128, hi: 127 };
    }
    case 'leaky_relu': {
      const alpha = f(op.alpha);
      const a = qmFloat(f(f(xq.scale) * alpha) / f(yq.scale), g, op);
      const id = qmFloat(xq.scale / yq.scale, g, op);
      return { type: 'leaky', inZp: xq.zp, outZp: yq.zp, multId: id.multiplier, shiftId: id.shift, multAlpha: a.multiplier, shiftAlpha: a.shift };
    }
    case 'hard_swish': {
      const hires = f(f(1 / 128) * f(xq.scale));
      const reluishScale = f(3 / 32768);
      const o = qmFloat(hires / f(yq.scale), g, op);
      if (o.shift > 0) {
        fail(g, op, `output scale ${yq.scale} is below input scale / 128 (${hires}); TFLite's HARD_SWISH needs an output multiplier exponent <= 0`,
          'use an output scale of at least the input scale / 128');
      }
      const r = qmFloat(hires / reluishScale, g, op);
      return {
        type: 'hard_swish', inZp: xq.zp, outZp: yq.zp, outMult16: downScaleToInt16(o.multiplier), outExp: o.shift,
        reluishMult16: downScaleToInt16(r.multiplier), reluishExp: r.shift,
      };
    }
    case 'logistic':
    case 'tanh': {
      if (arith === 'tflm') {
        if (op.kind === 'logistic' && yq.zp !== -128) {
          fail(g, op, `output zero point is ${yq.zp}`, 'TFLite Micro\'s int8 LOGISTIC requires output zero point -128 (scale 1/256)');
        }
        // input_real_multiplier = s_in * 2^(31 - 4); frexp; Q31 mantissa rounded half away from zero.
        const [q, shift] = frexp(xq.scale * 2 ** 27);
        const mult = roundHalfAway(q * 2 ** 31);
        if (mult >= 2 ** 31) fail(g, op, `input scale ${xq.scale} rounds its Q31 multiplier up to 2^31`, 'TFLite Micro would overflow; nudge the input scale');
        return { type: op.kind === 'logistic' ? 'logistic_fx' : 'tanh_fx', inZp: xq.zp, radius: calculateInputRadius(4, shift, 31), mult, shift };
      }
      if (op.kind === 'logistic' && yq.scale !== 1 / 256) {
        fail(g, op, `output scale is ${yq.scale}`, 'TFLite\'s int8 LOGISTIC requires output scale 1/256');
      }
      return { type: op.kind === 'logistic' ? 'logistic_lut' : 'tanh_lut', inScale: f(xq.scale), inZp: xq.zp, outScale: f(yq.scale), outZp: yq.zp };
    }
  }
  return fail(g, op, 'is not an element-wise operator of one input');
}

/** One element: int8 input byte -> int8 output, by the arithmetic `p` describes. */
export function unaryElement(p: UnaryParams, v: number): number {
  switch (p.type) {
    case 'clamp': return clamp(v, p.lo, p.hi);
    case 'rescale':
      return clamp(p.outZp + multiplyByQuantizedMultiplier(v - p.inZp, { multiplier: p.mult, shift: p.shift }, 'tflm'), p.lo, p.hi);
    case 'leaky': {
      const d = v - p.inZp;
      const r = d >= 0
        ? multiplyByQuantizedMultiplier(d, { multiplier: p.multId, shift: p.shiftId }, 'tflm')
        : multiplyByQuantizedMultiplier(d, { multiplier: p.multAlpha, shift: p.shiftAlpha }, 'tflm');
      return clamp(p.outZp + r, -128, 127);
    }
    case 'hard_swish': {
      const hires = (v - p.inZp) * 128;
      const preshift = srdhm16(hires, p.outMult16);
      let reluish = hires;
      if (p.reluishExp > 0) reluish = satLeftShift16(reluish, p.reluishExp - 1);
      reluish = srdhm16(reluish, p.reluishMult16);
      if (p.reluishExp > 0) reluish = satLeftShift16(reluish, 1);
      if (p.reluishExp < 0) reluish = rdbpot16(reluish, -p.reluishExp);
      reluish = (reluish + 32768) >> 1;
      const out = rdbpot16(sdhm16(reluish, preshift), -p.outExp) + p.outZp;
      return clamp(out, -128, 127);
    }
    case 'logistic_fx':
    case 'tanh_fx': {
      const d = v - p.inZp;
      if (d <= -p.radius) return -128;
      if (d >= p.radius) return 127;
      const q4 = multiplyByQuantizedMultiplier(d, { multiplier: p.mult, shift: p.shift }, 'tflm');
      if (p.type === 'logistic_fx') return clamp(roundingDivideByPOT(logisticFx(q4, 4), 23) - 128, -128, 127);
      return clamp(roundingDivideByPOT(tanhFx(q4, 4), 24), -128, 127);
    }
    case 'logistic_lut':
    case 'tanh_lut': {
      const real = f(p.inScale * (v - p.inZp));
      const t = p.type === 'logistic_lut' ? f(1 / f(1 + expf(f(-real)))) : tanhf(real);
      const r = roundHalfAway(f(t * f(1 / p.outScale)));
      return clamp(r + p.outZp, -128, 127);
    }
  }
}

/** The op's 256-entry table, indexed by the input byte read as uint8 (entry i is the output for int8(i)). */
export function unaryTable(g: Graph, op: Op, arith: Arith): Int8Array {
  const p = unaryParams(g, op, arith);
  const t = new Int8Array(256);
  for (let v = -128; v <= 127; v++) t[v & 0xff] = unaryElement(p, v);
  return t;
}

/** PRELU's integers: offsets and the two multipliers (identity, input * alpha). */
export interface PreluParams { inputOffset: number; alphaOffset: number; outputOffset: number; mult1: number; shift1: number; mult2: number; shift2: number }

export function preluParams(g: Graph, op: Op, arith: Arith): PreluParams {
  const x = opTensor(g, op, op.inputs[0]!, 'input');
  const a = opTensor(g, op, op.inputs[1]!, 'alpha');
  const y = opTensor(g, op, op.outputs[0]!, 'output');
  const xq = q1(g, op, x, 'input'), aq = q1(g, op, a, 'alpha'), yq = q1(g, op, y, 'output');
  // TFLite Micro: double(s_in) / double(s_out) and double(s_in) * double(s_alpha) / double(s_out);
  // desktop TFLite: the same expressions in float32, then widened.
  const r1 = arith === 'tflm' ? xq.scale / yq.scale : f(f(xq.scale) / f(yq.scale));
  const r2 = arith === 'tflm' ? xq.scale * aq.scale / yq.scale : f(f(f(xq.scale) * f(aq.scale)) / f(yq.scale));
  const m1 = quantizeMultiplier(r1), m2 = quantizeMultiplier(r2);
  return { inputOffset: -xq.zp, alphaOffset: -aq.zp, outputOffset: yq.zp, mult1: m1.multiplier, shift1: m1.shift, mult2: m2.multiplier, shift2: m2.shift };
}
