import { describe, expect, test } from 'vitest';
import type { SyscallName, SyscallRecord } from '../../src/host/record';
import { formatSummary, printfFixed } from '../../src/host/strace-summary';

/** `calls` records of `name` whose durations add up to `totalNs`, `errors` of them failed. */
function many(name: SyscallName, calls: number, totalNs: number, errors = 0): SyscallRecord[] {
  const out: SyscallRecord[] = [];
  for (let i = 0; i < calls; i++) {
    const share = Math.floor(totalNs / calls) + (i < totalNs % calls ? 1 : 0);
    out.push({
      name,
      args: [],
      ret: i < errors ? -9 : 0,
      errno: i < errors ? 'EBADF' : undefined,
      tid: 1,
      threadName: 'main',
      startNs: BigInt(i),
      durationNs: share,
      raw: { fd: 3 },
    } as SyscallRecord);
  }
  return out;
}

describe('strace -c table', () => {
  test('reproduces a table strace 6.1 printed (same totals per syscall)', () => {
    // `strace -f -c -e trace=openat,pread64,preadv,pwrite64,pwritev,fdatasync,close,statx,ftruncate node probe.js`
    const records = [
      ...many('pwritev', 1, 0),
      ...many('preadv', 2, 0),
      ...many('ftruncate', 1, 0),
      ...many('fdatasync', 1, 0),
      ...many('pwrite64', 2, 0),
      ...many('pread64', 6, 0, 1),
      ...many('statx', 9, 2_000),
      ...many('openat', 42, 145_000, 7),
      ...many('close', 49, 590_000, 1),
    ];
    const expected = [
      '% time     seconds  usecs/call     calls    errors syscall',
      '------ ----------- ----------- --------- --------- ----------------',
      ' 80.05    0.000590          12        49         1 close',
      ' 19.67    0.000145           3        42         7 openat',
      '  0.27    0.000002           0         9           statx',
      '  0.00    0.000000           0         6         1 pread64',
      '  0.00    0.000000           0         2           pwrite64',
      '  0.00    0.000000           0         1           fdatasync',
      '  0.00    0.000000           0         1           ftruncate',
      '  0.00    0.000000           0         2           preadv',
      '  0.00    0.000000           0         1           pwritev',
      '------ ----------- ----------- --------- --------- ----------------',
      '100.00    0.000737           6       113         9 total',
      '',
    ];
    const table = formatSummary(records).split('\n');
    if (process.arch === 'x64') expect(table).toEqual(expected);
    else expect(table.slice(0, 5)).toEqual(expected.slice(0, 5)); // ties follow another syscall table
  });

  test('-S calls, and columns widen to fit', () => {
    const records = [...many('close', 49, 716_000, 1), ...many('openat', 42, 1_493_000, 7), ...many('preadv', 2, 296_000)];
    expect(formatSummary(records, { sortBy: 'calls' }).split('\n').slice(2, 5)).toEqual([
      ' 28.58    0.000716          14        49         1 close',
      ' 59.60    0.001493          35        42         7 openat',
      ' 11.82    0.000296         148         2           preadv',
    ]);
    const big = formatSummary(many('pread64', 3, 12_345_678_901_234));
    expect(big.split('\n')[2]).toBe('100.00 12345.678901  4115226300         3           pread64');
    expect(big.split('\n')[0]).toBe('% time      seconds  usecs/call     calls    errors syscall');
    expect(big.split('\n')[1]).toBe('------ ------------ ----------- --------- --------- ----------------');
  });

  test('printf %.Nf rounding: exact binary value, ties to even', () => {
    expect(printfFixed(0.125, 2)).toBe('0.12');
    expect(printfFixed(0.375, 2)).toBe('0.38');
    expect(printfFixed(2.5, 0)).toBe('2');
    expect(printfFixed(1.005, 2)).toBe('1.00'); // 1.00499999999999989...
    expect(printfFixed(80.05427408412483, 2)).toBe('80.05');
    expect(printfFixed(0, 6)).toBe('0.000000');
    expect(printfFixed(100, 2)).toBe('100.00');
  });
});
