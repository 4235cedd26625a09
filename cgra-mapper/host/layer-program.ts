// One array layer's host program, as data: the plan's memory image (constants written once at start-up),
// the pre-step (packed-pair images of the input, then loop nests writing the staged words), the launches
// and the post-step (loop nests decoding region words, adding the folded bias and requantising straight
// into the int8 output, the fast one-MULH requantisation of requant.ts). The C text is emit-c.ts's; the
// host cost model (cost.ts) prices the same nests.
import { clamp, multiplyByQuantizedMultiplier, type Arith } from '../../compiler/quant/multiplier.ts';
import { foldedBias, type CgraLayer } from '../layer.ts';
import type { LayerPlan } from '../plan.ts';
import { decode } from '../isa/encoding.ts';
import { OP } from '../isa/tables.ts';
import { deriveGather, deriveStage, DeriveError, type GatherMap, type Src, type StageMap, type StageWord } from './derive.ts';
import { fastLimit, fastRequant, mul32Prefix, mul32Requant, type FastRequant, type Mul32Requant } from './requant.ts';
import { nest, type Item, type Nest } from './runs.ts';

/** A packed-pair image: img[i] = x[lo0 + i g] + 2^23 x[lo0 + i g + delta], i < n. */
export interface PairImage { id: number; lo0: number; g: number; delta: number; n: number }

/**
 * `bound`: the largest |biased sum| the channel can produce (128 sum |w| + |bias|); `bias` the folded bias;
 * `accMin`, `accMax`: the biased sums it can reach (int8 inputs: bias - 128 P - 127 N .. bias + 127 P + 128 N,
 * P and N the sums of its positive and negative weights' magnitudes).
 */
export interface PostChannel { kb: number; fast?: FastRequant; multiplier: number; shift: number; bound: number; bias: number; accMin: number; accMax: number }

export interface LayerProgram {
  plan: LayerPlan;
  layer: CgraLayer;
  arith: Arith;
  memWords: number;
  /** Context-memory lines per row bank the layer's kernels occupy (the host loads only these). */
  contextLines: number;
  /** Words written once at start-up: [word index, values] runs (constant blocks, constant staged words). */
  init: Array<[number, Int32Array]>;
  images: PairImage[];
  /** Per stage group, per image: the entries [from, to) that group builds (each group builds what its copies read next). */
  imageParts: Array<Array<[number, number]>>;
  /** Stage nests, all launches. Keys: `img:<id>` [dst, i]; `w4` [dst, byte] (an aligned input word); `byte` [dst byte, input byte]; `p23:<lo>:<hi>` with 'p' or a constant. */
  stage: Nest[];
  /**
   * The stage nests per launch: group l writes the words launch l is the first to read (plan.stageReads), so
   * the host writes group l + 1 while launch l runs; each group first builds the pair-image entries its copies
   * read that earlier groups did not (imageParts). Without stageReads,
   * one group. A group's words are spread over the windows since the previous launch needing new words
   * (slots), so the host's work per window stays even. `readerOf(word)`: the group (slot) of a staged word,
   * written before that launch starts (constant words: 0).
   */
  stageGroups: Nest[][];
  readerOf: (word: number) => number;
  decode: 'int32' | 'fxp';
  /** Terms per output (1: fused decode + bias + requant; more: an int32 accumulator first). */
  terms: number;
  /**
   * Post nests per launch (the words that launch wrote), so the host can post-process launch l while the
   * array runs launch l + 1. Keys: `f` (fused), `a0` (acc = term), `a` (acc += term), `fa` (fused with the
   * accumulator); vec [j, word].
   */
  post: Nest[][];
  channels: PostChannel[];
  /** Fold the bias into the fxp decode constant (kb = 510 + bias * 512) instead of adding it. */
  biasInDecode: boolean;
  /** All channels take the fast requantisation. */
  fast: boolean;
  staged: StageMap;
  gathered: GatherMap;
}

/**
 * Launches up to which the emitted C has one stage and one post function per launch (emit-c.ts), so the host
 * post-processes launch l and stages launch l + 2 while the array runs launch l + 1; beyond it one post at the end.
 */
