/**
 * Flattened device tree: an in-memory tree, its encoder and decoder (Devicetree Specification
 * v0.4, chapter 5 "Flattened Devicetree (DTB) Format"; libfdt's role in QEMU). Generic: nothing
 * here knows the `virt` board (see ../virt-fdt.ts).
 *
 * Blob layout written (as QEMU's fdt_pack leaves it): 40-byte header, memory reservation block at
 * 0x28, structure block, strings block; version 17, last compatible version 16. Property names are
 * stored once in the strings block (in order of first use).
 *
 * Property order: `addProp` appends (generators write nodes in final order); `setProp` on a missing
 * property prepends, as libfdt's fdt_setprop does, so patching a loaded blob (QEMU's handling of
 * -dtb with -append/-initrd) yields the same order QEMU would.
 */

export const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_NOP = 4;
const FDT_END = 9;
const HEADER_SIZE = 40;

export class FdtError extends Error {}

export interface FdtProp {
  name: string;
  value: Uint8Array;
}

export class FdtNode {
  readonly props: FdtProp[] = [];
  readonly children: FdtNode[] = [];
  constructor(public name: string) {}

  getProp(name: string): Uint8Array | undefined {
    return this.props.find((p) => p.name === name)?.value;
  }

  /** Append a property (generator use). Throws on a duplicate name. */
  addProp(name: string, value: Uint8Array): this {
    if (this.getProp(name) !== undefined) throw new FdtError(`duplicate property ${name} in node ${this.name || '/'}`);
    this.props.push({ name, value });
    return this;
  }

  /** fdt_setprop: replace in place, or prepend when missing. */
  setProp(name: string, value: Uint8Array): this {
    const p = this.props.find((q) => q.name === name);
    if (p !== undefined) p.value = value;
    else this.props.unshift({ name, value });
    return this;
  }

  removeProp(name: string): void {
    const i = this.props.findIndex((p) => p.name === name);
    if (i >= 0) this.props.splice(i, 1);
  }

  /** Append a child node and return it. */
  addChild(name: string): FdtNode {
    if (this.child(name) !== undefined) throw new FdtError(`duplicate node ${name} under ${this.name || '/'}`);
    const n = new FdtNode(name);
    this.children.push(n);
    return n;
  }

  child(name: string): FdtNode | undefined {
    return this.children.find((c) => c.name === name);
  }

  /** Look up an absolute path ("/soc/serial@10000000"); undefined when missing. */
  find(path: string): FdtNode | undefined {
    if (!path.startsWith('/')) return undefined;
    let n: FdtNode | undefined = this;
    for (const part of path.split('/').filter((s) => s.length > 0)) {
      n = n.child(part);
      if (n === undefined) return undefined;
    }
    return n;
  }
}

export interface MemReserve {
  address: bigint;
  size: bigint;
}

export interface Fdt {
  root: FdtNode;
  bootCpuidPhys: number;
  memReserve: MemReserve[];
}

// ------------------------------------------------------------------ property values

/** Big-endian 32-bit cells (the devicetree's `<...>` values). */
export function cells(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setUint32(i * 4, v >>> 0));
  return out;
}

/** A 64-bit number as two cells (hi, lo). Exact for values below 2^53. */
export function cells64(...values: number[]): Uint8Array {
  return cells(...values.flatMap((v) => [Math.floor(v / 2 ** 32), v % 2 ** 32]));
}

/** A NUL-terminated string; several strings make a string list ("a\0b\0"). */
export function strings(...values: string[]): Uint8Array {
  return Buffer.from(values.map((s) => s + '\0').join(''), 'utf8');
}

/** An empty (boolean) property such as `interrupt-controller`. */
export function empty(): Uint8Array {
  return new Uint8Array(0);
}

export function readCells(value: Uint8Array): number[] {
  const dv = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= value.length; i += 4) out.push(dv.getUint32(i));
  return out;
}

export function readString(value: Uint8Array): string {
  const end = value.indexOf(0);
  return Buffer.from(value.subarray(0, end < 0 ? value.length : end)).toString('utf8');
}

// ------------------------------------------------------------------ encoder

