// The object cache of the compile stage (mcu-backend/stages/compile.ts): a second compile of the same unit
// is a hit with the same object; a changed flag, define or included header is a miss; a corrupted or
// truncated entry is detected, deleted and rebuilt; concurrent compiles of one unit leave one good entry;
// and a program linked from a cached object runs as the plain compile does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheStats, compileObjects, compileObjectSync, objectCacheDir, type ObjectJob } from '../../mcu-backend/stages/compile.ts';
import { compileHost, runHost } from '../../mcu-backend/harness/run.ts';
import { scratchDir } from '../helpers/paths.ts';
import { needTools } from './helpers/tools.ts';

function setup(): { dir: string; job: (flags?: string[], out?: string) => ObjectJob } {
  const dir = scratchDir('tinyforge-objcache-');
  process.env.TINYFORGE_CACHE_DIR = join(dir, 'cache');
  writeFileSync(join(dir, 'k.h'), '#define K 7\n');
  writeFileSync(join(dir, 'unit.c'), '#include "k.h"\nint unit_value(int x) { return x * K + OFFSET; }\n');
  writeFileSync(join(dir, 'main.c'), '#include <stdio.h>\nint unit_value(int x);\nint main(void) { printf("%d\\n", unit_value(6)); return 0; }\n');
  let n = 0;
  return { dir, job: (flags = ['-O2', '-DOFFSET=1'], out) => ({ cc: 'gcc', flags: [...flags, `-I${dir}`], source: join(dir, 'unit.c'), out: out ?? join(dir, `o${n++}`, 'unit.o') }) };
}

const entries = (root: string) => readdirSync(root, { recursive: true }).map(String).filter((f) => f.endsWith('.o'));

test('object cache: miss then hit with the same object; a flag, define or header change is a miss', (t) => {
  if (!needTools(t, 'host')) return;
  const { dir, job } = setup();
  assert.equal(objectCacheDir(), join(dir, 'cache'));
  const a = compileObjectSync(job());
  const b = compileObjectSync(job());
  assert.equal(a.hit, false);
  assert.equal(b.hit, true);
  assert.equal(a.key, b.key);
  assert.deepEqual(readFileSync(b.out), readFileSync(a.out));
  // Another optimisation level and another define: other keys, compiled again.
  const c = compileObjectSync(job(['-O1', '-DOFFSET=1']));
  const d = compileObjectSync(job(['-O2', '-DOFFSET=2']));
  assert.equal(c.hit, false);
  assert.equal(d.hit, false);
  assert.equal(new Set([a.key, c.key, d.key]).size, 3);
  // The included header is part of the key.
  writeFileSync(join(dir, 'k.h'), '#define K 8\n');
  const e = compileObjectSync(job());
  assert.equal(e.hit, false);
  assert.notEqual(e.key, a.key);
  assert.equal(entries(join(dir, 'cache')).length, 4);
});

test('object cache: a corrupted or truncated entry is detected, removed and rebuilt', (t) => {
  if (!needTools(t, 'host')) return;
  const { dir, job } = setup();
  const a = compileObjectSync(job());
  const [entry] = entries(join(dir, 'cache'));
  const path = join(dir, 'cache', entry!);
  const good = readFileSync(path);
  const bad = Buffer.from(good);
  bad[Math.floor(bad.length / 2)]! ^= 0xff;
  writeFileSync(path, bad);
  const corrupt0 = cacheStats.corrupt;
  const b = compileObjectSync(job());
  assert.equal(b.hit, false);
  assert.equal(cacheStats.corrupt, corrupt0 + 1);
  assert.deepEqual(readFileSync(b.out), readFileSync(a.out));
  assert.deepEqual(readFileSync(path), good);
  writeFileSync(path, good.subarray(0, 100));
  const c = compileObjectSync(job());
  assert.equal(c.hit, false);
  assert.equal(cacheStats.corrupt, corrupt0 + 2);
  assert.equal(compileObjectSync(job()).hit, true);
});

test('object cache: concurrent compiles of one unit leave one good entry; a cached object links and runs', async (t) => {
  if (!needTools(t, 'host')) return;
  const { dir, job } = setup();
  const rs = await compileObjects([job(), job(), job()], { jobs: 3 });
  assert.equal(rs.length, 3);
  for (const r of rs) assert.deepEqual(readFileSync(r.out), readFileSync(rs[0]!.out));
  assert.equal(entries(join(dir, 'cache')).length, 1);
  assert.equal(compileObjectSync(job()).hit, true);
  // Linked from the cache (CProgram.cached) and linked plainly: the same output, 6 * 7 + 1.
  const prog = { sources: [join(dir, 'unit.c'), join(dir, 'main.c')], includeDirs: [dir], defines: { OFFSET: 1 } };
  compileHost({ ...prog, cached: [join(dir, 'unit.c')] }, join(dir, 'cached-exe'), { simd: false });
  compileHost(prog, join(dir, 'plain-exe'), { simd: false });
  assert.equal(runHost(join(dir, 'cached-exe')).stdout, '43\n');
  assert.equal(runHost(join(dir, 'plain-exe')).stdout, '43\n');
});
