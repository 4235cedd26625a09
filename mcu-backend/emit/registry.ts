// The rule table of Cortex-M kernel variants: every variant the backend may choose from, per op kind,
// selected by priority among the applicable ones (variant.ts). Add a variant with one import and one
// entry; the generic variants (priority 0, no scratch) cover every kernel-IR op kind.
import type { AnyVariant } from './variant.ts';
import { addConvGeneric } from './add-conv.ts';
import { addGeneric } from './add.ts';
import { addLut } from './add-lut.ts';
import { copyGeneric } from './copy.ts';
import { binaryGeneric } from './binary.ts';
import { conv2dGeneric } from './conv2d.ts';
import { depthwiseChan4, depthwiseGeneric } from './depthwise.ts';
import { fullyConnectedGeneric } from './fully-connected.ts';
import { avgPool16Generic, avgPoolGeneric, maxPool16Generic, maxPoolGeneric } from './pool.ts';
import { avgPoolGlobal } from './pool-global.ts';
import { dequantizeGeneric, quantizeGeneric } from './quantize.ts';
import { reshapeAlias } from './reshape.ts';
import { shiftConvGather } from './shift-conv.ts';
import { softmax16Reference, softmaxReference } from './softmax.ts';
import { lutTable } from './lut.ts';
import { preluGeneric } from './prelu.ts';
import { reduceGeneric } from './reduce.ts';
import { resizeBilinearGeneric, resizeNearestTable } from './resize.ts';
import { transposeConvGeneric } from './transpose-conv.ts';
import { conv16x8Dsp, conv16x8Generic, leakyRelu16Generic, sigmoid16Generic } from './int16.ts';
import { svdfDsp, svdfGeneric } from './svdf.ts';
import { lstmDsp, lstmGeneric, lstmLut } from './lstm.ts';
import { FAST_VARIANTS } from './fast-variants.ts';
import { HELIUM_VARIANTS } from './helium-variants.ts';

export const VARIANTS: AnyVariant[] = [
  conv2dGeneric,
  depthwiseGeneric,
  depthwiseChan4,
  fullyConnectedGeneric,
  addGeneric,
  addLut,
  binaryGeneric,
  avgPoolGeneric,
  avgPool16Generic,
  avgPoolGlobal,
  maxPoolGeneric,
  maxPool16Generic,
  reshapeAlias,
  softmaxReference,
  softmax16Reference,
  shiftConvGather,
  addConvGeneric,
  lutTable,
  preluGeneric,
  copyGeneric,
  resizeNearestTable,
  reduceGeneric,
  resizeBilinearGeneric,
  transposeConvGeneric,
  quantizeGeneric,
  dequantizeGeneric,
  conv16x8Generic,
  conv16x8Dsp,
  leakyRelu16Generic,
  sigmoid16Generic,
  svdfGeneric,
  lstmGeneric,
  lstmDsp,
  svdfDsp,
  lstmLut,
  ...FAST_VARIANTS,
  ...HELIUM_VARIANTS,
];

/**
 * The scratch-free variants alone (the table without the fast M4 and Helium kernels): every op can then run in place
 * or split where the memory plan allows; what a tight sram budget falls back to.
 */
export const LEAN_VARIANTS: AnyVariant[] = VARIANTS.filter((v) => !FAST_VARIANTS.includes(v) && !HELIUM_VARIANTS.includes(v));
