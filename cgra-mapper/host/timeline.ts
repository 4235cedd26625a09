// The overlapped schedule of one array layer's host program: the host's segments in program order, each
// [marker that ends it, cycles] (markers of emit-c.ts / tf_cgra.h), replayed against the array's launches.
// Launch k starts when its start's register writes end (marker 9) and the array is free, and runs
// arrayPerLaunch[k] cycles; a wait (the segment ending at marker 14) ends no earlier than the launch. Used
// with measured segments (measure.ts) and with modelled ones (cost.ts, for `auto` by end-to-end cycles).
/** The overlapped schedule's length (see endToEnd) for host segments [ending marker, cycles]. */
export function timeline(segs: Array<[number, number]>, arrayPerLaunch: number[]): number {
  let T = 0, arrayEnd = 0, k = 0;
  for (const [m, v] of segs) {
    if (m === 14) T = Math.max(T, arrayEnd) + v;
    else T += v;
    if (m === 9 && k < arrayPerLaunch.length) { arrayEnd = Math.max(T, arrayEnd) + arrayPerLaunch[k]; k++; }
  }
  return Math.max(T, arrayEnd);
}
