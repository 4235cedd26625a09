// The RV32IMC harness (mcu-backend/harness/rv32.ts): riscv64-unknown-elf-gcc -march=rv32imc with picolibc,
// QEMU riscv32 `virt` with semihosting, and the icount plugin's RISC-V markers. Instruction counts of
// hand-written sequences between markers equal the instructions written (counted by hand below); the
// guest's exit status comes through; an instruction outside RV32IMC traps; and a real model's portable C
// runs bit-exact with the golden runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { between } from '../../mcu-backend/harness/run.ts';
import { compileRv32, describeRv32Status, runRv32, rv32Size } from '../../mcu-backend/harness/rv32.ts';
import { loadModel } from '../../compiler/frontend/load.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { modelPath, scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-rv32-');
const M = (n: number) => `.insn i 0x13, 5, x0, x0, ${n}`; // the marker of runtime.h: srli x0, x0, n

/** Sequences between markers 1 and 2, with the instructions in each counted by hand. */
const SEQS: Array<{ name: string; asm: string; count: number }> = [
  { name: 'eight addi', asm: 'addi a0, a0, 1\n'.repeat(8), count: 8 },
  // c.addi: compressed instructions count one each, like the 32-bit ones.
  { name: 'compressed', asm: 'c.addi a0, 1\nc.addi a0, 1\nadd a0, a0, a0\n', count: 3 },
  // li 1, then 5 x (addi + bnez): 11.
  { name: 'loop of 5', asm: 'li t0, 5\n1:\naddi t0, t0, -1\nbnez t0, 1b\n', count: 11 },
  // lw, sw, mul, mulh, div: 5.
  { name: 'memory and M', asm: 'lw a1, 0(a2)\nsw a1, 4(a2)\nmul a1, a1, a0\nmulh a1, a1, a0\ndiv a1, a1, a0\n', count: 5 },
];

function program(name: string, body: string): string {
  const src = join(work, `${name}.c`);
  writeFileSync(src, `#include <stdint.h>\nstatic volatile uint32_t buf[8];\n${body}`);
  return src;
}

test('rv32: instructions between markers are counted exactly; the exit status comes through', (t) => {
  if (!needTools(t, 'rv32')) return;
  const body = SEQS.map((s) => `  __asm volatile("mv a2, %0\\n${M(1)}\\n${s.asm.replace(/\n/g, '\\n')}${M(2)}\\n" :: "r"(buf) : "a0", "a1", "a2", "t0", "memory");`).join('\n');
  const src = program('seqs', `int main(void)\n{\n  buf[0] = 3;\n${body}\n  return 42;\n}\n`);
  const elf = join(work, 'seqs.elf');
  const c = compileRv32({ sources: [src], includeDirs: [] }, elf, { flags: ['-O1'] });
  assert.equal(c.status, 0, c.stderr);
  assert.ok(rv32Size(elf).text > 0);
  const r = runRv32(elf, { count: true, timeoutMs: 20_000 });
  assert.equal(r.status, 42, r.stderr);
  assert.equal(r.markers.length, 2 * SEQS.length);
  SEQS.forEach((s, k) => {
    assert.deepEqual([r.markers[2 * k].n, r.markers[2 * k + 1].n], [1, 2]);
    assert.equal(between(r.markers[2 * k], r.markers[2 * k + 1]), s.count, s.name);
  });
  assert.ok(r.totalInstructions! > SEQS.reduce((a, s) => a + s.count, 0));
});

test('rv32: an instruction outside RV32IMC (fadd.s) traps with mcause 2: exit status 202', (t) => {
  if (!needTools(t, 'rv32')) return;
  const src = program('fp', 'int main(void)\n{\n  __asm volatile(".4byte 0x00000053"); /* fadd.s f0, f0, f0 */\n  return 0;\n}\n');
  const elf = join(work, 'fp.elf');
  const c = compileRv32({ sources: [src], includeDirs: [] }, elf);
  assert.equal(c.status, 0, c.stderr);
  const r = runRv32(elf, { timeoutMs: 20_000 });
  assert.equal(r.status, 202);
  assert.match(describeRv32Status(r.status, false), /illegal instruction/);
});

