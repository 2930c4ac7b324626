/**
 * Reading a .vtr recording (docs/vtr-format.md). The API other modules build on (the strace view,
 * the exporters, backtraces' -k):
 *
 *   const rec = openRecording('boot.vtr');          // throws VtrError: one line, for the user
 *   rec.header        catalog, pid, cwd, realtimeOffsetNs, enabled tracepoints (VtrHeader)
 *   rec.threads       Map<index, VtrThread>: tid, name, kind ('emulator' | 'pool-worker' | ...)
 *   rec.end           where the data ends: { complete, reason, validBytes, fileBytes, ... }
 *   rec.lost          events the recorder dropped (LOST chunks), total and per thread
 *   for (const ev of rec.events({ fromNs, toNs, names })) ...   // every event, time order
 *   rec.findByCorrelation('job', 17)                // RecEvent[] carrying corr.job === 17, time order
 *   rec.close()
 *
 * RecEvent: { name, tpId, info (catalog entry), ns (monotonic ns, a number), thread (VtrThread),
 * args (by the catalog's argNames), corr: { req?, co?, job?, head?, fd? } | null }. `arg(ev, name)`
 * reads an argument by name. Events of one thread keep their recorded order; threads are merged by
 * ns (ties: thread index). Iteration holds one decoded chunk per thread (bounded memory).
 *
 * Truncation (a killed process, a full disk): the chunks before the cut are read, `end.complete`
 * is false and `end.reason` says where and why. Corruption (a checksum mismatch or garbage inside
 * the file, an unknown major version, not a .vtr at all) throws VtrError naming the byte offset.
 * Chunk tags a reader does not know are skipped (newer minor versions).
 */
import * as fs from 'node:fs';
import { argKinds, kindCodes, type CorrKey, type RecordedCorrelation } from './event-codec';
import { EventCursor, VtrError, type ChunkRef } from './vtr-cursor';
import {
  CHUNK_HEADER,
  EVTS_HEADER,
  HEADER_FIXED,
  MAX_CHUNK,
  VTR_MAGIC,
  VTR_MAJOR,
  crc32,
  type VtrCatalogEntry,
  type VtrEnd,
  type VtrHeader,
  type VtrLost,
  type VtrThread,
} from './vtr-format';
import type { FormatValue } from './format';

export { VtrError };

export interface RecEvent {
  name: string;
  tpId: number;
  info: VtrCatalogEntry;
  ns: number;
  thread: VtrThread;
  args: FormatValue[];
  corr: RecordedCorrelation | null;
}

export interface RecordingEnd {
  /** True when the file ends with the writer's ENDS chunk. */
  complete: boolean;
  /** Why it is not complete, with the byte offset. */
  reason?: string;
  /** The writer's own summary (complete recordings). */
  summary?: VtrEnd;
  /** Bytes of whole, valid chunks (including the header). */
  validBytes: number;
  fileBytes: number;
  /** Time of the last event in the valid part. */
  lastNs: number;
  firstNs: number;
  events: number;
}

export interface EventQuery {
  fromNs?: number;
  toNs?: number;
  /** Only events whose name passes (e.g. a compiled -trace filter). */
  names?: (name: string) => boolean;
}

export interface Recording {
  readonly path: string;
  readonly header: VtrHeader;
  readonly threads: ReadonlyMap<number, VtrThread>;
  readonly end: RecordingEnd;
  readonly lost: { total: number; byThread: ReadonlyMap<number, number>; chunks: VtrLost[] };
  events(q?: EventQuery): Generator<RecEvent>;
  /** The same events without an object per event (vtr-cursor.ts): for readers that must be fast. */
  scan(q?: EventQuery): EventCursor;
  findByCorrelation(key: CorrKey, id: number, q?: EventQuery): RecEvent[];
  close(): void;
}

/** An argument by name (undefined if the tracepoint has none of that name). */
export function arg(ev: RecEvent, name: string): FormatValue {
  const i = ev.info.argNames.indexOf(name);
  return i < 0 ? undefined : ev.args[i];
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, b, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === len ? b : b.subarray(0, got);
}

