// Hand-built kernel modules for the Cortex-M backend tests, and a plain TypeScript evaluation of every
// kernel-IR op (except softmax) written from TFLite's reference-kernel definitions (and, for the shift
// and add convolutions, graph.ts's definitions: double rounding, add_conv2d padding reads real 0) with the host's one
// requantisation implementation (compiler/quant/multiplier.ts) — independent of the generated C.
import type {
  KCopy, KResizeNearest,
  KAdd, KBinary, KPrelu, KAddConv2d, KBuffer, KConst, KConv2d, KDepthwiseConv2d, KFullyConnected, KernelModule, KernelOp, KPool2d,
  KShiftConv2d, Requant, Window,
} from '../../../compiler/kernel-ir/types.ts';
import { clamp, multiplyByQuantizedMultiplier, quantizeMultiplier, type Arith } from '../../../compiler/quant/multiplier.ts';
import { mulberry32 } from '../../../compiler/rng.ts';

/** Deterministic PRNG (mulberry32, compiler/rng.ts). */
export const rng = mulberry32;
export function randInt8(r: () => number, n: number): Int8Array {
  return Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128);
}

/** An op's fields without index/sourceOp/inputs/output/schedule (checked loosely: tests build many kinds). */
type OpInit = { kind: KernelOp['kind']; name: string; macs: number } & Record<string, unknown>;

export class KBuilder {
  readonly m: KernelModule;
  constructor(name: string, arith: Arith, readonly r = rng(1)) {
    this.m = { name, arith, buffers: [], consts: [], ops: [], inputs: [], outputs: [] };
  }
  buffer(name: string, shape: number[], kind: KBuffer['kind'] = 'activation', zeroPoint = 0): number {
    const id = this.m.buffers.length;
    const bytes = shape.reduce((a, b) => a * b, 1);
    this.m.buffers.push({ id, name, kind, shape, dtype: 'int8', bytes, scale: 0.05, zeroPoint, def: -1, lastUse: -1 });
    if (kind === 'input') this.m.inputs.push(id);
    return id;
  }
  konst(name: string, data: Int8Array | Int32Array, shape: number[]): number {
    const id = this.m.consts.length;
    const c: KConst = { id, name, dtype: data instanceof Int8Array ? 'int8' : 'int32', shape, data };
    this.m.consts.push(c);
    return id;
  }
  /** Random per-channel requantisation for accumulators of magnitude ~ accScale. */
  requant(channels: number, accScale: number, perChannel = true): Requant {
    const n = perChannel ? channels : 1;
    const multiplier = new Int32Array(n), shift = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const q = quantizeMultiplier((0.5 + this.r()) * 100 / accScale);
      multiplier[i] = q.multiplier; shift[i] = q.shift;
    }
    return { multiplier, shift };
  }
  weights(n: number): Int8Array { return randInt8(this.r, n); }
  bias(n: number, mag = 2000): Int32Array { return Int32Array.from({ length: n }, () => Math.floor((this.r() - 0.5) * 2 * mag)); }
  op(init: OpInit, inputs: number[], outShape: number[], outName?: string): number {
    const index = this.m.ops.length;
    const output = this.buffer(outName ?? `t${index}`, outShape);
    const op = { ...init, index, sourceOp: index, inputs, output, schedule: {} } as unknown as KernelOp;
    if (op.kind === 'reshape') this.m.buffers[output].aliasOf = inputs[0];
    this.m.ops.push(op);
    return output;
  }
  /** Finishes lifetimes: def = writer, lastUse = last reader (ops.length for outputs). */
  done(outputs: number[]): KernelModule {
    this.m.outputs = outputs;
    for (const b of this.m.buffers) {
      b.def = this.m.ops.findIndex((o) => o.output === b.id);
      if (b.kind === 'input') b.def = -1;
      let last = b.def;
      this.m.ops.forEach((o, i) => { if (o.inputs.includes(b.id)) last = i; });
      b.lastUse = last;
      if (outputs.includes(b.id)) { b.lastUse = this.m.ops.length; b.kind = 'output'; }
    }
    return this.m;
  }
}

