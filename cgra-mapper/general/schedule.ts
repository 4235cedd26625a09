// Modulo scheduling with placement and routing for the general mapper (issue 16): every operation of one
// loop iteration (dfg.ts) gets a PE and an absolute time t; it runs in kernel step t mod II and belongs to
// stage floor(t / II). The kernel is kernel-only: the loop body of II steps runs n' times per pass, an
// epilogue stores the accumulators between passes (the host takes differences of the cumulative sums, so
// accumulators are never reset), and the first pass runs sMin extra iterations to fill the pipeline.
//
// Routing is over the arch's neighbour links only (arch.ts `neighbour`: the torus of any size): a value
// lives in its producer's ROUT from t0 + 1 until the producer's next operation, and any PE whose link
// reaches the producer (or the producer itself) may read it in that window. The rules the search keeps:
//  1. one operation per PE and step;
//  2. a value is read at t0 < t <= t0 + II and no operation of its producer lies strictly in between;
//  3. accumulators live in registers of the PE doing the SADD (at most `registers`, minus the two loop
//     counters on the control PE);
//  4. PEs holding accumulators or counters run the epilogue, so none of their values crosses the end of
//     the body (a value produced in step s and read d steps later crosses when s + d >= II). In `drain`
//     schedules only the control PE keeps this rule: each pass's body is followed by a flush that runs the
//     operations of stage >= 1 of its last iterations (the values crossing the body's end are read there),
//     and the epilogue sets every other PE's ROUT back to 0, so the stage >= 1 operations the next pass's
//     first iterations run for iterations before it read zeros and add nothing;
//  5. all accumulates lie in stages [sMin, sMax]; each pass is padded with sMax - sMin zero pairs, so the
//     stored cumulative sums split exactly at pass boundaries;
//  6. the body's branch is the control PE's in the last step; its decrement is in an earlier step.
// The search is randomised list scheduling with restarts under a work budget: loads first (spread over the
// steps and, for the ports bus, over the columns), then each product at the (multiplier, accumulator, time)
// choice that completes earliest, ties broken at random. II starts at the lower bound max(ResMII, RecMII)
// and grows while no schedule is found; a few IIs above the first success are tried too, since a step's
// cycles depend on its memory accesses (cost.ts), and the cheapest body per product wins.
// The budget counts work, never wall-clock time (a `Meter`: candidate slots examined by list scheduling,
// annealing moves times the state size), so a search, and the bitstream built from it, is the same on any
// machine under any load: the seeded generator and the work count decide everything.
import { dirDelta, DIRS, neighbour, type BusModel, type CgraArch } from '../arch.ts';
import { opsPerIteration, type Dfg } from './dfg.ts';
import { anneal } from './anneal.ts';

export interface Placed { pe: number; t: number }
export interface AddPlaced extends Placed { reg: number }

export interface Schedule {
  rows: number;
  cols: number;
  II: number;
  dfg: Dfg;
  loads: Placed[];
  muls: Placed[];
  adds: AddPlaced[];
  /** Control PE: decrement in step `dec`, branch in step II-1; inner counter R3, outer counter R2. */
  ctrl: { pe: number; dec: number };
  sMin: number;
  sMax: number;
  /** Cycles of one body iteration per bus model (cost.ts rule). */
  body: Record<BusModel, number>;
  /** Passes end with a flush of their last iterations (rule 4 relaxed, see above); otherwise padded by sMax - sMin. */
  drain: boolean;
  /** Copies of a block schedule across the array (index.ts replicate); 1 when searched on the array itself. */
  copies?: number;
  /** The initiation-interval lower bound: resources (operations / PEs) and recurrences (loop control, 2). */
  mii: { res: number; rec: number };
}

/** Epilogue steps: every PE's stores (the control PE's then its reload, decrement and branch); in drain
 *  schedules the last step only zeroes ROUTs (next to the branch), so stores end one step earlier. */
export function epilogueSteps(storesPerPe: Map<number, number>, cpe: number, drain: boolean): number {
  let n = Math.max(2, (storesPerPe.get(cpe) ?? 0) + 3);
  for (const v of storesPerPe.values()) n = Math.max(n, v + (drain ? 1 : 0));
  return n;
}

/** The accumulator registers: one per (accumulator, PE) its accumulates use, in product order. Products of
 *  one accumulator group accumulated on one PE share its register; on different PEs they hold partial sums
 *  the host adds (each stored and decoded on its own). */
