// fully_connected: dot products over the contiguous input row and weight rows ([outDepth, inDepth] int8
// in flash), two outputs at a time sharing each widened input word (DSP path: 8 MACs per 4 SMLADs), requantised with the op's
// rounding (FULLY_CONNECTED rounds once in the tflite arithmetic, tflite-reference.md).
import type { KFullyConnected } from '../../compiler/kernel-ir/types.ts';
import { cArray, dot2Snippet, dotSnippet, requantFn, requantTables } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitFullyConnected(op: KFullyConnected, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const w = ctx.konst(op.weights), b = ctx.konst(op.bias);
  const rq = requantTables(f, op.requant, requantFn(op.rounding));
  const data = cArray(`${f}_w`, 'int8_t', w.data) + cArray(`${f}_b`, 'int32_t', b.data) + rq.data;
  const store = (acc: string, o: string) => `out[b * ${op.outDepth} + ${o}] = (int8_t)tf_clamp(${rq.expr(acc, o)} + ${op.outputOffset}, ${op.actMin}, ${op.actMax});`;
  const code = `static void ${f}(const int8_t *in, int8_t *out)
{
  for (int b = 0; b < ${op.batches}; b++) {
    const int8_t *x = in + b * ${op.inDepth};
    int o = 0;
    for (; o + 2 <= ${op.outDepth}; o += 2) {
      const int8_t *w0 = ${f}_w + o * ${op.inDepth}, *w1 = w0 + ${op.inDepth};
      int32_t acc0 = ${f}_b[o], acc1 = ${f}_b[o + 1];
${dot2Snippet(['acc0', 'acc1'], 'x', ['w0', 'w1'], op.inDepth, op.inputOffset, '      ')}
      ${store('acc0', 'o')}
      ${store('acc1', 'o + 1')}
    }
    for (; o < ${op.outDepth}; o++) {
      const int8_t *w = ${f}_w + o * ${op.inDepth};
      int32_t acc = ${f}_b[o];
${dotSnippet('acc', 'x', 'w', op.inDepth, op.inputOffset, '      ')}
      ${store('acc', 'o')}
    }
  }
}
`;
  return { data, code, constBytes: w.data.length + 4 * b.data.length + rq.bytes };
}

export const fullyConnectedGeneric = defineVariant<KFullyConnected>({
  name: 'fc.generic',
  kind: 'fully_connected',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitFullyConnected,
  estimate: (op) => ({ instructions: Math.round(op.macs * 1.5 + op.batches * op.outDepth * 14), loads: Math.round(op.macs / 2) }),
});
