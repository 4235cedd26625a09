// Bump allocator over linear memory above the static data, used by the host for tensors, constants and
// scratch buffers. The kernels allocate nothing themselves. alloc() grows memory when needed, which
// detaches the host's ArrayBuffer views: the host re-creates its views after every allocation.

let top: usize = (__heap_base + 15) & ~<usize>15;

/** Allocates n bytes, 16-byte aligned; returns the address. */
export function alloc(n: usize): usize {
  const p = top;
  const end = (p + n + 15) & ~<usize>15;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
  top = end;
  return p;
}

/** Current allocation mark (pass to reset to free everything allocated since). */
export function mark(): usize {
  return top;
}

/** Frees everything allocated after `to` (a value returned by mark()); reset(0) frees all. */
export function reset(to: usize): void {
  const base = (__heap_base + 15) & ~<usize>15;
  top = to < base ? base : to;
}

/** Whether this module was compiled with SIMD (ASC_FEATURE_SIMD). */
export function simdEnabled(): i32 {
  return ASC_FEATURE_SIMD ? 1 : 0;
}
