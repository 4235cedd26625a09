// Stage 5 of the Cortex-M backend, compile: C translation units to objects through a content-hash cache,
// compiled concurrently by a pool of compiler processes sized to the cores, then linked (../harness/run.ts
// compileArm / compileHost take the objects).
//
// Cache key: sha256 of the compiler's name and `--version` text, the flags (defines included; -I paths
// left out, since what they resolve to is hashed instead), and the name and bytes of the source and of
// every file it includes with quotes (found by scanning `#include "..."` lines transitively through the
// source's folder and the include folders; conditional includes count too, which only over-approximates).
// System headers come with the compiler, so its version stands for them.
// Location: $TINYFORGE_CACHE_DIR (`off` disables the cache), else $XDG_CACHE_HOME/tinyforge/objects, else
// <repository>/.cache/objects. An entry is the object followed by its sha256 and a magic trailer; it is
// written to a temporary name and renamed, so concurrent builds never see half an entry, and an entry
// whose trailer does not match (truncated, corrupted) is deleted and rebuilt.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { exec, execAsync, type ExecResult } from '../harness/exec.ts';
import { repoRoot } from '../../compiler/paths.ts';

/** One translation unit to compile: `cc args... -c source -o <object>`. */
export interface ObjectJob {
  cc: string;
  /** Flags before the source (architecture, optimisation, warnings, -I, -D). */
  flags: string[];
  source: string;
  /** Where the object goes (the linker reads it from there). */
  out: string;
  /** Compile time limit (default 600 s). */
  timeoutMs?: number;
}

export interface ObjectResult { out: string; key: string; hit: boolean; ms: number }

/** Counters of this process (tests and the build's timing line read them). */
export const cacheStats = { hits: 0, misses: 0, corrupt: 0, compileMs: 0 };

export function objectCacheDir(): string | undefined {
  const env = process.env.TINYFORGE_CACHE_DIR;
  if (env === 'off') return undefined;
  if (env) return resolve(env);
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'tinyforge', 'objects');
  return join(repoRoot, '.cache', 'objects');
}

const MAGIC = Buffer.from('TFOBJ01\n');
const versions = new Map<string, string>();
function compilerVersion(cc: string): string {
  let v = versions.get(cc);
  if (v === undefined) {
    const r = spawnSync(cc, ['--version'], { encoding: 'utf8' });
    v = r.status === 0 ? r.stdout : `unavailable ${cc}`;
    versions.set(cc, v);
  }
  return v;
}

/** The files a source includes with quotes, transitively, resolved as the preprocessor would (its folder, then -I). */
function quotedIncludes(source: string, includeDirs: string[]): Array<[string, string]> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    seen.set(file, text);
    for (const m of text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
      const name = m[1]!;
      const hit = [dirname(file), ...includeDirs].map((d) => join(d, name)).find((p) => existsSync(p));
      if (hit) visit(hit);
    }
  };
  visit(source);
  return [...seen.entries()];
}

export function objectKey(job: ObjectJob): string {
  const incs = job.flags.filter((f) => f.startsWith('-I')).map((f) => f.slice(2));
  const h = createHash('sha256');
  h.update(`${job.cc}\n${compilerVersion(job.cc)}\n${job.flags.filter((f) => !f.startsWith('-I')).join('\0')}\n`);
  for (const [file, text] of quotedIncludes(job.source, incs)) h.update(`${basename(file)}\0${text.length}\0${text}\0`);
  return h.digest('hex');
}

function entryPath(dir: string, key: string): string {
  return join(dir, key.slice(0, 2), `${key}.o`);
}

/** The cached object, checked against its trailer; a bad entry is deleted (and counted). */
function readEntry(dir: string, key: string): Buffer | undefined {
  const p = entryPath(dir, key);
  let b: Buffer;
  try { b = readFileSync(p); } catch { return undefined; }
  const n = b.length - 32 - MAGIC.length;
  const ok = n >= 0 && b.subarray(n + 32).equals(MAGIC) && createHash('sha256').update(b.subarray(0, n)).digest().equals(b.subarray(n, n + 32));
  if (!ok) {
    cacheStats.corrupt++;
    try { rmSync(p, { force: true }); } catch { /* a read-only cache: compile anyway */ }
    return undefined;
  }
  return b.subarray(0, n);
}

