// `tinyforge cgra map`: maps every convolution / FC of a model onto OpenEdgeCGRA, checks each layer in the
// simulator against the golden runtime, and prints the per-layer report (text, or --json
// {"layers": [...], "totals": {...}}); --out writes bitstreams, launch files, mapping views and report.html.
import { UsageError } from '../../diagnostics.ts';
import type { Command, OptionSpec } from '../command.ts';
import { loadModel } from '../../frontend/load.ts';
import { makeArch } from '../../../cgra-mapper/arch.ts';
import { runCgraTarget } from '../../../cgra-mapper/target.ts';
import { reportJson, reportText, reportHtml } from '../../../cgra-mapper/report.ts';
import { STRATEGY_NAMES } from '../../../cgra-mapper/strategies/index.ts';
import { setSearchBudget } from '../../../cgra-mapper/general/index.ts';

/** `--effort x` of `cgra map` and `cgra sweep`: the general mapper's search work, 1 = the default. */
export const EFFORT_OPTION: Record<string, OptionSpec> = {
  effort: { type: 'string', description: 'the general mapper\'s search work as a multiple of the default (a number in (0, 64], default 1): lower maps faster, higher may find shorter schedules; the result is deterministic for a given effort' },
};
export function effortOf(values: Record<string, unknown>): number {
  const v = values.effort;
  if (v === undefined) return 1;
  const x = typeof v === 'string' && /^\d*\.?\d+$/.test(v) ? Number(v) : NaN;
  if (!(x > 0 && x <= 64)) throw new UsageError(`--effort must be a number in (0, 64] (1 = the default search work), got '${String(v)}'`);
  return x;
}
import { writeFileAtomic } from '../../files.ts';
import { writeFolderStaged } from '../../output-stage.ts';

export const cgraMap: Command = {
  name: 'map',
  summary: 'Map a model\'s convolutions onto the CGRA, simulate every layer, compare with the golden runtime',
  usage: 'cgra map <model.tflite|config.yaml> [--strategy auto|checker|wp|...] [--strategies general,checker-fxp,...] [--inputs N] [--arith tflm|tflite] [--call-cycles N] [--effort x] [--end-to-end] [--host-app dir] [--out dir [--force]] [--html file] [--json]',
  options: {
    strategy: { type: 'string', description: `mapping strategy for every layer (${STRATEGY_NAMES.join(' | ')}); default: the config's, else auto` },
    strategies: { type: 'string', description: 'comma-separated strategies auto may choose from (default: the config\'s, else all hand strategies with the general mapper as the fall-through); general alone maps every layer with the general mapper' },
    inputs: { type: 'string', description: 'random input sets compared with the golden runtime (default 2)' },
    arith: { type: 'string', description: 'tflm | tflite (default: the config\'s, else tflm)' },
    'call-cycles': { type: 'string', description: 'CPU cycles per kernel launch (default 190)' },
    'end-to-end': { type: 'boolean', description: 'auto chooses strategies by end-to-end cycles: array cycles + the host program\'s modelled cycles on X-HEEP\'s core (the report shows both)' },
    'host-app': { type: 'string', description: 'write the host program for X-HEEP\'s RV32 core as a HEEPsilon application folder here (bitstream.h, host C, main.c, README.md)' },
    out: { type: 'string', description: 'write per-layer bitstream.h, image.json, launch.json, mapping.txt and view.html, plus report.html, here (the folder is replaced as a whole, and only when it is empty or written by tinyforge)' },
    force: { type: 'boolean', description: 'replace --out even when it holds files tinyforge did not write' },
    html: { type: 'string', description: 'write the report as a self-contained HTML page' },
    json: { type: 'boolean', description: 'print {"layers": [...], "totals": {...}} as JSON' },
    ...EFFORT_OPTION,
  },
  positionals: [1, 1],
  async run({ positionals, values }) {
    const path = positionals[0]!;
    const { graph, config } = loadModel(path);
    const cg = config?.targets.cgra;
    const num = (k: string): number | undefined => {
      const v = values[k];
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new UsageError(`--${k} must be a non-negative integer, got '${String(v)}'`);
      return Number(v);
    };
    setSearchBudget(effortOf(values));
    const arith = (values.arith as string | undefined) ?? config?.arith ?? 'tflm';
    if (arith !== 'tflm' && arith !== 'tflite') throw new UsageError(`--arith must be tflm or tflite, got '${arith}'`);
    const strategy = (values.strategy as string | undefined) ?? cg?.strategy ?? 'auto';
    if (!STRATEGY_NAMES.includes(strategy)) throw new UsageError(`--strategy must be one of ${STRATEGY_NAMES.join(', ')}, got '${strategy}'`);
    const list = typeof values.strategies === 'string' ? values.strategies.split(',').map((x) => x.trim()).filter(Boolean) : cg?.strategies;
    for (const s of list ?? []) if (s === 'auto' || !STRATEGY_NAMES.includes(s)) throw new UsageError(`--strategies: '${s}' is not a strategy (${STRATEGY_NAMES.filter((x) => x !== 'auto').join(', ')})`);
    const arch = makeArch({ ...(cg ? { rows: cg.rows, cols: cg.cols } : {}), callCycles: num('call-cycles') ?? cg?.callCycles ?? 190 });
    const inputs = num('inputs') ?? 2;
    if (inputs < 1) throw new UsageError(`--inputs must be at least 1 (random input sets to compare), got ${inputs}`);
    const map = (outDir?: string) => runCgraTarget(graph, {
      arch, arith, strategy, ...(cg?.layers ? { layers: cg.layers } : {}), ...(list ? { strategies: list } : {}), inputs, file: config?.model ?? path,
      onLayer: (l) => process.stderr.write(`tinyforge: cgra layer ${l.index} '${l.name}' (${l.op}): ${l.cgra.bitExact ? 'bit-exact' : 'MISMATCH'}\n`),
      ...(outDir !== undefined ? { outDir } : {}),
      ...(values['end-to-end'] === true ? { endToEnd: true } : {}),
      ...(typeof values['host-app'] === 'string' ? { hostAppDir: values['host-app'] } : {}),
    });
    // --out is written all or nothing (a mismatch is a result and is written too; an error or an
    // interrupt leaves the folder as it was)
    const { report, files } = typeof values.out === 'string' ? await writeFolderStaged(values.out, { force: values.force === true, what: '--out directory' }, map) : await map();
    if (typeof values.html === 'string') writeFileAtomic(values.html, reportHtml(report), '--html file');
    if (values.json) process.stdout.write(reportJson(report));
    else process.stdout.write(reportText(report) + (files.length ? `\nwrote ${files.length} files` : '') + '\n');
    return report.totals.bitExact ? 0 : 1;
  },
};