export function accPlaces(s: Pick<Schedule, 'dfg' | 'adds'>): { acc: number; pe: number; reg: number }[] {
  const out: { acc: number; pe: number; reg: number }[] = [];
  const seen = new Set<string>();
  s.dfg.products.forEach((p, k) => {
    const key = `${p.acc},${s.adds[k].pe}`;
    if (!seen.has(key)) { seen.add(key); out.push({ acc: p.acc, pe: s.adds[k].pe, reg: s.adds[k].reg }); }
  });
  return out;
}

/** Stores per PE in the epilogue: its accumulator registers. */
export function storesPerPe(s: Pick<Schedule, 'dfg' | 'adds'>): Map<number, number> {
  const per = new Map<number, number>();
  for (const a of accPlaces(s)) per.set(a.pe, (per.get(a.pe) ?? 0) + 1);
  return per;
}

/** Extra body iterations per pass: none (drain: the flush finishes the last iterations) or sMax - sMin padded pairs. */
export const passOverhead = (s: Pick<Schedule, 'drain' | 'sMin' | 'sMax'>): number => (s.drain ? 0 : s.sMax - s.sMin);

/** The flush's steps of a drain schedule, in order: (copy f, body slot t) wherever an operation of stage >= f
 *  sits in slot t; none for strict schedules. */
export function flushSlots(s: Pick<Schedule, 'II' | 'drain' | 'sMax' | 'loads' | 'muls' | 'adds'>): { f: number; t: number }[] {
  if (!s.drain) return [];
  const out: { f: number; t: number }[] = [];
  const all = [...s.loads, ...s.muls, ...s.adds];
  for (let f = 1; f <= s.sMax; f++) for (let t = 0; t < s.II; t++) {
    if (all.some((o) => mod(o.t, s.II) === t && Math.floor(o.t / s.II) >= f)) out.push({ f, t });
  }
  return out;
}

export const CTRL_INNER = 3;
export const CTRL_OUTER = 2;

const mod = (a: number, m: number): number => { const r = a % m; return r < 0 ? r + m : r; };

/** Closed neighbourhoods: the PEs whose ROUT PE q can read (itself and its four links). */
/** Links that close the torus are left out where `noWrap` says so: a block searched to be copied across a
 *  larger array (index.ts) may use them only along a dimension it spans. */
export interface Block { noWrapRows?: boolean; noWrapCols?: boolean }

export function closedNeighbours(arch: Pick<CgraArch, 'rows' | 'cols'> & Block): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < arch.rows; r++) for (let c = 0; c < arch.cols; c++) {
    const s = new Set<number>([r * arch.cols + c]);
    for (const d of DIRS) {
      const [dr, dc] = dirDelta(d);
      if ((arch.noWrapRows && (r + dr < 0 || r + dr >= arch.rows)) || (arch.noWrapCols && (c + dc < 0 || c + dc >= arch.cols))) continue;
      const [nr, nc] = neighbour(arch, r, c, d); s.add(nr * arch.cols + nc);
    }
    out.push([...s]);
  }
  return out;
}

/** The II lower bound: resources (operations per iteration over the PEs) and recurrences. The accumulate is
 *  a recurrence of one step; the loop control is one of two: the decrement of the counter and the branch on
 *  it are two operations of the control PE in different steps of every iteration (the branch reads the
 *  decremented counter), so no II below 2 exists on any array. */
export const REC_MII = 2;
export function miiOf(d: Dfg, pes: number): { res: number; rec: number } {
  return { res: Math.ceil(opsPerIteration(d) / pes), rec: REC_MII };
}

/** A deterministic generator (xorshift), so a search is reproducible from its seed. */
function rngOf(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296; };
}

interface Value { pe: number; t0: number; t1: number }

/** Work done by a search, in units of roughly equal cost (one candidate slot examined by list scheduling,
 *  one operation re-costed by annealing); the search stops by this count, never by the clock. */
export interface Meter { used: number }

/** Meter units per millisecond of one core of this project's build machine (process.cpuUsage over the search
 *  on eight graphs from 1 to 32 products on 2x2 to 8x8: 18k-47k units per CPU-ms, most 25k-30k), so a budget
 *  written in ms-equivalents times this constant does about the work the former wall-clock budget did.
 *  A unit is about one candidate (multiplier, time, accumulator, time) examined; an attempt's fixed cost
 *  (allocation, placing the control PE) is ATTEMPT_UNITS, a load placement 2 per (step, PE) scanned. */
export const WORK_PER_MS = 27_000;
const ATTEMPT_UNITS = 300;

