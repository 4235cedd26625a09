// The strategy table: every mapping strategy as data (name, what it maps, whether it is one of the CF'24
// paper's four, what it needs from the array, a support check and its planner). `choosePlan` resolves a
// requested strategy for one layer: `auto` takes the strategy that accepts both the array and the layer
// with the fewest estimated cycles on the shared bus including the per-launch call cost; a named strategy
// that cannot map the layer falls back to auto, and says so; when no strategy accepts, the layer runs on
// the host and the choice carries every strategy's reason (`hostReason`).
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { makeArch, type BusModel, type CgraArch } from '../arch.ts';
import type { CgraLayer } from '../layer.ts';
import type { LayerPlan } from '../plan.ts';
import { checkerSupports, planChecker } from './checker.ts';
import { fxpSupports, planCheckerFxp } from './checker-fxp.ts';
import { fcSupports, planFcFxp } from './fc-fxp.ts';
import { planCheckerSlide, slideSupports } from './checker-slide.ts';
import { dwSupports, planCheckerDw, planCheckerDwEndToEnd } from './checker-dw.ts';
import { dw4Supports, planCheckerDw4 } from './checker-dw4.ts';
import { GRID_CHAINS, planDwResident, residentSupports } from './dw-resident.ts';
import { planDwReuse, reuseSupports } from './dw-reuse.ts';
import { PAPER_STRATEGIES } from './paper.ts';
import { ANY_ARRAY, arrayReason, MESH, TORUS_4X4, WRAP_FREE_4X4, type ArrayNeeds } from './needs.ts';
import { meshSupports, planMeshFxp } from './mesh-fxp.ts';
import { embedPlan, planTiled, TILE } from './tile.ts';
import { GENERAL, generalSupports, planGeneral } from '../general/index.ts';

export interface Strategy {
  name: string;
  summary: string;
  /** One of the four mappings of Carpentieri et al. (CF'24), kept for comparison. */
  paper: boolean;
  /** The array the kernels are written for (checked before `supports`). */
  needs: ArrayNeeds;
  /** Why the strategy cannot map the layer, or undefined. */
  supports(L: CgraLayer): string | undefined;
  plan(L: CgraLayer, arch: CgraArch): LayerPlan;
  /** The 4x4 plan tiled copies use, when it differs (a variant reading no wrap-around link). */
  planTile?(L: CgraLayer, arch: CgraArch): LayerPlan;
  /**
   * The plan `auto` by end-to-end cycles takes, when it differs: more launches, each declaring the staged
   * memory it reads (plan.stageReads), so the host program overlaps its pre- and post-steps with the array.
   */
  planEndToEnd?(L: CgraLayer, arch: CgraArch): LayerPlan;
  /**
   * End-to-end plans that split the work differently (e.g. launch counts): `auto` by end-to-end cycles keeps
   * the one with the fewest array + host cycles. More launches hide more host work at the pipeline's ends but
   * add per-launch host work and padding, which a host-bound layer pays.
   */
  planEndToEndVariants?(L: CgraLayer, arch: CgraArch): LayerPlan[];
}

