// The `network:` section of a build config -> graph IR. Layers are listed in order; each reads the previous
// layer unless `input`/`inputs` name others. Which keys an op takes is a table (LAYER_FIELDS). Weights are
// generated from a seed (mulberry32; int8 in [-127, 127], int32 bias) or read from raw little-endian files.
// Quantisation is calibrated as post-training quantisation does (calibrate.ts): a few seeded random inputs
// run through the layers in float, and each output's scale and zero point cover the values seen (0.1..99.9th
// percentile plus a margin, always including 0), unless `output:` sets them. Biases are drawn relative to
// the accumulator's spread (add_conv2d: chosen to centre it). All scales are float32 values. Per-channel
// weight scales for conv/depthwise/FC (axis 0 / 3 as TFLite); add_conv2d uses one weight scale equal to
// its input scale (AdderNet's L1 distance is then in input units).
import { readFileSync, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { TinyforgeError } from '../../diagnostics.ts';
import { MAX_TENSOR_ELEMENTS } from '../../limits.ts';
import { numElements, type Activation, type Graph, type Op, type Padding, type Quant, type Tensor, type TensorData } from '../../ir/graph.ts';
import { inferShape, validateGraph } from '../../ir/validate.ts';
import { applyActivation, fakeQuant, floatOp, type LayerGraphOp } from './calibrate.ts';
import type { LAYER_OPS } from './schema.ts';
import { showValue, type YamlPath, type YamlSource } from './source.ts';
import { mulberry32 } from '../../rng.ts';

export type LayerOp = (typeof LAYER_OPS)[number];
type Pair = number | [number, number];

export interface LayerSpec {
  op: LayerOp;
  name?: string;
  input?: string;
  inputs?: string[];
  filters?: number;
  units?: number;
  kernel?: Pair;
  stride?: Pair;
  dilation?: Pair;
  padding?: Padding;
  groups?: number;
  depth_multiplier?: number;
  activation?: Activation;
  shape?: number[];
  beta?: number;
  shifts?: Array<[number, number]>;
  output?: { scale: number; zero_point?: number };
  weights?: { seed?: number; file?: string; bias?: string; scale?: number | number[] };
}

export interface NetworkSpec {
  seed?: number;
  input: { name?: string; shape: number[]; scale?: number; zero_point?: number };
  layers: LayerSpec[];
}

/** Keys each op takes besides op, name, input, inputs (required ones first). */
export const LAYER_FIELDS: Record<LayerOp, { required: (keyof LayerSpec)[]; optional: (keyof LayerSpec)[] }> = {
  conv2d: { required: ['filters', 'kernel'], optional: ['stride', 'padding', 'dilation', 'groups', 'activation', 'output', 'weights'] },
  depthwise_conv2d: { required: ['kernel'], optional: ['stride', 'padding', 'dilation', 'depth_multiplier', 'activation', 'output', 'weights'] },
  fully_connected: { required: ['units'], optional: ['activation', 'output', 'weights'] },
  add: { required: ['inputs'], optional: ['activation', 'output'] },
  average_pool2d: { required: ['kernel'], optional: ['stride', 'padding', 'activation'] },
  max_pool2d: { required: ['kernel'], optional: ['stride', 'padding', 'activation'] },
  reshape: { required: ['shape'], optional: [] },
  flatten: { required: [], optional: [] },
  softmax: { required: [], optional: ['beta'] },
  shift_conv2d: { required: ['filters'], optional: ['shifts', 'kernel', 'stride', 'activation', 'output', 'weights'] },
  add_conv2d: { required: ['filters', 'kernel'], optional: ['stride', 'padding', 'dilation', 'activation', 'output', 'weights'] },
};

export { mulberry32 };

const f32 = Math.fround;
const pair = (v: Pair | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const clampI32 = (v: number) => Math.max(-2147483648, Math.min(2147483647, Math.round(v)));
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
/** Random inputs the calibration runs (enough values for a percentile even at a 10-unit output). */
const CALIBRATION_INPUTS = 4;
const concat = (parts: Float64Array[]) => { const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0)); let o = 0; for (const p of parts) { out.set(p, o); o += p.length; } return out; };

