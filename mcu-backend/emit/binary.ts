// binary: the kernel-IR element-wise binary op (KBinary: ADD beyond 4-D or with a constant operand, SUB,
// MUL, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM) as portable C with TFLite's int8 arithmetic (double rounding,
// tf_requant_tflm, in both arithmetics: the op's integers already say which runtime it follows).
// Broadcasting over up to 6 dimensions: dimensions of size 1 are dropped and neighbours with the same
// stride pattern fused (as TFLite's broadcast loop does), leaving a few nested loops around an inner loop
// whose input strides (0 or 1) are literals. A constant operand is a flash array of the kernel. int16 buffers
// (ADD / SUB of 16x8 models, left shift 15): the same steps on int16_t elements, or desktop TFLite's
// power-of-two int16 ADD / SUB (KBinary.pot: one input rounded-shifted right, then a saturating sum).
import type { KBinary } from '../../compiler/kernel-ir/types.ts';
import { cArray, cInt } from './c.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

interface Loop { n: number; sa: number; sb: number }

/** The op's iteration space as fused loops, outermost first (at least one). */
export function binaryLoops(op: KBinary): Loop[] {
  const r = op.outShape.length;
  const strides = (shape: readonly number[]) => {
    const s = new Array<number>(r).fill(0);
    let acc = 1;
    for (let d = r - 1; d >= 0; d--) { s[d] = shape[d] === 1 && op.outShape[d] !== 1 ? 0 : acc; acc *= shape[d]!; }
    return s;
  };
  const sa = strides(op.aShape), sb = strides(op.bShape);
  const loops: Loop[] = [];
  for (let d = 0; d < r; d++) {
    const n = op.outShape[d]!;
    if (n === 1) continue;
    const prev = loops[loops.length - 1];
    // Fuse with the enclosing loop when both operands step through it as through one longer dimension.
    const fuses = (ps: number, s: number) => (ps === 0 && s === 0) || (s !== 0 && ps === s * n);
    if (prev && fuses(prev.sa, sa[d]!) && fuses(prev.sb, sb[d]!)) { prev.n *= n; prev.sa = sa[d]!; prev.sb = sb[d]!; continue; }
    loops.push({ n, sa: sa[d]!, sb: sb[d]! });
  }
  return loops.length ? loops : [{ n: 1, sa: 0, sb: 0 }];
}

/** C for one output element from int32 x1, x2 (before the clamp). */
function element(op: KBinary): string {
  const rq = (x: string, q: { multiplier: number; shift: number }) => `tf_requant_tflm(${x}, ${cInt(q.multiplier)}, ${q.shift})`;
  const shifted = (x: string, off: number) => `(int32_t)((uint32_t)(${x} + ${off}) << ${op.leftShift})`;
  if (op.pot) {
    // Desktop TFLite's power-of-two int16 ADD / SUB: RoundingDivideByPOT on int16 (mask and threshold as
    // int16; from a shift of 16 on the mask is -1), then the sum or difference, saturated by the clamp.
    const div = (x: string, e: number) => {
      if (e === 0) return x;
      const mask = ((((2 ** e) - 1) & 0xffff) << 16) >> 16;
      return `(int16_t)((${x} >> ${e}) + ((int16_t)(${x} & ${mask}) > (int16_t)(${mask >> 1} + (${x} < 0)) ? 1 : 0))`;
    };
    return `(int32_t)${div('x1', op.pot[0])} ${op.op === 'add' ? '+' : '-'} (int32_t)${div('x2', op.pot[1])}`;
  }
  switch (op.op) {
    case 'maximum': return 'x1 > x2 ? x1 : x2';
    case 'minimum': return 'x1 < x2 ? x1 : x2';
    case 'mul': return `${rq(`(x1 + ${op.input1Offset}) * (x2 + ${op.input2Offset})`, op.outputQ)} + ${op.outputOffset}`;
    default: {
      const s = `const int32_t s1 = ${rq(shifted('x1', op.input1Offset), op.input1Q)};
      const int32_t s2 = ${rq(shifted('x2', op.input2Offset), op.input2Q)};`;
      // SUB with a negative second multiplier is desktop TFLite's ADD kernel (see KBinary).
      const raw = op.op === 'add' || (op.op === 'sub' && op.input2Q.multiplier < 0) ? 's1 + s2' : op.op === 'sub' ? 's1 - s2' : '(s1 - s2) * (s1 - s2)';
      return `${s}\n      ${rq(raw, op.outputQ)} + ${op.outputOffset}`;
    }
  }
}

export function emitBinary(op: KBinary, ctx: EmitContext): EmittedKernel {
  const f = ctx.fn;
  const c = op.constOperand;
  let data = '';
  let constBytes = 0;
  if (c) {
    const k = ctx.konst(c.const);
    data = cArray(`${f}_c`, 'int8_t', k.data);
    constBytes = k.data.length;
  }
  const wide = ctx.buffer(op.output).dtype === 'int16';
  const T = wide ? 'int16_t' : 'int8_t';
  const params = !c ? (wide ? 'const int8_t *a8, const int8_t *b8, int8_t *out8' : 'const int8_t *a, const int8_t *b, int8_t *out') : c.slot === 0 ? 'const int8_t *b, int8_t *out' : 'const int8_t *a, int8_t *out';
  const aliases = wide
    ? '  const int16_t *a = (const int16_t *)(const void *)a8, *b = (const int16_t *)(const void *)b8;\n  int16_t *out = (int16_t *)(void *)out8;\n'
    : !c ? '' : c.slot === 0 ? `  const int8_t *a = ${f}_c;\n` : `  const int8_t *b = ${f}_c;\n`;
  const loops = binaryLoops(op);
  const inner = loops[loops.length - 1]!;
  const outer = loops.slice(0, -1);
  const e = element(op);
  const body = e.includes('\n') ? e.replace(/\n(\s*)([^\n]*)$/, '\n$1const int32_t r = $2;') : `const int32_t r = ${e};`;
  const clamp = op.actMin === -128 && op.actMax === 127 && (op.op === 'maximum' || op.op === 'minimum') ? 'r' : `tf_clamp(r, ${op.actMin}, ${op.actMax})`;
  const idx = (s: number) => (s === 0 ? '0' : 'i');
  const innerLoop = `for (int i = 0; i < ${inner.n}; i++) {
      const int32_t x1 = pa[${idx(inner.sa)}], x2 = pb[${idx(inner.sb)}];
      ${body}
      *o++ = (${T})${clamp};
    }`;
  const heads = outer.map((l, d) => `  for (int i${d} = 0; i${d} < ${l.n}; i${d}++)`).join('\n');
  const offset = (key: 'sa' | 'sb') => outer.map((l, d) => (l[key] ? ` + i${d} * ${l[key]}` : '')).join('');
  const code = `static void ${f}(${params})
{
${aliases}  ${T} *o = out;
${outer.length ? `${heads} {\n` : '  {\n'}    const ${T} *pa = a${offset('sa')};
    const ${T} *pb = b${offset('sb')};
    ${innerLoop}
  }
}
`;
  return { data, code, constBytes };
}

export const binaryGeneric = defineVariant<KBinary>({
  name: 'binary.generic',
  kind: 'binary',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  // Each output element is written after both its inputs are read, at the index of a same-shaped input.
  modes: { elementwise: true },
  emit: emitBinary,
  estimate: (op) => {
    const n = op.outShape.reduce((p, d) => p * d, 1);
    return { instructions: n * (op.op === 'maximum' || op.op === 'minimum' ? 8 : op.op === 'mul' ? 20 : 40), loads: n * 2 };
  },
});
