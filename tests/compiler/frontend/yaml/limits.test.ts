// Hostile and careless configs fail at once with one located line: YAML alias bombs, unresolved and
// self-referencing aliases, and sizes that would hang the weight generator or exhaust memory (issue #19's
// findings: `filters: 2147483648` hung, `filters: 100000000` took 5.9 GB, a huge shape threw a RangeError).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../../../compiler/frontend/yaml/config.ts';
import { TinyforgeError } from '../../../../compiler/diagnostics.ts';
import { scratchDir } from '../../../helpers/paths.ts';

const dir = scratchDir();
const cases: Array<[string, string, RegExp]> = [
  ['alias bomb', [
    'a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]', 'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]', 'name: x'].join('\n'),
    /:2:8: YAML aliases expand to too many nodes/],
  ['unresolved alias', 'name: *nope\n', /:1:7: alias \*nope has no anchor &nope before it/],
  ['self-referencing alias', 'name: x\nnetwork: &n\n  input: { shape: [4, 4, 1] }\n  layers: [*n]\n', /:4:12: alias \*n refers to a node that contains it/],
  ['too many aliases', `name: &v x\nlist: [${Array.from({ length: 70 }, () => '*v').join(', ')}]\n`, /more than 64 YAML aliases/],
  ['filters: 2^31', net('{ op: conv2d, filters: 2147483648, kernel: 1 }'), /:5:30: network\.layers\[0\]\.filters must be an integer from 1 to 65536 \(got 2147483648\)/],
  ['filters: 10^8', net('{ op: conv2d, filters: 100000000, kernel: 1 }'), /filters must be an integer from 1 to 65536/],
  ['huge input dimension', net('{ op: conv2d, filters: 4, kernel: 1 }', '[100000, 100000, 1000]'), /network\.input\.shape\[0\] must be an integer from 1 to 65536/],
  ['input over the element limit', net('{ op: conv2d, filters: 4, kernel: 1 }', '[1024, 1024, 17]'), /:3:19: input shape \[1,1024,1024,17\] has 17825792 elements, more than the 16777216/],
  ['weights over the element limit', net('{ op: conv2d, filters: 65536, kernel: 16 }', '[16, 16, 1024]'), /:5:7: layer 0 \(conv2d 'conv2d_0'\): weights of shape \[65536,16,16,1024\] have \d+ elements, more than the 16777216/],
  ['output over the element limit', net('{ op: conv2d, filters: 65536, kernel: 1 }', '[64, 64, 1]'), /layer 0 \(conv2d 'conv2d_0'\): output shape \[1,64,64,65536\] has 268435456 elements/],
  ['huge kernel', net('{ op: conv2d, filters: 4, kernel: 5000 }'), /kernel must be an integer from 1 to 1024/],
];

function net(layer: string, shape = '[8, 8, 1]'): string {
  return `name: big\nnetwork:\n  input: { shape: ${shape} }\n  layers:\n    - ${layer}\ntargets:\n  mcu: { cpu: cortex-m4, flash: 1M, sram: 256K }\n`;
}

for (const [what, text, re] of cases) {
  test(`config with ${what}: one located line, no allocation`, () => {
    const p = join(dir, `${what.replace(/\W+/g, '_')}.yaml`);
    writeFileSync(p, text);
    const t0 = Date.now();
    assert.throws(() => loadConfig(p), (e: unknown) => {
      assert.ok(e instanceof TinyforgeError, `expected a TinyforgeError, got ${e}`);
      assert.match(e.format(), re);
      assert.ok(e.format().startsWith(p), 'names the file');
      assert.ok(!e.format().includes('\n'), 'one line');
      return true;
    });
    assert.ok(Date.now() - t0 < 5000, 'fails fast');
  });
}
