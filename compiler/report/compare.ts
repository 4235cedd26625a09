// CGRA next to CPU, per layer, as the CF'24 paper compared the array with the host core: the array's
// cycles (shared bus, per-launch call cost included, from the simulator) beside the Cortex-M's executed
// instructions for the same layer (QEMU icount). Instructions are not cycles; the column says so.

export interface CompareRow {
  index: number;
  name: string;
  kind: string;
  macs: number;
  mcu?: { instructions?: number };
  cgra?: { cycles: number };
}

const num = (n: number) => n.toLocaleString('en-US');

export function formatCgraVsMcu(rows: CompareRow[], cpu: string): string | undefined {
  const both = rows.filter((r) => r.cgra && r.mcu?.instructions !== undefined);
  if (both.length === 0) return undefined;
  const header = ['#', 'layer', 'kind', 'MACs', 'CGRA cycles', `${cpu} instructions`, 'instr / CGRA cycle'];
  const body = both.map((r) => [String(r.index), r.name, r.kind, num(r.macs), num(r.cgra!.cycles), num(r.mcu!.instructions!),
    (r.mcu!.instructions! / r.cgra!.cycles).toFixed(2)]);
  const sum = (f: (r: CompareRow) => number) => both.reduce((s, r) => s + f(r), 0);
  const cyc = sum((r) => r.cgra!.cycles);
  const ins = sum((r) => r.mcu!.instructions!);
  const foot = ['', 'total', '', num(sum((r) => r.macs)), num(cyc), num(ins), (ins / cyc).toFixed(2)];
  const all = [header, ...body, foot];
  const w = header.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((s, c) => (c >= 3 || c === 0 ? s.padStart(w[c]!) : s.padEnd(w[c]!))).join('  ').trimEnd();
  const rule = w.map((n) => '-'.repeat(n)).join('  ');
  return [`CGRA vs CPU per layer (CGRA: shared-bus cycles incl. call cost; CPU: executed instructions, not cycles)`,
    line(header), rule, ...body.map(line), rule, line(foot)].join('\n');
}
