/**
 * The writing half of a recording: drains every thread's ring into the .vtr file as EVTS chunks
 * (one thread's records per chunk, in that thread's order; the reader merges threads by time),
 * announces threads (THRD), counts what was dropped (LOST) and ends with a summary (ENDS).
 * Runs on the recording's own thread (recorder-worker.ts) so file I/O never stalls a vCPU.
 *
 * Failure: the first failed or short write (ENOSPC on a full disk, EIO...) stops writing for good;
 * the file keeps every chunk written before it (a possibly cut last chunk the reader reports as the
 * end), and every event drained afterwards is counted lost with reason 'write-error'. The error text
 * ends up in the summary, which the emulator thread prints.
 */
import * as fs from 'node:fs';
import { RingConsumer } from './ring';
import { peekRecordTime } from './event-codec';
import { CHUNK_HEADER, EVTS_HEADER, crc32, encodeJsonChunk, type VtrEnd, type VtrLost, type VtrThread } from './vtr-format';
import type { RingRegistration } from './recorder-control';

/** Target chunk payload size; a chunk is cut at a record boundary at or below it. */
export const CHUNK_TARGET = 1024 * 1024;

interface Ring {
  consumer: RingConsumer;
  thread: VtrThread;
  events: number;
  lost: number;
}

export interface WriterSummary extends VtrEnd {
  threads: Array<{ name: string; tid: number; events: number; lost: number }>;
  file: string;
}

export class RecordingWriter {
  private readonly fd: number;
  private readonly rings: Ring[] = [];
  private buf = new Uint8Array(CHUNK_TARGET + EVTS_HEADER);
  private readonly hdr = Buffer.alloc(CHUNK_HEADER + EVTS_HEADER);
  private events = 0;
  private lost = 0;
  private bytes = 0;
  private lastNs = 0;
  error: string | undefined;
  private closed = false;

  constructor(
    readonly file: string,
    header: Uint8Array,
  ) {
    this.fd = fs.openSync(file, 'w');
    this.write([header]);
  }

  addRing(reg: RingRegistration): void {
    const thread: VtrThread = { index: this.rings.length, tid: reg.tid, name: reg.name, kind: reg.kind };
    this.rings.push({ consumer: new RingConsumer(reg.ring), thread, events: 0, lost: 0 });
    this.write([encodeJsonChunk('THRD', thread)]);
  }

  /** Drain every ring (each until empty, or `maxChunks` chunks per ring). */
  drainAll(maxChunks = Infinity): void {
    for (const r of this.rings) this.drain(r, maxChunks);
  }

  private drain(r: Ring, maxChunks: number): void {
    const lost = r.consumer.takeLost();
    if (lost > 0) this.noteLost(r, lost, 'ring-full');
    for (let n = 0; n < maxChunks; n++) {
      if (r.consumer.available() === 0) return;
      let len = r.consumer.peek(this.payload(), CHUNK_TARGET);
      if (len === 0) {
        // A single record larger than the buffer: grow to the ring's size (a record never exceeds it).
        this.buf = new Uint8Array(r.consumer.cap + EVTS_HEADER);
        len = r.consumer.peek(this.payload(), CHUNK_TARGET);
        if (len === 0) return;
      }
      this.writeEvents(r, len);
      r.consumer.consume(len);
    }
  }

  /** The records area of the chunk buffer (grown for a record larger than CHUNK_TARGET). */
  private payload(): Uint8Array {
    return this.buf.subarray(EVTS_HEADER);
  }

  private writeEvents(r: Ring, len: number): void {
    const rec = this.buf.subarray(EVTS_HEADER, EVTS_HEADER + len);
    const view = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
    let count = 0;
    let first = 0;
    let last = 0;
    for (let p = 0; p < len; ) {
      const [ns, next] = peekRecordTime(rec, view, p);
      if (count === 0) first = ns;
      last = ns;
      count++;
      p = next;
    }
    if (this.error !== undefined) {
      this.noteLost(r, count, 'write-error');
      return;
    }
    const sub = Buffer.from(this.buf.buffer, this.buf.byteOffset, EVTS_HEADER);
    sub.writeUInt32LE(r.thread.index, 0);
    sub.writeUInt32LE(count, 4);
    sub.writeUInt32LE(first % 4294967296, 8);
    sub.writeUInt32LE(Math.floor(first / 4294967296), 12);
    sub.writeUInt32LE(last % 4294967296, 16);
    sub.writeUInt32LE(Math.floor(last / 4294967296), 20);
    const payload = this.buf.subarray(0, EVTS_HEADER + len);
    const h = this.hdr.subarray(0, CHUNK_HEADER);
    h.write('EVTS', 0, 'latin1');
    h.writeUInt32LE(payload.length, 4);
    h.writeUInt32LE(crc32(payload), 8);
    if (this.write([h, payload])) {
      r.events += count;
      this.events += count;
      if (last > this.lastNs) this.lastNs = last;
    } else {
      this.noteLost(r, count, 'write-error');
    }
  }

  private noteLost(r: Ring, count: number, reason: VtrLost['reason']): void {
    r.lost += count;
    this.lost += count;
    const lost: VtrLost = { thread: r.thread.index, count, ns: Number(process.hrtime.bigint()), reason };
    if (this.error === undefined) this.write([encodeJsonChunk('LOST', lost)]);
  }

  /** One writev of whole pieces; false (and writing stops for good) on an error or short write. */
  private write(pieces: Uint8Array[]): boolean {
    if (this.error !== undefined || this.closed) return false;
    const want = pieces.reduce((a, p) => a + p.length, 0);
    try {
      const n = fs.writevSync(this.fd, pieces);
      this.bytes += n;
      if (n !== want) {
        this.error = `short write (${n} of ${want} bytes): the disk is probably full`;
        return false;
      }
      return true;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      this.error = err.code ? `${err.code}: ${err.message.replace(/^\w+: /, '').replace(/, write$/, '')}` : String(e);
      return false;
    }
  }

  /** Final drain, the ENDS chunk, close. Returns the summary. */
  finish(): WriterSummary {
    this.drainAll();
    const end: VtrEnd = { events: this.events, lost: this.lost, bytes: this.bytes, lastNs: this.lastNs };
    if (this.error !== undefined) end.error = this.error;
    else this.write([encodeJsonChunk('ENDS', end)]);
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      // nothing more to lose
    }
    return {
      ...end,
      bytes: this.bytes,
      file: this.file,
      threads: this.rings.map((r) => ({ name: r.thread.name, tid: r.thread.tid, events: r.events, lost: r.lost })),
    };
  }
}
