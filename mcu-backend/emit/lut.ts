// lut: an int8 -> int8 function of one byte (RELU family, LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH, QUANTIZE
// int8 -> int8) as its 256-byte table in flash, computed at compile time in the module's arithmetic
// (compiler/quant/unary.ts): out[i] = table[(uint8_t)in[i]]. Four elements per iteration through one word
// load and store. Each output byte is written after its input byte is read, so the output may overlay the
// input (KernelModes elementwise).
import type { KLut } from '../../compiler/kernel-ir/types.ts';
import { cArray } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitLut(op: KLut, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const t = ctx.konst(op.table);
  const data = cArray(`${f}_lut`, 'int8_t', t.data);
  const n = op.size;
  const code = `static void ${f}(const int8_t *in, int8_t *out)
{
  const uint8_t *x = (const uint8_t *)in;
  int i = 0;
  for (; i + 4 <= ${n}; i += 4) {
    const uint8_t a = x[i], b = x[i + 1], c = x[i + 2], d = x[i + 3];
    out[i] = ${f}_lut[a]; out[i + 1] = ${f}_lut[b]; out[i + 2] = ${f}_lut[c]; out[i + 3] = ${f}_lut[d];
  }
  for (; i < ${n}; i++) out[i] = ${f}_lut[x[i]];
}
`;
  return { data, code, constBytes: 256 };
}

export const lutTable = defineVariant<KLut>({
  name: 'lut.table',
  kind: 'lut',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  modes: { elementwise: true },
  emit: emitLut,
  estimate: (op) => ({ instructions: op.size * 4, loads: op.size * 2 }),
});
