// add_conv2d (AdderNet): acc = bias - sum over the window and input channels of |(x + inputOffset) - w|,
// then requantised with the op's rounding (double in both arithmetics, as the golden runtime defines it).
// Window taps outside the image read the real value 0 (zero padding), so they add |w|: per (oc, tap)
// those sums are folded into a const table and added instead of a loop over the channels.
import type { KAddConv2d } from '../../compiler/kernel-ir/types.ts';
import { cArray, requantFn, requantTables } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitAddConv(op: KAddConv2d, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const w = ctx.konst(op.weights), b = ctx.konst(op.bias);
  const rq = requantTables(f, op.requant, requantFn(op.rounding));
  const taps = op.kH * op.kW;
  const padSum = new Int32Array(op.outC * taps);
  for (let o = 0; o < op.outC; o++)
    for (let t = 0; t < taps; t++)
      for (let c = 0; c < op.inC; c++) padSum[o * taps + t] += Math.abs(w.data[(o * taps + t) * op.inC + c]);
  const data = cArray(`${f}_w`, 'int8_t', w.data) + cArray(`${f}_b`, 'int32_t', b.data) + rq.data + cArray(`${f}_pad`, 'int32_t', padSum);
  const code = `static void ${f}(const int8_t *in, int8_t *out)
{
  for (int b = 0; b < ${op.batches}; b++)
  for (int oy = 0; oy < ${op.outH}; oy++) {
    const int iy0 = oy * ${op.strideH} - ${op.padTop};
    for (int ox = 0; ox < ${op.outW}; ox++) {
      const int ix0 = ox * ${op.strideW} - ${op.padLeft};
      int8_t *o = out + ((b * ${op.outH} + oy) * ${op.outW} + ox) * ${op.outC};
      for (int oc = 0; oc < ${op.outC}; oc++) {
        int32_t acc = 0;
        const int8_t *wk = ${f}_w + oc * ${op.kH * op.kW * op.inC};
        for (int ky = 0; ky < ${op.kH}; ky++) {
          const int iy = iy0 + ky * ${op.dilationH};
          for (int kx = 0; kx < ${op.kW}; kx++) {
            const int ix = ix0 + kx * ${op.dilationW};
            if (iy < 0 || iy >= ${op.inH} || ix < 0 || ix >= ${op.inW}) {
              acc += ${f}_pad[oc * ${taps} + ky * ${op.kW} + kx];
              continue;
            }
            const int8_t *x = in + ((b * ${op.inH} + iy) * ${op.inW} + ix) * ${op.inC};
            const int8_t *w = wk + (ky * ${op.kW} + kx) * ${op.inC};
            for (int c = 0; c < ${op.inC}; c++) {
              const int32_t d = x[c] + ${op.inputOffset} - w[c];
              acc += d < 0 ? -d : d;
            }
          }
        }
        acc = ${rq.expr(`${f}_b[oc] - acc`, 'oc')} + ${op.outputOffset};
        o[oc] = (int8_t)tf_clamp(acc, ${op.actMin}, ${op.actMax});
      }
    }
  }
}
`;
  return { data, code, constBytes: w.data.length + 4 * b.data.length + rq.bytes + 4 * padSum.length };
}

export const addConvGeneric = defineVariant<KAddConv2d>({
  name: 'addconv.generic',
  kind: 'add_conv2d',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitAddConv,
  estimate: (op) => ({ instructions: op.macs * 6 + op.outH * op.outW * op.outC * 14, loads: op.macs * 2 }),
});
