// The Cortex-M harness: the icount plugin's count against hand-counted instruction sequences, fault and
// exit statuses through semihosting, DSP instructions faulting on the Cortex-M3 board, a RAM budget
// given with --defsym failing the link, the test-input section living in the board's PSRAM, and a tool over
// its time limit stopped with its children.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { between, compileArm, runQemu } from '../../mcu-backend/harness/run.ts';
import { exec, execAsync } from '../../mcu-backend/harness/exec.ts';
import { scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

function program(dir: string, name: string, body: string): string {
  const src = join(dir, `${name}.c`);
  writeFileSync(src, `int main(void)\n{\n${body}\n}\n`);
  return src;
}

test('icount plugin counts exactly the instructions between dbg markers', (t) => {
  if (!needTools(t, 'm4')) return;
  const dir = scratchDir();
  // Between dbg #1 and dbg #2: movs (1) + 10 x (subs, bne) = 21. Between dbg #2 and dbg #3: 3 nops.
  // Between dbg #3 and dbg #4: a loop of 7 iterations of 3 instructions + movs = 22.
  const src = program(dir, 'count', `  __asm volatile(
    "dbg #1\\n\\tmovs r0, #10\\n1:\\n\\tsubs r0, #1\\n\\tbne 1b\\n\\t"
    "dbg #2\\n\\tnop\\n\\tnop\\n\\tnop\\n\\t"
    "dbg #3\\n\\tmovs r1, #7\\n2:\\n\\tadds r2, r2, r1\\n\\tsubs r1, #1\\n\\tbne 2b\\n\\tdbg #4" ::: "r0", "r1", "r2", "cc");
  return 42;`);
  const elf = join(dir, 'count.elf');
  const c = compileArm({ sources: [src], includeDirs: [] }, elf, 'm4');
  assert.equal(c.status, 0, c.stderr);
  for (let rep = 0; rep < 2; rep++) {
    const r = runQemu(elf, 'm4', { count: true, timeoutMs: 20_000 });
    assert.equal(r.status, 42, 'exit status through SYS_EXIT_EXTENDED');
    assert.deepEqual(r.markers.map((m) => m.n), [1, 2, 3, 4]);
    assert.equal(between(r.markers[0], r.markers[1]), 21);
    assert.equal(between(r.markers[1], r.markers[2]), 3);
    assert.equal(between(r.markers[2], r.markers[3]), 22);
    assert.ok((r.totalInstructions ?? 0) > r.markers[3].before);
  }
});

test('a DSP instruction faults on the Cortex-M3 board (UsageFault = 206) and runs on the M4', (t) => {
  if (!needTools(t, 'm3')) return;
  const dir = scratchDir();
  const src = program(dir, 'dsp', '  int r;\n  __asm volatile("sxtb16 %0, %1" : "=r"(r) : "r"(0x00ff00fe));\n  return r == (int)0xffffFFFE ? 7 : 8;');
  const elf = join(dir, 'dsp.elf');
  const c = compileArm({ sources: [src], includeDirs: [] }, elf, 'm4');
  assert.equal(c.status, 0, c.stderr);
  assert.equal(runQemu(elf, 'm3', { timeoutMs: 20_000 }).status, 206);
  assert.equal(runQemu(elf, 'm4', { timeoutMs: 20_000 }).status, 7);
});

test('a RAM budget below the program\'s needs fails the link', (t) => {
  if (!needTools(t, 'arm-gcc')) return;
  const dir = scratchDir();
  const src = program(dir, 'big', '  static volatile char buf[6000];\n  buf[5] = 1;\n  return buf[5];');
  const elf = join(dir, 'big.elf');
  const bad = compileArm({ sources: [src], includeDirs: [] }, elf, 'm3', { ramBytes: 8 * 1024, stackBytes: 4096 });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /region `RAM' overflowed/);
  const ok = compileArm({ sources: [src], includeDirs: [] }, elf, 'm3', { ramBytes: 12 * 1024, stackBytes: 4096 });
  assert.equal(ok.status, 0, ok.stderr);
});

test('the driver\'s test inputs (tf_run_inputs) live in the PSRAM at 0x21000000, outside a 16 KiB flash budget, and read back on QEMU', (t) => {
  if (!needTools(t, 'm4')) return;
  const dir = scratchDir();
  // 64 KiB of data, four times the flash budget; the value of byte i is (i * 7 + (i >> 8)) & 0xff.
  const n = 65536;
  const byte = (i: number) => (i * 7 + (i >> 8)) & 0xff;
  const src = join(dir, 'psram.c');
  // Named as the runner's driver header names its inputs (mcu-backend/runner.ts), no attribute: the linker
  // script picks it out by its -fdata-sections section name.
  writeFileSync(src, `static const unsigned char tf_run_inputs[${n}] = {` +
    Array.from({ length: n }, (_, i) => byte(i)).join(',') + `};\nint main(void)\n{\n  volatile const unsigned char *p = tf_run_inputs;\n  return (p[1000] + p[40000] + p[65535]) & 0xff;\n}\n`);
  const elf = join(dir, 'psram.elf');
  const c = compileArm({ sources: [src], includeDirs: [] }, elf, 'm4', { flashBytes: 16 * 1024 });
  assert.equal(c.status, 0, c.stderr);
  const size = spawnSync('arm-none-eabi-size', ['-A', elf], { encoding: 'utf8' });
  const sec = /^\.tf_inputs\s+(\d+)\s+(\d+)/m.exec(size.stdout);
  assert.ok(sec, size.stdout);
  assert.equal(Number(sec[1]), n);
  assert.equal(Number(sec[2]), 0x21000000);
  const r = runQemu(elf, 'm4', { timeoutMs: 20_000 });
  assert.equal(r.status, (byte(1000) + byte(40000) + byte(65535)) & 0xff);
});

test('a tool that runs over its time limit is stopped with all its children (a compiler driver leaves no cc1 behind)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tinyforge-exec-'));
  const pidFile = join(dir, 'child.pid');
  // the shell stands for gcc, its background sleep for cc1
  const r = exec('sh', ['-c', `sleep 60 & echo $! > ${pidFile}; wait`], 1_000);
  assert.equal(r.timedOut, true);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(pid > 0);
  let alive = true;
  for (let i = 0; i < 40 && alive; i++) {
    try { process.kill(pid, 0); await new Promise((res) => setTimeout(res, 100)); } catch { alive = false; }
  }
  assert.equal(alive, false, `the child ${pid} outlived the limit`);
  assert.equal(exec('sh', ['-c', 'exit 3'], 5_000).status, 3, 'a quick command keeps its exit status');
  // the same for the parallel compiles: over the limit, and aborted (a newer selection)
  for (const how of ['limit', 'abort'] as const) {
    rmSync(pidFile, { force: true });
    const ac = new AbortController();
    const run = execAsync('sh', ['-c', `sleep 60 & echo $! > ${pidFile}; wait`], { timeoutMs: how === 'limit' ? 1_000 : 60_000, signal: ac.signal });
    if (how === 'abort') { while (!existsSync(pidFile)) await new Promise((res) => setTimeout(res, 50)); ac.abort(); }
    const outcome = await run.then((r) => `timedOut=${r.timedOut}`, (e: Error) => e.name);
    assert.equal(outcome, how === 'limit' ? 'timedOut=true' : 'AbortError');
    const child = Number(readFileSync(pidFile, 'utf8'));
    let gone = false;
    for (let i = 0; i < 40 && !gone; i++) {
      try { process.kill(child, 0); await new Promise((res) => setTimeout(res, 100)); } catch { gone = true; }
    }
    assert.ok(gone, `${how}: the child ${child} outlived its group`);
  }
  assert.throws(() => exec('no-such-tool-tinyforge', [], 5_000), /cannot run no-such-tool-tinyforge: not found on PATH/);
  rmSync(dir, { recursive: true, force: true });
});
