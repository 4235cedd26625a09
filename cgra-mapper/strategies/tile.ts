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
import { IMM_MAX, IMM_MIN, OP, OPCODES } from '../isa/tables.ts';
import type { CgraLayer } from '../layer.ts';
import type { Launch, LayerPlan, MemBlock, Region } from '../plan.ts';
import { CgraSim, staticStepTiming } from '../sim/sim.ts';

/** The base size a tiled strategy is written for. */
export const TILE = 4;

interface Planner { name: string; supports(L: CgraLayer): string | undefined; plan(L: CgraLayer, arch: CgraArch): LayerPlan; planTile?(L: CgraLayer, arch: CgraArch): LayerPlan }

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
  const pick = (a: Int32Array): Int32Array => (a.length > 1 ? Int32Array.from({ length: m }, (_, o) => (keep(o) ? a[lo + o] : a[0])) : a);
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

/**
 * The tiled kernel: copy (br, bc) runs the part kernel in rows 4br.., columns 4bc..; only copy (0, 0) keeps its
 * branches. With kr copies per column the column pointer serves copy 0's accesses of a step, then copy 1's, ...;
 * each LWD/SWD step is rewritten so that every copy walks its own words of the interleaved layout (word
 * (pw - lo) kr + br): within a copy a step s becomes kr s; the copy's last access of the step moves the pointer
 * to the next copy's first word of this step, or (last copy) to copy 0's next word.
 */
function tileKernel(k: Kernel, kr: number, kc: number): Kernel {
  const imm = (w: number): number => ((w & 0x1fff) << 19) >> 19;
  const words = k.words.map((step) => {
    const newImm = new Map<string, number>();
    if (kr > 1) {
      for (let c = 0; c < TILE; c++) for (const op of [OP.LWD, OP.SWD]) {
        const rows = [0, 1, 2, 3].filter((r) => decode(step[r][c]).op === op);
        let before = 0;
        rows.forEach((r, q) => {
          const sr = imm(step[r][c]);
          for (let br = 0; br < kr; br++) {
            const v = q < rows.length - 1 ? kr * sr : br < kr - 1 ? -kr * before + 4 : kr * sr - 4 * (kr - 1);
            if (v < IMM_MIN || v > IMM_MAX) throw new Error(`a pointer step of ${v} bytes for ${kr} interleaved copies does not fit the 13-bit immediate`);
            newImm.set(`${br},${r},${c}`, v);
          }
          before += sr;
        });
      }
    }
    return Array.from({ length: kr * TILE }, (_, rr) => Array.from({ length: kc * TILE }, (_, cc) => {
      const r = rr % TILE, c = cc % TILE, br = Math.floor(rr / TILE);
      let w = step[r][c];
      const cls = OPCODES[decode(w).op]?.cls;
      if ((br > 0 || cc >= TILE) && (cls === 'branch' || cls === 'jump')) return 0;
      const v = newImm.get(`${br},${r},${c}`);
      if (v !== undefined) w = ((w & ~0x1fff) | (v & 0x1fff)) >>> 0;
      return w;
    }));
  });
  return { ...k, cols: kc * TILE, words };
}

/**
 * A plan made on the 4x4 array, run unchanged in the top-left 4x4 block of a larger one (the other PEs idle):
 * sound only for kernels that read no wrap-around link (declared WRAP_FREE_4X4, checked by the tests).
 */
export function embedPlan(p: LayerPlan, arch: CgraArch): LayerPlan {
  const kernels = p.kernels.map((k) => ({ ...k, words: k.words.map((step) => Array.from({ length: arch.rows }, (_, r) => (r < step.length ? step[r].slice() : new Array<number>(k.cols).fill(0)))) }));
  const cost = { ...p.cost };
  // Launch overhead and configuration depend on the kernel's columns only, which do not change.
  return { ...p, kernels, cost, view: `in the top-left 4x4 block of the ${arch.rows}x${arch.cols} array (the kernels read no wrap-around link)\n${p.view}` };
}

/** Copies (i, j) of a 4x4 plan for the channel parts of L on `arch` (rows, cols multiples of 4), verified; throws with the reason otherwise. */
export function planTiled(base: Planner, L: CgraLayer, arch: CgraArch): LayerPlan {
  if (arch.rows % TILE || arch.cols % TILE) throw new Error(`tiling needs rows and columns that are multiples of ${TILE}`);
  const kr = arch.rows / TILE, kc = arch.cols / TILE, k = kr * kc;
  // Output rows (the copies then share weights) for images, output channels for every layer.
  const kinds: Split['kind'][] = L.outH >= k && L.kind !== 'fully_connected' ? ['rows', 'channels'] : ['channels'];
  // Both splits are tried; of those that verify, the one with fewer cycles on the ports bus (tiling is what
  // the ports bus gains from; on the shared bus the copies wait for the one bus anyway), then on the shared bus.
  const errors: string[] = [];
  let best: LayerPlan | undefined;
  for (const kind of kinds) {
    if (kind === 'channels' && L.kind === 'depthwise_conv2d' && L.depthMultiplier !== 1) { errors.push('channels: depth multiplier is not 1'); continue; }
    try {
      const p = tileSplit(base, L, arch, splitLayer(L, k, kind), kr, kc);
      if (!best || p.cost.ports < best.cost.ports || (p.cost.ports === best.cost.ports && p.cost.shared < best.cost.shared)) best = p;
    } catch (e) { errors.push(`${kind}: ${(e as Error).message}`); }
  }
  if (best) return best;
  throw new TinyforgeError(`split by ${errors.join('; by ')}`);
}

