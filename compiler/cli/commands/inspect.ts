// `tinyforge inspect`: loads a model (.tflite or YAML config), validates it and prints its layer table
// (shapes, MACs, weight and activation bytes per op, totals, op histogram), or the same as JSON.
import type { Command } from '../command.ts';
import { loadModel } from '../../frontend/load.ts';
import { graphStats } from '../../ir/stats.ts';
import { formatLayerTable } from '../../report/layers.ts';

export const inspect: Command = {
  name: 'inspect',
  summary: 'Show a model\'s layers: shapes, MACs, weight and activation bytes',
  usage: 'inspect <model.tflite|config.yaml> [--json]',
  options: { json: { type: 'boolean', description: 'print {"ops": [...], "totals": {...}} as JSON' } },
  positionals: [1, 1],
  async run({ positionals, values }) {
    const path = positionals[0]!;
    const { graph } = loadModel(path);
    const stats = graphStats(graph);
    if (values.json) process.stdout.write(JSON.stringify(stats, null, 2) + '\n');
    else process.stdout.write(formatLayerTable(`${path}: ${graph.name}`, stats) + '\n');
    return 0;
  },
};
