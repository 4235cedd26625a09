// The fuzz driver: generates seeded cases (tests/fuzz/mutators.ts) for every user input format -- .tflite
// models, YAML configs (inspected and run, and as whole `build`s: both targets, verification, artefacts),
// CGRA bitstreams and launch files -- runs each through the real CLI entry in a worker
// process (tests/fuzz/worker.ts, heap capped at 1 GB, 20 s per case) and classifies the outcome:
//   clean error  exit 1 or 2 and exactly one stderr line `tinyforge: ...`, no "internal error", no stack
//                trace, no JavaScript exception text;
//   success      exit 0 and the command's output present (stdout text, run's output file, or a build's
//                verified report);
//   failure      anything else: internal (an escaped exception or a malformed error), hang (> 20 s),
//                memory (worker over 1 GB or dead), partial (a command that failed left an output file,
//                an output folder or a staging folder behind). Each failure writes a reproducer folder (the input files
//                and repro.json with the argv, the mutations and what the command printed).
// Used by scripts/fuzz.mjs (`npm run fuzz`) and tests/fuzz/fuzz.test.ts.
import { fork, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { mutateBuildConfig, mutateText, mutateTflite, mutateYaml, pick, randInt, rngOf, tfliteSites, type Rng, type Site } from './mutators.ts';

export const KINDS = ['tflite', 'yaml', 'cgra', 'build'] as const;
/** The time cap of a `build` case: the unmutated default config builds and verifies in about 4 s on an idle 2-core machine. */
export const BUILD_TIMEOUT_MS = 60_000;
export type Kind = (typeof KINDS)[number];

export interface KindCounts { cases: number; cleanErrors: number; successes: number; internalErrors: number; hangs: number; memory: number; partial: number }
export interface FuzzOptions {
  cases: number;
  seed: number;
  kinds: readonly Kind[];
  /** The bundled worker (.mjs). */
  workerPath: string;
  repoRoot: string;
  modelsDir: string;
  /** Where reproducers go (default <repo>/.cache/fuzz-failures). */
  failureDir?: string;
  /** Per case (default 20 s; a `build` case compiles C and runs QEMU: BUILD_TIMEOUT_MS). */
  timeoutMs?: number;
  memoryMb?: number;
  /** Restrict the seed models to files of at most this many bytes (the test keeps to the small ones). */
  maxModelBytes?: number;
  /** Only the seed models whose file name contains this string. */
  modelFilter?: string;
  log?: (line: string) => void;
}
export interface FuzzFailure { kind: Kind; caseIndex: number; class: 'internal' | 'hang' | 'memory' | 'partial'; argv: string[]; reason: string; dir: string }
export interface FuzzResult { counts: Record<string, KindCounts>; failures: FuzzFailure[]; seconds: number }

interface Case {
  kind: Kind; argv: string[]; changes: string[]; files: string[]; base: string;
  /** The command's output file: present after a success, absent after an error. */
  verifyFile?: string;
  /** A build's output folder: a verified report in it after a success, nothing at all after an error. */
  buildOut?: string;
}
interface Answer { id: number; code: number; stdout: string; stdoutLen: number; stderr: string; rss: number }

/** Stack frames, JavaScript exception names and texts that must never reach a user. */
const JS_TEXT = [/\n\s+at /, /\b(TypeError|RangeError|ReferenceError|EvalError|InternalError|AggregateError)\b/, /Cannot read propert/,
  /is not a function/, /is not iterable/, /\bundefined\b(?! (opcode|instruction|register|symbol|label|field|name))/, /\[object Object\]/, /Maximum call stack/, /Invalid (typed )?array length/,
  /out of bounds/i, /Offset is outside/, /assertion/i, /unhandled /];

/** A progress line of a long command (`build` says what it is doing on stderr before the outcome). */
const isProgress = (l: string) => /^tinyforge: (?!error|internal|warning)/.test(l) && !JS_TEXT.some((re) => re.test(l));

/** `progress`: the command may print progress lines before its one error line (build). */
export function classify(a: Answer, progress = false): { verdict: 'clean' | 'success' | 'internal'; reason: string } {
  if (a.code === 0) return { verdict: 'success', reason: '' };
  let lines = a.stderr.replace(/\n$/, '').split('\n');
  if (progress && a.code === 1) {
    while (lines.length > 1 && isProgress(lines[0]!)) lines = lines.slice(1);
    a = { ...a, stderr: lines.join('\n') + '\n' };
  }
  if (a.code !== 1 && a.code !== 2) return { verdict: 'internal', reason: `exit code ${a.code}: ${lines[0]}` };
  // Usage errors (exit 2) print the usage text after the message; the message itself is the first line.
  const msg = a.code === 2 ? lines[0]! : a.stderr.replace(/\n$/, '');
  if (a.code === 1 && lines.length !== 1) return { verdict: 'internal', reason: `${lines.length} stderr lines: ${lines.slice(0, 3).join(' | ')}` };
  if (!msg.startsWith('tinyforge: ')) return { verdict: 'internal', reason: `not a tinyforge error line: ${msg.slice(0, 300)}` };
  if (msg.includes('internal error')) return { verdict: 'internal', reason: msg.slice(0, 500) };
  const js = JS_TEXT.find((re) => re.test(msg));
  if (js) return { verdict: 'internal', reason: `JavaScript text (${js}): ${msg.slice(0, 500)}` };
  return { verdict: 'clean', reason: '' };
}

class Worker {
  private child?: ChildProcess;
  private pending?: { resolve: (a: Answer | { dead: string }) => void };
  constructor(private readonly path: string, private readonly cwd: string, private readonly memoryMb: number) {}
  private async start(): Promise<ChildProcess> {
    const env = { ...process.env };
    delete env.TINYFORGE_DEBUG;
    const child = fork(this.path, [], { cwd: this.cwd, env, execArgv: [`--max-old-space-size=${this.memoryMb}`, '--stack-size=984'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let tail = '';
    child.stderr!.on('data', (d) => { tail = (tail + d).slice(-2000); });
    await new Promise<void>((res, rej) => {
      child.once('message', () => res());
      child.once('exit', (c) => rej(new Error(`fuzz worker exited at start (${c}): ${tail}`)));
    });
    child.on('message', (m: Answer) => { const p = this.pending; this.pending = undefined; p?.resolve(m); });
    child.on('exit', (code, sig) => { const p = this.pending; this.pending = undefined; p?.resolve({ dead: `worker died (code ${code}, signal ${sig}): ${tail.split('\n').filter(Boolean).slice(-2).join(' | ')}` }); this.child = undefined; });
    this.child = child;
    return child;
  }
  async run(id: number, argv: string[], timeoutMs: number): Promise<Answer | { dead: string } | { hang: true }> {
    const child = this.child ?? await this.start();
    return new Promise((res) => {
      const timer = setTimeout(() => { this.pending = undefined; this.kill(); res({ hang: true }); }, timeoutMs);
      this.pending = { resolve: (a) => { clearTimeout(timer); res(a); } };
      child.send({ id, argv });
    });
  }
  kill(): void { if (this.child) { this.child.removeAllListeners('exit'); this.child.kill('SIGKILL'); this.child = undefined; } }
}

interface Seeds { models: { path: string; bytes: Uint8Array; sites: Site[] }[]; yaml: { name: string; text: string }[]; cgra: { name: string; format: 'h' | 'json' | 'csv'; text: string; cols: number }[]; asm: { name: string; text: string }[]; launch: string }

/** Seeds: the models, configs, assembled bitstreams; `cli` runs a command in the worker (exit code). */
async function loadSeeds(o: FuzzOptions, work: string, cli: (argv: string[]) => Promise<number>): Promise<Seeds> {
  const max = o.maxModelBytes ?? Infinity;
  const modelFiles = [
    ...readdirSync(o.modelsDir).filter((f) => f.endsWith('.tflite')).map((f) => join(o.modelsDir, f)),
    ...(existsSync(join(o.modelsDir, 'zoo')) ? readdirSync(join(o.modelsDir, 'zoo')).filter((f) => f.endsWith('.tflite')).map((f) => join(o.modelsDir, 'zoo', f)) : []),
  ].filter((p) => statSync(p).size <= Math.min(max, 1_000_000) && (!o.modelFilter || basename(p).includes(o.modelFilter))).sort();
  // Seeds are the models the compiler accepts as they are: mutations of a model that fails anyway would
  // mostly re-find its first error.
  const models: Seeds['models'] = [];
  for (const path of modelFiles) {
    if (await cli(['inspect', path]) !== 0) continue;
    const bytes = new Uint8Array(readFileSync(path));
    models.push({ path, bytes, sites: tfliteSites(bytes) });
  }
  const yaml: Seeds['yaml'] = [];
  for (const dir of ['configs', join('configs', 'examples')]) {
    for (const f of readdirSync(join(o.repoRoot, dir)).filter((x) => x.endsWith('.yaml')).sort()) {
      // model: paths are relative to the config; make them absolute so the mutated copy finds the model.
      const text = readFileSync(join(o.repoRoot, dir, f), 'utf8').replace(/^model:\s*(\S+)/m, (_, p: string) => `model: ${resolve(o.repoRoot, dir, p)}`);
      yaml.push({ name: `${dir}/${f}`, text });
    }
  }
  const cgra: Seeds['cgra'] = [];
  const asm = ['dot', 'conv3x3'].map((s) => ({ name: `${s}.s`, text: readFileSync(join(o.repoRoot, 'cgra-mapper', 'examples', `${s}.s`), 'utf8') }));
  for (const s of ['dot', 'conv3x3']) {
    for (const ext of ['h', 'json', 'csv'] as const) {
      const out = join(work, `seed-${s}.${ext}`);
      if (await cli(['cgra', 'asm', join(o.repoRoot, 'cgra-mapper', 'examples', `${s}.s`), '-o', out]) !== 0 || !existsSync(out)) continue;
      const text = readFileSync(out, 'utf8');
      // an ESL csv holds one kernel with one cell per column
      const cols = ext === 'csv' ? (text.split('\n').find((l) => l.trim())?.split(',').length ?? 4) : 4;
      cgra.push({ name: `${s}.${ext}`, format: ext, text, cols });
    }
  }
  const launch = JSON.stringify({ memory: [{ addr: 1024, words: [1, 2, 3, 4] }, { addr: 1040, words: [5, 6, 7, 8] }],
    launches: [{ kernel: 1, ptrIn: [0, 1024], ptrOut: [0, 2048] }], dump: [{ addr: 2048, words: 2 }] }, null, 1);
  return { models, yaml, cgra, asm, launch };
}

function makeCase(kind: Kind, r: Rng, seeds: Seeds, work: string): Case {
  if (kind === 'tflite') {
    // Small models most of the time: they mutate into far more distinct failures per second.
    const small = seeds.models.filter((m) => m.bytes.length < 64_000);
    const m = r() < 0.8 && small.length ? pick(r, small) : pick(r, seeds.models);
    const { bytes, changes } = mutateTflite(r, m.bytes, m.sites);
    const file = join(work, 'case.tflite');
    writeFileSync(file, bytes);
    const cmd = randInt(r, 4);
    const out = join(work, 'out.bin');
    rmSync(out, { force: true });
    rmSync(join(work, 'in.bin'), { force: true });
    const argv = cmd === 0 ? ['inspect', file] : cmd === 1 ? ['inspect', '--kernel-ir', file, ...(r() < 0.5 ? ['--arith', 'tflite'] : [])]
      : cmd === 2 ? ['run', file, '--gen-input', String(randInt(r, 1000)), '--input', join(work, 'in.bin'), '--output', out, ...(r() < 0.5 ? ['--arith', 'tflite'] : [])]
        : pick(r, [['inspect', '--graph-ir', file], ['inspect', '--json', file], ['inspect', '--ops', file], ['inspect', '--kernel-ir', '--print-after-all', file]]);
    return { kind, argv, changes, files: [file], base: basename(m.path), ...(cmd === 2 ? { verifyFile: out } : {}) };
  }
  if (kind === 'yaml') {
    const y = pick(r, seeds.yaml);
    const { text, changes } = mutateYaml(r, y.text);
    const file = join(work, 'case.yaml');
    writeFileSync(file, text);
    const cmd = randInt(r, 3);
    const out = join(work, 'out.bin');
    rmSync(out, { force: true });
    rmSync(join(work, 'in.bin'), { force: true });
    const argv = cmd === 0 ? ['inspect', file] : cmd === 1 ? ['inspect', '--kernel-ir', file]
      : ['run', file, '--gen-input', String(randInt(r, 1000)), '--input', join(work, 'in.bin'), '--output', out];
    return { kind, argv, changes, files: [file], base: y.name, ...(cmd === 2 ? { verifyFile: out } : {}) };
  }
  if (kind === 'build') {
    // A whole build of a generated-weight network (both targets, verification) into a fresh folder. The
    // mutated config's own `out:` lines are dropped so a mutation cannot aim the build outside the scratch
    // folder; the appended one may still be rejected (a mutation can turn the document into a list).
    // Two thirds of the mutants are plausible edits that should build and verify, the rest hostile ones.
    const y = pick(r, seeds.yaml.filter((c) => /^targets:/m.test(c.text) && !/^model:/m.test(c.text)));
    const { text, changes } = r() < 0.67 ? mutateBuildConfig(r, y.text) : mutateYaml(r, y.text);
    const outDir = join(work, 'build-out');
    rmSync(outDir, { recursive: true, force: true });
    const file = join(work, 'case.yaml');
    writeFileSync(file, text.split('\n').filter((l) => !/^\s*out\s*:/.test(l)).join('\n') + `\nout: ${outDir}\n`);
    return { kind, argv: ['build', file, ...(r() < 0.3 ? ['--json'] : [])], changes, files: [file], base: y.name, buildOut: outDir };
  }
  if (r() < 0.2) {
    // assembly text -> `cgra asm` into one of the three formats
    const src = pick(r, seeds.asm);
    const { text, changes } = mutateText(r, src.text, 's');
    const file = join(work, 'case.s');
    writeFileSync(file, text);
    const out = join(work, `out.${pick(r, ['json', 'h', 'csv'])}`);
    rmSync(out, { force: true });
    return { kind, argv: ['cgra', 'asm', file, '-o', out], changes, files: [file], base: src.name, verifyFile: out };
  }
  const b = pick(r, seeds.cgra);
  const cols = ['--cols', String(b.cols)];
  const bits = join(work, `case.${b.format}`);
  const launchFile = join(work, 'launch.json');
  const x = r();
  if (x < 0.5) {
    const { text, changes } = mutateText(r, b.text, b.format);
    writeFileSync(bits, text);
    return { kind, argv: [...(r() < 0.2 ? ['cgra', 'view'] : ['cgra', 'disasm']), bits, ...cols], changes, files: [bits], base: b.name };
  }
  const mutateBits = x < 0.75;
  const m = mutateBits ? mutateText(r, b.text, b.format) : mutateText(r, seeds.launch, 'launch');
  writeFileSync(bits, mutateBits ? m.text : b.text);
  writeFileSync(launchFile, mutateBits ? seeds.launch : m.text);
  const extra = r() < 0.2 ? ['--bus', 'shared'] : r() < 0.2 ? ['--legacy-step'] : [];
  return { kind, argv: ['cgra', 'sim', '--bitstream', bits, '--launch', launchFile, '--cycle-limit', '200000', '--json', ...cols, ...extra],
    changes: [`${mutateBits ? 'bitstream' : 'launch.json'}:`, ...m.changes], files: [bits, launchFile], base: b.name };
}

/** What a failed command left behind: its output file, anything in its build folder, staging folders. */
function leftovers(c: Case, work: string): string[] {
  const left: string[] = [];
  if (c.verifyFile && existsSync(c.verifyFile)) left.push(basename(c.verifyFile));
  if (c.buildOut && existsSync(c.buildOut)) left.push(...readdirSync(c.buildOut).map((n) => `${basename(c.buildOut!)}/${n}`));
  left.push(...readdirSync(work).filter((n) => n.startsWith('.tinyforge-staging-')));
  return left;
}

/** A successful build wrote both targets' reports, and each says its outputs equal the golden runtime's. */
function builtAndVerified(out: string): boolean {
  const mcu = join(out, 'mcu', 'report.json');
  const cgra = join(out, 'cgra', 'report.html');
  if (!existsSync(mcu) && !existsSync(cgra)) return false;
  if (existsSync(mcu)) {
    const verify = (JSON.parse(readFileSync(mcu, 'utf8')) as { verify?: { ok: boolean }[] }).verify ?? [];
    if (!verify.length || !verify.every((v) => v.ok)) return false;
  }
  if (!existsSync(cgra)) return true;
  const m = /bit-exact layers (\d+)\/(\d+)/.exec(readFileSync(cgra, 'utf8'));
  return m !== null && m[1] === m[2];
}

function writeReproducer(dir: string, work: string, c: Case, caseIndex: number, seed: number, cls: string, reason: string, a?: Answer): string {
  const d = join(dir, `${c.kind}-s${seed}-c${caseIndex}`);
  mkdirSync(d, { recursive: true });
  let argv = c.argv;
  for (const f of c.files) if (existsSync(f)) copyFileSync(f, join(d, basename(f)));
  // every path into the scratch folder (inputs, and run's generated input / output) now points into the reproducer's
  argv = argv.map((x) => x.startsWith(work) ? join(d, basename(x)) : x);
  writeFileSync(join(d, 'repro.json'), JSON.stringify({ class: cls, reason, command: `tinyforge ${argv.join(' ')}`, argv, seedFile: c.base,
    mutations: c.changes, exitCode: a?.code, stderr: a?.stderr.slice(0, 4000) }, null, 2) + '\n');
  return d;
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzResult> {
  const t0 = Date.now();
  const log = o.log ?? (() => {});
  const work = join(o.repoRoot, '.cache', `fuzz-work-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const failureDir = o.failureDir ?? join(o.repoRoot, '.cache', 'fuzz-failures');
  const memoryMb = o.memoryMb ?? 1024;
  const worker = new Worker(o.workerPath, o.repoRoot, memoryMb);
  const seeds = await loadSeeds(o, work, async (argv) => { const a = await worker.run(-1, argv, 60_000); return 'code' in a ? a.code : -1; });
  const counts: Record<string, KindCounts> = {};
  for (const k of o.kinds) counts[k] = { cases: 0, cleanErrors: 0, successes: 0, internalErrors: 0, hangs: 0, memory: 0, partial: 0 };
  const failures: FuzzFailure[] = [];
  try {
    for (let i = 0; i < o.cases; i++) {
      const kind = o.kinds[i % o.kinds.length]!;
      const r = rngOf((o.seed * 1_000_003 + i * 7919) >>> 0);
      const c = makeCase(kind, r, seeds, work);
      const cnt = counts[kind]!;
      cnt.cases++;
      const limit = o.timeoutMs ?? (kind === 'build' ? BUILD_TIMEOUT_MS : 20_000);
      const a = await worker.run(i, c.argv, limit);
      let cls: FuzzFailure['class'] | undefined;
      let reason = '';
      if ('hang' in a) { cls = 'hang'; reason = `no answer within ${limit / 1000} s`; } else if ('dead' in a) { cls = 'memory'; reason = a.dead; } else {
        // `inspect --ops` exits 1 without an error line when some operator is not supported (the list says why)
        const v = c.argv.includes('--ops') && a.code === 1 && a.stderr === '' && a.stdoutLen > 0 ? { verdict: 'clean' as const, reason: '' } : classify(a, c.kind === 'build');
        const partial = v.verdict !== 'success' ? leftovers(c, work) : [];
        if (partial.length) { cls = 'partial'; reason = `exit ${a.code} but left ${partial.join(', ')}`; } else if (v.verdict === 'success' && c.buildOut && !builtAndVerified(c.buildOut)) { cls = 'internal'; reason = 'exit 0 but no verified build report'; } else if (v.verdict === 'success' && c.verifyFile && !existsSync(c.verifyFile)) { cls = 'internal'; reason = 'exit 0 but no output file'; } else if (v.verdict === 'success' && !c.verifyFile && a.stdoutLen === 0) { cls = 'internal'; reason = 'exit 0 but no output'; } else if (v.verdict === 'internal') { cls = 'internal'; reason = v.reason; } else if (a.rss > memoryMb * 1024 * 1024) { cls = 'memory'; reason = `resident memory ${(a.rss / 2 ** 20).toFixed(0)} MB`; worker.kill(); } else if (v.verdict === 'success') cnt.successes++; else cnt.cleanErrors++;
      }
      if (cls) {
        if (cls === 'internal') cnt.internalErrors++; else if (cls === 'hang') cnt.hangs++; else if (cls === 'partial') cnt.partial++; else cnt.memory++;
        const dir = writeReproducer(failureDir, work, c, i, o.seed, cls, reason, 'code' in a ? a : undefined);
        failures.push({ kind, caseIndex: i, class: cls, argv: c.argv, reason, dir });
        log(`FAIL ${kind} case ${i} (${cls}): ${reason.split('\n')[0]!.slice(0, 300)}\n  reproducer: ${dir}`);
      }
      if (process.env.FUZZ_VERBOSE && 'code' in a) log(`${kind} ${i} exit ${a.code} [${c.argv[0]}${c.argv.includes('--kernel-ir') ? ' --kernel-ir' : ''}]: ${a.stderr.split('\n')[0]}`);
      if ((i + 1) % 500 === 0) log(`${i + 1}/${o.cases} cases, ${failures.length} failures, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    worker.kill();
    rmSync(work, { recursive: true, force: true });
  }
  return { counts, failures, seconds: (Date.now() - t0) / 1000 };
}
