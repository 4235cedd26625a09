// SVDF for tests: random single-SVDF graphs (int16 state with int16 time weights, the converter's form; or
// int8 state with int8 time weights, TFLite Micro's int8 variant) and an independent, straightforward
// reference of TFLite Micro's EvalIntegerSvdfReference written from its documented steps in plain
// TypeScript numbers (BigInt for the fixed-point products), for the variant desktop TFLite cannot run (it
// reads int8 time weights and int8 state as int16). The reference keeps its own state between calls.
import type { Graph, Tensor } from '../../compiler/ir/graph.ts';
import { numElements } from '../../compiler/ir/graph.ts';
import { writeTflite } from '../../compiler/frontend/tflite/writer.ts';
import { GoldenState, type GoldenRuntime, type TensorValues } from '../../runtime-wasm/host.ts';
import type { TfliteInterpreter } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { GraphBuilder } from './graph-builder.ts';
import { Rng } from './random-ops.ts';

const f32 = Math.fround;

/** TFLite's QuantizeMultiplier of a double, independently: frexp by repeated halving. */
function quantizeMultiplierRef(real: number): [number, number] {
  if (real === 0) return [0, 0];
  let e = 0, m = real;
  while (m >= 1) { m /= 2; e++; }
  while (m < 0.5) { m *= 2; e--; }
  let q = Math.round(m * 2 ** 31); // m > 0: round half away from zero = Math.round
  if (q === 2 ** 31) { q /= 2; e++; }
  if (e < -31) return [0, 0];
  return [q, e];
}

/** gemmlowp's double-rounding MultiplyByQuantizedMultiplier with BigInt arithmetic. */
function mbqmRef(x: number, m: number, shift: number): number {
  const left = Math.max(shift, 0), right = Math.max(-shift, 0);
  const a = BigInt.asIntN(32, BigInt(x) << BigInt(left));
  const ab = a * BigInt(m);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  let hi = (ab + nudge) / (1n << 31n); // truncating division, as C++
  if (a === -(1n << 31n) && BigInt(m) === -(1n << 31n)) hi = (1n << 31n) - 1n;
  const v = Number(hi);
  if (right === 0) return v;
  const mask = 2 ** right - 1;
  const rem = ((v % 2 ** right) + 2 ** right) % 2 ** right;
  const threshold = Math.floor(mask / 2) + (v < 0 ? 1 : 0);
  return Math.floor(v / 2 ** right) + (rem > threshold ? 1 : 0);
}

const wrap32 = (v: number) => Number(BigInt.asIntN(32, BigInt(v)));

/** TFLite Micro's integer SVDF over consecutive invocations, holding its own state (reset: the zero point for int8). */
export class SvdfReference {
  readonly state: number[];
  private readonly p: { x: Tensor; wf: Tensor; wt: Tensor; b?: Tensor; st: Tensor; y: Tensor; rank: number };
  constructor(g: Graph, opIndex = 0) {
    const op = g.ops[opIndex]!;
    if (op.kind !== 'svdf') throw new Error('not an SVDF op');
    const t = (i: number) => g.tensors[i]!;
    this.p = { x: t(op.inputs[0]!), wf: t(op.inputs[1]!), wt: t(op.inputs[2]!), ...(op.inputs[3]! >= 0 ? { b: t(op.inputs[3]!) } : {}), st: t(op.inputs[4]!), y: t(op.outputs[0]!), rank: op.rank };
    const zp = this.p.st.dtype === 'int8' ? this.p.st.quant!.zeroPoint[0]! : 0;
    this.state = new Array(numElements(this.p.st.shape)).fill(zp);
  }
  run(x: ArrayLike<number>): Int8Array {
    const { wf, wt, b, st, y, rank } = this.p;
    const sc = (t: Tensor) => t.quant!.scale[0]!, zp = (t: Tensor) => t.quant!.zeroPoint[0]!;
    const [batches, inputs] = this.p.x.shape as [number, number];
    const [filters, memory] = wt.shape as [number, number];
    const units = filters / rank;
    const [m1, s1] = quantizeMultiplierRef(f32(f32(sc(this.p.x) * sc(wf)) / sc(st)));
    const [m2, s2] = quantizeMultiplierRef(f32(f32(sc(st) * sc(wt)) / sc(y)));
    const [lo, hi] = st.dtype === 'int16' ? [-32768, 32767] : [-128, 127];
    const s = this.state, sz = zp(st);
    s.copyWithin(0, 1); // shift left by one element (the last keeps its value until overwritten)
    const out = new Int8Array(batches * units);
    for (let bi = 0; bi < batches; bi++) {
      for (let f = 0; f < filters; f++) {
        let dot = 0;
        for (let c = 0; c < inputs; c++) dot += wf.data![f * inputs + c]! as number * (x[bi * inputs + c]! - zp(this.p.x));
        s[(bi * filters + f) * memory + memory - 1] = Math.min(hi, Math.max(lo, mbqmRef(dot, m1, s1) + sz));
      }
      for (let u = 0; u < units; u++) {
        let acc = b ? (b.data![u] as number) : 0;
        for (let r = 0; r < rank; r++) {
          const f = u * rank + r;
          let t = 0;
          for (let j = 0; j < memory; j++) t = wrap32(t + (wt.data![f * memory + j] as number) * (s[(bi * filters + f) * memory + j]! - sz));
          acc = wrap32(acc + t);
        }
        out[bi * units + u] = Math.min(127, Math.max(-128, mbqmRef(acc, m2, s2) + zp(y)));
      }
    }
    return out;
  }
}

