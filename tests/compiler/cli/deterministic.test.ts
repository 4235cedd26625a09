// Deterministic builds (issue #19): one config built from two different folders gives byte-identical
// artefacts, every file of both targets included (C, ELF-free reports, CGRA bitstreams and reports,
// verification records). report.txt used to embed the absolute output path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot, scratchDir } from '../../helpers/paths.ts';
import { needTools } from '../../mcu-backend/helpers/tools.ts';

const CONFIG = `name: det
network:
  seed: 3
  input: { shape: [8, 8, 2], scale: 0.05, zero_point: -3 }
  layers:
    - { op: conv2d, filters: 4, kernel: 3, activation: relu }
    - { op: depthwise_conv2d, kernel: 3 }
    - { op: flatten }
    - { op: fully_connected, units: 3 }
targets:
  mcu: { cpu: cortex-m4, flash: 1M, sram: 256K }
  cgra: { rows: 4, cols: 4 }
`;

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

test('the same config built in two folders gives byte-identical artefacts', (t) => {
  if (!needTools(t, 'm4')) return;
  const base = scratchDir();
  const outs = ['a', 'b/deeper'].map((sub) => {
    const dir = join(base, sub);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'det.yaml'), CONFIG);
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'tinyforge.mjs'), 'build', 'det.yaml'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return join(dir, 'out', 'det');
  });
  const [a, b] = outs as [string, string];
  const fa = files(a), fb = files(b);
  assert.deepEqual(fa, fb);
  assert.ok(fa.some((f) => f.endsWith('.c')) && fa.some((f) => f.startsWith('cgra')), `both targets wrote files: ${fa.join(', ')}`);
  for (const f of fa) assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} differs between ${relative(base, a)} and ${relative(base, b)}`);
});
