// fully_connected: one dot product per (batch, output) over the contiguous input row and weight row
// ([outDepth, inDepth] int8 in flash), DSP path 4 MACs per 2 SMLADs, requantised with the op's
// rounding (FULLY_CONNECTED rounds once in the tflite arithmetic, tflite-reference.md).
import type { KFullyConnected } from '../../compiler/kernel-ir/types.ts';
import { cArray, dotSnippet, requantFn, requantTables } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitFullyConnected(op: KFullyConnected, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const w = ctx.konst(op.weights), b = ctx.konst(op.bias);
  const rq = requantTables(f, op.requant, requantFn(op.rounding));
  const data = cArray(`${f}_w`, 'int8_t', w.data) + cArray(`${f}_b`, 'int32_t', b.data) + rq.data;
  const code = `static void ${f}(const int8_t *in, int8_t *out)
{
  for (int b = 0; b < ${op.batches}; b++) {
    const int8_t *x = in + b * ${op.inDepth};
    for (int o = 0; o < ${op.outDepth}; o++) {
      const int8_t *w = ${f}_w + o * ${op.inDepth};
      int32_t acc = ${f}_b[o];
${dotSnippet('acc', 'x', 'w', op.inDepth, op.inputOffset, '      ')}
      acc = ${rq.expr('acc', 'o')} + ${op.outputOffset};
      out[b * ${op.outDepth} + o] = (int8_t)tf_clamp(acc, ${op.actMin}, ${op.actMax});
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
