// The `network:` section of a build config -> graph IR. Layers are listed in order; each reads the previous
// layer unless `input`/`inputs` name others. Which keys an op takes is a table (LAYER_FIELDS). Weights are
// generated from a seed (mulberry32; int8 in [-127, 127], int32 bias) or read from raw little-endian files.
// Quantisation is chosen so activations keep a useful int8 range: each tensor carries an estimate of its
// real range and RMS; a layer's pre-activation RMS is predicted from its actual weights, and the output
// scale/zero point cover +-3 RMS clipped by the activation (or `output:` overrides them). All scales are
// float32 values. Per-channel weight scales for conv/depthwise/FC (axis 0 / 3 as TFLite); add_conv2d uses
// one weight scale equal to its input scale (AdderNet's L1 distance is then in input units).
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { TinyforgeError } from '../../diagnostics.ts';
import { numElements, type Activation, type Graph, type Op, type Padding, type Quant, type Tensor, type TensorData } from '../../ir/graph.ts';
import { inferShape, validateGraph } from '../../ir/validate.ts';
import type { LAYER_OPS } from './schema.ts';
import { showValue, type YamlPath, type YamlSource } from './source.ts';

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

/** mulberry32: a small deterministic PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Estimated real-valued range and root mean square of a tensor's values. */
interface Dist { lo: number; hi: number; rms: number }

const f32 = Math.fround;
const pair = (v: Pair | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]]);
const clampI32 = (v: number) => Math.max(-2147483648, Math.min(2147483647, Math.round(v)));

/** Output quantisation covering [lo, hi] (widened to include 0) after the activation clips it. */
function chooseQuant(r: number, act: Activation, lo0 = -3 * r, hi0 = 3 * r): { quant: Quant; dist: Dist } {
  let lo = lo0, hi = hi0, rms = r;
  if (act === 'relu' || act === 'relu6') { lo = 0; rms = r / Math.SQRT2; }
  if (act === 'relu6') { hi = Math.min(hi, 6); rms = Math.min(rms, 6); }
  if (act === 'relu_n1_to_1') { lo = Math.max(lo, -1); hi = Math.min(hi, 1); rms = Math.min(rms, 1); }
  lo = Math.min(lo, 0); hi = Math.max(hi, 0);
  if (!(hi - lo > 1e-30)) { lo = -1e-6; hi = 1e-6; }
  const scale = f32((hi - lo) / 255);
  const zp = Math.max(-128, Math.min(127, Math.round(-128 - lo / scale)));
  return { quant: { scale: [scale], zeroPoint: [zp] }, dist: { lo, hi, rms: Math.max(rms, 1e-30) } };
}

function distOfQuant(q: Quant, rms?: number): Dist {
  const s = q.scale[0]!, z = q.zeroPoint[0]!;
  const lo = (-128 - z) * s, hi = (127 - z) * s;
  return { lo, hi, rms: rms ?? Math.sqrt((lo * lo + lo * hi + hi * hi) / 3) };
}

