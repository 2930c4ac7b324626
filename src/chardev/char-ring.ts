/**
 * The emulator thread's console backend: input arrives from the front-end thread through a
 * ByteRing (src/util/byte-ring.ts) and is taken out only as fast as the device accepts it, so
 * nothing is lost while the UART's FIFO is full (bytes wait in the ring, then in our queue).
 * Output goes to a callback (the emulator thread batches it per round and posts it).
 */
import type { ByteRing } from '../util/byte-ring';
import { QueuedCharBackend } from './char-fe';

export class RingCharBackend extends QueuedCharBackend {
  constructor(
    private readonly input: ByteRing,
    private readonly output: (data: Uint8Array) => void,
  ) {
    super();
  }

  write(data: Uint8Array): void {
    this.output(data);
  }

  /** Move what the ring holds into our queue, then deliver as far as the device has room. */
  override poll(): void {
    // Only pull when the queue is drained: the ring then keeps exerting back-pressure on the producer.
    if (this.pendingInput === 0 && this.input.available() > 0) {
      const bytes: number[] = [];
      for (let b = this.input.shift(); b >= 0; b = bytes.length < 4096 ? this.input.shift() : -1) bytes.push(b);
      this.enqueue(bytes);
    } else this.deliver();
  }

  override acceptInput(): void {
    this.poll();
  }
}
