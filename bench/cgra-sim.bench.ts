// Speed of the OpenEdgeCGRA simulator in simulated PE instructions per second (every PE slot of every
// executed step, NOPs included: the simulator's unit of work), on two workloads:
// - the hand-written 3x3 convolution of one plane (cgra-mapper/examples/conv3x3.s) relaunched repeatedly:
//   realistic mix of loads, multiplies, neighbour reads and branches, with per-launch setup and statistics;
// - a 4x4 loop keeping all 16 PEs busy with ALU work for 2 million iterations in one launch (steady state).
// Target: >= 50 million PE instructions per second.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { makeArch } from '../cgra-mapper/arch.ts';
import { assembleImage } from '../cgra-mapper/isa/asm.ts';
import { CgraSim } from '../cgra-mapper/sim/sim.ts';
import { repoRoot } from '../compiler/paths.ts';

const LOOP = `kernel 1 name=busy cols=4
step 0
  LWD R0, 4          | SADD R1, 1, ZERO   | SADD R1, 2, ZERO   | SADD R1, 3, ZERO
  SADD R1, 5, ZERO   | SADD R1, 6, ZERO   | SADD R1, 7, ZERO   | SADD R1, 8, ZERO
  SADD R1, 9, ZERO   | SADD R1, 10, ZERO  | SADD R1, 11, ZERO  | SADD R1, 12, ZERO
  SADD R1, 13, ZERO  | SADD R1, 14, ZERO  | SADD R1, 15, ZERO  | SADD R1, 16, ZERO
step 1 loop:
  SSUB R0, R0, 1     | SADD R2, R2, RCL   | LXOR R2, R2, RCT   | SADD R2, RCB, R1
  SADD R2, R2, RCR   | SLL R2, R1, 3      | SRA R2, RCL, 1     | SSUB R2, R2, RCT
  LAND R2, R2, RCB   | SADD R2, R2, R1    | LOR R2, R2, RCR    | SADD R2, R2, RCL
  SADD R2, R2, RCT   | BSFA R2, R1, R2, RCL | SADD R2, R2, 1   | SADD R3, R3, 1
step 2
  BNE R0, ZERO, loop | SADD R2, R2, RCL   | LXOR R2, R2, RCT   | SADD R2, RCB, R1
  SADD R2, R2, RCR   | SLL R2, R1, 3      | SRA R2, RCL, 1     | SSUB R2, R2, RCT
  LAND R2, R2, RCB   | SADD R2, R2, R1    | LOR R2, R2, RCR    | SADD R2, R2, RCL
  SADD R2, R2, RCT   | BZFA R2, R1, R2, RCL | SADD R2, R2, 1   | SADD R3, R3, 1
step 3
  EXIT | NOP | NOP | NOP
  NOP  | NOP | NOP | NOP
  NOP  | NOP | NOP | NOP
  NOP  | NOP | NOP | SWD R3, 4
end
`;

/** Runs fn until minMs of wall time passed; returns its work, the wall time and this process's CPU time
 *  (the machine is shared, so the CPU time is the fair denominator; both are reported). */
function timeIt(fn: () => number, minMs: number): { slots: number; ms: number; cpuMs: number } {
  let slots = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let ms = 0;
  do slots += fn(); while ((ms = performance.now() - t0) < minMs);
  const c = process.cpuUsage(c0);
  return { slots, ms, cpuMs: (c.user + c.system) / 1000 };
}

/** Calibration: the rate of a trivial typed-array loop (two loads, an add, a store) on this machine now. */
function calibrate(): { slots: number; ms: number; cpuMs: number } {
  const S = new Int32Array(1024);
  const A = Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 64), B = Int32Array.from({ length: 16 }, (_, i) => (i * 13) % 64);
  let x = 0;
  const r = timeIt(() => {
    for (let it = 0; it < 250_000; it++) for (let k = 0; k < 16; k++) { const v = (S[A[k]] + S[B[k]] + it) | 0; S[100 + k] = v; x ^= v; }
    return 4_000_000;
  }, 1000);
  if (x === 12345) console.log('');
  return r;
}

export default async () => {
  const arch = makeArch();

  // conv3x3: 6x8 plane -> 4x6 outputs per launch.
  const conv = new CgraSim(arch, assembleImage(readFileSync(join(repoRoot, 'cgra-mapper', 'examples', 'conv3x3.s'), 'utf8'), { arch }), 8192);
  conv.writeWords(0x400, Array.from({ length: 48 }, (_, i) => i - 20));
  for (let j = 0; j < 3; j++) conv.writeWords(0x100 + 32 * j, [1, 2, 3, ...[0, 1, 2].map((i) => 0x400 + 4 * (i * 8 + j))]);
  const convOnce = () => conv.launch(1, [0x100, 0x120, 0x140], [0, 0x800, 0]).peSlots;
  for (let i = 0; i < 200; i++) convOnce(); // warm-up
  const c = timeIt(convOnce, 2000);

  // busy loop: one launch, 2M iterations x 2 steps x 16 PEs.
  const ITER = 2_000_000;
  const busy = new CgraSim(arch, assembleImage(LOOP, { arch }), 4096);
  busy.writeWords(0, [1000]);
  busy.launch(1, [0], [64]); // warm-up
  busy.writeWords(0, [ITER]);
  let s!: ReturnType<CgraSim['launch']>;
  const b = timeIt(() => { s = busy.launch(1, [0], [64]); return s.peSlots; }, 0);
  const cal = calibrate();
  const load = loadavg()[0];

  const rate = (slots: number, ms: number) => Math.round(slots / (ms / 1000));
  const show = (name: string, r: { slots: number; ms: number; cpuMs: number }, unit = 'PE instructions') =>
    console.log(`${name}: ${(rate(r.slots, r.cpuMs) / 1e6).toFixed(1)} M ${unit} per CPU second, ` +
      `${(rate(r.slots, r.ms) / 1e6).toFixed(1)} M per wall second (${r.slots} in ${r.cpuMs.toFixed(0)} ms CPU / ${r.ms.toFixed(0)} ms wall)`);
  show('conv3x3 relaunched', c);
  show('busy loop, one launch', b);
  show('calibration: trivial typed-array loop', cal, 'loop iterations');
  console.log(`load average during the run: ${load.toFixed(1)} on ${cpus().length} cores`);
  return {
    unit: 'simulated PE instructions per second (kernel PEs x executed steps, NOPs included), per CPU second of this process and per wall second',
    target: 50e6,
    loadAverage: load,
    calibrationTrivialLoopOpsPerCpuSecond: rate(cal.slots, cal.cpuMs),
    cores: cpus().length,
    conv3x3Relaunched: { perCpuSecond: rate(c.slots, c.cpuMs), perWallSecond: rate(c.slots, c.ms), peInstructions: c.slots, cpuMs: Math.round(c.cpuMs), wallMs: Math.round(c.ms) },
    busyLoop: { perCpuSecond: rate(b.slots, b.cpuMs), perWallSecond: rate(b.slots, b.ms), peInstructions: b.slots, cpuMs: Math.round(b.cpuMs), wallMs: Math.round(b.ms), cycles: s.cycles },
  };
};
