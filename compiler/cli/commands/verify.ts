// `tinyforge verify`: compiles the Cortex-M C of a config (or .tflite model), runs it on the host or a
// QEMU Cortex-M board with N random inputs in one process, and compares every output with the golden
// runtime; on a mismatch it names the first differing layer (debug hook). Exit 0 only when all match. Its
// C, programs and inputs go to <out>/verify/<on> (out: the config's, else out/<model name>), written all
// or nothing beside the build's own <out>/mcu, so a later build still finds only its own files there.
// Built on the public API's verify() (compiler/api).
import { basename, join } from 'node:path';
import type { Command } from '../command.ts';
import { TinyforgeError, UsageError } from '../../diagnostics.ts';
import { formatVerifyResult, loadModel, verify as verifyModel } from '../../api/index.ts';
import { ARITH_MODES, type Arith } from '../../quant/multiplier.ts';
import { RUN_ON, requireTools, type RunOn } from '../../../mcu-backend/harness/run.ts';
import { requireRv32Tools } from '../../../mcu-backend/harness/rv32.ts';
import { writeFolderStaged } from '../../output-stage.ts';

export const verify: Command = {
  name: 'verify',
  summary: 'Run the Cortex-M C on the host or QEMU and compare every output with the golden runtime',
  usage: 'verify <config.yaml|model.tflite> --on host|m0plus|m3|m4|m7|m33|m55|rv32 [--inputs N] [--seed S] [--arith tflm|tflite] [--json] [--force]',
  options: {
    on: { type: 'string', description: 'where to run: host (gcc), or a QEMU board: m0plus (microbit, a Cortex-M0), m3, m4, m7 (mps2-an385/386/500), m33 (mps2-an505), m55 (mps3-an547), or rv32 (the portable C on QEMU riscv32, RV32IMC: X-HEEP\'s host)' },
    inputs: { type: 'string', description: 'number of random inputs (default 4)' },
    seed: { type: 'string', description: 'seed of the random inputs (default 1)' },
    arith: { type: 'string', description: 'arithmetic for a .tflite model (a config names its own): tflm (default) or tflite' },
    json: { type: 'boolean', description: 'print the result as JSON' },
    force: { type: 'boolean', description: 'replace <out>/verify/<on> even when it holds files tinyforge did not write' },
  },
  positionals: [1, 1],
  async run({ positionals, values }) {
    const on = String(values.on ?? '');
    if (on !== 'rv32' && !RUN_ON.includes(on as RunOn)) throw new UsageError(`--on must be one of ${[...RUN_ON, 'rv32'].join(', ')}, got '${on}'`);
    const count = Number(values.inputs ?? 4);
    if (!Number.isInteger(count) || count < 1 || count > 64) throw new UsageError(`--inputs must be an integer in 1..64, got '${values.inputs}'`);
    const seed = Number(values.seed ?? 1);
    if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got '${values.seed}'`);
    const path = positionals[0]!;
    const model = loadModel(path);
    let arith: Arith = model.arith;
    if (values.arith !== undefined) {
      if (!ARITH_MODES.includes(values.arith as Arith)) throw new UsageError(`--arith must be tflm or tflite, got '${values.arith}'`);
      arith = values.arith as Arith;
    }
    if (on === 'rv32') requireRv32Tools(); else requireTools(on as RunOn);
    const outDir = model.config?.outDir ?? join('out', basename(path).replace(/\.[^.]*$/, ''));
    process.stderr.write(`tinyforge: compiling ${model.name} and running ${count} input(s) on ${on}...\n`);
    // a mismatch is a result (its files are what one debugs) and is kept; an error or an interrupt is not
    const v = await writeFolderStaged(join(outDir, 'verify', on), { force: values.force === true, what: 'the verify folder' },
      (workDir) => verifyModel(model, { on: on as RunOn | 'rv32', inputs: count, seed, arith, workDir }));
    if (values.json) process.stdout.write(JSON.stringify({ model: path, arith, ...v }, null, 2) + '\n');
    else {
      process.stdout.write(formatVerifyResult(model, v) + '\n');
      if (v.invokeInstructions) process.stdout.write(`instructions per inference: ${v.invokeInstructions.join(', ')}\n`);
    }
    if (!v.ok) throw new TinyforgeError(`verification failed on ${on}`, { file: path });
    return 0;
  },
};
