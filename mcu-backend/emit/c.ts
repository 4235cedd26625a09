// Small helpers shared by the C emitters: const-array literals, the requantisation call for a module's
// arithmetic, and the SIMD dot-product snippet (DSP path with a portable fallback, same results).
import type { Requant } from '../../compiler/kernel-ir/types.ts';

export type CType = 'int8_t' | 'int16_t' | 'int32_t' | 'uint8_t' | 'uint16_t';

/** `static const T name[n] = {...};` in flash, 4-byte aligned. */
export function cArray(name: string, type: CType, data: ArrayLike<number>): string {
  const parts: string[] = [];
  const perLine = type === 'int32_t' ? 8 : 24;
  for (let i = 0; i < data.length; i += perLine) {
    parts.push('  ' + Array.from({ length: Math.min(perLine, data.length - i) }, (_, k) => cInt(data[i + k])).join(', '));
  }
  const n = Math.max(1, data.length);
  return `static const ${type} ${name}[${n}] TF_ALIGN(4) = {\n${parts.join(',\n') || '  0'}\n};\n`;
}

export function bytesOf(type: CType, n: number): number {
  return n * (type === 'int32_t' ? 4 : type === 'int16_t' || type === 'uint16_t' ? 2 : 1);
}

/** A float32 value as an exact C hexadecimal float literal (e.g. 0x1.8p-3f). */
export function cFloat(v: number): string {
  if (Math.fround(v) !== v || !Number.isFinite(v)) throw new Error(`cFloat: ${v} is not a finite float32 value`);
  if (v === 0) return '0.0f';
  const sign = v < 0 ? '-' : '';
  let a = Math.abs(v), e = 0;
  while (a >= 2) { a /= 2; e++; }
  while (a < 1) { a *= 2; e--; }
  const frac = Math.round((a - 1) * 2 ** 24); // 23 fraction bits (+1 to fill six hex digits); exact
  return `${sign}0x1.${frac.toString(16).padStart(6, '0')}p${e}f`;
}

/** An int32 literal that is valid C for INT32_MIN too. */
export function cInt(v: number): string {
  return v === -2147483648 ? '(-2147483647 - 1)' : String(v);
}

/**
 * The requantisation function for an op's `rounding` (kernel IR): 'single' (TFLite's CONV_2D and
 * FULLY_CONNECTED in the tflite arithmetic) or 'double' (everything else, tflite-reference.md).
 */
export function requantFn(rounding: 'single' | 'double' | undefined): string {
  return rounding === 'single' ? 'tf_requant_tflite' : 'tf_requant_tflm';
}

/**
 * Per-channel requantisation tables (or literals when per-tensor). Returns data declarations and a
 * function `expr(acc, ch)` giving the C expression of the requantised value (before the output offset).
 */
export function requantTables(prefix: string, rq: Requant, fnName: string): { data: string; bytes: number; expr: (acc: string, ch: string) => string } {
  if (rq.multiplier.length === 1) {
    const m = rq.multiplier[0], s = rq.shift[0];
    return { data: '', bytes: 0, expr: (acc) => `${fnName}(${acc}, ${cInt(m)}, ${s})` };
  }
  const data = cArray(`${prefix}_mult`, 'int32_t', rq.multiplier) + cArray(`${prefix}_shift`, 'int8_t', rq.shift);
  return { data, bytes: rq.multiplier.length * 5, expr: (acc, ch) => `${fnName}(${acc}, ${prefix}_mult[${ch}], ${prefix}_shift[${ch}])` };
}

/** Replicated int16 input offset for __sxtab16: (off, off) in the two halfwords. */
export function offset2(inputOffset: number): string {
  const h = inputOffset & 0xffff;
  return `0x${((h << 16 | h) >>> 0).toString(16)}u`;
}

