// The per-layer table shared by `inspect` and `build`: index, name, kind, input and output shapes, MACs, weight
// and activation bytes, then totals and the op histogram. Text for people; graphStats() is the JSON form.
import type { GraphStats } from '../ir/stats.ts';

const shape = (s: number[]) => `[${s.join(',')}]`;
const num = (n: number) => n.toLocaleString('en-US');

export function formatLayerTable(title: string, stats: GraphStats): string {
  const header = ['#', 'name', 'kind', 'inputs', 'output', 'MACs', 'weight B', 'act B'];
  const rows = stats.ops.map((s) => [
    String(s.index), s.name, s.kind, s.inputShapes.map(shape).join(' '), s.outputShapes.map(shape).join(' '), num(s.macs), num(s.weightBytes), num(s.activationBytes),
  ]);
  const t = stats.totals;
  const footer = ['', 'total', `${t.ops} ops`, '', '', num(t.macs), num(t.weightBytes), `max ${num(t.activationBytes)}`];
  const all = [header, ...rows, footer];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const right = new Set([0, 5, 6, 7]);
  const line = (r: string[]) => r.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const hist = Object.entries(t.histogram).map(([k, n]) => `${n} ${k}`).join(', ');
  const lines = [title, line(header), rule, ...rows.map(line), rule, line(footer), `ops: ${hist}`];
  if (stats.edges) {
    const e = (x: { name: string; dtype: string; shape: number[] }) => `'${x.name}' ${x.dtype} ${shape(x.shape)}`;
    lines.push(`edges: inputs ${stats.edges.inputs.map(e).join(', ')}; outputs ${stats.edges.outputs.map(e).join(', ')}`);
  }
  return lines.join('\n');
}