/** Stores an object; best effort (a read-only or full cache folder only costs the next build a compile). */
function writeEntry(dir: string, key: string, obj: Buffer): void {
  const p = entryPath(dir, key);
  const tmp = `${p}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(tmp, Buffer.concat([obj, createHash('sha256').update(obj).digest(), MAGIC]));
    renameSync(tmp, p);
  } catch {
    rmSync(tmp, { force: true });
  }
}

function place(out: string, obj: Buffer): void {
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, obj);
  renameSync(tmp, out);
}

function failure(job: ObjectJob, r: ExecResult): TinyforgeError {
  return new TinyforgeError(`${job.cc} failed on ${basename(job.source)} (exit ${r.status}${r.timedOut ? `, over its ${(job.timeoutMs ?? COMPILE_TIMEOUT_MS) / 1000} s limit` : ''}):\n${(r.stderr + r.stdout).trim().slice(0, 4000)}`);
}

const COMPILE_TIMEOUT_MS = 600_000;

const argsOf = (job: ObjectJob, out: string) => [...job.flags, '-c', job.source, '-o', out];

/** Compiles one unit now (or takes it from the cache). Throws a TinyforgeError with the compiler's message. */
export function compileObjectSync(job: ObjectJob): ObjectResult {
  const t0 = Date.now();
  const dir = objectCacheDir();
  const key = dir ? objectKey(job) : '';
  const cached = dir ? readEntry(dir, key) : undefined;
  if (cached) {
    place(job.out, cached);
    cacheStats.hits++;
    return { out: job.out, key, hit: true, ms: Date.now() - t0 };
  }
  mkdirSync(dirname(job.out), { recursive: true });
  const r = exec(job.cc, argsOf(job, job.out), job.timeoutMs ?? COMPILE_TIMEOUT_MS);
  if (r.status !== 0 || r.timedOut) throw failure(job, r);
  if (dir) writeEntry(dir, key, readFileSync(job.out));
  cacheStats.misses++;
  const ms = Date.now() - t0;
  cacheStats.compileMs += ms;
  return { out: job.out, key, hit: false, ms };
}

/** Compiles units concurrently, at most `jobs` compiler processes at once (default: the cores). */
export async function compileObjects(list: ObjectJob[], opts: { jobs?: number; signal?: AbortSignal } = {}): Promise<ObjectResult[]> {
  const dir = objectCacheDir();
  const results: ObjectResult[] = new Array(list.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < list.length; i = next++) {
      const job = list[i]!;
      const t0 = Date.now();
      const key = dir ? objectKey(job) : '';
      const cached = dir ? readEntry(dir, key) : undefined;
      if (cached) {
        place(job.out, cached);
        cacheStats.hits++;
        results[i] = { out: job.out, key, hit: true, ms: Date.now() - t0 };
        continue;
      }
      mkdirSync(dirname(job.out), { recursive: true });
      // Each unit compiles to its own temporary object: a concurrent sync compile of the same unit never reads half of it.
      const tmp = `${job.out}.${process.pid}.${i}.tmp.o`;
      try {
        const r = await execAsync(job.cc, argsOf(job, tmp), { timeoutMs: job.timeoutMs ?? COMPILE_TIMEOUT_MS, ...(opts.signal ? { signal: opts.signal } : {}) });
        if (r.status !== 0 || r.timedOut) throw failure(job, r);
      } catch (e) {
        rmSync(tmp, { force: true });
        throw e;
      }
      const obj = readFileSync(tmp);
      renameSync(tmp, job.out);
      if (dir) writeEntry(dir, key, obj);
      cacheStats.misses++;
      const ms = Date.now() - t0;
      cacheStats.compileMs += ms;
      results[i] = { out: job.out, key, hit: false, ms };
    }
  };
  const n = Math.max(1, Math.min(opts.jobs ?? availableParallelism(), list.length));
  await Promise.all(Array.from({ length: n }, worker));
  return results;
}
