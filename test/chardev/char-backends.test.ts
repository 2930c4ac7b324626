import { describe, expect, test } from 'vitest';
import { MemoryCharBackend } from '../../src/chardev/char-memory';
import { RingCharBackend } from '../../src/chardev/char-ring';
import { ByteRing } from '../../src/util/byte-ring';
import type { CharFrontend } from '../../src/chardev/char-fe';

/** A frontend with room for `room` bytes until `drain()`. */
function frontend(room: number) {
  const got: number[] = [];
  let free = room;
  const fe: CharFrontend & { got: number[]; drain(n: number): void } = {
    got,
    canReceive: () => free,
    receive(d) {
      expect(d.length).toBeLessThanOrEqual(free);
      free -= d.length;
      got.push(...d);
    },
    drain(n) {
      free += n;
    },
  };
  return fe;
}

describe('MemoryCharBackend', () => {
  test('collects output and feeds input with flow control, losing nothing', () => {
    const be = new MemoryCharBackend();
    be.write(Uint8Array.of(0x68, 0x69));
    expect(be.text()).toBe('hi');
    const fe = frontend(2);
    be.feed('abcde'); // queued before a frontend is attached
    be.setFrontend(fe);
    expect(String.fromCharCode(...fe.got)).toBe('ab');
    expect(be.pendingInput).toBe(3);
    fe.drain(10);
    be.acceptInput();
    expect(String.fromCharCode(...fe.got)).toBe('abcde');
    expect(be.pendingInput).toBe(0);
  });
});

describe('RingCharBackend', () => {
  test('takes input from the ring only as the device accepts it', () => {
    const ring = new ByteRing(64);
    const out: number[] = [];
    const be = new RingCharBackend(ring, (d) => out.push(...d));
    const fe = frontend(1);
    be.setFrontend(fe);
    ring.push(Uint8Array.from([1, 2, 3]));
    be.poll();
    expect(fe.got).toEqual([1]);
    fe.drain(5);
    be.acceptInput();
    expect(fe.got).toEqual([1, 2, 3]);
    be.write(Uint8Array.of(9));
    expect(out).toEqual([9]);
  });
});
