// reduce (MEAN / SUM over any axes): loops specialised per layer, the kept dimensions outside (in output
// order) and the reduced ones inside, summing raw int8 into an int32 (no scratch); the sum becomes the
// output as the kernel op's method says (compiler/quant/params.ts ReduceQuantParams): TFLite Micro's
// integer requantisation, desktop TFLite's spatial mean, its float32 mean/sum (float literals exact in
// hexadecimal, products never fused, std::round half away from zero) or its plain truncating mean.
import type { KReduce } from '../../compiler/kernel-ir/types.ts';
import { cFloat, cInt } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

function finish(op: KReduce): string {
  switch (op.method) {
    case 'integer':
      return `out[o++] = (int8_t)tf_clamp(tf_requant_tflm(tf_add_wrap(acc, ${cInt(op.inputOffset * op.count | 0)}), ${cInt(op.multiplier)}, ${op.shift}) + ${op.outputOffset}, -128, 127);`;
    case 'spatial':
      return `out[o++] = (int8_t)tf_clamp(tf_requant_tflm(acc, ${cInt(op.multiplier)}, ${op.shift}) + ${op.bias}, -128, 127);`;
    case 'plain':
      return `out[o++] = (int8_t)(acc / ${op.count});`;
    case 'float':
      if (op.reduceKind === 'sum') {
        // No clamp: desktop TFLite's float SUM wraps the int32 to int8.
        return `out[o++] = (int8_t)(uint8_t)(uint32_t)((int32_t)tf_roundf(tf_fmul_add((float)acc, ${cFloat(op.fscale)}, ${cFloat(op.fbias)})) + ${op.outputOffset});`;
      }
      return `{
      float r = tf_roundf(tf_fmul_add((float)acc / ${cFloat(Math.fround(op.count))}, ${cFloat(op.fscale)}, ${cFloat(op.fbias)})) + ${cFloat(op.outputOffset)};
      r = r > 127.0f ? 127.0f : r < -128.0f ? -128.0f : r;
      out[o++] = (int8_t)(int32_t)r;
    }`;
  }
}

export function emitReduce(op: KReduce, ctx: EmitContext): EmittedKernel {
  const shape = op.inShape;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const reduced = new Set(op.axes);
  const kept = shape.map((_, i) => i).filter((i) => !reduced.has(i));
  const red = op.axes;
  const loop = (i: number, depth: number, body: string) => {
    const pad = '  '.repeat(depth);
    return `${pad}for (int i${i} = 0; i${i} < ${shape[i]}; i${i}++) {\n${body}\n${pad}}`;
  };
  const off = (dims: number[]) => dims.map((i) => `i${i} * ${strides[i]}`).join(' + ') || '0';
  let inner = `${'  '.repeat(kept.length + red.length + 1)}acc += x[${off(red)}];`;
  for (let k = red.length - 1; k >= 0; k--) inner = loop(red[k]!, kept.length + k + 1, inner);
  const pad = '  '.repeat(kept.length + 1);
  let body = `${pad}const int8_t *x = in + ${off(kept)};\n${pad}int32_t acc = 0;\n${inner}\n${pad}${finish(op)}`;
  for (let k = kept.length - 1; k >= 0; k--) body = loop(kept[k]!, k + 1, body);
  const code = `static void ${ctx.fn}(const int8_t *in, int8_t *out)
{
  int o = 0;
${body}
}
`;
  return { data: '', code, constBytes: 0 };
}

export const reduceGeneric = defineVariant<KReduce>({
  name: 'reduce.generic',
  kind: 'reduce',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitReduce,
  estimate: (op) => {
    const n = op.inShape.reduce((a, b) => a * b, 1);
    return { instructions: n * 3 + (n / op.count) * 30, loads: n };
  },
});
