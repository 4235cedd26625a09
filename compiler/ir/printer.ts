// Textual form of the graph IR: stable and diffable, for golden files, debugging and reports. One line per
// tensor (id, name, shape, dtype, quantisation; constants summarised by element count, min, max and an
// FNV-1a checksum of their little-endian bytes, never dumped) and one line per op with its attributes in a
// fixed order. Floats print as the shortest decimal that round-trips to the same float32.
import type { Graph, Op, Quant, Tensor, TensorData } from './graph.ts';

/** FNV-1a, 32-bit, over bytes. */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const hex = (n: number) => '0x' + n.toString(16).padStart(8, '0');

/** Shortest decimal that parses back to the same float32 (scales are float32 values). */
export function f32str(x: number): string {
  if (!Number.isFinite(x) || Math.fround(x) !== x) return String(x);
  for (let p = 1; p <= 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(x);
}

function dataBytes(d: TensorData): Uint8Array {
  // Typed arrays are little-endian on every platform Node runs on; copy to be independent of offsets.
  return new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
}

function quantStr(q: Quant): string {
  if (q.scale.length === 1) return `quant(scale=${f32str(q.scale[0]!)}, zp=${q.zeroPoint[0]})`;
  const f = new Float32Array(q.scale);
  const zps = new Set(q.zeroPoint);
  const zp = zps.size === 1 ? String(q.zeroPoint[0]) : `[${q.zeroPoint.join(',')}]`;
  return `quant(axis=${q.axis}, n=${q.scale.length}, scale=${f32str(Math.min(...f))}..${f32str(Math.max(...f))}, ` +
    `scales_fnv1a=${hex(fnv1a(new Uint8Array(f.buffer)))}, zp=${zp})`;
}

function dataStr(d: TensorData): string {
  let min = Infinity, max = -Infinity;
  for (const b of d) { const v = Number(b); if (v < min) min = v; if (v > max) max = v; }
  return `data(n=${d.length}, min=${min}, max=${max}, fnv1a=${hex(fnv1a(dataBytes(d)))})`;
}

export function printTensor(t: Tensor): string {
  const parts = [`%${t.id} = ${t.data ? 'const' : 'tensor'} ${JSON.stringify(t.name)} [${t.shape.join(',')}] ${t.dtype}`];
  if (t.quant) parts.push(quantStr(t.quant));
  if (t.data) parts.push(dataStr(t.data));
  return parts.join(' ');
}

function attrStr(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : f32str(v);
  if (Array.isArray(v)) return `[${v.map(attrStr).join(',')}]`;
  return String(v);
}

export function printOp(op: Op, index: number): string {
  const attrs = Object.keys(op).filter((k) => !['kind', 'inputs', 'outputs', 'name'].includes(k)).sort()
    .map((k) => `${k}=${attrStr((op as unknown as Record<string, unknown>)[k])}`);
  const operand = (id: number) => (id < 0 ? '_' : `%${id}`);
  return `op ${index} ${op.kind}${op.name ? ` ${JSON.stringify(op.name)}` : ''} (${op.inputs.map(operand).join(', ')}) -> ` +
    `${op.outputs.map(operand).join(', ')}${attrs.length ? ` {${attrs.join(', ')}}` : ''}`;
}

export function printGraph(g: Graph): string {
  const lines = [`graph ${JSON.stringify(g.name)} (inputs ${g.inputs.map((i) => `%${i}`).join(', ')}; outputs ${g.outputs.map((i) => `%${i}`).join(', ')})`];
  for (const t of g.tensors) lines.push('  ' + printTensor(t));
  for (let i = 0; i < g.ops.length; i++) lines.push('  ' + printOp(g.ops[i]!, i));
  return lines.join('\n') + '\n';
}