/** Per-tensor int8 quantisation covering the bulk of `values` (0.1..99.9th percentile, including 0) plus a
 *  margin for unseen inputs: 10%, or 25% when few values make the percentiles noisy. */
export function calibratedQuant(values: Float64Array): Quant {
  const v = Float64Array.from(values).sort();
  const margin = v.length >= 1000 ? 1.1 : 1.25;
  let lo = Math.min(0, v[Math.floor(0.001 * (v.length - 1))] ?? 0) * margin;
  let hi = Math.max(0, v[Math.ceil(0.999 * (v.length - 1))] ?? 0) * margin;
  if (!(hi - lo > 1e-12)) { lo = -1e-3; hi = 1e-3; }
  const scale = f32((hi - lo) / 255);
  return { scale: [scale], zeroPoint: [clamp(Math.round(-128 - lo / scale), -128, 127)] };
}

class NetBuilder {
  readonly tensors: Tensor[] = [];
  readonly ops: Op[] = [];
  /** Calibration values (real, fake-quantised) of every activation built so far, one map per input sample. */
  readonly vals: Array<Map<number, Float64Array>> = Array.from({ length: CALIBRATION_INPUTS }, () => new Map());
  readonly byName = new Map<string, number>();
  constructor(readonly src: YamlSource, readonly dir: string, readonly name: string) {}

  tensor(name: string, shape: number[], dtype: Tensor['dtype'], quant?: Quant, data?: TensorData): number {
    const t: Tensor = { id: this.tensors.length, name, shape, dtype };
    if (quant) t.quant = quant;
    if (data) t.data = data;
    this.tensors.push(t);
    return t.id;
  }
  get graph(): Graph {
    return { name: this.name, tensors: this.tensors, ops: this.ops, inputs: [0], outputs: [] };
  }
}

/** Everything a layer builder needs about the layer being built. */
interface Ctx {
  b: NetBuilder;
  spec: LayerSpec;
  index: number;
  name: string;
  path: YamlPath;
  inputs: number[];
  rng: () => number;
  fail(message: string, key?: keyof LayerSpec | YamlPath): never;
}

/** What a layer rule returns: the op (outputs filled in later) and, for ops that keep their input's grid or
 *  have a fixed one, the output quantisation; `bias` is set for ops whose bias is calibrated afterwards. */
interface LayerResult {
  op: Op;
  quant?: Quant;
  shape?: number[];
  bias?: { id: number; centre: boolean };
}
type LayerRule = (c: Ctx, x: Tensor) => LayerResult;

