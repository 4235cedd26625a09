// Kernels, kernel-table words and context-memory images (docs/openedgecgra.md §6).
// A Kernel is the per-PE code of one kernel: words[t][r][c] for step t, row r, column c (c < kernel.cols).
// A CgraImage is what the hardware holds: one bank per row of `contextLines` 32-bit lines (bank-major,
// word index = row * contextLines + line) and the kernel table. Kernel K with start line S, n steps and c
// columns puts step t of PE(r, j) at line S + j*n + t of bank r; its table word is
//   [column mask 2^c - 1][start line (log2 lines bits)][n - 1 (5 bits)]   e.g. 0xF014 on a 4x4 array.
//
// API: `kernelTableWord(arch, k)`, `decodeKernelTableWord(arch, w)`, `buildImage(arch, kernels)`,
//      `kernelsOf(image)` (validated), `validateKernel(arch, kernel)`, `kernelError(...)`.
import { TinyforgeError, type Where } from '../../compiler/diagnostics.ts';
import { startLineBits, type CgraArch } from '../arch.ts';
import { checkWord } from './encoding.ts';
import { formatInstr } from './instr-text.ts';

export interface Kernel {
  /** Kernel-table slot, 1..kernelSlots-1. */
  id: number;
  name?: string;
  /** Columns used (0..cols-1). */
  cols: number;
  /** words[t][r][c]: step t of PE(row r, column c). */
  words: number[][][];
}

export interface CgraImage {
  arch: CgraArch;
  /** rows * contextLines words, bank-major. */
  imem: Uint32Array;
  /** kernelSlots words. */
  kmem: Uint32Array;
  /** Optional kernel names by id (JSON and assembly keep them; bitstream.h does not). */
  names: Record<number, string>;
}

export interface KernelEntry { cols: number; start: number; n: number }

export const stepsOf = (k: Kernel): number => k.words.length;

/** The fewest instructions per column the RTL's context loader configures correctly (docs/openedgecgra.md §10:
 *  with 1 or 2 it stops requesting words one request early; a 1-column kernel hangs, on 2-4 columns the words
 *  shift between columns). The assembler, the image builder and the readers refuse shorter kernels. */
export const MIN_KERNEL_STEPS = 3;

/**
 * Where the words of an image were read from, for errors naming the file, line and word: a reader
 * (bitstream.ts) gives its file and, per context-memory index and kernel-table slot, the source line (when
 * the format has lines) and a label such as `cgra_imem_x[37]` or `imem[37]`.
 */
export interface ImageSource {
  file?: string;
  imem?(index: number): { line?: number; label: string };
  kmem?(slot: number): { line?: number; label: string };
}

/** `e` with its word located: `<label>: <message>` at the source's file and line. */
function located(e: TinyforgeError, src: ImageSource | undefined, loc: { line?: number; label: string } | undefined): TinyforgeError {
  if (!src) return e;
  const where: Where = { ...e.where, ...(src.file !== undefined ? { file: src.file } : {}), ...(loc?.line !== undefined ? { line: loc.line } : {}) };
  return new TinyforgeError(loc ? `${loc.label}: ${e.message}` : e.message, where, e.hint, e.exitCode);
}

/** An error about one kernel instruction: names kernel, PE, step and (if known) the instruction text. */
export function kernelError(k: { id: number; name?: string }, r: number, c: number, t: number, rule: string, where: Where = {}, word?: number): TinyforgeError {
  const ins = word !== undefined ? ` '${formatInstr(word)}'` : '';
  return new TinyforgeError(`kernel ${k.id}${k.name ? ` (${k.name})` : ''}: PE(row ${r}, col ${c}) step ${t}${ins}: ${rule}`, where);
}

export function kernelTableWord(arch: CgraArch, e: KernelEntry): number {
  const sb = startLineBits(arch);
  return (((((1 << e.cols) - 1) << (sb + 5)) | (e.start << 5) | (e.n - 1)) >>> 0);
}

