// Runs an external tool (compiler, QEMU, a built program) with a time limit that stops the tool and every
// process it started: a compiler driver's cc1/as/collect2 would outlive a plain kill of the driver. The
// synchronous form runs the tool under coreutils' timeout(1); the asynchronous one (parallel compiles)
// starts it as the leader of its own process group and signals the group.
import { spawn, spawnSync } from 'node:child_process';
import { TinyforgeError } from '../../compiler/diagnostics.ts';

export interface ExecResult { status: number; stdout: string; stderr: string; timedOut: boolean }

/**
 * Runs a tool to completion under timeout(1), which gives it its own process group and signals the whole
 * group at the limit (TERM, then KILL 2 s later); spawnSync's own timeout is only the backstop.
 */
export function exec(cmd: string, args: string[], timeoutMs: number, cwd?: string): ExecResult {
  const grouped = hasTimeout();
  const [file, argv] = grouped ? ['timeout', ['--kill-after=2', String(Math.ceil(timeoutMs / 1000)), cmd, ...args]] : [cmd, args];
  const t0 = Date.now();
  const r = spawnSync(file, argv, { cwd, encoding: 'utf8', timeout: timeoutMs + 5_000, maxBuffer: 1 << 28, killSignal: 'SIGKILL' });
  let timedOut = r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
  // timeout(1): 124 when the limit hit, 137 when KILL was needed (a program's own exit 124 ends sooner),
  // 126 / 127 when the command could not run
  if (grouped && (r.status === 124 || r.status === 137) && Date.now() - t0 >= timeoutMs) timedOut = true;
  const notRun = grouped && (r.status === 126 || r.status === 127) && /^timeout: failed to run command/m.test(r.stderr ?? '')
    ? (r.status === 127 ? 'ENOENT' : 'EACCES') : undefined;
  if ((r.error && !timedOut) || notRun) {
    const code = notRun ?? (r.error as NodeJS.ErrnoException).code;
    throw cannotRun(cmd, code);
  }
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '', timedOut };
}

let timeoutTool: boolean | undefined;
function hasTimeout(): boolean {
  timeoutTool ??= spawnSync('timeout', ['--version'], { stdio: 'ignore' }).status === 0;
  return timeoutTool;
}

function cannotRun(cmd: string, code: string | undefined): TinyforgeError {
  return new TinyforgeError(`cannot run ${cmd}: ${code === 'ENOENT' ? 'not found on PATH' : code === 'EACCES' ? 'permission denied' : `the system refused to start it (${code ?? 'unknown error'})`}`);
}

/**
 * Runs a tool without blocking: the tool leads its own process group, which is killed (SIGKILL) at the
 * limit or when `signal` aborts (then the promise rejects with the AbortError).
 */
export function execAsync(cmd: string, args: string[], opts: { timeoutMs: number; signal?: AbortSignal }): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) { reject(opts.signal.reason instanceof Error ? opts.signal.reason : new DOMException('aborted', 'AbortError')); return; }
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '', stderr = '', timedOut = false, aborted = false;
    const killGroup = () => { try { if (p.pid !== undefined) process.kill(-p.pid, 'SIGKILL'); } catch { /* already gone */ } };
    const timer = setTimeout(() => { timedOut = true; killGroup(); }, opts.timeoutMs);
    const onAbort = () => { aborted = true; killGroup(); };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const done = () => { clearTimeout(timer); opts.signal?.removeEventListener('abort', onAbort); };
    p.on('error', (e) => { done(); reject(cannotRun(cmd, (e as NodeJS.ErrnoException).code)); });
    p.on('close', (code) => {
      done();
      if (aborted) reject(new DOMException('aborted', 'AbortError'));
      else resolve({ status: code ?? -1, stdout, stderr, timedOut });
    });
  });
}
