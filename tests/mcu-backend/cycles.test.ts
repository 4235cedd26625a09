// The cycle model (mcu-backend/timing/) on instruction micro-sequences run on QEMU under the plugin's
// block profile: each sequence sits between `dbg #1` and `dbg #2` (Thumb-2) or the ARMv6-M marker hint, and
// the modelled cycles of that segment must equal the count computed by hand below from the Technical
// Reference Manuals' instruction timing (Cortex-M4 TRM table 3-1, Cortex-M3 TRM table 18-1, Cortex-M0+ TRM
// instruction summary). Every expected value includes 1 cycle for the opening marker (a NOP hint), which
// the segment contains; the closing marker belongs to the next segment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileArm, runQemu, type QemuCpu } from '../../mcu-backend/harness/run.ts';
import { readProfile, segmentCycles } from '../../mcu-backend/timing/model.ts';
import { decode } from '../../mcu-backend/timing/thumb.ts';
import { partMemory } from '../../mcu-backend/timing/memory.ts';
import { scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

interface Seq { name: string; asm: string; expect: Partial<Record<QemuCpu, number>> }

// r2 points at a 4-word buffer whose first word holds its own address (for the dependent load).
const SEQS: Seq[] = [
  // 8 x ADDS: 1 cycle each on every core.
  { name: 'alu', asm: 'adds r0, #1\n'.repeat(8), expect: { m4: 1 + 8, m3: 1 + 8, m0plus: 1 + 8 } },
  // Three independent LDRs: M3/M4 "LDR 2, a neighbouring load pipelines to 1": 2 + 1 + 1; M0+: 2 each.
  { name: 'ldr x3', asm: 'ldr r1, [r2]\nldr r3, [r2, #4]\nldr r4, [r2, #8]\n', expect: { m4: 1 + 4, m3: 1 + 4, m0plus: 1 + 6 } },
  // LDR whose address is the previous load's result: cannot pipeline: 2 + 2.
  { name: 'ldr dependent', asm: 'ldr r1, [r2]\nldr r3, [r1]\n', expect: { m4: 1 + 4, m3: 1 + 4, m0plus: 1 + 4 } },
  // STR with immediate offset: 1 on M3/M4 (the data phase overlaps the next instruction); 2 on M0+.
  { name: 'str x2', asm: 'str r1, [r2, #12]\nstr r1, [r2, #8]\n', expect: { m4: 1 + 2, m3: 1 + 2, m0plus: 1 + 4 } },
  // "Nothing can be pipelined after the store" (M3/M4 TRM): STR imm 1, then LDR 2; M0+: 2 + 2.
  { name: 'str then ldr', asm: 'str r1, [r2, #12]\nldr r3, [r2]\n', expect: { m4: 1 + 3, m3: 1 + 3, m0plus: 1 + 4 } },
  // "STR can only be pipelined when it follows an LDR": MOVS 1, LDR 2, STR [reg] pipelined 1 (the TRM's
  // LDR R0,[R1,R2]; STR R1,[R3,R2] "normally three cycles total"); M0+: 1 + 2 + 2.
  { name: 'ldr then str reg', asm: 'movs r0, #0\nldr r1, [r2]\nstr r1, [r2, r0]\n', expect: { m4: 1 + 4, m3: 1 + 4, m0plus: 1 + 5 } },
  // A load whose address the preceding data-processing instruction wrote: +1 on M3/M4 ("no forwarding
  // path"): MOV 1 + LDR 2 + 1; M0+: 1 + 2.
  { name: 'address interlock', asm: 'mov r3, r2\nldr r1, [r3]\n', expect: { m4: 1 + 4, m3: 1 + 4, m0plus: 1 + 3 } },
  // LDM of 4 registers: 1 + N = 5 on all three.
  { name: 'ldm', asm: 'ldm r2!, {r3, r4, r5, r6}\n', expect: { m4: 1 + 5, m3: 1 + 5, m0plus: 1 + 5 } },
  // MULS: 1 (M0+ single-cycle multiplier, M3, M4).
  { name: 'muls', asm: 'muls r0, r1, r0\nmuls r0, r1, r0\n', expect: { m4: 1 + 2, m3: 1 + 2, m0plus: 1 + 2 } },
  // Taken B to a 16-bit instruction, then that instruction: B = 1 + P with P = 1 (M3/M4), 2 on M0+; + 1.
  { name: 'b taken', asm: 'b 1f\nnop\n1:\nnop\n', expect: { m4: 1 + 2 + 1, m3: 1 + 2 + 1, m0plus: 1 + 2 + 1 } },
  // Loop of 5: MOVS 1, then 5 x (SUBS 1 + BNE 1), 4 taken back-edges x refill 1: 1 + 10 + 4 = 15.
  { name: 'loop', asm: 'movs r0, #5\n1:\nsubs r0, #1\nbne 1b\n', expect: { m4: 1 + 15, m3: 1 + 15, m0plus: 1 + 15 } },
  // A conditional branch not taken: 1 on every core (M0+ TRM "2 if taken, 1 if not"; M3/M4 "1 or 1+P"):
  // MOVS 1 + CMP 1 + BEQ 1 + NOP 1.
  { name: 'bcc not taken', asm: 'movs r0, #0\ncmp r0, #1\nbeq 1f\nnop\n1:\n', expect: { m4: 1 + 4, m3: 1 + 4, m0plus: 1 + 4 } },
  // A call and its return, then a branch over the callee to a 16-bit NOP. M0+ TRM: BL 3, BX 2, B 2, NOP 1 = 8.
  // M3/M4 TRM: BL 1+P, BX 1+P, B 1+P (P = 1..3 by target and "whether the processor manages to speculate the
  // address early"): P = 1 for BL and B (immediate targets to 16-bit instructions), P = 2 for BX (the model's
  // choice for a register target, which cannot be speculated early): 2 + 3 + 2 + 1 = 8.
  { name: 'bl bx b', asm: 'bl 2f\nb 3f\n2:\nbx lr\n3:\nnop\n', expect: { m4: 1 + 8, m3: 1 + 8, m0plus: 1 + 8 } },
];

// Thumb-2 only: MLA (M4 1, M3 2), UMULL (M4 1, M3 3..5, modelled 4), LDRD (1 + N = 3), PUSH/POP of 3 (1 + N).
const SEQS_V7: Seq[] = [
  { name: 'mla x2', asm: 'mla r0, r1, r3, r0\nmla r0, r1, r3, r0\n', expect: { m4: 1 + 2, m3: 1 + 4 } },
  { name: 'umull', asm: 'umull r0, r1, r3, r4\n', expect: { m4: 1 + 1, m3: 1 + 4 } },
  { name: 'ldrd', asm: 'ldrd r4, r5, [r2]\n', expect: { m4: 1 + 3, m3: 1 + 3 } },
  { name: 'push pop', asm: 'push {r4, r5, r6}\npop {r4, r5, r6}\n', expect: { m4: 1 + 4 + 4, m3: 1 + 4 + 4 } },
  // IT "can be folded onto a preceding 16-bit Thumb instruction" (0 cycles): CMP 1 + IT 0 + MOVEQ 1.
  { name: 'it folded', asm: 'cmp r0, r0\nit eq\nmoveq r1, r2\n', expect: { m4: 1 + 2, m3: 1 + 2 } },
  // CBZ not taken: 1 (TRM "1 or 1+P"): MOVS 1 + CBZ 1 + NOP 1.
  { name: 'cbz not taken', asm: 'movs r0, #1\ncbz r0, 1f\nnop\n1:\n', expect: { m4: 1 + 3, m3: 1 + 3 } },
];

function program(dir: string, cpu: QemuCpu, seqs: Seq[]): string {
  const v6 = cpu === 'm0plus';
  const m1 = v6 ? '.hword 0xbf80' : 'dbg #1', m2 = v6 ? '.hword 0xbf90' : 'dbg #2';
  const body = seqs.map((s) => `  __asm volatile(".syntax unified\\nmov r2, %0\\n${m1}\\n${s.asm.replace(/\n/g, '\\n')}${m2}\\n" :: "r"(buf) : "r0", "r1", "r2", "r3", "r4", "r5", "r6", "lr", "cc", "memory");`).join('\n');
  const src = join(dir, `seq-${cpu}.c`);
  writeFileSync(src, `#include <stdint.h>\nstatic uint32_t buf[8];\nint main(void)\n{\n  buf[0] = (uint32_t)(uintptr_t)buf;\n${body}\n  return 0;\n}\n`);
  return src;
}

for (const cpu of ['m4', 'm3', 'm0plus'] as QemuCpu[]) {
  test(`cycle model on ${cpu}: micro-sequences take the TRM's cycles`, (t) => {
    if (!needTools(t, cpu)) return;
    const dir = scratchDir();
    const seqs = cpu === 'm0plus' ? SEQS : [...SEQS, ...SEQS_V7];
    const elf = join(dir, `seq-${cpu}.elf`);
    const c = compileArm({ sources: [program(dir, cpu, seqs)], includeDirs: [] }, elf, cpu, {}, ['-O1']);
    assert.equal(c.status, 0, c.stderr);
    const prof = join(dir, `seq-${cpu}.prof`);
    const r = runQemu(elf, cpu, { profile: prof, timeoutMs: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    const segs = segmentCycles(readProfile(prof), { cpu }).filter((s) => s.marker === 2);
    assert.equal(segs.length, seqs.length);
    seqs.forEach((s, k) => assert.equal(segs[k].cycles.total, s.expect[cpu], `${cpu} ${s.name}: ${JSON.stringify(segs[k].cycles)}`));
  });
}

test('Thumb decoding of the classes timing depends on', () => {
  // Encodings from the ARMv7-M ARM: LDR r1,[r2] = 6811; LDM r2!,{r3-r6} = ca78; POP {r4,pc} = bd10;
  // MLA r0,r1,r3,r0 = fb01 0003; SDIV r0,r1,r2 = fb91 f0f2; BL = f000 f800; BNE.N = d1fe; LDRD r4,r5,[r2] = e9d2 4500.
  assert.equal(decode('1168').cls, 'load');
  assert.deepEqual([decode('78ca').cls, decode('78ca').nregs], ['ldm', 4]);
  const pop = decode('10bd');
  assert.deepEqual([pop.cls, pop.nregs, pop.writesPc], ['ldm', 2, true]);
  assert.equal(decode('01fb0300').cls, 'mac');
  assert.equal(decode('91fbf2f0').cls, 'div');
  assert.equal(decode('00f000f8').cls, 'bl');
  assert.equal(decode('fed1').cls, 'bcc');
  assert.equal(decode('d2e90045').cls, 'ldrd');
  assert.equal(decode('aff30180').cls, 'nop'); // dbg #1
});

test('memory model: the plugin\'s flash data cache and the wait states at the clock (stm32l4r5)', (t) => {
  if (!needTools(t, 'm4')) return;
  const dir = scratchDir();
  // Two passes of 256 word loads over a 1 KiB table in flash (32-byte aligned, so no line is shared with
  // the literal that holds its address). The L4R5 entry: 256 B data cache of 8-byte
  // lines (32 lines, 4-way LRU). By hand: 2 words per line -> 128 line misses per pass; the table is 4x
  // the cache, so LRU keeps none of it for the second pass: 512 flash loads, 256 misses. Each miss stalls
  // for the wait states: 5 at 120 MHz (range 1 boost, 20 MHz per WS), 1 at 16 MHz (range 2: WS 1 up to
  // 16 MHz), 0 at 8 MHz.
  const src = join(dir, 'flash.c');
  writeFileSync(src, `#include <stdint.h>\nconst uint32_t tab[256] __attribute__((aligned(32))) = {1};\nint main(void)\n{\n  __asm volatile(".syntax unified\\n"
    "dbg #1\\n movs r2, #2\\n 2: mov r0, %0\\n movs r1, #255\\n adds r1, #1\\n 1: ldr r3, [r0], #4\\n subs r1, #1\\n bne 1b\\n subs r2, #1\\n bne 2b\\n dbg #2\\n"
    :: "r"(tab) : "r0", "r1", "r2", "r3", "cc", "memory");\n  return 0;\n}\n`);
  const elf = join(dir, 'flash.elf');
  const c = compileArm({ sources: [src], includeDirs: [] }, elf, 'm4', {}, ['-O1']);
  assert.equal(c.status, 0, c.stderr);
  const part = partMemory('stm32l4r5');
  const prof = join(dir, 'flash.prof');
  const r = runQemu(elf, 'm4', { profile: prof, caches: { icache: part.icache, dcache: part.dcache }, timeoutMs: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  const p = readProfile(prof);
  const seg = p.segments.find((s) => s.marker === 2)!;
  assert.deepEqual(seg.flash, { loads: 512, miss: 256 });
  const at = (clockMHz: number) => segmentCycles(p, { cpu: 'm4', part, clockMHz }).find((s) => s.marker === 2)!.cycles;
  assert.equal(at(120).flashData, 256 * 5);
  assert.equal(at(16).flashData, 256 * 1);
  assert.equal(at(8).flashData, 0);
  assert.equal(at(8).fetch, 0);
  // The loop's code (a few lines) stays in the 1 KiB instruction cache: at most its first pass misses.
  assert.ok(seg.icache!.jumpMiss + seg.icache!.seqMiss <= 8, JSON.stringify(seg.icache));
  // Without a part the same profile is priced as zero-wait memory.
  assert.equal(segmentCycles(p, { cpu: 'm4' }).find((s) => s.marker === 2)!.cycles.flashData, 0);
});
