/**
 * How the console shows emulator state, in gdb's manner: `print` values (`$1 = 13`,
 * `$2 = {fd = 13, open_flags = 32770, ...}`), member objects as pointer-shaped ids with a note
 * (`root = 0x20000001 <hd0>`, the same ids tracepoints print for `void *`, src/trace/ptr.ts), and
 * `ptype`/`whatis` from the runtime shape of a value.
 *
 * Type names: a class instance is its constructor's name (BlockBackend, VirtQueue, EventNotifier);
 * the block layer's plain records are named by shape as QEMU names them (BlockDriverState,
 * BdrvChild, BlockDriver, BDRVRawState for file-posix's and raw-format's state, BDRVQcow2State).
 *
 * Contract: emulator thread (reads live objects; the caller suppresses read watchpoints around it).
 * Never throws on odd values: anything unprintable prints as `<TypeName>`.
 */
import { ptr, ptrValue, type PtrKindName } from '../trace/ptr';

/** Objects whose type the resolver learned from context (a node's `opaque` is its driver's state). */
const typeHints = new WeakMap<object, string>();

export function setTypeHint(o: object, name: string): void {
  typeHints.set(o, name);
}

function has(o: object, ...keys: string[]): boolean {
  return keys.every((k) => k in o);
}

/** A RemoteObject's own facts are kept under symbols, so that none shadows a member of the same name. */
export const REMOTE_TEXT: unique symbol = Symbol('RemoteObject.text');
export const REMOTE_TYPE: unique symbol = Symbol('RemoteObject.type');
export const REMOTE_WHERE: unique symbol = Symbol('RemoteObject.where');
export const REMOTE_PTYPE: unique symbol = Symbol('RemoteObject.ptype');

/**
 * An object of another thread's heap (a drive in an iothread), as that thread printed it: `print`
 * shows the text, `ptype` the type name; its members are reached by resolving the longer path
 * there (iothread-agent-proxy.ts), so every string key is a member of the remote object.
 */
export class RemoteObject {
  readonly [REMOTE_TEXT]: string;
  readonly [REMOTE_TYPE]: string;
  /** Where it lives (`iothread io0`). */
  readonly [REMOTE_WHERE]: string;
  /** ptype's text, as that thread made it. */
  readonly [REMOTE_PTYPE]: string;
  constructor(text: string, type: string, where: string, ptype = `type = struct ${type}`) {
    this[REMOTE_TEXT] = text;
    this[REMOTE_TYPE] = type;
    this[REMOTE_WHERE] = where;
    this[REMOTE_PTYPE] = ptype;
  }
}

/** The type name of a value, as ptype/whatis and pointer notes show it. */
export function typeName(v: unknown): string {
  if (v === null) return 'void *';
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) ? 'int' : 'double';
    case 'bigint':
      return 'uint64_t';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'undefined':
      return 'void';
    case 'function':
      return 'function';
    case 'symbol':
      return 'symbol';
  }
  const o = v as object;
  if (o instanceof RemoteObject) return o[REMOTE_TYPE];
  const hint = typeHints.get(o);
  if (hint !== undefined) return hint;
  if (Array.isArray(o)) return o.length > 0 ? `${typeName(o[0])}[${o.length}]` : 'array[0]';
  if (ArrayBuffer.isView(o)) return `${o.constructor.name}[${(o as Uint8Array).length}]`;
  const proto = Object.getPrototypeOf(o) as object | null;
  if (proto !== null && proto !== Object.prototype && o.constructor?.name) return o.constructor.name;
  if (has(o, 'drv', 'node_name', 'opaque')) return 'BlockDriverState';
  if (has(o, 'bs', 'role', 'perm', 'shared_perm', 'parent')) return 'BdrvChild';
  if (has(o, 'format_name', 'kind', 'bdrv_open')) return 'BlockDriver';
  if (has(o, 'fd', 'perm_change_fd', 'open_flags')) return 'BDRVRawState';
  if (has(o, 'request_alignment', 'max_transfer')) return 'BlockLimits';
  if (has(o, 'overlap_offset', 'wait_queue')) return 'BdrvTrackedRequest';
  if (has(o, 'l1_table') || has(o, 'cluster_bits', 'refcount_order')) return 'BDRVQcow2State';
  return 'struct';
}

