// Reshape: a byte copy (NHWC int8 data is row-major, so a reshape never reorders elements).
export function copyBytes(src: usize, dst: usize, n: usize): void {
  memory.copy(dst, src, n);
}
