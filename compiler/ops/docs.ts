// The operator table of docs/operators.md, generated from the registry (`npm run golden:update -- ops`),
// so the documentation cannot drift from what the compiler supports; a test checks the file is current.
import { builtinName } from '../frontend/tflite/schema.ts';
import { YAML_LAYER_KINDS } from '../frontend/yaml/schema.ts';
import { ALL_OPS } from './index.ts';

export function operatorTable(): string {
  const yaml = new Set<string>(YAML_LAYER_KINDS);
  const rows = ALL_OPS.map((d) => {
    const tflite = d.tflite ? `${builtinName(d.tflite.builtin)} (v${d.tflite.version})` : '-';
    const cgra = 'maps' in d.cgra ? `mapped (${d.cgra.maps})` : `host: ${d.cgra.host}`;
    const lower = d.lower.map((r) => r.name).join(', ');
    return `| \`${d.kind}\` | ${tflite} | ${d.summary} | ${d.arith} | ${lower} | ${cgra} | ${yaml.has(d.kind) ? 'yes' : '-'} |`;
  });
  return [
    '# Operators',
    '',
    'Generated from the operator registry (`compiler/ops/`) by `npm run golden:update -- ops`; do not edit by hand.',
    'Each row is one operator definition: its TFLite builtin (and the version the writer emits), the lowering',
    'rules that turn it into kernel IR, where OpenEdgeCGRA runs it, and whether a YAML `network:` layer can be it.',
    'The arithmetic column says how `--arith tflm` (TFLite Micro\'s reference kernels, CMSIS-NN) and `--arith tflite`',
    '(desktop TFLite\'s interpreter, XNNPACK off) compute the op where they differ.',
    '',
    '| kind | TFLite builtin | what it computes | tflm vs tflite arithmetic | lowering rules | OpenEdgeCGRA | YAML layer |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
