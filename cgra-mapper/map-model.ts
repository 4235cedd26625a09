// Maps every CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED of a kernel module onto the array (one plan per
// layer, strategy per config: global `strategy` and per-layer `layers` overrides, `auto` by the analytical
// cost model), then checks every layer in the simulator against the golden runtime: each layer is fed the
// golden runtime's own input tensor of that layer and its int8 output must equal the golden one bit for bit.
// The figures per layer (both bus models, MAC/cycle, PE utilisation, memory accesses, energy, host work) are
// what the report prints.
import { bytesPerElement, numElements, type Graph } from '../compiler/ir/graph.ts';
import type { KernelModule, KernelOp } from '../compiler/kernel-ir/types.ts';
import type { Arith } from '../compiler/quant/multiplier.ts';
import type { BusModel, CgraArch } from './arch.ts';
import { hostReason, layerOf, type CgraLayer } from './layer.ts';
import type { HostWork, LayerPlan } from './plan.ts';
import { layerProgram } from './host/layer-program.ts';
import { hostVisibleCycles } from './host/cost.ts';
import { DeriveError } from './host/derive.ts';
import { runPlan } from './run.ts';
import { chooseOrHost, type Candidate, type Choice } from './strategies/index.ts';
import { randomInputSets } from '../compiler/rng.ts';
import { floatInputRange } from '../compiler/quant/quantize.ts';

export interface MapOptions {
  arch: CgraArch; strategy: string; layers?: Record<string, string>; /** Bus model auto optimises (default shared). */ optimise?: BusModel;
  /** `auto` by end-to-end cycles: array + the host program's cycles the array does not hide (host/cost.ts) in this arithmetic. */
  endToEnd?: Arith;
  /** Strategies auto may choose from. */
  strategies?: readonly string[];
}

/**
 * The host program's modelled cycles for a plan that the array does not hide (host/cost.ts hostVisibleCycles:
 * stage groups and post-steps overlapping the launches as the emitted C runs them), or undefined when the
 * host program cannot drive it.
 */
export function planHostCycles(p: LayerPlan, arith: Arith): number | undefined {
  try { return hostVisibleCycles(layerProgram(p, arith), p.cost.shared); } catch (e) { if (e instanceof DeriveError) return undefined; throw e; }
}
export interface MappedLayer { op: KernelOp; name: string; layer: CgraLayer; choice: Choice }

/** The name a config's `layers:` uses for a kernel op: its graph op's name, else its graph op index. */
export const layerKey = (op: KernelOp, graph?: Graph): string => graph?.ops[op.sourceOp]?.name ?? op.name ?? String(op.sourceOp);

/**
 * Plans every conv / depthwise / FC layer. A layer no strategy accepts on this array (e.g. a 4x4 hand
 * strategy on an 8x8 array) is not mapped: it goes to `host` with every strategy's reason, and the host
 * CPU runs it (the report lists it; it is never simulated, so never a mismatch).
 */
export function mapModule(km: KernelModule, opts: MapOptions, graph?: Graph, host?: HostLayer[]): MappedLayer[] {
  const out: MappedLayer[] = [];
  for (const op of km.ops) {
    const layer = layerOf(op, km.consts);
    if (!layer) continue;
    const name = layerKey(op, graph);
    const requested = opts.layers?.[name] ?? opts.strategy;
    const arith = opts.endToEnd;
    const choice = chooseOrHost(layer, opts.arch, requested, opts.optimise, {
      ...(arith ? { hostCost: (p: LayerPlan) => planHostCycles(p, arith) } : {}), ...(opts.strategies ? { allowed: opts.strategies } : {}),
    });
    if (choice.plan) out.push({ op, name, layer, choice });
    else host?.push({ index: op.index, name: op.name, op: op.kind, macs: op.macs, reason: choice.hostReason });
  }
  return out;
}

/** A layer the host CPU runs, and why (the report lists it next to the mapped ones). */
export interface HostLayer { index: number; name: string; op: string; macs: number; reason: string }

