import { expect, test } from 'vitest';
import {
  QEMUIOVector,
  qemu_iovec_add,
  qemu_iovec_concat,
  qemu_iovec_from_buf,
  qemu_iovec_init,
  qemu_iovec_init_extended,
  qemu_iovec_is_zero,
  qemu_iovec_memset,
  qemu_iovec_reset,
  qemu_iovec_slice,
  qemu_iovec_to_buf,
  qiovOf,
} from '../../src/util/iov';

test('entries alias the caller\'s memory; to_buf/from_buf/memset copy across entry boundaries', () => {
  const ram = new Uint8Array(new SharedArrayBuffer(64));
  const q = new QEMUIOVector();
  qemu_iovec_init(q);
  qemu_iovec_add(q, ram.subarray(0, 5));
  qemu_iovec_add(q, ram.subarray(0, 0)); // skipped
  qemu_iovec_add(q, ram.subarray(32, 40));
  expect(q.niov).toBe(2);
  expect(q.size).toBe(13);
  expect(qemu_iovec_from_buf(q, 3, Uint8Array.from([1, 2, 3, 4]))).toBe(4);
  expect([...ram.subarray(3, 5)]).toEqual([1, 2]);
  expect([...ram.subarray(32, 34)]).toEqual([3, 4]);
  const out = new Uint8Array(6);
  expect(qemu_iovec_to_buf(q, 2, out)).toBe(6);
  expect([...out]).toEqual([0, 1, 2, 3, 4, 0]);
  expect(qemu_iovec_memset(q, 4, 0xff, 100)).toBe(9); // clipped at the end
  expect(ram[4]).toBe(0xff);
  expect(qemu_iovec_is_zero(q, 0, 3)).toBe(true);
  expect(qemu_iovec_is_zero(q, 0, 4)).toBe(false);
  qemu_iovec_reset(q);
  expect(q.size).toBe(0);
});

test('slicing and padding (qemu_iovec_init_extended) build aliases, not copies', () => {
  const a = new Uint8Array(10).fill(1);
  const b = new Uint8Array(10).fill(2);
  const q = qiovOf(a, b);
  const s = qemu_iovec_slice(q, 8, 4);
  expect(s.iov.map((v) => v.byteLength)).toEqual([2, 2]);
  s.iov[1][0] = 9;
  expect(b[0]).toBe(9);
  const head = new Uint8Array(3);
  const tail = new Uint8Array(5);
  const p = new QEMUIOVector();
  qemu_iovec_init_extended(p, head, q, 5, 10, tail);
  expect(p.iov.map((v) => v.byteLength)).toEqual([3, 5, 5, 5]);
  expect(p.size).toBe(18);
  const c = new QEMUIOVector();
  qemu_iovec_concat(c, q, 0, 20);
  expect(c.size).toBe(20);
  expect(() => qemu_iovec_slice(q, 15, 10)).toThrow(RangeError);
});
