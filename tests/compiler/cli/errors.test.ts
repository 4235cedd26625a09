// The CLI's error contract on bad input, exercised in-process through main(): one line on stderr naming the
// file and what is wrong (never a stack trace), exit 1 (usage errors exit 2), nothing on stdout under
// --json, and no half-written or temporary files left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../../../compiler/cli/main.ts';
import { commands } from '../../../compiler/cli/commands/index.ts';
import type { Command } from '../../../compiler/cli/command.ts';
import { modelPath, repoRoot, scratchDir } from '../../helpers/paths.ts';

const dist = join(repoRoot, 'dist', 'tinyforge.mjs');
// A child process per call: capturing process.stdout in-process would also swallow node:test's reports.
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e',
    `const { main } = await import(${JSON.stringify(dist)}); process.exitCode = await main(JSON.parse(process.argv[1]));`, JSON.stringify(argv)], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** In-process, for a command registered by the test; only stderr is captured (stdout carries test reports). */
async function cliInProcess(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const err: string[] = [];
  const e = process.stderr.write;
  process.stderr.write = ((s: string) => { err.push(String(s)); return true; }) as typeof process.stderr.write;
  try {
    return { code: await main(argv), out: '', err: err.join('') };
  } finally {
    process.stderr.write = e;
  }
}

/** Exit code `code`, exactly one stderr line matching `re`, nothing on stdout. */
function failsWith(r: { code: number; out: string; err: string }, code: number, re: RegExp): void {
  assert.equal(r.code, code, r.err);
  assert.equal(r.out, '');
  assert.equal(r.err.trimEnd().split('\n').length, 1, `one line expected, got:\n${r.err}`);
  assert.match(r.err, re);
}

const dot = join(repoRoot, 'cgra-mapper', 'examples', 'dot.s');

test('a directory named like a config or weights file is a one-line error', async () => {
  const dir = scratchDir();
  mkdirSync(join(dir, 'd.yaml'));
  failsWith(await cli('inspect', join(dir, 'd.yaml')), 1, /d\.yaml: is a directory/);
  failsWith(await cli('inspect', dir, '--json'), 1, /: is a directory \(expected a \.tflite model or a \.yaml\/\.yml build config\)/);
  writeFileSync(join(dir, 'm.yaml'), 'model: 42\n');
  failsWith(await cli('inspect', join(dir, 'm.yaml')), 1, /m\.yaml:1:8: model must be a path of a \.tflite model/);
  writeFileSync(join(dir, 'b.yaml'), "name: 'a b/c'\nnetwork: { input: { shape: [4, 4, 1] }, layers: [] }\n");
  failsWith(await cli('inspect', join(dir, 'b.yaml')), 1, /b\.yaml:1:7: name must be a build name of letters, digits, _ \. - starting with a letter or _ .*\(got 'a b\/c'\)/);
  writeFileSync(join(dir, 'e.yaml'), 'network: { input: { shape: [4, 4, 1] }, layers: [] }\n');
  failsWith(await cli('inspect', join(dir, 'e.yaml')), 1, /e\.yaml:1:\d+: network\.layers must be a list of at least one layer \(got \[\]\)/);
  failsWith(await cli('build', join(dir, 'd.yaml'), '--json'), 1, /d\.yaml: is a directory/);
  mkdirSync(join(dir, 'w'));
  writeFileSync(join(dir, 'n.yaml'), 'network:\n  input: { shape: [8, 8, 3] }\n  layers:\n    - { op: conv2d, filters: 4, kernel: 3, weights: { file: w } }\n');
  failsWith(await cli('inspect', join(dir, 'n.yaml')), 1, /n\.yaml:4:\d+: .*weights file w is a directory/);
});

test('build: an output directory that cannot be created fails first, in one line', async () => {
  const dir = scratchDir();
  writeFileSync(join(dir, 'file'), 'x');
  writeFileSync(join(dir, 'c.yaml'), `out: file/sub\nnetwork:\n  input: { shape: [4, 4, 1] }\n  layers:\n    - { op: fully_connected, units: 2 }\ntargets:\n  cgra: { rows: 4, cols: 4 }\n`);
  failsWith(await cli('build', join(dir, 'c.yaml'), '--json'), 1, /file\/sub: cannot create output directory: .*not a directory \(ENOTDIR\)/);
});

test('run: unwritable --output and --dump-dir are one-line errors and leave no temporary file', { skip: modelPath('ad01') ? false : 'model missing' }, async () => {
  const dir = scratchDir();
  const model = modelPath('ad01')!;
  const input = join(dir, 'in.bin');
  assert.equal((await cli('run', model, '--gen-input', '1', '--input', input, '--output', join(dir, 'o.bin'))).code, 0);
  writeFileSync(join(dir, 'file'), 'x');
  failsWith(await cli('run', model, '--input', input, '--output', join(dir, 'file', 'o.bin'), '--json'), 1, /file\/o\.bin: cannot write --output file: .*\(ENOTDIR\)/);
  mkdirSync(join(dir, 'sub'));
  failsWith(await cli('run', model, '--input', input, '--output', join(dir, 'sub')), 1, /sub: --output file is a directory/);
  failsWith(await cli('run', model, '--input', input, '--output', join(dir, 'o.bin'), '--dump-dir', join(dir, 'file')), 1, /file: --dump-dir exists and is a file/);
  failsWith(await cli('run', model, '--input', join(dir, 'sub'), '--output', join(dir, 'o.bin')), 1, /sub: input file is a directory/);
  failsWith(await cli('run', model, '--input', input, '--output', join(dir, 'o.bin'), '--arith', 'bad'), 2, /--arith must be one of tflm, tflite, got 'bad'/);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), []);
  assert.deepEqual(readdirSync(join(dir, 'sub')), []);
});

