// Recurrent state infrastructure (variable tensors) without a recurrent op: a graph ADD(x, v) whose second
// operand is an int8 variable tensor v with zero point -50, which only the reset value fills. The importer
// keeps TFLite's is_variable flag (writer round trip); TFLite's interpreter, the golden runtime and the
// Cortex-M C on the host must all read v as its reset value (the zero point, TFLite's ResetVariableTensor),
// over three consecutive invocations; the kernel IR holds v as a `state` buffer outside the arena and the C
// keeps it in a static <name>_state with <name>_reset_state(). The SVDF tests check state that changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { importTflite } from '../../compiler/frontend/tflite/import.ts';
import { writeTflite } from '../../compiler/frontend/tflite/writer.ts';
import { validateGraph } from '../../compiler/ir/validate.ts';
import { printKernelModule } from '../../compiler/kernel-ir/printer.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { emitModel } from '../../mcu-backend/emit/model.ts';
import { runModel } from '../../mcu-backend/runner.ts';
import { GoldenRuntime, GoldenState } from '../../runtime-wasm/host.ts';
import { TfliteInterpreter } from '../../runtime-wasm/oracle/tflite-interpreter.ts';
import { checkInvocations, loadModelFromBytes, runSequence } from '../../compiler/api/index.ts';
import { GraphBuilder } from '../helpers/graph-builder.ts';
import { scratchDir } from '../helpers/paths.ts';
import { needTools } from '../mcu-backend/helpers/tools.ts';

function stateGraph() {
  const b = new GraphBuilder('state_add');
  const x = b.act('x', [1, 8], Math.fround(0.05), 3);
  const v = b.tensor({ name: 'v', shape: [1, 8], dtype: 'int8', quant: { scale: [Math.fround(0.04)], zeroPoint: [-50] }, variable: true });
  const y = b.act('y', [1, 8], Math.fround(0.1), -2);
  b.op({ kind: 'add', inputs: [x, v], outputs: [y], activation: 'none' });
  return b.io([x], [y]);
}

const inputs = [0, 1, 2].map((k) => Int8Array.from({ length: 8 }, (_, i) => ((i * 37 + k * 91) % 256) - 128));

test('is_variable survives the writer and the importer; a variable tensor with data is rejected', () => {
  const g = importTflite(writeTflite(stateGraph()), 'state.tflite');
  const v = g.tensors.find((t) => t.name === 'v')!;
  assert.equal(v.variable, true);
  assert.equal(v.data, undefined);
  assert.equal(g.tensors.filter((t) => t.variable).length, 1);
  const bad = stateGraph();
  bad.tensors[1]!.data = new Int8Array(8);
  assert.throws(() => validateGraph(bad), /variable tensor 1 'v' has constant data/);
});

test('TFLite interpreter, golden runtime (a sequence with one GoldenState) and the API agree on the reset value', async () => {
  const g = stateGraph();
  const bytes = writeTflite(g);
  const it = await TfliteInterpreter.load();
  const m = it.prepare(bytes);
  const want = inputs.map((x) => m.run([x])[0]!);
  m.dispose();
  const golden = await GoldenRuntime.load();
  const got = golden.runSequence(g, inputs.map((x) => [x]), { arith: 'tflite' }).map((r) => r.outputs[0]!);
  assert.deepEqual(got, want);
  const state = new GoldenState(g);
  assert.equal(state.stateful, true);
  assert.deepEqual([...state.values.get(1)!], new Array(8).fill(-50));
  const model = loadModelFromBytes(bytes, 'state.tflite');
  assert.deepEqual(model.states.map((s) => [s.name, s.dtype, s.zeroPoint]), [['v', 'int8', -50]]);
  const api = await runSequence(model, inputs, { arith: 'tflite' });
  assert.deepEqual(api.map((r) => r.outputs[0]), want);
  assert.throws(() => checkInvocations(0), /invocations must be an integer in 1\.\.100000, got '0'/);
  assert.throws(() => checkInvocations(2.5), /got '2.5'/);
});

test('kernel IR: v is a state buffer outside the arena; the C keeps it in <name>_state and equals the golden on the host', async (t) => {
  const g = stateGraph();
  const module = runPipeline(g, { arith: 'tflm' });
  const sb = module.buffers.find((b) => b.name === 'v')!;
  assert.equal(sb.kind, 'state');
  assert.deepEqual([sb.def, sb.lastUse, sb.stateInit], [-1, module.ops.length, -50]);
  assert.match(printKernelModule(module), /%\d+ = state "v" \[1,8\] int8 .* live=\[-1\.\.1\] init=-50/);
  const em = emitModel(module, { cpu: 'm4', dsp: true });
  assert.equal(em.stateBytes, 8);
  assert.ok(!em.plan.items.some((i) => i.name === 'v'), 'the state is not an arena request');
  assert.match(em.files.header, /#define STATE_ADD_HAS_STATE 1\n#define STATE_ADD_STATE_BYTES 8\n/);
  assert.match(em.files.header, /void state_add_reset_state\(void\);/);
  assert.match(em.files.source, /static int8_t state_add_state\[8\] TF_ALIGN\(8\);/);
  assert.match(em.files.source, /memset\(state_add_state \+ 0, -50, 8\);/);
  if (!needTools(t, 'host')) return;
  const run = runModel(em, inputs, 'host', { workDir: join(scratchDir('tinyforge-state-'), 'host') });
  const golden = await GoldenRuntime.load();
  const want = golden.runSequence(g, inputs.map((x) => [x]), { arith: 'tflm' }).map((r) => r.outputs[0]!);
  assert.deepEqual(run.outputs, want);
});