export function window(p: Partial<Window> & Pick<Window, 'inH' | 'inW' | 'inC' | 'outC' | 'kH' | 'kW'>, pad: 'same' | 'valid' = 'valid'): Window {
  const sH = p.strideH ?? 1, sW = p.strideW ?? 1, dH = p.dilationH ?? 1, dW = p.dilationW ?? 1;
  const effH = (p.kH - 1) * dH + 1, effW = (p.kW - 1) * dW + 1;
  const outH = pad === 'same' ? Math.ceil(p.inH / sH) : Math.ceil((p.inH - effH + 1) / sH);
  const outW = pad === 'same' ? Math.ceil(p.inW / sW) : Math.ceil((p.inW - effW + 1) / sW);
  const padH = Math.max(0, (outH - 1) * sH + effH - p.inH), padW = Math.max(0, (outW - 1) * sW + effW - p.inW);
  return {
    batches: 1, inH: p.inH, inW: p.inW, inC: p.inC, outH, outW, outC: p.outC, kH: p.kH, kW: p.kW,
    strideH: sH, strideW: sW, dilationH: dH, dilationW: dW,
    padTop: pad === 'same' ? padH >> 1 : 0, padLeft: pad === 'same' ? padW >> 1 : 0,
    padBottom: pad === 'same' ? padH - (padH >> 1) : 0, padRight: pad === 'same' ? padW - (padW >> 1) : 0,
  };
}

// ---------- reference evaluation ----------

function rq(acc: number, r: Requant, ch: number, rounding: 'single' | 'double' = 'double'): number {
  const i = r.multiplier.length === 1 ? 0 : ch;
  return multiplyByQuantizedMultiplier(acc, { multiplier: r.multiplier[i], shift: r.shift[i] }, rounding === 'single' ? 'tflite' : 'tflm');
}

function convLike(op: KConv2d | KAddConv2d, x: Int8Array, w: Int8Array, b: Int32Array): Int8Array {
  const groups = op.kind === 'conv2d' ? op.groups : 1;
  const icpg = op.inC / groups, ocpg = op.outC / groups;
  const out = new Int8Array(op.batches * op.outH * op.outW * op.outC);
  let k = 0;
  for (let n = 0; n < op.batches; n++)
    for (let oy = 0; oy < op.outH; oy++)
      for (let ox = 0; ox < op.outW; ox++)
        for (let oc = 0; oc < op.outC; oc++) {
          const g = Math.floor(oc / ocpg);
          let acc = 0;
          for (let ky = 0; ky < op.kH; ky++)
            for (let kx = 0; kx < op.kW; kx++) {
              const iy = oy * op.strideH - op.padTop + ky * op.dilationH, ix = ox * op.strideW - op.padLeft + kx * op.dilationW;
              const inside = iy >= 0 && iy < op.inH && ix >= 0 && ix < op.inW;
              for (let c = 0; c < icpg; c++) {
                // Outside the image the input is the real value 0 (zero padding).
                const xv = inside ? x[((n * op.inH + iy) * op.inW + ix) * op.inC + g * icpg + c] + op.inputOffset : 0;
                const wv = w[((oc * op.kH + ky) * op.kW + kx) * icpg + c];
                acc += op.kind === 'conv2d' ? xv * wv : Math.abs(xv - wv);
              }
            }
          acc = op.kind === 'conv2d' ? b[oc] + acc : b[oc] - acc;
          out[k++] = clamp(rq(acc, op.requant, oc, op.rounding) + op.outputOffset, op.actMin, op.actMax);
        }
  return out;
}

