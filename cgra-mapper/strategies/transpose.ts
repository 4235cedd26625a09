// Mapping a layer on its transpose. A convolution's height and width play symmetric roles, but the pair
// dataflows group pixels along a row, so a narrow image (kws: 25 x 5) wastes a dropped pixel per row.
// Swapping H and W (weights [.., kH, kW, ..] -> [.., kW, kH, ..], input and output transposed by the host,
// which builds its input layout anyway) lets the cost model pick the better orientation.
import type { CgraLayer } from '../layer.ts';
import type { LayerPlan } from '../plan.ts';

/** [H][W][C] -> [W][H][C]. */
export function transposeHW<T extends Int8Array | Int32Array>(a: T, H: number, W: number, C: number): T {
  const out = new (a.constructor as { new(n: number): T })(a.length);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < C; c++) out[(x * H + y) * C + c] = a[(y * W + x) * C + c];
  return out;
}

export function transposeLayer(L: CgraLayer): CgraLayer {
  let weights: Int8Array;
  if (L.kind === 'depthwise_conv2d') weights = transposeHW(L.weights, L.kH, L.kW, L.outC);
  else {
    const per = L.kH * L.kW * L.inC;
    weights = new Int8Array(L.weights.length);
    for (let o = 0; o < L.outC; o++) weights.set(transposeHW(L.weights.subarray(o * per, (o + 1) * per), L.kH, L.kW, L.inC), o * per);
  }
  return {
    ...L, weights, inH: L.inW, inW: L.inH, outH: L.outW, outW: L.outH, kH: L.kW, kW: L.kH,
    strideH: L.strideW, strideW: L.strideH, dilH: L.dilW, dilW: L.dilH, padTop: L.padLeft, padLeft: L.padTop,
  };
}

/** The plan of the transposed layer, wrapped so it takes and returns the layer's own NHWC tensors. */
export function transposedPlan(L: CgraLayer, plan: (t: CgraLayer) => LayerPlan): LayerPlan {
  const p = plan(transposeLayer(L));
  return {
    ...p, layer: L,
    hostWork: { ...p.hostWork, preBytes: p.hostWork.preBytes + L.inH * L.inW * L.inC, notes: [...p.hostWork.notes, 'host transposes the input (H <-> W) and the output back'] },
    stage: (input) => p.stage(transposeHW(input, L.inH, L.inW, L.inC)),
    gather: (regions) => transposeHW(p.gather(regions), L.outW, L.outH, L.outC),
    view: `(on the transposed layer: height and width swapped)\n${p.view}`,
  };
}

/** Candidates worth trying: the layer itself, and its transpose when the image is not square. */
export const orientations = (L: CgraLayer): boolean[] => (L.kind !== 'fully_connected' && L.outH !== L.outW ? [false, true] : [false]);
