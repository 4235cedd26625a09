// The two golden modules as built: the scalar one contains no SIMD instruction, the SIMD one does, and both
// validate (binaryen, all features enabled; the scalar one also with SIMD disabled).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import binaryen from 'binaryen';
import { GoldenRuntime } from '../../runtime-wasm/host.ts';

function simdInstructions(path: string): number {
  const m = binaryen.readBinary(readFileSync(path));
  try {
    m.setFeatures(binaryen.Features.All);
    assert.equal(m.validate(), 1, `${path} validates`);
    return (m.emitText().match(/\b(?:v128|i8x16|i16x8|i32x4|i64x2)\.\w+/g) ?? []).length;
  } finally {
    m.dispose();
  }
}

test('dist/golden.wasm is scalar, dist/golden-simd.wasm uses SIMD (dot_i16x8_s included)', () => {
  assert.equal(simdInstructions(GoldenRuntime.wasmPath(false)), 0);
  assert.ok(simdInstructions(GoldenRuntime.wasmPath(true)) > 50);
  const text = (() => {
    const m = binaryen.readBinary(readFileSync(GoldenRuntime.wasmPath(true)));
    m.setFeatures(binaryen.Features.All);
    const t = m.emitText();
    m.dispose();
    return t;
  })();
  assert.match(text, /i32x4\.dot_i16x8_s/);
  assert.match(text, /i64x2\.extmul_low_i32x4_s/);
});

test('the scalar module validates with SIMD disabled', () => {
  const m = binaryen.readBinary(readFileSync(GoldenRuntime.wasmPath(false)));
  try {
    m.setFeatures(binaryen.Features.All & ~binaryen.Features.SIMD128);
    assert.equal(m.validate(), 1);
  } finally {
    m.dispose();
  }
});