/** A random single-SVDF graph: int16 state (`state: 'int16'`, the form desktop TFLite runs) or int8 state. */
export function randomSvdfGraph(seed: number, state: 'int8' | 'int16'): { graph: Graph; describe: string } {
  const r = new Rng(seed);
  const batches = r.int(1, 2), inputs = r.int(1, 40), rank = r.int(1, 3), units = r.int(1, 12), memory = r.int(1, 10);
  const filters = units * rank;
  const b = new GraphBuilder(`svdf_${seed}`);
  // Scales chosen so that typical feature values use a good part of the state's range and typical outputs
  // land mid-range (saturation only in the tails): from the expected magnitudes of the two dot products.
  const xs = f32(0.01 + r.next() * 0.2), wfs = f32(0.002 + r.next() * 0.02), wts = f32(0.0005 + r.next() * 0.02);
  const stTarget = (state === 'int16' ? 3000 : 30) * (0.5 + r.next() * 1.5);
  const sts = f32((64 * 74 * Math.sqrt(inputs) * xs * wfs) / stTarget);
  const rmsWt = state === 'int16' ? 18900 : 73;
  const stZp = state === 'int8' ? r.int(-60, 60) : 0;
  const ys = f32((rmsWt * stTarget * Math.sqrt(memory * rank) * sts * wts) / (40 * (0.5 + r.next() * 1.5)));
  const x = b.act('x', [batches, inputs], xs, r.int(-128, 127));
  const wf = b.constant('wf', [filters, inputs], Int8Array.from({ length: filters * inputs }, () => r.int(-127, 127)), [wfs]);
  const wtData = state === 'int16' ? Int16Array.from({ length: filters * memory }, () => r.int(-32767, 32767)) : Int8Array.from({ length: filters * memory }, () => r.int(-127, 127));
  const wt = b.constant('wt', [filters, memory], wtData, [wts]);
  const bias = r.next() < 0.8 ? b.constant('bias', [units], Int32Array.from({ length: units }, () => r.int(-1, 1) * Math.round(rmsWt * stTarget * r.next())), [f32(sts * wts)]) : -1;
  const st = b.tensor({ name: 'state', shape: [batches, filters * memory], dtype: state, quant: { scale: [sts], zeroPoint: [stZp] }, variable: true });
  const y = b.act('y', [batches, units], ys, r.int(-128, 127));
  b.op({ kind: 'svdf', inputs: [x, wf, wt, bias, st], outputs: [y], rank, activation: r.next() < 0.5 ? 'relu' : 'none', asymmetricQuantizeInputs: false });
  return { graph: b.io([x], [y]), describe: `seed ${seed}: ${state} state, batches ${batches}, inputs ${inputs}, filters ${filters} (rank ${rank}), memory ${memory}${bias < 0 ? ', no bias' : ''}` };
}