export const MAX_LAUNCH_FNS = 256;
/** Whether the C has a stage function for group g: group 0 always (launch 0's words), others when they write a word or an image row. */
export function stagesGroup(prog: LayerProgram, g: number): boolean {
  return g === 0 || (prog.stageGroups[g]?.length ?? 0) > 0 || (prog.imageParts[g] ?? []).some(([a, b]) => b > a);
}

/**
 * Whether the C writes launch l + 2's column pointers ahead (tf_cgra_prime after the window's post-step and
 * stage group, only KERNEL_ID after the wait; emit-c.ts, priced by cost.ts): with a post-step per launch, from
 * 3 launches on, or from 2 when a stage group 1 runs before launch 1's pointers (`primed1`: launch 1 primed too).
 */
export function primesAhead(prog: LayerProgram): { ahead: boolean; primed1: boolean } {
  const nl = prog.plan.launches.length;
  const perLaunch = nl <= MAX_LAUNCH_FNS;
  const primed1 = perLaunch && nl > 1 && stagesGroup(prog, 1);
  return { ahead: primed1 || (perLaunch && nl > 2), primed1 };
}

/** Host cycles per output word of a post-step, for spreading stage words over windows of unequal room (measured ~22-27 on CV32E40P). */
const POST_WORD_CYCLES = 24;

const srcKey = (s: Src): string => ('pos' in s ? 'p' : String(s.k));
const srcVec = (s: Src): number[] => ('pos' in s ? [s.pos] : []);

/** The exact int8 output of biased sum `a` on channel `c` (TFLite's arithmetic, compiler/quant/multiplier.ts, clamped). */
export function exactOutput(prog: LayerProgram, c: PostChannel, a: number): number {
  const q = prog.layer.q;
  const arith: Arith = prog.arith === 'tflm' || q.rounding !== 'single' ? 'tflm' : 'tflite';
  return clamp(multiplyByQuantizedMultiplier(a, { multiplier: c.multiplier, shift: c.shift }, arith) + q.outputOffset, q.actMin, q.actMax);
}

/**
 * Per channel, the one-MUL requantisation (requant.ts mul32Requant) over the channel's reachable biased sums,
 * or undefined where its slope needs more than a 32-bit product. Computed for the emitted C only (a few ms per channel).
 */
export function mul32Forms(prog: LayerProgram, prefix = false): Array<Mul32Requant | undefined> {
  const q = prog.layer.q;
  return prog.channels.map((c) => (prefix ? mul32Prefix : mul32Requant)((a) => exactOutput(prog, c, a), c.accMin, c.accMax, q.actMin, q.actMax));
}

/** Refuses plans the host program cannot drive (absolute addresses in the kernels cannot be relocated). */
export function hostRefusal(plan: LayerPlan): string | undefined {
  for (const k of plan.kernels) for (const step of k.words) for (const row of step) for (const w of row) {
    const op = decode(w).op;
    if (op === OP.LWI || op === OP.SWI) return `${plan.strategy}: its kernel uses LWI/SWI (absolute addresses)`;
  }
  return undefined;
}

