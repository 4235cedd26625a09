// The ESL-CGRA-simulator's instructions.csv form of one kernel: per instruction step a line holding the
// step number (then empty cells), followed by one line per row with one cell per column of assembly text
// (cells with commas are quoted). Its tools write LWD/SWD without a step (their simulator steps +4) and a
// literal 0 where ZERO is meant; on import the step defaults to `defaultStep` (4) and a literal 0 operand
// is read as ZERO, so `BEQ R1, 0, 6` does not collide with the branch target in the one immediate.
//
// API: `parseEslCsv(text, {arch, id, file, defaultStep}) -> Kernel`, `formatEslCsv(kernel) -> string`.
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import type { CgraArch } from '../arch.ts';
import { encode } from './encoding.ts';
import { validateKernel, type Kernel } from './image.ts';
import { formatInstr, InstrError, parseInstr } from './instr-text.ts';

/** The CSV's rows with their 1-based line numbers (of the row's start); empty rows dropped. */
function csvRows(text: string): { cells: string[]; line: number }[] {
  const rows: { cells: string[]; line: number }[] = [];
  let row: string[] = [];
  let cell = '';
  let q = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '\n') line++;
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') q = false; else cell += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') { row.push(cell); cell = ''; } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); rows.push({ cells: row, line: start }); row = []; cell = '';
      start = ++line;
    } else cell += ch;
  }
  if (cell !== '' || row.length) { row.push(cell); rows.push({ cells: row, line: start }); }
  return rows.filter((r) => r.cells.some((c) => c.trim() !== ''));
}

/** ESL spelling -> ours: a literal 0 operand is ZERO (keeps the immediate free). */
function eslToOurs(cell: string): string {
  const m = /^(\S+)\s*(.*)$/.exec(cell.trim());
  if (!m || m[2] === '') return cell.trim();
  const op = m[1].toUpperCase();
  const args = m[2].split(',').map((s) => s.trim());
  const isBranch = ['BEQ', 'BNE', 'BLT', 'BGE', 'BGQ'].includes(op);
  const isStepOp = op === 'LWD' || op === 'SWD';
  return `${m[1]} ${args.map((a, i) => (/^[-+]?0+$/.test(a) && !(isBranch && i === 2) && !(isStepOp && i === 1) ? 'ZERO' : a)).join(', ')}`;
}

export interface EslImportOptions { arch: CgraArch; id?: number; name?: string; file?: string; defaultStep?: number }

export function parseEslCsv(text: string, opts: EslImportOptions): Kernel {
  const { arch, file } = opts;
  const rows = csvRows(text);
  const per = arch.rows + 1;
  if (rows.length === 0 || rows.length % per !== 0) {
    throw new TinyforgeError(`${rows.length} non-empty CSV lines is not a multiple of ${per} (a step-number line plus ${arch.rows} rows per step)`, { file });
  }
  const n = rows.length / per;
  const id = opts.id ?? 1;
  // A kernel may use fewer columns than the array (formatEslCsv writes only its columns): the width is
  // the first row's number of non-empty cells.
  const used = (cells: string[]) => cells.length - [...cells].reverse().findIndex((c) => c.trim() !== '');
  const cols = Math.min(arch.cols, used(rows[1]?.cells ?? []));
  const words: number[][][] = [];
  for (let t = 0; t < n; t++) {
    const head = rows[t * per].cells[0].trim();
    if (!/^\d+$/.test(head)) throw new TinyforgeError(`cell 1: step ${t}: expected the step number in the first cell, got '${head.replace(/\n/g, '\\n')}'`, { file, line: rows[t * per].line });
    const step: number[][] = [];
    for (let r = 0; r < arch.rows; r++) {
      const { cells, line } = rows[t * per + 1 + r];
      if (cells.length < cols || cells.slice(cols).some((c) => c.trim() !== '')) {
        throw new TinyforgeError(`step ${t} row ${r}: ${used(cells)} cells, expected ${cols} (one per column the kernel uses, as in step 0 row 0; the array has ${arch.cols})`, { file, line });
      }
      step.push(cells.slice(0, cols).map((cell, c) => {
        try {
          return encode(parseInstr(eslToOurs(cell), { nInstr: n, defaultStep: opts.defaultStep ?? 4 }));
        } catch (e) {
          if (e instanceof InstrError) throw new TinyforgeError(`cell ${c + 1}: kernel ${id}: PE(row ${r}, col ${c}) step ${t} '${cell.trim().replace(/\n/g, '\\n')}': ${e.message}`, { file, line });
          throw e;
        }
      }));
    }
    words.push(step);
  }
  const k: Kernel = { id, cols, words, ...(opts.name ? { name: opts.name } : {}) };
  // A word that encodes but breaks a kernel rule (a branch target past the end...) is named by its line and cell.
  validateKernel(arch, k, { file }, (t, r, c) => ({ where: { file, line: rows[t * per + 1 + r].line }, label: `cell ${c + 1}` }));
  return k;
}

const quote = (s: string): string => (/[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export function formatEslCsv(k: Kernel): string {
  const out: string[] = [];
  k.words.forEach((rows, t) => {
    out.push([String(t), ...Array(k.cols - 1).fill('')].join(','));
    for (const r of rows) out.push(r.map((w) => quote(formatInstr(w))).join(','));
  });
  return out.join('\n') + '\n';
}
