// The YAML build config: parse (with source positions), check against the JSON Schema (schema.ts) with
// ajv, map every schema error back to file:line:column with the expected form, then build the typed
// BuildConfig: the graph (from `model:` through the TFLite importer, or from `network:` through
// network.ts), the arithmetic, the output directory and the targets with their defaults.
import { basename, dirname, extname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { TinyforgeError } from '../../diagnostics.ts';
import type { Graph } from '../../ir/graph.ts';
import type { Arith } from '../../quant/multiplier.ts';
import { importTflite } from '../tflite/import.ts';
import { readModelFile } from '../read.ts';
import { configSchema, CPU_NAMES, CGRA_STRATEGIES } from './schema.ts';
import { buildNetwork, type NetworkSpec } from './network.ts';
import { closest, showPath, showValue, YamlSource, type YamlPath } from './source.ts';

export type CpuName = (typeof CPU_NAMES)[number];
export type CgraStrategy = (typeof CGRA_STRATEGIES)[number];
export interface McuTarget { cpu: CpuName; flash: number; sram: number; part?: string; latencyMs?: number; dae?: boolean; clockMHz?: number; objective?: 'cycles' | 'instructions' }
export interface CgraTarget {
  rows: number; cols: number; bus: 'ports' | 'shared'; strategy: CgraStrategy;
  layers?: Record<string, CgraStrategy>;
  /** The strategies auto may choose from (undefined: all). */
  strategies?: CgraStrategy[];
  /** CPU cycles per kernel launch; default 190. */
  callCycles: number;
}
export interface BuildConfig {
  file: string;
  name: string;
  arith: Arith;
  graph: Graph;
  /** Resolved path of the .tflite model, when the config names one. */
  model?: string;
  /** Default out/<name> (relative to the working directory); `out:` is relative to the config file. */
  outDir: string;
  targets: { mcu?: McuTarget; cgra?: CgraTarget };
}

/** The config as the schema admits it (snake_case keys as in YAML). */
interface RawConfig {
  name?: string; model?: string; network?: NetworkSpec; arith?: Arith; out?: string;
  targets?: {
    mcu?: { cpu: CpuName; flash: number | string; sram: number | string; part?: string; latency_ms?: number; dae?: boolean; clock_mhz?: number; objective?: 'cycles' | 'instructions' };
    cgra?: { rows: number; cols: number; bus?: 'ports' | 'shared'; strategy?: CgraStrategy; strategies?: CgraStrategy[]; layers?: Record<string, CgraStrategy>; call_cycles?: number };
  };
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 * 1024 };
/** 1048576, '1048576', '256K', '1M' -> bytes (the schema has checked the form). */
export function parseSize(v: number | string): number {
  if (typeof v === 'number') return v;
  const m = /^([0-9]+)([KM]?)$/.exec(v)!;
  return Number(m[1]) * SIZE_UNITS[m[2]!]!;
}

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(data: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: false, verbose: true, allowUnionTypes: true, strictTypes: false }).compile(configSchema);
  return validator(data) ? [] : (validator.errors ?? []);
}

function pathOf(e: ErrorObject): (string | number)[] {
  return e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
}

const article = (t: string) => (t === 'integer' ? 'an integer' : t === 'object' ? 'a mapping of keys' : t === 'array' ? 'a list' : `a ${t}`);

/** One schema error as a located, one-line message saying what was expected. */
function schemaError(src: YamlSource, e: ErrorObject): TinyforgeError {
  const path = pathOf(e);
  const where = showPath(path);
  const desc = (e.parentSchema as { description?: string } | undefined)?.description;
  const got = ` (got ${showValue(e.data)})`;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const props = (e.parentSchema as { properties?: Record<string, unknown> }).properties;
      const key = String(p.additionalProperty);
      const known = Object.keys(props ?? {});
      const guess = closest(key, known);
      return src.error([...path, key], `unknown key '${key}' in ${where}${guess ? `; did you mean '${guess}'?` : ''}`, { key: true, hint: known.length ? `expected one of ${known.join(', ')}` : undefined });
    }
    case 'required':
      return src.error(path, `${where}: missing required key '${String(p.missingProperty)}'`);
    case 'enum':
      return src.error(path, `${where} must be one of ${(p.allowedValues as unknown[]).join(', ')}${got}`);
    case 'type':
      return src.error(path, `${where} must be ${desc ?? String(p.type).split(',').map(article).join(' or ')}${got}`);
    default:
      return src.error(path, `${where} must be ${desc ?? e.message}${got}`);
  }
}

export function loadConfig(path: string): BuildConfig {
  const src = YamlSource.read(path);
  const raw = src.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw src.error([], 'a config must be a mapping of keys (name, model or network, arith, out, targets)');
  }
  const errors = validate(raw);
  if (errors.length) throw schemaError(src, errors[0]!);
  const c = raw as RawConfig;
  const dir = dirname(path);
  if ((c.model === undefined) === (c.network === undefined)) {
    throw src.error(c.model !== undefined ? ['network'] : [], c.model === undefined ? 'the config needs either model: <file.tflite> or network: {...}' : 'give either model or network, not both', { key: true });
  }
  const name = c.name ?? basename(path, extname(path));
  let graph: Graph;
  let model: string | undefined;
  if (c.model !== undefined) {
    model = resolve(dir, c.model);
    if (!existsSync(model)) throw src.error(['model'], `model file not found: ${model}`, { hint: 'the path is relative to the config file' });
    if (extname(model).toLowerCase() !== '.tflite') throw src.error(['model'], `model must be a .tflite file (got ${showValue(c.model)})`);
    graph = importTflite(readModelFile(model), model);
  } else {
    graph = buildNetwork(src, c.network!, dir, name);
  }
  const targets: BuildConfig['targets'] = {};
  const t = c.targets ?? {};
  if (t.mcu) {
    targets.mcu = { cpu: t.mcu.cpu, flash: parseSize(t.mcu.flash), sram: parseSize(t.mcu.sram) };
    if (t.mcu.part !== undefined) targets.mcu.part = t.mcu.part;
    if (t.mcu.latency_ms !== undefined) targets.mcu.latencyMs = t.mcu.latency_ms;
    if (t.mcu.dae !== undefined) targets.mcu.dae = t.mcu.dae;
    if (t.mcu.clock_mhz !== undefined) targets.mcu.clockMHz = t.mcu.clock_mhz;
    if (t.mcu.objective !== undefined) targets.mcu.objective = t.mcu.objective;
  }
  if (t.cgra) {
    targets.cgra = { rows: t.cgra.rows, cols: t.cgra.cols, bus: t.cgra.bus ?? 'shared', strategy: t.cgra.strategy ?? 'auto', callCycles: t.cgra.call_cycles ?? 190 };
    if (t.cgra.strategies) targets.cgra.strategies = [...t.cgra.strategies];
    if (t.cgra.layers) {
      const names = graph.ops.map((op, i) => op.name ?? String(i));
      for (const layer of Object.keys(t.cgra.layers)) {
        if (!names.includes(layer)) {
          const at: YamlPath = ['targets', 'cgra', 'layers', layer];
          throw src.error(at, `targets.cgra.layers: no layer named '${layer}'`, { key: true, hint: `layers: ${names.join(', ')}` });
        }
      }
      targets.cgra.layers = { ...t.cgra.layers };
    }
  }
  const config: BuildConfig = {
    file: path, name, arith: c.arith ?? 'tflm', graph,
    outDir: c.out !== undefined ? resolve(dir, c.out) : join('out', name), targets,
  };
  if (model) config.model = model;
  return config;
}
