// Size limits checked up front, so hostile or careless input fails with a clear error before anything
// large is allocated (a filter count of 2^31 must not hang the YAML generator or exhaust memory). They are
// far above what an MCU or the CGRA can hold: a model that reaches them cannot run on the targets anyway.

/** Elements of one tensor (activation or constant): 16 Mi, i.e. 16 MiB of int8. */
export const MAX_TENSOR_ELEMENTS = 1 << 24;
/** One dimension of a shape, filters, units, channels. */
export const MAX_DIMENSION = 1 << 16;
/** A kernel, stride or dilation extent. */
export const MAX_WINDOW = 1 << 10;
/** YAML aliases in one config (each may expand a whole subtree). */
export const MAX_YAML_ALIASES = 64;
/** Bytes of one input file (model, config, bitstream, launch file, raw input): 256 MiB. */
export const MAX_INPUT_FILE_BYTES = 256 * 1024 * 1024;
