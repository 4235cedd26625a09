// Runs a co-simulation build (cosim-files.ts) on QEMU riscv32 (mcu-backend/harness/rv32.ts) with the icount
// plugin's block profile, prices it with the RV32 cycle model (mcu-backend/timing/rv32-model.ts: CV32E40P and
// CV32E20 timing) and splits the host's cycles per array layer and stage by the markers of emit-c.ts:
//   5/6 pre-step, 7/8 context load and each launch start (9/10 the replay service inside: excluded),
//   13/14 each wait, 11/12 each launch's post-step; the rest between a layer's markers is loop glue.
// End to end per layer = host cycles + the simulator's array cycles. Two schedules: serial (the host idles
// while the array runs), and overlapped, as the emitted C runs: after launch l ends the host starts l + 1
// and post-processes l meanwhile, so min(post_l, array_{l+1}) is hidden (bus contention between the core and
// the array, on separate memory banks, not modelled).
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRv32OrThrow, runRv32 } from '../../mcu-backend/harness/rv32.ts';
import { readRv32Profile, rv32SegmentCycles } from '../../mcu-backend/timing/rv32-model.ts';
import type { Rv32Core } from '../../mcu-backend/timing/rv32-cores.ts';
import { timeline } from './timeline.ts';

export interface StageCycles {
  pre: number; launch: number; wait: number; post: number; glue: number; total: number; postPerLaunch: number[];
  /** The unit's host segments in program order, [marker that ends it, cycles] (the replay service left out). */
  segs?: Array<[number, number]>;
}
export interface MeasuredRun { output: Int8Array; mismatches: number; launches: number; instructions: StageCycles[]; cycles: Record<Rv32Core, StageCycles[]>; hostOnly: Record<Rv32Core, number[]> }

const zero = (): StageCycles => ({ pre: 0, launch: 0, wait: 0, post: 0, glue: 0, total: 0, postPerLaunch: [], segs: [] });

/** Splits segments [marker that ends it, value] into per-unit stage figures; a unit spans open..close markers. */
function split(segs: Array<{ marker: number; v: number }>, open: number, close: number): StageCycles[] {
  const out: StageCycles[] = [];
  let cur: StageCycles | undefined;
  for (const s of segs) {
    if (s.marker === open) { cur = zero(); continue; }
    if (!cur) continue;
    switch (s.marker) {
      case 6: cur.pre += s.v; break;
      case 8: case 9: cur.launch += s.v; break;
      case 10: continue; // the replay service: the array's work, not the host's
      case 14: cur.wait += s.v; break;
      case 12: cur.post += s.v; cur.postPerLaunch.push(s.v); break;
      default: cur.glue += s.v;
    }
    if (s.marker !== 10) { cur.total += s.v; cur.segs!.push([s.marker, s.v]); }
    if (s.marker === close) { out.push(cur); cur = undefined; }
  }
  return out;
}

/**
 * Compiles `files` for RV32IMC, runs them on QEMU with the profile and returns the output, the replay's
 * mismatch count and the host figures per unit (`per`: 'layer' = markers 1/2 of a model, 'invoke' = 3/4).
 */
export function measureCosim(files: Record<string, string>, dir: string, per: 'layer' | 'invoke', cores: readonly Rv32Core[] = ['cv32e40p', 'cv32e20']): MeasuredRun {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [f, t] of Object.entries(files)) writeFileSync(join(dir, f), t);
  const elf = join(dir, 'a.elf');
  compileRv32OrThrow({ sources: Object.keys(files).filter((f) => f.endsWith('.c')).map((f) => join(dir, f)), includeDirs: [dir] }, elf, { timeoutMs: 1_200_000 });
  const profile = join(dir, 'profile.txt');
  const r = runRv32(elf, { count: true, profile, timeoutMs: 600_000 });
  const text = r.stdout + r.stderr;
  const line = (tag: string): string => {
    const l = text.split('\n').find((x) => x.startsWith(`${tag} `));
    if (!l) throw new Error(`co-simulation on QEMU printed no '${tag}' line (status ${r.status}): ${text.slice(0, 400)}`);
    return l.slice(tag.length + 1).trim();
  };
  const output = Int8Array.from(Buffer.from(line('O'), 'hex'));
  const [mismatches, launches] = line('X').split(' ').map(Number);
  const [open, close] = per === 'layer' ? [1, 2] : [3, 4];
  // Instructions per segment from the markers (M_b - M_a - 1 between consecutive markers).
  const M = r.markers;
  const isegs = M.slice(1).map((m, i) => ({ marker: m.n, v: m.before - M[i].before - 1 }));
  const instructions = split([{ marker: M[0]?.n ?? -1, v: 0 }, ...isegs], open, close);
  const cycles = {} as Record<Rv32Core, StageCycles[]>;
  const hostOnly = {} as Record<Rv32Core, number[]>;
  if (!existsSync(profile)) throw new Error('QEMU wrote no block profile');
  const prof = readRv32Profile(profile);
  for (const core of cores) {
    const segs = rv32SegmentCycles(prof, core).map((s) => ({ marker: s.marker, v: s.cycles.total }));
    cycles[core] = split(segs, open, close);
    hostOnly[core] = [];
  }
  return { output, mismatches, launches, instructions, cycles, hostOnly };
}

/**
 * End-to-end cycles of one array layer: serial (host cycles + array cycles), and overlapped as the emitted C
 * runs, replayed on a timeline from the host's segments: launch k starts when its start's register writes end
 * (marker 9) and the array is free, and runs arrayPerLaunch[k] cycles; a wait (the segment ending at marker 14)
 * ends no earlier than the launch. Whatever the host does between a start and the next wait (the previous
 * launch's post-step, the next launch's stage group) overlaps the array. Without segments: the post-step of
 * launch l hidden behind launch l + 1, min(post_l, array_{l+1}).
 */
export function endToEnd(host: StageCycles, arrayPerLaunch: number[]): { serial: number; overlapped: number } {
  const array = arrayPerLaunch.reduce((a, b) => a + b, 0);
  if (host.segs && host.segs.length) return { serial: host.total + array, overlapped: timeline(host.segs, arrayPerLaunch) };
  let hidden = 0;
  for (let l = 0; l + 1 < arrayPerLaunch.length; l++) hidden += Math.min(host.postPerLaunch[l] ?? 0, arrayPerLaunch[l + 1]);
  return { serial: host.total + array, overlapped: host.total + array - hidden };
}
