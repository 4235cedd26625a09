// The graph's input and output live in the arena as ordinary planned buffers (memory/requests.ts): the
// input from before the first op to its last reader, so its bytes are reused once consumed, the output to
// the end. The zero-copy entry (<name>_input(i), <name>_run(), <name>_output(i)) points into the arena at
// the planner's offsets; the size program (stages/fit.ts sizeMain) holds no I/O buffer outside it.
// Offsets below are worked out by hand; the runs compare with the independent TypeScript evaluation
// (helpers/kmodule.ts) on the host and QEMU M4, through both entries (the driver alternates them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { LEAN_VARIANTS } from '../../mcu-backend/emit/registry.ts';
import { planConflicts } from '../../mcu-backend/memory/arena.ts';
import { tensorRequests } from '../../mcu-backend/memory/requests.ts';
import { arenaBudget, fitStage, measureSize, STACK_BYTES } from '../../mcu-backend/stages/fit.ts';
import { StageTimer } from '../../mcu-backend/stages/timing.ts';
import { runModel } from '../../mcu-backend/runner.ts';
import { scratchDir } from '../helpers/paths.ts';
import { evaluate, KBuilder, randInt8, rng, window } from './helpers/kmodule.ts';
import { needTools } from './helpers/tools.ts';

const work = scratchDir('tinyforge-mcu-arena-io-');

/** x [1,8,8,4] -> 2x2/2 max pool -> a [1,4,4,4] -> 1x1 conv 4->8 -> b [1,4,4,8] -> 1x1 conv 8->2 -> y [1,4,4,2]. */
function module(): KernelModule {
  const k = new KBuilder('arena_io', 'tflm', rng(5));
  const x = k.buffer('x', [1, 8, 8, 4], 'input', 3);
  const pw = window({ inH: 8, inW: 8, inC: 4, outC: 4, kH: 2, kW: 2, strideH: 2, strideW: 2 });
  const a = k.op({ kind: 'max_pool2d', name: 'pool', ...pw, actMin: -128, actMax: 127, macs: 0 }, [x], [1, 4, 4, 4], 'a');
  const conv = (name: string, inp: number, inC: number, outC: number, out: string) => {
    const w = window({ inH: 4, inW: 4, inC, outC, kH: 1, kW: 1 });
    return k.op({ kind: 'conv2d', name, ...w, groups: 1, weights: k.konst(`${name}_w`, k.weights(outC * inC), [outC, 1, 1, inC]), bias: k.konst(`${name}_b`, k.bias(outC), [outC]),
      macs: 16 * outC * inC, inputOffset: 2, outputOffset: -3, requant: k.requant(outC, Math.sqrt(inC) * 70 * 70), rounding: 'double', actMin: -128, actMax: 127 }, [inp], [1, 4, 4, outC], out);
  };
  const b = conv('expand', a, 4, 8, 'b');
  const y = conv('project', b, 8, 2, 'y');
  return k.done([y]);
}

test('input and output are arena buffers with lifetimes: hand-computed offsets, the input reused once consumed', () => {
  const m = module();
  // Requests (op indices; -1 = before the first op): x 256 B [-1, 0], a 64 B [0, 1], b 128 B [1, 2], y 32 B [2, 2].
  assert.deepEqual(tensorRequests(m).map((r) => [r.name, r.bytes, r.first, r.last]), [['x', 256, -1, 0], ['a', 64, 0, 1], ['b', 128, 1, 2], ['y', 32, 2, 2]]);
  // Whole tensors (no in place), lean kernels (no scratch). Live bytes: 256 before op 0, x + a = 320 at op 0,
  // a + b = 192 at op 1, b + y = 160 at op 2: no placement goes below 320. Best fit, largest first: x at 0;
  // b does not meet x in time: 0 as well (the expansion writes over the consumed input); a meets both:
  // above them, 256; y meets b only: right above it, 128 (over the input's bytes too). Peak 320.
  const em = emitModel(m, { cpu: 'm4', dsp: true }, { table: LEAN_VARIANTS, memory: 'whole' });
  const off = (id: number) => em.plan.bufferOffset.get(id);
  assert.deepEqual([0, 1, 2, 3].map(off), [0, 256, 0, 128]);
  assert.equal(em.plan.arenaBytes, 320);
  assert.deepEqual(em.plan.liveByOp, [320, 192, 160]);
  assert.deepEqual(planConflicts(em.plan), []);
  // The zero-copy entry points at those offsets, and the header says the run overwrites the input.
  assert.match(em.files.source, /static const uint32_t arena_io_input_offset\[1\] = \{ 0 \};/);
  assert.match(em.files.source, /static const uint32_t arena_io_output_offset\[1\] = \{ 128 \};/);
  assert.match(em.files.header, /int8_t \*arena_io_input\(int i\);/);
  assert.match(em.files.header, /const int8_t \*arena_io_output\(int i\);/);
  assert.match(em.files.header, /int arena_io_run\(void\);/);
  assert.match(em.files.header, /OVERWRITES the\s+\*\s+input/);
});

