// The build config's JSON Schema: the single description of every key, used by the loader (ajv, so typos
// and wrong types are caught with the expected form) and written to configs/tinyforge.schema.json (npm run golden:update -- schema) so
// editors with the YAML language server complete and check configs. `description` doubles as the
// "expected form" in error messages. Op-specific rules (which layer takes which keys) live in network.ts.
import type { OpKind } from '../../ir/graph.ts';
import { MAX_DIMENSION, MAX_WINDOW } from '../../limits.ts';

export const CPU_NAMES = ['cortex-m0plus', 'cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55', 'cortex-m85'] as const;
export const CGRA_STRATEGIES = ['auto', 'wp', 'oc', 'im2col-ic', 'im2col-oc', 'checker', 'checker-fxp', 'fc-fxp', 'checker-dw', 'checker-dw4', 'dw-resident', 'dw-reuse', 'mesh-fxp', 'general'] as const;
/** The graph ops a `network:` layer can be (each has a row in network.ts LAYER_FIELDS / LAYER_RULES and a float
 *  reference in calibrate.ts); `flatten` is a reshape to [N, rest]. Other registry ops come from .tflite models. */
export const YAML_LAYER_KINDS = [
  'conv2d', 'depthwise_conv2d', 'fully_connected', 'add', 'average_pool2d', 'max_pool2d', 'reshape', 'softmax', 'shift_conv2d', 'add_conv2d',
] as const satisfies readonly OpKind[];
export const LAYER_OPS = [...YAML_LAYER_KINDS, 'flatten'] as const;
export const ACTIVATIONS = ['none', 'relu', 'relu6', 'relu_n1_to_1'] as const;

