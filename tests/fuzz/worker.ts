// The fuzzer's worker process (forked by tests/fuzz/driver.ts with a heap cap): runs the real CLI entry,
// compiler/cli/main.ts main(), in-process on each case it is sent, capturing what the command writes, and
// answers with the exit code, the captured stderr/stdout and the resident memory. A hang or an out-of-memory
// abort is seen by the driver as a missing answer / a dead process.
import { main } from '../../compiler/cli/main.ts';

interface Job { id: number; argv: string[] }

const cap = 8192;
let out = '', err = '', outLen = 0;
const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);
process.stdout.write = ((chunk: string | Uint8Array) => {
  const s = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  outLen += s.length;
  if (out.length < cap) out += s.slice(0, cap - out.length);
  return true;
}) as typeof process.stdout.write;
process.stderr.write = ((chunk: string | Uint8Array) => {
  const s = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  if (err.length < cap) err += s.slice(0, cap - err.length);
  return true;
}) as typeof process.stderr.write;
void realOut; void realErr;

// An exception escaping main() asynchronously is a failure of the case in flight.
let current: Job | undefined;
const fail = (what: string, e: unknown) => {
  const msg = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
  process.send!({ id: current?.id ?? -1, code: -1, stdout: out, stdoutLen: outLen, stderr: err + `${what}: ${msg}`, rss: process.memoryUsage().rss });
  process.exit(3);
};
process.on('uncaughtException', (e) => fail('uncaught exception', e));
process.on('unhandledRejection', (e) => fail('unhandled rejection', e));

process.on('message', async (job: Job) => {
  current = job;
  out = ''; err = ''; outLen = 0;
  let code: number;
  try {
    code = await main(job.argv);
  } catch (e) {
    // main() catches everything unless TINYFORGE_DEBUG is set; a throw here is a failure too.
    code = -1;
    err += `main() threw: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
  process.send!({ id: job.id, code, stdout: out, stdoutLen: outLen, stderr: err, rss: process.memoryUsage().rss });
  current = undefined;
});
process.send!({ ready: true });
