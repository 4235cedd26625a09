// launch.json: what `tinyforge cgra sim` runs over a bitstream. Byte addresses, 32-bit signed words:
//   {"memoryBytes": 65536,                                 optional (default: 64 KiB or what the file touches)
//    "memory":   [{"addr": A, "words": [..]}],             initial data memory
//    "launches": [{"kernel": K, "ptrIn": [..], "ptrOut": [..]}],   one pointer per array column
//    "dump":     [{"addr": A, "words": N}]}                words to print after the last launch
// `parseLaunchFile` validates it and says which field is wrong and what would be valid; `runLaunchFile`
// executes it on a CgraSim.
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import type { CgraArch } from '../arch.ts';
import type { CgraImage } from '../isa/image.ts';
import { CgraSim, type LaunchStats, type SimOptions } from './sim.ts';

export interface LaunchFile {
  memoryBytes?: number;
  memory: { addr: number; words: number[] }[];
  launches: { kernel: number; ptrIn: number[]; ptrOut: number[] }[];
  dump: { addr: number; words: number }[];
}

export function parseLaunchFile(text: string, arch: CgraArch, file?: string): LaunchFile {
  let doc: any;
  try { doc = JSON.parse(text); } catch (e) { throw new TinyforgeError(`not JSON: ${(e as Error).message.replace(/\s*\n\s*/g, ' ')}`, { file }); }
  const bad = (path: string, what: string): TinyforgeError => new TinyforgeError(`${path} ${what}`, { file });
  const isAddr = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 2 ** 31;
  const isWord = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 32;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('launch file', 'must be a JSON object with "launches"');
  for (const key of Object.keys(doc)) {
    if (!['memoryBytes', 'memory', 'launches', 'dump'].includes(key)) throw bad(`"${key}"`, 'is not a launch-file field (memoryBytes, memory, launches, dump)');
  }
  const out: LaunchFile = { memory: [], launches: [], dump: [] };
  if (doc.memoryBytes !== undefined) {
    if (!isAddr(doc.memoryBytes) || doc.memoryBytes % 4 !== 0 || doc.memoryBytes === 0) throw bad('memoryBytes', 'must be a positive multiple of 4');
    out.memoryBytes = doc.memoryBytes;
  }
  const arr = (v: unknown, path: string): unknown[] => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw bad(path, 'must be an array');
    return v;
  };
  arr(doc.memory, 'memory').forEach((m: any, i) => {
    const p = `memory[${i}]`;
    if (!isAddr(m?.addr) || m.addr % 4 !== 0) throw bad(`${p}.addr`, 'must be a word-aligned byte address (a non-negative multiple of 4)');
    if (!Array.isArray(m.words) || !m.words.every(isWord)) throw bad(`${p}.words`, 'must be an array of 32-bit integers');
    out.memory.push({ addr: m.addr, words: m.words.map((w: number) => w | 0) });
  });
  const launches = arr(doc.launches, 'launches');
  if (launches.length === 0) throw bad('launches', 'must list at least one {"kernel", "ptrIn", "ptrOut"}');
  launches.forEach((l: any, i) => {
    const p = `launches[${i}]`;
    if (!Number.isInteger(l?.kernel) || l.kernel < 1 || l.kernel >= arch.kernelSlots) throw bad(`${p}.kernel`, `must be a kernel slot 1..${arch.kernelSlots - 1}`);
    for (const k of ['ptrIn', 'ptrOut'] as const) {
      const v = l[k] ?? [];
      if (!Array.isArray(v) || v.length > arch.cols || !v.every(isAddr)) throw bad(`${p}.${k}`, `must be an array of at most ${arch.cols} byte addresses (one per column)`);
    }
    out.launches.push({ kernel: l.kernel, ptrIn: l.ptrIn ?? [], ptrOut: l.ptrOut ?? [] });
  });
  arr(doc.dump, 'dump').forEach((d: any, i) => {
    const p = `dump[${i}]`;
    if (!isAddr(d?.addr) || d.addr % 4 !== 0) throw bad(`${p}.addr`, 'must be a word-aligned byte address');
    if (!Number.isInteger(d.words) || d.words < 1) throw bad(`${p}.words`, 'must be the number of words to dump (>= 1)');
    out.dump.push({ addr: d.addr, words: d.words });
  });
  return out;
}

/** Memory size: the file's, else 64 KiB or enough for every initialised / dumped word, rounded to 4 KiB. */
export function memoryBytesFor(lf: LaunchFile): number {
  if (lf.memoryBytes) return lf.memoryBytes;
  let top = 65536;
  for (const m of lf.memory) top = Math.max(top, m.addr + 4 * m.words.length);
  for (const d of lf.dump) top = Math.max(top, d.addr + 4 * d.words);
  return Math.ceil(top / 4096) * 4096;
}

export interface LaunchFileResult { launches: LaunchStats[]; dump: { addr: number; words: number[] }[]; memoryBytes: number }

export function runLaunchFile(arch: CgraArch, image: CgraImage, lf: LaunchFile, opts: SimOptions, file?: string): LaunchFileResult {
  const memoryBytes = memoryBytesFor(lf);
  const sim = new CgraSim(arch, image, memoryBytes, opts);
  for (const m of lf.memory) sim.writeWords(m.addr, m.words);
  const launches = lf.launches.map((l, i) => {
    try {
      return sim.launch(l.kernel, l.ptrIn, l.ptrOut);
    } catch (e) {
      // Name the launch (and the launch file, when known) in the one-line error.
      if (!(e instanceof TinyforgeError) || e.where.file) throw e;
      throw new TinyforgeError(`launches[${i}]: ${e.message}`, { ...e.where, ...(file ? { file } : {}) }, e.hint);
    }
  });
  return { launches, dump: lf.dump.map((d) => ({ addr: d.addr, words: sim.readWords(d.addr, d.words) })), memoryBytes };
}
