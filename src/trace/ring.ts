/**
 * A per-thread trace buffer: a single-producer single-consumer byte ring in a SharedArrayBuffer.
 * The producer is the thread whose events it holds (the emulator thread, a pool worker, an
 * iothread); the consumer is the recording's writer thread (recorder-writer.ts).
 *
 * Layout (Int32 words, then the data area; capacity a power of two):
 *   [0] WRITE  bytes ever written (u32, wrapping); published with Atomics.store after a whole record
 *   [1] READ   bytes ever consumed (u32, wrapping); advanced by the consumer
 *   [2] LOST   records dropped because the ring was full (u32, producer only)
 *   [3] KICKED 1 once the producer asked the writer to drain early; the writer clears it
 *   [4] CLOSED 1 once the producer is done (thread exiting)
 *   [5] LOST_MAX the largest record dropped (bytes), for the report
 *   data at byte HEADER_BYTES
 *
 * Contract: records are whole when visible (WRITE moves once per record), so the consumer can cut
 * chunks at any WRITE value it read. A full ring drops the new record and counts it (the producer
 * never blocks: tracing must not stall the vCPUs); the writer turns counts into LOST chunks.
 */

export const R_WRITE = 0;
export const R_READ = 1;
export const R_LOST = 2;
export const R_KICKED = 3;
export const R_CLOSED = 4;
export const R_LOST_MAX = 5;
export const HEADER_BYTES = 64;

/** Smallest and default per-thread ring sizes (bytes of data). */
export const RING_MIN_BYTES = 64 * 1024;
export const RING_DEFAULT_BYTES = 4 * 1024 * 1024;

export function ringCapacity(bytes: number): number {
  let cap = RING_MIN_BYTES;
  while (cap < bytes && cap < 1 << 30) cap *= 2;
  return cap;
}

export function createRingBuffer(bytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + ringCapacity(bytes));
}

/** Producer side. `kick` is called (at most once per drain) when the ring is a quarter full. */
export class RingProducer {
  readonly hdr: Int32Array;
  readonly data: Uint8Array;
  readonly cap: number;
  private readonly mask: number;
  private w: number;
  /** READ as last seen: reread only when the ring looks full or a quarter full. */
  private r: number;

  constructor(
    readonly sab: SharedArrayBuffer,
    private readonly kick: () => void,
  ) {
    this.hdr = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.data = new Uint8Array(sab, HEADER_BYTES);
    this.cap = this.data.length;
    this.mask = this.cap - 1;
    this.w = Atomics.load(this.hdr, R_WRITE) >>> 0;
    this.r = Atomics.load(this.hdr, R_READ) >>> 0;
  }

  /** Append one record (`len` bytes of `rec` from `off`); false (and counted as lost) when it does not fit. */
  push(rec: Uint8Array, len: number, off = 0): boolean {
    let used = (this.w - this.r) >>> 0;
    if (used + len > this.cap) {
      // The consumer may have moved on since READ was last read: look again before dropping.
      this.r = Atomics.load(this.hdr, R_READ) >>> 0;
      used = (this.w - this.r) >>> 0;
      if (used + len > this.cap) {
        Atomics.add(this.hdr, R_LOST, 1);
        if (len > this.hdr[R_LOST_MAX]) this.hdr[R_LOST_MAX] = len;
        this.requestDrain();
        return false;
      }
    }
    const at = this.w & this.mask;
    const data = this.data;
    if (len <= 256 && at + len <= this.cap) {
      for (let i = 0; i < len; i++) data[at + i] = rec[off + i];
    } else {
      const first = Math.min(len, this.cap - at);
      data.set(rec.subarray(off, off + first), at);
      if (first < len) data.set(rec.subarray(off + first, off + len), 0);
    }
    this.w = (this.w + len) >>> 0;
    Atomics.store(this.hdr, R_WRITE, this.w | 0);
    if (used + len > this.cap >>> 2) {
      this.r = Atomics.load(this.hdr, R_READ) >>> 0;
      if (((this.w - this.r) >>> 0) > this.cap >>> 2) this.requestDrain();
    }
    return true;
  }

  private requestDrain(): void {
    if (Atomics.load(this.hdr, R_KICKED) === 0) {
      Atomics.store(this.hdr, R_KICKED, 1);
      this.kick();
    }
  }

  close(): void {
    Atomics.store(this.hdr, R_CLOSED, 1);
    this.kick();
  }
}

/** Consumer side (the writer thread). */
export class RingConsumer {
  readonly hdr: Int32Array;
  readonly data: Uint8Array;
  readonly cap: number;
  private lostSeen = 0;

  constructor(readonly sab: SharedArrayBuffer) {
    this.hdr = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.data = new Uint8Array(sab, HEADER_BYTES);
    this.cap = this.data.length;
  }

  available(): number {
    return (Atomics.load(this.hdr, R_WRITE) - Atomics.load(this.hdr, R_READ)) >>> 0;
  }

  /**
   * Copy up to `max` bytes of whole records into `out` (from offset 0); returns the byte count.
   * `max` is advisory: at least one record is taken even if larger. Does not advance READ.
   */
  peek(out: Uint8Array, max: number): number {
    const w = Atomics.load(this.hdr, R_WRITE) >>> 0;
    const r = Atomics.load(this.hdr, R_READ) >>> 0;
    const avail = (w - r) >>> 0;
    if (avail === 0) return 0;
    const mask = this.cap - 1;
    // Walk record lengths to cut at a record boundary not beyond max (or the first record).
    let taken = 0;
    while (taken < avail) {
      let p = (r + taken) >>> 0;
      let len = 0;
      let shift = 0;
      let hdr = 0;
      for (;;) {
        const c = this.data[p & mask];
        p = (p + 1) >>> 0;
        hdr++;
        len |= (c & 0x7f) << shift;
        if (c < 0x80) break;
        shift += 7;
      }
      const size = hdr + len;
      if (taken > 0 && taken + size > max) break;
      if (taken + size > out.length) break;
      taken += size;
    }
    const at = r & mask;
    const first = Math.min(taken, this.cap - at);
    out.set(this.data.subarray(at, at + first), 0);
    if (first < taken) out.set(this.data.subarray(0, taken - first), first);
    return taken;
  }

  /** Release `n` bytes returned by peek; clears KICKED so the producer may kick again. */
  consume(n: number): void {
    Atomics.store(this.hdr, R_READ, (Atomics.load(this.hdr, R_READ) + n) | 0);
    Atomics.store(this.hdr, R_KICKED, 0);
  }

  /** Records dropped since the last call. */
  takeLost(): number {
    const total = Atomics.load(this.hdr, R_LOST) >>> 0;
    const d = (total - this.lostSeen) >>> 0;
    this.lostSeen = total;
    return d;
  }

  get closed(): boolean {
    return Atomics.load(this.hdr, R_CLOSED) === 1;
  }

  get largestLost(): number {
    return this.hdr[R_LOST_MAX];
  }
}
