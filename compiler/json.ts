// Parsing a user's JSON document with a one-line TinyforgeError naming the file, line and column and what
// is wrong in our words (JSON.parse's own message is JavaScript engine text and never reaches a user).
import { TinyforgeError } from './diagnostics.ts';

/** 1-based line and column of character `pos` of `text`. */
export function lineColumn(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(pos, text.length)));
  const line = before.split('\n').length;
  return { line, column: pos - (before.lastIndexOf('\n') + 1) + 1 };
}

/** Where JSON.parse stopped: the engine's "at position N", else the first character it quotes as unexpected. */
function errorPosition(text: string, msg: string): number | undefined {
  const p = /at position (\d+)/.exec(msg);
  if (p) return Number(p[1]);
  if (/Unexpected end of JSON input/.test(msg)) return text.length;
  return undefined; // "Unexpected token '}', "..." is not valid JSON": see tokenPosition

}

function reasonOf(msg: string): string {
  if (/Unexpected end of JSON input/.test(msg)) return 'the document ends early';
  const tok = /Unexpected token '(.+?)'/.exec(msg) ?? /Unexpected token (\S)/.exec(msg);
  if (tok) return `unexpected '${tok[1]}'`;
  if (/Unexpected non-whitespace character after JSON/.test(msg)) return 'text after the JSON value';
  if (/Bad control character/.test(msg)) return 'a control character inside a string';
  if (/Expected property name/.test(msg)) return 'expected a quoted property name';
  if (/Expected ',' or '}'/.test(msg)) return "expected ',' or '}'";
  if (/Expected ',' or ']'/.test(msg)) return "expected ',' or ']'";
  if (/Unterminated string/.test(msg)) return 'a string is not closed';
  if (/Bad escaped character|Bad Unicode escape/.test(msg)) return 'a bad escape in a string';
  if (/Exponent part is missing|Unterminated fractional number|No number after minus sign/.test(msg)) return 'a malformed number';
  return 'a syntax error';
}

/** The first position where a quoted unexpected token `tok` makes parsing fail (scans occurrences). */
function tokenPosition(text: string, msg: string): number | undefined {
  const tok = /Unexpected token '(.+?)'/.exec(msg)?.[1];
  if (!tok) return undefined;
  // Each try parses a prefix: bounded (a large document with many such tokens gets no position rather than a slow error).
  let budget = 32 * 1024 * 1024;
  for (let i = text.indexOf(tok); i >= 0 && (budget -= i) > 0; i = text.indexOf(tok, i + 1)) {
    // The failing occurrence is the first whose prefix (up to and including it) still fails the same way.
    try { JSON.parse(text.slice(0, i + tok.length)); } catch (e) {
      if (!/Unexpected end of JSON input|Unterminated string|Expected/.test((e as Error).message)) return i;
    }
  }
  return undefined;
}

/** JSON.parse with a TinyforgeError `<file>:<line>:<col>: <what> is not valid JSON: <reason>`. */
export function parseJsonText(text: string, file: string | undefined, what = 'file'): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const pos = errorPosition(text, msg) ?? tokenPosition(text, msg);
    const at = pos !== undefined ? lineColumn(text, pos) : {};
    throw new TinyforgeError(`${what} is not valid JSON: ${reasonOf(msg)}`, { ...(file ? { file } : {}), ...at });
  }
}

/**
 * Line and column of the value at `path` (keys and array indices) in a valid JSON text, for errors about a
 * field; undefined when the path is not there. Walks the text once, skipping everything off the path.
 */
export function locateJsonPath(text: string, path: ReadonlyArray<string | number>): { line: number; column: number } | undefined {
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++; };
  const str = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const skip = (): void => {
    ws();
    const c = text[i];
    if (c === '"') { str(); return; }
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) { i++; return; }
      for (;;) {
        if (c === '{') { ws(); str(); ws(); i++; /* ':' */ }
        skip();
        ws();
        if (text[i++] === close) return;
      }
    }
    while (i < text.length && !',]}'.includes(text[i]!) && !' \t\r\n'.includes(text[i]!)) i++;
  };
  for (const key of path) {
    ws();
    const c = text[i];
    if (typeof key === 'number' ? c !== '[' : c !== '{') return undefined;
    i++;
    ws();
    let found = false;
    for (let n = 0; text[i] !== (c === '[' ? ']' : '}') && i < text.length; n++) {
      if (c === '{') {
        ws();
        const k = str();
        ws();
        i++; // ':'
        if (k === key) { found = true; break; }
      } else if (n === key) { found = true; break; }
      skip();
      ws();
      if (text[i] === ',') i++;
      ws();
    }
    if (!found) return undefined;
  }
  ws();
  return i < text.length ? lineColumn(text, i) : undefined;
}

/** `memory[0].words` -> ['memory', 0, 'words'] (the paths errors print). */
export function parseFieldPath(p: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const m of p.matchAll(/"([^"]*)"|([A-Za-z_]\w*)|\[(\d+)\]/g)) out.push(m[3] !== undefined ? Number(m[3]) : (m[1] ?? m[2])!);
  return out;
}
