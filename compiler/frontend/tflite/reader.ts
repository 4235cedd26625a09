// A bounds-checked view of a flatbuffer, on top of the flatbuffers runtime's ByteBuffer. The generated
// accessors trust every offset they follow; a truncated or hostile file would make them read garbage past
// the end. Every table, vtable, field, vector and string is checked against the buffer's length here before
// it is read, and any violation becomes a one-line TinyforgeError naming the file and what was being read.
import { ByteBuffer } from 'flatbuffers';
import { TinyforgeError } from '../../diagnostics.ts';

export class FbReader {
  readonly bb: ByteBuffer;
  readonly size: number;
  constructor(readonly bytes: Uint8Array, readonly file: string) {
    this.bb = new ByteBuffer(bytes);
    this.size = bytes.length;
  }

  fail(what: string): never {
    throw new TinyforgeError(`not a valid .tflite file: ${what}`, { file: this.file },
      'the file is truncated or corrupt; re-export it with the TFLite converter');
  }

  check(pos: number, len: number, what: string): void {
    if (!Number.isInteger(pos) || pos < 0 || len < 0 || pos + len > this.size) {
      this.fail(`${what} at byte ${pos} (+${len}) lies outside the ${this.size}-byte file`);
    }
  }

  u8(pos: number, what: string): number { this.check(pos, 1, what); return this.bb.readUint8(pos); }
  i8(pos: number, what: string): number { this.check(pos, 1, what); return this.bb.readInt8(pos); }
  u16(pos: number, what: string): number { this.check(pos, 2, what); return this.bb.readUint16(pos); }
  i32(pos: number, what: string): number { this.check(pos, 4, what); return this.bb.readInt32(pos); }
  u32(pos: number, what: string): number { this.check(pos, 4, what); return this.bb.readUint32(pos); }
  f32(pos: number, what: string): number { this.check(pos, 4, what); return this.bb.readFloat32(pos); }
  i64(pos: number, what: string): number { this.check(pos, 8, what); return Number(this.bb.readInt64(pos)); }
  u64(pos: number, what: string): number { this.check(pos, 8, what); return Number(this.bb.readUint64(pos)); }

  /** Position of the root table, after checking the size and the file identifier. */
  root(identifier: string): Table {
    if (this.size < 8) this.fail(`only ${this.size} bytes, too short for a flatbuffer header`);
    let id = '';
    for (let i = 0; i < 4; i++) id += String.fromCharCode(this.bytes[4 + i]!);
    if (id !== identifier) {
      this.fail(`file identifier is ${JSON.stringify(id)}, expected "${identifier}"`);
    }
    return this.table(this.u32(0, 'root offset'), 'root table');
  }

  table(pos: number, what: string): Table {
    this.check(pos, 4, what);
    const vt = pos - this.bb.readInt32(pos);
    this.check(vt, 4, `${what} vtable`);
    const vtLen = this.bb.readUint16(vt);
    const objLen = this.bb.readUint16(vt + 2);
    if (vtLen < 4 || vtLen % 2 !== 0) this.fail(`${what} has a malformed vtable (length ${vtLen})`);
    this.check(vt, vtLen, `${what} vtable`);
    this.check(pos, objLen, what);
    return new Table(this, pos, vt, vtLen, objLen, what);
  }
}

/** One table: fields by slot (vtable offset 4 + 2 * slot). Absent fields give their schema default. */
export class Table {
  constructor(readonly r: FbReader, readonly pos: number, private readonly vt: number,
    private readonly vtLen: number, private readonly objLen: number, readonly what: string) {}

  /** Absolute position of a field, or 0 when absent. */
  field(slot: number, size: number): number {
    const vo = 4 + 2 * slot;
    if (vo + 2 > this.vtLen) return 0;
    const off = this.r.bb.readUint16(this.vt + vo);
    if (off === 0) return 0;
    if (off + size > this.objLen) this.r.fail(`${this.what} field ${slot} overruns its table`);
    return this.pos + off;
  }

  has(slot: number): boolean { return this.field(slot, 0) !== 0; }
  u8(slot: number, dflt = 0): number { const p = this.field(slot, 1); return p ? this.r.u8(p, this.what) : dflt; }
  i8(slot: number, dflt = 0): number { const p = this.field(slot, 1); return p ? this.r.i8(p, this.what) : dflt; }
  i32(slot: number, dflt = 0): number { const p = this.field(slot, 4); return p ? this.r.i32(p, this.what) : dflt; }
  u32(slot: number, dflt = 0): number { const p = this.field(slot, 4); return p ? this.r.u32(p, this.what) : dflt; }
  f32(slot: number, dflt = 0): number { const p = this.field(slot, 4); return p ? this.r.f32(p, this.what) : dflt; }
  u64(slot: number, dflt = 0): number { const p = this.field(slot, 8); return p ? this.r.u64(p, this.what) : dflt; }
  bool(slot: number, dflt = false): boolean { const p = this.field(slot, 1); return p ? this.r.u8(p, this.what) !== 0 : dflt; }

  /** Target of an offset field (table, vector or string), or 0 when absent. */
  private indirect(slot: number, what: string): number {
    const p = this.field(slot, 4);
    if (!p) return 0;
    const target = p + this.r.u32(p, what);
    this.r.check(target, 4, what);
    return target;
  }

  /** A vector of `elemSize`-byte elements: its first element's position and its length (absent = empty). */
  vector(slot: number, elemSize: number, what: string): { start: number; length: number } {
    const v = this.indirect(slot, what);
    if (!v) return { start: 0, length: 0 };
    const length = this.r.u32(v, what);
    this.r.check(v + 4, length * elemSize, what);
    return { start: v + 4, length };
  }

  table(slot: number, what: string): Table | undefined {
    const t = this.indirect(slot, what);
    return t ? this.r.table(t, what) : undefined;
  }

  tables(slot: number, what: string): Table[] {
    const { start, length } = this.vector(slot, 4, what);
    const out: Table[] = [];
    for (let i = 0; i < length; i++) {
      const p = start + 4 * i;
      out.push(this.r.table(p + this.r.u32(p, what), `${what}[${i}]`));
    }
    return out;
  }

  string(slot: number, what: string): string {
    const { start, length } = this.vector(slot, 1, what);
    // Control characters (a corrupt name, a newline) are escaped: names end up in one-line error messages.
    return length ? new TextDecoder().decode(this.r.bytes.subarray(start, start + length))
      .replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) : '';
  }

  i32s(slot: number, what: string): number[] {
    const { start, length } = this.vector(slot, 4, what);
    return Array.from({ length }, (_, i) => this.r.bb.readInt32(start + 4 * i));
  }
  f32s(slot: number, what: string): number[] {
    const { start, length } = this.vector(slot, 4, what);
    return Array.from({ length }, (_, i) => this.r.bb.readFloat32(start + 4 * i));
  }
  i64s(slot: number, what: string): number[] {
    const { start, length } = this.vector(slot, 8, what);
    return Array.from({ length }, (_, i) => Number(this.r.bb.readInt64(start + 8 * i)));
  }
  bytes(slot: number, what: string): Uint8Array {
    const { start, length } = this.vector(slot, 1, what);
    return this.r.bytes.subarray(start, start + length);
  }
}