/** One randomised construction attempt at a fixed II. */
class Attempt {
  readonly P: number;
  readonly occ: Int8Array;
  readonly opsOn: number[][];
  readonly values: Value[][];
  readonly regs: Int8Array;
  readonly isE: Uint8Array;
  sMin = Infinity;
  sMax = -Infinity;
  constructor(readonly II: number, readonly nb: number[][], readonly registers: number, readonly maxPad: number) {
    this.P = nb.length;
    this.occ = new Int8Array(this.P * II);
    this.opsOn = Array.from({ length: this.P }, () => []);
    this.values = Array.from({ length: this.P }, () => []);
    this.regs = new Int8Array(this.P);
    this.isE = new Uint8Array(this.P);
  }
  free(pe: number, t: number): boolean { return this.occ[pe * this.II + mod(t, this.II)] === 0; }
  /** An operation at (pe, t) would cut a live value of pe. */
  cuts(pe: number, t: number): boolean {
    for (const v of this.values[pe]) { const d = mod(t - v.t0, this.II); if (d > 0 && d < v.t1 - v.t0) return true; }
    return false;
  }
  /** No operation of pe strictly between t0 and t (ignoring `also`, a slot about to be taken). */
  clearBetween(pe: number, t0: number, t: number, also = -1): boolean {
    const span = t - t0;
    for (const s of this.opsOn[pe]) { const d = mod(s - t0, this.II); if (d > 0 && d < span) return false; }
    if (also >= 0) { const d = mod(also - t0, this.II); if (d > 0 && d < span) return false; }
    return true;
  }
  crosses(t0: number, t1: number): boolean { return mod(t0, this.II) + (t1 - t0) >= this.II; }
  canRead(v: Value, t: number, e: boolean, also = -1): boolean {
    if (t <= v.t0 || t - v.t0 > this.II) return false;
    const t1 = Math.max(v.t1, t);
    if ((e || this.isE[v.pe]) && this.crosses(v.t0, t1)) return false;
    return this.clearBetween(v.pe, v.t0, t1, also);
  }
  /** pe may start holding an accumulator: none of its values crosses the end of the body. */
  canBecomeE(pe: number): boolean {
    if (this.isE[pe]) return true;
    return this.values[pe].every((v) => !this.crosses(v.t0, v.t1));
  }
  take(pe: number, t: number): void { this.occ[pe * this.II + mod(t, this.II)] = 1; this.opsOn[pe].push(mod(t, this.II)); }
  untake(pe: number, t: number): void {
    this.occ[pe * this.II + mod(t, this.II)] = 0;
    const i = this.opsOn[pe].lastIndexOf(mod(t, this.II));
    this.opsOn[pe].splice(i, 1);
  }
  /** Every rule on PE pe: no operation strictly inside a live value, no crossing value on an epilogue PE, registers. */
  valid(pe: number): boolean {
    if (this.regs[pe] > this.registers) return false;
    for (const v of this.values[pe]) {
      if (v.t1 - v.t0 > this.II) return false;
      if (this.isE[pe] && v.t1 > v.t0 && this.crosses(v.t0, v.t1)) return false;
      for (const s of this.opsOn[pe]) { const d = mod(s - v.t0, this.II); if (d > 0 && d < v.t1 - v.t0) return false; }
    }
    return true;
  }
}

export interface SearchOptions {
  /** Work budget of the whole search (Meter units; default 400 ms-equivalents, `WORK_PER_MS` each). */
  work?: number;
  seed?: number;
  /** IIs tried above the first II that schedules. */
  extraII?: number;
  /** Bus model whose body cycles are minimised ('both': their sum). */
  optimise?: BusModel | 'both';
  /** Pass structures to search: strict rule 4, drain, or both (default). */
  modes?: boolean[];
  /** Receives the work done (its `used` is reset at the start). */
  meter?: Meter;
  /** The quantity minimised (default `scheduleScore` under `optimise`); lower is better. */
  score?: (s: Schedule) => number;
  /** Receives the best schedule of each pass structure found. */
  each?: (best: Schedule[]) => void;
}

/** meets[x * P + y]: PEs x and y share a neighbour (a multiplier both can feed); computed once per array. */
const meetCache = new WeakMap<number[][], Uint8Array>();
function meetMatrix(nb: number[][]): Uint8Array {
  let m = meetCache.get(nb);
  if (m) return m;
  const P = nb.length;
  m = new Uint8Array(P * P);
  for (let x = 0; x < P; x++) for (let y = 0; y < P; y++) m[x * P + y] = nb[x].some((q) => nb[y].includes(q)) ? 1 : 0;
  meetCache.set(nb, m);
  return m;
}