function depthwise(op: KDepthwiseConv2d, x: Int8Array, w: Int8Array, b: Int32Array): Int8Array {
  const out = new Int8Array(op.batches * op.outH * op.outW * op.outC);
  let k = 0;
  for (let n = 0; n < op.batches; n++)
    for (let oy = 0; oy < op.outH; oy++)
      for (let ox = 0; ox < op.outW; ox++)
        for (let oc = 0; oc < op.outC; oc++) {
          let acc = b[oc];
          for (let ky = 0; ky < op.kH; ky++)
            for (let kx = 0; kx < op.kW; kx++) {
              const iy = oy * op.strideH - op.padTop + ky * op.dilationH, ix = ox * op.strideW - op.padLeft + kx * op.dilationW;
              if (iy < 0 || iy >= op.inH || ix < 0 || ix >= op.inW) continue;
              acc += (x[((n * op.inH + iy) * op.inW + ix) * op.inC + Math.floor(oc / op.depthMultiplier)] + op.inputOffset) * w[(ky * op.kW + kx) * op.outC + oc];
            }
          out[k++] = clamp(rq(acc, op.requant, oc, op.rounding) + op.outputOffset, op.actMin, op.actMax);
        }
  return out;
}

function fc(op: KFullyConnected, x: Int8Array, w: Int8Array, b: Int32Array): Int8Array {
  const out = new Int8Array(op.batches * op.outDepth);
  for (let n = 0; n < op.batches; n++)
    for (let o = 0; o < op.outDepth; o++) {
      let acc = b[o];
      for (let i = 0; i < op.inDepth; i++) acc += (x[n * op.inDepth + i] + op.inputOffset) * w[o * op.inDepth + i];
      out[n * op.outDepth + o] = clamp(rq(acc, op.requant, o, op.rounding) + op.outputOffset, op.actMin, op.actMax);
    }
  return out;
}

function shiftConv(op: KShiftConv2d, x: Int8Array, w: Int8Array, b: Int32Array): Int8Array {
  const out = new Int8Array(op.batches * op.outH * op.outW * op.outC);
  let k = 0;
  for (let n = 0; n < op.batches; n++)
    for (let oy = 0; oy < op.outH; oy++)
      for (let ox = 0; ox < op.outW; ox++)
        for (let oc = 0; oc < op.outC; oc++) {
          let acc = b[oc];
          for (let c = 0; c < op.inC; c++) {
            const iy = oy * op.strideH - op.padTop + op.shifts[c][0], ix = ox * op.strideW - op.padLeft + op.shifts[c][1];
            if (iy < 0 || iy >= op.inH || ix < 0 || ix >= op.inW) continue;
            acc += (x[((n * op.inH + iy) * op.inW + ix) * op.inC + c] + op.inputOffset) * w[oc * op.inC + c];
          }
          out[k++] = clamp(rq(acc, op.requant, oc, op.rounding) + op.outputOffset, op.actMin, op.actMax);
        }
  return out;
}

function add(op: KAdd, a: Int8Array, b: Int8Array): Int8Array {
  const [n0, n1, n2, n3] = op.outShape;
  const idx = (s: readonly number[], i: number[]) => i.reduce((acc, v, d) => acc * s[d] + (s[d] === 1 ? 0 : v), 0);
  const out = new Int8Array(n0 * n1 * n2 * n3);
  const mb = (v: number, q: { multiplier: number; shift: number }) => multiplyByQuantizedMultiplier(v, q, 'tflm');
  let k = 0;
  for (let i0 = 0; i0 < n0; i0++) for (let i1 = 0; i1 < n1; i1++) for (let i2 = 0; i2 < n2; i2++) for (let i3 = 0; i3 < n3; i3++) {
    const I = [i0, i1, i2, i3];
    const s1 = mb((a[idx(op.aShape, I)] + op.input1Offset) * 2 ** op.leftShift, op.input1Q);
    const s2 = mb((b[idx(op.bShape, I)] + op.input2Offset) * 2 ** op.leftShift, op.input2Q);
    out[k++] = clamp(mb(s1 + s2, op.outputQ) + op.outputOffset, op.actMin, op.actMax);
  }
  return out;
}

