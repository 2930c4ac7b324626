/**
 * Parsing and formatting of RSP packet fields (GDB manual, "Packets", "Stop Reply Packets"):
 * hex numbers and bytes, little-endian register images, thread ids. Pure functions; every parser
 * returns undefined for malformed input instead of throwing, so the dispatcher can answer E22.
 */

/** Thread ids: vCPU (hart) i is thread i+1 of process 1 (gdb reserves 0 and -1). */
export const PID = 1;
export const tidOfHart = (hart: number) => hart + 1;

/** A thread-id as gdb writes it: `-1` all, `0` any, else a thread (hart index after mapping). */
export type ThreadSel = { kind: 'all' } | { kind: 'any' } | { kind: 'thread'; tid: number };

const HEX = /^[0-9a-fA-F]+$/;

/** An unsigned hex number up to 64 bits. */
export function parseHex(s: string): bigint | undefined {
  if (!HEX.test(s) || s.length > 16) return undefined;
  return BigInt('0x' + s);
}

/** A small unsigned hex number (lengths, register numbers, kinds). */
export function parseHexInt(s: string, max = 0x7fffffff): number | undefined {
  if (!HEX.test(s) || s.length > 8) return undefined;
  const v = parseInt(s, 16);
  return v <= max ? v : undefined;
}

export function hexToBytes(s: string): Uint8Array | undefined {
  if (s.length % 2 !== 0 || (s.length > 0 && !HEX.test(s))) return undefined;
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

export function textToHex(t: string): string {
  return Buffer.from(t, 'utf8').toString('hex');
}

/** A register value as target-order (little-endian) hex of `bytes` bytes. */
export function regToHex(v: bigint, bytes: number): string {
  let out = '';
  for (let i = 0; i < bytes; i++) {
    out += Number((v >> BigInt(8 * i)) & 0xffn)
      .toString(16)
      .padStart(2, '0');
  }
  return out;
}

/** Little-endian hex of `bytes` bytes to a value; undefined if malformed. */
export function hexToReg(s: string, bytes: number): bigint | undefined {
  if (s.length !== 2 * bytes || !HEX.test(s)) return undefined;
  let v = 0n;
  for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(parseInt(s.slice(2 * i, 2 * i + 2), 16));
  return v;
}

/** One id field: `-1`, or hex. */
function parseIdField(s: string): number | undefined {
  if (s === '-1') return -1;
  return parseHexInt(s);
}

/** `[p<pid>.]<tid>` with hex or -1 fields. The pid, when given, must be ours or -1/0. */
export function parseThreadId(s: string): ThreadSel | undefined {
  let t = s;
  if (t.startsWith('p')) {
    const dot = t.indexOf('.');
    const pid = parseIdField(dot < 0 ? t.slice(1) : t.slice(1, dot));
    if (pid === undefined || (pid !== PID && pid !== -1 && pid !== 0)) return undefined;
    if (dot < 0) return { kind: 'all' };
    t = t.slice(dot + 1);
  }
  const tid = parseIdField(t);
  if (tid === undefined) return undefined;
  if (tid === -1) return { kind: 'all' };
  if (tid === 0) return { kind: 'any' };
  return { kind: 'thread', tid };
}

/** A thread-id for replies: `p01.02` with the multiprocess extension, else `02`. */
export function formatThreadId(hart: number, multiprocess: boolean): string {
  const tid = tidOfHart(hart).toString(16).padStart(2, '0');
  return multiprocess ? `p${PID.toString(16).padStart(2, '0')}.${tid}` : tid;
}

/** `ADDR,LEN` (m, and the front of M and X). */
export function parseAddrLen(s: string): { addr: bigint; len: number } | undefined {
  const comma = s.indexOf(',');
  if (comma < 0) return undefined;
  const addr = parseHex(s.slice(0, comma));
  const len = parseHexInt(s.slice(comma + 1));
  if (addr === undefined || len === undefined) return undefined;
  return { addr, len };
}
