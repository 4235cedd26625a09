// `tinyforge inspect`: loads a model (.tflite or YAML config), validates it and prints its layer table
// (shapes, MACs, weight and activation bytes per op, totals, op histogram), or the same as JSON; with
// --kernel-ir, the kernel IR the pass pipeline produces (--arith tflm|tflite).
import type { Command } from '../command.ts';
import { UsageError } from '../../diagnostics.ts';
import { printKernelModule } from '../../kernel-ir/printer.ts';
import { runPipeline } from '../../passes/registry.ts';
import { ARITH_MODES, type Arith } from '../../quant/multiplier.ts';
import { loadModel } from '../../frontend/load.ts';
import { graphStats } from '../../ir/stats.ts';
import { formatLayerTable } from '../../report/layers.ts';

export const inspect: Command = {
  name: 'inspect',
  summary: 'Show a model\'s layers: shapes, MACs, weight and activation bytes',
  usage: 'inspect <model.tflite|config.yaml> [--json] [--kernel-ir [--arith tflm|tflite]]',
  options: {
    json: { type: 'boolean', description: 'print {"ops": [...], "totals": {...}} as JSON' },
    'kernel-ir': { type: 'boolean', description: 'print the kernel IR produced by the pass pipeline' },
    arith: { type: 'string', description: 'arithmetic for --kernel-ir: tflm (default) or tflite' },
  },
  positionals: [1, 1],
  async run({ positionals, values }) {
    const path = positionals[0]!;
    const arith = (values.arith ?? 'tflm') as Arith;
    if (!ARITH_MODES.includes(arith)) throw new UsageError(`--arith must be one of ${ARITH_MODES.join(', ')}, got '${arith}'`);
    if (values.arith !== undefined && !values['kernel-ir']) throw new UsageError('--arith needs --kernel-ir');
    if (values.json && values['kernel-ir']) throw new UsageError('--json and --kernel-ir cannot be combined');
    const { graph } = loadModel(path);
    if (values['kernel-ir']) {
      process.stdout.write(printKernelModule(runPipeline(graph, { arith })));
      return 0;
    }
    const stats = graphStats(graph);
    if (values.json) process.stdout.write(JSON.stringify(stats, null, 2) + '\n');
    else process.stdout.write(formatLayerTable(`${path}: ${graph.name}`, stats) + '\n');
    return 0;
  },
};
