/**
 * The .vtr file layout (docs/vtr-format.md is the prose version; keep both in step).
 *
 *   file   := header chunk*
 *   header := magic[8] "\x89VTR\r\n\x1a\n" | u16 major | u16 minor | u32 json_len | u32 crc32(json)
 *             | json (UTF-8 VtrHeader)
 *   chunk  := tag[4] (ASCII) | u32 payload_len | u32 crc32(payload) | payload
 *   EVTS   := u32 thread | u32 count | u64 first_ns | u64 last_ns | record*   (event-codec.ts)
 *   THRD   := JSON VtrThread        LOST := JSON VtrLost        ENDS := JSON VtrEnd
 *
 * All integers little-endian. A reader skips chunk tags it does not know (forward compatibility);
 * a major version it does not know is refused. CRC-32 is zlib's (ISO-HDLC polynomial).
 */
import * as zlib from 'node:zlib';

export const VTR_MAGIC = Uint8Array.from([0x89, 0x56, 0x54, 0x52, 0x0d, 0x0a, 0x1a, 0x0a]);
export const VTR_MAJOR = 1;
export const VTR_MINOR = 0;
export const HEADER_FIXED = 20;
export const CHUNK_HEADER = 12;
export const EVTS_HEADER = 24;
/** Largest chunk payload a reader accepts (a sanity bound against garbage lengths). */
export const MAX_CHUNK = 256 * 1024 * 1024;

export type ChunkTag = 'EVTS' | 'THRD' | 'LOST' | 'ENDS';

/** One tracepoint of the recording's catalog (as tracepoint.ts TracepointInfo). */
export interface VtrCatalogEntry {
  name: string;
  argNames: string[];
  argTypes: string[];
  format: string;
  file: string;
}

export interface VtrHeader {
  format: 'vtrace-recording';
  /** "MAJOR.MINOR" as in the fixed header. */
  version: string;
  /** vtrace's package version that wrote it. */
  producer: string;
  /** ISO 8601 wall time at start. */
  created: string;
  pid: number;
  /** process.cwd() of the recorder (strace -y's AT_FDCWD</cwd>). */
  cwd: string;
  /** The command line, for the reader's title. */
  argv: string[];
  /** Add to an event's ns to get wall-clock ns since the epoch (decimal string: a bigint). */
  realtimeOffsetNs: string;
  /** Clock of event times. */
  clock: 'CLOCK_MONOTONIC';
  /** The catalog, indexed by a record's tracepoint index. */
  catalog: VtrCatalogEntry[];
  /** Names of the tracepoints that were enabled when recording started. */
  enabled: string[];
  /** Per-thread ring size, bytes. */
  ringBytes: number;
}

export interface VtrThread {
  /** Index used by EVTS chunks. */
  index: number;
  tid: number;
  name: string;
  kind: 'emulator' | 'pool-worker' | 'iothread' | 'other';
}

export interface VtrLost {
  thread: number;
  /** Events dropped since the previous LOST chunk of this thread. */
  count: number;
  /** Writer's clock when it noticed (monotonic ns). */
  ns: number;
  /** Why: 'ring-full' (the thread outran the writer) or 'write-error'. */
  reason: 'ring-full' | 'write-error';
}

export interface VtrEnd {
  events: number;
  lost: number;
  bytes: number;
  /** Last event time, ns. */
  lastNs: number;
  /** Set when the writer stopped early (e.g. "ENOSPC: no space left on device"). */
  error?: string;
}

export function crc32(data: Uint8Array): number {
  return zlib.crc32(data) >>> 0;
}

export function encodeHeader(h: VtrHeader): Uint8Array {
  const json = Buffer.from(JSON.stringify(h), 'utf8');
  const out = Buffer.alloc(HEADER_FIXED + json.length);
  out.set(VTR_MAGIC, 0);
  out.writeUInt16LE(VTR_MAJOR, 8);
  out.writeUInt16LE(VTR_MINOR, 10);
  out.writeUInt32LE(json.length, 12);
  out.writeUInt32LE(crc32(json), 16);
  out.set(json, HEADER_FIXED);
  return out;
}

/** A chunk around `payload` (copied). */
export function encodeChunk(tag: ChunkTag, payload: Uint8Array): Uint8Array {
  const out = Buffer.alloc(CHUNK_HEADER + payload.length);
  out.write(tag, 0, 'latin1');
  out.writeUInt32LE(payload.length, 4);
  out.writeUInt32LE(crc32(payload), 8);
  out.set(payload, CHUNK_HEADER);
  return out;
}

export function encodeJsonChunk(tag: Exclude<ChunkTag, 'EVTS'>, value: unknown): Uint8Array {
  return encodeChunk(tag, Buffer.from(JSON.stringify(value), 'utf8'));
}
