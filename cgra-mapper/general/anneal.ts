// Simulated annealing over a complete modulo schedule at a fixed II (the general mapper's second search,
// for the dense schedules list scheduling misses). The state places every operation (loads, multiplies,
// accumulates, the control PE) at a PE and an absolute time; the cost counts broken rules, the same rules
// as schedule.ts states (one operation per PE and step, operands on the reader or a neighbour and inside
// their live window, no operation inside a live value of its PE, no value crossing the body's end on a PE
// that runs the epilogue, registers, one accumulate stage spread, at most `cap` loads per step). A move
// re-places one operation (a multiply together with its accumulate, or alone) near its operands; worse
// states are accepted with the usual exp(-delta / T). A state of cost 0 is a schedule; the independent
// check (check.ts) still runs on it before use.
import type { CgraArch } from '../arch.ts';
import type { Dfg } from './dfg.ts';
import { bodyCycles, CTRL_OUTER, epilogueSteps, flushSlots, miiOf, storesPerPe, type Meter, type Schedule } from './schedule.ts';

const mod = (a: number, m: number): number => { const r = a % m; return r < 0 ? r + m : r; };

interface AnnealOptions { iterations: number; rnd: () => number; maxPad: number; cap: number; colCap: number; debug?: (cost: number) => void; drain?: boolean; meter?: Meter }

