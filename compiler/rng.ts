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