test('cgra asm: unknown -o extension is a usage error; writing under a file names the path', async () => {
  const dir = scratchDir();
  failsWith(await cli('cgra', 'asm', dot, '-o', join(dir, 'x.txt')), 2, /'.*x\.txt' has no known extension.*\.h.*\.json.*\.csv/);
  writeFileSync(join(dir, 'file'), 'x');
  failsWith(await cli('cgra', 'asm', dot, '-o', join(dir, 'file', 'x.h')), 1, /file\/x\.h: cannot write bitstream: .*\(ENOTDIR\)/);
  mkdirSync(join(dir, 'd.h'));
  failsWith(await cli('cgra', 'asm', dot, '-o', join(dir, 'd.h')), 1, /d\.h: bitstream is a directory/);
  failsWith(await cli('cgra', 'asm', join(dir, 'nope.s'), '-o', join(dir, 'x.h')), 1, /nope\.s: file not found$/m);
  assert.deepEqual(readdirSync(dir).sort(), ['d.h', 'file']);
});

test('cgra asm -o x.csv of a 2-column kernel disassembles back to the same kernel', async () => {
  const dir = scratchDir();
  assert.equal((await cli('cgra', 'asm', dot, '-o', join(dir, 'dot.csv'))).code, 0);
  assert.equal((await cli('cgra', 'asm', dot, '-o', join(dir, 'dot.json'))).code, 0);
  const fromCsv = await cli('cgra', 'disasm', join(dir, 'dot.csv'));
  const fromJson = await cli('cgra', 'disasm', join(dir, 'dot.json'));
  assert.equal(fromCsv.code, 0, fromCsv.err);
  assert.match(fromCsv.out, /kernel 1 cols=2/);
  // The CSV has no kernel name; otherwise the same program.
  assert.equal(fromCsv.out, fromJson.out.replace('kernel 1 name=dot cols=2', 'kernel 1 cols=2'));
});

test('cgra sim / view: errors name the launch file and launch; bad option values exit 2', async () => {
  const dir = scratchDir();
  const h = join(dir, 'dot.h');
  assert.equal((await cli('cgra', 'asm', dot, '-o', h)).code, 0);
  const lf = join(dir, 'l.json');
  writeFileSync(lf, JSON.stringify({ launches: [{ kernel: 9, ptrIn: [0, 0, 0, 0], ptrOut: [0, 0, 0, 0] }] }));
  failsWith(await cli('cgra', 'sim', '--bitstream', h, '--launch', lf, '--json'), 1, /l\.json: launches\[0\]: kernel 9 is not in the image/);
  failsWith(await cli('cgra', 'sim', '--bitstream', h, '--launch', lf, '--cycle-limit', '0'), 2, /--cycle-limit must be a positive integer, got '0'/);
  failsWith(await cli('cgra', 'view', h, '--legacy-step'), 2, /--legacy-step needs --launch/);
  mkdirSync(join(dir, 'v.html'));
  failsWith(await cli('cgra', 'view', h, '--html', join(dir, 'v.html')), 1, /v\.html: --html file is a directory/);
});

test('cgra map: --inputs 0 and an --out that is a file are rejected before any work', { skip: modelPath('ad01') ? false : 'model missing' }, async () => {
  const dir = scratchDir();
  writeFileSync(join(dir, 'file'), 'x');
  failsWith(await cli('cgra', 'map', modelPath('ad01')!, '--inputs', '0', '--json'), 2, /--inputs must be at least 1/);
  failsWith(await cli('cgra', 'map', modelPath('ad01')!, '--out', join(dir, 'file'), '--json'), 1, /file: --out directory exists and is a file/);
  assert.equal(readFileSync(join(dir, 'file'), 'utf8'), 'x');
});

test('main: a file-system error names its path; any other exception is reported as a bug with the command, not its text', async () => {
  const boom: Command = {
    name: 'zz-test-boom', summary: 'test only', usage: 'zz-test-boom', options: {}, positionals: [0, 1],
    async run({ positionals }) {
      if (positionals[0] === 'fs') readFileSync('/nonexistent/tinyforge-test');
      throw new TypeError('Cannot read properties of undefined');
    },
  };
  commands.push(boom);
  try {
    failsWith(await cliInProcess('zz-test-boom', 'fs'), 1, /^tinyforge: error: \/nonexistent\/tinyforge-test: cannot open: no such file or directory \(ENOENT\)$/m);
    // An unexpected exception: one line saying it is a bug, then the command that reproduces it (quoted for a
    // shell), never the exception's own text.
    const r = await cliInProcess('zz-test-boom', "it's here");
    assert.equal(r.code, 1);
    assert.equal(r.err, "tinyforge: internal error: this is a bug in tinyforge, not in your input; please report it with the command below and its input files (TINYFORGE_DEBUG=1 prints the details)\n  tinyforge zz-test-boom 'it'\\''s here'\n");
    assert.doesNotMatch(r.err, /TypeError|Cannot read properties/);
  } finally {
    commands.pop();
  }
});

test('cgra --help lists each subcommand\'s summary on its own line', async () => {
  const r = await cli('cgra', '--help');
  assert.equal(r.code, 0);
  assert.match(r.out, /\n {2}cgra asm <file\.s>[^\n]*\n {6}Assemble per-PE assembly/);
});
