// Host cost model of an array layer's host program (layer-program.ts), in CPU cycles of X-HEEP's core,
// per stage: pre-step (pair images + stage nests), launches (context-memory load + register writes and
// waits per launch) and post-step (post nests). It prices the loop nests the C emitter writes, element by
// element, with the per-instruction timing of CV32E40P's manual: 1 cycle per ALU / load / store
// instruction, MULH 5 cycles, a taken branch 3 cycles (the inner loops are unrolled 4x, so a back edge per
// 4 elements), plus a fixed cost per inner-loop entry. `auto` uses it to choose strategies by end-to-end
// cycles (strategies/index.ts). The measured counts come from the co-simulation on QEMU (cosim-files.ts).
import { MAX_LAUNCH_FNS, primesAhead, type LayerProgram } from './layer-program.ts';
import { longestInner, nestItems, type Nest } from './runs.ts';
import { timeline } from './timeline.ts';

export interface HostCost {
  stage: number; launch: number; post: number; total: number;
  /** Post-step cycles per launch. */
  postPerLaunch: number[];
  /** Stage cycles per group (group l: written before launch l starts, while launch l - 1 runs). */
  stagePerGroup: number[];
  /** Cycles of one launch's start (pointer and id writes) and of the context load. */
  startCycles: number; loadCycles: number;
  /** A start's two parts: the pointer writes (tf_cgra_prime, written ahead while the array runs) and the KERNEL_ID write. */
  primeCycles: number; goCycles: number;
}

const LOOP_ENTRY = 6;
const BACK_EDGE = 3 / 4 + 1;
const MULH = 5;

function stageElement(n: Nest): number {
  const [kind, ...parts] = n.key.split(':');
  switch (kind) {
    case 'img': return 2;
    case 'byte': return 2;
    case 'w4': return n.base[1] % 4 === 0 && n.dims.every((d) => d.delta[1] % 4 === 0) ? 2 : 11;
    case 'p23': return parts.filter((p) => p === 'p').length + 3;
    case 'b4': return parts.reduce((s, p) => s + (p === 'p' ? 3 : 1), 0) + 1;
    default: return 4;
  }
}

function postElement(prog: LayerProgram, n: Nest): number {
  if (n.key === 'a0' || n.key === 'a') return (prog.decode === 'fxp' ? 4 : 1) + (n.key === 'a' ? 3 : 1);
  const decode = prog.decode === 'fxp' ? (prog.biasInDecode && n.key === 'f' ? 4 : 5) : 2;
  const acc = n.key === 'fa' ? 2 : 0;
  const rq = prog.fast ? 1 + MULH + 2 + (prog.channels[0]?.fast?.corr ? 3 : 0) : 40;
  const perChannelLoads = n.dims.length && n.dims[0].delta[0] % prog.layer.outC !== 0 ? 5 : 0;
  return decode + acc + rq + 3 /* clamp, store */ + perChannelLoads;
}

function price(n: Nest, element: number): number {
  const items = nestItems(n);
  const inner = n.dims.length ? n.dims[0].count : 1;
  return items * (element + BACK_EDGE) + (items / inner) * LOOP_ENTRY;
}

export function hostCost(prog: LayerProgram, cols = 4): HostCost {
  const images = (g: number): number => prog.imageParts[g].reduce((a, [from, to]) => a + (to > from ? (to - from) * (5 + 1 + 3) + LOOP_ENTRY : 0), 0);
  const stagePerGroup = prog.stageGroups.map((ns, g) => Math.round(images(g) + ns.reduce((a, n) => a + price(longestInner(n), stageElement(n)), 0)));
  const stage = stagePerGroup.reduce((a, b) => a + b, 0);
  const postPerLaunch = prog.post.map((ns) => Math.round(ns.reduce((a, n) => a + price(n, postElement(prog, n)), 0)));
  const post = postPerLaunch.reduce((a, b) => a + b, 0);
  // Context memory: every image word stored once per layer; per launch: 2 x cols pointer writes, the id, two polls.
  const contextWords = 4 * prog.contextLines + 16;
  const loadCycles = contextWords * 3, primeCycles = 2 * cols * 2 + 4, goCycles = 8, startCycles = primeCycles + goCycles;
  const launch = loadCycles + prog.plan.launches.length * startCycles;
  return { stage: Math.round(stage), launch, post, total: Math.round(stage + launch + post), postPerLaunch, stagePerGroup, startCycles, loadCycles, primeCycles, goCycles };
}

/**
 * The host cycles the array does not hide, as `auto` by end-to-end cycles scores a plan: the modelled host
 * segments in the emitted C's order (stage group 0, context load, launch 0, stage group 1, launch 1's pointers,
 * then per launch: wait, next KERNEL_ID, post-step, stage group l + 2, launch l + 2's pointers; beyond
 * MAX_LAUNCH_FNS launches whole starts and one post-step at the end; emit-c.ts) on
 * measure.ts's timeline, the plan's array estimate per launch (plan.launchCycles, else split evenly); minus the array cycles.
 */
export function hostVisibleCycles(prog: LayerProgram, arrayCycles: number, cols = 4): number {
  const h = hostCost(prog, cols);
  const nl = prog.plan.launches.length;
  const perLaunch = nl <= MAX_LAUNCH_FNS;
  const { ahead } = primesAhead(prog);
  const segs: Array<[number, number]> = [[6, h.stagePerGroup[0] ?? 0], [8, h.loadCycles], [9, h.startCycles], [6, h.stagePerGroup[1] ?? 0]];
  if (ahead) segs.push([8, h.primeCycles]);
  for (let l = 0; l < nl; l++) {
    segs.push([14, 4]);
    if (l + 1 < nl) segs.push([9, ahead ? h.goCycles : h.startCycles]);
    if (perLaunch) segs.push([12, h.postPerLaunch[l] ?? 0], [6, h.stagePerGroup[l + 2] ?? 0]);
    if (ahead && l + 2 < nl) segs.push([8, h.primeCycles]);
  }
  if (!perLaunch) segs.push([12, h.post]);
  const per = prog.plan.launchCycles?.length === nl ? prog.plan.launchCycles.map((c) => (c * arrayCycles) / prog.plan.cost.shared) : Array.from({ length: nl }, () => arrayCycles / nl);
  return Math.round(timeline(segs, per) - arrayCycles);
}
