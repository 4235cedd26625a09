// Runs a 4x4 hand strategy on a larger array whose rows and columns are multiples of 4, without touching
// the strategy: the layer's output channels are split into k = (rows/4) x (cols/4) equal parts (the last
// padded with zero-weight channels), each part is planned on the 4x4 array, and the array runs k copies of
// the part's kernel side by side, copy (i, j) in rows 4i..4i+3 and columns 4j..4j+3.
//
// Why this is sound only under a check. The big torus covers the 4x4 torus (PE (r, c) plays the role of
// (r mod 4, c mod 4) and its four neighbours play the roles of that PE's neighbours), so every copy executes
// the 4x4 program; but a link that wraps around the 4x4 block reads the neighbouring copy, which holds
// another part's data. The result is right when every such link carries a value that is the same in all
// parts (an input feeder when the parts split the output channels, a loop counter), and wrong otherwise.
// `planTiled` therefore simulates the tiled plan once on a random input and compares its sums with a direct
// loop over the layer's definition; a strategy whose wrap-around links carry per-part data is refused with
// that reason. (The final bit-exact check against the golden runtime still runs on every mapped layer.)
//
// Memory. Copies in one column share that column's port and its read / write pointers (the RTL serves a
// column's PEs one at a time, row 0 first, each access post-incrementing the column pointer). So the column
// streams are rebuilt by replaying the part's schedule: the part plan runs once on the 4x4 simulator with an
// access log; in every executed step, the tiled column serves copy 0's accesses of that step, then copy 1's,
// and so on; the word each access reaches in the tiled stream is filled (by the host pre-step) from the part
// word it reached on the 4x4 array, and the words the tiled stores reach are read back into the parts'
// output regions. A part that reads its own stores back, uses LWI/SWI, or whose interleaved accesses would
// need one word to hold two values is refused. Branches are kept in copy (0, 0) only (exactly one PE may
// branch per step); the copies' trip counts are identical because their kernels and pointers are.
//
// Cost: the tiled kernel's per-step cycles (staticStepTiming, either bus) times the per-step execution counts
// of the verification run, plus the launch overhead and configuration, so estimate = simulation.
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { makeArch, type BusModel, type CgraArch } from '../arch.ts';
import { LAUNCH_OVERHEAD } from '../cost.ts';
import { decode } from '../isa/encoding.ts';
import { buildImage, type Kernel } from '../isa/image.ts';
import { OPCODES } from '../isa/tables.ts';
import type { CgraLayer } from '../layer.ts';
import type { Launch, LayerPlan, MemBlock, Region } from '../plan.ts';
import { CgraSim, staticStepTiming, type AccessLog } from '../sim/sim.ts';

/** The base size a tiled strategy is written for. */
export const TILE = 4;

interface Planner { name: string; supports(L: CgraLayer): string | undefined; plan(L: CgraLayer, arch: CgraArch): LayerPlan }

/** Part j of L's output channels (m per part, zero weights past outC); depthwise parts read their own input channels. */
export function channelPart(L: CgraLayer, j: number, m: number): CgraLayer {
  const lo = j * m;
  const keep = (o: number): boolean => lo + o < L.outC;
  let weights: Int8Array;
  if (L.kind === 'depthwise_conv2d') {
    const taps = L.kH * L.kW;
    weights = new Int8Array(taps * m);
    for (let t = 0; t < taps; t++) for (let o = 0; o < m; o++) if (keep(o)) weights[t * m + o] = L.weights[t * L.outC + lo + o];
  } else {
    const per = L.weights.length / L.outC;
    weights = new Int8Array(per * m);
    for (let o = 0; o < m; o++) if (keep(o)) weights.set(L.weights.subarray((lo + o) * per, (lo + o + 1) * per), o * per);
  }
  const pick = (a: Int32Array): Int32Array => Int32Array.from({ length: m }, (_, o) => (keep(o) ? a[lo + o] : a[0]));
  const dw = L.kind === 'depthwise_conv2d';
  return {
    ...L, outC: m, inC: dw ? m : L.inC, weights, bias: Int32Array.from({ length: m }, (_, o) => (keep(o) ? L.bias[lo + o] : 0)),
    q: { ...L.q, requant: { multiplier: pick(L.q.requant.multiplier), shift: pick(L.q.requant.shift) } },
    macs: L.outH * L.outW * m * L.kH * L.kW * (dw ? 1 : L.inC),
  };
}

