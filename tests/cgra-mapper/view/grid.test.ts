// The PE-grid views: an instruction too long for its cell is squeezed to the cell (SVG textLength) instead
// of running into the neighbouring cell, short ones keep their natural width, and step counts read well.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeArch } from '../../../cgra-mapper/arch.ts';
import { assemble } from '../../../cgra-mapper/isa/asm.ts';
import { viewHtml, viewText } from '../../../cgra-mapper/view/grid.ts';

const arch = makeArch({});
const src = `kernel 1 name=k cols=1
step 0
  BSFA ROUT, -4096, ROUT, RCT
  NOP
  NOP
  NOP
step 1
  NOP
  NOP
  NOP
  NOP
step 2
  EXIT
  NOP
  NOP
  NOP
end
`;

test('a long instruction is fitted to its cell; a short one is not stretched', () => {
  const kernels = assemble(src, { arch });
  const html = viewHtml(arch, kernels, { bus: 'ports', title: 't' });
  const texts = [...html.matchAll(/<text [^>]*font-family="monospace"[^>]*>([^<]*)<\/text>/g)];
  const long = texts.find((m) => m[1].startsWith('BSFA'));
  const nop = texts.find((m) => m[1] === 'NOP');
  assert.ok(long && nop);
  // 27 characters of 12px monospace (about 7.2px each, about 195px) cannot fit a 170px cell.
  assert.match(long[0], /textLength="\d+" lengthAdjust="spacingAndGlyphs"/);
  assert.doesNotMatch(nop[0], /textLength/);
  assert.match(html, /3 steps, ports bus/);
  assert.match(viewText(arch, kernels[0], { bus: 'ports' }), /3 steps, ports bus/);
});
