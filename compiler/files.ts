// File access for user-named paths, with one-line TinyforgeErrors instead of Node's stack traces:
// reading a text or binary input (missing, a directory), writing an output atomically (temporary name in
// the same folder, then rename; the temporary file is removed on failure) and creating an output folder.
// `fromFsError` turns any Node file-system error into a TinyforgeError naming the path (main.ts uses it as
// the last line of defence).
import { mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TinyforgeError } from './diagnostics.ts';
import { MAX_INPUT_FILE_BYTES } from './limits.ts';

/** Every file the current command has read as an input (real paths): outputs may never overwrite one of them. */
const inputsRead = new Set<string>();

/** Forgets the inputs read so far: called at the start of every command (main() may run several in one process). */
export function beginCommand(): void {
  inputsRead.clear();
}

function realOrResolved(path: string): string {
  try { return realpathSync(path); } catch { return resolve(path); }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a parent of this path is a file, not a directory',
  EISDIR: 'is a directory, not a file',
  EEXIST: 'exists and is a file, not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
};

/** A Node file-system error (code + path) as a TinyforgeError naming the path; undefined for anything else. */
export function fromFsError(e: unknown, action?: string): TinyforgeError | undefined {
  const err = e as NodeJS.ErrnoException;
  if (!err || typeof err.code !== 'string' || typeof err.path !== 'string') return undefined;
  const why = REASONS[err.code] ?? err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return new TinyforgeError(`${action ?? `cannot ${err.syscall ?? 'access'}`}: ${why} (${err.code})`, { file: err.path.replace(/\.tmp(-\d+)?$/, '') });
}

function statOrUndefined(path: string) {
  try { return statSync(path); } catch { return undefined; }
}

/**
 * Reads a user-named input file; `what` names it in errors (e.g. 'input file'). Devices, pipes and files
 * larger than MAX_INPUT_FILE_BYTES are refused before reading (`/dev/zero` must not read forever). The path
 * is remembered, so that no output of the same command can overwrite it (writeFileAtomic).
 */
export function readInputFile(path: string, what = 'file'): Buffer {
  const st = statOrUndefined(path);
  if (!st) throw new TinyforgeError(`${what} not found`, { file: path });
  if (st.isDirectory()) throw new TinyforgeError(`${what} is a directory, not a file`, { file: path });
  if (!st.isFile()) throw new TinyforgeError(`${what} is not a regular file (a device, pipe or socket)`, { file: path }, 'give a file');
  if (st.size > MAX_INPUT_FILE_BYTES) {
    throw new TinyforgeError(`${what} has ${st.size} bytes, more than the ${MAX_INPUT_FILE_BYTES} tinyforge reads`, { file: path });
  }
  inputsRead.add(realOrResolved(path));
  try { return readFileSync(path); } catch (e) { throw fromFsError(e, `cannot read ${what}`) ?? e; }
}

/** Fails when `path` is a file this command read as an input (an output must never replace its own input). */
export function refuseOverwritingInput(path: string, what = 'output'): void {
  if (inputsRead.has(realOrResolved(path))) {
    throw new TinyforgeError(`${what} would overwrite an input of this command`, { file: path }, 'write the output to another file');
  }
}

export const readInputText = (path: string, what = 'file'): string => readInputFile(path, what).toString('utf8');

/** Writes `data` to `path` through a temporary file in the same folder; never leaves a partial file. */
export function writeFileAtomic(path: string, data: string | Uint8Array, what = 'output'): void {
  if (statOrUndefined(path)?.isDirectory()) throw new TinyforgeError(`${what} is a directory; give a file name`, { file: path });
  refuseOverwritingInput(path, what);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try { rmSync(tmp, { force: true }); } catch { /* the temporary file was never created */ }
    throw fromFsError(e, `cannot write ${what}`) ?? e;
  }
}

/** Creates the folder `dir` (and its parents) for outputs, with a one-line error when that is impossible. */
export function ensureDir(dir: string, what = 'output directory'): void {
  const st = statOrUndefined(dir);
  if (st) {
    if (!st.isDirectory()) throw new TinyforgeError(`${what} exists and is a file, not a directory`, { file: dir });
    return;
  }
  try { mkdirSync(dir, { recursive: true }); } catch (e) { throw fromFsError(e, `cannot create ${what}`) ?? e; }
}