/** Part j of L's output rows (h per part): a convolution without top padding over the host-padded band of input rows it reads. */
export function rowPart(L: CgraLayer, h: number): CgraLayer {
  const inH = (h - 1) * L.strideH + (L.kH - 1) * L.dilH + 1;
  return { ...L, outH: h, inH, padTop: 0, macs: (L.macs / L.outH) * h };
}

/** How a layer is cut into k parts of identical shape, and how the parts' inputs and sums relate to the layer's. */
export interface Split {
  kind: 'channels' | 'rows';
  parts: CgraLayer[];
  input(x: Int8Array, j: number): Int8Array;
  /** Writes part j's raw sums into the layer's. */
  place(raw: Int32Array, part: Int32Array, j: number): void;
}

export function splitLayer(L: CgraLayer, k: number, kind: Split['kind']): Split {
  if (kind === 'channels') {
    const m = Math.ceil(L.outC / k);
    const dw = L.kind === 'depthwise_conv2d';
    return {
      kind, parts: Array.from({ length: k }, (_, j) => channelPart(L, j, m)),
      input: (x, j) => {
        if (!dw) return x;
        const px = L.inH * L.inW;
        const out = new Int8Array(px * m).fill(L.inZero);
        for (let p = 0; p < px; p++) for (let o = 0; o < m && j * m + o < L.inC; o++) out[p * m + o] = x[p * L.inC + j * m + o];
        return out;
      },
      place: (raw, part, j) => {
        for (let px = 0; px < L.outH * L.outW; px++) for (let o = 0; o < m && j * m + o < L.outC; o++) raw[px * L.outC + j * m + o] = part[px * m + o];
      },
    };
  }
  const h = Math.ceil(L.outH / k);
  const P = rowPart(L, h);
  const row = L.inW * L.inC;
  return {
    kind, parts: Array.from({ length: k }, () => P),
    input: (x, j) => {
      const out = new Int8Array(P.inH * row).fill(L.inZero);
      const y0 = j * h * L.strideH - L.padTop;
      for (let y = 0; y < P.inH; y++) if (y0 + y >= 0 && y0 + y < L.inH) out.set(x.subarray((y0 + y) * row, (y0 + y + 1) * row), y * row);
      return out;
    },
    place: (raw, part, j) => {
      const per = L.outW * L.outC;
      const rows = Math.min(h, L.outH - j * h);
      if (rows > 0) raw.set(part.subarray(0, rows * per), j * h * per);
    },
  };
}

/** Raw sums sum(w * x) over each window, padded taps holding the input zero point (the plans' `gather` convention). */
export function directRaw(L: CgraLayer, x: Int8Array): Int32Array {
  const acc = new Int32Array(L.outH * L.outW * L.outC);
  const dw = L.kind === 'depthwise_conv2d', fc = L.kind === 'fully_connected';
  for (let oy = 0; oy < L.outH; oy++) for (let ox = 0; ox < L.outW; ox++) for (let o = 0; o < L.outC; o++) {
    let s = 0;
    for (let ky = 0; ky < L.kH; ky++) for (let kx = 0; kx < L.kW; kx++) {
      const y = oy * L.strideH - L.padTop + ky * L.dilH, xx = ox * L.strideW - L.padLeft + kx * L.dilW;
      const inside = y >= 0 && y < L.inH && xx >= 0 && xx < L.inW;
      for (let c = 0; c < (dw ? 1 : L.inC); c++) {
        const ci = dw ? Math.floor(o / L.depthMultiplier) : c;
        const w = fc ? L.weights[o * L.inC + c] : dw ? L.weights[(ky * L.kW + kx) * L.outC + o] : L.weights[((o * L.kH + ky) * L.kW + kx) * L.inC + c];
        s += w * (inside ? x[(y * L.inW + xx) * L.inC + ci] : L.inZero);
      }
    }
    acc[(oy * L.outW + ox) * L.outC + o] = s;
  }
  return acc;
}

