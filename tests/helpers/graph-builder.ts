// A tiny builder for hand-made graph-IR graphs in tests: tensors get consecutive ids, ops are appended
// in order (so the result is topologically ordered when the test writes it in order).
import type { DType, Graph, Op, Quant, Tensor, TensorData } from '../../compiler/ir/graph.ts';

export class GraphBuilder {
  readonly g: Graph;
  constructor(name = 'test') {
    this.g = { name, tensors: [], ops: [], inputs: [], outputs: [] };
  }
  /** An activation with per-tensor quantisation. */
  act(name: string, shape: number[], scale: number, zeroPoint: number, dtype: DType = 'int8'): number {
    return this.tensor({ name, shape, dtype, quant: { scale: [scale], zeroPoint: [zeroPoint] } });
  }
  /** A constant; `scales` of length 1 is per tensor, otherwise per axis `axis`. */
  constant(name: string, shape: number[], data: TensorData, scales: number[], axis?: number): number {
    const dtype: DType = data instanceof Int8Array ? 'int8' : data instanceof Int16Array ? 'int16' : 'int32';
    const quant: Quant = { scale: scales, zeroPoint: scales.map(() => 0) };
    if (scales.length > 1) quant.axis = axis ?? 0;
    return this.tensor({ name, shape, dtype, quant, data });
  }
  tensor(t: Omit<Tensor, 'id'>): number {
    const id = this.g.tensors.length;
    this.g.tensors.push({ id, ...t });
    return id;
  }
  op<T extends Op>(op: T): T {
    this.g.ops.push(op);
    return op;
  }
  io(inputs: number[], outputs: number[]): Graph {
    this.g.inputs = inputs;
    this.g.outputs = outputs;
    return this.g;
  }
}
