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
  const next = xorshift32(seed);
  return Array.from({ length: count }, () => Int8Array.from({ length: bytes }, () => (next() & 0xff) - 128));
}

function xorshift32(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
}

/**
 * `count` sets of random graph inputs as raw little-endian bytes, concatenated in input order. For a model with
 * int8 inputs only, exactly randomInt8Sets (same stream, same figures). A float32 input (a model's float edge)
 * gets float32 values uniform in `ranges[i]` (the range its QUANTIZE can represent: quant/quantize.ts
 * floatInputRange), one stream draw per value; int8 inputs take one draw per byte as above.
 */
export function randomInputSets(inputs: ReadonlyArray<{ elements: number; float?: [number, number] }>, count: number, seed = 1): Int8Array[] {
  const bytes = inputs.reduce((s, x) => s + x.elements * (x.float ? 4 : 1), 0);
  if (inputs.every((x) => !x.float)) return randomInt8Sets(bytes, count, seed);
  const next = xorshift32(seed);
  return Array.from({ length: count }, () => {
    const out = new Int8Array(bytes);
    const dv = new DataView(out.buffer);
    let off = 0;
    for (const x of inputs) {
      for (let i = 0; i < x.elements; i++) {
        if (!x.float) { out[off++] = (next() & 0xff) - 128; continue; }
        const [lo, hi] = x.float;
        dv.setFloat32(off, Math.fround(lo + (hi - lo) * (next() / 4294967296)), true);
        off += 4;
      }
    }
    return out;
  });
}
