/**
 * The exporters' output file. Encoders write into `out` (a Bytes) and call flushIfFull() after
 * each record; every ~4 MiB the filled buffer is written with one write call.
 *
 * Once the output passes the first buffer, writes move to a helper thread: `out` then fills one of
 * three shared buffers while the helper writes the previous ones (the page-cache copy of a big
 * export costs about as much as encoding it on a small VM, and runs on the other core). Order is
 * kept (buffers are written in turn); memory stays bounded (three buffers). A buffer that grew
 * past its slot (one huge record) is written directly, after the helper has caught up.
 *
 * Errors (ENOSPC, EIO...): the first failed write stops output; close() (or the next flush)
 * throws an Error with `code` and `syscall` ('write'), as fs.writeSync would.
 */
import * as fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { Bytes } from './bytes';

export const FLUSH_AT = 4 << 20;
const SLOT_BYTES = FLUSH_AT + (2 << 20);
const SLOTS = 3;
/** Control words: per slot its state (FREE / FULL / QUIT) and length; then the error. */
const FREE = 0;
const FULL = 1;
const QUIT = 2;
const C_ERROR = 2 * SLOTS;
const ERROR_TEXT_AT = 4 * (C_ERROR + 1);
const CONTROL_BYTES = ERROR_TEXT_AT + 256;

/** The helper: writes slot after slot until told to quit; after a failed write (reported) it only frees slots. */
const HELPER = `
const fs = require('node:fs');
const { workerData } = require('node:worker_threads');
const { fd, control, slots } = workerData;
const ctl = new Int32Array(control);
const views = slots.map((s) => new Uint8Array(s));
for (let i = 0; ; i = (i + 1) % views.length) {
  while (Atomics.load(ctl, i) === ${FREE}) Atomics.wait(ctl, i, ${FREE});
  if (Atomics.load(ctl, i) === ${QUIT}) break;
  const len = Atomics.load(ctl, ${SLOTS} + i);
  try {
    let done = 0;
    if (Atomics.load(ctl, ${C_ERROR}) === 0) while (done < len) done += fs.writeSync(fd, views[i], done, len - done);
  } catch (e) {
    const text = Buffer.from(String(e.code || e.message)).subarray(0, 255);
    new Uint8Array(control, ${ERROR_TEXT_AT}, text.length).set(text);
    Atomics.store(ctl, ${C_ERROR}, text.length);
  }
  Atomics.store(ctl, i, ${FREE});
  Atomics.notify(ctl, i);
}
`;

export class OutFile {
  readonly out = new Bytes(SLOT_BYTES);
  private worker: Worker | null = null;
  private ctl: Int32Array | null = null;
  private slots: Uint8Array[] = [];
  private slot = 0;
  private flushes = 0;
  /** Bytes handed to write so far (written by close(), unless a write failed). */
  bytes = 0;

  constructor(private readonly fd: number) {}

  flushIfFull(): void {
    if (this.out.pos >= FLUSH_AT) this.flush();
  }

  /** Write what `out` holds (at once, or by the helper) and start a fresh buffer. */
  flush(last = false): void {
    const o = this.out;
    if (o.pos === 0) return;
    this.flushes++;
    this.bytes += o.pos;
    // The helper pays off from the second full buffer on (not for the tail at close).
    if (this.worker === null && this.flushes > 1 && !last) this.startHelper();
    const ctl = this.ctl;
    if (ctl === null || o.buf !== this.slots[this.slot]) {
      this.drain();
      this.writeNow(o.buf, o.pos);
      o.buf = ctl === null ? o.buf : this.slots[this.slot];
      o.pos = 0;
      return;
    }
    this.check();
    Atomics.store(ctl, SLOTS + this.slot, o.pos);
    Atomics.store(ctl, this.slot, FULL);
    Atomics.notify(ctl, this.slot);
    this.slot = (this.slot + 1) % SLOTS;
    while (Atomics.load(ctl, this.slot) !== FREE) Atomics.wait(ctl, this.slot, FULL);
    this.check();
    o.buf = this.slots[this.slot];
    o.pos = 0;
  }

  /** Write everything, stop the helper; throws the first write error. */
  close(): void {
    this.flush(true);
    this.drain();
    if (this.ctl !== null) {
      Atomics.store(this.ctl, this.slot, QUIT);
      Atomics.notify(this.ctl, this.slot);
      this.worker!.unref();
      this.worker = null;
      this.ctl = null;
    }
  }

  private writeNow(b: Uint8Array, len: number): void {
    let done = 0;
    while (done < len) done += fs.writeSync(this.fd, b, done, len - done);
  }

  /** Wait until the helper has written every full slot. */
  private drain(): void {
    const ctl = this.ctl;
    if (ctl === null) return;
    for (let i = 0; i < SLOTS; i++) while (Atomics.load(ctl, i) === FULL) Atomics.wait(ctl, i, FULL);
    this.check();
  }

  /** Stop the helper without writing more (after an error). Idempotent. */
  abort(): void {
    if (this.worker !== null) void this.worker.terminate();
    this.worker = null;
    this.ctl = null;
  }

  private check(): void {
    const ctl = this.ctl!;
    const n = Atomics.load(ctl, C_ERROR);
    if (n === 0) return;
    this.abort();
    const code = Buffer.from(new Uint8Array(ctl.buffer, ERROR_TEXT_AT, n)).toString();
    const e = new Error(`${code}: write failed`) as NodeJS.ErrnoException;
    e.code = code;
    e.syscall = 'write';
    throw e;
  }

  private startHelper(): void {
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const shared = Array.from({ length: SLOTS }, () => new SharedArrayBuffer(SLOT_BYTES));
    this.worker = new Worker(HELPER, { eval: true, workerData: { fd: this.fd, control, slots: shared }, name: 'vtrace-export-writer' });
    this.worker.unref();
    this.ctl = new Int32Array(control);
    this.slots = shared.map((s) => new Uint8Array(s));
    // The current (private) buffer is written directly by flush(); from then on `out` fills slots.
    this.slot = 0;
  }
}
