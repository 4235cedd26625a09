// Output comparison for test suites: compareOutputs(expected, actual) compares two runs (the golden
// runtime's RunResult, or the outputs of a firmware / another implementation) value by value and names the
// first difference: the first layer whose tensor differs when both sides carry per-layer tensors, else the
// first differing output, with the element index (flat and NHWC) and both values. assertOutputsEqual throws
// an OutputMismatchError (a plain Error subclass) with that description, so it works as an assertion in
// node:test, vitest and jest alike (all three report a thrown Error's message).

/** Values of one tensor: any typed array or plain array of numbers (int8 bytes, float32 values, ...). */
export type Values = ArrayLike<number>;

/** One layer's output tensor, as RunResult.layers holds them (golden runtime with `layers: true`). */
export interface LayerValues {
  /** Operator index in the graph (execution order). */
  index: number;
  /** Operator name (the model's layer name, or its index). */
  name?: string;
  /** Operator kind, e.g. conv2d. */
  kind?: string;
  /** Name of the tensor the layer wrote. */
  tensor?: string;
  shape?: readonly number[];
  values: Values;
}

/** Something to compare: a run result, a list of output tensors, or one output tensor. */
export type Comparable =
  | { outputs: readonly Values[]; outputNames?: readonly string[]; outputShapes?: ReadonlyArray<readonly number[]>; layers?: readonly LayerValues[] }
  | readonly Values[]
  | Values;

export interface Difference {
  /** 'layer' when a per-layer tensor differs first, 'output' when only the outputs were compared. */
  where: 'layer' | 'output' | 'count';
  /** The differing layer (where = 'layer'). */
  layer?: { index: number; name?: string; kind?: string; tensor?: string };
  /** The differing output (where = 'output'): its position and name. */
  output?: { index: number; name?: string };
  /** First differing element: flat index, NHWC coordinates when the shape is known, and both values. */
  element?: number;
  coords?: number[];
  expected?: number;
  actual?: number;
  /** Elements that differ in that tensor, of how many. */
  differing?: number;
  total?: number;
}

export interface Comparison {
  equal: boolean;
  /** Present when not equal. */
  first?: Difference;
  /** One line: 'equal (N outputs, M values)' or the first difference in words. */
  message: string;
}

type Normal = { outputs: Values[]; names: (string | undefined)[]; shapes: (readonly number[] | undefined)[]; layers?: readonly LayerValues[] };

function isValues(x: unknown): x is Values {
  return ArrayBuffer.isView(x) || (Array.isArray(x) && (x.length === 0 || typeof x[0] === 'number'));
}

function normal(x: Comparable, what: string): Normal {
  if (isValues(x)) return { outputs: [x], names: [], shapes: [] };
  if (Array.isArray(x)) return { outputs: x as Values[], names: [], shapes: [] };
  if (x && typeof x === 'object' && 'outputs' in x && Array.isArray(x.outputs)) {
    return { outputs: [...x.outputs], names: [...(x.outputNames ?? [])], shapes: [...(x.outputShapes ?? [])], layers: x.layers };
  }
  throw new TypeError(`compareOutputs: ${what} is neither a run result ({ outputs }), a list of tensors nor a tensor`);
}

function coordsOf(i: number, shape: readonly number[] | undefined): number[] | undefined {
  if (!shape || shape.length === 0) return undefined;
  const c = new Array<number>(shape.length);
  let r = i;
  for (let d = shape.length - 1; d >= 0; d--) { c[d] = r % shape[d]!; r = Math.floor(r / shape[d]!); }
  return c;
}

/** Same number, bit for bit for floats (NaN equals NaN, -0 differs from 0 only in float data: kept equal). */
const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

function firstDiff(want: Values, got: Values): { at: number; differing: number } | undefined {
  let at = -1, differing = 0;
  const n = Math.min(want.length, got.length);
  for (let i = 0; i < n; i++) {
    if (!same(want[i]!, got[i]!)) { if (at < 0) at = i; differing++; }
  }
  differing += Math.abs(want.length - got.length);
  if (differing === 0) return undefined;
  return { at: at < 0 ? n : at, differing };
}

const fmt = (v: number | undefined) => (v === undefined ? 'nothing' : String(v));

