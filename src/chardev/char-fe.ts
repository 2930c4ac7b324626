/**
 * The character-device contract between a device model (the "frontend": the NS16550A UART) and
 * whatever carries its bytes on the host (the "backend": the terminal, a test buffer), after QEMU's
 * chardev/char-fe.c and include/chardev/char.h.
 *
 * Output: the device calls `write` (qemu_chr_fe_write_all) for every byte it transmits. Backends
 * never refuse output: the terminal side buffers it.
 *
 * Input, with flow control: the backend asks the frontend `canReceive()` (qemu_chr_be_can_write,
 * which lands in the device's IOCanReadHandler, e.g. serial_can_receive1) and delivers at most that
 * many bytes with `receive` (qemu_chr_be_write → IOReadHandler). Bytes that do not fit stay queued
 * in the backend, never dropped. When the device has room again (the guest read RBR) it calls
 * `acceptInput()` (qemu_chr_fe_accept_input) and the backend delivers more right away.
 *
 * Threading: everything here runs on the machine's (emulator) thread. A backend whose bytes come
 * from another thread (the terminal) takes them from a shared ring in `poll()`, which the run loop
 * calls between vCPU slices (the main loop's fd polling in QEMU).
 */

/** The device side, registered with `CharBackend.setFrontend` (qemu_chr_fe_set_handlers). */
export interface CharFrontend {
  /** How many bytes the device can take now; 0 = none. Must have no side effects. */
  canReceive(): number;
  /** Deliver input bytes; `data.length` never exceeds the last `canReceive()` result. */
  receive(data: Uint8Array): void;
}

/** The host side of one character device. */
export interface CharBackend {
  /** Attach the device (or detach it with null). Attaching delivers already-queued input. */
  setFrontend(fe: CharFrontend | null): void;
  /** Device output (qemu_chr_fe_write_all). Called by the device model on the machine thread. */
  write(data: Uint8Array): void;
  /** The device has room for input again (qemu_chr_fe_accept_input): deliver what is queued. */
  acceptInput(): void;
  /** Run loop, between slices: collect input that arrived from the host and deliver it. */
  poll(): void;
}

/**
 * Shared input plumbing: a queue of pending input bytes delivered to the frontend as far as its
 * `canReceive()` allows. Backends extend it and feed `enqueue`.
 */
export abstract class QueuedCharBackend implements CharBackend {
  protected fe: CharFrontend | null = null;
  private queue: number[] = [];
  private head = 0;
  private delivering = false;

  setFrontend(fe: CharFrontend | null): void {
    this.fe = fe;
    this.deliver();
  }

  abstract write(data: Uint8Array): void;

  acceptInput(): void {
    this.deliver();
  }

  poll(): void {
    this.deliver();
  }

  /** Bytes queued for the device and not yet delivered. */
  get pendingInput(): number {
    return this.queue.length - this.head;
  }

  protected enqueue(data: ArrayLike<number>): void {
    for (let i = 0; i < data.length; i++) this.queue.push(data[i] & 0xff);
    this.deliver();
  }

  /** Hand queued bytes to the frontend while it has room (qemu_chr_be_can_write / qemu_chr_be_write). */
  protected deliver(): void {
    // receive() may call acceptInput() again (the device re-evaluates its state); the outer loop
    // keeps going, so the inner call has nothing to do.
    if (this.delivering || this.fe === null) return;
    this.delivering = true;
    try {
      for (;;) {
        const avail = this.queue.length - this.head;
        if (avail === 0) break;
        const n = Math.min(this.fe.canReceive(), avail);
        if (n <= 0) break;
        const chunk = Uint8Array.from(this.queue.slice(this.head, this.head + n));
        this.head += n;
        this.fe.receive(chunk);
      }
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
    } finally {
      this.delivering = false;
    }
  }
}
