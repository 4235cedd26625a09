// average_pool2d and max_pool2d: TFLite Micro's int8 reference pooling (the window clipped to the
// image; average = sum rounded half away from zero divided by the number of valid taps), specialised
// per layer, channels innermost so input reads are contiguous. Modal form (variant.ts KernelModes) for
// in-place and channel-split execution. int16 (16x8 models): pool16.generic, the same steps on int16 data
// (TFLite's int16 reference pooling), plain form only, as the other int16 kernels.
import type { KernelModule, KPool2d } from '../../compiler/kernel-ir/types.ts';
import { modalHead } from './depthwise.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

export function emitPool(op: KPool2d, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const avg = op.kind === 'average_pool2d';
  const init = avg ? 'int32_t acc = 0;' : 'int32_t acc = -128;';
  const step = avg ? 'acc += x[c];' : 'acc = tf_max(acc, x[c]);';
  const fin = avg
    ? 'const int32_t n = (fy1 - fy0) * (fx1 - fx0);\n        acc = acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n;'
    : '';
  const mh = modalHead(op, ctx.mode, f);
  const IS = ctx.mode ? ctx.mode.inStride : op.inC;
  const code = `${mh.head}
    const int iy0 = oy * ${op.strideH} - ${op.padTop};
    const int fy0 = tf_max(0, -iy0), fy1 = tf_min(${op.kH}, ${op.inH} - iy0);
    for (int ox = 0; ox < ${op.outW}; ox++) {
      const int ix0 = ox * ${op.strideW} - ${op.padLeft};
      const int fx0 = tf_max(0, -ix0), fx1 = tf_min(${op.kW}, ${op.inW} - ix0);
      int8_t *o = out + ${mh.outPixel};
      for (int c = 0; c < ${mh.channels}; c++) {
        ${init}
        for (int fy = fy0; fy < fy1; fy++)
          for (int fx = fx0; fx < fx1; fx++) {
            const int8_t *x = in + ((b * ${op.inH} + iy0 + fy) * ${op.inW} + ix0 + fx) * ${IS};
            ${step}
          }
        ${fin}
        o[c] = (int8_t)tf_clamp(acc, ${op.actMin}, ${op.actMax});
      }
    }
  }
}
`;
  return { data: '', code, constBytes: 0 };
}

const outputs = (op: KPool2d) => op.batches * op.outH * op.outW * op.outC;

/** Whether the pool reads int16 (known from the module's buffers; without a module, int8). */
const is16 = (op: KPool2d, m?: KernelModule) => m?.buffers[op.inputs[0]!]?.dtype === 'int16';

export function emitPool16(op: KPool2d, ctx: EmitContext): EmittedKernel {
  const avg = op.kind === 'average_pool2d';
  const code = `static void ${ctx.fn}(const int8_t *in8, int8_t *out8)
{
  const int16_t *in = (const int16_t *)(const void *)in8;
  int16_t *out = (int16_t *)(void *)out8;
  for (int b = 0; b < ${op.batches}; b++)
    for (int oy = 0; oy < ${op.outH}; oy++) {
      const int iy0 = oy * ${op.strideH} - ${op.padTop};
      const int fy0 = tf_max(0, -iy0), fy1 = tf_min(${op.kH}, ${op.inH} - iy0);
      for (int ox = 0; ox < ${op.outW}; ox++) {
        const int ix0 = ox * ${op.strideW} - ${op.padLeft};
        const int fx0 = tf_max(0, -ix0), fx1 = tf_min(${op.kW}, ${op.inW} - ix0);
        int16_t *o = out + ((b * ${op.outH} + oy) * ${op.outW} + ox) * ${op.outC};
        for (int c = 0; c < ${op.outC}; c++) {
          int32_t acc = ${avg ? '0' : '-32768'};
          for (int fy = fy0; fy < fy1; fy++)
            for (int fx = fx0; fx < fx1; fx++) {
              const int32_t v = in[((b * ${op.inH} + iy0 + fy) * ${op.inW} + ix0 + fx) * ${op.inC} + c];
              ${avg ? 'acc += v;' : 'acc = tf_max(acc, v);'}
            }
${avg ? `          const int32_t n = (fy1 - fy0) * (fx1 - fx0);
          acc = n <= 0 ? 0 : acc > 0 ? (acc + n / 2) / n : (acc - n / 2) / n;
` : ''}          o[c] = (int16_t)tf_clamp(acc, ${op.actMin}, ${op.actMax});
        }
      }
    }
}
`;
  return { data: '', code, constBytes: 0 };
}

export const avgPool16Generic = defineVariant<KPool2d>({
  name: 'avgpool16.generic',
  kind: 'average_pool2d',
  priority: 5,
  applies: (op, _t, m) => is16(op, m),
  scratchBytes: () => 0,
  emit: emitPool16,
  estimate: (op) => ({ instructions: outputs(op) * (op.kH * op.kW * 5 + 24), loads: outputs(op) * op.kH * op.kW }),
});

export const maxPool16Generic = defineVariant<KPool2d>({
  name: 'maxpool16.generic',
  kind: 'max_pool2d',
  priority: 5,
  applies: (op, _t, m) => is16(op, m),
  scratchBytes: () => 0,
  emit: emitPool16,
  estimate: (op) => ({ instructions: outputs(op) * (op.kH * op.kW * 5 + 10), loads: outputs(op) * op.kH * op.kW }),
});

export const avgPoolGeneric = defineVariant<KPool2d>({
  name: 'avgpool.generic',
  kind: 'average_pool2d',
  priority: 0,
  applies: (op, _t, m) => !is16(op, m),
  scratchBytes: () => 0,
  modes: { rows: true, slice: true },
  emit: emitPool,
  estimate: (op) => ({ instructions: outputs(op) * (op.kH * op.kW * 4 + 20), loads: outputs(op) * op.kH * op.kW }),
});

export const maxPoolGeneric = defineVariant<KPool2d>({
  name: 'maxpool.generic',
  kind: 'max_pool2d',
  priority: 0,
  applies: (op, _t, m) => !is16(op, m),
  scratchBytes: () => 0,
  modes: { rows: true, slice: true },
  emit: emitPool,
  estimate: (op) => ({ instructions: outputs(op) * (op.kH * op.kW * 4 + 8), loads: outputs(op) * op.kH * op.kW }),
});