export function layerProgram(plan: LayerPlan, arith: Arith): LayerProgram {
  const why = hostRefusal(plan);
  if (why) throw new DeriveError(why);
  const L = plan.layer;
  const inputBytes = L.inH * L.inW * L.inC;
  const staged = deriveStage(plan, inputBytes);
  const gathered = deriveGather(plan);
  const memWords = plan.memoryBytes / 4;

  // Start-up image: constant blocks and the staged words that never change.
  const initWords = new Map<number, number>();
  for (const b of plan.constBlocks) for (let i = 0; i < b.words.length; i++) initWords.set(b.addr / 4 + i, b.words[i] | 0);
  for (const w of staged.words) if (w.form === 'const') initWords.set(w.dst, w.value | 0);
  // A byte-gathered word keeps its constant bytes (padding holds the zero point) from start-up; only its
  // input bytes are written per inference.
  const byteWise = (w: StageWord): boolean => w.form === 'b4' && !(w.bytes.every((b, i) => 'pos' in b && 'pos' in w.bytes[0] && b.pos === w.bytes[0].pos + i) && (w.bytes[0] as { pos: number }).pos % 4 === 0);
  for (const w of staged.words) {
    if (w.form !== 'b4' || !byteWise(w)) continue;
    let v = 0;
    w.bytes.forEach((b, i) => { if ('k' in b) v |= (b.k & 255) << (8 * i); });
    if (v !== 0) initWords.set(w.dst, v | 0);
  }
  const init: Array<[number, Int32Array]> = [];
  const keys = [...initWords.keys()].sort((a, b) => a - b);
  for (let i = 0; i < keys.length;) {
    let j = i;
    while (j + 1 < keys.length && keys[j + 1] === keys[j] + 1) j++;
    if (keys.slice(i, j + 1).some((k) => initWords.get(k) !== 0)) init.push([keys[i], Int32Array.from(keys.slice(i, j + 1), (k) => initWords.get(k)!)]);
    i = j + 1;
  }

  // Pair images: worth building when the pairs of one offset are reused (im2col copies each pair ~kH kW times).
  const pairUses = new Map<number, number[]>();
  for (const w of staged.words) if (w.form === 'p23' && 'pos' in w.lo && 'pos' in w.hi) {
    const d = w.hi.pos - w.lo.pos;
    (pairUses.get(d) ?? pairUses.set(d, []).get(d)!).push(w.lo.pos);
  }
  const images: PairImage[] = [];
  for (const [delta, los] of pairUses) {
    let lo0 = Infinity, hi = -Infinity;
    for (const l of los) { if (l < lo0) lo0 = l; if (l > hi) hi = l; }
    let g = 0;
    const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
    for (const l of los) g = gcd(g, l - lo0);
    g = g || 1;
    const n = (hi - lo0) / g + 1;
    if (los.length >= 1.5 * n) images.push({ id: images.length, lo0, g, delta, n });
  }
  const imageOf = new Map(images.map((im) => [im.delta, im]));
  // The first launch reading each staged word (plan.stageReads), else 0.
  const reader = new Map<number, number>();
  // Staged per launch only where the emitted C has one function per launch (emit-c.ts: MAX_LAUNCH_FNS).
  const grouped = plan.stageReads !== undefined && plan.launches.length <= MAX_LAUNCH_FNS;
  if (grouped) plan.stageReads!.forEach((ranges, l) => {
    for (const [addr, bytes] of ranges) for (let w = addr >> 2; w < (addr + bytes + 3) >> 2; w++) if (!reader.has(w)) reader.set(w, l);
  });
  const groupsN = grouped ? plan.launches.length : 1;
  // Slots: a word launch r reads first is written before launch r starts, spread (in word order) over the
  // windows since the previous launch that needs new words (r1): slots r1 + 1 .. r, slot s being written
  // while launch s - 1 runs. Launch 0's words: slot 0, before the first launch. Evenly, unless the plan's
  // launches differ in length (plan.launchCycles): then in proportion to each window's room, launch s - 1's
  // array cycles less the post-step of launch s - 2 (POST_WORD_CYCLES per output word), at least a tenth.
  const firstReads = new Map<number, number[]>();
  for (const w of staged.words) if (w.form !== 'const') {
    const r = Math.min(reader.get(w.dst) ?? 0, groupsN - 1);
    (firstReads.get(r) ?? firstReads.set(r, []).get(r)!).push(w.dst);
  }
  const A = grouped && plan.launchCycles?.length === groupsN ? plan.launchCycles : undefined;
  const room = (s: number): number => {
    const a = A![s - 1], post = s >= 2 ? POST_WORD_CYCLES * (plan.outRegions[s - 2]?.words ?? 0) : 0;
    return Math.max(0.1 * a, a - post);
  };
  const slot = new Map<number, number>();
  let r1 = 0;
  for (const r of [...firstReads.keys()].sort((a, b) => a - b)) {
    const ws = firstReads.get(r)!;
    if (r === 0) ws.forEach((w) => slot.set(w, 0));
    else if (!A) ws.forEach((w, i) => slot.set(w, r1 + 1 + Math.floor((i * (r - r1)) / ws.length)));
    else {
      const rooms = Array.from({ length: r - r1 }, (_, i) => room(r1 + 1 + i));
      const total = rooms.reduce((a, b) => a + b, 0);
      let s = 0, acc = rooms[0];
      ws.forEach((w, i) => {
        while (s + 1 < rooms.length && (i + 0.5) / ws.length > acc / total) acc += rooms[++s];
        slot.set(w, r1 + 1 + s);
      });
    }
    r1 = r;
  }
  const readerOf = (word: number): number => slot.get(word) ?? 0;
  const itemsOf: Item[][] = Array.from({ length: groupsN }, () => []);
  const byteItemsOf: Item[][] = Array.from({ length: groupsN }, () => []);
  for (const w of staged.words) {
    if (w.form === 'const') continue;
    const g = Math.min(readerOf(w.dst), groupsN - 1);
    const items = itemsOf[g], byteItems = byteItemsOf[g];
    if (w.form === 'p23') {
      const im = 'pos' in w.lo && 'pos' in w.hi ? imageOf.get(w.hi.pos - w.lo.pos) : undefined;
      if (im && 'pos' in w.lo) items.push({ pos: w.dst, key: `img:${im.id}`, vec: [w.dst, (w.lo.pos - im.lo0) / im.g] });
      else items.push({ pos: w.dst, key: `p23:${srcKey(w.lo)}:${srcKey(w.hi)}`, vec: [w.dst, ...srcVec(w.lo), ...srcVec(w.hi)] });
      continue;
    }
    const b = w.bytes;
    if (!byteWise(w)) { items.push({ pos: w.dst, key: 'w4', vec: [w.dst, (b[0] as { pos: number }).pos] }); continue; }
    // Bytes from scattered positions (band layouts of few channels): gathered byte by byte, which nests into
    // runs along the input's rows where whole words do not.
    b.forEach((src, i) => { if ('pos' in src) byteItems.push({ pos: w.dst * 4 + i, key: 'byte', vec: [w.dst * 4 + i, src.pos] }); });
  }
  const stageGroups = itemsOf.map((items, g) => [...nest(items), ...nest(byteItemsOf[g])]);
  // Each group builds the image entries up to the last one its copies read, beyond what earlier groups built.
  const built = images.map(() => 0);
  const imageParts = itemsOf.map((items) => images.map((im) => {
    let hi = built[im.id];
    for (const it of items) if (it.key === `img:${im.id}`) hi = Math.max(hi, it.vec[1] + 1);
    const part: [number, number] = [built[im.id], hi];
    built[im.id] = hi;
    return part;
  }));
  const stage = stageGroups.flat();

  // Post: per output channel the folded bias and the requantisation.
  const bias = foldedBias(L);
  const { multiplier, shift } = L.q.requant;
  const per = multiplier.length > 1;
  const wsum = new Float64Array(L.outC), wpos = new Float64Array(L.outC);
  const cin = L.kind === 'depthwise_conv2d' ? 1 : L.inC;
  for (let o = 0; o < L.outC; o++) {
    let s = 0, ps = 0;
    for (let i = 0; i < L.kH * L.kW * cin; i++) {
      const w = L.kind === 'depthwise_conv2d' ? L.weights[i * L.outC + o] : L.weights[o * L.kH * L.kW * cin + i];
      s += Math.abs(w);
      if (w > 0) ps += w;
    }
    wsum[o] = s;
    wpos[o] = ps;
  }
  const maxBias = Math.max(...Array.from(bias, Math.abs));
  // Only single-term outputs fold the bias into the decode constant (chunked sums add the plain bias once).
  const biasInDecode = gathered.decode === 'fxp' && maxBias < 2 ** 21 && gathered.terms.every((t) => t.length === 1);
  const channels: PostChannel[] = [];
  const exactArith: Arith = arith === 'tflm' || L.q.rounding !== 'single' ? 'tflm' : 'tflite';
  const outOf = (a: number, m: number, sh: number): number =>
    clamp(multiplyByQuantizedMultiplier(a, { multiplier: m, shift: sh }, exactArith) + L.q.outputOffset, L.q.actMin, L.q.actMax);
  // A channel whose every biased sum gives one output (a near-dead channel: a tiny multiplier with a right shift
  // of 26 or more and a bias near 2^30, whose rounding constant or sum does not fit the fast form) gets the fast
  // form of that constant: m = 0, y = 0, out = K >> 0. The requantisation is monotone, so the two ends of the
  // biased sum's range, bias +- 128 sum |w|, decide it.
  const constant = new Map<number, number>();
  let fast = true;
  for (let o = 0; o < L.outC; o++) {
    const m = multiplier[per ? o : 0], sh = shift[per ? o : 0];
    const f = fastRequant(m, sh, L.q.rounding === 'single' ? 'tflite' : 'tflm', L.q.outputOffset, L.q.actMin);
    const bound = 128 * wsum[o] + Math.abs(bias[o]);
    if (!f || bound > fastLimit(f)) {
      const v = outOf(bias[o] - 128 * wsum[o], m, sh);
      if (v === outOf(bias[o] + 128 * wsum[o], m, sh)) constant.set(o, v);
      else fast = false;
    }
    const neg = wsum[o] - wpos[o];
    channels.push({ kb: biasInDecode ? 510 + bias[o] * 512 : bias[o], ...(f ? { fast: f } : {}), multiplier: m, shift: sh, bound, bias: bias[o],
      accMin: bias[o] - 128 * wpos[o] - 127 * neg, accMax: bias[o] + 127 * wpos[o] + 128 * neg });
  }
  if (fast) {
    // The constant channels take the layer's shared pre-shift and correction (one code path; y = 0 either way).
    const ref = channels.find((_, o) => !constant.has(o))?.fast ?? { pre: 2, corr: false };
    for (const [o, v] of constant) channels[o].fast = { pre: ref.pre, m: 0, E: 0, K: v, corr: ref.corr };
  }
  // A layer mixing channels with and without the negative-side correction keeps one code path: the exact one.
  if (fast && new Set(channels.map((c) => `${c.fast!.pre}:${c.fast!.corr}`)).size > 1) fast = false;

  const terms = gathered.terms[0]?.length ?? 0;
  if (gathered.terms.some((t) => t.length !== terms) || terms === 0) throw new DeriveError(`${plan.strategy}: outputs sum different numbers of region words`);
  // The launch whose output region holds each word.
  const regionOf = (w: number): number => plan.outRegions.findIndex((r) => w >= r.addr / 4 && w < r.addr / 4 + r.words);
  const post: Nest[][] = plan.launches.map(() => []);
  const best = (mk: (pos: 'j' | 'w') => Item[]): Nest[] => {
    const w = mk('w'), b = nest(mk('j'));
    if (new Set(w.map((i) => i.pos)).size !== w.length) return b;
    const a = nest(w);
    return a.length <= b.length ? a : b;
  };
  for (let t = 0; t < terms; t++) {
    const key = terms === 1 ? 'f' : t === 0 ? 'a0' : t === terms - 1 ? 'fa' : 'a';
    // Inner loops keep the output channel fixed (its bias and requantisation constants stay in registers).
    const inner = key === 'f' || key === 'fa' ? (j: number) => ({ inner: String(j % L.outC) }) : () => ({});
    const byLaunch = new Map<number, number[]>();
    gathered.terms.forEach((ws, j) => { const l = Math.max(0, regionOf(ws[t])); (byLaunch.get(l) ?? byLaunch.set(l, []).get(l)!).push(j); });
    for (const [l, js] of byLaunch) post[Math.min(l, post.length - 1)].push(...best((p) => js.map((j) => ({ pos: p === 'j' ? j : gathered.terms[j][t], key, vec: [j, gathered.terms[j][t]], ...inner(j) }))));
  }
  const contextLines = plan.kernels.reduce((a, k) => a + k.cols * k.words.length, 0);
  return { plan, layer: L, arith, memWords, contextLines, init, images, imageParts, stage, stageGroups, readerOf, decode: gathered.decode, terms, post, channels, biasInDecode, fast, staged, gathered };
}
