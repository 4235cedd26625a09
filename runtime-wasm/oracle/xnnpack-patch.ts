// Turns XNNPACK off in TFLite's WebAssembly interpreter (@tensorflow/tfjs-tflite) by patching the wasm
// bytes before instantiation. Why: the interpreter applies the XNNPACK delegate automatically (there is no
// option to refuse it) and XNNPACK requantises in fp32, so it is not bit-exact with TFLite's reference int8
// kernels; the oracle must run those kernels.
//
// How the patch is located (by analysing the module, no hard-coded offset):
//   1. Find the log message "Created TensorFlow Lite XNNPACK delegate for CPU." in the active data segments
//      and compute its linear-memory address A (segment offset + position in the segment).
//   2. Find the one defined function whose body contains `i32.const A` (opcode 0x41 + signed LEB128 of A).
//      That is the XNNPACK delegate factory: the std::function that TFLite's op resolver registers as its
//      default delegate creator (the delegate constructor, TfLiteXNNPackDelegateCreate, is inlined into it).
//   3. Check its signature is (i32, i32, i32) -> (): the libc++ std::function invoker of
//      `TfLiteDelegatePtr(int num_threads)`, which returns the unique_ptr {delegate*, deleter} through its
//      first (sret) parameter. Anything else means the package changed and we refuse to guess.
//   4. Overwrite the body in place (same byte size, so no section is re-encoded) with:
//        local.get 0; i64.const 0; i64.store  -> the returned TfLiteDelegatePtr is {nullptr, nullptr}
//      padded with nops. The interpreter skips a null default delegate and runs its builtin kernels.
// The caller verifies the result: no "Created TensorFlow Lite XNNPACK delegate" line is logged, and runs are
// deterministic (tests/runtime-wasm/tflite-interpreter.test.ts).

export const XNNPACK_LOG = 'Created TensorFlow Lite XNNPACK delegate for CPU.';

export interface XnnpackPatch {
  /** Absolute wasm function index (imports included) of the patched delegate factory. */
  functionIndex: number;
  /** Byte offset of the patched function body in the wasm file, and its size. */
  bodyOffset: number;
  bodySize: number;
  /** Linear-memory address of the log string. */
  stringAddress: number;
}

class Reader {
  constructor(readonly b: Uint8Array, public p = 0) {}
  u8(): number { return this.b[this.p++]; }
  uleb(): number {
    let r = 0, s = 0, x: number;
    do { x = this.b[this.p++]; r += (x & 0x7f) * 2 ** s; s += 7; } while (x & 0x80);
    return r;
  }
  sleb(): number {
    let r = 0n, s = 0n, x: number;
    do { x = this.b[this.p++]; r |= BigInt(x & 0x7f) << s; s += 7n; } while (x & 0x80);
    if (x & 0x40) r -= 1n << s;
    return Number(r);
  }
  skip(n: number): void { this.p += n; }
}

