// PE-grid renderings of a kernel, one grid per instruction step: each PE's instruction, where its operands
// come from (neighbour arrows: ← RCL, → RCR, ↑ RCT, ↓ RCB mean "data from that side"), its memory access,
// and the step's cycles and stall cycles (from the words; with a simulated launch also how often the step
// ran and the cycles it took). Two forms: plain text, and a self-contained HTML page with one SVG per step.
//
// API: `viewText(arch, kernel, opts) -> string`, `viewHtml(arch, kernels, opts) -> string`.
import type { BusModel, CgraArch } from '../arch.ts';
import { decode } from '../isa/encoding.ts';
import type { Kernel } from '../isa/image.ts';
import { formatInstr } from '../isa/instr-text.ts';
import { FLAG_SOURCES, OPCODES, SOURCES, type OpClass } from '../isa/tables.ts';
import { staticStepTiming, type StepStats } from '../sim/sim.ts';

export interface ViewOptions {
  bus: BusModel;
  /** Per-step execution counts from a simulated launch (LaunchStats.perStep). */
  measured?: StepStats[];
}

interface CellInfo { text: string; cls: OpClass; from: ('L' | 'R' | 'T' | 'B')[]; mem?: 'ld' | 'st' }

const ARROW = { L: '←', R: '→', T: '↑', B: '↓' } as const;
const SIDE: Record<string, 'L' | 'R' | 'T' | 'B'> = { RCL: 'L', RCR: 'R', RCT: 'T', RCB: 'B' };

function cellInfo(w: number): CellInfo {
  const i = decode(w);
  const info = OPCODES[i.op];
  const text = formatInstr(w);
  if (!info) return { text, cls: 'nop', from: [] };
  const used: number[] = [];
  const f = info.form;
  if (f === 'alu' || f === 'sel' || f === 'branch' || f === 'jump' || f === 'swi') used.push(i.a, i.b);
  if (f === 'swd') used.push(i.a);
  if (f === 'lwi') used.push(i.b);
  const from = new Set<'L' | 'R' | 'T' | 'B'>();
  for (const u of used) { const s = SIDE[SOURCES[u]?.name ?? '']; if (s) from.add(s); }
  if (f === 'sel') { const s = SIDE[FLAG_SOURCES[i.f]?.name ?? '']; if (s) from.add(s); }
  return { text, cls: info.cls, from: [...from], ...(info.cls === 'load' ? { mem: 'ld' as const } : info.cls === 'store' ? { mem: 'st' as const } : {}) };
}

function stepHeader(t: number, k: Kernel, o: ViewOptions, timing: ReturnType<typeof staticStepTiming>[number]): string {
  const m = o.measured?.[t];
  const mem = timing.accesses ? `, memory ${timing.perColumn.join('/')} per column` : '';
  const mul = timing.mul ? ', multiply' : '';
  const ran = m ? `; ran ${m.executions}x = ${m.cycles} cycles` : '';
  void k;
  return `step ${t}: ${timing.cycles} cycle${timing.cycles > 1 ? 's' : ''} (stall ${timing.cycles - 1})${mul}${mem}${ran}`;
}

export function viewText(arch: CgraArch, k: Kernel, o: ViewOptions): string {
  const timing = staticStepTiming(k, o.bus);
  const cells = k.words.map((rows) => rows.map((r) => r.map(cellInfo)));
  const label = (c: CellInfo): string => `${c.text}${c.from.length ? ' ' + c.from.map((s) => ARROW[s]).join('') : ''}${c.mem ? ` [${c.mem}]` : ''}`;
  const width = Math.max(8, ...cells.flat(2).map((c) => label(c).length));
  const total = o.measured ? o.measured.reduce((s, m) => s + m.cycles, 0) : undefined;
  const out = [`kernel ${k.id}${k.name ? ` (${k.name})` : ''}: ${arch.rows} rows x ${k.cols} columns, ${k.words.length} step${k.words.length === 1 ? '' : 's'}, ${o.bus} bus` +
    (total !== undefined ? `, ${total} instruction cycles in the simulated launch` : ''),
  'legend: ← → ↑ ↓ operand from the left/right/top/bottom neighbour, [ld]/[st] memory access'];
  const sep = '+' + Array(k.cols).fill('-'.repeat(width + 2)).join('+') + '+';
  cells.forEach((rows, t) => {
    out.push('', stepHeader(t, k, o, timing[t]), sep);
    for (const r of rows) out.push('| ' + r.map((c) => label(c).padEnd(width)).join(' | ') + ' |');
    out.push(sep);
  });
  return out.join('\n') + '\n';
}

