// report.html of `tinyforge build`: one self-contained page per build (no network: the data as JSON and
// Observable Plot, bundled by scripts/build.mjs into dist/plot.js, inline) joining both targets: the
// per-layer table (MACs, Cortex-M variant, measured instructions, scratch and constant bytes, live RAM at
// the layer, CGRA strategy, cycles and PE utilisation, bit-exactness), per-layer cost bars (Cortex-M
// instructions, CGRA cycles), the Cortex-M cycle model's cycles per layer by cause (issue and stalls, with
// the part and clock; modelled), the live-memory curve of the chosen memory plan against the arena, the DVFS
// plan (clock per segment over one inference), a PE-utilisation heatmap per CGRA layer (share of the
// layer's kernel steps in which each PE issues an instruction other than NOP; static, from the
// bitstream), and the mapping explorer (pick a layer: its CGRA mapping and Cortex-M kernel).
// Every plot is a <figure data-plot=... data-marks=N> whose mark group holds N marks (tests check it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { distDir } from '../paths.ts';

export interface HtmlLayer {
  index: number; name: string; kind: string; macs: number;
  mcu?: { variant: string; instructions?: number; instructionsPerMac?: number; scratchBytes: number; constBytes: number;
    /** Cycle model (mcu-backend/timing): the layer's cycles and its stall cycles by cause. Modelled, not measured. */
    modelled?: { cycles: number; cyclesPerMac?: number; stalls: Record<string, number> } };
  cgra?: { strategy: string; cycles: number; macPerCycle: number; peUtilisation: number; bitExact: boolean; launches: number };
  /** Bytes live in the arena while the layer runs (Cortex-M memory plan). */
  liveBytes?: number;
}

export interface HtmlReportData {
  name: string;
  config: string;
  arith: string;
  layers: HtmlLayer[];
  mcu?: {
    cpu: string; flashBytes: number; ramBytes: number; arenaBytes: number; peakLayer: number; strategy: string; sizeSource: string;
    instructions?: number; verify: Array<{ on: string; ok: boolean; inputs: number }>;
    /** Cycle model totals with the part and clock it prices (modelled, not measured). */
    modelled?: { core: string; part?: string; clockMHz?: number; waitStates?: number; cycles: number; cyclesPerMac?: number; latencyMs?: number; byCause: Record<string, number> };
  };
  cgra?: { rows: number; cols: number; bus: string; cycles: number; macPerCycle: number; bitExactLayers: number; layers: number };
  dvfs?: { part: string; deadlineUs: number; segments: Array<{ name: string; fMHz: number; us: number; uj: number }> };
  /** Per CGRA layer: PE utilisation grid [row][col] in 0..1 and the mapping as text. */
  pe: Array<{ index: number; name: string; strategy: string; grid: number[][]; mapping: string }>;
}

/** The plotting library's bundle (dist/plot.js, built by `npm run build`). */
function plotLibrary(): string {
  return readFileSync(join(distDir, 'plot.js'), 'utf8');
}

/** JSON safe inside a <script> element. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c');
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** True when the file at `text` is a build report tinyforge wrote (so a build may replace it). */
export function isBuildReport(text: string): boolean {
  return text.startsWith('<!doctype html>') && text.includes('<meta name="generator" content="tinyforge">');
}

