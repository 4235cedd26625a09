// Input prepasses of the fast Cortex-M4 kernels: each turns the int8 NHWC input once into the layout the
// hot loop wants, in scratch SRAM, so the loop has no border cases and no sign extension:
//   - widenInt16: padded NHWC int16 holding x + inputOffset (SXTAB16 against the replicated offset, so the
//     offset costs nothing), zero padding, channels padded to a multiple of 4 and stored in SXTAB16's
//     natural order c0,c2,c1,c3 per group of four (weights are stored in the same order);
//   - biasUint8: padded NHWC bytes x + 128 (one EOR per word) for USADA8 add convolution, padding holds
//     the zero point (real 0);
//   - shiftedInt16: like widenInt16 but every channel read through its own spatial shift (shift conv).

/** Stored position -> channel within a group of four (SXTAB16 writes bytes 0,2 then 1,3). */
export const PERM4 = [0, 2, 1, 3] as const;
export function channelAt(pos: number): number { return pos - (pos % 4) + PERM4[pos % 4]!; }

export interface PadGeom {
  inH: number; inW: number; inC: number;
  /** Stored channels per pixel (>= inC, multiple of 4). */
  bufC: number;
  bufH: number; bufW: number;
  padTop: number; padLeft: number;
}

export function padGeom(o: { inH: number; inW: number; inC: number; outH: number; outW: number; kH: number; kW: number;
  strideH: number; strideW: number; dilationH: number; dilationW: number; padTop: number; padLeft: number }, bufC: number): PadGeom {
  const needH = (o.outH - 1) * o.strideH + (o.kH - 1) * o.dilationH + 1;
  const needW = (o.outW - 1) * o.strideW + (o.kW - 1) * o.dilationW + 1;
  return { inH: o.inH, inW: o.inW, inC: o.inC, bufC, padTop: o.padTop, padLeft: o.padLeft,
    bufH: Math.max(o.padTop + o.inH, needH), bufW: Math.max(o.padLeft + o.inW, needW) };
}

export function padBytes(p: PadGeom, elem: number): number {
  return Math.ceil(p.bufH * p.bufW * p.bufC * elem / 8) * 8;
}

/** Zeroes (or fills) the border of the padded buffer: words of `fill`. */
function borderC(p: PadGeom, elem: number, fill: string): string[] {
  const perRow = p.bufW * p.bufC * elem / 4;
  const left = p.padLeft * p.bufC * elem / 4;
  const right = (p.bufW - p.padLeft - p.inW) * p.bufC * elem / 4;
  const L: string[] = [`  uint32_t *z = (uint32_t *)(void *)s; (void)z;`];
  if (p.padTop) L.push(`  for (int i = 0; i < ${p.padTop * perRow}; i++) z[i] = ${fill};`);
  const bottom = p.bufH - p.padTop - p.inH;
  if (bottom) L.push(`  for (int i = ${(p.padTop + p.inH) * perRow}; i < ${p.bufH * perRow}; i++) z[i] = ${fill};`);
  if (left || right) {
    L.push(`  for (int y = 0; y < ${p.inH}; y++) { uint32_t *r = z + (y + ${p.padTop}) * ${perRow};`);
    if (left) L.push(`    for (int i = 0; i < ${left}; i++) r[i] = ${fill};`);
    if (right) L.push(`    for (int i = ${perRow - right}; i < ${perRow}; i++) r[i] = ${fill};`);
    L.push(`  }`);
  }
  return L;
}