const sameWords = (a: Kernel[], b: Kernel[]): boolean => JSON.stringify(a.map((k) => [k.id, k.cols, k.words])) === JSON.stringify(b.map((k) => [k.id, k.cols, k.words]));
const sameLaunches = (a: Launch[], b: Launch[]): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Where the replayed streams put things: per tiled word, the part (copy) and part word it holds or receives. */
interface Replay {
  launches: Launch[];
  words: number;
  /** Read words: tiled word -> copy * 2^26 + part word (-1: none). */
  readOrigin: Int32Array;
  /** Stores in execution order: tiled word, copy, part word. */
  writes: { tw: number[]; copy: number[]; pw: number[] };
  outRegions: Region[];
  /** Tiled words two accesses of different parts reach (loads: the first keeps it). */
  clashes: { loads: number; stores: number };
}

function replay(logs: AccessLog[], partLaunches: Launch[], kr: number, kc: number, origStart: (l: number, c: number, kind: number) => number): Replay {
  const cols = kc * TILE;
  const regions: { launch: number; col: number; kind: number; rel: number[]; copy: number[]; pw: number[]; min: number; max: number; start: number }[] = [];
  for (let l = 0; l < logs.length; l++) {
    const g = logs[l];
    // Group this launch's accesses by (executed step, column), rows in service order.
    const bySeqCol = new Map<number, number[]>();
    for (let i = 0; i < g.seq.length; i++) {
      const key = g.seq[i] * TILE + g.col[i];
      let a = bySeqCol.get(key);
      if (!a) bySeqCol.set(key, (a = []));
      a.push(i);
    }
    const keys = [...bySeqCol.keys()].sort((a, b) => a - b);
    for (let tc = 0; tc < cols; tc++) {
      const bc = Math.floor(tc / TILE), c = tc % TILE;
      for (const kind of [0, 1]) {
        const reg = { launch: l, col: tc, kind, rel: [] as number[], copy: [] as number[], pw: [] as number[], min: 0, max: 0, start: origStart(l, c, kind) };
        let p = 0;
        for (const key of keys) {
          if (key % TILE !== c) continue;
          const acc = bySeqCol.get(key)!.filter((i) => g.kind[i] === kind);
          for (let br = 0; br < kr; br++) {
            for (const i of acc) {
              reg.rel.push(p); reg.copy.push(br * kc + bc); reg.pw.push(g.addr[i] >>> 2);
              reg.min = Math.min(reg.min, p); reg.max = Math.max(reg.max, p);
              p += g.step[i];
            }
          }
        }
        if (reg.rel.length) regions.push(reg);
      }
    }
  }
  // Lay the regions out one after another; each start keeps the part's alignment (byte streams stay byte streams).
  let next = 0;
  const starts = new Map<string, number>();
  for (const r of regions) {
    const base = next;
    const p0 = base - r.min + (((r.start - (base - r.min)) % 4) + 4) % 4;
    starts.set(`${r.launch},${r.col},${r.kind}`, p0);
    next = (Math.floor((p0 + r.max) / 4) + 1) * 4;
  }
  const words = Math.max(1, next / 4);
  const clashes = { loads: 0, stores: 0 };
  const readOrigin = new Int32Array(words).fill(-1);
  const writes = { tw: [] as number[], copy: [] as number[], pw: [] as number[] };
  const writeOrigin = new Map<number, number>();
  const outRegions: Region[] = [];
  for (const r of regions) {
    const p0 = starts.get(`${r.launch},${r.col},${r.kind}`)!;
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < r.rel.length; i++) {
      const tw = (p0 + r.rel[i]) >>> 2;
      const origin = r.copy[i] * 2 ** 26 + r.pw[i];
      lo = Math.min(lo, tw); hi = Math.max(hi, tw);
      if (r.kind === 0) {
        if (readOrigin[tw] !== -1 && readOrigin[tw] !== origin) clashes.loads++;
        else readOrigin[tw] = origin;
      } else {
        const had = writeOrigin.get(tw);
        if (had !== undefined && had !== origin) clashes.stores++;
        writeOrigin.set(tw, origin);
        writes.tw.push(tw); writes.copy.push(r.copy[i]); writes.pw.push(r.pw[i]);
      }
    }
    if (r.kind === 1) outRegions.push({ addr: lo * 4, words: hi - lo + 1 });
  }
  const launches: Launch[] = partLaunches.map((pl, l) => ({
    kernel: pl.kernel,
    ptrIn: Array.from({ length: cols }, (_, tc) => starts.get(`${l},${tc},0`) ?? 0),
    ptrOut: Array.from({ length: cols }, (_, tc) => starts.get(`${l},${tc},1`) ?? 0),
  }));
  return { launches, words, readOrigin, writes, outRegions, clashes };
}