/** The kernel-IR `binary` op evaluated from its fields (types.ts KBinary), element by element. */
function binary(op: KBinary, a: Int8Array, b: Int8Array): Int8Array {
  const os = op.outShape;
  const total = os.reduce((p, d) => p * d, 1);
  const out = new Int8Array(total);
  const mb = (v: number, q: { multiplier: number; shift: number }) => multiplyByQuantizedMultiplier(v, q, 'tflm');
  const idx = (s: readonly number[], c: number[]) => c.reduce((acc, v, d) => acc * s[d] + (s[d] === 1 ? 0 : v), 0);
  const c = new Array(os.length).fill(0);
  for (let e = 0; e < total; e++) {
    let rem = e;
    for (let d = os.length - 1; d >= 0; d--) { c[d] = rem % os[d]; rem = Math.floor(rem / os[d]); }
    const x1 = a[idx(op.aShape, c)], x2 = b[idx(op.bShape, c)];
    let v: number;
    switch (op.op) {
      case 'maximum': v = Math.max(x1, x2); break;
      case 'minimum': v = Math.min(x1, x2); break;
      case 'mul': v = mb((x1 + op.input1Offset) * (x2 + op.input2Offset), op.outputQ) + op.outputOffset; break;
      default: {
        const s1 = mb((x1 + op.input1Offset) * 2 ** op.leftShift, op.input1Q);
        const s2 = mb((x2 + op.input2Offset) * 2 ** op.leftShift, op.input2Q);
        const raw = op.op === 'add' ? s1 + s2 : op.op === 'sub' ? (op.input2Q.multiplier < 0 ? s1 + s2 : s1 - s2) : (s1 - s2) * (s1 - s2);
        v = mb(raw, op.outputQ) + op.outputOffset;
      }
    }
    out[e] = clamp(v, op.actMin, op.actMax);
  }
  return out;
}

function pool(op: KPool2d, x: Int8Array): Int8Array {
  const out = new Int8Array(op.batches * op.outH * op.outW * op.outC);
  let k = 0;
  for (let n = 0; n < op.batches; n++)
    for (let oy = 0; oy < op.outH; oy++)
      for (let ox = 0; ox < op.outW; ox++)
        for (let c = 0; c < op.outC; c++) {
          let acc = op.kind === 'max_pool2d' ? -128 : 0, cnt = 0;
          for (let fy = 0; fy < op.kH; fy++)
            for (let fx = 0; fx < op.kW; fx++) {
              const iy = oy * op.strideH - op.padTop + fy, ix = ox * op.strideW - op.padLeft + fx;
              if (iy < 0 || iy >= op.inH || ix < 0 || ix >= op.inW) continue;
              const v = x[((n * op.inH + iy) * op.inW + ix) * op.inC + c];
              acc = op.kind === 'max_pool2d' ? Math.max(acc, v) : acc + v;
              cnt++;
            }
          if (op.kind === 'average_pool2d') acc = acc > 0 ? Math.trunc((acc + Math.trunc(cnt / 2)) / cnt) : Math.trunc((acc - Math.trunc(cnt / 2)) / cnt);
          out[k++] = clamp(acc, op.actMin, op.actMax);
        }
  return out;
}

/** PRELU from its kernel-IR fields: broadcast alpha, two double-rounding multipliers. */
function prelu(op: KPrelu, x: Int8Array, alpha: Int8Array): Int8Array {
  const [n0, n1, n2, n3] = op.outShape;
  const as = op.alphaShape;
  const out = new Int8Array(x.length);
  let k = 0;
  for (let i0 = 0; i0 < n0; i0++) for (let i1 = 0; i1 < n1; i1++) for (let i2 = 0; i2 < n2; i2++) for (let i3 = 0; i3 < n3; i3++) {
    const ai = (((as[0] === 1 ? 0 : i0) * as[1] + (as[1] === 1 ? 0 : i1)) * as[2] + (as[2] === 1 ? 0 : i2)) * as[3] + (as[3] === 1 ? 0 : i3);
    const v = x[k]! + op.inputOffset;
    const r = v >= 0
      ? multiplyByQuantizedMultiplier(v, { multiplier: op.mult1, shift: op.shift1 }, 'tflm')
      : multiplyByQuantizedMultiplier(v * (alpha[ai]! + op.alphaOffset), { multiplier: op.mult2, shift: op.shift2 }, 'tflm');
    out[k++] = clamp(r + op.outputOffset, -128, 127);
  }
  return out;
}