class NetBuilder {
  readonly tensors: Tensor[] = [];
  readonly ops: Op[] = [];
  readonly dist = new Map<number, Dist>();
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

/** Weights and bias of a conv-like layer: generated or read from files. `rows(c)` lists channel c's weight indices. */
function makeWeights(c: Ctx, shape: number[], outC: number, fanIn: number, axis: number, rows: (ch: number) => number[], xq: Quant, xd: Dist) {
  const n = numElements(shape);
  const w = c.spec.weights ?? {};
  let data: Int8Array;
  let scales: number[];
  if (w.file !== undefined) {
    if (w.seed !== undefined) c.fail('weights take either seed or file, not both', ['weights', 'seed']);
    const file = resolve(c.b.dir, w.file);
    if (!existsSync(file)) c.fail(`weights file not found: ${file}`, ['weights', 'file']);
    const bytes = readFileSync(file);
    if (bytes.length !== n) c.fail(`weights file ${w.file} has ${bytes.length} bytes; shape [${shape}] int8 needs ${n}`, ['weights', 'file']);
    data = new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + n));
    const given = w.scale === undefined ? [1 / (127 * Math.sqrt(fanIn))] : typeof w.scale === 'number' ? [w.scale] : w.scale;
    if (given.length !== 1 && given.length !== outC) c.fail(`weights.scale needs 1 or ${outC} values, has ${given.length}`, ['weights', 'scale']);
    scales = Array.from({ length: outC }, (_, ch) => f32(given[given.length === 1 ? 0 : ch]!));
  } else {
    if (w.bias !== undefined) c.fail('weights.bias needs weights.file', ['weights', 'bias']);
    if (w.scale !== undefined) c.fail('weights.scale needs weights.file (generated weights choose their scales)', ['weights', 'scale']);
    if (w.seed !== undefined) c.rng = mulberry32(w.seed);
    data = Int8Array.from({ length: n }, () => Math.floor(c.rng() * 255) - 127);
    // Real weights ~ U(-v, v) / sqrt(fanIn) with v in [0.5, 1.5) per channel: output RMS stays near the input's.
    scales = Array.from({ length: outC }, () => f32((0.5 + c.rng()) / (127 * Math.sqrt(fanIn))));
  }
  // Predicted pre-activation RMS per channel from the actual weights.
  const rc = Array.from({ length: outC }, (_, ch) => {
    let s = 0;
    for (const i of rows(ch)) s += (data[i]! * scales[ch]!) ** 2;
    return xd.rms * Math.sqrt(s);
  });
  const biasScales = scales.map((s) => f32(xq.scale[0]! * s));
  let bias: Int32Array;
  if (w.bias !== undefined) {
    const file = resolve(c.b.dir, w.bias);
    if (!existsSync(file)) c.fail(`bias file not found: ${file}`, ['weights', 'bias']);
    const bytes = readFileSync(file);
    if (bytes.length !== 4 * outC) c.fail(`bias file ${w.bias} has ${bytes.length} bytes; ${outC} int32 values need ${4 * outC}`, ['weights', 'bias']);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    bias = Int32Array.from({ length: outC }, (_, i) => dv.getInt32(4 * i, true));
  } else {
    bias = Int32Array.from({ length: outC }, (_, ch) => clampI32(((c.rng() * 2 - 1) * 0.2 * rc[ch]!) / biasScales[ch]!));
  }
  const perChannel = outC > 1;
  const wq: Quant = { scale: perChannel ? scales : [scales[0]!], zeroPoint: perChannel ? scales.map(() => 0) : [0] };
  const bq: Quant = { scale: perChannel ? biasScales : [biasScales[0]!], zeroPoint: perChannel ? biasScales.map(() => 0) : [0] };
  if (perChannel) { wq.axis = axis; bq.axis = 0; }
  const wId = c.b.tensor(`${c.name}/weights`, shape, 'int8', wq, data);
  const bId = c.b.tensor(`${c.name}/bias`, [outC], 'int32', bq, bias);
  return { wId, bId, r: Math.sqrt(rc.reduce((a, v) => a + v * v, 0) / outC) };
}

type LayerResult = { op: Op; quant?: Quant; dist?: Dist; shape?: number[] };
type LayerRule = (c: Ctx, x: Tensor, xd: Dist) => LayerResult;

const act = (c: Ctx): Activation => c.spec.activation ?? 'none';

function convLike(c: Ctx, x: Tensor, xd: Dist, kind: 'conv2d' | 'add_conv2d'): LayerResult {
  const s = c.spec;
  if (x.shape.length !== 4) c.fail(`${kind} needs an NHWC input, got shape [${x.shape}]`, 'input');
  const inC = x.shape[3]!;
  const groups = s.groups ?? 1;
  if (inC % groups !== 0 || s.filters! % groups !== 0) c.fail(`groups ${groups} must divide the input channels ${inC} and filters ${s.filters}`, 'groups');
  const [kh, kw] = pair(s.kernel, 1);
  const wShape = [s.filters!, kh, kw, inC / groups];
  const K = kh * kw * (inC / groups);
  const rows = (ch: number) => Array.from({ length: K }, (_, i) => ch * K + i);
  const common = { stride: pair(s.stride, 1), dilation: pair(s.dilation, 1), padding: s.padding ?? 'same', activation: act(c) };
  if (kind === 'conv2d') {
    const { wId, bId, r } = makeWeights(c, wShape, s.filters!, K, 0, rows, x.quant!, xd);
    return { op: { kind, ...common, inputs: [x.id, wId, bId], outputs: [] }, ...chooseQuant(r, act(c)) };
  }
  return addConv(c, x, xd, wShape, K, rows, common);
}

