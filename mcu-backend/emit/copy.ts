// copy: the kernel IR's affine strided copy (PAD, TRANSPOSE, SLICE, STRIDED_SLICE, CONCATENATION, PACK, and
// one op per output of SPLIT / UNPACK). Portable C: an optional memset of the whole output (PAD's border),
// then per region a loop nest over its (already merged) dimensions with the strides as literals; the
// innermost dimension is one memcpy when both sides are contiguous along it.
import type { KCopy } from '../../compiler/kernel-ir/types.ts';
import { defineVariant, type EmitContext, type EmittedKernel } from './variant.ts';

type Region = KCopy['regions'][number];

/** The C loop nest copying one region from `src` into `out`. */
function regionLoops(r: Region, src: string): string {
  const n = r.shape.length;
  const inner = n - 1;
  const iv = (d: number) => `i${d}`;
  const lines: string[] = [];
  const ind = (d: number) => '  '.repeat(d + 1);
  for (let d = 0; d < inner; d++) lines.push(`${ind(d)}for (int ${iv(d)} = 0; ${iv(d)} < ${r.shape[d]}; ${iv(d)}++)`);
  const off = (base: number, strides: number[]) => [String(base), ...strides.slice(0, inner).map((s, d) => `${iv(d)} * ${s}`)].join(' + ');
  const s = `${src} + (${off(r.inOffset, r.inStrides)})`;
  const o = `out + (${off(r.outOffset, r.outStrides)})`;
  const len = r.shape[inner]!;
  if (r.inStrides[inner] === 1 && r.outStrides[inner] === 1) {
    lines.push(`${ind(inner)}memcpy(${o}, ${s}, ${len});`);
  } else {
    lines.push(`${ind(inner)}{`);
    lines.push(`${ind(inner)}  const int8_t *s = ${s};`);
    lines.push(`${ind(inner)}  int8_t *o = ${o};`);
    lines.push(`${ind(inner)}  for (int k = 0; k < ${len}; k++) o[k * ${r.outStrides[inner]}] = s[k * ${r.inStrides[inner]}];`);
    lines.push(`${ind(inner)}}`);
  }
  return lines.join('\n');
}

export function emitCopy(op: KCopy, ctx: EmitContext): EmittedKernel {
  const bytes = ctx.buffer(op.output).bytes;
  const params = op.inputs.map((_, k) => `const int8_t *in${k}`).join(', ');
  const body: string[] = [];
  if (op.fill !== undefined) body.push(`  memset(out, ${op.fill}, ${bytes});`);
  op.regions.forEach((r, k) => body.push(`  /* region ${k}: [${r.shape.join('x')}] */\n${regionLoops(r, `in${k}`)}`));
  const code = `static void ${ctx.fn}(${params}, int8_t *out)
{
${body.join('\n')}
}
`;
  return { data: '', code, constBytes: 0 };
}

export const copyGeneric = defineVariant<KCopy>({
  name: 'copy.generic',
  kind: 'copy',
  priority: 0,
  applies: () => true,
  scratchBytes: () => 0,
  emit: emitCopy,
  estimate: (op) => {
    const moved = op.regions.reduce((s, r) => s + r.shape.reduce((a, b) => a * b, 1), 0);
    const rows = op.regions.reduce((s, r) => s + r.shape.slice(0, -1).reduce((a, b) => a * b, 1), 0);
    const contiguous = op.regions.every((r) => r.inStrides[r.inStrides.length - 1] === 1 && r.outStrides[r.outStrides.length - 1] === 1);
    return { instructions: rows * 12 + (contiguous ? moved / 2 : moved * 4), loads: contiguous ? moved / 4 : moved };
  },
});
