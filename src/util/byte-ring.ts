/**
 * A single-producer single-consumer byte ring over a SharedArrayBuffer, for passing bytes between
 * threads without messages (the console's stdin → the emulator thread, which may be blocked in
 * Atomics.wait while its guest idles in WFI).
 *
 * Layout: Int32 header [head, tail, seq] then `capacity` data bytes. The producer advances `tail`
 * and bumps `seq` (then Atomics.notify on seq); the consumer advances `head`. One slot is kept
 * free to tell full from empty. Writers that find the ring full drop nothing: `push` returns how
 * many bytes it took and the caller keeps the rest.
 */
const HEAD = 0;
const TAIL = 1;
const SEQ = 2;
const HEADER_BYTES = 16;

export class ByteRing {
  readonly sab: SharedArrayBuffer;
  private readonly hdr: Int32Array;
  private readonly data: Uint8Array;
  private readonly capacity: number;

  constructor(sabOrCapacity: SharedArrayBuffer | number) {
    this.sab = typeof sabOrCapacity === 'number' ? new SharedArrayBuffer(HEADER_BYTES + sabOrCapacity) : sabOrCapacity;
    this.hdr = new Int32Array(this.sab, 0, 4);
    this.data = new Uint8Array(this.sab, HEADER_BYTES);
    this.capacity = this.data.length;
  }

  /** Producer: append as many bytes as fit; returns the count taken. Wakes a waiting consumer. */
  push(bytes: Uint8Array): number {
    const head = Atomics.load(this.hdr, HEAD);
    let tail = Atomics.load(this.hdr, TAIL);
    let n = 0;
    while (n < bytes.length) {
      const next = (tail + 1) % this.capacity;
      if (next === head) break;
      this.data[tail] = bytes[n++];
      tail = next;
    }
    Atomics.store(this.hdr, TAIL, tail);
    Atomics.add(this.hdr, SEQ, 1);
    Atomics.notify(this.hdr, SEQ);
    return n;
  }

  /** Consumer: bytes available to read. */
  available(): number {
    const head = Atomics.load(this.hdr, HEAD);
    const tail = Atomics.load(this.hdr, TAIL);
    return (tail - head + this.capacity) % this.capacity;
  }

  /** Consumer: read one byte, or -1 when empty. */
  shift(): number {
    const head = Atomics.load(this.hdr, HEAD);
    if (head === Atomics.load(this.hdr, TAIL)) return -1;
    const b = this.data[head];
    Atomics.store(this.hdr, HEAD, (head + 1) % this.capacity);
    return b;
  }

  /** Consumer: the sequence number to pass to `wait` (read it before checking `available`). */
  seq(): number {
    return Atomics.load(this.hdr, SEQ);
  }

  /** Consumer: block the thread until the producer pushes after `seq` was read, or `timeoutMs` passes. */
  wait(seq: number, timeoutMs: number): void {
    Atomics.wait(this.hdr, SEQ, seq, timeoutMs);
  }

  /** Any thread: wake a consumer blocked in `wait` without pushing data (e.g. to deliver a command). */
  kick(): void {
    Atomics.add(this.hdr, SEQ, 1);
    Atomics.notify(this.hdr, SEQ);
  }
}
