// The golden runtime's host side: loads the AssemblyScript kernels (dist/golden.wasm or golden-simd.wasm,
// bit-identical), and executes a graph-IR Graph op by op, directly (never through lowering). Constants
// (weights widened to int16 rows, biases, per-channel multipliers/shifts) are uploaded once per Graph
// object and arithmetic; activations live above them and are freed after every run. Quantisation
// parameters come from compiler/quant/params.ts, the same source the lowering uses.
// Arithmetic: `tflm` double-rounds everywhere; `tflite` single-rounds ungrouped CONV_2D and FULLY_CONNECTED
// (desktop TFLite's optimized kernels) and double-rounds everything else, grouped CONV_2D included.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TinyforgeError } from '../compiler/diagnostics.ts';
import { numElements, padBefore, type Graph, type Op, type Tensor } from '../compiler/ir/graph.ts';
import { distDir } from '../compiler/paths.ts';
import type { Arith } from '../compiler/quant/multiplier.ts';
import { addQuantParams, convQuantParams, poolQuantParams, softmaxQuantParams } from '../compiler/quant/params.ts';

type Fn = (...args: number[]) => number;
export interface GoldenExports {
  memory: WebAssembly.Memory;
  alloc: Fn; mark: Fn; reset: Fn; simdEnabled: Fn;
  conv2d: Fn; shiftConv2d: Fn; depthwiseConv2d: Fn; add: Fn; pool2d: Fn; softmax: Fn; copyBytes: Fn;
  qMultiply: Fn; qSrdhm: Fn; qRdbpot: Fn; qExpOnNegativeValues: Fn; qOneOverOnePlusX: Fn;
}

export interface RunOptions { arith?: Arith; keepAll?: boolean }
export interface RunResult { outputs: Int8Array[]; tensors?: Map<number, Int8Array> }

/** One op ready to launch: reads tensor addresses from `ptr` (indexed by tensor id). */
type Step = (ptr: number[]) => void;
interface Prepared { gen: number; steps: Step[]; constPtr: Map<number, number> }

/** Constants stop being cached (all are dropped and re-uploaded on demand) past this many bytes of wasm memory. */
const CONST_LIMIT = 512 * 1024 * 1024;

export class GoldenRuntime {
  readonly simd: boolean;
  readonly ex: GoldenExports;
  private cache = new WeakMap<Graph, Map<Arith, Prepared>>();
  private gen = 0;
  /** Everything below this address is cached constants. */
  private constTop: number;

  private readonly constLimit: number;

  private constructor(ex: GoldenExports, simd: boolean, constLimit: number) {
    this.ex = ex;
    this.simd = simd;
    this.constLimit = constLimit;
    this.constTop = ex.mark();
  }

  private static modules: Record<string, WebAssembly.Module> = {};

  static wasmPath(simd: boolean): string {
    return join(distDir, simd ? 'golden-simd.wasm' : 'golden.wasm');
  }

  /**
   * `wasm` overrides the module file (e.g. to compare two builds; `simd` must say what it was built with);
   * `constLimit` the bytes of cached constants after which the cache is dropped (tests use a tiny one).
   */
  static async load(opts: { simd?: boolean; wasm?: string; constLimit?: number } = {}): Promise<GoldenRuntime> {
    const simd = opts.simd ?? true;
    const path = opts.wasm ?? GoldenRuntime.wasmPath(simd);
    if (!existsSync(path)) throw new TinyforgeError(`golden runtime ${path} is missing`, {}, 'run `npm run build` first');
    const env = {
      abort(_msg: number, _file: number, line: number, col: number): never {
        throw new Error(`golden runtime: wasm abort at ${line}:${col}`);
      },
    };
    const mod = (GoldenRuntime.modules[path] ??= await WebAssembly.compile(new Uint8Array(readFileSync(path))));
    const instance = await WebAssembly.instantiate(mod, { env });
    const ex = instance.exports as unknown as GoldenExports;
    if ((ex.simdEnabled() === 1) !== simd) throw new Error(`${path}: SIMD flag is ${ex.simdEnabled()}, expected ${simd ? 1 : 0}`);
    return new GoldenRuntime(ex, simd, opts.constLimit ?? CONST_LIMIT);
  }