export const STRATEGIES: readonly Strategy[] = [
  { name: 'checker', summary: 'checkerboard int8 dataflow: 8 multipliers, 2 pixels x 16 channels per pass (conv, pointwise, FC)', paper: false, needs: TORUS_4X4, supports: checkerSupports, plan: planChecker },
  { name: 'checker-fxp', summary: 'two int8 products per FXPMUL (packed x1 + 2^23 x2 times w2 + 2^23 w1): 8 multipliers, 4 pixels x 8 channels per pass (conv, pointwise, FC)', paper: false, needs: TORUS_4X4, supports: fxpSupports, plan: (L, a) => planCheckerFxp(L, a), planEndToEnd: (L, a) => planCheckerFxp(L, a, { pipelined: true }), planEndToEndVariants: (L, a) => [16, 64].map((maxLaunches) => planCheckerFxp(L, a, { pipelined: true, maxLaunches })).filter((p, i, ps) => ps.findIndex((q) => q.launches.length === p.launches.length) === i) },
  { name: 'checker-slide', summary: 'checker-fxp with input reuse along kx (3x3, strideW = dilW): 8 pixels (4 horizontal pairs) x 4 channels per pass, each packed word shown as one pixel\'s tap kx and the next pixel\'s tap kx - 1', paper: false, needs: TORUS_4X4, supports: slideSupports, plan: (L, a) => planCheckerSlide(L, a), planEndToEnd: (L, a) => planCheckerSlide(L, a, { pipelined: true, ramp: 4 }), planEndToEndVariants: (L, a) => [...[16, 64].map((maxLaunches) => planCheckerSlide(L, a, { pipelined: true, maxLaunches })), ...[4, 6].map((ramp) => planCheckerSlide(L, a, { pipelined: true, ramp }))].filter((p, i, ps) => ps.findIndex((q) => q.view === p.view) === i) },
  { name: 'fc-fxp', summary: 'single-pixel layers (FC batch 1): packed pairs, 7 multipliers each fed one weight word per multiply step, input pair in a register', paper: false, needs: TORUS_4X4, supports: fcSupports, plan: planFcFxp },
  { name: 'checker-dw', summary: 'checkerboard depthwise: 8 multipliers, an input stream shared by two adjacent pixels at lagged taps, 4 pixels x 8 channels per pass', paper: false, needs: TORUS_4X4, supports: dwSupports, plan: (L, a) => planCheckerDw(L, a), planEndToEnd: (L, a) => planCheckerDw(L, a, 8), planEndToEndVariants: planCheckerDwEndToEnd },
  { name: 'checker-dw4', summary: 'checkerboard depthwise, simple form: 4 multipliers with private feeders, 2 pixels x 8 channels per pass', paper: false, needs: WRAP_FREE_4X4, supports: dw4Supports, plan: planCheckerDw4 },
  { name: 'dw-resident', summary: 'depthwise with weights resident in registers: 4 chains (loader, FXPMUL multiplier, two accumulators), two int8 products per multiply, 4 channels per launch', paper: false, needs: TORUS_4X4, supports: residentSupports, plan: planDwResident, planTile: (L, a) => planDwResident(L, a, GRID_CHAINS) },
  { name: 'dw-reuse', summary: 'depthwise 3x3: dw-resident chains on horizontal packed pairs, every loaded word multiplied twice (its own pixel, and the tap-2 column of the previous pixel of the line)', paper: false, needs: TORUS_4X4, supports: reuseSupports, plan: planDwReuse, planTile: (L, a) => planDwReuse(L, a, GRID_CHAINS) },
  { name: 'mesh-fxp', summary: 'packed pairs on any 4k x 4l torus: roles, links and streams generated for the array; rows*cols/4 pixels x 4 channels per pass (or 4 pixels x rows*cols/4 channels for small images), rows*cols MACs per 8-cycle body (conv, pointwise, FC)', paper: false, needs: MESH, supports: meshSupports, plan: planMeshFxp },
  ...PAPER_STRATEGIES,
  { name: GENERAL, summary: 'the general mapper: loop nest -> dataflow graph (packed-pair FXPMUL) -> modulo schedule placed and routed on the array\'s neighbour links, searched from the II lower bound, checked independently; any array size', paper: false, needs: ANY_ARRAY, supports: generalSupports, plan: (L, a) => planGeneral(L, a) },
];

export const STRATEGY_NAMES = ['auto', ...STRATEGIES.map((s) => s.name)];

export function strategyByName(name: string): Strategy | undefined {
  return STRATEGIES.find((s) => s.name === name);
}

