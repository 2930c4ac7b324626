/**
 * An in-memory character backend for tests (QEMU's ringbuf chardev in spirit): output bytes are
 * collected, input is fed by the test and delivered with the frontend's flow control.
 */
import { QueuedCharBackend } from './char-fe';

export class MemoryCharBackend extends QueuedCharBackend {
  private out: number[] = [];

  write(data: Uint8Array): void {
    for (const b of data) this.out.push(b);
  }

  /** Queue input for the device; delivered now as far as the device has room, the rest later. */
  feed(data: Uint8Array | string): void {
    this.enqueue(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Everything the device transmitted so far. */
  output(): Uint8Array {
    return Uint8Array.from(this.out);
  }

  /** Output as a latin1 string (one char per byte). */
  text(): string {
    return Buffer.from(this.out).toString('latin1');
  }

  /** Forget collected output. */
  clearOutput(): void {
    this.out = [];
  }
}
