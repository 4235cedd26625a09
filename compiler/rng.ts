// mulberry32: the project's one small deterministic PRNG, uniform in [0, 1). Generated weights of YAML
// networks, `tinyforge run --gen-input`, and every seeded test use it, so a seed means the same data
// everywhere.
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` sets of `bytes` random int8 values from one xorshift32 stream: the inputs both backends verify
 * with (a multi-input graph takes each set's bytes in input order).
 */
export function randomInt8Sets(bytes: number, count: number, seed = 1): Int8Array[] {
  let s = (seed * 2654435761) >>> 0 || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  return Array.from({ length: count }, () => Int8Array.from({ length: bytes }, () => (next() & 0xff) - 128));
}