  /** Executes `graph` on raw int8 inputs (NHWC, graph.inputs order). */
  run(graph: Graph, inputs: Int8Array[], opts: RunOptions = {}): RunResult {
    const arith = opts.arith ?? 'tflm';
    const prep = this.prepare(graph, arith);
    if (inputs.length !== graph.inputs.length) {
      throw new TinyforgeError(`graph '${graph.name}' takes ${graph.inputs.length} input(s), got ${inputs.length}`);
    }
    const ex = this.ex;
    const ptr: number[] = new Array(graph.tensors.length).fill(-1);
    for (const [id, p] of prep.constPtr) ptr[id] = p;
    const allocTensor = (t: Tensor): number => {
      if (t.dtype !== 'int8') throw new TinyforgeError(`tensor '${t.name}' is ${t.dtype}; the golden runtime executes int8 activations only`);
      return (ptr[t.id] = ex.alloc(numElements(t.shape)));
    };
    try {
      graph.inputs.forEach((id, i) => {
        const t = graph.tensors[id];
        const n = numElements(t.shape);
        if (inputs[i].length !== n) {
          throw new TinyforgeError(`input ${i} ('${t.name}', shape [${t.shape.join(', ')}]) needs ${n} bytes, got ${inputs[i].length}`);
        }
        const p = allocTensor(t);
        new Int8Array(ex.memory.buffer, p, n).set(inputs[i]);
      });
      graph.ops.forEach((op, k) => {
        for (const o of op.outputs) allocTensor(graph.tensors[o]);
        prep.steps[k](ptr);
      });
      const read = (id: number): Int8Array => {
        const n = numElements(graph.tensors[id].shape);
        return new Int8Array(ex.memory.buffer, ptr[id], n).slice();
      };
      const outputs = graph.outputs.map(read);
      if (!opts.keepAll) return { outputs };
      const tensors = new Map<number, Int8Array>();
      for (const t of graph.tensors) if (ptr[t.id] >= 0 && !prep.constPtr.has(t.id)) tensors.set(t.id, read(t.id));
      return { outputs, tensors };
    } finally {
      ex.reset(this.constTop);
    }
  }

  // ---- preparation: constants and one launch closure per op ----

  private prepare(graph: Graph, arith: Arith): Prepared {
    let perArith = this.cache.get(graph);
    const hit = perArith?.get(arith);
    if (hit && hit.gen === this.gen) return hit;
    if (this.constTop > this.constLimit) {
      this.ex.reset(0);
      this.constTop = this.ex.mark();
      this.gen++;
      this.cache = new WeakMap();
      perArith = undefined;
    }
    this.ex.reset(this.constTop);
    const prep: Prepared = { gen: this.gen, steps: [], constPtr: new Map() };
    let scratchBytes = 16;
    const needs: Array<(scratch: number) => Step> = [];
    graph.ops.forEach((op, k) => {
      try {
        const { scratch, make } = this.prepareOp(graph, op, arith, prep);
        scratchBytes = Math.max(scratchBytes, scratch);
        needs.push(make);
      } catch (e) {
        if (e instanceof TinyforgeError && e.where.op === undefined) {
          throw new TinyforgeError(e.message, { ...e.where, op: op.name ?? k }, e.hint);
        }
        throw e;
      }
    });
    const scratch = this.ex.alloc(scratchBytes);
    prep.steps = needs.map((make) => make(scratch));
    this.constTop = this.ex.mark();
    if (!perArith) this.cache.set(graph, (perArith = new Map()));
    perArith.set(arith, prep);
    return prep;
  }

