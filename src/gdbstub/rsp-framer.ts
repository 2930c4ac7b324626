/**
 * The GDB Remote Serial Protocol's framing layer (GDB manual, "Remote Protocol" → "Overview",
 * "Packet Acknowledgment", "Interrupts"): bytes from the connection in, packets out; packet
 * bodies in, framed bytes out.
 *
 * Contract
 * - `feed(bytes)` accepts any byte sequence, split anywhere. It reports:
 *   - `packet(body)`: a complete `$body#cc` whose checksum matched, with `}`-escapes undone
 *     (as QEMU's stub does for every packet; gdb never sends run-length encoding). The body is a
 *     latin1 string (one char per byte, binary-safe). In ack mode a '+' is sent first.
 *   - `interrupt()`: a 0x03 byte outside a packet (Ctrl-C).
 *   - `oversized()`: a packet longer than `maxBody` was received (and dropped); the dispatcher
 *     answers it with an error. Its bytes are acknowledged, the stream stays in sync.
 *   - checksum mismatch: '-' in ack mode (gdb retransmits), silently dropped in no-ack mode.
 *   - a '-' from gdb in ack mode: the last reply is sent again. '+' and stray bytes are ignored.
 * - `encode(body)` frames a reply: `$`, the body with '$', '#', '}' and '*' escaped, `#`, the
 *   two-digit checksum. No run-length encoding is produced.
 * - `noAck` (QStartNoAckMode) is switched on by the dispatcher after it replies OK.
 */

export interface FramerSink {
  packet(body: string): void;
  interrupt(): void;
  oversized(): void;
  /** Bytes to write back to gdb (acks, retransmissions). */
  write(bytes: string): void;
}

const enum St {
  IDLE,
  BODY,
  ESC,
  SUM1,
  SUM2,
}

export function checksum(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum = (sum + body.charCodeAt(i)) & 0xff;
  return sum.toString(16).padStart(2, '0');
}

/** Frame a reply body (latin1 string). */
export function encode(body: string): string {
  const esc = body.replace(/[$#}*]/g, (c) => '}' + String.fromCharCode(c.charCodeAt(0) ^ 0x20));
  return `$${esc}#${checksum(esc)}`;
}

export class RspFramer {
  noAck = false;
  private st = St.IDLE;
  /** Raw (still escaped) body bytes, for the checksum. */
  private raw: number[] = [];
  /** Unescaped body, or null once it grew past maxBody. */
  private body: number[] | null = [];
  private sum = '';
  private lastReply = '';

  constructor(private readonly sink: FramerSink, readonly maxBody = 0x4000) {}

  /** Frame `body`, remember it for retransmission, write it. */
  send(body: string): void {
    const framed = encode(body);
    this.lastReply = framed;
    this.sink.write(framed);
  }

  feed(bytes: Uint8Array): void {
    for (const b of bytes) this.byte(b);
  }

  private byte(b: number): void {
    switch (this.st) {
      case St.IDLE:
        if (b === 0x24 /* $ */) this.start();
        else if (b === 0x03) this.sink.interrupt();
        else if (b === 0x2d /* - */ && !this.noAck && this.lastReply !== '') this.sink.write(this.lastReply);
        return;
      case St.BODY:
      case St.ESC:
        if (b === 0x24) {
          // A new packet start inside a packet: gdb gave up on the old one.
          this.start();
          return;
        }
        if (b === 0x23 /* # */ && this.st === St.BODY) {
          this.st = St.SUM1;
          return;
        }
        this.raw.push(b);
        if (this.st === St.ESC) {
          this.st = St.BODY;
          this.push(b ^ 0x20);
        } else if (b === 0x7d /* } */) this.st = St.ESC;
        else this.push(b);
        return;
      case St.SUM1:
        this.sum = String.fromCharCode(b);
        this.st = St.SUM2;
        return;
      case St.SUM2:
        this.sum += String.fromCharCode(b);
        this.st = St.IDLE;
        this.finish();
        return;
    }
  }

  private start(): void {
    this.st = St.BODY;
    this.raw = [];
    this.body = [];
  }

  private push(b: number): void {
    if (this.body === null) return;
    if (this.body.length >= this.maxBody) this.body = null;
    else this.body.push(b);
  }

  private finish(): void {
    let sum = 0;
    for (const b of this.raw) sum = (sum + b) & 0xff;
    const ok = /^[0-9a-fA-F]{2}$/.test(this.sum) && parseInt(this.sum, 16) === sum;
    const body = this.body;
    this.raw = [];
    this.body = [];
    if (!ok) {
      if (!this.noAck) this.sink.write('-');
      return;
    }
    if (!this.noAck) this.sink.write('+');
    if (body === null) this.sink.oversized();
    else this.sink.packet(Buffer.from(body).toString('latin1'));
  }
}
