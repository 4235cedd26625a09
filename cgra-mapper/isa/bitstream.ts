// Bitstream file formats of a CgraImage:
// - HEEPsilon's bitstream.h: two C arrays, `cgra_imem_<name>[rows*lines]` (bank-major context memory) and
//   `cgra_kmem_<name>[kernelSlots]` (kernel table), the form HEEPsilon's CGRA driver loads;
// - a JSON form: {"format": "tinyforge-cgra-image", "version": 1, "arch": {...}, "kernels": [{id, name}],
//   "imem": ["0x..."], "kmem": ["0x..."]} (hex strings; numbers accepted on input).
// Reading validates every resident kernel (kernelsOf), so a bad word is reported with its PE and step.
//
// API: `parseBitstreamH(text, arch, file?)`, `formatBitstreamH(image, name)`, `imageToJson(image)`,
//      `imageFromJson(text, arch?, file?)`, `readImageFile(path, arch)`, `writeImageFile(path, image)`.
import { readInputText, writeFileAtomic } from '../../compiler/files.ts';
import { TinyforgeError, type Where } from '../../compiler/diagnostics.ts';
import { locateJsonPath, parseJsonText } from '../../compiler/json.ts';
import { makeArch, type CgraArch } from '../arch.ts';
import { kernelsOf, type CgraImage } from './image.ts';

function parseCNumber(t: string, where: Where, what: string): number {
  const s = t.trim().replace(/[uUlL]+$/, '');
  const v = /^0x[0-9a-f]+$/i.test(s) ? parseInt(s, 16) : /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(v) || v < 0 || v > 0xffffffff) throw new TinyforgeError(`${what}: '${t.trim().replace(/\n/g, '\\n')}' is not a 32-bit unsigned number`, where);
  return v;
}