/** Weights (generated or from files) and a bias tensor of a conv-like layer. */
function makeWeights(c: Ctx, shape: number[], outC: number, fanIn: number, axis: number, xq: Quant): { wId: number; bId: number; fromFile: boolean } {
  const n = numElements(shape);
  if (n > MAX_TENSOR_ELEMENTS) c.fail(`weights of shape [${shape}] have ${n} elements, more than the ${MAX_TENSOR_ELEMENTS} a tensor may hold`);
  const w = c.spec.weights ?? {};
  let data: Int8Array;
  let scales: number[];
  if (w.file !== undefined) {
    if (w.seed !== undefined) c.fail('weights take either seed or file, not both', ['weights', 'seed']);
    const file = resolve(c.b.dir, w.file);
    if (!existsSync(file)) c.fail(`weights file not found: ${file}`, ['weights', 'file']);
    if (statSync(file).isDirectory()) c.fail(`weights file ${w.file} is a directory, not a file`, ['weights', 'file']);
    const bytes = readFileSync(file);
    if (bytes.length !== n) c.fail(`weights file ${w.file} has ${bytes.length} bytes; shape [${shape}] int8 needs ${n}`, ['weights', 'file']);
    data = new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n));
    const given = w.scale === undefined ? [Math.sqrt(6 / fanIn) / 127] : typeof w.scale === 'number' ? [w.scale] : w.scale;
    if (given.length !== 1 && given.length !== outC) c.fail(`weights.scale needs 1 or ${outC} values, has ${given.length}`, ['weights', 'scale']);
    scales = Array.from({ length: outC }, (_, ch) => f32(given[given.length === 1 ? 0 : ch]!));
  } else {
    if (w.bias !== undefined) c.fail('weights.bias needs weights.file', ['weights', 'bias']);
    if (w.scale !== undefined) c.fail('weights.scale needs weights.file (generated weights choose their scales)', ['weights', 'scale']);
    if (w.seed !== undefined) c.rng = mulberry32(w.seed);
    data = Int8Array.from({ length: n }, () => Math.floor(c.rng() * 255) - 127);
    // Real weights ~ U(-v, v) * sqrt(6 / fanIn) (He initialisation for ReLU networks, so magnitudes neither
    // vanish nor explode with depth), v in [0.5, 1.5) per channel: distinct per-channel scales.
    scales = Array.from({ length: outC }, () => f32(((0.5 + c.rng()) * Math.sqrt(6 / fanIn)) / 127));
  }
  const biasScales = scales.map((s) => f32(xq.scale[0]! * s));
  let bias = new Int32Array(outC);
  if (w.bias !== undefined) {
    const file = resolve(c.b.dir, w.bias);
    if (!existsSync(file)) c.fail(`bias file not found: ${file}`, ['weights', 'bias']);
    if (statSync(file).isDirectory()) c.fail(`bias file ${w.bias} is a directory, not a file`, ['weights', 'bias']);
    const bytes = readFileSync(file);
    if (bytes.length !== 4 * outC) c.fail(`bias file ${w.bias} has ${bytes.length} bytes; ${outC} int32 values need ${4 * outC}`, ['weights', 'bias']);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    bias = Int32Array.from({ length: outC }, (_, i) => dv.getInt32(4 * i, true));
  }
  const perChannel = outC > 1;
  const wq: Quant = { scale: perChannel ? scales : [scales[0]!], zeroPoint: perChannel ? scales.map(() => 0) : [0] };
  const bq: Quant = { scale: perChannel ? biasScales : [biasScales[0]!], zeroPoint: perChannel ? biasScales.map(() => 0) : [0] };
  if (perChannel) { wq.axis = axis; bq.axis = 0; }
  const wId = c.b.tensor(`${c.name}/weights`, shape, 'int8', wq, data);
  const bId = c.b.tensor(`${c.name}/bias`, [outC], 'int32', bq, bias);
  return { wId, bId, fromFile: w.file !== undefined };
}

const act = (c: Ctx): Activation => c.spec.activation ?? 'none';
const nhwc = (c: Ctx, x: Tensor) => { if (x.shape.length !== 4) c.fail(`${c.spec.op} needs an NHWC input, got shape [${x.shape}]`, 'input'); return x.shape as [number, number, number, number]; };

function conv(c: Ctx, x: Tensor): LayerResult {
  const s = c.spec;
  const inC = nhwc(c, x)[3];
  const groups = s.groups ?? 1;
  if (inC % groups !== 0 || s.filters! % groups !== 0) c.fail(`groups ${groups} must divide the input channels ${inC} and filters ${s.filters}`, 'groups');
  const [kh, kw] = pair(s.kernel, 1);
  const { wId, bId, fromFile } = makeWeights(c, [s.filters!, kh, kw, inC / groups], s.filters!, kh * kw * (inC / groups), 0, x.quant!);
  const op: Op = { kind: 'conv2d', stride: pair(s.stride, 1), dilation: pair(s.dilation, 1), padding: s.padding ?? 'same', activation: act(c), inputs: [x.id, wId, bId], outputs: [] };
  return fromFile ? { op } : { op, bias: { id: bId, centre: false } };
}

/** AdderNet: acc = bias - sum |x - zp - w|; one weight scale equal to the input scale, weights drawn from
 *  calibration inputs (templates of the input), bias centring the accumulator. Generated weights only. */