/** The ptr.ts kind for an object, when tracepoints have one for its type. */
function kindOf(o: object): PtrKindName {
  switch (typeName(o)) {
    case 'BlockBackend':
      return 'blk';
    case 'BlockDriverState':
      return 'bs';
    case 'VirtQueue':
      return 'vq';
    case 'VirtQueueElement':
      return 'elem';
    case 'EventNotifier':
      return 'notifier';
    case 'ThreadPool':
      return 'pool';
    case 'AioHandler':
      return 'handler';
    case 'QEMUBH':
      return 'bh';
    case 'QEMUTimer':
      return 'timer';
    default:
      return o instanceof Object && 'klass' in o && 'vq' in o ? 'vdev' : 'opaque';
  }
}

/** The pointer-shaped id of an object: the same value a tracepoint prints for it. */
export function addressOf(o: object): number {
  const name = typeName(o);
  if (name === 'Coroutine') return ptrValue('co', (o as { id: number }).id);
  if (name === 'AioContext') return ptrValue('ctx', (o as { id: number }).id);
  return ptr(kindOf(o), o);
}

export function hex(n: number | bigint): string {
  return '0x' + n.toString(16);
}

/** A short note naming what a pointer points at (gdb prints <symbol> after addresses). */
export function describe(o: object): string | undefined {
  const r = o as Record<string, unknown>;
  switch (typeName(o)) {
    case 'BlockBackend':
      return typeof r.name === 'string' && r.name !== '' ? r.name : undefined;
    case 'BlockDriverState':
      return r.node_name as string;
    case 'BdrvChild': {
      const bs = r.bs as { node_name?: string } | undefined;
      return `${String(r.name)} -> ${bs?.node_name ?? '?'}`;
    }
    case 'BlockDriver':
      return r.format_name as string;
    case 'VirtQueue': {
      const vdev = r.vdev as { id?: string } | undefined;
      return `${vdev?.id ?? '?'} vq ${String(r.queue_index)}`;
    }
    case 'EventNotifier':
      return typeof r.name === 'string' && r.name !== '' ? r.name : undefined;
    case 'AioContext':
      return r.name as string;
    case 'Coroutine':
      return (o as { name?: string }).name;
    case 'IOThread':
      return r.id as string;
    case 'DataPlaneDrive': // a dataplane device's blk on the emulator thread
      return `drive ${String(r.drive)} in iothread ${String((r.dp as { iothread?: { id?: string } }).iothread?.id)}`;
    default:
      if ('klass' in o && 'vq' in o && typeof r.id === 'string') return `${(r.klass as { name?: string }).name ?? 'virtio'} ${r.id}`;
      return undefined;
  }
}

/** `0x21000002 <#block123>` */
export function pointerText(o: object): string {
  const note = describe(o);
  return note === undefined ? hex(addressOf(o)) : `${hex(addressOf(o))} <${note}>`;
}

/** gdb's `print elements` limit. */
const ELEMENTS = 200;
const REPEAT_THRESHOLD = 10;

function quote(s: string): string {
  const body = s.length > ELEMENTS ? s.slice(0, ELEMENTS) : s;
  const esc = body.replace(/[\\"\x00-\x1f\x7f]/g, (c) => {
    switch (c) {
      case '\\':
        return '\\\\';
      case '"':
        return '\\"';
      case '\n':
        return '\\n';
      case '\t':
        return '\\t';
      case '\r':
        return '\\r';
      default:
        return '\\' + c.charCodeAt(0).toString(8).padStart(3, '0');
    }
  });
  return `"${esc}"${s.length > ELEMENTS ? '...' : ''}`;
}

/** Elements with gdb's `<repeats N times>` compression. */
function elements(items: ArrayLike<unknown>, fmt: (v: unknown) => string): string {
  const out: string[] = [];
  const n = Math.min(items.length, ELEMENTS);
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < items.length && Object.is(items[j], items[i])) j++;
    const run = j - i;
    if (run >= REPEAT_THRESHOLD) {
      out.push(`${fmt(items[i])} <repeats ${run} times>`);
      i = j;
    } else {
      out.push(fmt(items[i]));
      i++;
    }
  }
  return `{${out.join(', ')}${items.length > ELEMENTS ? '...' : ''}}`;
}

function isPlainRecord(o: object): boolean {
  const proto = Object.getPrototypeOf(o) as object | null;
  return (proto === null || proto === Object.prototype) && !typeHints.has(o) && typeName(o) === 'struct';
}

/** Own enumerable fields (class fields, record members, and watched fields, which are accessors). */
export function fieldNames(o: object): string[] {
  return Object.keys(o);
}

