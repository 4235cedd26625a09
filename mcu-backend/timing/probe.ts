// Modelled cycles of every candidate kernel variant of every layer, for the schedule search's cycle
// objective (../stages/search.ts): probe runs of the whole model on the core's QEMU board under the block
// profile, priced by the cycle model (model.ts) with the part's memory at its clock (or zero-wait memory).
// Round r runs the model with each layer's r-th candidate (a layer with fewer candidates runs its first):
// as many runs as the longest candidate list, and every (layer, variant) pair is priced once, between its
// layer's markers (its decoupled access segment included), exactly as the build's report prices it.
// A probe model is planned like the build's (same memory schedule and DAE setting) but without the arena
// budget, and runs one fixed input. A layer's cost from a probe differs from its cost in the final model
// only through what the neighbours leave in the flash caches (the ART's 1 KB on an L4 part).
// Cache: the QEMU profile of a probe is kept under a content hash (the model's C files, the input, the
// core, the simulated caches, the compiler's version and the harness sources) next to the object cache
// ($TINYFORGE_CACHE_DIR/../profiles, or <repository>/.cache/profiles), so a build searching again (the fit
// stage, a second build of the same model) prices from the stored profiles instead of running QEMU.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import type { KernelModule } from '../../compiler/kernel-ir/types.ts';
import { cIdent, emitC, type EmittedModel } from '../emit/model.ts';
import type { AnyVariant, McuTargetInfo } from '../emit/variant.ts';
import { harnessDir, hasBoard, missingTools, type McuCpu } from '../harness/run.ts';
import { runModel } from '../runner.ts';
import { objectCacheDir } from '../stages/compile.ts';
import { planStage, type PlanStageOptions } from '../stages/plan.ts';
import { layerCycles } from './layers.ts';
import { partMemory, type PartMemory } from './memory.ts';
import { parseProfile, segmentCycles } from './model.ts';

/** What the cycle objective prices for: the core, and optionally a part's memory at a clock (default: its highest). */
export interface CycleObjective { cpu: McuCpu; part?: string; clockMHz?: number }

export interface ProbedCycles {
  /** Modelled cycles per layer and candidate (same order as the candidates). */
  cycles: number[][];
  /** Probe models priced (one per candidate rank), of them QEMU runs made and profiles taken from the cache. */
  probes: number;
  runs: number;
  cached: number;
  /** "stm32l4r5 at 120 MHz" or "zero-wait memory". */
  where: string;
}

/** Why the cycle objective cannot be used for this core here (no board, missing tools), or undefined. */
export function probeUnavailable(cpu: McuCpu): string | undefined {
  if (!hasBoard(cpu)) return `no QEMU board for cortex-${cpu}`;
  return missingTools(cpu);
}

/** Where the objective prices: the part at its clock, or zero-wait memory. */
export function objectiveWhere(o: CycleObjective): string {
  if (!o.part) return 'zero-wait memory';
  const p = partMemory(o.part);
  return `${p.name} at ${o.clockMHz ?? p.fMaxMHz} MHz`;
}

/** A fixed input of n bytes (a small LCG; the cycles of these kernels do not depend on the data). */
function probeInput(n: number): Int8Array {
  const x = new Int8Array(n);
  let s = 0x2545f491;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; x[i] = ((s >>> 16) & 0x7f) - 64; }
  return x;
}

let toolchainKey: string | undefined;
/** The compiler's version and the harness sources (driver, startup, linker scripts, plugin): what else shapes a profile. */
function toolchain(): string {
  if (toolchainKey === undefined) {
    const h = createHash('sha256');
    const r = spawnSync('arm-none-eabi-gcc', ['--version'], { encoding: 'utf8' });
    h.update(r.status === 0 ? r.stdout : 'no arm-none-eabi-gcc');
    const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [join(d, e.name)]))
      .filter((f) => /\.(c|h|ld|s|S)$/.test(f)).sort();
    for (const f of files(harnessDir)) h.update(f.slice(harnessDir.length)).update(readFileSync(f));
    toolchainKey = h.digest('hex');
  }
  return toolchainKey;
}

function profileCacheDir(): string | undefined {
  const objects = objectCacheDir();
  return objects ? join(dirname(objects), 'profiles') : undefined;
}

/** The profile of one probe model: from the cache, or a QEMU run (then stored). */
function probeProfile(em: EmittedModel, cpu: McuCpu, part: PartMemory | undefined, counts: { runs: number; cached: number }): string {
  const input = probeInput(em.inputBytes);
  const caches = part ? { icache: part.icache, dcache: part.dcache } : undefined;
  const h = createHash('sha256').update(JSON.stringify([cpu, caches ?? null, toolchain(), em.cname, em.files.header, em.files.source, em.files.runtime, em.extraFiles ?? {}]))
    .update(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  const key = h.digest('hex');
  const dir = profileCacheDir();
  const stored = dir ? join(dir, `${key}.txt`) : undefined;
  if (stored && existsSync(stored)) {
    counts.cached++;
    return readFileSync(stored, 'utf8');
  }
  const work = mkdtempSync(join(tmpdir(), 'tf-probe-'));
  try {
    const profile = join(work, 'profile.txt');
    runModel(em, [input], cpu, { workDir: work, profile, caches });
    counts.runs++;
    const text = readFileSync(profile, 'utf8');
    if (stored) {
      mkdirSync(dir!, { recursive: true });
      const tmp = `${stored}.${process.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, stored);
    }
    return text;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Modelled cycles of every candidate of every layer (see the header). `plan` is the build's memory
 * options (schedule, DAE); the arena budget is left out. Throws a TinyforgeError when a probe cannot run.
 */
export function probeLayerCycles(module: KernelModule, target: McuTargetInfo, cands: AnyVariant[][], objective: CycleObjective,
  plan: Pick<PlanStageOptions, 'memory' | 'dae'> = {}): ProbedCycles {
  const why = probeUnavailable(objective.cpu);
  if (why) throw new TinyforgeError(`cycle objective: ${why}`);
  const part = objective.part ? partMemory(objective.part) : undefined;
  const clockMHz = part ? objective.clockMHz ?? part.fMaxMHz : objective.clockMHz;
  const rounds = Math.max(...cands.map((c) => c.length));
  const name = cIdent(module.name);
  const cycles = cands.map((c) => new Array<number>(c.length).fill(NaN));
  const counts = { runs: 0, cached: 0 };
  for (let r = 0; r < rounds; r++) {
    const picks = cands.map((c) => (r < c.length ? r : 0));
    const variants = picks.map((j, i) => cands[i]![j]!);
    const planned = planStage(module, target, variants, name, { memory: plan.memory, dae: plan.dae });
    const em = emitC(module, target, { variants, downgrades: [], flashReplacements: [] }, planned);
    const prof = parseProfile(probeProfile(em, objective.cpu, part, counts));
    const { layers } = layerCycles(segmentCycles(prof, { cpu: objective.cpu, part, clockMHz }), em);
    picks.forEach((j, i) => { if (r < cands[i]!.length || r === 0) cycles[i]![j] = layers[i]!.total; });
  }
  for (const [i, c] of cycles.entries()) if (c.some((x) => !Number.isFinite(x))) throw new TinyforgeError(`cycle objective: layer ${i} not priced by the probes`);
  return { cycles, probes: rounds, ...counts, where: objectiveWhere(objective) };
}
