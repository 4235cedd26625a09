// `tinyforge inspect`: loads a model (.tflite or YAML config), validates it and prints its layer table
// (shapes, MACs, weight and activation bytes per op, totals, op histogram), or the same as JSON; with
// --kernel-ir, the kernel IR the pass pipeline produces (--arith tflm|tflite; default: the YAML config's
// arith, else tflm), and with --print-after-all the IR after every pass (graph IR until lowering); with
// --graph-ir, the graph IR as the front end produced it (printer.ts). When a .tflite model cannot be compiled,
// it first lists every operator of the file as supported / not supported (why), one line each
// (frontend/tflite/survey.ts), then fails with the error; --ops prints that list for any .tflite model.
import type { Command } from '../command.ts';
import { TinyforgeError, UsageError } from '../../diagnostics.ts';
import { readModelFile } from '../../frontend/read.ts';
import { formatSurvey, surveyTflite } from '../../frontend/tflite/survey.ts';
import { printKernelModule } from '../../kernel-ir/printer.ts';
import { printGraph } from '../../ir/printer.ts';
import type { PipelineState } from '../../passes/pass.ts';
import { PASSES, runPipeline } from '../../passes/registry.ts';
import { ARITH_MODES, type Arith } from '../../quant/multiplier.ts';
import { loadModel } from '../../frontend/load.ts';
import { graphStats } from '../../ir/stats.ts';
import { formatLayerTable } from '../../report/layers.ts';

export const inspect: Command = {
  name: 'inspect',
  summary: 'Show a model\'s layers: shapes, MACs, weight and activation bytes',
  usage: 'inspect <model.tflite|config.yaml> [--json | --graph-ir | --ops | --kernel-ir [--arith tflm|tflite] [--print-after-all]]',
  options: {
    json: { type: 'boolean', description: 'print {"ops": [...], "totals": {...}} as JSON' },
    'graph-ir': { type: 'boolean', description: 'print the graph IR (constants summarised)' },
    'kernel-ir': { type: 'boolean', description: 'print the kernel IR produced by the pass pipeline' },
    arith: { type: 'string', description: 'arithmetic for --kernel-ir: tflm or tflite (default: the config\'s, else tflm)' },
    'print-after-all': { type: 'boolean', description: 'with --kernel-ir: print the IR after every pass' },
    ops: { type: 'boolean', description: 'list every operator of a .tflite file as supported / not supported (why); printed anyway when the model fails' },
  },
  positionals: [1, 1],
  async run(args) {
    const path = args.positionals[0]!;
    const isTflite = path.toLowerCase().endsWith('.tflite');
    if (args.values.ops) {
      if (!isTflite) throw new UsageError('--ops needs a .tflite model');
      const rows = surveyTflite(readModelFile(path), path);
      process.stdout.write(formatSurvey(path, rows));
      return rows.every((r) => r.supported) ? 0 : 1;
    }
    try {
      return await inspectModel(path, args.values);
    } catch (e) {
      // Before failing: every operator of the file with its verdict, so all the problems show at once.
      if (e instanceof TinyforgeError && !(e instanceof UsageError) && isTflite) {
        let rows;
        try { rows = surveyTflite(readModelFile(path), path); } catch { rows = undefined; }
        if (rows) process.stdout.write(formatSurvey(path, rows));
      }
      throw e;
    }
  },
};

async function inspectModel(path: string, values: Record<string, unknown>): Promise<number> {
  {
    if (values.arith !== undefined && !ARITH_MODES.includes(values.arith as Arith)) {
      throw new UsageError(`--arith must be one of ${ARITH_MODES.join(', ')}, got '${values.arith}'`);
    }
    for (const o of ['arith', 'print-after-all']) if (values[o] !== undefined && !values['kernel-ir']) throw new UsageError(`--${o} needs --kernel-ir`);
    if ([values.json, values['kernel-ir'], values['graph-ir']].filter(Boolean).length > 1) throw new UsageError('--json, --graph-ir and --kernel-ir cannot be combined');
    const { graph, config } = loadModel(path);
    if (values['graph-ir']) {
      process.stdout.write(printGraph(graph));
      return 0;
    }
    if (values['kernel-ir']) {
      const arith = (values.arith as Arith | undefined) ?? config?.arith ?? 'tflm';
      const afterPass = values['print-after-all']
        ? (name: string, state: PipelineState) => {
          const stage = PASSES.find((p) => p.name === name)!.stage;
          process.stdout.write(`// ---- after ${name} ----\n`);
          process.stdout.write(stage === 'graph' ? printGraph(state.graph) : printKernelModule(state.module!));
        }
        : undefined;
      const m = runPipeline(graph, { arith, afterPass, file: config?.model ?? path });
      if (!afterPass) process.stdout.write(printKernelModule(m));
      return 0;
    }
    const stats = graphStats(graph);
    if (values.json) process.stdout.write(JSON.stringify(stats, null, 2) + '\n');
    else process.stdout.write(formatLayerTable(`${path}: ${graph.name}`, stats) + '\n');
    return 0;
  }
}
