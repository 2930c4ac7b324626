import { expect, test } from 'vitest';
import { closeSync, openSync, readSync } from 'node:fs';
import { errnoByName, errnoName, errnoOfNodeError, formatErrnoResult, strerror } from '../../src/host/errno';

test('Linux numbers, strace names, glibc texts', () => {
  expect([errnoName(2), strerror(2)]).toEqual(['ENOENT', 'No such file or directory']);
  expect(errnoName(11)).toBe('EAGAIN');
  expect(errnoName(95)).toBe('EOPNOTSUPP');
  expect(errnoByName('ENOTSUP')).toBe(95);
  expect(errnoByName('EWOULDBLOCK')).toBe(11);
  expect(formatErrnoResult(9)).toBe('-1 EBADF (Bad file descriptor)');
  expect(formatErrnoResult(600)).toBe('-1 600 (Unknown error 600)');
});

test("Node's fs errors map to errno; its argument errors do not", () => {
  const caught = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    throw new Error('did not throw');
  };
  expect(errnoOfNodeError(caught(() => openSync('/nonexistent/vtrace', 'r')))).toBe(2);
  expect(errnoOfNodeError(caught(() => closeSync(987654)))).toBe(9);
  const dir = openSync('/', 'r');
  expect(errnoOfNodeError(caught(() => readSync(dir, Buffer.alloc(4), 0, 4, 0)))).toBe(21);
  closeSync(dir);
  expect(errnoOfNodeError(caught(() => readSync(-1, Buffer.alloc(4), 0, 4, 0)))).toBeUndefined(); // ERR_OUT_OF_RANGE
  expect(errnoOfNodeError(new TypeError('x'))).toBeUndefined();
});
