// Report writers for a mapped model: a text table, a self-contained HTML page and the JSON document
// ({"layers": [{"index", "name", "op", "macs", "cgra": {...}}], "totals": {...}}), plus the per-layer
// artefacts: HEEPsilon bitstream.h, the JSON image, a launch.json that `tinyforge cgra sim` replays alone
// (memory = constants + the host-staged input of the first test input; dump = the output regions) and the
// mapping view. Files are written to a temporary name and renamed, so nothing is left half-written.
import { mkdirSync } from 'node:fs';
import { writeFileAtomic } from '../compiler/files.ts';
import { join } from 'node:path';
import type { CgraArch } from './arch.ts';
import { formatBitstreamH, imageToJson } from './isa/bitstream.ts';
import { buildImage } from './isa/image.ts';
import type { HostLayer, LayerResult, MappedLayer, ModelTotals } from './map-model.ts';
import type { LayerPlan } from './plan.ts';
import { viewHtml } from './view/grid.ts';

export interface ModelReport {
  model: string; arch: { rows: number; cols: number; callCycles: number }; layers: LayerResult[]; totals: ModelTotals;
  /** Layers the host CPU runs, with the reason (absent in reports made before this field existed). */
  host?: HostLayer[];
}

const fmt = (n: number, d = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

export function reportText(r: ModelReport): string {
  const e2e = r.layers.some((l) => l.cgra.hostEstimate !== undefined);
  const head = ['#', 'layer', 'op', 'strategy', 'MACs', 'launches', 'cycles shared', 'MAC/c', 'cycles ports', 'MAC/c', 'PE util', 'loads', 'stores', 'energy uJ', 'host B', 'exact'];
  if (e2e) head.splice(8, 0, 'host est', 'e2e MAC/c');
  const rows = r.layers.map((l) => [
    String(l.index), l.name, l.op, l.cgra.strategy + (l.cgra.note ? '*' : ''), fmt(l.macs), fmt(l.cgra.launches), fmt(l.cgra.cycles), fmt(l.cgra.macPerCycle, 3),
    fmt(l.cgra.cyclesPorts), fmt(l.cgra.macPerCyclePorts, 3), `${fmt(100 * l.cgra.peUtilisation, 0)}%`, fmt(l.cgra.memAccesses.loads), fmt(l.cgra.memAccesses.stores),
    fmt(l.cgra.energyJ * 1e6, 1), fmt(l.cgra.hostWork.preBytes), l.cgra.bitExact ? `yes x${l.cgra.inputsChecked}` : `NO (${l.cgra.mismatches})`,
  ]);
  if (e2e) r.layers.forEach((l, i) => {
    const h = l.cgra.hostEstimate;
    rows[i].splice(8, 0, h === undefined ? '-' : fmt(h), h === undefined ? '-' : fmt(l.macs / (l.cgra.arrayCycles + h), 3));
  });
  const t = r.totals;
  rows.push(['', 'total', '', '', fmt(t.macs), fmt(t.launches), fmt(t.cycles), fmt(t.macPerCycle, 3), fmt(t.cyclesPorts), fmt(t.macPerCyclePorts, 3), '', '', '',
    fmt(t.energyJ * 1e6, 1), fmt(t.hostPreBytes), `${t.bitExactLayers}/${t.layers}`]);
  if (e2e) {
    const h = r.layers.reduce((a, l) => a + (l.cgra.hostEstimate ?? 0), 0), arr = r.layers.reduce((a, l) => a + l.cgra.arrayCycles, 0);
    rows[rows.length - 1].splice(8, 0, fmt(h), fmt(t.macs / (arr + h), 3));
  }
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i <= 3 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  const notes = r.layers.filter((l) => l.cgra.note).map((l) => `* layer ${l.index}: ${l.cgra.note}`);
  const host = (r.host ?? []).map((h) => `  layer ${h.index} ${h.name} (${h.op}${h.macs ? `, ${fmt(h.macs)} MACs` : ''}): ${h.reason}`);
  return [
    `CGRA mapping of ${r.model} on a ${r.arch.rows}x${r.arch.cols} OpenEdgeCGRA; cycles include ${r.arch.callCycles} CPU cycles per launch` +
      (e2e ? '; host est = the host program\'s modelled cycles (auto chose by array + host cycles), e2e MAC/c = MACs / (array cycles + host est)' : ''),
    line(head), line(w.map((n) => '-'.repeat(n))), ...rows.map(line), ...notes,
    ...(host.length ? [`run on the host CPU (${host.length} layers):`, ...host] : []),
  ].join('\n');
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function reportHtml(r: ModelReport, views: Map<number, string> = new Map()): string {
  const max = Math.max(...r.layers.map((l) => l.cgra.cycles), 1);
  const rows = r.layers.map((l) => `<tr${l.cgra.bitExact ? '' : ' class="bad"'}><td>${l.index}</td><td>${esc(l.name)}</td><td>${l.op}</td><td>${esc(l.cgra.strategy)}</td>
<td>${fmt(l.macs)}</td><td>${l.cgra.launches}</td><td>${fmt(l.cgra.cycles)}<div class="bar" style="width:${(100 * l.cgra.cycles / max).toFixed(1)}%"></div></td>
<td>${fmt(l.cgra.macPerCycle, 3)}</td><td>${fmt(l.cgra.cyclesPorts)}</td><td>${fmt(l.cgra.macPerCyclePorts, 3)}</td><td>${fmt(100 * l.cgra.peUtilisation)}%</td>
<td>${fmt(l.cgra.memAccesses.loads)} / ${fmt(l.cgra.memAccesses.stores)}</td><td>${fmt(l.cgra.energyJ * 1e6, 1)}</td><td>${fmt(l.cgra.hostWork.preBytes)} B; ${esc(l.cgra.hostWork.notes.join('; '))}</td>
<td>${l.cgra.bitExact ? 'yes' : `NO (${l.cgra.mismatches})`}</td></tr>
${views.has(l.index) ? `<tr><td></td><td colspan="14"><details><summary>mapping</summary><pre>${esc(views.get(l.index)!)}</pre></details></td></tr>` : ''}`).join('\n');
  const t = r.totals;
  return `<!doctype html><html><head><meta charset="utf-8"><title>CGRA mapping: ${esc(r.model)}</title><style>
body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right;vertical-align:top}
td:nth-child(-n+4),th:nth-child(-n+4),td:nth-child(14),th:nth-child(14){text-align:left}td:nth-child(14){min-width:24em;max-width:36em}.bar{height:4px;background:#4a7}.bad{background:#fdd}pre{text-align:left;font-size:12px}</style></head><body>
<h1>CGRA mapping: ${esc(r.model)}</h1><p>${r.arch.rows}x${r.arch.cols} OpenEdgeCGRA; cycles = array cycles + ${r.arch.callCycles} CPU cycles per launch.
Total ${fmt(t.macs)} MACs in ${fmt(t.cycles)} cycles (shared bus) = <b>${fmt(t.macPerCycle, 3)} MAC/cycle</b>; ports bus ${fmt(t.macPerCyclePorts, 3)};
bit-exact layers ${t.bitExactLayers}/${t.layers}.</p>
<table><tr><th>#</th><th>layer</th><th>op</th><th>strategy</th><th>MACs</th><th>launches</th><th>cycles (shared)</th><th>MAC/c</th><th>cycles (ports)</th><th>MAC/c</th><th>PE util</th><th>loads / stores</th><th>energy µJ</th><th>host work</th><th>bit-exact</th></tr>
${rows}</table>
${r.host?.length ? `<h2>Run on the host CPU</h2><table><tr><th>#</th><th>layer</th><th>op</th><th>MACs</th><th>why</th></tr>
${r.host.map((h) => `<tr><td>${h.index}</td><td>${esc(h.name)}</td><td>${h.op}</td><td>${fmt(h.macs)}</td><td>${esc(h.reason)}</td></tr>`).join('\n')}</table>` : ''}
</body></html>\n`;
}

export function reportJson(r: ModelReport): string {
  return JSON.stringify({ model: r.model, arch: r.arch, layers: r.layers, totals: r.totals, host: r.host ?? [] }, null, 2) + '\n';
}

const writeAtomic = (path: string, text: string): void => writeFileAtomic(path, text);

/** launch.json of one layer for `tinyforge cgra sim`: constants + staged input, launches, dump of the outputs. */
export function launchFileOf(plan: LayerPlan, input: Int8Array): string {
  const memory = [...plan.constBlocks, ...plan.stage(input)].map((b) => ({ addr: b.addr, words: Array.from(b.words, (w) => w | 0) }));
  return JSON.stringify({
    memoryBytes: plan.memoryBytes, memory, launches: plan.launches.map((l) => ({ kernel: l.kernel, ptrIn: l.ptrIn, ptrOut: l.ptrOut })),
    dump: plan.outRegions.map((r) => ({ addr: r.addr, words: r.words })),
  }) + '\n';
}

/** Writes layer-<index>-<strategy>.{bitstream.h, image.json, launch.json, mapping.txt, view.html} per layer. */
export function writeArtefacts(dir: string, arch: CgraArch, mapped: MappedLayer[], inputOf: (m: MappedLayer) => Int8Array): string[] {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const m of mapped) {
    const plan = m.choice.plan;
    const base = join(dir, `layer-${m.op.index}-${plan.strategy}`);
    const image = buildImage(arch, plan.kernels);
    const cname = `layer${m.op.index}_${plan.strategy.replace(/[^a-z0-9]/gi, '_')}`;
    writeAtomic(`${base}.bitstream.h`, formatBitstreamH(image, cname));
    writeAtomic(`${base}.image.json`, imageToJson(image));
    writeAtomic(`${base}.launch.json`, launchFileOf(plan, inputOf(m)));
    writeAtomic(`${base}.mapping.txt`, plan.view + '\n');
    // The kernel as PE grids per step (who reads which neighbour, who loads and stores), for the mapping view.
    writeAtomic(`${base}.view.html`, viewHtml(arch, plan.kernels, { bus: 'shared', title: `layer ${m.op.index} (${m.name}): ${plan.strategy}` }));
    files.push(`${base}.bitstream.h`, `${base}.image.json`, `${base}.launch.json`, `${base}.mapping.txt`, `${base}.view.html`);
  }
  return files;
}
