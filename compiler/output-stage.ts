// All-or-nothing outputs for `tinyforge build`: every artefact of a build is written to a temporary folder
// beside the output (<out>/.tinyforge-staging-<pid>/<target>) and moved into place (<out>/<target>) only
// when the build succeeds. A failed build removes the temporary folder and leaves the previous output as
// it was; SIGINT/SIGTERM during a build remove it too and exit 130/143. Folders tinyforge writes carry a
// manifest (MANIFEST_NAME: the files it wrote); a folder tinyforge is about to replace must be empty or
// hold only the files of its manifest -- anything else is a user's file and the build refuses (--force
// replaces the folder anyway). A temporary folder left by a build killed with SIGKILL is removed by the
// next build in the same output folder. `writeFolderStaged` gives one output folder of another command
// (cgra map --out, run --dump-dir, verify's work folder) the same treatment.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { TinyforgeError } from './diagnostics.ts';
import { ensureDir, fromFsError } from './files.ts';

/** The manifest of an output folder tinyforge wrote: one relative path per line. */
export const MANIFEST_NAME = '.tinyforge-output';
export const STAGING_PREFIX = '.tinyforge-staging-';

function walk(dir: string, base = dir, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, base, out);
    else out.push(relative(base, p));
  }
  return out;
}

/** Writes the manifest of `dir` (every file in it, recursively), marking it as written by tinyforge. */
export function markOutputFolder(dir: string): void {
  const files = walk(dir).filter((f) => f !== MANIFEST_NAME).sort();
  writeFileSync(join(dir, MANIFEST_NAME), `# written by tinyforge; it replaces this folder on the next build\n${files.join('\n')}\n`);
}

/**
 * Fails with a one-line error when `dir` exists and holds a file tinyforge did not write (not in its
 * manifest, or no manifest at all); an empty folder, a missing one and `force` pass.
 */
export function checkReplaceable(dir: string, force = false): void {
  if (force || !existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) {
    throw new TinyforgeError('output path exists and is a file, not a folder tinyforge wrote; not replacing it', { file: dir }, 'move it away, or rerun with --force to replace it');
  }
  const files = walk(dir);
  if (files.length === 0) return;
  const manifest = join(dir, MANIFEST_NAME);
  const known = existsSync(manifest) ? new Set(readFileSync(manifest, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))) : undefined;
  const foreign = files.filter((f) => f !== MANIFEST_NAME && !known?.has(f));
  if (!known || foreign.length) {
    const eg = foreign[0] ?? files[0]!;
    throw new TinyforgeError(`output folder holds files tinyforge did not write (${foreign.length || files.length}, e.g. '${eg}'); not replacing it`,
      { file: dir }, 'move them away, or rerun with --force to replace the folder');
  }
}

/** True when process `pid` no longer exists (its temporary folder is left over from a SIGKILL or a crash). */
function gone(pid: number): boolean {
  try { process.kill(pid, 0); return false; } catch (e) { return (e as NodeJS.ErrnoException).code === 'ESRCH'; }
}

/** Removes temporary folders of earlier builds whose process is gone (killed with SIGKILL, a power cut). */
function removeStaleStaging(outDir: string): void {
  let names: string[];
  try { names = readdirSync(outDir); } catch { return; }
  for (const n of names) {
    const m = /^(?:\.tinyforge-staging-|\.mcu-staging-)(\d+)$/.exec(n);
    if (m && Number(m[1]) !== process.pid && gone(Number(m[1]))) {
      try { rmSync(join(outDir, n), { recursive: true, force: true }); } catch { /* best effort */ }
    }
  }
}

/** A build's temporary folder and the outputs it will replace. */
export class OutputStage {
  readonly outDir: string;
  readonly dir: string;
  private readonly names: string[];
  private readonly force: boolean;
  private readonly handlers: Array<[NodeJS.Signals, () => void]> = [];
  private done = false;
  private committed = false;
  /** The output folder did not exist before this build: a build that fails removes it again (when empty). */
  private readonly createdOut: boolean;