export interface Candidate {
  strategy: string;
  estimate?: { shared: number; ports: number; launches: number };
  /** Host CPU cycles of the strategy's host program (pre-step, launches, post-step), when auto counts them. */
  host?: number;
  reason?: string;
}
export interface Choice { plan: LayerPlan; requested: string; candidates: Candidate[]; note?: string }
/** A layer no strategy accepts on this array: it runs on the host, for these reasons. */
export interface HostChoice { plan?: undefined; requested: string; candidates: Candidate[]; hostReason: string }

/** Estimated cycles as the report counts them: shared bus plus the call cost per launch. */
export const estimateWithCalls = (p: LayerPlan, arch: CgraArch, bus: BusModel = 'shared'): number => p.cost[bus] + p.cost.launches * arch.callCycles;

/** Why strategy `s` cannot map layer L on `arch` (the array first), or undefined. */
export function refusal(s: Strategy, L: CgraLayer, arch: CgraArch): string | undefined {
  return arrayReason(s.needs, arch) ?? s.supports(L);
}

/** A strategy written for a 4x4 block can run as tiled copies on larger arrays of 4k x 4l PEs (tile.ts). */
export const canTile = (n: ArrayNeeds, arch: CgraArch): boolean => {
  const four = (e: ArrayNeeds['rows']): boolean => ('exact' in e ? e.exact : e.min) === TILE;
  return !n.native && four(n.rows) && four(n.cols) && arch.rows % TILE === 0 && arch.cols % TILE === 0 && arch.rows * arch.cols > TILE * TILE;
};

/** The plan for L, or throws a TinyforgeError naming every strategy's reason when none accepts it. */
export function choosePlan(L: CgraLayer, arch: CgraArch, requested: string): Choice {
  const c = chooseOrHost(L, arch, requested);
  if (!c.plan) throw new TinyforgeError(`no CGRA strategy maps this ${L.kind} layer`, { op: `${L.index} (${L.name})` }, c.hostReason);
  return c;
}

/** Summarises the strategies' reasons: identical reasons once, with the strategies that gave them. */
function summarise(candidates: Candidate[]): string {
  const by = new Map<string, string[]>();
  for (const c of candidates) if (c.reason) by.set(c.reason, [...(by.get(c.reason) ?? []), c.strategy]);
  return [...by].map(([why, names]) => `${names.join(', ')}: ${why}`).join('; ');
}

/**
/**
 * `optimise`: the bus model whose estimate `auto` minimises (shared unless asked). `opts.allowed`: the
 * strategies `auto` may choose from (all when undefined); the general mapper is planned when it is requested
 * or allowed by name, and otherwise only when no other strategy accepts the layer (auto falls through to it).
 * With `opts.hostCost` (the host program's cycles of a plan, cgra-mapper/host/cost.ts; undefined when the host
 * program cannot drive it), `auto` minimises end-to-end cycles instead: array cycles + the host program's
 * cycles, which replace the flat per-launch call cost; plans the host program cannot drive are taken only
 * when no other is left.
 */