/** AdderNet: acc = bias - sum |x - zp - w|; weights in the input's units (weight scale = input scale). */
function addConv(c: Ctx, x: Tensor, xd: Dist, wShape: number[], K: number, rows: (ch: number) => number[], common: Omit<Extract<Op, { kind: 'add_conv2d' }>, 'kind' | 'inputs' | 'outputs'>): LayerResult {
  const s = c.spec;
  if (s.weights?.file !== undefined || s.weights?.bias !== undefined || s.weights?.scale !== undefined) c.fail('add_conv2d takes only generated weights ({seed: N})', 'weights');
  if (s.weights?.seed !== undefined) c.rng = mulberry32(s.weights.seed);
  const xs = x.quant!.scale[0]!, zp = x.quant!.zeroPoint[0]!;
  const wlo = Math.max(-127, -128 - zp), whi = Math.min(127, 127 - zp);
  const data = Int8Array.from({ length: numElements(wShape) }, () => wlo + Math.floor(c.rng() * (whi - wlo + 1)));
  // x - zp modelled as uniform on [a, b] (quantised units): mean and variance of |X - w| per weight.
  const a = Math.max(-128 - zp, xd.lo / xs), b = Math.min(127 - zp, xd.hi / xs);
  const mid = (a + b) / 2, varX = (b - a) ** 2 / 12;
  const outC = wShape[0]!;
  const stats = Array.from({ length: outC }, (_, ch) => {
    let m = 0, v = 0;
    for (const i of rows(ch)) {
      const w = data[i]!;
      const mean = w <= a ? mid - w : w >= b ? w - mid : ((w - a) ** 2 + (b - w) ** 2) / (2 * (b - a));
      m += mean;
      v += Math.max(0, varX + (mid - w) ** 2 - mean * mean);
    }
    return { m, v };
  });
  const ws = f32(xs);
  const bs = f32(xs * ws);
  const bias = Int32Array.from(stats, (st) => clampI32(st.m)); // centres the accumulator
  const wId = c.b.tensor(`${c.name}/weights`, wShape, 'int8', { scale: [ws], zeroPoint: [0] }, data);
  const bId = c.b.tensor(`${c.name}/bias`, [outC], 'int32', { scale: [bs], zeroPoint: [0] }, bias);
  // Real value of the accumulator is acc * inputScale * weightScale.
  const r = Math.sqrt(stats.reduce((acc, st) => acc + st.v, 0) / outC) * bs;
  void K;
  return { op: { kind: 'add_conv2d', ...common, inputs: [x.id, wId, bId], outputs: [] }, ...chooseQuant(r, act(c)) };
}

function pool(c: Ctx, x: Tensor, xd: Dist): LayerResult {
  const s = c.spec;
  const filter = pair(s.kernel, 1);
  const op = { kind: s.op as 'average_pool2d' | 'max_pool2d', filter, stride: pair(s.stride ?? s.kernel, 1), padding: s.padding ?? 'valid', activation: act(c), inputs: [x.id], outputs: [] };
  return { op, quant: x.quant, dist: xd };
}

