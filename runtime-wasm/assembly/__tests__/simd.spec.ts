// The specs must exercise the SIMD paths, not their scalar fallbacks: as-pect compiles with its own
// asconfig (runtime-wasm/as-pect.asconfig.json), which has to enable simd.
describe('build features', () => {
  it('compiles the specs with SIMD enabled', () => {
    expect(ASC_FEATURE_SIMD).toBe(true);
  });
});
