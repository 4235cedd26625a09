// quantize / dequantize: the float edges (float32 graph input -> int8, int8 -> float32 graph output) and
// QUANTIZE between int8 and int16, portable C (no libm: rounding by hand). The arithmetic is
// compiler/quant/quantize.ts's, step for step:
//   float32 -> int8/int16: q = x / scale in float32 (TFLite Micro; `division` float64: in double, as desktop
//     TFLite, soft-float on cores without a double FPU), rounded half away from zero, + zero point, clamped;
//     NaN gives the zero point and |q| >= 65536 saturates (TFLite's int32 cast is undefined there);
//   int -> int: tf_requant_tflm (double rounding) of x - input zero point, + output zero point, clamped;
//   int8/int16 -> float32: scale * (float)(x - zero point), one float32 multiply (bit-exact with TFLite's
//     double product rounded to float).
// Kernels keep the int8_t pointer signature of every layer and cast: arena buffers are 8-byte aligned.
// Each kernel ends with an empty asm memory clobber (no instruction): host gcc 12.2 -O2 otherwise dropped the
// call of a dequantize layer whose (constant-propagated) arena pointer it had turned into a float store loop,
// as if the function had no side effects (model_runner_codegen: -O1, -fno-ipa-cp, or -fno-ipa-pure-const
// -fno-ipa-modref all kept it); the clobber makes the store visible to every interprocedural analysis.
const BARRIER = '  __asm volatile("" ::: "memory"); /* keep the stores: see mcu-backend/emit/quantize.ts */';
import type { KDequantize, KQuantize } from '../../compiler/kernel-ir/types.ts';
import { cInt } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

const C_TYPE = { int8: 'int8_t', int16: 'int16_t', float32: 'float', int32: 'int32_t', int64: 'int64_t' } as const;

/** A float32 value as a C float literal that reads back to the same float (9 significant digits). */
export function cFloat(v: number): string {
  if (Math.fround(v) !== v || !Number.isFinite(v)) throw new Error(`cFloat: ${v} is not a finite float32`);
  const s = v.toPrecision(9);
  return `${s.includes('e') || s.includes('.') ? s : s + '.0'}f`;
}

export function emitQuantize(op: KQuantize, ctx: EmitContext): EmittedKernel {
  const x = ctx.buffer(op.inputs[0]!), y = ctx.buffer(op.output);
  const tIn = C_TYPE[x.dtype], tOut = C_TYPE[y.dtype];
  const cast = (t: string, p: string, c: boolean) => (t === 'int8_t' ? p : `(${c ? 'const ' : ''}${t} *)(${c ? 'const ' : ''}void *)${p}`);
  let body: string;
  if (op.from === 'float32') {
    const dbl = op.division === 'float64';
    const fl = dbl ? 'double' : 'float';
    const lit = (v: number) => (dbl ? `${v.toFixed(1)}` : `${v.toFixed(1)}f`);
    body = `    const ${fl} q = ${dbl ? '(double)x[i] / (double)' : 'x[i] / '}${cFloat(op.scale)}; /* ${dbl ? 'in double (desktop TFLite)' : 'in float32 (TFLite Micro)'} */
    int32_t v;
    if (!(q == q)) v = ${op.outputOffset};
    else if (q >= ${lit(65536)}) v = ${op.actMax};
    else if (q <= ${lit(-65536)}) v = ${op.actMin};
    else {
      int32_t t = (int32_t)q; /* toward zero; q - t is exact */
      const ${fl} f = q - (${fl})t;
      t += f >= ${lit(0.5)} ? 1 : f <= ${lit(-0.5)} ? -1 : 0; /* half away from zero */
      v = tf_clamp(t + ${op.outputOffset}, ${op.actMin}, ${op.actMax});
    }
    y[i] = (${tOut})v;`;
  } else {
    body = `    y[i] = (${tOut})tf_clamp(tf_requant_tflm((int32_t)x[i] + ${op.inputOffset}, ${cInt(op.multiplier)}, ${op.shift}) + ${op.outputOffset}, ${op.actMin}, ${op.actMax});`;
  }
  const code = `static void ${ctx.fn}(const int8_t *in, int8_t *out)
{
  const ${tIn} *x = ${cast(tIn, 'in', true)};
  ${tOut} *y = ${cast(tOut, 'out', false)};
  for (int i = 0; i < ${op.elements}; i++) {
${body}
  }
${BARRIER}
}
`;
  return { data: '', code, constBytes: 0 };
}

export function emitDequantize(op: KDequantize, ctx: EmitContext): EmittedKernel {
  const x = ctx.buffer(op.inputs[0]!);
  const tIn = C_TYPE[x.dtype];
  const code = `static void ${ctx.fn}(const int8_t *in, int8_t *out)
{
  const ${tIn} *x = ${tIn === 'int8_t' ? 'in' : `(const ${tIn} *)(const void *)in`};
  float *y = (float *)(void *)out;
  for (int i = 0; i < ${op.elements}; i++) y[i] = ${cFloat(op.scale)} * (float)((int32_t)x[i] + ${op.inputOffset});
${BARRIER}
}
`;
  return { data: '', code, constBytes: 0 };
}

export const quantizeGeneric = defineVariant<KQuantize>({
  name: 'quantize.generic',
  kind: 'quantize',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitQuantize,
  estimate: (op) => ({ instructions: op.elements * (op.from === 'float32' ? 30 : 20), loads: op.elements }),
});

export const dequantizeGeneric = defineVariant<KDequantize>({
  name: 'dequantize.generic',
  kind: 'dequantize',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitDequantize,
  estimate: (op) => ({ instructions: op.elements * 8, loads: op.elements }),
});