test('with in-place execution the whole chain runs over the input: hand-computed offsets and delay rows', () => {
  const m = module();
  const em = emitModel(m, { cpu: 'm4', dsp: true }, { table: LEAN_VARIANTS });
  // Delay rows (memory/inplace.ts): the 2x2/2 pool (32 B input rows, 16 B output rows) writes row r over
  // bytes < 16(r+1) while the next window starts at byte 64(r+1): forward, no delay, one 16 B row. The
  // 1x1 expansion 4 -> 8 grows (16 B -> 32 B rows): backward, output row r lands at 32r, unread input ends
  // at 16r: no delay, one 32 B row. The projection 8 -> 2 shrinks: forward, one 8 B row.
  assert.deepEqual(em.plan.inPlace.map((ip) => [ip.op, ip.input, ip.direction, ip.delay, ip.scratchBytes]),
    [[0, 0, 'forward', 0, 16], [1, 1, 'backward', 0, 32], [2, 2, 'forward', 0, 8]]);
  // One in-place group x, a, b, y at offset 0 (the output ends where the input was). Delay rows beside the
  // members live during their op: at op 0 x (256 B) -> 256; at op 1 b (128 B) -> 128; at op 2 b -> 128.
  // Live: 256 + 16 = 272 at op 0, 128 + 32 = 160 at op 1, 128 + 8 = 136 at op 2; arena 272.
  assert.deepEqual([0, 1, 2, 3].map((id) => em.plan.bufferOffset.get(id)), [0, 0, 0, 0]);
  assert.deepEqual(em.plan.delayOffset, [256, 128, 128]);
  assert.deepEqual(em.plan.liveByOp, [272, 160, 136]);
  assert.equal(em.plan.arenaBytes, 272);
  assert.deepEqual(planConflicts(em.plan), []);
  assert.match(em.files.source, /arena_io_input_offset\[1\] = \{ 0 \};[^]*arena_io_output_offset\[1\] = \{ 0 \};/);
});

test('zero-copy entry and invoke: bit-exact on the host and QEMU M4, whole and in place', (t) => {
  const m = module();
  const r = rng(17);
  const inputs = [randInt8(r, 256), randInt8(r, 256), randInt8(r, 256), randInt8(r, 256)];
  const expected = inputs.map((x) => evaluate(m, x)[2]!); // the last op's output
  for (const [tag, memory] of [['whole', 'whole'], ['auto', undefined]] as const) {
    const em = emitModel(m, { cpu: 'm4', dsp: true }, { table: LEAN_VARIANTS, ...(memory ? { memory } : {}) });
    for (const on of ['host', 'm4'] as const) {
      if (on === 'm4' && !needTools(t, 'm4')) continue;
      // Runs 0 and 2 through <name>_input/_run/_output, 1 and 3 through <name>_invoke (harness/driver.c).
      const res = runModel(em, inputs, on, { workDir: join(work, `${tag}-${on}`) });
      res.outputs.forEach((o, i) => assert.deepEqual([...o], [...expected[i]!], `${tag} on ${on}, run ${i}`));
    }
  }
});

test('the size program keeps no input or output buffer outside the arena (arm-none-eabi-size)', (t) => {
  if (!needTools(t, 'arm-gcc')) return;
  const m = module();
  const em = emitModel(m, { cpu: 'm4', dsp: true }, { table: LEAN_VARIANTS, memory: 'whole' });
  const dir = join(work, 'size');
  runModel(em, [new Int8Array(256)], 'host', { workDir: dir }); // writes the model files
  const s = measureSize(em, 'm4', dir, {})!;
  // RAM = arena (320) + stack + the debug hook and its user pointer (2 x 4 B); an input copy would add 256 B.
  assert.equal(s.size.ram, 320 + STACK_BYTES + 8);
});

test('fit: RAM beside the arena the budget did not foresee makes the arena plan again for what is left', (t) => {
  if (!needTools(t, 'arm-gcc')) return;
  const m = module();
  const target = { cpu: 'm4' as const, dsp: true };
  // The lean kernels' in-place plan (no scratch): the 272 B arena worked out above.
  const lean = emitModel(m, target, { table: LEAN_VARIANTS });
  assert.equal(lean.plan.arenaBytes, 272);
  // A budget that holds exactly that, the stack, the debug hook's 8 B and 1,000 B of RAM the model's C
  // does not declare (as a DVFS plan's or an application's statics would be: 1,000 B spliced into the run).
  const sram = 272 + STACK_BYTES + 8 + 1000;
  const budgets: number[] = [];
  const fitted = fitStage({
    module: m, target: { ...target, sramBytes: sram, flashBytes: 1 << 20 }, budgets: { flash: 1 << 20, sram }, dir: join(work, 'refit'), where: {}, timer: new StageTimer(),
    emit: (_flash, arena) => {
      const b = arena ?? arenaBudget(m, sram);
      budgets.push(b);
      const em = emitModel(m, target, { arenaBudget: b });
      em.files.source = em.files.source.replace('int arena_io_run(void)\n{\n', 'static volatile int8_t arena_io_pad[1000];\nint arena_io_run(void)\n{\n  arena_io_pad[0] = 1;\n');
      return em;
    },
  });
  // First: the budget foresees stack and hook only (sram - 2048 - 8 = 1,272 B), the fast kernels' scratch
  // fits it and the program is over; then the arena gets what the measurement left: 272 B, lean kernels.
  assert.deepEqual(budgets, [1272, 272]);
  assert.equal(fitted.em.plan.arenaBytes, 272);
  assert.equal(fitted.ramBytes, sram);
});
