// `tinyforge build`: loads and validates a YAML build config, prints its layer table, and (as targets are
// added) runs each configured target's back end. Kept a small orchestrator: one step per target.
import type { Command } from '../command.ts';
import { UsageError } from '../../diagnostics.ts';
import { loadConfig, type BuildConfig } from '../../frontend/yaml/config.ts';
import { graphStats, type GraphStats } from '../../ir/stats.ts';
import { formatLayerTable } from '../../report/layers.ts';

export interface BuildReport {
  config: { file: string; name: string; arith: BuildConfig['arith']; outDir: string; model?: string; targets: BuildConfig['targets'] };
  graph: GraphStats;
}

export const build: Command = {
  name: 'build',
  summary: 'Build a YAML config for its targets (prints the layer table)',
  usage: 'build <config.yaml> [--json]',
  options: { json: { type: 'boolean', description: 'print the build report as JSON' } },
  positionals: [1, 1],
  async run({ positionals, values }) {
    const path = positionals[0]!;
    if (!/\.ya?ml$/i.test(path)) throw new UsageError(`build takes a .yaml config, got '${path}' (use inspect for a .tflite model)`);
    const config = loadConfig(path);
    const report: BuildReport = {
      config: { file: config.file, name: config.name, arith: config.arith, outDir: config.outDir, targets: config.targets, ...(config.model ? { model: config.model } : {}) },
      graph: graphStats(config.graph),
    };
    if (values.json) {
      process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    } else {
      const t = config.targets;
      const lines = [
        `build ${config.name} (${config.file}), arithmetic ${config.arith}, output ${config.outDir}`,
        `targets: ${[t.mcu && `mcu ${t.mcu.cpu} (flash ${t.mcu.flash} B, sram ${t.mcu.sram} B)`, t.cgra && `cgra ${t.cgra.rows}x${t.cgra.cols} ${t.cgra.bus} bus, strategy ${t.cgra.strategy}`].filter(Boolean).join('; ') || 'none'}`,
        '',
        formatLayerTable(`graph ${config.graph.name}`, report.graph),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    }
    return 0;
  },
};