function attempt(arch: Pick<CgraArch, 'rows' | 'cols' | 'registers'> & { instrSlots?: number }, d: Dfg, II: number, nb: number[][], rnd: () => number, bias: number, drain: boolean, meter: Meter): Schedule | undefined {
  const instrSlots = arch.instrSlots ?? 32;
  const P = nb.length;
  if (II < 2) return undefined; // the decrement and the branch need two steps
  const maxPad = rnd() < 0.5 ? 0 : 1;
  const A = new Attempt(II, nb, arch.registers, maxPad);
  // Control PE.
  const cpe = Math.floor(rnd() * P);
  const decSlot = Math.floor(rnd() * (II - 1));
  A.take(cpe, II - 1); A.take(cpe, decSlot);
  A.regs[cpe] = 2; A.isE[cpe] = 1;
  // Loads: spread over steps (fewest loads in the step first) and columns; prefer idle PEs.
  const loadsAt = new Int32Array(II);
  const stage1 = rnd() < 0.5 ? 0 : 0.3;
  const cPenalty = rnd() < 0.5 ? 0 : 6;
  const colLoads = new Int32Array(II * arch.cols);
  const loads: Placed[] = new Array(d.loads.length);
  const lv: Value[] = new Array(d.loads.length);
  const order = d.loads.map((_, i) => i).sort(() => rnd() - 0.5);
  // Loads that must meet at a multiplier (operands of one product).
  const partners: number[][] = d.loads.map(() => []);
  for (const p of d.products) { partners[p.a].push(p.b); partners[p.b].push(p.a); }
  const meets = meetMatrix(nb);
  meter.used += ATTEMPT_UNITS + 2 * d.loads.length * II * P;
  const apart = new Int32Array(P);
  for (const li of order) {
    let best: { pe: number; s: number; score: number } | undefined;
    // Partners already placed that each PE shares no multiplier with (independent of the step).
    apart.fill(0);
    for (const o of partners[li]) {
      if (!loads[o]) continue;
      const row = loads[o].pe * P;
      for (let pe = 0; pe < P; pe++) if (!meets[row + pe]) apart[pe]++;
    }
    for (let s = 0; s < II; s++) for (let pe = 0; pe < P; pe++) {
      if (A.occ[pe * II + s] !== 0) continue; // A.free(pe, s) for s already in [0, II)
      const col = pe % arch.cols;
      const score = apart[pe] * 100 + loadsAt[s] * 4 + colLoads[s * arch.cols + col] * bias + A.opsOn[pe].length * 3 + (A.isE[pe] ? cPenalty : 0) + rnd() * 2.5;
      if (!best || score < best.score) best = { pe, s, score };
    }
    if (!best) return undefined;
    A.take(best.pe, best.s);
    loadsAt[best.s]++; colLoads[best.s * arch.cols + best.pe % arch.cols]++;
    const t = best.s + (rnd() < stage1 ? II : 0);
    loads[li] = { pe: best.pe, t };
    lv[li] = { pe: best.pe, t0: t, t1: t };
    A.values[best.pe].push(lv[li]);
  }
  // Products: a depth-first search (an exact search over the candidates, bounded by `nodeLimit`) that
  // always extends the product with the fewest candidates left; candidates are tried best first.
  const nK = d.products.length;
  const muls: Placed[] = new Array(nK);
  const adds: AddPlaced[] = new Array(nK);
  const placed = new Uint8Array(nK);
  // Accumulator groups: products of a group accumulated on one PE share a register (keyed group * P + PE).
  const grpReg = new Map<number, { reg: number; n: number }>();
  const commonOf = d.products.map((pr) => { const a = nb[loads[pr.a].pe]; return nb[loads[pr.b].pe].filter((x) => a.includes(x)); });
  const preferSelf = rnd() < 0.5;
  const groupCost = d.products.length > d.accs.length ? (rnd() < 0.5 ? 1 : 3) : 0;
  type Cand = { M: number; t: number; Ap: number; ta: number; score: number };
  const candidates = (k: number, limit: number): Cand[] => {
    const pr = d.products[k];
    const va = lv[pr.a], vb = lv[pr.b];
    const cands: Cand[] = [];
    meter.used += 4;
    for (const M of commonOf[k]) {
      const lo = Math.max(va.t0, vb.t0) + 1, hi = Math.min(va.t0, vb.t0) + II;
      for (let t = lo; t <= hi; t++) {
        meter.used += 2;
        if (!A.free(M, t) || A.cuts(M, t)) continue;
        if (!A.canRead(va, t, false) || !A.canRead(vb, t, false)) continue;
        for (const Ap of nb[M]) {
          const shared = grpReg.has(pr.acc * P + Ap);
          if (!shared && A.regs[Ap] >= arch.registers) continue;
          for (let ta = t + 1; ta < t + II; ta++) {
            meter.used++;
            const st = Math.floor(ta / II);
            if (A.sMin !== Infinity && (Math.max(A.sMax, st) - Math.min(A.sMin, st) > A.maxPad)) continue;
            if (!A.free(Ap, ta) || mod(ta, II) === mod(t, II)) continue;
            if ((A.isE[M] || (!drain && Ap === M)) && A.crosses(t, ta)) continue;
            if (Ap !== M && A.cuts(Ap, ta)) continue;
            const score = ta + (ta - t) * 0.5 + (preferSelf ? (Ap === M ? 0 : 0.7) : (Ap === M ? 0.7 : 0)) + (shared ? 0 : groupCost) + rnd() * 1.5;
            cands.push({ M, t, Ap, ta, score });
            if (cands.length >= limit) return cands;
          }
        }
      }
    }
    return cands;
  };
  let nodes = 0;
  const nodeLimit = 400 + 40 * nK;
  const dfs = (depth: number): boolean => {
    if (depth === nK) return true;
    if (++nodes > nodeLimit) return false;
    let k = -1, best: Cand[] = [];
    for (let j = 0; j < nK; j++) {
      if (placed[j]) continue;
      const c = candidates(j, 64);
      if (c.length === 0) return false;
      if (k < 0 || c.length < best.length) { k = j; best = c; }
    }
    best.sort((x, y) => x.score - y.score);
    const pr = d.products[k];
    const va = lv[pr.a], vb = lv[pr.b];
    for (const c of best.slice(0, 8)) {
      const { M, t, Ap, ta } = c;
      const o1 = va.t1, o2 = vb.t1, eA = A.isE[Ap], eM = A.isE[M], s0 = A.sMin, s1 = A.sMax;
      va.t1 = Math.max(va.t1, t); vb.t1 = Math.max(vb.t1, t);
      A.take(M, t);
      A.values[M].push({ pe: M, t0: t, t1: ta });
      A.take(Ap, ta);
      const gk = pr.acc * P + Ap;
      const fresh = !grpReg.has(gk);
      if (fresh) { A.regs[Ap]++; grpReg.set(gk, { reg: A.regs[Ap] - 1 - (Ap === cpe ? 2 : 0), n: 0 }); }
      const gr = grpReg.get(gk)!;
      gr.n++;
      if (!drain) A.isE[Ap] = 1;
      if ([M, Ap, va.pe, vb.pe].every((q) => A.valid(q))) {
        muls[k] = { pe: M, t };
        adds[k] = { pe: Ap, t: ta, reg: gr.reg };
        const st = Math.floor(ta / II);
        A.sMin = Math.min(A.sMin, st); A.sMax = Math.max(A.sMax, st);
        placed[k] = 1;
        if (dfs(depth + 1)) return true;
        placed[k] = 0;
        A.sMin = s0; A.sMax = s1;
      }
      va.t1 = o1; vb.t1 = o2;
      A.untake(M, t); A.untake(Ap, ta);
      A.values[M].pop();
      gr.n--;
      if (fresh) { A.regs[Ap]--; grpReg.delete(gk); }
      A.isE[Ap] = eA; A.isE[M] = eM;
      if (nodes > nodeLimit) return false;
    }
    return false;
  };
  if (!dfs(0)) return undefined;
  // The kernel must fit the PE's instruction slots: 2 prologue steps, the body, the epilogue, EXIT.
  if (2 + II + flushSlots({ II, drain, sMax: A.sMax, loads, muls, adds }).length + epilogueSteps(storesPerPe({ dfg: d, adds }), cpe, drain) + 1 > instrSlots) return undefined;
  const s: Schedule = {
    rows: arch.rows, cols: arch.cols, II, dfg: d, loads, muls, adds, ctrl: { pe: cpe, dec: decSlot },
    sMin: A.sMin, sMax: A.sMax, body: { shared: 0, ports: 0 }, drain, mii: miiOf(d, P),
  };
  s.body = bodyCycles(s);
  return s;
}