export function hostLayers(km: KernelModule, graph?: Graph): HostLayer[] {
  return km.ops.flatMap((op) => {
    const reason = hostReason(op, graph);
    return reason === undefined ? [] : [{ index: op.index, name: op.name, op: op.kind, macs: op.macs, reason }];
  });
}

export interface LayerFigures {
  strategy: string;
  requested: string;
  note?: string;
  launches: number;
  /** Shared bus, array cycles + callCycles per launch (the headline figure). */
  cycles: number;
  macPerCycle: number;
  arrayCycles: number;
  /** Ports bus, same accounting. */
  cyclesPorts: number;
  macPerCyclePorts: number;
  peUtilisation: number;
  memAccesses: { loads: number; stores: number; unaligned: number };
  energyJ: number;
  hostWork: HostWork;
  /** The analytical cost model's figures (same accounting) and whether the simulation confirmed them exactly. */
  estimate: { shared: number; ports: number; exact: boolean };
  /** The dataflow's loop-body ceiling (MAC/cycle) and the multiply slots executed (real + wasted). */
  peakMacPerCycle: number;
  slotMacs: number;
  candidates: Candidate[];
  /** The host program's modelled cycles for this plan that the array does not hide (host/cost.ts hostVisibleCycles), when `auto` chose by end-to-end cycles. */
  hostEstimate?: number;
  bitExact: boolean;
  mismatches: number;
  inputsChecked: number;
}
export interface LayerResult { index: number; name: string; op: string; macs: number; cgra: LayerFigures }
export interface ModelTotals {
  layers: number; macs: number; cycles: number; macPerCycle: number; cyclesPorts: number; macPerCyclePorts: number;
  launches: number; energyJ: number; hostPreBytes: number; bitExact: boolean; bitExactLayers: number;
}
export interface GoldenLike { run(graph: Graph, inputs: Array<Int8Array | Int16Array | Int32Array | Float32Array>, opts: { arith: Arith; keepAll: boolean }): { tensors?: Map<number, Int8Array | Int16Array | Int32Array | Float32Array> } }

/** The golden runtime's int8 tensors (the array maps int8 layers only; float32 / int16 edge tensors stay on the host). */
export function int8Tensors(t: Map<number, Int8Array | Int16Array | Int32Array | Float32Array>): Map<number, Int8Array> {
  return new Map([...t].filter((e): e is [number, Int8Array] => e[1] instanceof Int8Array));
}

