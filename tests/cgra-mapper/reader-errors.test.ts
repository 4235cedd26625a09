// Error locations of the CGRA readers and the lowering: a bad word in bitstream.h names the file, the line
// and the array element; in an image.json the file and the element; a bad CSV cell the file, line and cell;
// a launch file that is not JSON the file, line and column (in our words, never the engine's); a lowering
// error the model's file. Expected lines and columns are found in the test's own text, not by the reader.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import { makeArch } from '../../cgra-mapper/arch.ts';
import { buildImage } from '../../cgra-mapper/isa/image.ts';
import { decode, encode } from '../../cgra-mapper/isa/encoding.ts';
import { formatBitstreamH, imageFromJson, imageToJson, parseBitstreamH } from '../../cgra-mapper/isa/bitstream.ts';
import { parseEslCsv } from '../../cgra-mapper/isa/esl-csv.ts';
import { parseLaunchFile } from '../../cgra-mapper/sim/launch-file.ts';
import { loadConfig } from '../../compiler/frontend/yaml/config.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { repoRoot } from '../helpers/paths.ts';

function errorOf(fn: () => unknown): TinyforgeError {
  try { fn(); } catch (e) { if (e instanceof TinyforgeError) return e; throw e; }
  assert.fail('no error thrown');
}

const arch = makeArch(); // 4x4, 128 context lines
const EXIT = 25 << 19;
const BAD = 31 << 19; // opcode 31: not defined
assert.equal(decode(BAD).op, 31);
// One kernel in slot 1 on column 0: two NOP steps, then an EXIT step on every row (kernels have at least 3 steps).
const image = buildImage(arch, [{ id: 1, cols: 1, words: [[[0], [0], [0], [0]], [[0], [0], [0], [0]], [[EXIT], [EXIT], [EXIT], [EXIT]]] }]);

/** bitstream.h text with element `index` of array `arr` replaced by `word`; the line it is on (1-based). */
function editH(arr: 'imem' | 'kmem', index: number, word: string): { text: string; line: number } {
  const lines = formatBitstreamH(image, 't').split('\n');
  const start = lines.findIndex((l) => l.startsWith(`const uint32_t cgra_${arr}_t[`));
  assert.ok(start >= 0);
  // formatBitstreamH writes 8 words per line after the declaration line.
  const at = start + 1 + Math.floor(index / 8);
  const cells = lines[at]!.split(',');
  const k = index % 8;
  cells[k] = cells[k]!.replace(/0x[0-9a-f]+/, word);
  lines[at] = cells.join(',');
  return { text: lines.join('\n'), line: at + 1 };
}

test('bitstream.h: an undefined opcode names the file, the line and the imem element, then the PE and step', () => {
  // PE(row 2, col 0) step 0 of kernel 1 is line 0 of bank 2: element 2 * 128 + 0.
  const { text, line } = editH('imem', 256, '0x00f80000');
  const e = errorOf(() => parseBitstreamH(text, arch, 'k.h'));
  assert.deepEqual([e.where.file, e.where.line], ['k.h', line]);
  assert.match(e.format(), new RegExp(`^k\\.h:${line}: cgra_imem_t\\[256\\]: kernel 1: PE\\(row 2, col 0\\) step 0 '[^']*': undefined opcode 31`));
});

test('bitstream.h: a word that is not a number, and a bad kernel-table entry, name their line and element', () => {
  const a = editH('imem', 13, 'zz');
  const e = errorOf(() => parseBitstreamH(a.text, arch, 'k.h'));
  assert.equal(e.format(), `k.h:${a.line}: cgra_imem_t[13]: 'zz' is not a 32-bit unsigned number`);
  // Entry 2 = 0x3: column mask 0 (no columns).
  const b = editH('kmem', 2, '0x0003');
  const f = errorOf(() => parseBitstreamH(b.text, arch, 'k.h'));
  assert.match(f.format(), new RegExp(`^k\\.h:${b.line}: cgra_kmem_t\\[2\\]: kernel table entry 2 = 0x3: column mask 0x0 `));
});