/** The tiled kernel: copy (i, j) runs the part kernel; only copy (0, 0) keeps its branches. */
function tileKernel(k: Kernel, kr: number, kc: number): Kernel {
  const words = k.words.map((step) => Array.from({ length: kr * TILE }, (_, r) => Array.from({ length: kc * TILE }, (_, c) => {
    const w = step[r % TILE][c % TILE];
    const copy = Math.floor(r / TILE) * kc + Math.floor(c / TILE);
    const cls = OPCODES[decode(w).op]?.cls;
    return copy > 0 && (cls === 'branch' || cls === 'jump') ? 0 : w;
  })));
  return { ...k, cols: kc * TILE, words };
}

/** Copies (i, j) of a 4x4 plan for the channel parts of L on `arch` (rows, cols multiples of 4), verified; throws with the reason otherwise. */
export function planTiled(base: Planner, L: CgraLayer, arch: CgraArch): LayerPlan {
  if (arch.rows % TILE || arch.cols % TILE) throw new Error(`tiling needs rows and columns that are multiples of ${TILE}`);
  const kr = arch.rows / TILE, kc = arch.cols / TILE, k = kr * kc;
  // Rows first for images (the copies then share weights), channels for single-pixel layers or when rows fail.
  const kinds: Split['kind'][] = L.outH >= k && L.kind !== 'fully_connected' ? ['rows', 'channels'] : ['channels'];
  const errors: string[] = [];
  for (const kind of kinds) {
    if (kind === 'channels' && L.kind === 'depthwise_conv2d' && L.depthMultiplier !== 1) { errors.push('channels: depth multiplier is not 1'); continue; }
    try { return tileSplit(base, L, arch, splitLayer(L, k, kind), kr, kc); } catch (e) { errors.push(`${kind}: ${(e as Error).message}`); }
  }
  throw new TinyforgeError(`split by ${errors.join('; by ')}`);
}