  /**
   * Checks that each of `<outDir>/<name>` may be replaced, creates the temporary folder and installs the
   * signal handlers. The build writes target `name` to `path(name)`.
   */
  constructor(outDir: string, names: string[], opts: { force?: boolean } = {}) {
    this.outDir = outDir;
    this.names = names;
    this.force = opts.force ?? false;
    for (const n of names) checkReplaceable(join(outDir, n), this.force);
    this.createdOut = !existsSync(outDir);
    ensureDir(outDir);
    this.dir = join(outDir, `${STAGING_PREFIX}${process.pid}`);
    removeStaleStaging(outDir);
    try {
      rmSync(this.dir, { recursive: true, force: true });
      mkdirSync(this.dir, { recursive: true });
    } catch (e) { throw fromFsError(e, 'cannot create the temporary build folder') ?? e; }
    for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const h = () => {
        this.discard();
        process.stderr.write(`tinyforge: ${sig === 'SIGINT' ? 'interrupted' : 'terminated'}; the previous output in ${outDir} is unchanged\n`);
        process.exit(code);
      };
      process.on(sig, h);
      this.handlers.push([sig, h]);
    }
  }

  path(name: string): string { return join(this.dir, name); }

  /**
   * Moves every staged target into place (replacing the previous one) and removes the temporary folder.
   * Gives signals that arrived during the (synchronous) build a turn first, so that an interrupted build
   * never commits.
   */
  async commit(): Promise<void> {
    await this.settle();
    for (const n of this.names) {
      const staged = this.path(n);
      if (!existsSync(staged)) continue;
      const final = join(this.outDir, n);
      const previous = join(this.dir, `.previous-${n}`);
      try {
        markOutputFolder(staged);
        // Checked again: a user may have put a file there while the build ran.
        checkReplaceable(final, this.force);
        if (existsSync(final)) renameSync(final, previous);
        renameSync(staged, final);
      } catch (e) {
        // Put the previous output back before the temporary folder goes.
        try { if (!existsSync(final) && existsSync(previous)) renameSync(previous, final); } catch { /* left in the temporary folder */ }
        this.discard();
        throw fromFsError(e, 'cannot move the build into place') ?? e;
      }
    }
    this.committed = true;
    this.discard();
  }

  /**
   * Gives a signal that arrived during synchronous work its turn (its handler exits 130/143). Called before
   * committing and before reporting a failure: a Ctrl-C reaches the whole process group, so a compiler or
   * QEMU child dies of it first and its failure must not be reported as the build's error.
   */
  async settle(): Promise<void> {
    if (this.done) return;
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  }

  /** Removes the temporary folder (and with it anything staged) and the signal handlers. Idempotent. */
  discard(): void {
    if (!this.done) {
      this.done = true;
      for (const [sig, h] of this.handlers) process.removeListener(sig, h);
    }
    try { rmSync(this.dir, { recursive: true, force: true }); } catch { /* best effort */ }
    if (!this.committed && this.createdOut) {
      try { if (readdirSync(this.outDir).length === 0) rmdirSync(this.outDir); } catch { /* best effort */ }
    }
  }
}

/**
 * Writes the folder `dir` all or nothing: `write` fills a temporary folder beside it, which replaces `dir`
 * when `write` returns (and is removed when it throws or the process is interrupted). `dir` must be missing,
 * empty or written by tinyforge before, unless `force`.
 */
export async function writeFolderStaged<T>(dir: string, opts: { force?: boolean; what: string }, write: (tmp: string) => T | Promise<T>): Promise<T> {
  const full = resolve(dir);
  if (existsSync(full) && !statSync(full).isDirectory()) {
    throw new TinyforgeError(`${opts.what} exists and is a file, not a folder`, { file: dir }, 'give the path of a new or empty folder');
  }
  const name = basename(full);
  const stage = new OutputStage(dirname(full), [name], opts);
  try {
    const tmp = stage.path(name);
    mkdirSync(tmp, { recursive: true });
    const result = await write(tmp);
    await stage.commit();
    return result;
  } finally {
    stage.discard();
  }
}