/** Anneals a schedule of d at II on the array with closed neighbourhoods nb; undefined when no cost-0 state is reached. */
export function anneal(arch: Pick<CgraArch, 'rows' | 'cols' | 'registers'> & { instrSlots?: number }, d: Dfg, II: number, nb: number[][], o: AnnealOptions): Schedule | undefined {
  const P = nb.length;
  const nL = d.loads.length, nK = d.products.length;
  const { rnd } = o;
  const ri = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[ri(xs.length)];
  // Ops: [0, nL) loads, [nL, nL+nK) multiplies, [nL+nK, nL+2nK) accumulates; control separately.
  const N = nL + 2 * nK;
  const pe = new Int32Array(N), t = new Int32Array(N);
  let cpe = ri(P), cdec = ri(II - 1);
  const isNb = (a: number, b: number): boolean => nb[a].includes(b);
  // Initial state: loads spread over steps, multiplies next to their loaders, accumulates on the multiplier.
  for (let l = 0; l < nL; l++) { pe[l] = ri(P); t[l] = l % II; }
  for (let k = 0; k < nK; k++) {
    const p = d.products[k];
    pe[nL + k] = pick(nb[pe[p.a]]); t[nL + k] = Math.max(t[p.a], t[p.b]) + 1;
    pe[nL + nK + k] = pe[nL + k]; t[nL + nK + k] = t[nL + k] + 1;
  }
  const first = new Int32Array(d.accs.length).fill(-1);
  d.products.forEach((p, k) => { if (first[p.acc] < 0) first[p.acc] = k; });
  const consumers: number[][] = Array.from({ length: nL + nK }, () => []);
  d.products.forEach((p, k) => { consumers[p.a].push(nL + k); consumers[p.b].push(nL + k); consumers[nL + k].push(nL + nK + k); });
  const opsAt = new Int32Array(P * II);
  const loadsAt = new Int32Array(II), colLoads = new Int32Array(II * arch.cols);
  const cost = (): number => {
    let v = 0;
    opsAt.fill(0); loadsAt.fill(0); colLoads.fill(0);
    for (let i = 0; i < N; i++) opsAt[pe[i] * II + mod(t[i], II)]++;
    opsAt[cpe * II + II - 1]++; opsAt[cpe * II + cdec]++;
    for (let i = 0; i < P * II; i++) if (opsAt[i] > 1) v += 2 * (opsAt[i] - 1);
    for (let l = 0; l < nL; l++) { loadsAt[mod(t[l], II)]++; colLoads[mod(t[l], II) * arch.cols + (pe[l] % arch.cols)]++; }
    for (let s = 0; s < II; s++) if (loadsAt[s] > o.cap) v += loadsAt[s] - o.cap;
    for (let s = 0; s < II * arch.cols; s++) if (colLoads[s] > o.colCap) v += colLoads[s] - o.colCap;
    // Accumulator PEs (and the control PE) run the epilogue.
    // Accumulator registers: one per (group, PE) its accumulates use.
    const accs = new Int32Array(P);
    const regKeys = new Set<number>();
    for (let k = 0; k < nK; k++) {
      const key = d.products[k].acc * P + pe[nL + nK + k];
      if (!regKeys.has(key)) { regKeys.add(key); accs[pe[nL + nK + k]]++; }
    }
    const isE = (q: number): boolean => (!o.drain && accs[q] > 0) || q === cpe;
    for (let q = 0; q < P; q++) { const over = accs[q] + (q === cpe ? 2 : 0) - arch.registers; if (over > 0) v += 2 * over; }
    let sMin = Infinity, sMax = -Infinity;
    for (let k = 0; k < nK; k++) {
      const m = nL + k, a = nL + nK + k, p = d.products[k];
      for (const src of [p.a, p.b]) {
        if (!isNb(pe[m], pe[src])) v += 2;
        if (t[m] <= t[src] || t[m] > t[src] + II) v += 2;
      }
      if (!isNb(pe[a], pe[m])) v += 2;
      if (t[a] <= t[m] || t[a] >= t[m] + II) v += 2;
      const st = Math.floor(t[a] / II);
      sMin = Math.min(sMin, st); sMax = Math.max(sMax, st);
    }
    if (sMax - sMin > o.maxPad) v += sMax - sMin - o.maxPad;
    // Live values: loads and products.
    for (let i = 0; i < nL + nK; i++) {
      let t1 = t[i];
      for (const c of consumers[i]) t1 = Math.max(t1, t[c]);
      const span = t1 - t[i];
      if (span <= 0) continue;
      const q = pe[i];
      if (isE(q) && mod(t[i], II) + span >= II) v++;
      // Operations of q strictly inside (t0, t1).
      for (let dd = 1; dd < Math.min(span, II); dd++) if (opsAt[q * II + mod(t[i] + dd, II)] > 0) v++;
      if (span > II) v += span - II;
    }
    return v;
  };
  let cur = cost();
  let T = 1.5;
  const Tend = 0.03;
  const alpha = Math.pow(Tend / T, 1 / o.iterations);
  let it = 0;
  for (; it < o.iterations && cur > 0; it++) {
    const kind = rnd();
    // Save what a move changes.
    let undo: () => void;
    if (kind < 0.03) {
      const c0 = cpe, d0 = cdec; cpe = ri(P); cdec = ri(II - 1); undo = () => { cpe = c0; cdec = d0; };
    } else if (kind < 0.25) {
      const l = ri(nL); const p0 = pe[l], t0 = t[l];
      pe[l] = rnd() < 0.7 ? ri(P) : p0; t[l] = rnd() < 0.7 ? ri(2 * II) : t0;
      undo = () => { pe[l] = p0; t[l] = t0; };
    } else {
      const k = ri(nK), m = nL + k, a = nL + nK + k, p = d.products[k];
      const pm = pe[m], tm = t[m], pa = pe[a], ta = t[a];
      if (rnd() < 0.6) {
        // Multiply next to both loaders where possible, accumulate right after.
        const both = nb[pe[p.a]].filter((x) => nb[pe[p.b]].includes(x));
        pe[m] = both.length && rnd() < 0.9 ? pick(both) : pick(nb[pe[rnd() < 0.5 ? p.a : p.b]]);
        const lo = Math.max(t[p.a], t[p.b]) + 1, hi = Math.min(t[p.a], t[p.b]) + II;
        t[m] = hi >= lo ? lo + ri(hi - lo + 1) : lo;
        const f = nL + nK + first[p.acc];
        pe[a] = f !== a && rnd() < 0.8 ? pe[f] : rnd() < 0.5 ? pe[m] : pick(nb[pe[m]]);
        t[a] = t[m] + 1 + ri(Math.max(1, II - 1));
      } else {
        const f = nL + nK + first[p.acc];
        pe[a] = f !== a && rnd() < 0.5 ? pe[f] : pick(nb[pe[m]]);
        t[a] = t[m] + 1 + ri(Math.max(1, II - 1));
      }
      undo = () => { pe[m] = pm; t[m] = tm; pe[a] = pa; t[a] = ta; };
    }
    const nxt = cost();
    if (nxt <= cur || rnd() < Math.exp((cur - nxt) / T)) cur = nxt; else undo();
    T *= alpha;
  }
  // Each move re-costs the whole state: operations, the PE x step grid and the live windows.
  if (o.meter) o.meter.used += Math.ceil(((it + 1) * (2 * N + P * II)) / 3);
  if (o.debug) o.debug(cur);
  if (cur !== 0) return undefined;
  // Normalise: the earliest operation at step >= 0 is already so (loads in [0, 2II)); registers per PE.
  const regs = new Int32Array(P);
  regs[cpe] = 2;
  const accReg = new Map<number, number>();
  const adds = d.products.map((p, k) => {
    const q = pe[nL + nK + k];
    const key = p.acc * P + q;
    const had = accReg.get(key);
    if (had !== undefined) return { pe: q, t: t[nL + nK + k], reg: had };
    const reg = regs[q] - (q === cpe ? 2 : 0);
    regs[q]++;
    if (q === cpe ? reg >= CTRL_OUTER : reg >= arch.registers) return undefined;
    accReg.set(key, reg);
    return { pe: q, t: t[nL + nK + k], reg };
  });
  if (adds.some((x) => x === undefined)) return undefined;
  let sMin = Infinity, sMax = -Infinity;
  for (const a of adds) { const st = Math.floor(a!.t / II); sMin = Math.min(sMin, st); sMax = Math.max(sMax, st); }
  const s: Schedule = {
    rows: arch.rows, cols: arch.cols, II, dfg: d,
    loads: Array.from({ length: nL }, (_, l) => ({ pe: pe[l], t: t[l] })),
    muls: d.products.map((_, k) => ({ pe: pe[nL + k], t: t[nL + k] })),
    adds: adds.map((a) => a!),
    ctrl: { pe: cpe, dec: cdec }, sMin, sMax, body: { shared: 0, ports: 0 }, drain: !!o.drain,
    mii: miiOf(d, P),
  };
  // Kernel length: prologue 2 + body + flush + epilogue + EXIT within the instruction slots.
  if (2 + II + flushSlots(s).length + epilogueSteps(storesPerPe(s), cpe, s.drain) + 1 > (arch.instrSlots ?? 32)) return undefined;
  s.body = bodyCycles(s);
  return s;
}
