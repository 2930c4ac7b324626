/**
 * The client side of GDB's Remote Serial Protocol framing, shared by the test clients
 * (test/target/riscv/diff/rsp-client.ts, which drives QEMU's stub and vtrace's, and
 * test/gdbstub/helpers.ts RawRsp, which sends what a well-behaved client would not). Streams are
 * handled as latin1 strings, one char per byte, so binary packet bodies survive both ways.
 * Encoding a packet is src/gdbstub/rsp-framer.ts `encode` (escapes '$', '#', '}', '*').
 */

/** A packet as read off the wire: its raw (still escaped) body and the two checksum hex digits. */
export interface WirePacket {
  raw: string;
  sum: string;
}

/** Take the complete `$body#xx` packets out of `buf`; acks and noise before a '$' are skipped. */
export function takePackets(buf: string): { packets: WirePacket[]; rest: string } {
  const packets: WirePacket[] = [];
  for (;;) {
    const start = buf.indexOf('$');
    if (start < 0) return { packets, rest: '' };
    const hash = buf.indexOf('#', start);
    if (hash < 0 || hash + 2 >= buf.length) return { packets, rest: buf.slice(start) };
    packets.push({ raw: buf.slice(start + 1, hash), sum: buf.slice(hash + 1, hash + 3) });
    buf = buf.slice(hash + 3);
  }
}

/** Undo '}' escapes and run-length encoding ('x*' + count char) in a reply body. */
export function decodeBody(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '}') out += String.fromCharCode(raw.charCodeAt(++i) ^ 0x20);
    else if (c === '*') out += out[out.length - 1].repeat(raw.charCodeAt(++i) - 29);
    else out += c;
  }
  return out;
}

/** The packet checksum: sum of the body's bytes mod 256, two lowercase hex digits. */
export function checksum(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum = (sum + body.charCodeAt(i)) & 0xff;
  return sum.toString(16).padStart(2, '0');
}
