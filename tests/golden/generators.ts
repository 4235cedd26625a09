// The table of golden-file generators run by scripts/update-golden.mjs (`npm run golden:update [-- name...]`).
// Each entry produces a map from a path relative to the repository root to the file's text. Add an entry
// here for a new kind of golden file (e.g. kernel IR); never edit golden files by hand.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../compiler/frontend/yaml/config.ts';
import { loadModel } from '../../compiler/frontend/load.ts';
import { importTflite } from '../../compiler/frontend/tflite/import.ts';
import { printGraph } from '../../compiler/ir/printer.ts';
import { configSchema } from '../../compiler/frontend/yaml/schema.ts';
import { printKernelModule } from '../../compiler/kernel-ir/printer.ts';
import { operatorTable } from '../../compiler/ops/docs.ts';
import { runPipeline } from '../../compiler/passes/registry.ts';
import { MODELS, modelPath, repoRoot, type ModelKey } from '../helpers/paths.ts';

export interface GoldenGenerator {
  name: string;
  produce(): Map<string, string>;
}

/** Graph IR of the five real models (skipped, with a note, when a model is absent) and of the generated
 *  networks of configs/default.yaml and configs/examples/primitives.yaml (pins the YAML generator's output). */
export function graphGoldens(): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of Object.keys(MODELS) as ModelKey[]) {
    const p = modelPath(key);
    if (!p) { process.stderr.write(`golden: model ${key} absent, graph/${key}.txt not regenerated\n`); continue; }
    out.set(`tests/golden/graph/${key}.txt`, printGraph(importTflite(new Uint8Array(readFileSync(p)), MODELS[key])));
  }
  for (const cfg of ['default', 'examples/primitives']) {
    const c = loadConfig(join(repoRoot, 'configs', `${cfg}.yaml`));
    out.set(`tests/golden/graph/${cfg.replace('examples/', '')}.txt`, printGraph(c.graph));
  }
  return out;
}

/** configs/tinyforge.schema.json, the editor-facing copy of the config schema (schema.ts is the source). */
export function schemaFile(): Map<string, string> {
  return new Map([['configs/tinyforge.schema.json', JSON.stringify(configSchema, null, 2) + '\n']]);
}

/** Kernel IR (tflm arithmetic, default pass options) of the five real models. */
export function kernelGoldens(): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of Object.keys(MODELS) as ModelKey[]) {
    const p = modelPath(key);
    if (!p) { process.stderr.write(`golden: model ${key} absent, kernel/${key}.txt not regenerated\n`); continue; }
    const graph = importTflite(new Uint8Array(readFileSync(p)), MODELS[key]);
    out.set(`tests/golden/kernel/${key}.txt`, printKernelModule(runPipeline(graph, { arith: 'tflm' })));
  }
  // YAML networks, in the arithmetic their config names: the default config and one with every op kind.
  for (const [name, rel] of KERNEL_YAML_GOLDENS) {
    const { graph, config } = loadModel(join(repoRoot, rel));
    out.set(`tests/golden/kernel/${name}.txt`, printKernelModule(runPipeline(graph, { arith: config!.arith })));
  }
  return out;
}

export const KERNEL_YAML_GOLDENS: ReadonlyArray<[string, string]> = [
  ['default', 'configs/default.yaml'],
  ['all-ops', 'tests/compiler/passes/fixtures/all-ops.yaml'],
];

/** docs/operators.md, the operator table generated from the registry. */
export function operatorDocs(): Map<string, string> {
  return new Map([['docs/operators.md', operatorTable()]]);
}

export const generators: GoldenGenerator[] = [
  { name: 'graph', produce: graphGoldens },
  { name: 'ops', produce: operatorDocs },
  { name: 'schema', produce: schemaFile },
  { name: 'kernel', produce: kernelGoldens },
];
