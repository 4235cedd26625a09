// `tinyforge ops`: the operators tinyforge supports, read from the operator registry (compiler/ops/): kind,
// TFLite builtin, what it computes, how the two arithmetics differ, and where OpenEdgeCGRA runs it; --json
// for scripts. The same registry produces docs/operators.md and the importer's "supported:" list.
import type { Command } from '../command.ts';
import { builtinName } from '../../frontend/tflite/schema.ts';
import { ALL_OPS } from '../../ops/index.ts';

export const ops: Command = {
  name: 'ops',
  summary: 'List the supported operators (from the operator registry)',
  usage: 'ops [--json]',
  options: { json: { type: 'boolean', description: 'print [{"kind", "tflite", "summary", "arith", "cgra"}] as JSON' } },
  positionals: [0, 0],
  async run({ values }) {
    const rows = ALL_OPS.map((d) => ({
      kind: d.kind,
      tflite: d.tflite ? builtinName(d.tflite.builtin) : null,
      summary: d.summary,
      arith: d.arith,
      cgra: 'maps' in d.cgra ? `mapped (${d.cgra.maps})` : `host: ${d.cgra.host}`,
    }));
    if (values.json) {
      process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      return 0;
    }
    const w = Math.max(...rows.map((r) => r.kind.length));
    const t = Math.max(...rows.map((r) => (r.tflite ?? '-').length));
    process.stdout.write(rows.map((r) => `${r.kind.padEnd(w)}  ${(r.tflite ?? '-').padEnd(t)}  ${r.summary}`).join('\n') + '\n' +
      `${rows.length} operators; \`tinyforge ops --json\` adds the arithmetic and CGRA columns (docs/operators.md)\n`);
    return 0;
  },
};