/** A C array `<prefix><name>[...] = {...}`: its words and the source line of each (for errors). */
function cArray(text: string, prefix: string, file: string | undefined): { name: string; values: number[]; lines: number[]; line: number } {
  const re = new RegExp(`\\b${prefix}(\\w*)\\s*\\[[^\\]]*\\]\\s*=\\s*\\{([^}]*)\\}`, 'm');
  const m = re.exec(text);
  if (!m) throw new TinyforgeError(`no '${prefix}<name>[] = {...}' array found`, { file }, 'expected HEEPsilon bitstream.h with cgra_imem_* and cgra_kmem_* arrays');
  const line = text.slice(0, m.index).split('\n').length;
  // Comments become blanks of the same length (newlines kept), so offsets in the body still give lines.
  const blank = (c: string) => c.replace(/[^\n]/g, ' ');
  const body = m[2].replace(/\/\*[\s\S]*?\*\//g, blank).replace(/\/\/.*$/gm, blank);
  const bodyLine = text.slice(0, m.index + m[0].indexOf('{') + 1).split('\n').length;
  const values: number[] = [];
  const lines: number[] = [];
  let offset = 0;
  for (const cell of body.split(',')) {
    const lead = cell.length - cell.trimStart().length;
    const at = bodyLine + body.slice(0, offset + lead).split('\n').length - 1;
    offset += cell.length + 1;
    if (cell.trim() === '') continue;
    values.push(parseCNumber(cell, { file, line: at }, `${prefix}${m[1]}[${values.length}]`));
    lines.push(at);
  }
  return { name: m[1], values, lines, line };
}

/** Reads bitstream.h. The array sizes must match `arch` (rows * contextLines, kernelSlots). */
export function parseBitstreamH(text: string, arch: CgraArch, file?: string): CgraImage {
  const im = cArray(text, 'cgra_imem_', file);
  const km = cArray(text, 'cgra_kmem_', file);
  if (im.values.length !== arch.rows * arch.contextLines) {
    throw new TinyforgeError(`cgra_imem_${im.name} has ${im.values.length} words; a ${arch.rows}-row array needs ${arch.rows * arch.contextLines} (${arch.rows} banks x ${arch.contextLines} lines)`,
      { file, line: im.line });
  }
  if (km.values.length !== arch.kernelSlots) {
    throw new TinyforgeError(`cgra_kmem_${km.name} has ${km.values.length} words, expected ${arch.kernelSlots}`, { file, line: km.line });
  }
  const image: CgraImage = { arch, imem: Uint32Array.from(im.values), kmem: Uint32Array.from(km.values), names: {} };
  kernelsOf(image, {
    ...(file !== undefined ? { file } : {}),
    imem: (i) => ({ line: im.lines[i], label: `cgra_imem_${im.name}[${i}]` }),
    kmem: (s) => ({ line: km.lines[s], label: `cgra_kmem_${km.name}[${s}]` }),
  });
  return image;
}

const hex = (v: number, w = 8): string => '0x' + (v >>> 0).toString(16).padStart(w, '0');

/** bitstream.h text for `image`, arrays named cgra_imem_<name> / cgra_kmem_<name>. */
export function formatBitstreamH(image: CgraImage, name: string): string {
  if (!/^\w+$/.test(name)) throw new TinyforgeError(`bitstream name '${name}' is not a C identifier suffix`);
  const { arch } = image;
  const guard = `TINYFORGE_CGRA_${name.toUpperCase()}_H`;
  const rows = (a: Uint32Array, per: number): string => {
    const out: string[] = [];
    for (let i = 0; i < a.length; i += per) out.push('  ' + Array.from(a.subarray(i, i + per), (v) => hex(v)).join(', '));
    return out.join(',\n');
  };
  const ks = kernelsOf(image).map((k) => `//   kernel ${k.id}${k.name ? ` (${k.name})` : ''}: ${k.cols} column(s), ${k.words.length} instructions per PE`);
  return [
    `// OpenEdgeCGRA bitstream for a ${arch.rows}x${arch.cols} array, written by tinyforge.`,
    `// cgra_imem_${name}: context memory, ${arch.rows} row banks x ${arch.contextLines} lines, bank-major (index = row * ${arch.contextLines} + line).`,
    `// cgra_kmem_${name}: kernel table (entry 0 reserved).`,
    ...ks,
    `#ifndef ${guard}`,
    `#define ${guard}`,
    '#include <stdint.h>',
    '#ifndef CGRA_IMEM_SIZE',
    `#define CGRA_IMEM_SIZE ${arch.rows * arch.contextLines}`,
    '#endif',
    '#ifndef CGRA_KMEM_SIZE',
    `#define CGRA_KMEM_SIZE ${arch.kernelSlots}`,
    '#endif',
    `const uint32_t cgra_imem_${name}[CGRA_IMEM_SIZE] = {\n${rows(image.imem, 8)}\n};`,
    `const uint32_t cgra_kmem_${name}[CGRA_KMEM_SIZE] = {\n${rows(image.kmem, 8)}\n};`,
    `#endif // ${guard}`,
    '',
  ].join('\n');
}

export const IMAGE_FORMAT = 'tinyforge-cgra-image';

export function imageToJson(image: CgraImage): string {
  const { arch } = image;
  const doc = {
    format: IMAGE_FORMAT,
    version: 1,
    arch: { rows: arch.rows, cols: arch.cols, contextLines: arch.contextLines, kernelSlots: arch.kernelSlots },
    kernels: kernelsOf(image).map((k) => ({ id: k.id, ...(k.name ? { name: k.name } : {}), cols: k.cols, instructions: k.words.length })),
    kmem: Array.from(image.kmem, (v) => hex(v, 4)),
    imem: Array.from(image.imem, (v) => hex(v)),
  };
  return JSON.stringify(doc, null, 1) + '\n';
}

export function imageFromJson(text: string, arch: CgraArch, file?: string): CgraImage {
  const doc: any = parseJsonText(text, file, 'CGRA image');
  if (doc?.format !== IMAGE_FORMAT) throw new TinyforgeError(`not a ${IMAGE_FORMAT} document (${doc?.format === undefined ? 'no "format" field' : `format = ${JSON.stringify(doc.format)}`})`, { file });
  const a = makeArch({ ...arch, ...(doc.arch ?? {}) });
  const nums = (v: unknown, n: number, what: string): Uint32Array => {
    if (!Array.isArray(v) || v.length !== n) throw new TinyforgeError(`${what} must be an array of ${n} words`, { file, ...locateJsonPath(text, [what]) });
    return Uint32Array.from(v, (x: unknown, i) => {
      try {
        return parseCNumber(String(x), { file }, `${what}[${i}]`);
      } catch (e) {
        throw e instanceof TinyforgeError ? new TinyforgeError(e.message, { ...e.where, ...locateJsonPath(text, [what, i]) }, e.hint) : e;
      }
    });
  };
  const names: Record<number, string> = {};
  for (const k of Array.isArray(doc.kernels) ? doc.kernels : []) if (k && typeof k.name === 'string') names[k.id] = k.name;
  const image: CgraImage = { arch: a, imem: nums(doc.imem, a.rows * a.contextLines, 'imem'), kmem: nums(doc.kmem, a.kernelSlots, 'kmem'), names };
  kernelsOf(image, {
    ...(file !== undefined ? { file } : {}),
    imem: (i) => ({ label: `imem[${i}]`, ...(locateJsonPath(text, ['imem', i]) ?? {}) }),
    kmem: (s) => ({ label: `kmem[${s}]`, ...(locateJsonPath(text, ['kmem', s]) ?? {}) }),
  });
  return image;
}

/** Reads a .json image or a bitstream.h (anything else). */
export function readImageFile(path: string, arch: CgraArch): CgraImage {
  const text = readInputText(path, 'bitstream');
  return path.endsWith('.json') ? imageFromJson(text, arch, path) : parseBitstreamH(text, arch, path);
}

/** Writes `.json` or bitstream.h (by extension), via a temporary file and a rename. */
export function writeImageFile(path: string, image: CgraImage, name = 'kernels'): void {
  const text = path.endsWith('.json') ? imageToJson(image) : formatBitstreamH(image, name);
  writeFileAtomic(path, text, 'bitstream');
}
