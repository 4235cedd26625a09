// conv2d: the generic (lean, no scratch) kernel for every convolution — groups, dilation, stride,
// explicit padding — specialised per layer (every dimension a literal, weights OHWI int8 in flash,
// per-channel multipliers/shifts as tables). Inner product over contiguous (kx, ic) runs: with
// groups = 1 and dilation 1 the valid part of a kernel row is one run of (kx1 - kx0) * inC values,
// so the DSP path (4 MACs per 2 SMLADs) also pays off for layers with few input channels; there the
// output channels go in pairs sharing each widened input word.
import type { KConv2d } from '../../compiler/kernel-ir/types.ts';
import { cArray, dot2Snippet, dotSnippet, requantFn, requantTables } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitConv2d(op: KConv2d, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const w = ctx.konst(op.weights), b = ctx.konst(op.bias);
  const icpg = op.inC / op.groups, ocpg = op.outC / op.groups;
  const rq = requantTables(f, op.requant, requantFn(op.rounding));
  const data = cArray(`${f}_w`, 'int8_t', w.data) + cArray(`${f}_b`, 'int32_t', b.data) + rq.data;
  const contiguous = op.groups === 1 && op.dilationW === 1;
  const K = op.kH * op.kW * icpg;
  const store = (acc: string, ch: string) => `o[${ch}] = (int8_t)tf_clamp(${rq.expr(acc, ch)} + ${op.outputOffset}, ${op.actMin}, ${op.actMax});`;
  const head = `static void ${f}(const int8_t *in, int8_t *out)
{
  for (int b = 0; b < ${op.batches}; b++)
  for (int oy = 0; oy < ${op.outH}; oy++) {
    const int iy0 = oy * ${op.strideH} - ${op.padTop};
    for (int ox = 0; ox < ${op.outW}; ox++) {
      const int ix0 = ox * ${op.strideW} - ${op.padLeft};
      int8_t *o = out + ((b * ${op.outH} + oy) * ${op.outW} + ox) * ${op.outC};
`;
  const tail = `    }
  }
}
`;
  let code: string;
  if (contiguous) {
    // Valid kernel-row run [kx0, kx1) of (kx1 - kx0) * inC contiguous values in input and weights.
    const rows = (body: string) => `        for (int ky = 0; ky < ${op.kH}; ky++) {
          const int iy = iy0 + ky * ${op.dilationH};
          if (iy < 0 || iy >= ${op.inH}) continue;
          const int8_t *x = in + ((b * ${op.inH} + iy) * ${op.inW} + ix0 + kx0) * ${op.inC};
          const int wo = (ky * ${op.kW} + kx0) * ${op.inC};
${body}
        }`;
    code = head + `      const int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = ix0 + ${op.kW} > ${op.inW} ? ${op.inW} - ix0 : ${op.kW};
      const int n = (kx1 - kx0) * ${op.inC};
      int oc = 0;
      for (; oc + 2 <= ${op.outC}; oc += 2) {
        int32_t acc0 = ${f}_b[oc], acc1 = ${f}_b[oc + 1];
        const int8_t *w0 = ${f}_w + oc * ${K} + wo_base, *w1 = w0 + ${K};
${rows(`          const int8_t *u0 = w0 + wo, *u1 = w1 + wo;
${dot2Snippet(['acc0', 'acc1'], 'x', ['u0', 'u1'], 'n', op.inputOffset, '          ')}`)}
        ${store('acc0', 'oc')}
        ${store('acc1', 'oc + 1')}
      }
      for (; oc < ${op.outC}; oc++) {
        int32_t acc = ${f}_b[oc];
        const int8_t *w0 = ${f}_w + oc * ${K} + wo_base;
${rows(`          const int8_t *u0 = w0 + wo;
${dotSnippet('acc', 'x', 'u0', 'n', op.inputOffset, '          ')}`)}
        ${store('acc', 'oc')}
      }
` + tail;
    code = code.replaceAll(' + wo_base', '');
  } else {
    code = head + `      for (int oc = 0; oc < ${op.outC}; oc++) {
        int32_t acc = ${f}_b[oc];
        const int8_t *wk = ${f}_w + oc * ${K};
        for (int ky = 0; ky < ${op.kH}; ky++) {
          const int iy = iy0 + ky * ${op.dilationH};
          if (iy < 0 || iy >= ${op.inH}) continue;
          for (int kx = 0; kx < ${op.kW}; kx++) {
            const int ix = ix0 + kx * ${op.dilationW};
            if (ix < 0 || ix >= ${op.inW}) continue;
            const int8_t *x = in + ((b * ${op.inH} + iy) * ${op.inW} + ix) * ${op.inC} + ${op.groups > 1 ? `(oc / ${ocpg}) * ${icpg}` : '0'};
            const int8_t *w = wk + (ky * ${op.kW} + kx) * ${icpg};
${dotSnippet('acc', 'x', 'w', icpg, op.inputOffset, '            ')}
          }
        }
        ${store('acc', 'oc')}
      }
` + tail;
  }
  return { data, code, constBytes: w.data.length + 4 * b.data.length + rq.bytes };
}

export const conv2dGeneric = defineVariant<KConv2d>({
  name: 'conv2d.generic',
  kind: 'conv2d',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitConv2d,
  estimate: (op) => ({ instructions: Math.round(op.macs * 1.6 + op.outH * op.outW * op.outC * 14), loads: Math.round(op.macs / 2) }),
});