function addConv(c: Ctx, x: Tensor): LayerResult {
  const s = c.spec;
  const inC = nhwc(c, x)[3];
  if ((s.groups ?? 1) !== 1) c.fail('add_conv2d does not support groups', 'groups');
  if (s.weights?.file !== undefined || s.weights?.bias !== undefined || s.weights?.scale !== undefined) c.fail('add_conv2d takes only generated weights ({seed: N})', 'weights');
  if (s.weights?.seed !== undefined) c.rng = mulberry32(s.weights.seed);
  const [kh, kw] = pair(s.kernel, 1);
  const xs = x.quant!.scale[0]!, zp = x.quant!.zeroPoint[0]!;
  const xv = c.b.vals[0]!.get(x.id)!;
  const shape = [s.filters!, kh, kw, inC];
  const data = Int8Array.from({ length: numElements(shape) }, (_, i) => {
    const v = xv[Math.floor(c.rng() * (xv.length / inC)) * inC + (i % inC)]!; // same channel, random position
    return clamp(Math.round(v / xs), Math.max(-127, -128 - zp), Math.min(127, 127 - zp));
  });
  const ws = f32(xs);
  const wId = c.b.tensor(`${c.name}/weights`, shape, 'int8', { scale: [ws], zeroPoint: [0] }, data);
  const bId = c.b.tensor(`${c.name}/bias`, [s.filters!], 'int32', { scale: [f32(xs * ws)], zeroPoint: [0] }, new Int32Array(s.filters!));
  const op: Op = { kind: 'add_conv2d', stride: pair(s.stride, 1), dilation: pair(s.dilation, 1), padding: s.padding ?? 'same', activation: act(c), inputs: [x.id, wId, bId], outputs: [] };
  return { op, bias: { id: bId, centre: true } };
}

function pool(c: Ctx, x: Tensor): LayerResult {
  const s = c.spec;
  nhwc(c, x);
  const op: Op = { kind: s.op as 'average_pool2d' | 'max_pool2d', filter: pair(s.kernel, 1), stride: pair(s.stride ?? s.kernel, 1), padding: s.padding ?? 'valid', activation: act(c), inputs: [x.id], outputs: [] };
  return { op, quant: x.quant };
}

export const LAYER_RULES: Record<LayerOp, LayerRule> = {
  conv2d: conv,
  add_conv2d: addConv,
  depthwise_conv2d: (c, x) => {
    const s = c.spec;
    const inC = nhwc(c, x)[3];
    const [kh, kw] = pair(s.kernel, 1);
    const m = s.depth_multiplier ?? 1;
    const { wId, bId, fromFile } = makeWeights(c, [1, kh, kw, inC * m], inC * m, kh * kw, 3, x.quant!);
    const op: Op = { kind: 'depthwise_conv2d', stride: pair(s.stride, 1), dilation: pair(s.dilation, 1), padding: s.padding ?? 'same', depthMultiplier: m, activation: act(c), inputs: [x.id, wId, bId], outputs: [] };
    return fromFile ? { op } : { op, bias: { id: bId, centre: false } };
  },
  fully_connected: (c, x) => {
    const inC = x.shape[x.shape.length - 1]!;
    const { wId, bId, fromFile } = makeWeights(c, [c.spec.units!, inC], c.spec.units!, inC, 0, x.quant!);
    const op: Op = { kind: 'fully_connected', activation: act(c), keepNumDims: false, inputs: [x.id, wId, bId], outputs: [] };
    return fromFile ? { op } : { op, bias: { id: bId, centre: false } };
  },
  add: (c) => ({ op: { kind: 'add', activation: act(c), inputs: [c.inputs[0]!, c.inputs[1]!], outputs: [] } }),
  average_pool2d: pool,
  max_pool2d: pool,
  reshape: (c, x) => {
    const shape = [...c.spec.shape!];
    const n = numElements(x.shape);
    const free = shape.filter((d) => d === -1).length;
    if (free > 1 || shape.some((d) => d === 0)) c.fail(`shape [${shape}] may contain at most one -1 and no 0`, 'shape');
    if (free) shape[shape.indexOf(-1)] = n / numElements(shape.filter((d) => d !== -1));
    if (numElements(shape) !== n || !shape.every(Number.isInteger)) c.fail(`shape [${c.spec.shape}] does not hold the input's ${n} elements ([${x.shape}])`, 'shape');
    return { op: { kind: 'reshape', inputs: [x.id], outputs: [] }, quant: x.quant, shape };
  },
  flatten: (_c, x) => ({ op: { kind: 'reshape', inputs: [x.id], outputs: [] }, quant: x.quant, shape: [x.shape[0]!, numElements(x.shape.slice(1))] }),
  softmax: (c, x) => ({ op: { kind: 'softmax', beta: c.spec.beta ?? 1, inputs: [x.id], outputs: [] }, quant: { scale: [1 / 256], zeroPoint: [-128] } }),
  shift_conv2d: (c, x) => {
    const s = c.spec;
    const inC = nhwc(c, x)[3];
    let shifts: Array<[number, number]>;
    if (s.shifts) {
      if (s.shifts.length !== inC) c.fail(`shifts needs one [dy, dx] per input channel (${inC}), has ${s.shifts.length}`, 'shifts');
      if (s.kernel !== undefined) c.fail('give either shifts or kernel (for generated shifts), not both', 'kernel');
      shifts = s.shifts.map(([dy, dx]) => [dy, dx]);
    } else {
      // Channels split into k*k equal groups, one per offset of a k x k window (ShiftNet's grouped shift).
      const [kh, kw] = pair(s.kernel, 3);
      const offsets: Array<[number, number]> = [];
      for (let dy = -(kh >> 1); dy <= (kh - 1) >> 1; dy++) for (let dx = -(kw >> 1); dx <= (kw - 1) >> 1; dx++) offsets.push([dy, dx]);
      shifts = Array.from({ length: inC }, (_, ch) => offsets[Math.floor((ch * offsets.length) / inC)]!);
    }
    const { wId, bId, fromFile } = makeWeights(c, [s.filters!, 1, 1, inC], s.filters!, inC, 0, x.quant!);
    const op: Op = { kind: 'shift_conv2d', shifts, stride: pair(s.stride, 1), activation: act(c), inputs: [x.id, wId, bId], outputs: [] };
    return fromFile ? { op } : { op, bias: { id: bId, centre: false } };
  },
};

