/**
 * The RSP framer alone (GDB manual, "Overview", "Packet Acknowledgment"): packets split at every
 * byte boundary, escapes, checksums, acks and retransmission, Ctrl-C, oversized packets, no-ack
 * mode, and the encoder's escaping (checked by decoding with gdb's rules).
 */
import { describe, expect, test } from 'vitest';
import { checksum, encode, RspFramer } from '../../src/gdbstub/rsp-framer';

function harness(maxBody?: number) {
  const ev: string[] = [];
  const wrote: string[] = [];
  const f = new RspFramer(
    {
      packet: (b) => ev.push(`packet:${b}`),
      interrupt: () => ev.push('interrupt'),
      oversized: () => ev.push('oversized'),
      write: (s) => wrote.push(s),
    },
    maxBody,
  );
  const feed = (s: string) => f.feed(Buffer.from(s, 'latin1'));
  return { f, ev, wrote, feed };
}

describe('RspFramer', () => {
  test('a packet split at every boundary, acked once', () => {
    const framed = '$qSupported:multiprocess+#' + checksum('qSupported:multiprocess+');
    for (let cut = 0; cut <= framed.length; cut++) {
      const h = harness();
      h.feed(framed.slice(0, cut));
      h.feed(framed.slice(cut));
      expect(h.ev).toEqual(['packet:qSupported:multiprocess+']);
      expect(h.wrote).toEqual(['+']);
    }
  });

  test('escapes are undone; the checksum covers the escaped bytes', () => {
    const h = harness();
    const raw = 'X10,4:}\x03}\x04}]}\x0a';
    h.feed(`$${raw}#${checksum(raw)}`);
    expect(h.ev).toEqual(['packet:X10,4:#$}*']);
  });

  test('a bad checksum is nacked and dropped; a good retransmission passes', () => {
    const h = harness();
    h.feed('$g#00');
    expect(h.ev).toEqual([]);
    expect(h.wrote).toEqual(['-']);
    h.feed('$g#zz$g#67');
    expect(h.ev).toEqual(['packet:g']);
    expect(h.wrote).toEqual(['-', '-', '+']);
  });

  test("'-' from gdb resends the last reply; '+' and stray bytes are ignored", () => {
    const h = harness();
    h.f.send('OK');
    h.feed('+xyz-');
    expect(h.wrote).toEqual(['$OK#9a', '$OK#9a']);
    h.f.noAck = true;
    h.feed('-');
    expect(h.wrote).toHaveLength(2);
  });

  test('Ctrl-C outside a packet is an interrupt; inside it is data', () => {
    const h = harness();
    h.feed('\x03$m0,\x031#' + checksum('m0,\x031') + '\x03');
    expect(h.ev).toEqual(['interrupt', 'packet:m0,\x031', 'interrupt']);
  });

  test("a '$' inside a packet restarts framing", () => {
    const h = harness();
    h.feed('$garbage$?#3f');
    expect(h.ev).toEqual(['packet:?']);
  });

  test('an oversized packet is reported once and the stream stays in step', () => {
    const h = harness(16);
    const big = 'm'.repeat(40);
    h.feed(`$${big}#${checksum(big)}$?#3f`);
    expect(h.ev).toEqual(['oversized', 'packet:?']);
  });

  test('no-ack mode: no acks, bad checksums dropped silently', () => {
    const h = harness();
    h.f.noAck = true;
    h.feed('$?#00$?#3f');
    expect(h.ev).toEqual(['packet:?']);
    expect(h.wrote).toEqual([]);
  });

  test('encode escapes $ # } * and checksums the wire bytes', () => {
    const body = 'a$b#c}d*e\x00\xff';
    const framed = encode(body);
    const wire = framed.slice(1, framed.lastIndexOf('#'));
    expect(wire).not.toMatch(/[$#*]/);
    expect(framed.slice(-2)).toBe(checksum(wire));
    const h = harness();
    h.feed(framed);
    expect(h.ev).toEqual([`packet:${body}`]);
  });
});
