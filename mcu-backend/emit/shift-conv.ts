// shift_conv2d (Active-Shift / ShiftNet): per output pixel, gather the input pixel of every channel
// at its own shift (y + dy[c], x + dx[c]) into an inC-byte scratch row — pixels outside the image read
// the input zero point, i.e. the value 0 after the offset — then a 1x1 convolution of that row with the
// [outC, inC] weights (the same dot product as conv2d, DSP path included). Requantised with the op's
// rounding (double in both arithmetics, as the golden runtime defines the op).
import type { KShiftConv2d } from '../../compiler/kernel-ir/types.ts';
import { cArray, dotSnippet, requantFn, requantTables } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitShiftConv(op: KShiftConv2d, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const w = ctx.konst(op.weights), b = ctx.konst(op.bias);
  const rq = requantTables(f, op.requant, requantFn(op.rounding));
  const dy = op.shifts.map((s) => s[0]), dx = op.shifts.map((s) => s[1]);
  const data = cArray(`${f}_w`, 'int8_t', w.data) + cArray(`${f}_b`, 'int32_t', b.data) + rq.data
    + cArray(`${f}_dy`, 'int8_t', dy) + cArray(`${f}_dx`, 'int8_t', dx);
  const zp = -op.inputOffset;
  const code = `static void ${f}(const int8_t *in, int8_t *out, int8_t *scratch)
{
  for (int b = 0; b < ${op.batches}; b++)
  for (int oy = 0; oy < ${op.outH}; oy++)
    for (int ox = 0; ox < ${op.outW}; ox++) {
      for (int c = 0; c < ${op.inC}; c++) {
        const int iy = oy * ${op.strideH} - ${op.padTop} + ${f}_dy[c], ix = ox * ${op.strideW} - ${op.padLeft} + ${f}_dx[c];
        scratch[c] = (iy < 0 || iy >= ${op.inH} || ix < 0 || ix >= ${op.inW}) ? (int8_t)${zp} : in[((b * ${op.inH} + iy) * ${op.inW} + ix) * ${op.inC} + c];
      }
      int8_t *o = out + ((b * ${op.outH} + oy) * ${op.outW} + ox) * ${op.outC};
      for (int oc = 0; oc < ${op.outC}; oc++) {
        const int8_t *x = scratch, *w = ${f}_w + oc * ${op.inC};
        int32_t acc = ${f}_b[oc];
${dotSnippet('acc', 'x', 'w', op.inC, op.inputOffset, '        ')}
        acc = ${rq.expr('acc', 'oc')} + ${op.outputOffset};
        o[oc] = (int8_t)tf_clamp(acc, ${op.actMin}, ${op.actMax});
      }
    }
}
`;
  return { data, code, constBytes: w.data.length + 4 * b.data.length + rq.bytes + 2 * op.inC };
}

export const shiftConvGather = defineVariant<KShiftConv2d>({
  name: 'shiftconv.gather',
  kind: 'shift_conv2d',
  priority: 0,
  applies: (op) => op.shifts.every(([y, x]) => Math.abs(y) < 128 && Math.abs(x) < 128),
  scratchBytes: (op) => (op.inC + 3) & ~3,
  emit: emitShiftConv,
  estimate: (op) => ({ instructions: Math.round(op.macs * 1.6 + op.outH * op.outW * (op.inC * 10 + op.outC * 14)), loads: Math.round(op.macs / 2) }),
});