/** Runs every mapped layer on the simulator for each input and compares with the golden runtime. */
export function simulateModel(graph: Graph, km: KernelModule, mapped: MappedLayer[], golden: GoldenLike, inputs: Array<Array<Int8Array | Int16Array | Int32Array | Float32Array>>, arith: Arith,
  arch: CgraArch, onLayer?: (r: LayerResult) => void): { layers: LayerResult[]; totals: ModelTotals } {
  const tensorByName = new Map(graph.tensors.map((t) => [t.name, t.id]));
  const runs = inputs.map((inp) => int8Tensors(golden.run(graph, inp, { arith, keepAll: true }).tensors!));
  const layers: LayerResult[] = [];
  for (const m of mapped) {
    const inId = tensorByName.get(km.buffers[m.op.inputs[0]].name);
    const outId = tensorByName.get(km.buffers[m.op.output].name);
    if (inId === undefined || outId === undefined) throw new Error(`${m.name}: its tensors are not in the graph`);
    let mismatches = 0;
    let shared: ReturnType<typeof runPlan> | undefined;
    runs.forEach((t, i) => {
      const r = runPlan(m.choice.plan, t.get(inId)!, arith, arch, 'shared');
      if (i === 0) shared = r;
      const want = t.get(outId)!;
      for (let k = 0; k < want.length; k++) if (want[k] !== r.output[k]) mismatches++;
    });
    const ports = runPlan(m.choice.plan, runs[0].get(inId)!, arith, arch, 'ports');
    const f = shared!.figures;
    const plan = m.choice.plan;
    const res: LayerResult = {
      index: m.op.index, name: m.name, op: m.op.kind, macs: m.layer.macs,
      cgra: {
        strategy: plan.strategy, requested: m.choice.requested, ...(m.choice.note ? { note: m.choice.note } : {}),
        launches: f.launches, cycles: f.cycles, macPerCycle: m.layer.macs / f.cycles, arrayCycles: f.arrayCycles,
        cyclesPorts: ports.figures.cycles, macPerCyclePorts: m.layer.macs / ports.figures.cycles, peUtilisation: f.peUtilisation,
        memAccesses: { loads: f.loads, stores: f.stores, unaligned: f.unaligned }, energyJ: f.energyJ,
        hostWork: { ...plan.hostWork, notes: [...plan.hostWork.notes, `input offset ${m.layer.q.inputOffset} x sum of weights folded into the bias offline`, 'bias added and int32 requantised to int8 on the host'] },
        estimate: {
          shared: plan.cost.shared + plan.cost.launches * arch.callCycles, ports: plan.cost.ports + plan.cost.launches * arch.callCycles,
          exact: plan.cost.shared === f.arrayCycles && plan.cost.ports === ports.figures.arrayCycles,
        },
        peakMacPerCycle: plan.peak, slotMacs: plan.slotMacs,
        candidates: m.choice.candidates, ...(hostOf(m) !== undefined ? { hostEstimate: hostOf(m) } : {}), bitExact: mismatches === 0, mismatches, inputsChecked: inputs.length,
      },
    };
    layers.push(res);
    onLayer?.(res);
  }
  return { layers, totals: totalsOf(layers) };
}

const hostOf = (m: MappedLayer): number | undefined => m.choice.candidates.find((c) => c.strategy === m.choice.plan.strategy)?.host;

export function totalsOf(layers: LayerResult[]): ModelTotals {
  const sum = (f: (l: LayerResult) => number): number => layers.reduce((a, l) => a + f(l), 0);
  const macs = sum((l) => l.macs), cycles = sum((l) => l.cgra.cycles), cyclesPorts = sum((l) => l.cgra.cyclesPorts);
  const exact = layers.filter((l) => l.cgra.bitExact).length;
  return {
    layers: layers.length, macs, cycles, macPerCycle: cycles ? macs / cycles : 0, cyclesPorts, macPerCyclePorts: cyclesPorts ? macs / cyclesPorts : 0,
    launches: sum((l) => l.cgra.launches), energyJ: sum((l) => l.cgra.energyJ), hostPreBytes: sum((l) => l.cgra.hostWork.preBytes),
    bitExact: exact === layers.length, bitExactLayers: exact,
  };
}

/**
 * Deterministic random inputs for a graph (xorshift, compiler/rng.ts randomInputSets), `count` sets: int8 inputs
 * as before; float32 edges (a model's QUANTIZE input) as floats in the range their QUANTIZE represents; int16 /
 * int32 inputs (audio models) as uniform random bytes of their width.
 */
export function randomInputs(graph: Graph, count: number, seed = 1): Array<Array<Int8Array | Int16Array | Int32Array | Float32Array>> {
  const specs = graph.inputs.map((id) => {
    const t = graph.tensors[id], float = floatInputRange(graph, id);
    return { elements: numElements(t.shape), float, width: float ? 4 : bytesPerElement(t.dtype) };
  });
  return randomInputSets(specs.map((x) => ({ elements: x.float ? x.elements : x.elements * x.width, float: x.float })), count, seed).map((set) => {
    let at = 0;
    return specs.map((x) => {
      const part = set.slice(at, (at += x.elements * x.width));
      return x.float ? new Float32Array(part.buffer) : x.width === 2 ? new Int16Array(part.buffer) : x.width === 4 ? new Int32Array(part.buffer) : part;
    });
  });
}
