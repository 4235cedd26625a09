// Word steps for the register-blocked int16 dot blocks (dot-blocks.ts, held weights): each LDRD step of
// a P-pixel x Q-channel block is issued as two word steps, each of single-word loads at immediate offsets
// (the Q weight words, the P input words) and P x Q SMLADs, in an order fixed for the core (the loads and
// the MACs are volatile asm, so gcc keeps the order; the weight pointer advances once per step).
//
// Why (Cortex-M4 TRM table 3-1, mcu-backend/timing/cores.ts): LDRD costs 3 cycles, while neighbouring
// single loads pipeline (LDR 2, then 1 for each LDR right after a load whose result its address does not
// need). The LDRD form of a 3 x 2 block spends 5 LDRD = 15 cycles on 10 words per 24 MACs; as word steps
// the 5 loads of a word step run back to back (6 cycles), 12 cycles per 24 MACs: 27 -> 24 cycles per step.
// On the Cortex-M7 a load dual-issues with a MAC and a load result feeding the next MAC stalls a cycle:
// the interleaved order puts a MAC between each load and its first use and pairs loads with MACs.

/** 'grouped': all loads of a word step, then its MACs (M3/M4: pipelined loads); 'interleaved': loads
 *  alternate with MACs that do not use the load just issued (M7: dual issue, load-use stalls). */
export type WordOrder = 'grouped' | 'interleaved';

/** Include-guarded: an SMLAD gcc may not move across the volatile loads (the order above is the point). */
export const WORD_STEP_PRELUDE = `#ifndef TFK_WORD_STEPS
#define TFK_WORD_STEPS
#if defined(__ARM_FEATURE_DSP)
#define TFK_SMLAD_V(a, x, y) __asm__ volatile("smlad %0, %1, %2, %0" : "+r"(a) : "r"(x), "r"(y))
#else
#define TFK_SMLAD_V(a, x, y) ((a) = tfk_smlad((x), (y), (a)))
#endif
#endif`;

export interface WordStep {
  P: number; Q: number;
  /** Byte offsets (from `in`) of each pixel's two words, and of channel q's two weight words and its bias (init) from `w`. */
  inOff: (p: number, k: number) => number;
  wOff: (q: number, k: number) => number;
  /** First step: the accumulators start from the bias words at these offsets. */
  biasOff?: (q: number) => number;
  acc: (p: number, q: number) => string;
  inPtr: string; wPtr: string;
  order: WordOrder;
}

/** Registers for a word step's accumulators and operands (r0-r12 and lr, less the input and weight pointers). */
const WORD_REGISTERS = 12;

type Item = { kind: 'load'; dst: string; ptr: string; off: number } | { kind: 'mac'; acc: string; x: string; y: string };

/** The C statements of one LDRD step as two word steps (declares its temporaries in a block). */
export function wordStepLines(s: WordStep): string[] {
  const L: string[] = [];
  // Interleaved: both word steps scheduled as one list (the second's first loads pair with the first's last
  // MACs), with names of their own per word step; grouped: one word step after the other.
  const sfx = (k: number) => (s.order === 'interleaved' ? `_${k}` : '');
  const items = (k: number) => {
    const h = (q: number) => `wq${q}${sfx(k)}`, x = (p: number) => `xp${p}${sfx(k)}`;
    const loads: Item[] = [];
    const macs: Item[] = [];
    if (s.biasOff && k === 0) for (let p = 0; p < s.P; p++) for (let q = 0; q < s.Q; q++) loads.push({ kind: 'load', dst: s.acc(p, q), ptr: s.wPtr, off: s.biasOff(q) });
    // Weight and input words interleaved (w0, x0, w1, x1, ...) so that MACs become ready early.
    for (let i = 0; i < Math.max(s.P, s.Q); i++) {
      if (i < s.Q) loads.push({ kind: 'load', dst: h(i), ptr: s.wPtr, off: s.wOff(i, k) });
      if (i < s.P) loads.push({ kind: 'load', dst: x(i), ptr: s.inPtr, off: s.inOff(i, k) });
    }
    for (let p = 0; p < s.P; p++) for (let q = 0; q < s.Q; q++) macs.push({ kind: 'mac', acc: s.acc(p, q), x: x(p), y: h(q) });
    const decl = [...Array.from({ length: s.Q }, (_, q) => h(q)), ...Array.from({ length: s.P }, (_, p) => x(p))];
    return { loads, macs, decl };
  };
  const units = s.order === 'interleaved' ? [[items(0), items(1)]] : [[items(0)], [items(1)]];
  for (const unit of units) {
    const loads = unit.flatMap((u) => u.loads), macs = unit.flatMap((u) => u.macs), decl = unit.flatMap((u) => u.decl);
    const seq: Item[] = [];
    if (s.order === 'grouped') {
      // All loads, then the MACs, while the operands fit the registers left beside the accumulators;
      // otherwise the smaller side's words first and the other side's in chunks, each followed by its MACs.
      const free = WORD_REGISTERS - s.P * s.Q;
      if (s.P + s.Q <= free || Math.min(s.P, s.Q) + 1 > free) seq.push(...loads, ...macs);
      else {
        const chunkW = s.Q >= s.P; // chunk the weights (inputs all loaded first), else the inputs
        const first = loads.filter((l) => l.kind === 'load' && (chunkW ? l.dst.startsWith('xp') || !l.dst.startsWith('wq') : !l.dst.startsWith('xp')));
        const rest = loads.filter((l) => !first.includes(l));
        const c = free - Math.min(s.P, s.Q);
        seq.push(...first);
        for (let i = 0; i < rest.length; i += c) {
          const part = rest.slice(i, i + c);
          seq.push(...part);
          const names = new Set(part.map((l) => (l.kind === 'load' ? l.dst : '')));
          seq.push(...macs.filter((m) => m.kind === 'mac' && names.has(chunkW ? m.y : m.x)));
        }
      }
    } else {
      const loaded = new Set<string>();
      const accLoads = new Set(loads.flatMap((l) => (l.kind === 'load' && !decl.includes(l.dst) ? [l.dst] : [])));
      let li = 0;
      const pending = [...macs];
      while (li < loads.length || pending.length) {
        const last = seq[seq.length - 1];
        const lastDef = last?.kind === 'load' ? last.dst : undefined;
        const ready = (m: Item) => m.kind === 'mac' && loaded.has(m.x) && loaded.has(m.y) && (!accLoads.has(m.acc) || loaded.has(m.acc)) &&
          m.x !== lastDef && m.y !== lastDef && m.acc !== lastDef;
        const r = pending.findIndex(ready);
        // After a load, a ready MAC (it pairs with the load); otherwise the next load; at the end, MACs in turn.
        if ((last?.kind === 'load' || li >= loads.length) && r >= 0) { seq.push(pending.splice(r, 1)[0]!); continue; }
        if (li < loads.length) { const l = loads[li++]!; seq.push(l); if (l.kind === 'load') loaded.add(l.dst); continue; }
        seq.push(pending.shift()!); // only MACs whose operand was just loaded remain: take the stall
      }
    }
    L.push(`  { uint32_t ${decl.join(', ')};`);
    for (const it of seq) L.push(it.kind === 'load' ? `    TFK_LDR_OFF(${it.dst}, ${it.ptr}, ${it.off});` : `    TFK_SMLAD_V(${it.acc}, ${it.x}, ${it.y});`);
    L.push(`  }`);
  }
  return L;
}
