// The strategy table: every mapping strategy as data (name, what it maps, whether it is one of the CF'24
// paper's four, a support check and its planner). `choosePlan` resolves a requested strategy for one
// layer: `auto` takes the supported strategy with the fewest estimated cycles on the shared bus including
// the per-launch call cost; a named strategy that cannot map the layer falls back to auto, and says so.
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import type { CgraArch } from '../arch.ts';
import type { CgraLayer } from '../layer.ts';
import type { LayerPlan } from '../plan.ts';
import { checkerSupports, planChecker } from './checker.ts';
import { fxpSupports, planCheckerFxp } from './checker-fxp.ts';
import { fcSupports, planFcFxp } from './fc-fxp.ts';
import { dwSupports, planCheckerDw } from './checker-dw.ts';
import { dw4Supports, planCheckerDw4 } from './checker-dw4.ts';
import { planDwResident, residentSupports } from './dw-resident.ts';
import { planDwReuse, reuseSupports } from './dw-reuse.ts';
import { PAPER_STRATEGIES } from './paper.ts';

export interface Strategy {
  name: string;
  summary: string;
  /** One of the four mappings of Carpentieri et al. (CF'24), kept for comparison. */
  paper: boolean;
  /** Why the strategy cannot map the layer, or undefined. */
  supports(L: CgraLayer): string | undefined;
  plan(L: CgraLayer, arch: CgraArch): LayerPlan;
}

export const STRATEGIES: readonly Strategy[] = [
  { name: 'checker', summary: 'checkerboard int8 dataflow: 8 multipliers, 2 pixels x 16 channels per pass (conv, pointwise, FC)', paper: false, supports: checkerSupports, plan: planChecker },
  { name: 'checker-fxp', summary: 'two int8 products per FXPMUL (packed x1 + 2^23 x2 times w2 + 2^23 w1): 8 multipliers, 4 pixels x 8 channels per pass (conv, pointwise, FC)', paper: false, supports: fxpSupports, plan: planCheckerFxp },
  { name: 'fc-fxp', summary: 'single-pixel layers (FC batch 1): packed pairs, 7 multipliers each fed one weight word per multiply step, input pair in a register', paper: false, supports: fcSupports, plan: planFcFxp },
  { name: 'checker-dw', summary: 'checkerboard depthwise: 8 multipliers, an input stream shared by two adjacent pixels at lagged taps, 4 pixels x 8 channels per pass', paper: false, supports: dwSupports, plan: planCheckerDw },
  { name: 'checker-dw4', summary: 'checkerboard depthwise, simple form: 4 multipliers with private feeders, 2 pixels x 8 channels per pass', paper: false, supports: dw4Supports, plan: planCheckerDw4 },
  { name: 'dw-resident', summary: 'depthwise with weights resident in registers: 4 chains (loader, FXPMUL multiplier, two accumulators), two int8 products per multiply, 4 channels per launch', paper: false, supports: residentSupports, plan: planDwResident },
  { name: 'dw-reuse', summary: 'depthwise 3x3: dw-resident chains on horizontal packed pairs, every loaded word multiplied twice (its own pixel, and the tap-2 column of the previous pixel of the line)', paper: false, supports: reuseSupports, plan: planDwReuse },
  ...PAPER_STRATEGIES,
];

export const STRATEGY_NAMES = ['auto', ...STRATEGIES.map((s) => s.name)];

export function strategyByName(name: string): Strategy | undefined {
  return STRATEGIES.find((s) => s.name === name);
}

export interface Candidate { strategy: string; estimate?: { shared: number; ports: number; launches: number }; reason?: string }
export interface Choice { plan: LayerPlan; requested: string; candidates: Candidate[]; note?: string }

/** Estimated cycles as the report counts them: shared bus plus the call cost per launch. */
export const estimateWithCalls = (p: LayerPlan, arch: CgraArch): number => p.cost.shared + p.cost.launches * arch.callCycles;

export function choosePlan(L: CgraLayer, arch: CgraArch, requested: string): Choice {
  const candidates: Candidate[] = [];
  const plans = new Map<string, LayerPlan>();
  for (const s of STRATEGIES) {
    const why = s.supports(L);
    if (why) { candidates.push({ strategy: s.name, reason: why }); continue; }
    let p: LayerPlan;
    try { p = s.plan(L, arch); } catch (e) { candidates.push({ strategy: s.name, reason: (e as Error).message }); continue; }
    plans.set(s.name, p);
    candidates.push({ strategy: s.name, estimate: { ...p.cost } });
  }
  if (plans.size === 0) {
    throw new TinyforgeError(`no CGRA strategy maps this ${L.kind} layer`, { op: `${L.index} (${L.name})` },
      candidates.map((c) => `${c.strategy}: ${c.reason}`).join('; '));
  }
  if (requested !== 'auto' && plans.has(requested)) return { plan: plans.get(requested)!, requested, candidates };
  let best: LayerPlan | undefined;
  for (const p of plans.values()) if (!best || estimateWithCalls(p, arch) < estimateWithCalls(best, arch)) best = p;
  const note = requested === 'auto' ? undefined
    : `${requested} cannot map this layer (${candidates.find((c) => c.strategy === requested)?.reason ?? 'unknown strategy'}); auto chose ${best!.strategy}`;
  return { plan: best!, requested, candidates, ...(note ? { note } : {}) };
}