/** Draws (or, for add_conv2d, centres) the bias from the accumulator's calibration values; returns the
 *  pre-activation values with the bias added. */
function calibrateBias(c: Ctx, t: Tensor, acc: Float64Array, centre: boolean): Float64Array {
  const n = t.shape[0]!;
  const sum = new Float64Array(n), sq = new Float64Array(n), cnt = acc.length / n;
  acc.forEach((v, i) => { sum[i % n] += v; sq[i % n] += v * v; });
  const bias = t.data as Int32Array;
  for (let ch = 0; ch < n; ch++) {
    const mean = sum[ch]! / cnt, rms = Math.sqrt(sq[ch]! / cnt);
    const real = centre ? -mean : (c.rng() * 2 - 1) * 0.2 * rms;
    bias[ch] = clampI32(real / t.quant!.scale[t.quant!.scale.length === 1 ? 0 : ch]!);
  }
  const scale = (ch: number) => t.quant!.scale[t.quant!.scale.length === 1 ? 0 : ch]!;
  return acc.map((v, i) => v + bias[i % n]! * scale(i % n));
}

export function buildNetwork(src: YamlSource, net: NetworkSpec, dir: string, name: string): Graph {
  const b = new NetBuilder(src, dir, name);
  const inShape = net.input.shape.length === 3 ? [1, ...net.input.shape] : [...net.input.shape];
  const inQuant: Quant = { scale: [f32(net.input.scale ?? 1 / 128)], zeroPoint: [net.input.zero_point ?? 0] };
  const inName = net.input.name ?? 'input';
  if (numElements(inShape) > MAX_TENSOR_ELEMENTS) {
    throw src.error(['network', 'input', 'shape'], `input shape [${inShape}] has ${numElements(inShape)} elements, more than the ${MAX_TENSOR_ELEMENTS} a tensor may hold`);
  }
  const inId = b.tensor(inName, inShape, 'int8', inQuant);
  const baseSeed = net.seed ?? 1;
  // Calibration input: uniform over the input's int8 range.
  const calRng = mulberry32(baseSeed ^ 0x5eed);
  for (const v of b.vals) v.set(inId, Float64Array.from({ length: numElements(inShape) }, () => (Math.floor(calRng() * 256) - 128 - inQuant.zeroPoint[0]!) * inQuant.scale[0]!));
  b.byName.set(inName, inId);
  let prev = inId;
  net.layers.forEach((spec, index) => {
    const path: YamlPath = ['network', 'layers', index];
    const layerName = spec.name ?? `${spec.op}_${index}`;
    const fail = (message: string, key?: keyof LayerSpec | YamlPath): never => {
      const at = key === undefined ? path : typeof key === 'string' ? [...path, key] : [...path, ...key];
      throw src.error(at, `layer ${index} (${spec.op} '${layerName}'): ${message}`);
    };
    const fields = LAYER_FIELDS[spec.op];
    for (const k of Object.keys(spec) as (keyof LayerSpec)[]) {
      if (['op', 'name', 'input', 'inputs'].includes(k) || fields.required.includes(k) || fields.optional.includes(k)) continue;
      throw src.error([...path, k], `layer ${index} (${spec.op} '${layerName}'): ${spec.op} does not take '${k}'`, {
        key: true, hint: `${spec.op} takes: ${['name', 'input', ...fields.required, ...fields.optional].filter((f, i, a) => a.indexOf(f) === i).join(', ')}`,
      });
    }
    for (const k of fields.required) if (spec[k] === undefined) fail(`missing required key '${k}'`);
    if (b.byName.has(layerName)) fail(`duplicate layer name '${layerName}'`, 'name');
    if (spec.input !== undefined && spec.inputs !== undefined) fail('give either input or inputs, not both', 'inputs');
    const names = spec.inputs ?? (spec.input !== undefined ? [spec.input] : undefined);
    const want = spec.op === 'add' ? 2 : 1;
    if (names && names.length !== want) fail(`${spec.op} takes ${want} input(s), got ${names.length}`, 'inputs');
    const inputs = names ? names.map((n, i) => {
      const id = b.byName.get(n);
      if (id === undefined) return fail(`no earlier layer or input named ${showValue(n)}`, spec.inputs ? ['inputs', i] : 'input');
      return id;
    }) : [prev];
    const c: Ctx = { b, spec, index, name: layerName, path, inputs, rng: mulberry32(baseSeed + index), fail };
    const res = LAYER_RULES[spec.op](c, b.tensors[inputs[0]!]!);
    const op = res.op;
    op.name = layerName;
    const outId = b.tensors.length;
    op.outputs = [outId];
    b.ops.push(op);
    let shape: number[];
    try {
      shape = res.shape ?? inferShape(b.graph, op, src.file);
    } catch (e) {
      if (e instanceof TinyforgeError) fail(e.message);
      throw e;
    }
    if (numElements(shape) > MAX_TENSOR_ELEMENTS) fail(`output shape [${shape}] has ${numElements(shape)} elements, more than the ${MAX_TENSOR_ELEMENTS} a tensor may hold`);
    b.tensor(layerName, shape, 'int8');
    // Calibrate: float pre-activation values -> bias (if generated) -> activation -> output quantisation.
    const accs = b.vals.map((v) => floatOp(b.graph, op as LayerGraphOp, v));
    const per = accs[0]!.length;
    let pre: Float64Array = concat(accs);
    if (res.bias) pre = calibrateBias(c, b.tensors[res.bias.id]!, pre, res.bias.centre);
    const post = pre.map((v) => applyActivation('activation' in op ? op.activation : 'none', v));
    const quant = spec.output ? { scale: [f32(spec.output.scale)], zeroPoint: [spec.output.zero_point ?? 0] } : res.quant ?? calibratedQuant(post);
    b.tensors[outId]!.quant = quant;
    b.vals.forEach((v, i) => v.set(outId, fakeQuant(post.subarray(i * per, (i + 1) * per), quant)));
    b.byName.set(layerName, outId);
    prev = outId;
  });
  const g: Graph = { ...b.graph, outputs: [prev] };
  try {
    validateGraph(g, src.file);
  } catch (e) {
    if (!(e instanceof TinyforgeError)) throw e;
    const opIndex = typeof e.where.op === 'string' ? Number.parseInt(e.where.op, 10) : NaN;
    throw src.error(Number.isNaN(opIndex) ? ['network'] : ['network', 'layers', opIndex], e.message);
  }
  return g;
}
