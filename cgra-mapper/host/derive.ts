// What the host CPU does around the array for one layer plan, as data the C emitter can turn into loops.
// A strategy's host steps are TypeScript closures (plan.stage: int8 input -> staged memory words;
// plan.gather: output regions -> int32 raw sums). Rather than restate every strategy's layout, this module
// *derives* both as index maps by probing the closures, and then checks the maps against the closures on
// random data, so a map is exact or the layer is refused:
//   stage: every staged word is a constant, four input bytes (b4: byte k = input[i_k] or a constant), or
//          a packed pair (p23: x1 + 2^23 x2, x1 and x2 input bytes or constants), found with labelled inputs
//          (each input position carries a unique digit tuple over five probes; constants do not change);
//   gather: every raw sum is the sum of decoded region words (decode: identity, or the FXPMUL pair decode
//          (sext31(T) + 255) >> 8), found by one-hot counting and labelling groups of region words.
// The maps are then compressed into runs (runs.ts) and emitted as C (emit-c.ts).
import type { LayerPlan } from '../plan.ts';
import { mulberry32 } from '../../compiler/rng.ts';

/** A source of one int8 value in a staged word: an input position, or a constant. */
export type Src = { pos: number } | { k: number };
export type StageWord =
  | { dst: number; form: 'const'; value: number }
  | { dst: number; form: 'b4'; bytes: [Src, Src, Src, Src] }
  | { dst: number; form: 'p23'; lo: Src; hi: Src };

export interface StageMap {
  /** Input bytes of the layer. */
  inputBytes: number;
  /** Staged words (dst = word index in the layer's memory), in dst order. */
  words: StageWord[];
}

export type Decode = 'int32' | 'fxp';
export interface GatherMap {
  decode: Decode;
  /** Word index (in the layer's memory) of every region word, in region order. */
  regionWordAddr: Int32Array;
  /** Per raw output j: the memory word indices whose decoded values sum to it (in ascending order). */
  terms: Int32Array[];
}

export class DeriveError extends Error {}

const BASE = 64;
const probeValue = (i: number, p: number): number => {
  const d0 = i % BASE, d1 = Math.floor(i / BASE) % BASE, d2 = Math.floor(i / (BASE * BASE)) % BASE;
  switch (p) {
    case 0: return d0 + 2;
    case 1: return d1 + 2;
    case 2: return d2 + 2;
    case 3: return ((d0 + 1) % BASE) + 2;
    default: return -(d0 + 2);
  }
};
const PROBES = 5;

/** The source an int8 value read in each probe stands for, or undefined when it is neither. */
function classify(v: number[], n: number): Src | undefined {
  if (v.every((x) => x === v[0])) return { k: v[0] };
  for (let p = 0; p < 4; p++) if (v[p] < 2 || v[p] >= BASE + 2) return undefined;
  if (v[3] !== ((v[0] - 2 + 1) % BASE) + 2 || v[4] !== -v[0]) return undefined;
  const pos = (v[0] - 2) + BASE * (v[1] - 2) + BASE * BASE * (v[2] - 2);
  return pos < n ? { pos } : undefined;
}

const sext8 = (x: number): number => (x << 24) >> 24;
const sext23 = (x: number): number => (x << 9) >> 9;

export function srcValue(s: Src, input: Int8Array): number { return 'pos' in s ? input[s.pos] : s.k; }

/** The value of a staged word for an input (what the C computes). */
export function stageWordValue(w: StageWord, input: Int8Array): number {
  if (w.form === 'const') return w.value | 0;
  if (w.form === 'p23') return (srcValue(w.lo, input) + srcValue(w.hi, input) * (1 << 23)) | 0;
  let v = 0;
  for (let b = 0; b < 4; b++) v |= (srcValue(w.bytes[b], input) & 255) << (8 * b);
  return v | 0;
}

/** Staged memory (word index -> value) of a plan for one input. */
function stagedWords(plan: LayerPlan, input: Int8Array): Map<number, number> {
  const m = new Map<number, number>();
  for (const b of plan.stage(input)) for (let i = 0; i < b.words.length; i++) m.set(b.addr / 4 + i, b.words[i] | 0);
  return m;
}