/** Serialize a tree (fdt_create + fdt_finish + fdt_pack). */
export function writeFdt(fdt: Fdt): Uint8Array {
  const strs: number[] = [];
  const strOff = new Map<string, number>();
  const nameOff = (name: string) => {
    let off = strOff.get(name);
    if (off === undefined) {
      off = strs.length;
      strOff.set(name, off);
      for (const b of Buffer.from(name + '\0', 'utf8')) strs.push(b);
    }
    return off;
  };

  const words: number[] = []; // structure block as 32-bit BE words (bytes packed into words)
  const pushBytes = (bytes: Uint8Array) => {
    for (let i = 0; i < bytes.length; i += 4) {
      words.push(((bytes[i] << 24) | ((bytes[i + 1] ?? 0) << 16) | ((bytes[i + 2] ?? 0) << 8) | (bytes[i + 3] ?? 0)) >>> 0);
    }
  };
  const emit = (n: FdtNode) => {
    words.push(FDT_BEGIN_NODE);
    pushBytes(Buffer.from(n.name + '\0', 'utf8'));
    for (const p of n.props) {
      words.push(FDT_PROP, p.value.length, nameOff(p.name));
      pushBytes(p.value);
    }
    for (const c of n.children) emit(c);
    words.push(FDT_END_NODE);
  };
  emit(fdt.root);
  words.push(FDT_END);

  const offRsv = HEADER_SIZE;
  const rsvSize = (fdt.memReserve.length + 1) * 16;
  const offStruct = offRsv + rsvSize;
  const structSize = words.length * 4;
  const offStrings = offStruct + structSize;
  const total = offStrings + strs.length;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const header = [FDT_MAGIC, total, offStruct, offStrings, offRsv, 17, 16, fdt.bootCpuidPhys, strs.length, structSize];
  header.forEach((v, i) => dv.setUint32(i * 4, v >>> 0));
  fdt.memReserve.forEach((r, i) => {
    dv.setBigUint64(offRsv + i * 16, r.address);
    dv.setBigUint64(offRsv + i * 16 + 8, r.size);
  });
  words.forEach((w, i) => dv.setUint32(offStruct + i * 4, w));
  out.set(strs, offStrings);
  return out;
}

// ------------------------------------------------------------------ decoder

/** Parse a blob (load_device_tree). Throws FdtError with a one-line reason on malformed input. */
export function parseFdt(blob: Uint8Array): Fdt {
  if (blob.length < HEADER_SIZE) throw new FdtError('not a device tree blob (too short)');
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const h = (i: number) => dv.getUint32(i * 4);
  if (h(0) !== FDT_MAGIC) throw new FdtError('not a device tree blob (bad magic)');
  const total = h(1);
  const offStruct = h(2);
  const offStrings = h(3);
  const offRsv = h(4);
  const version = h(5);
  const lastComp = h(6);
  if (total > blob.length) throw new FdtError(`truncated device tree blob (${blob.length} of ${total} bytes)`);
  if (lastComp > 17 || version < 16) throw new FdtError(`unsupported device tree version ${version}`);
  const stringsSize = version >= 3 ? h(8) : total - offStrings;
  const structSize = version >= 17 ? h(9) : total - offStruct;
  if (offStruct + structSize > total || offStrings + stringsSize > total || offRsv + 16 > total) {
    throw new FdtError('device tree blob blocks lie outside the blob');
  }

  const memReserve: MemReserve[] = [];
  for (let o = offRsv; ; o += 16) {
    if (o + 16 > total) throw new FdtError('unterminated memory reservation block');
    const address = dv.getBigUint64(o);
    const size = dv.getBigUint64(o + 8);
    if (address === 0n && size === 0n) break;
    memReserve.push({ address, size });
  }

  const cstr = (start: number, limit: number): [string, number] => {
    let end = start;
    while (end < limit && blob[end] !== 0) end++;
    if (end >= limit) throw new FdtError('unterminated string in device tree blob');
    return [Buffer.from(blob.subarray(start, end)).toString('utf8'), end + 1];
  };
  const align = (o: number) => (o + 3) & ~3;
  const structEnd = offStruct + structSize;
  let o = offStruct;
  const word = () => {
    if (o + 4 > structEnd) throw new FdtError('structure block ends early');
    const w = dv.getUint32(o);
    o += 4;
    return w;
  };

  const stack: FdtNode[] = [];
  let root: FdtNode | undefined;
  for (;;) {
    const tag = word();
    if (tag === FDT_NOP) continue;
    if (tag === FDT_BEGIN_NODE) {
      const [name, next] = cstr(o, structEnd);
      o = align(next);
      const node = new FdtNode(name);
      if (stack.length === 0) {
        if (root !== undefined) throw new FdtError('more than one root node');
        root = node;
      } else stack[stack.length - 1].children.push(node);
      stack.push(node);
    } else if (tag === FDT_PROP) {
      if (stack.length === 0) throw new FdtError('property outside a node');
      const len = word();
      const nameoff = word();
      if (o + len > structEnd) throw new FdtError('property value runs past the structure block');
      if (nameoff >= stringsSize) throw new FdtError('property name outside the strings block');
      const [name] = cstr(offStrings + nameoff, offStrings + stringsSize);
      stack[stack.length - 1].props.push({ name, value: blob.slice(o, o + len) });
      o = align(o + len);
    } else if (tag === FDT_END_NODE) {
      if (stack.pop() === undefined) throw new FdtError('unbalanced end of node');
    } else if (tag === FDT_END) {
      break;
    } else throw new FdtError(`bad structure block tag ${tag}`);
  }
  if (root === undefined || stack.length !== 0) throw new FdtError('structure block has no complete root node');
  return { root, bootCpuidPhys: h(7), memReserve };
}
