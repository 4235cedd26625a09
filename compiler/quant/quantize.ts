// QUANTIZE and DEQUANTIZE arithmetic at a model's float edges (and QUANTIZE between int8 and int16), as
// TFLite computes it. The host's one home of it: the pass pipeline (kernel IR), the golden runtime's
// parameters and the tests use these functions; runtime-wasm/assembly/quantize.ts and the Cortex-M C
// (mcu-backend/emit/quantize.ts) implement the same steps.
//
//   float32 -> int8/int16  q = clamp(int32(round(x / scale)) + zeroPoint) with round half away from zero
//                          (TfLiteRound = std::round). The division differs between the two kernels:
//                          TFLite Micro's reference AffineQuantize divides in float32 (x / float(scale));
//                          desktop TFLite's optimized AffineQuantize (the one its interpreter registers)
//                          divides the float input by the scale held as a double, in double. A quotient
//                          just below .5 can round up in float32 and not in double, so `tflm` and `tflite`
//                          differ there. Quotients outside the int32 range are undefined behaviour in TFLite
//                          (the C++ cast); here they saturate (as the Cortex-M VCVT does), NaN gives the
//                          zero point (VCVT gives 0 for NaN).
//   int8/int16 -> int8/int16  Requantize: MultiplyByQuantizedMultiplier(q - inZeroPoint, QuantizeMultiplier(
//                          double(inScale) / double(outScale))) + outZeroPoint, clamped; double rounding in
//                          both arithmetics (TFLite Micro and desktop TFLite use the same call).
//   int8/int16 -> float32  DEQUANTIZE: float(double(scale) * (q - zeroPoint)). That product is exact in double
//                          (24-bit mantissa times a 17-bit integer), so it equals the float32 product
//                          float(scale) * float(q - zeroPoint): one correctly rounded float32 multiply.
import { bytesPerElement, numElements, type DType, type Graph } from '../ir/graph.ts';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, roundHalfAway, type Arith } from './multiplier.ts';

/** The integer range of a quantised dtype. */
export function qRange(dtype: DType): [number, number] {
  if (dtype === 'int8') return [-128, 127];
  if (dtype === 'int16') return [-32768, 32767];
  if (dtype === 'int32') return [-2147483648, 2147483647];
  throw new Error(`qRange: ${dtype} is not a quantised activation type`);
}

/** How QUANTIZE from float32 divides: float32 (TFLite Micro reference) or float64 (desktop TFLite optimized). */
export type QuantizeDivision = 'float32' | 'float64';

export function quantizeDivision(arith: Arith): QuantizeDivision {
  return arith === 'tflm' ? 'float32' : 'float64';
}

/** One float32 value quantised as TFLite does (see the header): `scale` is the float32 output scale. */
export function quantizeFloat(x: number, scale: number, zeroPoint: number, division: QuantizeDivision, dtype: DType = 'int8'): number {
  const [lo, hi] = qRange(dtype);
  const xf = Math.fround(x);
  const quotient = division === 'float32' ? Math.fround(xf / Math.fround(scale)) : xf / Math.fround(scale);
  if (Number.isNaN(quotient)) return Math.min(hi, Math.max(lo, zeroPoint));
  const r = roundHalfAway(quotient);
  // Saturate like a 32-bit VCVT before adding the zero point (TFLite's int32 cast is UB out of range).
  const i = Math.min(2147483647, Math.max(-2147483648, r));
  return Math.min(hi, Math.max(lo, i + zeroPoint));
}

/** One quantised value dequantised: float32(scale * (q - zeroPoint)). */
export function dequantizeValue(q: number, scale: number, zeroPoint: number): number {
  return Math.fround(Math.fround(scale) * (q - zeroPoint));
}

export interface RequantizeParams { inputOffset: number; outputOffset: number; multiplier: number; shift: number; qmin: number; qmax: number }

/** QUANTIZE between integer types: TFLite's Prepare (effective scale in double, QuantizeMultiplier). */
export function requantizeParams(inScale: number, inZeroPoint: number, outScale: number, outZeroPoint: number, outDtype: DType): RequantizeParams {
  const m = quantizeMultiplier(inScale / outScale);
  const [qmin, qmax] = qRange(outDtype);
  return { inputOffset: -inZeroPoint, outputOffset: outZeroPoint, multiplier: m.multiplier, shift: m.shift, qmin, qmax };
}

/** One integer value requantised (double rounding, both arithmetics). */
export function requantizeValue(q: number, p: RequantizeParams): number {
  const r = multiplyByQuantizedMultiplier(q + p.inputOffset, { multiplier: p.multiplier, shift: p.shift }, 'tflm') + p.outputOffset;
  return Math.min(p.qmax, Math.max(p.qmin, r));
}

/**
 * The real range a float32 graph input can take without saturating the QUANTIZE that reads it:
 * [(qmin - zeroPoint) * scale, (qmax - zeroPoint) * scale] of its (first) QUANTIZE's output; undefined when
 * the input is not float32 or no QUANTIZE reads it.
 */
export function floatInputRange(g: Graph, id: number): [number, number] | undefined {
  if (g.tensors[id]?.dtype !== 'float32') return undefined;
  const q = g.ops.find((op) => op.kind === 'quantize' && op.inputs[0] === id);
  const y = q && g.tensors[q.outputs[0]!];
  if (!y?.quant) return undefined;
  const [lo, hi] = qRange(y.dtype);
  const s = y.quant.scale[0]!, z = y.quant.zeroPoint[0]!;
  return [(lo - z) * s, (hi - z) * s];
}

/** Bytes of one set of graph inputs (raw little-endian, concatenated in input order). */
export function inputBytes(g: Graph): number {
  return g.inputs.reduce((s, id) => s + numElements(g.tensors[id]!.shape) * bytesPerElement(g.tensors[id]!.dtype), 0);
}