export const LAYER_RULES: Record<LayerOp, LayerRule> = {
  conv2d: (c, x, xd) => convLike(c, x, xd, 'conv2d'),
  add_conv2d: (c, x, xd) => convLike(c, x, xd, 'add_conv2d'),
  depthwise_conv2d: (c, x, xd) => {
    const s = c.spec;
    if (x.shape.length !== 4) c.fail(`depthwise_conv2d needs an NHWC input, got shape [${x.shape}]`, 'input');
    const [kh, kw] = pair(s.kernel, 1);
    const m = s.depth_multiplier ?? 1;
    const outC = x.shape[3]! * m;
    const K = kh * kw;
    const rows = (ch: number) => Array.from({ length: K }, (_, i) => i * outC + ch);
    const { wId, bId, r } = makeWeights(c, [1, kh, kw, outC], outC, K, 3, rows, x.quant!, xd);
    return {
      op: { kind: 'depthwise_conv2d', stride: pair(s.stride, 1), dilation: pair(s.dilation, 1), padding: s.padding ?? 'same', depthMultiplier: m, activation: act(c), inputs: [x.id, wId, bId], outputs: [] },
      ...chooseQuant(r, act(c)),
    };
  },
  fully_connected: (c, x, xd) => {
    const inC = x.shape[x.shape.length - 1]!;
    const outC = c.spec.units!;
    const rows = (ch: number) => Array.from({ length: inC }, (_, i) => ch * inC + i);
    const { wId, bId, r } = makeWeights(c, [outC, inC], outC, inC, 0, rows, x.quant!, xd);
    return { op: { kind: 'fully_connected', activation: act(c), keepNumDims: false, inputs: [x.id, wId, bId], outputs: [] }, ...chooseQuant(r, act(c)) };
  },
  add: (c, x) => {
    const [a, b] = c.inputs.map((id) => c.b.tensors[id]!);
    const da = c.b.dist.get(a!.id)!, db = c.b.dist.get(b!.id)!;
    const r = Math.sqrt(da.rms ** 2 + db.rms ** 2);
    void x;
    return { op: { kind: 'add', activation: act(c), inputs: [a!.id, b!.id], outputs: [] }, ...chooseQuant(r, act(c), Math.max(da.lo + db.lo, -3 * r), Math.min(da.hi + db.hi, 3 * r)) };
  },
  average_pool2d: pool,
  max_pool2d: pool,
  reshape: (c, x, xd) => {
    const shape = [...c.spec.shape!];
    const n = numElements(x.shape);
    const free = shape.filter((d) => d === -1).length;
    if (free > 1 || shape.some((d) => d === 0)) c.fail(`shape [${shape}] may contain at most one -1 and no 0`, 'shape');
    const known = numElements(shape.filter((d) => d !== -1));
    if (free) shape[shape.indexOf(-1)] = n / known;
    if (!Number.isInteger(numElements(shape) ) || numElements(shape) !== n || !shape.every(Number.isInteger)) c.fail(`shape [${c.spec.shape}] does not hold the input's ${n} elements ([${x.shape}])`, 'shape');
    return { op: { kind: 'reshape', inputs: [x.id], outputs: [] }, quant: x.quant, dist: xd, shape };
  },
  flatten: (c, x, xd) => ({ op: { kind: 'reshape', inputs: [x.id], outputs: [] }, quant: x.quant, dist: xd, shape: [x.shape[0]!, numElements(x.shape.slice(1))] }),
  softmax: (c, x) => {
    const n = x.shape[x.shape.length - 1]!;
    return { op: { kind: 'softmax', beta: c.spec.beta ?? 1, inputs: [x.id], outputs: [] }, quant: { scale: [1 / 256], zeroPoint: [-128] }, dist: { lo: 0, hi: 1, rms: 1 / Math.sqrt(n) } };
  },
  shift_conv2d: (c, x, xd) => {
    const s = c.spec;
    if (x.shape.length !== 4) c.fail(`shift_conv2d needs an NHWC input, got shape [${x.shape}]`, 'input');
    const inC = x.shape[3]!;
    let shifts: Array<[number, number]>;
    if (s.shifts) {
      if (s.shifts.length !== inC) c.fail(`shifts needs one [dy, dx] per input channel (${inC}), has ${s.shifts.length}`, 'shifts');
      if (s.kernel !== undefined) c.fail('give either shifts or kernel (for generated shifts), not both', 'kernel');
      shifts = s.shifts.map(([dy, dx]) => [dy, dx]);
    } else {
      // Channels split into k*k groups, one per offset of a k x k window (as ShiftNet's grouped shift).
      const [kh, kw] = pair(s.kernel, 3);
      const offsets: Array<[number, number]> = [];
      for (let dy = -(kh >> 1); dy <= (kh - 1) >> 1; dy++) for (let dx = -(kw >> 1); dx <= (kw - 1) >> 1; dx++) offsets.push([dy, dx]);
      shifts = Array.from({ length: inC }, (_, ch) => offsets[Math.floor((ch * offsets.length) / inC)]!);
    }
    const rows = (ch: number) => Array.from({ length: inC }, (_, i) => ch * inC + i);
    // Shifting brings zeros in at the borders: same RMS estimate as the input.
    const { wId, bId, r } = makeWeights(c, [s.filters!, 1, 1, inC], s.filters!, inC, 0, rows, x.quant!, xd);
    return { op: { kind: 'shift_conv2d', shifts, stride: pair(s.stride, 1), activation: act(c), inputs: [x.id, wId, bId], outputs: [] }, ...chooseQuant(r, act(c)) };
  },
};

export function buildNetwork(src: YamlSource, net: NetworkSpec, dir: string, name: string): Graph {
  const b = new NetBuilder(src, dir, name);
  const inShape = net.input.shape.length === 3 ? [1, ...net.input.shape] : [...net.input.shape];
  const inQuant: Quant = { scale: [f32(net.input.scale ?? 1 / 128)], zeroPoint: [net.input.zero_point ?? 0] };
  const inName = net.input.name ?? 'input';
  const inId = b.tensor(inName, inShape, 'int8', inQuant);
  b.dist.set(inId, distOfQuant(inQuant));
  b.byName.set(inName, inId);
  let prev = inId;
  const baseSeed = net.seed ?? 1;
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
    const x = b.tensors[inputs[0]!]!;
    const res = LAYER_RULES[spec.op](c, x, b.dist.get(x.id)!);
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
    b.tensor(layerName, shape, 'int8', res.quant);
    const q = spec.output ? { scale: [f32(spec.output.scale)], zeroPoint: [spec.output.zero_point ?? 0] } : undefined;
    if (q) b.tensors[outId]!.quant = q;
    b.dist.set(outId, q ? distOfQuant(q, res.dist!.rms) : res.dist!);
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