export interface ChooseOptions { hostCost?: (p: LayerPlan) => number | undefined; allowed?: readonly string[] }
export function chooseOrHost(L: CgraLayer, arch: CgraArch, requested: string, optimise: BusModel = 'shared', opts: ChooseOptions = {}): Choice | HostChoice {
  const { allowed } = opts;
  // Host cycles per plan, computed once (variants are costed before the candidates are).
  const hostMemo = new Map<LayerPlan, number | undefined>();
  const hostCost = opts.hostCost && ((p: LayerPlan): number | undefined => {
    if (!hostMemo.has(p)) hostMemo.set(p, opts.hostCost!(p));
    return hostMemo.get(p);
  });
  const candidates: Candidate[] = [];
  const plans = new Map<string, LayerPlan>();
  const order = [...STRATEGIES.filter((s) => s.name !== GENERAL), strategyByName(GENERAL)!];
  for (const s of order) {
    if (allowed && !allowed.includes(s.name) && s.name !== requested) { candidates.push({ strategy: s.name, reason: 'not among the strategies allowed by the config' }); continue; }
    if (s.name === GENERAL && plans.size > 0 && requested !== GENERAL && !allowed?.includes(GENERAL)) {
      candidates.push({ strategy: s.name, reason: 'planned only when asked for, or when no hand strategy maps the layer' });
      continue;
    }
    let p: LayerPlan;
    const sizeWhy = arrayReason(s.needs, arch);
    if (canTile(s.needs, arch)) {
      // A 4x4 strategy on a larger array: copies side by side (tile.ts), verified; the paper's four only on request.
      if (s.paper && requested !== s.name) { candidates.push({ strategy: s.name, reason: `${sizeWhy}; tiling the CF'24 strategies is done only on request` }); continue; }
      try { p = planTiled(s, L, arch); } catch (e) { candidates.push({ strategy: s.name, reason: `${sizeWhy ?? 'a larger array'}; tiled copies: ${(e as Error).message}` }); continue; }
    } else {
      const why = sizeWhy ?? s.supports(L);
      if (why) { candidates.push({ strategy: s.name, reason: why }); continue; }
      // A strategy written for a 4x4 block without wrap-around links runs in the corner of a larger array.
      const embed = !s.needs.native && !('exact' in s.needs.rows) && (arch.rows !== TILE || arch.cols !== TILE);
      const variants = (): LayerPlan => {
        const ps = s.planEndToEndVariants!(L, arch);
        const total = (v: LayerPlan): number => v.cost[optimise] + (hostCost!(v) ?? Infinity);
        return ps.reduce((a, b) => (total(b) < total(a) ? b : a));
      };
      const planOf = hostCost && s.planEndToEndVariants ? variants : hostCost && s.planEndToEnd ? s.planEndToEnd : s.plan;
      try { p = embed ? embedPlan(s.plan(L, makeArch({ ...arch, rows: TILE, cols: TILE })), arch) : planOf(L, arch); } catch (e) { candidates.push({ strategy: s.name, reason: (e as Error).message }); continue; }
    }
    plans.set(s.name, p);
    candidates.push({ strategy: s.name, estimate: { ...p.cost } });
  }
  if (hostCost) {
    // Host cycles in ascending order of array cycles; a plan whose array cycles alone exceed the best
    // end-to-end total so far cannot win and is not costed (its candidate shows no host figure).
    let bestTotal = Infinity;
    const order = candidates.filter((c) => c.estimate && (requested === 'auto' || requested === c.strategy)).sort((a, b) => a.estimate![optimise] - b.estimate![optimise]);
    for (const c of order) {
      if (c.estimate![optimise] >= bestTotal && c.strategy !== requested) continue;
      const h = hostCost(plans.get(c.strategy)!);
      if (h === undefined) continue;
      c.host = h;
      bestTotal = Math.min(bestTotal, c.estimate![optimise] + h);
    }
  }
  if (plans.size === 0) return { requested, candidates, hostReason: `no strategy accepts this layer on a ${arch.rows}x${arch.cols} array (${summarise(candidates)})` };
  if (requested !== 'auto' && plans.has(requested)) return { plan: plans.get(requested)!, requested, candidates };
  let best: LayerPlan | undefined;
  const hostOf = new Map(candidates.filter((c) => c.host !== undefined).map((c) => [c.strategy, c.host!]));
  const score = (p: LayerPlan): number => {
    if (!hostCost || hostOf.size === 0) return estimateWithCalls(p, arch, optimise);
    const h = hostOf.get(p.strategy);
    return h === undefined ? Infinity : p.cost[optimise] + h;
  };
  for (const p of plans.values()) if (!best || score(p) < score(best)) best = p;
  const note = requested === 'auto' ? undefined
    : `${requested} cannot map this layer (${candidates.find((c) => c.strategy === requested)?.reason ?? 'unknown strategy'}); auto chose ${best!.strategy}`;
  return { plan: best!, requested, candidates, ...(note ? { note } : {}) };
}