function slebBytes(v: number): number[] {
  const out: number[] = [];
  let x = BigInt(v);
  for (;;) {
    const byte = Number(x & 0x7fn);
    x >>= 7n;
    if ((x === 0n && !(byte & 0x40)) || (x === -1n && (byte & 0x40))) { out.push(byte); return out; }
    out.push(byte | 0x80);
  }
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array | number[], from = 0, to = hay.length): number {
  const n = needle.length;
  outer: for (let i = from; i + n <= to; i++) {
    for (let j = 0; j < n; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Patches `wasm` in place so the XNNPACK delegate factory returns no delegate. Throws if not found. */
export function disableXnnpack(wasm: Uint8Array): XnnpackPatch {
  const r = new Reader(wasm, 8);
  const sections = new Map<number, { start: number; size: number }>();
  while (r.p < wasm.length) {
    const id = r.u8();
    const size = r.uleb();
    if (id !== 0) sections.set(id, { start: r.p, size });
    r.skip(size);
  }
  const need = (id: number) => {
    const s = sections.get(id);
    if (!s) throw new Error(`disableXnnpack: wasm section ${id} missing`);
    r.p = s.start;
    return r.uleb(); // every section we read starts with an item count
  };

  // Types: [params, results] per type index.
  const types: Array<[number[], number[]]> = [];
  for (let n = need(1), i = 0; i < n; i++) {
    if (r.u8() !== 0x60) throw new Error('disableXnnpack: unexpected type form');
    const params = Array.from({ length: r.uleb() }, () => r.u8());
    const results = Array.from({ length: r.uleb() }, () => r.u8());
    types.push([params, results]);
  }
  // Imports: count imported functions (they come first in the function index space).
  let importedFuncs = 0;
  for (let n = need(2), i = 0; i < n; i++) {
    r.skip(r.uleb()); r.skip(r.uleb());
    const kind = r.u8();
    if (kind === 0) { r.uleb(); importedFuncs++; }
    else if (kind === 1) { r.u8(); const f = r.u8(); r.uleb(); if (f & 1) r.uleb(); }
    else if (kind === 2) { const f = r.u8(); r.uleb(); if (f & 1) r.uleb(); }
    else if (kind === 3) { r.u8(); r.u8(); }
    else if (kind === 4) { r.u8(); r.uleb(); }
    else throw new Error(`disableXnnpack: unknown import kind ${kind}`);
  }
  const funcTypes: number[] = [];
  for (let n = need(3), i = 0; i < n; i++) funcTypes.push(r.uleb());

  // 1. The log string's address.
  const needle = new TextEncoder().encode(XNNPACK_LOG + '\0');
  let stringAddress = -1;
  for (let n = need(11), i = 0; i < n; i++) {
    const flag = r.uleb();
    let base: number | undefined;
    if (flag === 0 || flag === 2) {
      if (flag === 2) r.uleb();
      const op = r.u8();
      if (op === 0x41) base = r.sleb(); else throw new Error('disableXnnpack: data segment offset is not i32.const');
      if (r.u8() !== 0x0b) throw new Error('disableXnnpack: bad data segment offset expression');
    }
    const len = r.uleb();
    const at = indexOfBytes(wasm, needle, r.p, r.p + len);
    if (at >= 0 && base !== undefined) {
      // Only count a match at a string start (preceded by a NUL or at the segment start).
      if (at === r.p || wasm[at - 1] === 0) stringAddress = base + (at - r.p);
    }
    r.skip(len);
  }
  if (stringAddress < 0) throw new Error(`disableXnnpack: log string "${XNNPACK_LOG}" not found in the data segments`);

  // 2. The one function that loads that address.
  const pattern = [0x41, ...slebBytes(stringAddress)];
  const hits: Array<{ index: number; start: number; size: number }> = [];
  for (let n = need(10), i = 0; i < n; i++) {
    const size = r.uleb();
    const start = r.p;
    if (indexOfBytes(wasm, pattern, start, start + size) >= 0) hits.push({ index: importedFuncs + i, start, size });
    r.skip(size);
  }
  if (hits.length !== 1) throw new Error(`disableXnnpack: expected one function referencing the XNNPACK log string, found ${hits.length}`);
  const f = hits[0];

  // 3. Its signature must be the std::function invoker (sret, functor, int*) -> ().
  const [params, results] = types[funcTypes[f.index - importedFuncs]];
  const I32 = 0x7f;
  if (params.length !== 3 || params.some((t) => t !== I32) || results.length !== 0) {
    throw new Error(`disableXnnpack: function ${f.index} has an unexpected signature (${params.length} params, ${results.length} results)`);
  }

  // 4. Rewrite the body: no locals; store i64 0 at [param 0]; nops; end.
  const body = [0x00, 0x20, 0x00, 0x42, 0x00, 0x37, 0x02, 0x00];
  if (f.size < body.length + 1) throw new Error('disableXnnpack: function body too small to patch');
  wasm.set(body, f.start);
  wasm.fill(0x01, f.start + body.length, f.start + f.size - 1);
  wasm[f.start + f.size - 1] = 0x0b;
  return { functionIndex: f.index, bodyOffset: f.start, bodySize: f.size, stringAddress };
}
