// The RV32 cycle model: the same design as the Cortex-M one (model.ts), for X-HEEP's host cores. The QEMU
// plugin's block profile of a run on qemu-system-riscv32 (../harness/rv32.ts) is read with the RV32IMC
// decoder (rv32.ts) and priced with a core's table (rv32-cores.ts): each instruction in sequence within its
// block (loads, stores, multiplies, divides, jumps, load-use and JALR hazards), a conditional branch's
// taken cost from how often its block did not fall through, and the extra cycle of a non-word-aligned
// 32-bit target at the target (how often its block was entered by a jump). Cycles come out per marker
// segment, split by cause as model.ts's Cycles (fetch and flash data stay 0: X-HEEP's memories answer in
// one cycle). Modelled, never measured: QEMU has no timing.
import { TinyforgeError } from '../../compiler/diagnostics.ts';
import type { EmittedModel } from '../emit/model.ts';
import { runModel } from '../runner.ts';
import { layerCycles } from './layers.ts';
import { readProfile, zeroCycles, type Cycles, type Profile } from './model.ts';
import { decodeRv32 } from './rv32.ts';
import { RV32_CORE_TIMING, type Rv32Core, type Rv32CoreTiming } from './rv32-cores.ts';
import type { Insn } from './thumb.ts';

function add(a: Cycles, b: Cycles, k = 1): void {
  for (const key of Object.keys(a) as Array<keyof Cycles>) a[key] += b[key] * k;
}

/** Cycles of one instruction after `prev` in the same block; a conditional branch is priced not taken here. */
function insnCycles(t: Rv32CoreTiming, i: Insn, prev: Insn | undefined, c: Cycles): void {
  c.instructions++;
  c.issue++;
  switch (i.cls) {
    case 'load': c.memory += t.load - 1; break;
    case 'store': c.memory += t.store - 1; break;
    case 'mul': c.multiply += t.mul - 1; break;
    case 'lmul': c.multiply += t.mulh - 1; break;
    case 'div': c.multiply += t.div - 1; break;
    case 'b': case 'bl': case 'bx': c.branch += t.jump - 1; break;
    case 'bcc': c.branch += t.branchNotTaken - 1; break;
    case 'sys': c.issue += t.csr - 1; break;
    default: break;
  }
  if (prev && (i.use & prev.def) !== 0) {
    if (prev.cls === 'load') c.loadUse += t.loadUse;
    else if (i.cls === 'bx') c.loadUse += t.jalrHazard;
  }
}

/** Cycles of instructions [from, to) of a block run straight through (a last conditional branch not taken). */
export function rv32SequenceCycles(t: Rv32CoreTiming, insns: Insn[], from = 0, to = insns.length): Cycles {
  const c = zeroCycles();
  for (let k = from; k < to; k++) insnCycles(t, insns[k], k > from ? insns[k - 1] : undefined, c);
  c.total = c.issue + c.memory + c.multiply + c.branch + c.loadUse;
  return c;
}

/** Cycles of every marker segment of an RV32 profile on `core`. */
export function rv32SegmentCycles(p: Profile, core: Rv32Core): Array<{ marker: number; cycles: Cycles }> {
  const t = RV32_CORE_TIMING[core];
  const memo = new Map<number, Cycles>();
  const get = (id: number) => {
    const b = p.blocks.get(id);
    if (!b) throw new TinyforgeError(`cycle profile: block ${id} executed but never described`);
    return b;
  };
  return p.segments.map((s) => {
    const c = zeroCycles();
    // How often each block's last instruction ran in this segment: its whole executions plus a partial
    // execution that reached the end (the tail after a marker; such a block may have no C line of its own).
    const ends = new Map<number, number>();
    for (const { id, count } of s.counts) ends.set(id, (ends.get(id) ?? 0) + count);
    for (const h of s.partial) if (h.to === get(h.id).insns.length) ends.set(h.id, (ends.get(h.id) ?? 0) + 1);
    const falls = new Map<number, number>();
    for (const { id, count, fall, jumped } of s.counts) {
      const b = get(id);
      let w = memo.get(id);
      if (!w) { w = rv32SequenceCycles(t, b.insns); memo.set(id, w); }
      add(c, w, count);
      falls.set(id, fall);
      // A jump or taken branch to a 32-bit instruction at an address = 2 mod 4 (CV32E40P: one more fetch).
      if (b.insns[0].size === 4 && (b.vaddr & 2) !== 0) c.branch += jumped * t.unalignedTarget;
    }
    // A conditional branch ending a block was taken whenever its block did not fall through.
    for (const [id, n] of ends) {
      const b = get(id);
      if (b.insns[b.insns.length - 1].cls === 'bcc') c.branch += Math.max(0, n - (falls.get(id) ?? 0)) * (t.branchTaken - t.branchNotTaken);
    }
    for (const h of s.partial) add(c, rv32SequenceCycles(t, get(h.id).insns, h.from, h.to));
    c.total = c.issue + c.memory + c.multiply + c.branch + c.loadUse + c.fetch + c.flashData;
    return { marker: s.marker, cycles: c };
  });
}

export function readRv32Profile(path: string): Profile {
  return readProfile(path, decodeRv32);
}

export interface Rv32ModelledRun {
  core: Rv32Core;
  layers: Array<{ index: number; name: string; kind: string; macs: number; cycles: Cycles }>;
  invoke: Cycles;
  macs: number;
}

/**
 * Runs inputs of an emitted model on QEMU riscv32 (one process) with the block profile and the exact counts,
 * and prices the first invoke for each core (one run serves both), per layer (markers 1/2) and for the
 * invoke (3..4); also returns every output and the counted instructions per invoke and per layer.
 * `simd`: the DSP kernels' source through runtime.h's portable intrinsics (-DTF_HOST_SIMD=1).
 */
export function modelRv32Run(em: EmittedModel, inputs: readonly Int8Array[], cores: readonly Rv32Core[], workDir: string, opts: { simd?: boolean } = {}):
  { runs: Record<string, Rv32ModelledRun>; outputs: Int8Array[]; invokeInstructions: number[]; layerInstructions: number[][] } {
  const profile = `${workDir}/profile-rv32.txt`;
  const r = runModel(em, inputs, 'rv32', { workDir, profile, count: true, simd: opts.simd });
  const prof = readRv32Profile(profile);
  const macs = em.layers.reduce((a, l) => a + l.macs, 0);
  const out: Record<string, Rv32ModelledRun> = {};
  for (const core of cores) {
    const { layers, invoke } = layerCycles(rv32SegmentCycles(prof, core), em);
    out[core] = {
      core, invoke, macs,
      layers: em.layers.map((l, i) => ({ index: l.index, name: l.name, kind: l.kind, macs: l.macs, cycles: layers[i] ?? zeroCycles() })),
    };
  }
  return { runs: out, outputs: r.outputs, invokeInstructions: r.invokeInstructions!, layerInstructions: r.layerInstructions! };
}