/** Cycles of one body iteration (cost.ts: max(3 if a multiply, 1 + accesses), accesses per bus model). */
export function bodyCycles(s: Schedule): Record<BusModel, number> {
  const mul = new Uint8Array(s.II), tot = new Int32Array(s.II), col = new Int32Array(s.II * s.cols);
  for (const m of s.muls) mul[mod(m.t, s.II)] = 1;
  for (const l of s.loads) { tot[mod(l.t, s.II)]++; col[mod(l.t, s.II) * s.cols + (l.pe % s.cols)]++; }
  const out = { shared: 0, ports: 0 };
  for (let t = 0; t < s.II; t++) {
    let mx = 0;
    for (let c = 0; c < s.cols; c++) mx = Math.max(mx, col[t * s.cols + c]);
    const m = mul[t] ? 3 : 1;
    out.shared += Math.max(m, tot[t] ? 1 + tot[t] : 1);
    out.ports += Math.max(m, mx ? 1 + mx : 1);
  }
  return out;
}

/** Body cycles per product (the quantity the search minimises), with a small charge for padded pairs. */
export function scheduleScore(s: Schedule, optimise: BusModel | 'both'): number {
  const c = optimise === 'both' ? (s.body.shared + s.body.ports) / 2 : s.body[optimise];
  return (c / s.dfg.products.length) * (1 + passOverhead(s) / 16);
}