export function deriveStage(plan: LayerPlan, inputBytes: number): StageMap {
  if (inputBytes > BASE ** 3) throw new DeriveError(`input of ${inputBytes} bytes: more than the probes label`);
  const probes: Map<number, number>[] = [];
  for (let p = 0; p < PROBES; p++) {
    const x = new Int8Array(inputBytes);
    for (let i = 0; i < inputBytes; i++) x[i] = probeValue(i, p);
    probes.push(stagedWords(plan, x));
  }
  const words: StageWord[] = [];
  for (const dst of [...probes[0].keys()].sort((a, b) => a - b)) {
    const v = probes.map((m) => m.get(dst)!);
    if (v.every((x) => x === v[0])) { words.push({ dst, form: 'const', value: v[0] }); continue; }
    const lo = classify(v.map(sext23), inputBytes);
    const hiV = v.map((x) => (x - sext23(x)) / (1 << 23));
    const hi = hiV.every((x) => x >= -128 && x <= 127) ? classify(hiV, inputBytes) : undefined;
    if (lo && hi) { words.push({ dst, form: 'p23', lo, hi }); continue; }
    const bytes = [0, 1, 2, 3].map((b) => classify(v.map((x) => sext8(x >> (8 * b))), inputBytes));
    if (bytes.every((s) => s !== undefined)) { words.push({ dst, form: 'b4', bytes: bytes as [Src, Src, Src, Src] }); continue; }
    throw new DeriveError(`${plan.strategy}: staged word ${dst} is neither bytes nor a packed pair of the input`);
  }
  const map: StageMap = { inputBytes, words };
  // The map must reproduce the closure exactly.
  const rnd = mulberry32(0x5eed + inputBytes);
  for (let t = 0; t < 2; t++) {
    const x = new Int8Array(inputBytes);
    for (let i = 0; i < inputBytes; i++) x[i] = Math.floor(rnd() * 256) - 128;
    if (t === 1) x.fill(-128, 0, Math.min(inputBytes, 7));
    const want = stagedWords(plan, x);
    for (const w of words) {
      if (stageWordValue(w, x) !== want.get(w.dst)) throw new DeriveError(`${plan.strategy}: derived stage map differs at word ${w.dst}`);
    }
  }
  return map;
}

export const decodeFxp = (t: number): number => (((t << 1) >> 1) + 255) >> 8;

export function deriveGather(plan: LayerPlan): GatherMap {
  const sizes = plan.outRegions.map((r) => r.words);
  const total = sizes.reduce((a, b) => a + b, 0);
  const addr = new Int32Array(total);
  let at = 0;
  plan.outRegions.forEach((r) => { for (let i = 0; i < r.words; i++) addr[at++] = r.addr / 4 + i; });
  const run = (fill: (k: number) => number, ks?: Iterable<number>): Int32Array => {
    const flat = new Int32Array(total);
    if (ks) for (const k of ks) flat[k] = fill(k);
    const regions: Int32Array[] = [];
    let o = 0;
    for (const s of sizes) { regions.push(flat.subarray(o, o + s)); o += s; }
    return plan.gather(regions);
  };
  const zero = run(() => 0);
  if (zero.some((x) => x !== 0)) throw new DeriveError(`${plan.strategy}: gather of zero regions is not zero`);
  const outs = zero.length;
  // Decode form: one word set to 256 reads back 1 (FXPMUL pair decode) or 256 (plain int32).
  let decode: Decode | undefined;
  for (let k = 0; k < total && !decode; k++) {
    const r = run(() => 256, [k]);
    const nz = r.find((x) => x !== 0);
    if (nz === 1) decode = 'fxp';
    else if (nz === 256) decode = 'int32';
    else if (nz !== undefined) throw new DeriveError(`${plan.strategy}: gather is neither a plain nor a pair-decoded sum`);
  }
  if (!decode) throw new DeriveError(`${plan.strategy}: gather reads no region word`);
  const unit = (v: number): number => (decode === 'fxp' ? v * 256 : v);
  const terms: number[][] = Array.from({ length: outs }, () => []);
  const groups: number[][] = [];
  at = 0;
  for (const s of sizes) { groups.push(Array.from({ length: s }, (_, i) => at + i)); at += s; }
  while (groups.length) {
    const g = groups.pop()!;
    if (g.length === 0) continue;
    const cnt = run(() => unit(1), g);
    if (cnt.every((c) => c === 0)) continue;
    if (cnt.some((c) => c > 1 || c < 0)) {
      if (g.length === 1) throw new DeriveError(`${plan.strategy}: a region word counts more than once`);
      groups.push(g.slice(0, g.length >> 1), g.slice(g.length >> 1));
      continue;
    }
    const label = new Map(g.map((k, i) => [k, i + 1]));
    const lab = run((k) => unit(label.get(k)!), g);
    for (let j = 0; j < outs; j++) {
      if (cnt[j] === 0) continue;
      const k = g[lab[j] - 1];
      if (k === undefined) throw new DeriveError(`${plan.strategy}: gather label out of range`);
      terms[j].push(k);
    }
  }
  const map: GatherMap = { decode, regionWordAddr: addr, terms: terms.map((t) => Int32Array.from(t.sort((a, b) => a - b), (k) => addr[k])) };
  // Check on random regions.
  const rnd = mulberry32(0x9a7 + total);
  const flatMem = new Map<number, number>();
  const flat = new Int32Array(total);
  for (let k = 0; k < total; k++) { const r = Math.floor(rnd() * 2 ** 32) | 0; flat[k] = decode === 'fxp' ? (r & 0x3fffffff) - 0x20000000 : r; flatMem.set(addr[k], flat[k]); }
  const want = run((k) => flat[k], Array.from({ length: total }, (_, k) => k));
  const dec = decode === 'fxp' ? decodeFxp : (t: number) => t;
  for (let j = 0; j < outs; j++) {
    let s = 0;
    for (const a of map.terms[j]) s = (s + dec(flatMem.get(a)!)) | 0;
    if (s !== want[j]) throw new DeriveError(`${plan.strategy}: derived gather map differs at output ${j}`);
  }
  return map;
}