/** The kernel `copy` op read literally: fill, then every region element by element. */
function copy(op: KCopy, ins: Int8Array[], bytes: number): Int8Array {
  const out = new Int8Array(bytes).fill(op.fill ?? 0);
  op.regions.forEach((r, k) => {
    const x = ins[k]!;
    const idx = r.shape.map(() => 0);
    const total = r.shape.reduce((a, b) => a * b, 1);
    for (let e = 0; e < total; e++) {
      let i = r.inOffset, o = r.outOffset;
      r.shape.forEach((_, d) => { i += idx[d] * r.inStrides[d]; o += idx[d] * r.outStrides[d]; });
      out[o] = x[i];
      for (let d = r.shape.length - 1; d >= 0; d--) { if (++idx[d] < r.shape[d]) break; idx[d] = 0; }
    }
  });
  return out;
}

function resizeNearest(op: KResizeNearest, x: Int8Array): Int8Array {
  const out = new Int8Array(op.batches * op.outH * op.outW * op.channels);
  let k = 0;
  for (let b = 0; b < op.batches; b++)
    for (let y = 0; y < op.outH; y++)
      for (let xo = 0; xo < op.outW; xo++)
        for (let c = 0; c < op.channels; c++) out[k++] = x[((b * op.inH + op.rowIndex[y]) * op.inW + op.colIndex[xo]) * op.channels + c];
  return out;
}

/** Every op's output for the given module inputs (concatenated as the C entry point takes them). */
export function evaluate(m: KernelModule, input: Int8Array): Int8Array[] {
  const val = new Map<number, Int8Array>();
  let off = 0;
  for (const id of m.inputs) { val.set(id, input.subarray(off, off + m.buffers[id].bytes)); off += m.buffers[id].bytes; }
  const C = (id: number) => m.consts[id].data as never;
  return m.ops.map((op) => {
    const x = val.get(op.inputs[0])!;
    let y: Int8Array;
    switch (op.kind) {
      case 'conv2d': case 'add_conv2d': y = convLike(op, x, C(op.weights), C(op.bias)); break;
      case 'depthwise_conv2d': y = depthwise(op, x, C(op.weights), C(op.bias)); break;
      case 'fully_connected': y = fc(op, x, C(op.weights), C(op.bias)); break;
      case 'shift_conv2d': y = shiftConv(op, x, C(op.weights), C(op.bias)); break;
      case 'add': y = add(op, x, val.get(op.inputs[1])!); break;
      case 'binary': {
        const k = op.constOperand ? (m.consts[op.constOperand.const].data as Int8Array) : undefined;
        const [a, b] = !op.constOperand ? [x, val.get(op.inputs[1])!] : op.constOperand.slot === 0 ? [k!, x] : [x, k!];
        y = binary(op, a, b);
        break;
      }
      case 'average_pool2d': case 'max_pool2d': y = pool(op, x); break;
      case 'reshape': y = x; break;
      case 'softmax': throw new Error('softmax has no TypeScript reference here (tested against hand-computed values)');
      case 'lut': { const t = C(op.table) as Int8Array; y = Int8Array.from(x, (v) => t[v & 0xff]!); break; }
      case 'prelu': y = prelu(op, x, C(op.alpha)); break;
      case 'copy': y = copy(op, op.inputs.map((i) => val.get(i)!), m.buffers[op.output].bytes); break;
      case 'resize_nearest': y = resizeNearest(op, x); break;
      default: throw new Error(`${op.kind} has no TypeScript reference here (tests/mcu-backend/random-ops.test.ts checks it against the golden runtime)`);
      case 'quantize': case 'dequantize': throw new Error(`${op.kind} has no TypeScript reference here`);
    }
    val.set(op.output, y);
    return y;
  });
}
