// Loop nests from index maps: the derived host steps (derive.ts) are lists of items, each a kind (`key`) and
// an integer vector (destination, sources). `nest` finds items whose vectors advance by a constant step
// (an affine run), then runs of runs, up to three levels, so a staged stream or a gather becomes a handful
// of counted loops with constant strides that the C emitter writes out (emit-c.ts) and the host cost
// model prices (cost.ts). Constant fields belong in the key, so a run never mixes two constants.

/** `inner`: extra key for the innermost runs only (e.g. the output channel, so inner loops keep it fixed). */
export interface Item { pos: number; key: string; vec: number[]; inner?: string }
export interface Dim { count: number; delta: number[] }
/** An affine loop nest: items base + sum_l i_l * dims[l].delta, 0 <= i_l < dims[l].count (dims innermost first). */
export interface Nest { key: string; base: number[]; dims: Dim[] }

const STRIDES = [1, 2, 3, 4, 5, 6, 7, 8, 12, 16];

function runs(items: Item[]): Array<{ item: Item; count: number; delta: number[] }> {
  const sorted = [...items].sort((a, b) => a.pos - b.pos);
  const at = new Map(sorted.map((it, i) => [it.pos, i]));
  const used = new Uint8Array(sorted.length);
  const out: Array<{ item: Item; count: number; delta: number[] }> = [];
  const same = (a: number[], b: number[]): boolean => a.every((x, i) => x === b[i]);
  for (let i = 0; i < sorted.length; i++) {
    if (used[i]) continue;
    const it = sorted[i];
    let best = { count: 1, stride: 0, delta: it.vec.map(() => 0) };
    for (const s of STRIDES) {
      const j = at.get(it.pos + s);
      if (j === undefined || used[j] || sorted[j].key !== it.key) continue;
      const delta = sorted[j].vec.map((x, d) => x - it.vec[d]);
      let count = 2, cur = j;
      for (;;) {
        const n = at.get(sorted[cur].pos + s);
        if (n === undefined || used[n] || sorted[n].key !== it.key) break;
        if (!same(sorted[n].vec.map((x, d) => x - sorted[cur].vec[d]), delta)) break;
        count++; cur = n;
      }
      if (count > best.count) best = { count, stride: s, delta };
    }
    for (let c = 0, p = it.pos; c < best.count; c++, p += best.stride) used[at.get(p)!] = 1;
    out.push({ item: it, count: best.count, delta: best.delta });
  }
  return out;
}

/** Loop nests covering every item exactly once (up to `levels` nested runs). */
export function nest(items: Item[], levels = 3): Nest[] {
  interface Node { key: string; base: number[]; dims: Dim[] }
  let nodes: Node[] = items.map((it) => ({ key: it.key, base: it.vec, dims: [] }));
  let cur: Item[] = items.map((it) => (it.inner === undefined ? it : { ...it, key: `${it.key}#${it.inner}` }));
  for (let l = 0; l < levels && cur.length > 1; l++) {
    const rs = runs(cur);
    const byPos = new Map(cur.map((it, i) => [it.pos, nodes[i]]));
    const next: Node[] = rs.map((r) => {
      const n = byPos.get(r.item.pos)!;
      return r.count > 1 ? { key: n.key, base: n.base, dims: [...n.dims, { count: r.count, delta: r.delta }] } : n;
    });
    if (next.length === cur.length) break;
    nodes = next;
    // Runs become the items of the next level: positions in creation order, keys carrying their shape.
    cur = next.map((n, i) => ({ pos: i, key: `${n.key}|${n.dims.map((d) => `${d.count}:${d.delta.join(',')}`).join('/')}`, vec: n.base }));
  }
  return nodes;
}

/**
 * The nest with its longest loop innermost (the others in order): for nests whose items are independent
 * (stage copies: every destination written once), where a short innermost run (2-3 words of a band) would pay a
 * loop's overhead every few words.
 */
export function longestInner(n: Nest): Nest {
  if (n.dims.length < 2) return n;
  let k = 0;
  n.dims.forEach((d, i) => { if (d.count > n.dims[k].count) k = i; });
  return k === 0 ? n : { ...n, dims: [n.dims[k], ...n.dims.filter((_, i) => i !== k)] };
}

/** Every item of a nest, expanded (for the checks). */
export function expand(n: Nest): number[][] {
  let out: number[][] = [n.base];
  for (const d of n.dims) {
    const next: number[][] = [];
    for (const v of out) for (let i = 0; i < d.count; i++) next.push(v.map((x, k) => x + i * d.delta[k]));
    out = next;
  }
  return out;
}

export const nestItems = (n: Nest): number => n.dims.reduce((p, d) => p * d.count, 1);
