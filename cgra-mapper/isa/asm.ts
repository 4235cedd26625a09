// Assembler and disassembler of tinyforge's per-PE OpenEdgeCGRA assembly (documented in docs/cgra-asm.md).
// The columns of a kernel run in lockstep on one PC, so the text is a grid per instruction step:
//
//   # comment (also ';')
//   arch 4x4                              optional: rows x cols this file is written for
//   kernel 1 name=dot cols=2              slot 1..15, optional name, columns used (default: all)
//   step 0                                one block per step: `step [index] [label:]`
//     LWD R0, 4    | NOP                  then one line per row, one cell per column, cells split by '|'
//     ...          | ...                  (instruction syntax: instr-text.ts)
//   step loop:
//     ...
//   end                                   closes the kernel
//
// Branch and jump targets are step numbers or step labels. Errors name the file, line and column, the
// kernel, the PE (row, col), the step and the rule broken.
//
// API: `assemble(text, {arch, file}) -> Kernel[]`, `assembleImage(text, opts) -> CgraImage`,
//      `disassemble(image) -> string`, `disassembleKernel(arch, kernel) -> string`.
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import type { CgraArch } from '../arch.ts';
import { encode } from './encoding.ts';
import { buildImage, kernelsOf, validateKernel, type CgraImage, type Kernel } from './image.ts';
import { formatInstr, InstrError, parseInstr } from './instr-text.ts';

export interface AsmOptions {
  arch: CgraArch;
  /** For error messages. */
  file?: string;
  /** Default pointer step for LWD/SWD without one (undefined: the step is required). */
  defaultStep?: number;
}

interface Cell { text: string; line: number; column: number }
interface PendingKernel { id: number; name?: string; cols: number; line: number; steps: Cell[][][]; labels: Map<string, number> }