/** Searches a modulo schedule of `d` on `arch`, II from the lower bound up; undefined if none within the budget. */
export function searchSchedule(arch: Pick<CgraArch, 'rows' | 'cols' | 'registers'> & { instrSlots?: number } & Block, d: Dfg, opts: SearchOptions = {}): Schedule | undefined {
  const nb = closedNeighbours(arch);
  const P = nb.length;
  const mii = miiOf(d, P);
  const lb = Math.max(mii.res, mii.rec);
  const work = opts.work ?? 400 * WORK_PER_MS;
  const optimise = opts.optimise ?? 'both';
  const extra = opts.extraII ?? 2;
  const rnd = rngOf(opts.seed ?? 1);
  const meter: Meter = opts.meter ?? { used: 0 };
  meter.used = 0;
  const modes = opts.modes ?? [false, true];
  let best: Schedule | undefined;
  const byMode = new Map<boolean, Schedule>();
  const score = opts.score ?? ((x: Schedule): number => scheduleScore(x, optimise));
  const consider = (x: Schedule | undefined): boolean => {
    if (!x) return false;
    const sx = score(x);
    if (!best || sx < score(best)) best = x;
    const m = byMode.get(x.drain);
    if (!m || sx < score(m)) byMode.set(x.drain, x);
    return true;
  };
  const maxII = (arch.instrSlots ?? 32) - 5;
  // Phase 1: the first II (from the lower bound up) where list scheduling succeeds, a few tries each.
  let firstII = -1;
  for (let II = lb; II <= maxII && firstII < 0; II++) {
    for (let k = 0; k < 24; k++) if (consider(attempt(arch, d, II, nb, rnd, k % 2 ? 0 : 3, modes[k % modes.length], meter))) firstII = II;
    if (firstII < 0 && meter.used > work * 4) break;
  }
  if (firstII < 0) firstII = maxII;
  // Phase 2: the rest of the budget over II in [lower bound, first + extra]: list scheduling, then annealing.
  const hi = Math.min(maxII, firstII + extra);
  let round = 0;
  while (meter.used < work) {
    for (let II = lb; II <= hi && meter.used < work; II++) {
      for (let k = 0; k < 12; k++) consider(attempt(arch, d, II, nb, rnd, k % 2 ? 0 : 3, modes[(k + round) % modes.length], meter));
      if (best && best.II <= II && best.body.shared <= 3 * II) continue; // this II cannot do better
      const cap = Math.ceil(d.loads.length / II) + (round % 3 === 2 ? 1 : 0);
      const colCap = round % 2 ? cap : Math.max(1, Math.ceil(cap / arch.cols) + 1);
      consider(anneal(arch, d, II, nb, { iterations: Math.min(annealIterations(d), 60_000), rnd, maxPad: round % 4 === 3 ? 0 : 1, cap, colCap, drain: modes[round % modes.length], meter }));
    }
    round++;
  }
  opts.each?.([...byMode.values()]);
  return best;
}

/** Annealing moves per run: more for larger graphs. */
const annealIterations = (d: Dfg): number => Math.min(400_000, 4000 * (d.loads.length + 2 * d.products.length));
