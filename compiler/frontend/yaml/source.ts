// A parsed YAML file that remembers where every value came from, so any error about a config value can
// name file:line:column. Paths are lists of keys and indices, as in ajv's instancePath.
import { existsSync, statSync } from 'node:fs';
import { readInputText } from '../../files.ts';
import { isAlias, isCollection, isMap, isNode, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { MAX_YAML_ALIASES } from '../../limits.ts';
import { TinyforgeError } from '../../diagnostics.ts';

export type YamlPath = ReadonlyArray<string | number>;

export class YamlSource {
  private constructor(readonly file: string, readonly doc: Document.Parsed, private readonly lc: LineCounter) {}

  /** Reads and parses `file`; YAML syntax errors become located TinyforgeErrors. */
  static read(file: string): YamlSource {
    if (!existsSync(file)) throw new TinyforgeError('no such file', { file });
    if (statSync(file).isDirectory()) throw new TinyforgeError('is a directory, not a config file', { file });
    const text = readInputText(file, 'config');
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
    const err = doc.errors[0];
    if (err) {
      const at = err.linePos?.[0] ?? lc.linePos(err.pos[0]);
      throw new TinyforgeError(`YAML syntax error: ${err.message.split('\n')[0]}`, { file, line: at.line, column: at.col });
    }
    // A list, mapping or alias as a key (`[25, 5]: x`, or a stray comma that makes one) has no meaning in a config;
    // the YAML library would stringify it with a process warning.
    let badKey: { range?: [number, number, number] | null } | undefined;
    visit(doc, { Pair(_k, pair) { if (isCollection(pair.key) || isAlias(pair.key)) { badKey = pair.key; return visit.BREAK; } return undefined; } });
    if (badKey) {
      const at = lc.linePos(badKey.range?.[0] ?? 0);
      throw new TinyforgeError('a key is a list, mapping or alias; config keys are plain names', { file, line: at.line, column: at.col }, 'check the brackets and commas around this key');
    }
    checkAliases(file, doc, lc);
    return new YamlSource(file, doc, lc);
  }

  /** The document as plain data (aliases resolved: checkAliases has bounded and located them). */
  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  }

  /** Line and column of the value at `path` (or of its key, with key = true); the nearest ancestor if absent. */
  locate(path: YamlPath, key = false): { line: number; column: number } {
    for (let n = path.length; n >= 0; n--) {
      const sub = path.slice(0, n);
      let node: unknown;
      if (key && n === path.length && n > 0) {
        const parent = this.doc.getIn(sub.slice(0, -1), true);
        if (isMap(parent)) node = parent.items.find((p) => isNode(p.key) && (p.key as { value?: unknown }).value === sub[n - 1])?.key;
      } else {
        node = n === 0 ? this.doc.contents : this.doc.getIn(sub, true);
      }
      if (isNode(node) && node.range) {
        const p = this.lc.linePos(node.range[0]);
        return { line: p.line, column: p.col };
      }
    }
    return { line: 1, column: 1 };
  }

  error(path: YamlPath, message: string, opts: { key?: boolean; hint?: string } = {}): TinyforgeError {
    return new TinyforgeError(message, { file: this.file, ...this.locate(path, opts.key) }, opts.hint);
  }
}

/**
 * Aliases (`*name`) are allowed, but each must refer to an anchor defined before it and outside itself (a
 * self-reference would make the config infinite), and a config may hold at most MAX_YAML_ALIASES of them and
 * expand them to at most that many copies of a node (the yaml library's guard against alias bombs).
 */
function checkAliases(file: string, doc: Document.Parsed, lc: LineCounter): void {
  const at = (node: { range?: [number, number, number] | null }) => {
    const p = lc.linePos(node.range?.[0] ?? 0);
    return { file, line: p.line, column: p.col };
  };
  const anchors = new Set<string>();
  let count = 0;
  let bad: TinyforgeError | undefined;
  visit(doc, {
    Node(_key, node) {
      if (node.anchor) anchors.add(node.anchor);
    },
    Alias(_key, node, path) {
      if (bad) return visit.BREAK;
      count++;
      if (count > MAX_YAML_ALIASES) {
        bad = new TinyforgeError(`more than ${MAX_YAML_ALIASES} YAML aliases`, at(node), 'write the repeated values out, or use fewer aliases');
      } else if (path.some((p) => isNode(p) && (p as { anchor?: string }).anchor === node.source)) {
        bad = new TinyforgeError(`alias *${node.source} refers to a node that contains it`, at(node), 'an alias must not point at one of its own ancestors');
      } else if (!anchors.has(node.source)) {
        bad = new TinyforgeError(`alias *${node.source} has no anchor &${node.source} before it`, at(node), 'define the anchor (&name) before using the alias (*name)');
      }
      return undefined;
    },
  });
  if (bad) throw bad;
  try {
    doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    if (!(e instanceof ReferenceError)) throw e;
    let first: { range?: [number, number, number] | null } | undefined;
    visit(doc, { Alias(_key, node) { first = node; return visit.BREAK; } });
    throw new TinyforgeError(`YAML aliases expand to too many nodes (more than ${MAX_YAML_ALIASES} copies)`, first ? at(first) : { file },
      'an alias of an alias multiplies the config; write the values out');
  }
}

/** `targets.mcu.cpu`, `network.layers[2].kernel`; `config` for the root. */
export function showPath(path: YamlPath): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s || 'config';
}

/** A value as quoted in messages. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') {
    // a multi-line scalar stays on the error's one line
    const t = v.replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
    return `'${t.length > 60 ? t.slice(0, 57) + '...' : t}'`;
  }
  if (v === null || v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
}

/** The candidate closest to `word` by edit distance, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  // Edit distance counting a swap of neighbours as one edit (optimal string alignment).
  const dist = (a: string, b: string) => {
    let older: number[] = [];
    let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
      const cur = [i];
      for (let j = 1; j <= b.length; j++) {
        cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j]!, older[j - 2]! + 1);
      }
      older = prev;
      prev = cur;
    }
    return prev[b.length]!;
  };
  let best: string | undefined, bestD = Infinity;
  for (const c of candidates) { const d = dist(word, c); if (d < bestD) { best = c; bestD = d; } }
  return bestD <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}