export interface FormatOptions {
  /** 'x': integers in hex (print/x). */
  radix?: 'x' | 'd' | 'o' | 't' | 'c';
}

function radixText(v: number | bigint, f: FormatOptions): string {
  switch (f.radix) {
    case 'x':
      return v < 0 ? '-0x' + (-v).toString(16) : '0x' + v.toString(16);
    case 'o':
      return v === 0 || v === 0n ? '0' : '0' + v.toString(8);
    case 't':
      return v.toString(2);
    case 'c': {
      const n = Number(v) & 0xff;
      return `${n} '${n >= 0x20 && n < 0x7f ? String.fromCharCode(n) : '\\' + n.toString(8).padStart(3, '0')}'`;
    }
    default:
      return v.toString();
  }
}

/**
 * gdb's value printing. `depth` 0 prints an object's fields; deeper objects print as pointers,
 * except small plain records (embedded structs in QEMU), printed inline up to depth 2.
 */
export function formatValue(v: unknown, f: FormatOptions = {}, depth = 0): string {
  if (v === null) return '0x0';
  switch (typeof v) {
    case 'number':
      return Number.isInteger(v) ? radixText(v, f) : String(v);
    case 'bigint':
      return radixText(v, f);
    case 'string':
      return quote(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return '<undefined>';
    case 'function':
      return `<function ${v.name || '??'}>`;
    case 'symbol':
      return v.toString();
  }
  const o = v as object;
  if (o instanceof RemoteObject) return o[REMOTE_TEXT];
  if (ArrayBuffer.isView(o) && !(o instanceof DataView)) {
    const a = o as unknown as ArrayLike<number | bigint>;
    return elements(a, (x) => formatValue(x, f.radix === undefined ? { radix: 'x' } : f, depth + 1));
  }
  if (o instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && o instanceof SharedArrayBuffer)) {
    return `<${o.constructor.name} of ${o.byteLength} bytes>`;
  }
  if (Array.isArray(o)) {
    if (depth >= 2) return `<array of ${o.length}>`;
    return elements(o, (x) => formatValue(x, f, depth + 1));
  }
  if (o instanceof Map) {
    if (depth >= 2) return `<Map of ${o.size}>`;
    const parts = [...o.entries()].slice(0, ELEMENTS).map(([k, x]) => `[${formatValue(k, f, depth + 1)}] = ${formatValue(x, f, depth + 1)}`);
    return `{${parts.join(', ')}${o.size > ELEMENTS ? '...' : ''}}`;
  }
  if (o instanceof Set) return formatValue([...o], f, depth);
  if (depth > 0 && !(depth < 2 && isPlainRecord(o))) return pointerText(o);
  const parts = fieldNames(o).map((k) => {
    let x: unknown;
    try {
      x = (o as Record<string, unknown>)[k];
    } catch (e) {
      return `${k} = <error: ${e instanceof Error ? e.message : String(e)}>`;
    }
    return `${k} = ${formatValue(x, f, depth + 1)}`;
  });
  return `{${parts.join(', ')}}`;
}

/** The type of one member, as a ptype line shows it ("BdrvChild *file"). */
function memberDecl(name: string, v: unknown): string {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v)) return `${typeName(v)} *${name}`;
  if (Array.isArray(v)) return `${v.length > 0 ? memberType(v[0]) : 'unknown'} ${name}[${v.length}]`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name} ${name}[${(v as Uint8Array).length}]`;
  return `${memberType(v)} ${name}`;
}

function memberType(v: unknown): string {
  return v !== null && typeof v === 'object' ? `${typeName(v)} *` : typeName(v);
}

/** ptype: the runtime shape of a value, gdb-style. */
export function ptypeText(v: unknown): string {
  if (v instanceof RemoteObject) return v[REMOTE_PTYPE];
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return `type = ${memberType(v)}`;
  const lines = fieldNames(v).map((k) => {
    let x: unknown;
    try {
      x = (v as Record<string, unknown>)[k];
    } catch {
      x = undefined;
    }
    return `    ${memberDecl(k, x)};`;
  });
  const getters: string[] = [];
  for (let p = Object.getPrototypeOf(v) as object | null; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(p))) {
      if (d.get !== undefined && !getters.includes(k)) getters.push(k);
    }
  }
  const tail = getters.length > 0 ? ['', ...getters.map((k) => `    /* computed */ ${k};`)] : [];
  return `type = struct ${typeName(v)} {\n${[...lines, ...tail].join('\n')}\n}`;
}
