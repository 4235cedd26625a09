// The generic Cortex-M variants (the lean kernels every op kind has), as a table of their own, so tests
// can exercise them whatever faster variants the backend's full table (registry.ts) prefers: the registry's
// table without the fast M4 kernels.
import { LEAN_VARIANTS } from '../../../mcu-backend/emit/registry.ts';
import type { AnyVariant } from '../../../mcu-backend/emit/variant.ts';

export const GENERIC: AnyVariant[] = LEAN_VARIANTS;