/** `static void <name>(const int8_t *x, int16_t *s)`. */
export function widenInt16C(name: string, p: PadGeom, inputOffset: number): string {
  const L = [`static void __attribute__((noinline)) ${name}(const int8_t *x, int16_t *s) {`, ...borderC(p, 2, '0')];
  const interior = `s + ((y + ${p.padTop}) * ${p.bufW} + ${p.padLeft}) * ${p.bufC}`;
  if (p.inC === p.bufC) {
    const off = ((inputOffset & 0xffff) * 65537) >>> 0;
    const words = p.inW * p.inC / 4;
    const unit = [`      d[0] = tfk_sxtab16(off2, v); d[1] = tfk_sxtab16_ror8(off2, v); d += 2; }`];
    L.push(`  const uint32_t off2 = ${off}u;`,
      `  for (int y = 0; y < ${p.inH}; y++) {`,
      `    const int8_t *src = x + y * ${p.inW * p.inC}; uint32_t *d = (uint32_t *)(void *)(${interior});`);
    if (words % 4 === 0) {
      // Word-aligned input (the usual case): 16 values per iteration, two LDRDs.
      L.push(`    if (((uintptr_t)src & 3) == 0) {`,
        `      for (int n = 0; n < ${words / 4}; n++) { uint32_t v0, v1, v2, v3; TFK_LDRD_POST(v0, v1, src); TFK_LDRD_POST(v2, v3, src);`,
        `        d[0] = tfk_sxtab16(off2, v0); d[1] = tfk_sxtab16_ror8(off2, v0); d[2] = tfk_sxtab16(off2, v1); d[3] = tfk_sxtab16_ror8(off2, v1);`,
        `        d[4] = tfk_sxtab16(off2, v2); d[5] = tfk_sxtab16_ror8(off2, v2); d[6] = tfk_sxtab16(off2, v3); d[7] = tfk_sxtab16_ror8(off2, v3); d += 8; }`,
        `      continue;`, `    }`);
    }
    L.push(`    for (int n = 0; n < ${words}; n++) { uint32_t v = (uint32_t)tfk_ld32(src); src += 4;`, ...unit, `  }`);
  } else {
    const perm = Array.from({ length: p.bufC }, (_, pos) => channelAt(pos));
    L.push(`  static const uint16_t perm[${p.bufC}] = {${perm.join(',')}};`,
      `  for (int y = 0; y < ${p.inH}; y++) for (int xx = 0; xx < ${p.inW}; xx++) {`,
      `    const int8_t *src = x + (y * ${p.inW} + xx) * ${p.inC}; int16_t *d = ${interior} + xx * ${p.bufC};`,
      `    for (int i = 0; i < ${p.bufC}; i++) d[i] = perm[i] < ${p.inC} ? (int16_t)(src[perm[i]] + ${inputOffset}) : 0;`,
      `  }`);
  }
  L.push(`}`);
  return L.join('\n');
}

/** `static void <name>(const int8_t *x, uint8_t *s)`: x + 128, padding and padded channels = zero point + 128. */
export function biasUint8C(name: string, p: PadGeom, inputOffset: number): string {
  const zb = ((-inputOffset + 128) & 0xff) >>> 0;
  const fill = `${(zb * 0x01010101) >>> 0}u`;
  // Padded channel positions hold the zero point too; their stored weights equal it, so they add 0.
  const L = [`static void __attribute__((noinline)) ${name}(const int8_t *x, uint8_t *s) {`, ...borderC(p, 1, fill)];
  const interior = `s + ((y + ${p.padTop}) * ${p.bufW} + ${p.padLeft}) * ${p.bufC}`;
  if (p.inC === p.bufC) {
    L.push(`  for (int y = 0; y < ${p.inH}; y++) {`,
      `    const int8_t *src = x + y * ${p.inW * p.inC}; uint32_t *d = (uint32_t *)(${interior});`,
      `    for (int n = 0; n < ${p.inW * p.inC / 4}; n++) { d[n] = (uint32_t)tfk_ld32(src) ^ 0x80808080u; src += 4; }`,
      `  }`);
  } else {
    L.push(`  for (int y = 0; y < ${p.inH}; y++) for (int xx = 0; xx < ${p.inW}; xx++) {`,
      `    const int8_t *src = x + (y * ${p.inW} + xx) * ${p.inC}; uint8_t *d = ${interior} + xx * ${p.bufC};`,
      `    for (int i = 0; i < ${p.bufC}; i++) d[i] = i < ${p.inC} ? (uint8_t)(src[i] ^ 0x80) : ${zb};`,
      `  }`);
  }
  L.push(`}`);
  return L.join('\n');
}