test('image.json: a bad word names the file and the element; broken JSON names line and column in our words', () => {
  const doc = JSON.parse(imageToJson(image));
  doc.imem[128 + 0] = '0x00f80000'; // PE(row 1, col 0) step 0
  // One word per line (indent 1): element 128 is 129 lines below the line of "imem", after two spaces.
  const text = JSON.stringify(doc, null, 1);
  const line = text.split('\n').findIndex((l) => l.startsWith(' "imem"')) + 1 + 129;
  assert.equal(text.split('\n')[line - 1], '  "0x00f80000",');
  const e = errorOf(() => imageFromJson(text, arch, 'img.json'));
  assert.match(e.format(), new RegExp(`^img\\.json:${line}: imem\\[128\\]: kernel 1: PE\\(row 1, col 0\\) step 0 .*undefined opcode 31`));
  doc.kmem[3] = 'x3';
  const k = errorOf(() => imageFromJson(JSON.stringify(doc), arch, 'img.json'));
  const xcol = JSON.stringify(doc).indexOf('"x3"') + 1;
  assert.equal(k.format(), `img.json:1:${xcol}: kmem[3]: 'x3' is not a 32-bit unsigned number`);
  const broken = '{"format": "tinyforge-cgra-image",\n "imem": [1, 2,]}';
  const g = errorOf(() => imageFromJson(broken, arch, 'img.json'));
  const col = ' "imem": [1, 2,]}'.indexOf(']') + 1;
  assert.equal(g.format(), `img.json:2:${col}: CGRA image is not valid JSON: unexpected ']'`);
});

test('ESL CSV: a bad instruction and a bad branch target name the file, the line and the cell', () => {
  const a1 = makeArch({ rows: 1, cols: 2 });
  const e = errorOf(() => parseEslCsv('0,\nNOP,FROB R1\n1,\nEXIT,NOP\n', { arch: a1, file: 'k.csv' }));
  assert.match(e.format(), /^k\.csv:2: cell 2: kernel 1: PE\(row 0, col 1\) step 0 'FROB R1': /);
  // Three steps: a branch to step 7 is past the end (line 4, second cell); quoted cells with commas count as one.
  const f = errorOf(() => parseEslCsv('0,\n"SADD R0, R0, 1",NOP\n1,\nEXIT,"BNE R1, R2, 7"\n2,\nNOP,NOP\n', { arch: a1, file: 'k.csv' }));
  assert.match(f.format(), /^k\.csv:4: cell 2: /);
  assert.match(f.format(), /7/);
  // A step line without its number: line 3 (blank lines are skipped but counted).
  const g = errorOf(() => parseEslCsv('0,\nNOP,NOP\n\nx,\nEXIT,NOP\n', { arch: a1, file: 'k.csv' }));
  assert.match(g.format(), /^k\.csv:4: cell 1: step 1: expected the step number in the first cell, got 'x'/);
});

test('launch file: not JSON names file, line and column without engine text; a bad field names the file and path', () => {
  const text = '{\n  "launches": [\n    {"kernel": 1, "ptrIn": [0], "ptrOut": [64]}\n  ],\n  "dump": [{"addr": 0, "words": }]\n}\n';
  const e = errorOf(() => parseLaunchFile(text, arch, 'run.json'));
  const col = '  "dump": [{"addr": 0, "words": }]'.indexOf('}') + 1;
  assert.equal(e.format(), `run.json:5:${col}: launch file is not valid JSON: unexpected '}'`);
  assert.doesNotMatch(e.message, /is not valid JSON$|position|Unexpected/);
  const end = errorOf(() => parseLaunchFile('{"launches": [', arch, 'run.json'));
  assert.equal(end.format(), 'run.json:1:15: launch file is not valid JSON: the document ends early');
  // A bad field: its path, and the line and column where its value starts.
  const doc = '{"launches": [\n  {"kernel": 1},\n  {"ptrIn": [0], "kernel": 0}]}';
  const f = errorOf(() => parseLaunchFile(doc, arch, 'run.json'));
  const kcol = '  {"ptrIn": [0], "kernel": 0}]}'.indexOf(': 0}') + 3;
  assert.match(f.format(), new RegExp(`^run\\.json:3:${kcol}: launches\\[1\\]\\.kernel must be a kernel slot 1\\.\\.\\d+`));
  const u = errorOf(() => parseLaunchFile('{"launches": [{"kernel": 1}],\n "dumps": []}', arch, 'run.json'));
  assert.match(u.format(), /^run\.json:2:11: "dumps" is not a launch-file field/);
});

test('lowering: a user error names the model file', () => {
  const cfg = loadConfig(join(repoRoot, 'configs', 'default.yaml'));
  const input = cfg.graph.tensors.find((t) => t.id === cfg.graph.inputs[0])!;
  input.dtype = 'int32';
  const e = errorOf(() => runPipeline(cfg.graph, { arith: 'tflm', file: 'model.tflite' }));
  assert.equal(e.where.file, 'model.tflite');
  assert.match(e.format(), /^model\.tflite: graph input\/output '.*' is int32/);
  // Without a file: as before, no location.
  const g = errorOf(() => runPipeline(cfg.graph, { arith: 'tflm' }));
  assert.equal(g.where.file, undefined);
});

test('encode of EXIT matches the word used above', () => {
  assert.equal(encode({ op: 25, a: 0, b: 0, rd: 0, we: 0, f: 0, imm: 0 }), EXIT);
});
