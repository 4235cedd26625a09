// What a strategy produces for one layer: bitstream kernels, a memory layout (constant blocks written
// once, input-derived blocks written by a host pre-step), a launch schedule (kernel id + per-column
// pointers), the output regions to read back and a host post-step that turns them into the layer's int32
// raw sums. Also the strategy's analytical cost estimate and a text view of the mapping.
// run.ts executes a plan on the simulator; report.ts writes launch.json / bitstreams from it.
import type { Kernel } from './isa/image.ts';
import type { CgraLayer } from './layer.ts';

export interface MemBlock { addr: number; words: Uint32Array | Int32Array; what: string }
export interface Launch { kernel: number; ptrIn: number[]; ptrOut: number[] }
export interface Region { addr: number; words: number }

/** Work the host CPU does around the array, per inference of this layer. */
export interface HostWork {
  /** Bytes the host writes to build the array's input layout (padding copy, band or im2col). */
  preBytes: number;
  /** Output values the host requantises (one fixed-point multiply each). */
  requantOps: number;
  /** Extra host additions (partial sums combined, bias folded at run time). */
  adds: number;
  notes: string[];
}

export interface CostEstimate {
  /** Array cycles per bus model, without the CPU-side call cost. */
  shared: number;
  ports: number;
  launches: number;
}

export interface LayerPlan {
  strategy: string;
  layer: CgraLayer;
  kernels: Kernel[];
  /** Memory size the plan needs (bytes, multiple of 4). */
  memoryBytes: number;
  constBlocks: MemBlock[];
  /** Host pre-step: the blocks derived from the layer's int8 input. */
  stage(input: Int8Array): MemBlock[];
  launches: Launch[];
  /**
   * Per launch, the byte ranges [addr, bytes] of staged memory it reads (optional). With it, the host program
   * stages the words launch l is the first to read while launch l - 1 runs (host/layer-program.ts); without it,
   * every staged word is written before the first launch.
   */
  stageReads?: Array<Array<[number, number]>>;
  outRegions: Region[];
  /** Host post-step: raw int32 sums [outH*outW*outC] (sum of w * x, padding = zero point) from the regions read back. */
  gather(regions: Int32Array[]): Int32Array;
  hostWork: HostWork;
  cost: CostEstimate;
  /** Shared-bus array cycles per launch, when launches differ (their sum is cost.shared); else cost.shared split evenly. */
  launchCycles?: number[];
  /** Which PE does what, how data move. */
  view: string;
  /** MAC/cycle of the kernel's loop body (the dataflow's ceiling before epilogues, calls and waste). */
  peak: number;
  /** Multiply slots the array executes (real MACs + padding, dropped pixels, zero-weight iterations). */
  slotMacs: number;
  /** Modulo-scheduled plans (the general mapper): initiation interval, its lower bounds, the unroll, body cycles. */
  schedule?: ModuloFigures;
}

export interface ModuloFigures { II: number; resMII: number; recMII: number; unroll: string; stages: number; bodyShared: number; bodyPorts: number }

/** A bump allocator over the data memory, word-aligned, with a little slack after each block. */
export class MemLayout {
  private next = 0;
  readonly blocks: { name: string; addr: number; bytes: number }[] = [];
  alloc(name: string, bytes: number, slack = 0): number {
    const addr = this.next;
    const total = Math.ceil((bytes + slack) / 4) * 4;
    this.blocks.push({ name, addr, bytes: total });
    this.next += total;
    return addr;
  }
  get size(): number { return Math.max(4, this.next); }
}

/** Packs bytes (int8 values) little-endian into words; length rounded up with zeros. */
export function packBytes(bytes: ArrayLike<number>): Int32Array {
  const out = new Int32Array(Math.ceil(bytes.length / 4));
  for (let i = 0; i < bytes.length; i++) out[i >> 2] |= (bytes[i] & 255) << (8 * (i & 3));
  return out;
}

/** A word whose bytes, most significant first, are a, b, c, d (int8 values). */
export const wordMsbFirst = (a: number, b: number, c: number, d: number): number =>
  ((a & 255) << 24) | ((b & 255) << 16) | ((c & 255) << 8) | (d & 255);

/** Splits a pointer move into steps that fit the 13-bit signed immediate. */
export function splitSteps(delta: number): number[] {
  const out: number[] = [];
  let d = delta;
  while (d !== 0) {
    const s = Math.max(-4096, Math.min(4092, d));
    out.push(s);
    d -= s;
  }
  return out;
}
