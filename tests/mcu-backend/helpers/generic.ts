// The generic Cortex-M variants (the lean kernels every op kind has), as a table of their own, so tests
// can exercise them whatever faster variants the backend's full table (registry.ts) prefers.
import type { AnyVariant } from '../../../mcu-backend/emit/variant.ts';
import { addConvGeneric } from '../../../mcu-backend/emit/add-conv.ts';
import { addGeneric } from '../../../mcu-backend/emit/add.ts';
import { conv2dGeneric } from '../../../mcu-backend/emit/conv2d.ts';
import { depthwiseChan4, depthwiseGeneric } from '../../../mcu-backend/emit/depthwise.ts';
import { fullyConnectedGeneric } from '../../../mcu-backend/emit/fully-connected.ts';
import { avgPoolGeneric, maxPoolGeneric } from '../../../mcu-backend/emit/pool.ts';
import { reshapeAlias } from '../../../mcu-backend/emit/reshape.ts';
import { shiftConvGather } from '../../../mcu-backend/emit/shift-conv.ts';
import { softmaxReference } from '../../../mcu-backend/emit/softmax.ts';
import { reduceGeneric } from '../../../mcu-backend/emit/reduce.ts';
import { resizeBilinearGeneric } from '../../../mcu-backend/emit/resize.ts';
import { transposeConvGeneric } from '../../../mcu-backend/emit/transpose-conv.ts';

export const GENERIC: AnyVariant[] = [
  conv2dGeneric, depthwiseGeneric, depthwiseChan4, fullyConnectedGeneric, addGeneric, avgPoolGeneric, maxPoolGeneric,
  reshapeAlias, softmaxReference, shiftConvGather, addConvGeneric, reduceGeneric, resizeBilinearGeneric, transposeConvGeneric,
];