  private upload(data: Int8Array | Uint8Array | Int16Array | Int32Array): number {
    const p = this.ex.alloc(data.byteLength);
    new Uint8Array(this.ex.memory.buffer, p, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return p;
  }

  /** Uploads an op's constant int8 activation operand (e.g. an ADD with a constant) once. */
  private constOperand(graph: Graph, id: number, prep: Prepared): void {
    const t = graph.tensors[id];
    if (!t.data || prep.constPtr.has(id)) return;
    if (!(t.data instanceof Int8Array)) throw new TinyforgeError(`constant operand '${t.name}' must be int8, is ${t.dtype}`);
    prep.constPtr.set(id, this.upload(t.data));
  }

  /** Requant arrays expanded to one entry per output channel. */
  private uploadRequant(mult: Int32Array, shift: Int32Array, outC: number): [number, number] {
    const expand = (a: Int32Array) => (a.length === outC ? a : Int32Array.from({ length: outC }, () => a[0]));
    return [this.upload(expand(mult)), this.upload(expand(shift))];
  }

  /**
   * The double-rounding table of assembly/quant.ts (requant4Double): leftMul i32 [outC], mask i32 [outC],
   * rightMul i64 [outC], so the SIMD kernels requantise four channels per instruction.
   */
  private requantTable(shift: Int32Array, outC: number): number {
    const buf = new ArrayBuffer(outC * 16);
    const left = new Int32Array(buf, 0, outC);
    const mask = new Int32Array(buf, outC * 4, outC);
    const rightMul = new BigInt64Array(buf, outC * 8, outC);
    for (let c = 0; c < outC; c++) {
      const s = shift.length === outC ? shift[c] : shift[0];
      const l = Math.max(s, 0), r = Math.max(-s, 0);
      if (r > 31) throw new TinyforgeError(`requantisation shift ${s} is out of range`);
      left[c] = 2 ** l | 0;
      mask[c] = (2 ** r - 1) | 0;
      rightMul[c] = 1n << BigInt(32 - r);
    }
    return this.upload(new Uint8Array(buf));
  }

  private bias(graph: Graph, op: Op, outC: number): number {
    const id = op.inputs[2];
    if (id === undefined || id < 0) return 0;
    const t = graph.tensors[id];
    if (!(t.data instanceof Int32Array) || t.data.length !== outC) {
      throw new TinyforgeError(`bias '${t.name}' must be constant int32 [${outC}]`);
    }
    return this.upload(t.data);
  }

  /** Weight rows widened to int16, each padded with zeros to kp (a multiple of 8). */
  private weightRows(t: Tensor, rows: number, k: number): { ptr: number; kp: number } {
    const w = int8Data(t);
    if (w.length !== rows * k) throw new TinyforgeError(`weights '${t.name}' have ${w.length} values, expected ${rows} x ${k}`);
    if (t.quant && t.quant.zeroPoint.some((z) => z !== 0)) throw new TinyforgeError(`weights '${t.name}' must have zero point 0 (symmetric int8)`);
    const kp = Math.ceil(k / 8) * 8;
    const w16 = new Int16Array(rows * kp);
    for (let r = 0; r < rows; r++) for (let i = 0; i < k; i++) w16[r * kp + i] = w[r * k + i];
    return { ptr: this.upload(w16), kp };
  }

  private prepareOp(graph: Graph, op: Op, arith: Arith, prep: Prepared): { scratch: number; make: (scratch: number) => Step } {
    const ex = this.ex;
    const T = (i: number) => graph.tensors[op.inputs[i]];
    const Y = graph.tensors[op.outputs[0]];
    const xId = op.inputs[0];
    const yId = op.outputs[0];
    for (const id of op.inputs.slice(0, op.kind === 'add' ? 2 : 1)) this.constOperand(graph, id, prep);
    switch (op.kind) {
      case 'conv2d':
      case 'add_conv2d': {
        const [n, h, w, c] = nhwc(T(0));
        const [oc, kh, kw, icg] = T(1).shape;
        const [, oh, ow] = nhwc(Y);
        if (c % icg !== 0 || oc % (c / icg) !== 0) {
          throw new TinyforgeError(`input channels ${c} / weight input channels ${icg} do not form whole groups for ${oc} output channels`);
        }
        // tflite arithmetic single-rounds ungrouped CONV_2D only: desktop TFLite runs grouped convolutions in
        // its reference per-channel kernel, which double-rounds (measured by the oracle suite).
        const singleRounding = op.kind === 'conv2d' && arith === 'tflite' && icg === c;
        const q = convQuantParams(graph, op, singleRounding ? 'tflite' : 'tflm');
        const single = singleRounding ? 1 : 0;
        const { ptr: wp, kp } = this.weightRows(T(1), oc, kh * kw * icg);
        const bp = this.bias(graph, op, oc);
        const [mp, sp] = this.uploadRequant(q.requant.multiplier, q.requant.shift, oc);
        const rq = single ? 0 : this.requantTable(q.requant.shift, oc);
        const padT = padBefore(h, kh, op.stride[0], op.dilation[0], op.padding);
        const padL = padBefore(w, kw, op.stride[1], op.dilation[1], op.padding);
        const l1 = op.kind === 'add_conv2d' ? 1 : 0;
        return {
          scratch: kp * 4,
          make: (scratch) => (p) => ex.conv2d(l1, p[xId], n, h, w, c, wp, kp, bp, mp, sp, rq, p[yId], oh, ow, oc,
            kh, kw, icg, op.stride[0], op.stride[1], op.dilation[0], op.dilation[1], padT, padL,
            q.inputOffset, q.outputOffset, q.actMin, q.actMax, single, scratch),
        };
      }
      case 'fully_connected': {
        const [oc, ic] = T(1).shape;
        const total = numElements(T(0).shape);
        if (total % ic !== 0) throw new TinyforgeError(`input of ${total} values is not a whole number of rows of ${ic}`);
        const batches = total / ic;
        const q = convQuantParams(graph, op, arith);
        const single = arith === 'tflite' ? 1 : 0;
        const { ptr: wp, kp } = this.weightRows(T(1), oc, ic);
        const bp = this.bias(graph, op, oc);
        const [mp, sp] = this.uploadRequant(q.requant.multiplier, q.requant.shift, oc);
        const rq = single ? 0 : this.requantTable(q.requant.shift, oc);
        return {
          scratch: kp * 4,
          make: (scratch) => (p) => ex.conv2d(0, p[xId], batches, 1, 1, ic, wp, kp, bp, mp, sp, rq, p[yId], 1, 1, oc,
            1, 1, ic, 1, 1, 1, 1, 0, 0, q.inputOffset, q.outputOffset, q.actMin, q.actMax, single, scratch),
        };
      }
      case 'shift_conv2d': {
        const [n, h, w, c] = nhwc(T(0));
        const [oc] = T(1).shape;
        const [, oh, ow] = nhwc(Y);
        if (op.shifts.length !== c) throw new TinyforgeError(`shift_conv2d has ${op.shifts.length} shifts for ${c} input channels`);
        const q = convQuantParams(graph, op, 'tflm');
        const { ptr: wp, kp } = this.weightRows(T(1), oc, c);
        const bp = this.bias(graph, op, oc);
        const [mp, sp] = this.uploadRequant(q.requant.multiplier, q.requant.shift, oc);
        const shp = this.upload(Int32Array.from(op.shifts.flat()));
        const rq = this.requantTable(q.requant.shift, oc);
        return {
          scratch: kp * 2,
          make: (scratch) => (p) => ex.shiftConv2d(p[xId], n, h, w, c, shp, wp, kp, bp, mp, sp, rq, p[yId], oh, ow, oc,
            op.stride[0], op.stride[1], q.inputOffset, q.outputOffset, q.actMin, q.actMax, 0, scratch),
        };
      }
      case 'depthwise_conv2d': {
        const [n, h, w, c] = nhwc(T(0));
        const [, kh, kw, oc] = T(1).shape;
        const [, oh, ow] = nhwc(Y);
        const m = op.depthMultiplier;
        if (oc !== c * m) throw new TinyforgeError(`depthwise weights have ${oc} channels, expected ${c} x ${m}`);
        const q = convQuantParams(graph, op, 'tflm');
        const wt = T(1);
        const w8 = int8Data(wt);
        if (w8.length !== kh * kw * oc) throw new TinyforgeError(`weights '${wt.name}' have ${w8.length} values, expected ${kh * kw * oc}`);
        const wp = this.upload(Int16Array.from(w8));
        const bp = this.bias(graph, op, oc);
        const [mp, sp] = this.uploadRequant(q.requant.multiplier, q.requant.shift, oc);
        const rq = this.requantTable(q.requant.shift, oc);
        const padT = padBefore(h, kh, op.stride[0], op.dilation[0], op.padding);
        const padL = padBefore(w, kw, op.stride[1], op.dilation[1], op.padding);
        return {
          scratch: (oc + 8) * 4,
          make: (scratch) => (p) => ex.depthwiseConv2d(p[xId], n, h, w, c, wp, bp, mp, sp, rq, p[yId], oh, ow, m,
            kh, kw, op.stride[0], op.stride[1], op.dilation[0], op.dilation[1], padT, padL,
            q.inputOffset, q.outputOffset, q.actMin, q.actMax, 0, scratch),
        };
      }
      case 'average_pool2d':
      case 'max_pool2d': {
        const [n, h, w, c] = nhwc(T(0));
        const [, oh, ow, oc] = nhwc(Y);
        if (oc !== c) throw new TinyforgeError(`pooling changes channels ${c} -> ${oc}`);
        const { actMin, actMax } = poolQuantParams(graph, op);
        const [fh, fw] = op.filter;
        const padT = padBefore(h, fh, op.stride[0], 1, op.padding);
        const padL = padBefore(w, fw, op.stride[1], 1, op.padding);
        const xq = T(0).quant, yq = Y.quant;
        if (xq?.scale[0] !== yq?.scale[0] || xq?.zeroPoint[0] !== yq?.zeroPoint[0]) {
          throw new TinyforgeError(`${op.kind}: input and output quantisation differ (scale ${xq?.scale[0]} / ${yq?.scale[0]}, zero point ${xq?.zeroPoint[0]} / ${yq?.zeroPoint[0]})`,
            {}, 'TFLite int8 pooling requires the output to keep the input\'s scale and zero point');
        }
        const isMax = op.kind === 'max_pool2d' ? 1 : 0;
        return {
          scratch: 0,
          make: () => (p) => ex.pool2d(isMax, p[xId], n, h, w, c, p[yId], oh, ow, fh, fw, op.stride[0], op.stride[1], padT, padL, actMin, actMax),
        };
      }
      case 'add': {
        const q = addQuantParams(graph, op);
        const out = pad4(Y.shape);
        const sa = broadcastStrides(T(0).shape, out);
        const sb = broadcastStrides(T(1).shape, out);
        const bId = op.inputs[1];
        return {
          scratch: 0,
          make: () => (p) => ex.add(p[xId], p[bId], p[yId], out[0], out[1], out[2], out[3], ...sa, ...sb,
            q.input1Offset, q.input2Offset, q.outputOffset, q.leftShift, q.input1Q.multiplier, q.input1Q.shift,
            q.input2Q.multiplier, q.input2Q.shift, q.outputQ.multiplier, q.outputQ.shift, q.actMin, q.actMax),
        };
      }
      case 'reshape': {
        const bytes = numElements(T(0).shape);
        if (bytes !== numElements(Y.shape)) throw new TinyforgeError(`reshape from [${T(0).shape}] to [${Y.shape}] changes the element count`);
        return { scratch: 0, make: () => (p) => ex.copyBytes(p[xId], p[yId], bytes) };
      }
      case 'softmax': {
        const q = softmaxQuantParams(graph, op, arith);
        if (q.outputOffset !== -128 || Y.quant?.scale[0] !== 1 / 256) {
          throw new TinyforgeError(`softmax output '${Y.name}' has scale ${Y.quant?.scale[0]}, zero point ${q.outputOffset}`, {},
            'TFLite int8 softmax requires output scale 1/256 and zero point -128');
        }
        const shape = T(0).shape;
        const depth = shape[shape.length - 1];
        const rows = numElements(shape) / depth;
        return { scratch: 0, make: () => (p) => ex.softmax(p[xId], p[yId], rows, depth, q.inputMultiplier, q.inputLeftShift, q.diffMin) };
      }
    }
  }
}

function int8Data(t: Tensor): Int8Array {
  if (!(t.data instanceof Int8Array)) throw new TinyforgeError(`weights '${t.name}' must be constant int8 (got ${t.data ? t.dtype : 'no data'})`);
  return t.data;
}

function nhwc(t: Tensor): [number, number, number, number] {
  if (t.shape.length !== 4) throw new TinyforgeError(`tensor '${t.name}' must be 4-D NHWC, has shape [${t.shape.join(', ')}]`);
  return t.shape as [number, number, number, number];
}

function pad4(shape: number[]): number[] {
  if (shape.length > 4) throw new TinyforgeError(`broadcast ADD supports up to 4 dimensions, got [${shape.join(', ')}]`);
  return [...new Array(4 - shape.length).fill(1), ...shape];
}

/** Byte strides of `shape` read as the 4-D output `out`, NumPy broadcasting: 0 along broadcast dimensions. */
function broadcastStrides(shape: number[], out: number[]): [number, number, number, number] {
  const s = pad4(shape);
  const strides: [number, number, number, number] = [0, 0, 0, 0];
  let step = 1;
  for (let d = 3; d >= 0; d--) {
    if (s[d] !== out[d] && s[d] !== 1) throw new TinyforgeError(`shape [${shape.join(', ')}] does not broadcast to [${out.join(', ')}]`);
    strides[d] = s[d] === 1 && out[d] !== 1 ? 0 : step;
    step *= s[d];
  }
  return strides;
}