function tileSplit(base: Planner, L: CgraLayer, arch: CgraArch, split: Split, kr: number, kc: number): LayerPlan {
  const k = kr * kc;
  const { parts } = split;
  const partInput = (_: CgraLayer, x: Int8Array, j: number, _m?: number): Int8Array => split.input(x, j);
  const what = split.kind === 'channels' ? `${parts[0].outC} of the ${L.outC} output channels` : `${parts[0].outH} of the ${L.outH} output rows`;
  const a4 = makeArch({ ...arch, rows: TILE, cols: TILE });
  const why = base.supports(parts[0]);
  if (why) throw new Error(`a part (${what}): ${why}`);
  const plans = parts.map((p) => base.plan(p, a4));
  const p0 = plans[0];
  for (const p of plans) {
    if (!sameWords(p.kernels, p0.kernels) || !sameLaunches(p.launches, p0.launches) || p.memoryBytes !== p0.memoryBytes) {
      throw new Error('the channel parts get different kernels or launches');
    }
  }
  if (p0.kernels.some((kk) => kk.cols !== TILE)) throw new Error('the part kernels do not span the 4 columns');
  // Replay the part's schedule once (the streams' addresses do not depend on the data).
  const zero = partInput(L, new Int8Array(L.inH * L.inW * L.inC).fill(L.inZero), 0);
  const sim4 = new CgraSim(a4, buildImage(a4, p0.kernels), p0.memoryBytes, { bus: 'shared', accessLog: true });
  for (const b of p0.constBlocks) sim4.writeWords(b.addr, b.words);
  const staged0 = p0.stage(zero);
  for (const b of staged0) sim4.writeWords(b.addr, b.words);
  const logs: AccessLog[] = [];
  // Loads of words the part stored earlier (or two needs for one tiled word, below) are harmless when the
  // value is a dummy (pointer moves); they are counted, and the verification decides.
  const stored = new Set<number>();
  let readBack = 0;
  for (const l of p0.launches) {
    const g = sim4.launch(l.kernel, l.ptrIn, l.ptrOut).accesses!;
    if (g.indirect) throw new Error('the part kernel uses LWI/SWI (absolute addresses), which cannot be re-laid out');
    for (let i = 0; i < g.seq.length; i++) {
      if (g.kind[i] === 1) stored.add(g.addr[i] >>> 2);
      else if (stored.has(g.addr[i] >>> 2)) readBack++;
    }
    logs.push(g);
  }
  const rp = replay(logs, p0.launches, kr, kc, (l, c, kind) => (kind === 0 ? p0.launches[l].ptrIn[c] : p0.launches[l].ptrOut[c]) ?? 0);
  const pw = p0.memoryBytes / 4;
  const stagedMask = new Uint8Array(pw);
  for (const b of staged0) stagedMask.fill(1, b.addr / 4, b.addr / 4 + b.words.length);
  const constImages = plans.map((p) => {
    const img = new Int32Array(pw);
    for (const b of p.constBlocks) img.set(b.words, b.addr / 4);
    return img;
  });
  // Tiled words filled once (constants) and per inference (host-staged), as runs of consecutive words.
  const runs = (pick: (o: number) => boolean): [number, number][] => {
    const out: [number, number][] = [];
    for (let w = 0; w < rp.words; w++) {
      const o = rp.readOrigin[w];
      if (o < 0 || !pick(o)) continue;
      const last = out[out.length - 1];
      if (last && last[0] + last[1] === w) last[1]++;
      else out.push([w, 1]);
    }
    return out;
  };
  const isStaged = (o: number): boolean => stagedMask[o % 2 ** 26] === 1;
  const fill = (rs: [number, number][], imgs: Int32Array[]): MemBlock[] => rs.map(([w, n]) => {
    const words = new Int32Array(n);
    for (let i = 0; i < n; i++) { const o = rp.readOrigin[w + i]; words[i] = imgs[Math.floor(o / 2 ** 26)][o % 2 ** 26]; }
    return { addr: w * 4, words, what: 'tiled column stream' };
  });
  const constBlocks = fill(runs((o) => !isStaged(o)), constImages);
  const stagedRuns = runs(isStaged);
  let lastImages = constImages;
  const stage = (input: Int8Array): MemBlock[] => {
    lastImages = plans.map((p, j) => {
      const img = constImages[j].slice();
      for (const b of p.stage(partInput(L, input, j))) img.set(b.words, b.addr / 4);
      return img;
    });
    return fill(stagedRuns, lastImages);
  };
  const gather = (regions: Int32Array[]): Int32Array => {
    const mem = new Int32Array(rp.words);
    rp.outRegions.forEach((r, i) => mem.set(regions[i], r.addr / 4));
    const imgs = lastImages.map((x) => x.slice());
    for (let i = 0; i < rp.writes.tw.length; i++) imgs[rp.writes.copy[i]][rp.writes.pw[i]] = mem[rp.writes.tw[i]];
    const raw = new Int32Array(L.outH * L.outW * L.outC);
    plans.forEach((p, j) => split.place(raw, p.gather(p.outRegions.map((r) => imgs[j].subarray(r.addr / 4, r.addr / 4 + r.words))), j));
    return raw;
  };
  const kernels = p0.kernels.map((kk) => tileKernel(kk, kr, kc));
  const plan: LayerPlan = {
    strategy: base.name, layer: L, kernels, memoryBytes: rp.words * 4, constBlocks, stage, launches: rp.launches, outRegions: rp.outRegions, gather,
    hostWork: {
      preBytes: stagedRuns.reduce((a, r) => a + r[1] * 4, 0), requantOps: L.outH * L.outW * L.outC,
      adds: plans.reduce((a, p) => a + p.hostWork.adds, 0),
      notes: [`${kr}x${kc} copies of the 4x4 kernel, each computing ${what}; the host interleaves the copies' column streams`, ...p0.hostWork.notes],
    },
    cost: { shared: 0, ports: 0, launches: rp.launches.length },
    view: `${base.name} tiled: ${kr}x${kc} copies of its 4x4 kernel (copy (i, j) in rows 4i.., columns 4j..), each computing ${what}; column streams interleaved in the RTL's service order (row 0 first)\n${p0.view}`,
    peak: p0.peak * k, slotMacs: plans.reduce((a, p) => a + p.slotMacs, 0),
  };
  // Verify on a random input against the layer's definition, and count the steps for the estimate.
  let s = 0x2545f491;
  const x = Int8Array.from({ length: L.inH * L.inW * L.inC }, () => { s ^= s << 13; s ^= s >>> 17; s ^= s << 5; return (s >>> 24) - 128; });
  const sim = new CgraSim(arch, buildImage(arch, kernels), plan.memoryBytes, { bus: 'shared' });
  for (const b of constBlocks) sim.writeWords(b.addr, b.words);
  for (const b of stage(x)) sim.writeWords(b.addr, b.words);
  const timing = { shared: new Map<number, number[]>(), ports: new Map<number, number[]>() };
  for (const kk of kernels) for (const bus of ['shared', 'ports'] as BusModel[]) timing[bus].set(kk.id, staticStepTiming(kk, bus).map((t) => t.cycles));
  const last = new Array<number>(arch.cols).fill(-1);
  for (const l of rp.launches) {
    const st = sim.launch(l.kernel, l.ptrIn, l.ptrOut);
    const kk = kernels.find((q) => q.id === l.kernel)!;
    const configured = last.some((v) => v !== l.kernel);
    last.fill(l.kernel);
    for (const bus of ['shared', 'ports'] as BusModel[]) {
      const cyc = timing[bus].get(l.kernel)!;
      let exec = 1;
      st.perStep.forEach((ps, t) => { exec += ps.executions * cyc[t]; });
      plan.cost[bus] += exec + LAUNCH_OVERHEAD(kk.cols) + (configured ? kk.cols * (kk.words.length + 1) : 0);
    }
  }
  const got = gather(rp.outRegions.map((r) => Int32Array.from(sim.readWords(r.addr, r.words))));
  const want = directRaw(L, x);
  let bad = 0;
  for (let i = 0; i < want.length; i++) if (want[i] !== got[i]) bad++;
  if (bad) {
    const why = rp.clashes.loads || rp.clashes.stores
      ? `the copies share column pointers and the part's streams jump back (${rp.clashes.loads} loads, ${rp.clashes.stores} stores need a tiled word another copy uses)`
      : readBack ? `the part reads back ${readBack} words it stored` : 'its 4x4 kernel reads links that wrap around the 4x4 block and carry per-part data';
    throw new TinyforgeError(`${why}: tiled over ${arch.rows}x${arch.cols}, ${bad} of ${want.length} sums wrong on a random input`);
  }
  return plan;
}
