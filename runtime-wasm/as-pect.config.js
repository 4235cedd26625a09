// as-pect configuration for the golden runtime's AssemblyScript kernel specs (run by scripts/test.mjs
// from the repository root with --config runtime-wasm/as-pect.config.js).
export default {
  entries: ['runtime-wasm/assembly/__tests__/**/*.spec.ts'],
  include: ['runtime-wasm/assembly/__tests__/**/*.include.ts'],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