const COLOR: Record<OpClass, string> = {
  nop: '#f1f1f1', alu: '#d9f2d9', mul: '#ffd9b3', sel: '#e6e6ff', branch: '#ead1f5', jump: '#ead1f5', load: '#cfe5ff', store: '#b3d1ff', exit: '#ffcccc',
};
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function stepSvg(arch: CgraArch, k: Kernel, rows: CellInfo[][]): string {
  const W = 170, H = 54, G = 26;
  const width = k.cols * (W + G) + G, height = arch.rows * (H + G) + G;
  const x = (c: number) => G + c * (W + G), y = (r: number) => G + r * (H + G);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    '<defs><marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#555"/></marker></defs>'];
  rows.forEach((row, r) => row.forEach((cell, c) => {
    const cx = x(c), cy = y(r);
    parts.push(`<rect x="${cx}" y="${cy}" width="${W}" height="${H}" rx="6" fill="${COLOR[cell.cls]}" stroke="#888"/>`,
      `<text x="${cx + 6}" y="${cy + 16}" font-size="10" fill="#666">PE(${r},${c})${cell.mem ? ' · ' + (cell.mem === 'ld' ? 'load' : 'store') : ''}</text>`,
      // Monospace 12px is ~7.2px a character; longer instructions are squeezed to the cell's width.
      `<text x="${cx + 6}" y="${cy + 36}" font-size="12" font-family="monospace"${cell.text.length * 7.3 > W - 12 ? ` textLength="${W - 12}" lengthAdjust="spacingAndGlyphs"` : ''}>${esc(cell.text)}</text>`);
    for (const s of cell.from) {
      // an arrow from the neighbour's side into this PE (wrap-around links are drawn as stubs at the edge)
      const [x1, y1, x2, y2] = s === 'L' ? [cx - G, cy + H / 2 - 6, cx, cy + H / 2 - 6] : s === 'R' ? [cx + W + G, cy + H / 2 + 6, cx + W, cy + H / 2 + 6]
        : s === 'T' ? [cx + W / 2 - 8, cy - G, cx + W / 2 - 8, cy] : [cx + W / 2 + 8, cy + H + G, cx + W / 2 + 8, cy + H];
      parts.push(`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="#555" stroke-width="1.5" marker-end="url(#a)"/>`);
    }
  }));
  parts.push('</svg>');
  return parts.join('');
}

export function viewHtml(arch: CgraArch, kernels: Kernel[], o: ViewOptions & { title: string; measuredByKernel?: Record<number, StepStats[]> }): string {
  const body: string[] = [];
  for (const k of kernels) {
    const timing = staticStepTiming(k, o.bus);
    const ko: ViewOptions = { bus: o.bus, measured: o.measuredByKernel?.[k.id] };
    body.push(`<h2>kernel ${k.id}${k.name ? ` (${esc(k.name)})` : ''}: ${arch.rows} x ${k.cols} PEs, ${k.words.length} step${k.words.length === 1 ? '' : 's'}, ${o.bus} bus</h2>`);
    k.words.forEach((rows, t) => {
      body.push(`<section><h3>${esc(stepHeader(t, k, ko, timing[t]))}</h3>${stepSvg(arch, k, rows.map((r) => r.map(cellInfo)))}</section>`);
    });
  }
  const legend = Object.entries(COLOR).map(([c, col]) => `<span style="background:${col};padding:2px 6px;margin-right:4px;border:1px solid #888">${c}</span>`).join('');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(o.title)}</title>
<style>body{font-family:sans-serif;margin:20px;color:#222} h3{font-size:14px;font-weight:normal;margin:14px 0 4px} section{display:inline-block;vertical-align:top;margin-right:12px}</style>
</head><body><h1>${esc(o.title)}</h1>
<p>One grid per instruction step (columns run in lockstep). Arrows: operand read from a neighbour's ROUT (torus; edge stubs wrap around). ${legend}</p>
${body.join('\n')}
</body></html>
`;
}