test('rv32: kws in portable C on QEMU riscv32 equals the golden runtime on 2 inputs, with per-layer counts', async (t) => {
  const path = modelPath('kws');
  if (!path) { t.skip('kws model not found'); return; }
  if (!needTools(t, 'rv32')) return;
  const graph = loadModel(path).graph;
  const module = runPipeline(graph, { arith: 'tflm' });
  const em = emitModel(module, { cpu: 'm3', dsp: false });
  const v = await verifyMcu(graph, module, em, 'rv32', { inputs: randomInputs(49 * 10, 2, 31), workDir: work, count: true });
  for (const r of v.results) assert.ok(r.ok, `input ${r.input}: ${JSON.stringify(r)}`);
  assert.equal(v.layerInstructions?.length, module.ops.length);
  const sum = v.layerInstructions!.reduce((a, b) => a + b, 0);
  assert.ok(sum > 0 && sum <= v.invokeInstructions![0], `${sum} vs ${v.invokeInstructions![0]}`);
});

test('rv32: the paper layer (tests/helpers/paper-layer.ts) priced on both host cores from one run, bit-exact on 2 inputs', async (t) => {
  if (!needTools(t, 'rv32')) return;
  const { paperLayerGraph, PAPER_LAYER_MACS } = await import('../helpers/paper-layer.ts');
  const { modelRv32Run } = await import('../../mcu-backend/timing/rv32-model.ts');
  const { goldenOutputBytes, randomGraphInputs } = await import('../../mcu-backend/verify.ts');
  const { GoldenRuntime } = await import('../../runtime-wasm/host.ts');
  const graph = paperLayerGraph();
  const module = runPipeline(graph, { arith: 'tflm' });
  assert.equal(module.ops.reduce((a, o) => a + o.macs, 0), PAPER_LAYER_MACS);
  const golden = await GoldenRuntime.load();
  const inputs = randomGraphInputs(graph, 2, 7);
  const em = emitModel(module, { cpu: 'm3', dsp: false });
  const r = modelRv32Run(em, inputs, ['cv32e40p', 'cv32e20'], scratchDir('tinyforge-rv32-paper-'));
  inputs.forEach((x, i) => assert.deepEqual(r.outputs[i], goldenOutputBytes(golden, graph, module.arith, x), `input ${i}`));
  const e40p = r.runs.cv32e40p.invoke, e20 = r.runs.cv32e20.invoke;
  // Both cores price the same executed instructions; every cycle cause adds to one cycle per instruction.
  assert.equal(e40p.instructions, e20.instructions);
  // The priced invoke runs from marker 3 (included) to marker 4 (excluded): the counted instructions strictly between them + 1.
  assert.equal(e40p.instructions, r.invokeInstructions[0] + 1);
  assert.ok(e40p.total > e40p.instructions && e20.total > e40p.total, `${e40p.total} ${e20.total}`);
  assert.equal(e40p.total, e40p.issue + e40p.memory + e40p.multiply + e40p.branch + e40p.loadUse);
  assert.equal(r.runs.cv32e40p.layers.length, 1);
});

test('rv32: tinyforge verify --on rv32 (the API verify) runs the portable C on QEMU riscv32; a bad --on names rv32 among the choices', async (t) => {
  const path = modelPath('kws');
  if (!path) { t.skip('kws model not found'); return; }
  if (!needTools(t, 'rv32')) return;
  const api = await import('../../compiler/api/index.ts');
  const model = api.loadModel(path);
  const v = await api.verify(model, { on: 'rv32', inputs: 1, seed: 3 });
  assert.ok(v.ok, JSON.stringify(v.results));
  assert.equal(v.on, 'rv32');
  assert.ok(v.invokeInstructions![0] > 0);
  assert.match(api.formatVerifyResult(model, v), /on QEMU riscv32 \(RV32IMC\): all outputs of 1 input\(s\) equal/);
  await assert.rejects(api.verify(model, { on: 'z80' as never }), /on must be one of .*rv32, got 'z80'/);
});