const stripComment = (s: string): string => s.replace(/[#;].*$/, '');

export function assemble(text: string, opts: AsmOptions): Kernel[] {
  const { arch, file } = opts;
  const err = (msg: string, line: number, column?: number, hint?: string): TinyforgeError =>
    new TinyforgeError(msg, { file, line, ...(column !== undefined ? { column } : {}) }, hint);
  const lines = text.split(/\r?\n/);
  const kernels: Kernel[] = [];
  let cur: PendingKernel | undefined;
  let rowsLeft = 0;

  const finish = (k: PendingKernel, line: number): void => {
    if (rowsLeft > 0) throw err(`kernel ${k.id}: step ${k.steps.length - 1} has ${arch.rows - rowsLeft} of ${arch.rows} rows`, line);
    if (k.steps.length > arch.instrSlots) {
      throw err(`kernel ${k.id}: ${k.steps.length} instructions per PE; a kernel has at most ${arch.instrSlots} (the PC has 5 bits)`, k.line,
        undefined, 'split the kernel or loop with a branch');
    }
    const n = k.steps.length;
    const words = k.steps.map((rows, t) => rows.map((cells, r) => cells.map((cell, c) => {
      try {
        return encode(parseInstr(cell.text, { nInstr: n, labels: k.labels, defaultStep: opts.defaultStep }));
      } catch (e) {
        if (e instanceof InstrError) {
          throw err(`kernel ${k.id}: PE(row ${r}, col ${c}) step ${t} '${cell.text}': ${e.message}`, cell.line, cell.column);
        }
        throw e;
      }
    })));
    const kernel: Kernel = { id: k.id, cols: k.cols, words, ...(k.name ? { name: k.name } : {}) };
    validateKernel(arch, kernel, { file, line: k.line });
    kernels.push(kernel);
  };

  for (let i = 0; i < lines.length; i++) {
    const ln = i + 1;
    const body = stripComment(lines[i]).trim();
    if (body === '') continue;
    const words = body.split(/\s+/);
    const kw = words[0].toLowerCase();
    if (rowsLeft > 0 && cur) {
      const cells = body.split('|');
      if (cells.length !== cur.cols) {
        throw err(`kernel ${cur.id}: step ${cur.steps.length - 1} row ${arch.rows - rowsLeft} has ${cells.length} cells, but the kernel has ${cur.cols} columns`, ln,
          undefined, "one cell per column, separated by '|'");
      }
      let col = lines[i].indexOf(body) + 1;
      const row: Cell[] = [];
      for (const c of cells) {
        const t = c.trim();
        row.push({ text: t, line: ln, column: col + (c.length - c.trimStart().length) });
        col += c.length + 1;
      }
      cur.steps[cur.steps.length - 1].push(row);
      rowsLeft--;
      continue;
    }
    if (kw === 'arch') {
      const m = /^(\d+)x(\d+)$/i.exec(words[1] ?? '');
      if (!m || words.length !== 2) throw err(`bad arch line '${body}' (write e.g. 'arch 4x4')`, ln);
      if (Number(m[1]) !== arch.rows || Number(m[2]) !== arch.cols) {
        throw err(`file is written for a ${m[1]}x${m[2]} array, the target is ${arch.rows}x${arch.cols}`, ln, undefined, 'set rows/cols to match');
      }
    } else if (kw === 'kernel') {
      if (cur) throw err(`kernel ${cur.id} is not closed with 'end' before the next kernel`, ln);
      const id = Number(words[1]);
      if (!/^\d+$/.test(words[1] ?? '')) throw err(`kernel needs a slot number: 'kernel <1..${arch.kernelSlots - 1}> [name=..] [cols=..]'`, ln);
      if (id < 1 || id >= arch.kernelSlots) {
        throw err(`kernel slot ${id} is not usable (valid: 1..${arch.kernelSlots - 1}; slot 0 is reserved)`, ln);
      }
      if (kernels.some((k) => k.id === id)) throw err(`kernel slot ${id} is used twice`, ln);
      cur = { id, cols: arch.cols, line: ln, steps: [], labels: new Map() };
      for (const kv of words.slice(2)) {
        const m = /^(name|cols)=(.+)$/.exec(kv);
        if (!m) throw err(`bad kernel attribute '${kv}' (name=<id> or cols=<1..${arch.cols}>)`, ln);
        if (m[1] === 'name') cur.name = m[2];
        else {
          const c = Number(m[2]);
          if (!Number.isInteger(c) || c < 1 || c > arch.cols) throw err(`kernel ${id}: cols=${m[2]} (valid: 1..${arch.cols})`, ln);
          cur.cols = c;
        }
      }
    } else if (kw === 'step') {
      if (!cur) throw err(`'step' outside a kernel (start one with 'kernel <slot>')`, ln);
      const t = cur.steps.length;
      for (const w of words.slice(1)) {
        if (/^\d+$/.test(w)) {
          if (Number(w) !== t) throw err(`kernel ${cur.id}: step ${w} out of order (expected step ${t})`, ln);
        } else if (/^[A-Za-z_][\w.]*:$/.test(w)) {
          const label = w.slice(0, -1);
          if (cur.labels.has(label)) throw err(`kernel ${cur.id}: label '${label}' defined twice`, ln);
          cur.labels.set(label, t);
        } else throw err(`bad step line '${body}' (write 'step [index] [label:]')`, ln);
      }
      cur.steps.push([]);
      rowsLeft = arch.rows;
    } else if (kw === 'end') {
      if (!cur) throw err(`'end' without a kernel`, ln);
      finish(cur, ln);
      cur = undefined;
    } else {
      throw err(`unexpected '${words[0]}' (expected arch, kernel, step or end${cur ? '; a step has exactly ' + arch.rows + ' rows' : ''})`, ln);
    }
  }
  if (cur) finish(cur, lines.length);
  if (kernels.length === 0) throw new TinyforgeError('no kernel in the assembly text', { file }, "start one with 'kernel 1'");
  return kernels;
}

export function assembleImage(text: string, opts: AsmOptions): CgraImage {
  return buildImage(opts.arch, assemble(text, opts));
}

export function disassembleKernel(arch: CgraArch, k: Kernel): string {
  const out = [`kernel ${k.id}${k.name ? ` name=${k.name}` : ''} cols=${k.cols}`];
  const cells = k.words.map((rows) => rows.map((cols) => cols.map(formatInstr)));
  const width = Array.from({ length: k.cols }, (_, c) => Math.max(...cells.flatMap((rows) => rows.map((r) => r[c].length))));
  cells.forEach((rows, t) => {
    out.push(`step ${t}`);
    for (const r of rows) out.push('  ' + r.map((s, c) => (c === k.cols - 1 ? s : s.padEnd(width[c]))).join(' | '));
  });
  out.push('end');
  void arch;
  return out.join('\n');
}

export function disassemble(image: CgraImage): string {
  const { arch } = image;
  const head = [`# OpenEdgeCGRA assembly (tinyforge cgra disasm); grid per step: one line per row, cells = columns`,
    `arch ${arch.rows}x${arch.cols}`];
  return head.concat(kernelsOf(image).map((k) => '\n' + disassembleKernel(arch, k))).join('\n') + '\n';
}