/**
 * C block adding sum_{i<n} (x[i] + inputOffset) * w[i] to `acc` (int32), for int8 pointers x, w.
 * DSP path: 4 values per step with SXTAB16 (offset folded in) / SXTB16 and two SMLADs, then a portable
 * tail; the portable path is the tail loop alone. `n` is a literal or a C expression.
 */
export function dotSnippet(acc: string, x: string, w: string, n: number | string, inputOffset: number, indent = '      '): string {
  const I = indent;
  const off = inputOffset;
  const simd = typeof n === 'string' || n >= 4;
  const lines: string[] = [`${I}{`, `${I}  int i_ = 0;`];
  if (simd) {
    lines.push('#if TF_DSP');
    lines.push(`${I}  for (; i_ + 4 <= ${n}; i_ += 4) {`);
    lines.push(`${I}    const uint32_t xv = (uint32_t)tf_read32(${x} + i_), wv = (uint32_t)tf_read32(${w} + i_);`);
    lines.push(`${I}    ${acc} = __smlad(__sxtab16((int32_t)${offset2(off)}, (int32_t)xv), __sxtb16((int32_t)wv), ${acc});`);
    lines.push(`${I}    ${acc} = __smlad(tf_sxtab16_ror8((int32_t)${offset2(off)}, xv), tf_sxtb16_ror8(wv), ${acc});`);
    lines.push(`${I}  }`);
    lines.push('#endif');
  }
  lines.push(`${I}  for (; i_ < ${n}; i_++) ${acc} += (${x}[i_] + ${off}) * ${w}[i_];`);
  lines.push(`${I}}`);
  return lines.join('\n');
}

/**
 * Like dotSnippet for two weight rows sharing the input: acc0 += x . w0, acc1 += x . w1. Each input word
 * is loaded and widened once for both (DSP path: 16 instructions per 8 MACs instead of 22).
 */
export function dot2Snippet(acc: [string, string], x: string, w: [string, string], n: number | string, inputOffset: number, indent = '      '): string {
  const I = indent;
  const off = inputOffset;
  const simd = typeof n === 'string' || n >= 4;
  const lines: string[] = [`${I}{`, `${I}  int i_ = 0;`];
  if (simd) {
    lines.push('#if TF_DSP');
    lines.push(`${I}  for (; i_ + 4 <= ${n}; i_ += 4) {`);
    lines.push(`${I}    const uint32_t xv = (uint32_t)tf_read32(${x} + i_);`);
    lines.push(`${I}    const int32_t xa = __sxtab16((int32_t)${offset2(off)}, (int32_t)xv), xb = tf_sxtab16_ror8((int32_t)${offset2(off)}, xv);`);
    lines.push(`${I}    const uint32_t v0 = (uint32_t)tf_read32(${w[0]} + i_), v1 = (uint32_t)tf_read32(${w[1]} + i_);`);
    lines.push(`${I}    ${acc[0]} = __smlad(xa, __sxtb16((int32_t)v0), ${acc[0]});`);
    lines.push(`${I}    ${acc[0]} = __smlad(xb, tf_sxtb16_ror8(v0), ${acc[0]});`);
    lines.push(`${I}    ${acc[1]} = __smlad(xa, __sxtb16((int32_t)v1), ${acc[1]});`);
    lines.push(`${I}    ${acc[1]} = __smlad(xb, tf_sxtb16_ror8(v1), ${acc[1]});`);
    lines.push(`${I}  }`);
    lines.push('#endif');
  }
  lines.push(`${I}  for (; i_ < ${n}; i_++) {`);
  lines.push(`${I}    const int32_t xv = ${x}[i_] + ${off};`);
  lines.push(`${I}    ${acc[0]} += xv * ${w[0]}[i_];`);
  lines.push(`${I}    ${acc[1]} += xv * ${w[1]}[i_];`);
  lines.push(`${I}  }`);
  lines.push(`${I}}`);
  return lines.join('\n');
}

/** `(void)p;` for each parameter a kernel does not read. */
export function unused(...names: string[]): string {
  return names.map((n) => `  (void)${n};`).join('\n');
}