export function buildReportHtml(d: HtmlReportData): string {
  const lib = plotLibrary().replace(/<\/script/gi, '<\\/script');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tinyforge build: ${esc(d.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tinyforge">
<style>
body{font:14px system-ui,sans-serif;margin:1.5em 2em;color:#222}h1{font-size:22px}h2{font-size:17px;margin-top:1.6em;border-bottom:1px solid #ccc}
section{margin-bottom:1em}table{border-collapse:collapse;font-size:13px}td,th{padding:2px 7px;border-bottom:1px solid #e4e4e4;text-align:right;white-space:nowrap}
td.l,th.l{text-align:left}tr.bad{background:#fdd}.muted{color:#777}figure{margin:.5em 0 1em}figcaption{font-size:12px;color:#555}
.grid{display:flex;flex-wrap:wrap;gap:1em}pre{font-size:12px;background:#f7f7f7;padding:.6em;max-height:30em;overflow:auto}
</style></head><body>
<h1>tinyforge build: ${esc(d.name)}</h1>
<script type="application/json" id="tf-data">${scriptJson(d)}</script>
<script>${lib}</script>
<section id="summary"><h2>Summary</h2><div id="summary-body"></div></section>
<section id="layers"><h2>Layers</h2><div id="layers-body"></div></section>
<section id="costs"><h2>Per-layer cost</h2><div class="grid" id="costs-body"></div></section>
<section id="memory"><h2>Memory: live bytes per layer (Cortex-M plan)</h2><div id="memory-body"></div></section>
<section id="dvfs"><h2>DVFS plan</h2><div id="dvfs-body"></div></section>
<section id="pe"><h2>CGRA PE utilisation</h2><div class="grid" id="pe-body"></div></section>
<section id="explorer"><h2>Mapping explorer</h2><div id="explorer-body"></div></section>
<script>
"use strict";
const D = JSON.parse(document.getElementById("tf-data").textContent);
const fmt = (n, d = 0) => n === undefined || n === null ? "-" : Number(n).toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
const el = (tag, attrs = {}, ...kids) => { const e = document.createElement(tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); for (const c of kids) e.append(c); return e; };
const CAUSES = [["issue", "issue"], ["memory", "memory"], ["multiply", "multiply"], ["branch", "branch"], ["loadUse", "load-use"], ["fetch", "fetch"], ["flashData", "flash data"]];
function figure(parent, id, marks, caption, plot) {
  const f = el("figure", { "data-plot": id, "data-marks": String(marks) });
  f.append(plot, el("figcaption", {}, caption));
  parent.append(f);
}
// Summary
{
  const p = [];
  p.push("Config " + D.config + ", arithmetic " + D.arith + ", " + D.layers.length + " layers, " + fmt(D.layers.reduce((s, l) => s + l.macs, 0)) + " MACs.");
  if (D.mcu) p.push("Cortex-" + D.mcu.cpu + ": flash " + fmt(D.mcu.flashBytes) + " B, RAM " + fmt(D.mcu.ramBytes) + " B (" + D.mcu.sizeSource + "), arena " + fmt(D.mcu.arenaBytes) + " B peaking at layer " + D.mcu.peakLayer + " (" + D.mcu.strategy + " schedule)" + (D.mcu.instructions ? ", " + fmt(D.mcu.instructions) + " instructions per inference (QEMU)" : "") + ". Verification: " + (D.mcu.verify.length ? D.mcu.verify.map((v) => v.on + " " + (v.ok ? "bit-exact" : "MISMATCH") + " (" + v.inputs + " inputs)").join(", ") : "not run") + ".");
  const M = D.mcu && D.mcu.modelled;
  if (M) p.push("Modelled cycles (" + M.core + " timing, " + (M.part ? M.part + " at " + M.clockMHz + " MHz, " + M.waitStates + " flash wait states" : "zero-wait memory") + "; mcu-backend/timing, not measured): " +
    fmt(M.cycles) + " cycles per inference" + (M.cyclesPerMac !== undefined ? ", " + fmt(M.cyclesPerMac, 2) + " per MAC" : "") + (M.latencyMs !== undefined ? ", " + fmt(M.latencyMs, 3) + " ms" : "") +
    "; " + CAUSES.map(([k, n]) => n + " " + fmt(M.byCause[k])).join(", ") + ".");
  if (D.cgra) p.push("CGRA " + D.cgra.rows + "x" + D.cgra.cols + " (" + D.cgra.bus + " bus): " + fmt(D.cgra.cycles) + " cycles, " + fmt(D.cgra.macPerCycle, 3) + " MAC/cycle, bit-exact layers " + D.cgra.bitExactLayers + "/" + D.cgra.layers + ".");
  const b = document.getElementById("summary-body");
  for (const t of p) b.append(el("p", {}, t));
}
// Layer table
{
  const head = ["#", "layer", "kind", "MACs", "MCU variant", "instr", "instr/MAC", "scratch B", "flash (const) B", "live RAM B", "CGRA strategy", "CGRA cycles", "MAC/cycle", "PE util", "bit-exact"];
  const t = el("table", { id: "layer-table" });
  const hr = el("tr");
  head.forEach((h, i) => hr.append(el("th", i > 0 && i < 3 || i === 4 || i === 10 ? { class: "l" } : {}, h)));
  t.append(hr);
  const mcuOk = D.mcu && D.mcu.verify.length ? D.mcu.verify.every((v) => v.ok) : undefined;
  for (const l of D.layers) {
    const exact = [l.cgra ? "CGRA " + (l.cgra.bitExact ? "yes" : "NO") : "", mcuOk === undefined ? "" : "MCU " + (mcuOk ? "yes" : "NO")].filter(Boolean).join(", ") || "-";
    const cells = [l.index, l.name, l.kind, fmt(l.macs), l.mcu ? l.mcu.variant : "-", fmt(l.mcu && l.mcu.instructions), l.mcu && l.mcu.instructionsPerMac !== undefined ? fmt(l.mcu.instructionsPerMac, 2) : "-",
      fmt(l.mcu && l.mcu.scratchBytes), fmt(l.mcu && l.mcu.constBytes), fmt(l.liveBytes), l.cgra ? l.cgra.strategy : "-", fmt(l.cgra && l.cgra.cycles),
      l.cgra ? fmt(l.cgra.macPerCycle, 3) : "-", l.cgra ? fmt(100 * l.cgra.peUtilisation) + "%" : "-", exact];
    const tr = el("tr", { "data-layer": String(l.index) });
    if ((l.cgra && !l.cgra.bitExact) || mcuOk === false) tr.className = "bad";
    cells.forEach((c, i) => tr.append(el("td", i > 0 && i < 3 || i === 4 || i === 10 ? { class: "l" } : {}, String(c))));
    t.append(tr);
  }
  document.getElementById("layers-body").append(t);
}
const W = Math.min(900, Math.max(420, 40 * D.layers.length));
// Cost bars
{
  const b = document.getElementById("costs-body");
  const mcuRows = D.layers.filter((l) => l.mcu);
  if (mcuRows.length) {
    const measured = mcuRows.every((l) => l.mcu.instructions !== undefined);
    const y = measured ? "instructions" : "macs";
    const data = mcuRows.map((l) => ({ layer: l.index + " " + l.name, index: l.index, instructions: l.mcu.instructions, macs: l.macs }));
    figure(b, "cost-mcu", data.length, measured ? "Cortex-" + D.mcu.cpu + " instructions per layer (QEMU icount)" : "MACs per layer (no QEMU count)",
      Plot.plot({ width: W, height: 260, marginLeft: 70, x: { type: "band", label: "layer", tickFormat: (i) => String(i) }, y: { grid: true, label: y },
        marks: [Plot.barY(data, { x: "index", y, fill: "#4a7", title: (r) => r.layer + ": " + fmt(r[y]) }), Plot.ruleY([0])] }));
  }
  // Where the modelled cycles go: per layer, issue and every stall cause (stacked bars and a table).
  const M = D.mcu && D.mcu.modelled;
  const ml = D.layers.filter((l) => l.mcu && l.mcu.modelled);
  if (M && ml.length) {
    const where = M.core + " timing, " + (M.part ? M.part + " at " + M.clockMHz + " MHz, " + M.waitStates + " flash wait states" : "zero-wait memory");
    const issue = (l) => l.mcu.modelled.cycles - CAUSES.slice(1).reduce((s, [k]) => s + (l.mcu.modelled.stalls[k] || 0), 0);
    const val = (l, k) => k === "issue" ? issue(l) : l.mcu.modelled.stalls[k] || 0;
    const data = [];
    for (const l of ml) for (const [k, n] of CAUSES) { const v = val(l, k); if (v > 0) data.push({ index: l.index, layer: l.index + " " + l.name, cause: n, cycles: v }); }
    figure(b, "cycles-mcu", data.length, "Modelled cycles per layer by cause (" + where + "; mcu-backend/timing, not measured)",
      Plot.plot({ width: W, height: 280, marginLeft: 70, x: { type: "band", label: "layer", tickFormat: (i) => String(i) }, y: { grid: true, label: "modelled cycles" },
        color: { legend: true, domain: CAUSES.map(([, n]) => n) },
        marks: [Plot.barY(data, { x: "index", y: "cycles", fill: "cause", title: (r) => r.layer + ", " + r.cause + ": " + fmt(r.cycles) }), Plot.ruleY([0])] }));
    const t = el("table", { id: "cycles-table" });
    const hr = el("tr");
    ["#", "layer", "modelled cycles", "cycles/MAC", ...CAUSES.map(([, n]) => n)].forEach((h, i) => hr.append(el("th", i === 1 ? { class: "l" } : {}, h)));
    t.append(hr);
    for (const l of ml) {
      const tr = el("tr", { "data-layer": String(l.index) });
      [l.index, l.name, fmt(l.mcu.modelled.cycles), l.mcu.modelled.cyclesPerMac !== undefined ? fmt(l.mcu.modelled.cyclesPerMac, 2) : "-", ...CAUSES.map(([k]) => fmt(val(l, k)))]
        .forEach((c, i) => tr.append(el("td", i === 1 ? { class: "l" } : {}, String(c))));
      t.append(tr);
    }
    const f = el("figure", { id: "cycles-where" });
    f.append(t, el("figcaption", {}, "Where the modelled cycles go, per layer (" + where + "); issue = one cycle per issued instruction or dual-issued pair, the rest are stalls by cause."));
    b.append(f);
  }
  const cg = D.layers.filter((l) => l.cgra);
  if (cg.length) {
    const data = cg.map((l) => ({ layer: l.index + " " + l.name, index: l.index, cycles: l.cgra.cycles, strategy: l.cgra.strategy }));
    figure(b, "cost-cgra", data.length, "CGRA cycles per mapped layer (shared bus, launch overhead included)",
      Plot.plot({ width: W, height: 260, marginLeft: 70, x: { type: "band", label: "layer", tickFormat: (i) => String(i) }, y: { grid: true, label: "cycles" },
        marks: [Plot.barY(data, { x: "index", y: "cycles", fill: "#47a", title: (r) => r.layer + " (" + r.strategy + "): " + fmt(r.cycles) }), Plot.ruleY([0])] }));
  }
}
// Memory curve
{
  const b = document.getElementById("memory-body");
  const data = D.layers.filter((l) => l.liveBytes !== undefined).map((l) => ({ index: l.index, live: l.liveBytes, name: l.name }));
  if (data.length && D.mcu) {
    figure(b, "memory", data.length, "Bytes live in the arena while each layer runs; the line is the arena the plan places them in (" + fmt(D.mcu.arenaBytes) + " B, " + D.mcu.strategy + " schedule)",
      Plot.plot({ width: W, height: 260, marginLeft: 70, x: { label: "layer" }, y: { grid: true, label: "live bytes", domain: [0, Math.max(D.mcu.arenaBytes, ...data.map((r) => r.live)) * 1.05] },
        marks: [Plot.lineY(data, { x: "index", y: "live", stroke: "#a47" }), Plot.dot(data, { x: "index", y: "live", fill: "#a47", r: 3.5, title: (r) => r.index + " " + r.name + ": " + fmt(r.live) + " B" }),
          Plot.ruleY([D.mcu.arenaBytes], { stroke: "#555", strokeDasharray: "4,3" })] }));
  } else b.append(el("p", { class: "muted" }, "No Cortex-M target in this build."));
}
// DVFS plan
{
  const b = document.getElementById("dvfs-body");
  if (D.dvfs) {
    let t = 0;
    const data = D.dvfs.segments.map((s) => { const r = { name: s.name, x1: t, x2: t + s.us, fMHz: s.fMHz, uj: s.uj }; t += s.us; return r; });
    figure(b, "dvfs", data.length, "Clock per segment over one inference on " + D.dvfs.part + " (latency budget " + fmt(D.dvfs.deadlineUs / 1000, 3) + " ms; energy is modelled)",
      Plot.plot({ width: 900, height: 240, marginLeft: 60, x: { label: "time (µs)", domain: [0, Math.max(t, D.dvfs.deadlineUs)] }, y: { grid: true, label: "MHz" },
        marks: [Plot.rectY(data, { x1: "x1", x2: "x2", y: "fMHz", fill: "#c84", title: (r) => r.name + ": " + r.fMHz + " MHz, " + fmt(r.uj, 2) + " µJ" }),
          Plot.ruleX([D.dvfs.deadlineUs], { stroke: "#a00", strokeDasharray: "4,3" })] }));
  } else b.append(el("p", { class: "muted" }, "No DVFS part in this build (targets.mcu.part)."));
}
// PE heatmaps
{
  const b = document.getElementById("pe-body");
  if (!D.pe.length) b.append(el("p", { class: "muted" }, "No CGRA target in this build."));
  for (const p of D.pe) {
    const cells = [];
    p.grid.forEach((row, r) => row.forEach((u, c) => cells.push({ row: r, col: c, u })));
    figure(b, "pe-" + p.index, cells.length, "layer " + p.index + " " + p.name + " (" + p.strategy + ")",
      Plot.plot({ width: 40 * p.grid[0].length + 60, height: 40 * p.grid.length + 50, padding: 0.05, x: { label: "col" }, y: { label: "row" },
        color: { type: "linear", domain: [0, 1], scheme: "blues" },
        marks: [Plot.cell(cells, { x: "col", y: "row", fill: "u", title: (d) => "PE(" + d.row + "," + d.col + "): " + fmt(100 * d.u) + "%" })] }));
  }
}
// Mapping explorer
{
  const b = document.getElementById("explorer-body");
  const sel = el("select", { id: "explorer-layer" });
  for (const l of D.layers) sel.append(el("option", { value: String(l.index) }, l.index + " " + l.name + " (" + l.kind + ")"));
  const info = el("div", { id: "explorer-info" });
  const show = () => {
    const i = Number(sel.value);
    const l = D.layers.find((x) => x.index === i);
    const p = D.pe.find((x) => x.index === i);
    info.replaceChildren(
      el("p", {}, l.kind + ", " + fmt(l.macs) + " MACs. Cortex-M: " + (l.mcu ? l.mcu.variant + ", " + fmt(l.mcu.instructions) + " instructions, scratch " + fmt(l.mcu.scratchBytes) + " B, constants " + fmt(l.mcu.constBytes) + " B" : "-") +
        ". CGRA: " + (l.cgra ? l.cgra.strategy + ", " + l.cgra.launches + " launches, " + fmt(l.cgra.cycles) + " cycles" : "runs on the host CPU") + "."),
      p ? el("pre", {}, p.mapping) : el("p", { class: "muted" }, "No CGRA mapping for this layer."));
  };
  sel.addEventListener("change", show);
  const first = D.pe.length ? D.pe[0].index : (D.layers[0] && D.layers[0].index);
  if (first !== undefined) { sel.value = String(first); show(); }
  b.append(el("label", {}, "layer ", sel), info);
}
</script>
</body></html>
`;
}