/** `n` random int8 inputs for a one-input graph (one per invocation). */
export function randomSequence(g: Graph, n: number, seed: number): Int8Array[] {
  const r = new Rng(seed);
  const len = numElements(g.tensors[g.inputs[0]!]!.shape);
  return Array.from({ length: n }, () => Int8Array.from({ length: len }, () => r.int(-128, 127)));
}

/** True when the graph has an SVDF whose state is int8: desktop TFLite cannot run it (it reads the state and
 *  the time weights as int16), so a whole-model comparison with its interpreter is no reference. */
export function hasInt8StateSvdf(g: Graph): boolean {
  return g.ops.some((op) => op.kind === 'svdf' && g.tensors[op.inputs[4]!]!.dtype === 'int8');
}

/** A model holding graph op `k` alone (its non-constant, non-state operands as inputs), for TFLite's interpreter. */
export function oneOpModel(g: Graph, k: number): Uint8Array {
  const op = g.ops[k]!;
  const ids = [...new Set([...op.inputs, ...op.outputs].filter((i) => i >= 0))];
  const inputs = op.inputs.filter((i) => i >= 0 && !g.tensors[i]!.data);
  return writeTflite({ name: `op${k}`, tensors: ids.map((id) => g.tensors[id]!), ops: [op], inputs, outputs: [...op.outputs] });
}

/**
 * The golden runtime (`tflite` arithmetic, state carried over `sets` as consecutive invocations) checked layer
 * by layer against independent references: each SVDF layer's output and activation history against
 * SvdfReference (its own state, fed the golden runtime's input of that layer), each other layer against
 * TFLite's interpreter on a one-op model fed the golden runtime's inputs of that layer.
 */
export function compareByLayer(g: Graph, sets: ReadonlyArray<ReadonlyArray<ArrayLike<number>>>, golden: Pick<GoldenRuntime, 'run'>, tfl: TfliteInterpreter):
  { ok: boolean; layers: number; inputs: number; error?: string; stateValues: number; stateInside: number } {
  const state = new GoldenState(g as Graph);
  const refs = new Map(g.ops.flatMap((op, k) => (op.kind === 'svdf' ? [[k, new SvdfReference(g, k)] as const] : [])));
  const single = new Map(g.ops.flatMap((op, k) => (op.kind === 'svdf' ? [] : [[k, tfl.prepare(oneOpModel(g, k))] as const])));
  let stateValues = 0, stateInside = 0;
  try {
    for (let inv = 0; inv < sets.length; inv++) {
      const tensors = golden.run(g, sets[inv] as TensorValues[], { arith: 'tflite', keepAll: true, state }).tensors!;
      for (const [k, op] of g.ops.entries()) {
        const got = tensors.get(op.outputs[0]!)!;
        const ins = op.inputs.filter((i) => i >= 0 && !g.tensors[i]!.data && !g.tensors[i]!.variable).map((i) => tensors.get(i)!);
        const want = op.kind === 'svdf' ? refs.get(k)!.run(ins[0]!) : single.get(k)!.runTensors(ins)[0]!.data;
        const i = Array.from(got).findIndex((v, j) => v !== want[j]);
        const fail = (what: string, at: number, a: unknown, b: unknown) => ({ ok: false, layers: g.ops.length, inputs: inv + 1, stateValues, stateInside,
          error: `invocation ${inv}, op ${k} (${op.kind}): ${what} differs at ${at}: golden ${a}, reference ${b}` });
        if (i >= 0) return fail('output', i, got[i], want[i]);
        if (op.kind !== 'svdf') continue;
        const st = g.tensors[op.inputs[4]!]!, mine = tensors.get(st.id)!, ref = refs.get(k)!.state;
        const j = Array.from(mine).findIndex((v, q) => v !== ref[q]);
        if (j >= 0) return fail(`state '${st.name}'`, j, mine[j], ref[j]);
        const [lo, hi] = st.dtype === 'int16' ? [-32768, 32767] : [-128, 127];
        for (const v of mine) { stateValues++; if (v > lo && v < hi) stateInside++; }
      }
    }
  } finally { for (const h of single.values()) h.dispose(); }
  return { ok: true, layers: g.ops.length, inputs: sets.length, stateValues, stateInside };
}
