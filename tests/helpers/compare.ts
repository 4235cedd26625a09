// The one comparison the oracle tests report with: undefined when the golden runtime's values equal the
// reference's (TFLite's interpreter), else how many differ and the first difference.
export function firstDiff(golden: ArrayLike<number>, tflite: ArrayLike<number>): string | undefined {
  if (golden.length !== tflite.length) return `length ${golden.length} (golden) vs ${tflite.length} (tflite)`;
  let n = 0, first = -1;
  for (let i = 0; i < golden.length; i++) if (golden[i] !== tflite[i]) { n++; if (first < 0) first = i; }
  if (n === 0) return undefined;
  return `${n}/${golden.length} values differ, first at index ${first}: golden ${golden[first]}, tflite ${tflite[first]}`;
}
