// TFLite Micro's seanet integration tests (../shared/models/zoo/tflm-it-seanet-*.tflite, one int16 op each)
// with TFLite Micro's own inputs and expected outputs (golden/seanet/<model>_input<k>_<type>.csv and
// <model>_golden_<type>.csv: one line of comma-separated integers, row-major NHWC). Shared by
// tests/zoo/seanet.test.ts and the Cortex-M checks: the CSV reader and each model's cases.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Graph } from '../../compiler/ir/graph.ts';
import { mulberry32 } from '../../compiler/rng.ts';
import { SEANET_PREFIX, zooDir, zooFiles, type ZooModel } from './zoo.ts';

export const seanetCsvDir = join(zooDir, 'golden', 'seanet');

export type CsvValues = Int16Array | Int32Array | Int8Array;

/** One CSV of TFLite Micro's: comma-separated integers (any line breaks), typed by the file name's suffix. */
export function readCsv(path: string): CsvValues {
  const text = readFileSync(path, 'utf8').trim();
  const values = text.split(/[,\s]+/).filter((s) => s !== '').map((s) => {
    const v = Number(s);
    if (!Number.isInteger(v)) throw new Error(`${path}: '${s}' is not an integer`);
    return v;
  });
  if (path.endsWith('_int16.csv')) return Int16Array.from(values);
  if (path.endsWith('_int32.csv')) return Int32Array.from(values);
  if (path.endsWith('_int8.csv')) return Int8Array.from(values);
  throw new Error(`${path}: unknown element type (expected _int8/_int16/_int32.csv)`);
}

export interface SeanetCase extends ZooModel {
  /** The model's input CSVs in input order (input0, input1, ...). */
  inputs: string[];
  /** The golden output CSV; undefined when absent. */
  golden?: string;
}

/** Every seanet model of the zoo with its CSV files (a missing golden directory leaves inputs empty). */
export function seanetCases(): SeanetCase[] {
  const csvs = existsSync(seanetCsvDir) ? readdirSync(seanetCsvDir).filter((f) => f.endsWith('.csv')) : [];
  return zooFiles().filter((m) => m.name.startsWith(SEANET_PREFIX)).map((m) => {
    const mine = csvs.filter((f) => f.startsWith(`${m.name}_`));
    const inputs = mine.filter((f) => /_input\d+_/.test(f))
      .sort((a, b) => Number(/_input(\d+)_/.exec(a)![1]) - Number(/_input(\d+)_/.exec(b)![1]))
      .map((f) => join(seanetCsvDir, f));
    const golden = mine.find((f) => f.startsWith(`${m.name}_golden_`));
    return { ...m, inputs, ...(golden ? { golden: join(seanetCsvDir, golden) } : {}) };
  });
}

/** The seanet op family of a model name (add, conv, transpose_conv, ...). */
export function seanetFamily(name: string): string {
  return name.slice(SEANET_PREFIX.length).replace(/\d+$/, '');
}

/** The graph's inputs from the CSVs, by position; an input no op reads must be TRANSPOSE_CONV's output shape. */
export function seanetFeeds(graph: Graph, csv: CsvValues[]): CsvValues[] {
  const readers = new Set(graph.ops.flatMap((o) => o.inputs));
  assert.equal(csv.length, graph.inputs.length, `${csv.length} input CSVs for ${graph.inputs.length} graph inputs`);
  graph.inputs.forEach((id, k) => {
    if (readers.has(id)) return;
    const t = graph.tensors[id]!;
    const tc = graph.ops.find((o) => o.kind === 'transpose_conv');
    assert.ok(tc, `graph input '${t.name}' is read by no op`);
    assert.deepEqual(Array.from(csv[k]!), graph.tensors[tc.outputs[0]!]!.shape, `output-shape input '${t.name}' differs from the output tensor's shape`);
  });
  return csv;
}


/** Models where TFLite Micro's kernel and desktop TFLite's (which wrote the CSV) differ; why, in docs/int16.md. */
export const TFLM_DIFFERS: Record<string, string> = {
  'tflm-it-seanet-sub0': 'SUB multipliers: float32 in TFLite Micro, double in desktop TFLite',
  'tflm-it-seanet-sub1': 'SUB multipliers: float32 in TFLite Micro, double in desktop TFLite',
};

/** Element differences of an output against a CSV: how many, the first index, the largest magnitude. */
export function csvDiff(got: ArrayLike<number>, want: CsvValues): { bad: number; first: number; max: number } {
  assert.equal(got.length, want.length, 'output length');
  let bad = 0, first = -1, max = 0;
  for (let i = 0; i < want.length; i++) {
    if (got[i] === want[i]) continue;
    bad++;
    if (first < 0) first = i;
    max = Math.max(max, Math.abs(got[i]! - want[i]!));
  }
  return { bad, first, max };
}

/**
 * Seeded random inputs in place of the CSVs' (same types and sizes): int16 over the whole range in odd sets
 * and within +-2048 in even ones (saturating and unsaturated outputs); an int32 activation within +-2^27; an
 * input no op reads (TRANSPOSE_CONV's output shape) keeps its CSV values.
 */
export function seanetRandomFeeds(graph: Graph, csv: CsvValues[], set: number, seed = 12): CsvValues[] {
  const next = mulberry32(seed * 1000 + set);
  const readers = new Set(graph.ops.flatMap((o) => o.inputs));
  const span = set % 2 === 1 ? 32768 : 2048;
  return csv.map((v, k) => {
    if (!readers.has(graph.inputs[k]!)) return v;
    if (v instanceof Int16Array) return Int16Array.from(v, () => Math.max(-32768, Math.min(32767, Math.floor((next() * 2 - 1) * span))));
    if (v instanceof Int32Array) return Int32Array.from(v, () => Math.floor((next() * 2 - 1) * 2 ** 27));
    return v;
  });
}