function tileSplit(base: Planner, L: CgraLayer, arch: CgraArch, split: Split, kr: number, kc: number): LayerPlan {
  const k = kr * kc;
  const { parts } = split;
  const what = split.kind === 'channels' ? `${parts[0].outC} of the ${L.outC} output channels` : `${parts[0].outH} of the ${L.outH} output rows`;
  const a4 = makeArch({ ...arch, rows: TILE, cols: TILE });
  const why = base.supports(parts[0]);
  if (why) throw new Error(`a part (${what}): ${why}`);
  const plans = parts.map((p) => (base.planTile ?? base.plan)(p, a4));
  const p0 = plans[0];
  for (const p of plans) {
    if (!sameWords(p.kernels, p0.kernels) || !sameLaunches(p.launches, p0.launches) || p.memoryBytes !== p0.memoryBytes) {
      throw new Error('the channel parts get different kernels or launches');
    }
  }
  if (p0.kernels.some((kk) => kk.cols !== TILE)) throw new Error('the part kernels do not span the 4 columns');
  // Replay the part's schedule once (the streams' addresses do not depend on the data): which words each
  // column reads and writes.
  const zero = split.input(new Int8Array(L.inH * L.inW * L.inC).fill(L.inZero), 0);
  const sim4 = new CgraSim(a4, buildImage(a4, p0.kernels), p0.memoryBytes, { bus: 'shared', accessLog: true });
  for (const b of p0.constBlocks) sim4.writeWords(b.addr, b.words);
  const staged0 = p0.stage(zero);
  for (const b of staged0) sim4.writeWords(b.addr, b.words);
  const lo = [Infinity, Infinity, Infinity, Infinity], hi = [-1, -1, -1, -1];
  const stored: Set<number>[] = [0, 1, 2, 3].map(() => new Set());
  let unaligned = 0;
  for (const l of p0.launches) {
    const g = sim4.launch(l.kernel, l.ptrIn, l.ptrOut).accesses!;
    if (g.indirect) throw new Error('the part kernel uses LWI/SWI (absolute addresses), which cannot be re-laid out');
    for (let i = 0; i < g.seq.length; i++) {
      const c = g.col[i], w = g.addr[i] >>> 2;
      lo[c] = Math.min(lo[c], w); hi[c] = Math.max(hi[c], w);
      if (g.kind[i] === 1) stored[c].add(w);
      if (g.addr[i] & 3) unaligned++;
    }
  }
  if (kr > 1 && unaligned) throw new Error(`copies sharing a column interleave their streams word by word, and the part steps its pointers by bytes (${unaligned} unaligned accesses)`);
  // Tiled column c' = 4 bc + c holds, for every word pw the part's column c touches, the kr copies' values
  // side by side: word R[c'] + (pw - lo[c]) kr + br.
  const R: number[] = [];
  let next = 0;
  for (let tc = 0; tc < kc * TILE; tc++) {
    const c = tc % TILE;
    R.push(next);
    if (hi[c] >= 0) next += kr * (hi[c] - lo[c] + 1);
  }
  const words = Math.max(1, next);
  const at = (tc: number, a: number, br: number): number => (R[tc] + ((a >> 2) - lo[tc % TILE]) * kr + br) * 4 + (a & 3);
  const launches: Launch[] = p0.launches.map((l) => ({
    kernel: l.kernel,
    ptrIn: Array.from({ length: kc * TILE }, (_, tc) => (hi[tc % TILE] >= 0 ? at(tc, l.ptrIn[tc % TILE] ?? 0, 0) : 0)),
    ptrOut: Array.from({ length: kc * TILE }, (_, tc) => (hi[tc % TILE] >= 0 ? at(tc, l.ptrOut[tc % TILE] ?? 0, 0) : 0)),
  }));
  const kernels = p0.kernels.map((kk) => tileKernel(kk, kr, kc));
  const pw = p0.memoryBytes / 4;
  const stagedMask = new Uint8Array(pw);
  for (const b of staged0) stagedMask.fill(1, b.addr / 4, b.addr / 4 + b.words.length);
  const constImages = plans.map((p) => {
    const img = new Int32Array(pw);
    for (const b of p.constBlocks) img.set(b.words, b.addr / 4);
    return img;
  });
  // Runs of part words of one kind (constant / host-staged) per part column: contiguous in the tiled layout too.
  const runsOf = (c: number, staged: number): [number, number][] => {
    const out: [number, number][] = [];
    for (let w = lo[c]; w <= hi[c]; w++) {
      if (stagedMask[w] !== staged) continue;
      const last = out[out.length - 1];
      if (last && last[0] + last[1] === w) last[1]++;
      else out.push([w, 1]);
    }
    return out;
  };
  const fill = (staged: number, imgs: Int32Array[]): MemBlock[] => {
    const out: MemBlock[] = [];
    for (let tc = 0; tc < kc * TILE; tc++) {
      const c = tc % TILE, bc = Math.floor(tc / TILE);
      if (hi[c] < 0) continue;
      for (const [w0, n] of runsOf(c, staged)) {
        const words = new Int32Array(n * kr);
        for (let i = 0; i < n; i++) for (let br = 0; br < kr; br++) words[i * kr + br] = imgs[br * kc + bc][w0 + i];
        out.push({ addr: (R[tc] + (w0 - lo[c]) * kr) * 4, words, what: `column ${tc} stream (${kr} copies interleaved)` });
      }
    }
    return out;
  };
  const constBlocks = fill(0, constImages);
  let lastImages = constImages;
  const stage = (input: Int8Array): MemBlock[] => {
    lastImages = plans.map((p, j) => {
      const img = constImages[j].slice();
      for (const b of p.stage(split.input(input, j))) img.set(b.words, b.addr / 4);
      return img;
    });
    return fill(1, lastImages);
  };
  const outCols = Array.from({ length: kc * TILE }, (_, tc) => tc).filter((tc) => stored[tc % TILE].size > 0);
  const outRegions: Region[] = outCols.map((tc) => ({ addr: R[tc] * 4, words: kr * (hi[tc % TILE] - lo[tc % TILE] + 1) }));
  const gather = (regions: Int32Array[]): Int32Array => {
    const imgs = lastImages.map((x) => x.slice());
    outCols.forEach((tc, i) => {
      const c = tc % TILE, bc = Math.floor(tc / TILE);
      for (const w of stored[c]) for (let br = 0; br < kr; br++) imgs[br * kc + bc][w] = regions[i][(w - lo[c]) * kr + br];
    });
    const raw = new Int32Array(L.outH * L.outW * L.outC);
    plans.forEach((p, j) => split.place(raw, p.gather(p.outRegions.map((r) => imgs[j].subarray(r.addr / 4, r.addr / 4 + r.words))), j));
    return raw;
  };
  const plan: LayerPlan = {
    strategy: base.name, layer: L, kernels, memoryBytes: words * 4, constBlocks, stage, launches, outRegions, gather,
    hostWork: {
      preBytes: [0, 1, 2, 3].reduce((a, c) => a + (hi[c] < 0 ? 0 : runsOf(c, 1).reduce((x, r) => x + r[1], 0)), 0) * 4 * kr * kc,
      requantOps: L.outH * L.outW * L.outC,
      adds: plans.reduce((a, p) => a + p.hostWork.adds, 0),
      notes: [`${kr}x${kc} copies of the 4x4 kernel, each computing ${what}; the host lays out each column's stream for its copies`, ...p0.hostWork.notes],
    },
    cost: { shared: 0, ports: 0, launches: launches.length },
    view: `${base.name} tiled: ${kr}x${kc} copies of its 4x4 kernel (copy (i, j) in rows 4i.., columns 4j..), each computing ${what}; `
      + `copies in one column share its port, their stream words interleaved in the RTL's service order (row 0 first)\n${p0.view}`,
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
  for (const l of launches) {
    const st = sim.launch(l.kernel, l.ptrIn, l.ptrOut);
    const kk = kernels.find((q) => q.id === l.kernel)!;
    // The RTL reloads only the kernel's columns whose last kernel differs.
    let reloaded = 0;
    for (let c = 0; c < kk.cols; c++) if (last[c] !== l.kernel) { reloaded++; last[c] = l.kernel; }
    for (const bus of ['shared', 'ports'] as BusModel[]) {
      const cyc = timing[bus].get(l.kernel)!;
      let exec = 1;
      st.perStep.forEach((ps, t) => { exec += ps.executions * cyc[t]; });
      plan.cost[bus] += exec + LAUNCH_OVERHEAD(kk.cols) + reloaded * (kk.words.length + 1);
    }
  }
  const got = gather(outRegions.map((r) => Int32Array.from(sim.readWords(r.addr, r.words))));
  const want = directRaw(L, x);
  let bad = 0;
  for (let i = 0; i < want.length; i++) if (want[i] !== got[i]) bad++;
  if (bad) throw new TinyforgeError(`its 4x4 kernel reads links that wrap around the 4x4 block and carry per-part data: tiled over ${arch.rows}x${arch.cols}, ${bad} of ${want.length} sums wrong on a random input`);
  return plan;
}