function describe(d: Difference): string {
  const el = d.element !== undefined ? `element ${d.element}${d.coords ? ` [${d.coords.join(', ')}]` : ''}: expected ${fmt(d.expected)}, got ${fmt(d.actual)}` : '';
  const count = d.differing !== undefined ? ` (${d.differing} of ${d.total} values differ)` : '';
  if (d.where === 'layer') {
    const l = d.layer!;
    return `first differing layer ${l.index}${l.name !== undefined ? ` '${l.name}'` : ''}${l.kind ? ` (${l.kind})` : ''}` +
      `${l.tensor !== undefined && l.tensor !== l.name ? `, tensor '${l.tensor}'` : ''}: ${el}${count}`;
  }
  if (d.where === 'output') {
    const o = d.output!;
    return `output ${o.index}${o.name !== undefined ? ` '${o.name}'` : ''} differs at ${el}${count}`;
  }
  return `expected ${d.total} output(s), got ${d.differing}`;
}

/**
 * Compares `expected` with `actual` value by value. When both carry per-layer tensors (`layers`), the
 * first layer of `expected` (in its order; matched by tensor name when both sides name tensors, else by
 * index) whose values differ is named, with the name and kind from either side; otherwise the first
 * differing output. Output names and shapes come from whichever side has them (a golden RunResult does).
 */
export function compareOutputs(expected: Comparable, actual: Comparable): Comparison {
  const e = normal(expected, 'expected'), a = normal(actual, 'actual');
  const names = e.names.length ? e.names : a.names;
  const shapes = e.shapes.length ? e.shapes : a.shapes;
  let first: Difference | undefined;
  if (e.outputs.length !== a.outputs.length) {
    first = { where: 'count', differing: a.outputs.length, total: e.outputs.length };
  }
  if (!first && e.layers && a.layers) {
    // Matched by tensor name when both sides name it (e.g. TFLite's interpreter against the golden runtime),
    // else by layer index.
    const byTensor = new Map(a.layers.filter((l) => l.tensor !== undefined).map((l) => [l.tensor!, l]));
    const byIndex = new Map<number, LayerValues>();
    for (const l of a.layers) if (!byIndex.has(l.index)) byIndex.set(l.index, l);
    for (const l of e.layers) {
      const g = (l.tensor !== undefined ? byTensor.get(l.tensor) : undefined) ?? (l.tensor === undefined || byTensor.size === 0 ? byIndex.get(l.index) : undefined);
      if (!g) continue;
      const d = firstDiff(l.values, g.values);
      if (d) {
        first = {
          where: 'layer', layer: { index: g.index, name: l.name ?? g.name, kind: l.kind ?? g.kind, tensor: l.tensor ?? g.tensor },
          element: d.at, coords: coordsOf(d.at, l.shape ?? g.shape), expected: l.values[d.at], actual: g.values[d.at], differing: d.differing, total: l.values.length,
        };
        break;
      }
    }
  }
  if (!first) {
    for (let i = 0; i < e.outputs.length; i++) {
      const d = firstDiff(e.outputs[i]!, a.outputs[i]!);
      if (d) {
        first = {
          where: 'output', output: { index: i, name: names[i] }, element: d.at, coords: coordsOf(d.at, shapes[i]),
          expected: e.outputs[i]![d.at], actual: a.outputs[i]![d.at], differing: d.differing, total: e.outputs[i]!.length,
        };
        break;
      }
    }
  }
  if (!first) {
    const values = e.outputs.reduce((s, o) => s + o.length, 0);
    return { equal: true, message: `equal (${e.outputs.length} output(s), ${values} values${e.layers && a.layers ? `, ${e.layers.length} layer tensors` : ''})` };
  }
  return { equal: false, first, message: describe(first) };
}

/** The error assertOutputsEqual throws: a plain Error whose message names the first difference. */
export class OutputMismatchError extends Error {
  readonly comparison: Comparison;
  constructor(message: string, comparison: Comparison) {
    super(message);
    this.name = 'OutputMismatchError';
    this.comparison = comparison;
  }
}

/**
 * Throws an OutputMismatchError unless `actual` equals `expected` value for value (compareOutputs).
 * `message` prefixes the error text, e.g. the input's name. Works in node:test, vitest and jest.
 */
export function assertOutputsEqual(expected: Comparable, actual: Comparable, message?: string): void {
  const c = compareOutputs(expected, actual);
  if (!c.equal) throw new OutputMismatchError(`${message ? `${message}: ` : ''}outputs differ from the expected ones: ${c.message}`, c);
}