/** Read `len` bytes at `pos` into `b` (reused); returns the bytes read. */
function readInto(fd: number, b: Buffer, pos: number, len: number): Buffer {
  let got = 0;
  while (got < len) {
    const n = fs.readSync(fd, b, got, len - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return b.subarray(0, got);
}

/** The writer cuts chunks at about 1 MiB (recorder-writer.ts CHUNK_TARGET). */
const CHUNK_TARGET_GUESS = 1024 * 1024 + EVTS_HEADER;

function parseHeader(fd: number, path: string, size: number): { header: VtrHeader; end: number } {
  const fixed = readAt(fd, 0, HEADER_FIXED);
  if (fixed.length < 8 || !fixed.subarray(0, 8).equals(VTR_MAGIC)) throw new VtrError(`${path}: not a vtrace recording (.vtr): bad magic`);
  if (fixed.length < HEADER_FIXED) throw new VtrError(`${path}: the recording is cut inside its header (${size} bytes)`);
  const major = fixed.readUInt16LE(8);
  const minor = fixed.readUInt16LE(10);
  if (major !== VTR_MAJOR) throw new VtrError(`${path}: recording format ${major}.${minor} is not supported (this vtrace reads ${VTR_MAJOR}.x)`);
  const len = fixed.readUInt32LE(12);
  if (HEADER_FIXED + len > size) throw new VtrError(`${path}: the recording is cut inside its header (${size} bytes)`);
  const json = readAt(fd, HEADER_FIXED, len);
  if (crc32(json) !== fixed.readUInt32LE(16)) throw new VtrError(`${path}: corrupt recording: the header fails its checksum`);
  let header: VtrHeader;
  try {
    header = JSON.parse(json.toString('utf8')) as VtrHeader;
  } catch {
    throw new VtrError(`${path}: corrupt recording: the header is not valid JSON`);
  }
  if (typeof header !== 'object' || header === null || !Array.isArray(header.catalog)) throw new VtrError(`${path}: corrupt recording: the header has no tracepoint catalog`);
  for (const c of header.catalog as unknown[]) {
    const e = c as Partial<VtrCatalogEntry> | null;
    if (typeof e !== 'object' || e === null || typeof e.name !== 'string' || !Array.isArray(e.argNames) || !Array.isArray(e.argTypes) || e.argNames.length !== e.argTypes.length) {
      throw new VtrError(`${path}: corrupt recording: the header's tracepoint catalog is malformed`);
    }
  }
  if (!Array.isArray(header.enabled)) header.enabled = [];
  return { header, end: HEADER_FIXED + len };
}

/** Open and index a recording (one pass over the chunk headers, checksums verified). */
export function openRecording(path: string): Recording {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new VtrError(`${path}: cannot open: ${err.code === 'ENOENT' ? 'No such file or directory' : err.message}`);
  }
  try {
    return indexRecording(fd, path);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}

function indexRecording(fd: number, path: string): Recording {
  const size = fs.fstatSync(fd).size;
  const { header, end: headerEnd } = parseHeader(fd, path, size);
  const kinds = header.catalog.map((c) => argKinds(c.argTypes));
  const threads = new Map<number, VtrThread>();
  const chunks: ChunkRef[] = [];
  const lostChunks: VtrLost[] = [];
  const lostBy = new Map<number, number>();
  let lostTotal = 0;
  let pos = headerEnd;
  let scratch = Buffer.allocUnsafe(CHUNK_TARGET_GUESS);
  const end: RecordingEnd = { complete: false, validBytes: pos, fileBytes: size, lastNs: 0, firstNs: Infinity, events: 0 };
  for (;;) {
    if (pos === size) {
      end.reason = `the recording ends at byte ${pos} without its end record (the recording process was stopped or killed)`;
      break;
    }
    if (pos + CHUNK_HEADER > size) {
      end.reason = `the last chunk, at byte ${pos}, is cut (${size - pos} of its header bytes present)`;
      break;
    }
    const h = readAt(fd, pos, CHUNK_HEADER);
    const tag = h.toString('latin1', 0, 4);
    const len = h.readUInt32LE(4);
    if (!/^[A-Z]{4}$/.test(tag) || len > MAX_CHUNK) {
      if (h.every((b) => b === 0)) {
        end.reason = `the data ends at byte ${pos}; zero bytes follow (a write was cut short)`;
        break;
      }
      throw new VtrError(`${path}: corrupt recording: no valid chunk at byte ${pos}`);
    }
    if (pos + CHUNK_HEADER + len > size) {
      end.reason = `the last chunk, at byte ${pos}, is cut (${size - pos - CHUNK_HEADER} of ${len} payload bytes present)`;
      break;
    }
    if (scratch.length < len) scratch = Buffer.allocUnsafe(Math.max(len, 2 * scratch.length));
    const payload = readInto(fd, scratch, pos + CHUNK_HEADER, len);
    if (crc32(payload) !== h.readUInt32LE(8)) throw new VtrError(`${path}: corrupt recording: the ${tag} chunk at byte ${pos} fails its checksum`);
    const at = pos;
    pos += CHUNK_HEADER + len;
    end.validBytes = pos;
    try {
      if (tag === 'EVTS') {
        if (len < EVTS_HEADER) throw new Error('short events chunk');
        const ref: ChunkRef = {
          offset: at + CHUNK_HEADER + EVTS_HEADER,
          length: len - EVTS_HEADER,
          thread: payload.readUInt32LE(0),
          count: payload.readUInt32LE(4),
          firstNs: payload.readUInt32LE(8) + payload.readUInt32LE(12) * 4294967296,
          lastNs: payload.readUInt32LE(16) + payload.readUInt32LE(20) * 4294967296,
        };
        if (!threads.has(ref.thread)) throw new Error(`events of thread ${ref.thread} before its THRD chunk`);
        chunks.push(ref);
        end.events += ref.count;
        if (ref.lastNs > end.lastNs) end.lastNs = ref.lastNs;
        if (ref.firstNs < end.firstNs) end.firstNs = ref.firstNs;
      } else if (tag === 'THRD') {
        const t = JSON.parse(payload.toString('utf8')) as VtrThread;
        if (typeof t !== 'object' || t === null || !Number.isInteger(t.index) || typeof t.name !== 'string') throw new Error('not a thread');
        threads.set(t.index, t);
      } else if (tag === 'LOST') {
        const l = JSON.parse(payload.toString('utf8')) as VtrLost;
        if (typeof l !== 'object' || l === null || typeof l.count !== 'number') throw new Error('not a loss count');
        lostChunks.push(l);
        lostTotal += l.count;
        lostBy.set(l.thread, (lostBy.get(l.thread) ?? 0) + l.count);
      } else if (tag === 'ENDS') {
        end.summary = JSON.parse(payload.toString('utf8')) as VtrEnd;
        end.complete = true;
        break;
      }
    } catch (e) {
      throw new VtrError(`${path}: corrupt recording: the ${tag} chunk at byte ${at} is malformed (${(e as Error).message})`);
    }
  }
  if (end.firstNs === Infinity) end.firstNs = end.lastNs;
  const byThread = new Map<number, ChunkRef[]>();
  for (const c of chunks) {
    let l = byThread.get(c.thread);
    if (l === undefined) byThread.set(c.thread, (l = []));
    l.push(c);
  }
  const codes = kinds.map(kindCodes);
  const keepCache = new Map<(name: string) => boolean, Uint8Array>();

  function scan(q: EventQuery = {}): EventCursor {
    let keep: Uint8Array | null = null;
    if (q.names !== undefined) {
      keep = keepCache.get(q.names) ?? null;
      if (keep === null) {
        keep = Uint8Array.from(header.catalog, (c) => (q.names!(c.name) ? 1 : 0));
        keepCache.set(q.names, keep);
      }
    }
    return new EventCursor(fd, path, byThread, threads, codes, { fromNs: q.fromNs, toNs: q.toNs, keep });
  }

  function* events(q: EventQuery = {}): Generator<RecEvent> {
    const c = scan(q);
    while (c.next()) {
      const v = c.view;
      const args: FormatValue[] = new Array(v.nargs);
      for (let i = 0; i < v.nargs; i++) args[i] = v.value(i);
      const info = header.catalog[v.tpId];
      yield { name: info.name, tpId: v.tpId, info, ns: v.ns, thread: c.thread, args, corr: v.correlation() };
    }
  }

  return {
    path,
    header,
    threads,
    end,
    lost: { total: lostTotal, byThread: lostBy, chunks: lostChunks },
    events,
    scan,
    findByCorrelation(key, id, q) {
      const out: RecEvent[] = [];
      for (const ev of events(q)) if (ev.corr !== null && ev.corr[key] === id) out.push(ev);
      return out;
    },
    close() {
      fs.closeSync(fd);
    },
  };
}
