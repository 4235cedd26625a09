// The QEMU boards added for issue 14: Cortex-M33 (mps2-an505), Cortex-M55 (mps3-an547) and Cortex-M0
// (microbit, the ARMv6-M portable path). Every MLPerf Tiny model runs bit-exact with the golden runtime
// (tflm) on M33 and M55 with their DSP kernels, and on M0 where it fits the nRF51's 256 KiB flash and
// 16 KiB SRAM; the ones that do not fit must fail at link time naming the region (as on the real part).
// Markers work on all three (ARMv6-M has its own 16-bit marker hint), so per-layer counts come back.
// A QEMU without one of these machines fails the test (requireBoard), never skips it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../../compiler/frontend/load.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { randomInputs, verifyMcu } from '../../mcu-backend/verify.ts';
import { compileArm, requireBoard, runQemu, type QemuCpu } from '../../mcu-backend/harness/run.ts';
import { mcuBuildStep } from '../../mcu-backend/build.ts';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';
import { MODELS, modelPath, scratchDir, type ModelKey } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-mcu-boards-');
let golden: GoldenRuntime | undefined;

/** Models that do not fit the microbit (numbers in docs/mcu.md: flash over 256 KiB or SRAM over 16 KiB). */
const M0_TOO_BIG: Partial<Record<ModelKey, RegExp>> = {
  vww: /region `RAM' overflowed/,
  resnet: /region `RAM' overflowed/,
  ad01: /region `FLASH' overflowed/,
};

test('each new board runs the startup: exit status, .data copied, .bss zeroed, semihosting output', (t) => {
  if (!needTools(t, 'm4')) return;
  const dir = scratchDir();
  const src = join(dir, 'boot.c');
  // 100 words of bss written from an initialised global: arr[99] = 99 * 5 = 495, 495 mod 256 = 239.
  writeFileSync(src, '#include "semihost.h"\nstatic int arr[100];\nint data_v = 5;\nint zero_v;\n' +
    'int main(void){ for (int i = 0; i < 100; i++) arr[i] = i * data_v + zero_v; tf_semihost_write0("boot ok\\n"); return arr[99] % 256; }\n');
  for (const cpu of ['m0plus', 'm33', 'm55'] as QemuCpu[]) {
    requireBoard(cpu);
    const elf = join(dir, `boot-${cpu}.elf`);
    const c = compileArm({ sources: [src], includeDirs: [] }, elf, cpu);
    assert.equal(c.status, 0, c.stderr);
    const r = runQemu(elf, cpu, { timeoutMs: 20_000 });
    assert.equal(r.status, 239, `${cpu}: ${r.stderr}`);
    assert.match(r.stderr, /boot ok/);
  }
});

for (const key of Object.keys(MODELS) as ModelKey[]) {
  test(`${key}: bit-exact with the golden runtime on QEMU M33 (an505), M55 (an547) and M0 (microbit, where it fits)`, async (t) => {
    const path = modelPath(key);
    if (!path) { t.skip(`model ${MODELS[key]} not found`); return; }
    if (!needTools(t, 'm33')) return;
    golden ??= await GoldenRuntime.load();
    const graph = loadModel(path).graph;
    const module = runPipeline(graph, { arith: 'tflm' });
    const inputs = randomInputs(graph.inputs.reduce((s, id) => s + graph.tensors[id].shape.reduce((a, b) => a * b, 1), 0), 3, 29);
    for (const on of ['m33', 'm55', 'm0plus'] as QemuCpu[]) {
      const em = emitModel(module, { cpu: on, dsp: on !== 'm0plus' });
      const tooBig = on === 'm0plus' ? M0_TOO_BIG[key] : undefined;
      if (tooBig) {
        await assert.rejects(verifyMcu(graph, module, em, on, { inputs: inputs.slice(0, 1), workDir: join(work, key), golden }), tooBig);
        continue;
      }
      const v = await verifyMcu(graph, module, em, on, { inputs, workDir: join(work, key), count: true, golden });
      assert.equal(v.results.length, 3);
      for (const r of v.results) assert.ok(r.ok, `${key} on ${on}, input ${r.input}: ${JSON.stringify(r)}`);
      assert.equal(v.layerInstructions?.length, module.ops.length, `${key} on ${on}: one count per layer`);
      const sum = v.layerInstructions!.reduce((a, b) => a + b, 0);
      assert.ok(sum > 0 && sum <= v.invokeInstructions![0], `${key} on ${on}: ${sum} vs ${v.invokeInstructions![0]}`);
    }
  });
}

test('build for a Cortex-M0+ part larger than the microbit: the QEMU run is skipped with the reason, the host verification still runs', async (t) => {
  const path = modelPath('resnet');
  if (!path) { t.skip('model resnet not found'); return; }
  if (!needTools(t, 'm0plus')) return;
  const graph = loadModel(path).graph;
  const module = runPipeline(graph, { arith: 'tflm' });
  const step = await mcuBuildStep(graph, module, { cpu: 'cortex-m0plus', flash: 1 << 20, sram: 256 << 10 }, scratchDir(), { verifyInputs: 1 });
  // resnet needs about 36 KB of RAM (arena, stack, I/O), over the nRF51's 16 KiB.
  assert.match(step.build.notes.join('\n'), /QEMU run skipped .*does not fit QEMU's microbit \(RAM \d+ B > 16384 B\)/);
  assert.equal(step.verify.length, 1);
  assert.equal(step.verify[0]!.on, 'host');
  assert.ok(step.ok);
});
