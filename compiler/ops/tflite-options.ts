// Codecs shared by the op definitions' TFLite mappings: padding and fused-activation enums in both
// directions, and the flatbuffers table helper the exporters use.
import type { Builder } from 'flatbuffers';
import type { Activation, OpKind, Padding } from '../ir/graph.ts';
import { ActivationCode, PaddingCode } from '../frontend/tflite/schema.ts';
import type { ImportCtx, OpAttrs, OpOf, ParamTensor, TfliteMapping } from './op-def.ts';

export function padding(c: ImportCtx, code: number): Padding {
  if (code === PaddingCode.SAME) return 'same';
  if (code === PaddingCode.VALID) return 'valid';
  return c.fail(`unknown padding code ${code}`);
}

export function activation(c: ImportCtx, code: number): Activation {
  switch (code) {
    case ActivationCode.NONE: return 'none';
    case ActivationCode.RELU: return 'relu';
    case ActivationCode.RELU_N1_TO_1: return 'relu_n1_to_1';
    case ActivationCode.RELU6: return 'relu6';
  }
  const name = Object.entries(ActivationCode).find(([, v]) => v === code)?.[0] ?? `code ${code}`;
  return c.fail(`unsupported fused activation ${name}`, 'supported: NONE, RELU, RELU_N1_TO_1, RELU6');
}

export const PADDING_CODE: Record<Padding, number> = { same: PaddingCode.SAME, valid: PaddingCode.VALID };
export const ACTIVATION_CODE: Record<Activation, number> = {
  none: ActivationCode.NONE, relu: ActivationCode.RELU, relu_n1_to_1: ActivationCode.RELU_N1_TO_1, relu6: ActivationCode.RELU6,
};

/** Builds one flatbuffers table of `nfields` fields. */
export function table(b: Builder, nfields: number, fill: () => void): number {
  b.startObject(nfields);
  fill();
  return b.endObject();
}

export function int32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]!);
  return b.endVector();
}

/** A constant int32 vector operand the exporter writes for a parameter the graph op holds as an attribute. */
export function int32Param(name: string, values: readonly number[]): ParamTensor {
  return { name, dtype: 'int32', shape: [values.length], values };
}

/** The TFLite mapping of an operator whose options are a fused activation (ADD, SUB, MUL): the options
 *  table `optionsType` with the activation at field `slot`; ADD and SUB also have `pot_scale_int16` (a bool
 *  at `potSlot`, default true in schema.fbs), kept on the graph op only when it reads false (the field says
 *  so, or the operator has no options table). */
export function fusedActivationMapping<K extends OpKind>(kind: K, builtin: number, optionsType: number, slot: number, version: number, potSlot?: number): TfliteMapping<K> {
  return {
    builtin,
    optionsType,
    import: (c) => ({
      kind, name: c.name, activation: activation(c, c.opts.i8(slot)),
      // No options table: desktop TFLite leaves the params zeroed, pot_scale_int16 false (measured with the oracle).
      ...(potSlot !== undefined && (c.opts.present === false || !c.opts.bool(potSlot, true)) ? { potScaleInt16: false } : {}),
    }) as unknown as OpAttrs<K>,
    version,
    export: (b, o) => [optionsType, table(b, potSlot === undefined ? 1 : 2, () => {
      b.addFieldInt8(slot, ACTIVATION_CODE[(o as OpOf<K> & { activation: Activation }).activation], 0);
      if (potSlot !== undefined) b.addFieldInt8(potSlot, (o as { potScaleInt16?: boolean }).potScaleInt16 === false ? 0 : 1, 1);
    })],
  };
}