const size = {
  type: ['integer', 'string'], minimum: 1, pattern: '^[0-9]+[KM]?$',
  description: 'a size in bytes: an integer or a string like 256K or 1M (K = 1024, M = 1048576)',
};
const dim = { type: 'integer', minimum: 1, maximum: MAX_DIMENSION, description: `an integer from 1 to ${MAX_DIMENSION}` };
const pair = {
  type: ['integer', 'array'], minimum: 1, maximum: MAX_WINDOW, items: { type: 'integer', minimum: 1, maximum: MAX_WINDOW }, minItems: 2, maxItems: 2,
  description: `an integer from 1 to ${MAX_WINDOW} or a pair [height, width] of them`,
};
const layerName = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_.-]*$', description: 'a name of letters, digits, _ . - (starting with a letter or _)' };
const quant = {
  type: 'object', additionalProperties: false, required: ['scale'],
  properties: {
    scale: { type: 'number', exclusiveMinimum: 0, description: 'a positive number' },
    zero_point: { type: 'integer', minimum: -128, maximum: 127, description: 'an integer in [-128, 127]' },
  },
};

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'tinyforge build config',
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { ...layerName, description: 'a build name of letters, digits, _ . - starting with a letter or _ (default: the config file name; outputs go to out/<name>)' },
    model: { type: 'string', minLength: 1, description: 'a path of a .tflite model, relative to this config file' },
    network: {
      type: 'object', additionalProperties: false, required: ['input', 'layers'],
      description: 'a network described layer by layer (instead of model)',
      properties: {
        seed: { type: 'integer', minimum: 0, description: 'default seed of generated weights (layer i uses seed + i)' },
        input: {
          type: 'object', additionalProperties: false, required: ['shape'],
          properties: {
            name: layerName,
            shape: { type: 'array', items: dim, minItems: 1, maxItems: 4, description: `a list of 1 to 4 integers from 1 to ${MAX_DIMENSION}; [H, W, C] gets batch 1 prepended` },
            scale: quant.properties.scale,
            zero_point: quant.properties.zero_point,
          },
        },
        layers: {
          type: 'array', minItems: 1, description: 'a list of at least one layer',
          items: {
            type: 'object', additionalProperties: false, required: ['op'],
            properties: {
              op: { enum: LAYER_OPS },
              name: layerName,
              input: { type: 'string', description: 'the name of an earlier layer or of the input' },
              inputs: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2, description: 'a list of earlier layer names' },
              filters: dim,
              units: dim,
              kernel: pair,
              stride: pair,
              dilation: pair,
              padding: { enum: ['same', 'valid'] },
              groups: dim,
              depth_multiplier: dim,
              activation: { enum: ACTIVATIONS },
              shape: { type: 'array', items: { type: 'integer', minimum: -1, maximum: MAX_DIMENSION }, minItems: 1, maxItems: 4, description: `a list of dimensions up to ${MAX_DIMENSION} (one may be -1)` },
              beta: { type: 'number', exclusiveMinimum: 0, description: 'a positive number' },
              shifts: {
                type: 'array', items: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 2 },
                description: 'one [dy, dx] integer pair per input channel',
              },
              output: quant,
              weights: {
                type: 'object', additionalProperties: false,
                description: '{seed: N} for generated weights or {file: w.bin, bias: b.bin} for raw little-endian data',
                properties: {
                  seed: { type: 'integer', minimum: 0, description: 'a non-negative integer' },
                  file: { type: 'string', minLength: 1, description: 'a path of raw int8 weights (OHWI / [1,KH,KW,C*M] / [O,I]), relative to this config file' },
                  bias: { type: 'string', minLength: 1, description: 'a path of raw little-endian int32 biases, relative to this config file' },
                  scale: {
                    type: ['number', 'array'], exclusiveMinimum: 0, items: { type: 'number', exclusiveMinimum: 0 }, minItems: 1,
                    description: 'a positive number or one per output channel',
                  },
                },
              },
            },
          },
        },
      },
    },
    arith: { enum: ['tflm', 'tflite'], description: 'the requantisation arithmetic (default tflm)' },
    out: { type: 'string', minLength: 1, description: 'an output directory, relative to this config file (default out/<name>)' },
    targets: {
      type: 'object', additionalProperties: false,
      properties: {
        mcu: {
          type: 'object', additionalProperties: false, required: ['cpu', 'flash', 'sram'],
          properties: {
            cpu: { enum: CPU_NAMES },
            flash: size,
            sram: size,
            part: { type: 'string', description: 'the part number, e.g. STM32F401RE (with a DVFS part table: stm32l4r5, stm32h7a3, stm32u575, stm32f401, stm32f446, stm32f746, stm32h743, a per-segment clock plan is built)' },
            latency_ms: { type: 'number', exclusiveMinimum: 0, description: 'a positive number of milliseconds (default with part: 1.5 x the latency at the fastest clock)' },
            clock_mhz: { type: 'number', exclusiveMinimum: 0, description: 'the CPU clock in MHz at which the modelled cycles are priced with the part\'s flash wait states (default: the part\'s highest clock)' },
            objective: { enum: ['cycles', 'instructions'], description: 'what the schedule search minimises: modelled cycles (probe runs of each candidate kernel on the core\'s QEMU board, priced by the cycle model; slower cold builds) or estimated instructions (default with part: cycles; without part: instructions)' },
            dae: { type: 'boolean', description: 'decoupled access-execute layers: copy each layer\'s constants to SRAM before running it (default with part: the layers that reuse their constants; without part: none)' },
          },
        },
        cgra: {
          type: 'object', additionalProperties: false, required: ['rows', 'cols'],
          properties: {
            rows: { type: 'integer', minimum: 1, maximum: 16, description: 'an integer from 1 to 16 (the general mapper maps any size; hand strategies declare theirs)' },
            cols: { type: 'integer', minimum: 1, maximum: 16, description: 'an integer from 1 to 16 (the general mapper maps any size; hand strategies declare theirs)' },
            bus: { enum: ['ports', 'shared'], description: 'memory access: one port per column (ports) or one shared bus (default shared)' },
            strategy: { enum: CGRA_STRATEGIES, description: 'convolution mapping strategy (default auto)' },
            strategies: {
              type: 'array', minItems: 1, uniqueItems: true, items: { enum: CGRA_STRATEGIES.filter((s) => s !== 'auto') },
              description: 'the strategies auto may choose from (default: every hand strategy, the general mapper when none fits); [general] maps every layer with the general mapper',
            },
            layers: {
              type: 'object', additionalProperties: { enum: CGRA_STRATEGIES },
              description: 'per-layer strategy overrides: layer name -> strategy',
            },
            call_cycles: { type: 'integer', minimum: 0, maximum: 1000000000, description: 'CPU cycles per kernel launch, an integer from 0 to 10^9 (default 190)' },
          },
        },
      },
    },
  },
} as const;