/** The entry of a kernel-table word, or undefined for an empty (0) entry. Throws on a malformed word. */
export function decodeKernelTableWord(arch: CgraArch, w: number, slot: number): KernelEntry | undefined {
  if (w === 0) return undefined;
  const sb = startLineBits(arch);
  const mask = w >>> (sb + 5);
  const start = (w >>> 5) & ((1 << sb) - 1);
  const n = (w & 31) + 1;
  const cols = Math.log2(mask + 1);
  if (!Number.isInteger(cols) || cols < 1 || cols > arch.cols) {
    throw new TinyforgeError(`kernel table entry ${slot} = 0x${w.toString(16)}: column mask 0x${mask.toString(16)} is not 2^c - 1 for 1 <= c <= ${arch.cols}`,
      {}, 'kernels use columns 0..c-1 of the array');
  }
  if (start + cols * n > arch.contextLines) {
    throw new TinyforgeError(`kernel table entry ${slot} = 0x${w.toString(16)}: lines ${start}..${start + cols * n - 1} exceed the ${arch.contextLines}-line context memory`);
  }
  return { cols, start, n };
}

/**
 * Checks a kernel's shape and every word (slot, columns, step count, opcodes, branch targets); `at` locates
 * a bad word (step t, row r, column c) in its source file.
 */
export function validateKernel(arch: CgraArch, k: Kernel, where: Where = {}, at?: (t: number, r: number, c: number) => { where: Where; label?: string }): void {
  const tag = `kernel ${k.id}${k.name ? ` (${k.name})` : ''}`;
  if (!Number.isInteger(k.id) || k.id < 1 || k.id >= arch.kernelSlots) {
    throw new TinyforgeError(`${tag}: kernel slot ${k.id} is not usable (valid: 1..${arch.kernelSlots - 1}; slot 0 is reserved)`, where);
  }
  if (!Number.isInteger(k.cols) || k.cols < 1 || k.cols > arch.cols) {
    throw new TinyforgeError(`${tag}: ${k.cols} columns (valid: 1..${arch.cols})`, where);
  }
  const n = k.words.length;
  if (n < 1) throw new TinyforgeError(`${tag}: no instructions`, where);
  if (n < MIN_KERNEL_STEPS) {
    throw new TinyforgeError(`${tag}: ${n} instruction${n === 1 ? '' : 's'} per PE; the RTL's context loader configures a kernel only from ${MIN_KERNEL_STEPS} instructions per column `
      + `(it stops requesting words one request early: ${k.cols === 1 ? 'on one column the kernel hangs' : `on ${k.cols} columns the words shift between columns`})`, where,
      `pad the kernel to ${MIN_KERNEL_STEPS} steps with NOP steps before its EXIT`);
  }
  if (n > arch.instrSlots) {
    throw new TinyforgeError(`${tag}: ${n} instructions per PE; a kernel has at most ${arch.instrSlots} (the PC has 5 bits)`, where,
      'split the kernel or loop with a branch');
  }
  for (let t = 0; t < n; t++) {
    if (k.words[t].length !== arch.rows) throw new TinyforgeError(`${tag}: step ${t} has ${k.words[t].length} rows, the array ${arch.rows}`, where);
    for (let r = 0; r < arch.rows; r++) {
      if (k.words[t][r].length !== k.cols) throw new TinyforgeError(`${tag}: step ${t} row ${r} has ${k.words[t][r].length} cells, the kernel ${k.cols} columns`, where);
      for (let c = 0; c < k.cols; c++) {
        const w = k.words[t][r][c];
        const bad = checkWord(w, n);
        if (bad) {
          const loc = at?.(t, r, c);
          const e = kernelError(k, r, c, t, bad, { ...where, ...loc?.where }, w);
          throw loc?.label ? new TinyforgeError(`${loc.label}: ${e.message}`, e.where, e.hint) : e;
        }
      }
    }
  }
}

/** Packs kernels one after another into a fresh image (kernel order = line order). */
export function buildImage(arch: CgraArch, kernels: Kernel[]): CgraImage {
  const imem = new Uint32Array(arch.rows * arch.contextLines);
  const kmem = new Uint32Array(arch.kernelSlots);
  const names: Record<number, string> = {};
  let line = 0;
  for (const k of kernels) {
    validateKernel(arch, k);
    if (kmem[k.id] !== 0) throw new TinyforgeError(`kernel slot ${k.id} is used twice`);
    const n = k.words.length;
    if (line + k.cols * n > arch.contextLines) {
      throw new TinyforgeError(`kernel ${k.id}: needs lines ${line}..${line + k.cols * n - 1}, the context memory has ${arch.contextLines} per row`,
        {}, 'fewer or shorter kernels per image');
    }
    if (line >= 1 << startLineBits(arch)) throw new TinyforgeError(`kernel ${k.id}: start line ${line} does not fit the kernel table`);
    for (let r = 0; r < arch.rows; r++) {
      for (let c = 0; c < k.cols; c++) {
        for (let t = 0; t < n; t++) imem[r * arch.contextLines + line + c * n + t] = k.words[t][r][c] >>> 0;
      }
    }
    kmem[k.id] = kernelTableWord(arch, { cols: k.cols, start: line, n });
    if (k.name) names[k.id] = k.name;
    line += k.cols * n;
  }
  return { arch, imem, kmem, names };
}

/** The kernel resident in slot `id` (validated), read back out of the image's context memory; `src` locates bad words. */
export function kernelOf(image: CgraImage, id: number, src?: ImageSource): Kernel {
  const { arch } = image;
  if (!Number.isInteger(id) || id < 1 || id >= arch.kernelSlots) {
    throw new TinyforgeError(`kernel slot ${id} is not usable (valid: 1..${arch.kernelSlots - 1}; slot 0 is reserved)`);
  }
  let e: KernelEntry | undefined;
  try {
    e = decodeKernelTableWord(arch, image.kmem[id], id);
  } catch (err) {
    throw err instanceof TinyforgeError ? located(err, src, src?.kmem?.(id)) : err;
  }
  if (!e) throw new TinyforgeError(`kernel ${id} is not in the image (kernel table entry ${id} is 0)`);
  const words: number[][][] = [];
  for (let t = 0; t < e.n; t++) {
    words.push([]);
    for (let r = 0; r < arch.rows; r++) {
      const row: number[] = [];
      for (let c = 0; c < e.cols; c++) row.push(image.imem[r * arch.contextLines + e.start + c * e.n + t]);
      words[t].push(row);
    }
  }
  const k: Kernel = { id, cols: e.cols, words, ...(image.names[id] ? { name: image.names[id] } : {}) };
  const entry = e;
  validateKernel(arch, k, src?.file !== undefined ? { file: src.file } : {}, src && ((t, r, c) => {
    const loc = src.imem?.(r * arch.contextLines + entry.start + c * entry.n + t);
    return { where: { ...(src.file !== undefined ? { file: src.file } : {}), ...(loc?.line !== undefined ? { line: loc.line } : {}) }, ...(loc ? { label: loc.label } : {}) };
  }));
  return k;
}

/** Every kernel of an image, by slot (validated; `src` locates a bad word in its file). Slot 0 must be empty. */
export function kernelsOf(image: CgraImage, src?: ImageSource): Kernel[] {
  if (image.kmem[0] !== 0) {
    throw located(new TinyforgeError(`kernel table entry 0 = 0x${image.kmem[0].toString(16)}: slot 0 is reserved and must be 0`), src, src?.kmem?.(0));
  }
  const out: Kernel[] = [];
  for (let id = 1; id < image.arch.kernelSlots; id++) if (image.kmem[id] !== 0) out.push(kernelOf(image, id, src));
  return out;
}
