/**
 * Formatting against lines strace 6.1 (Debian 12) printed for the same calls made by Node (the
 * expected strings below are copied from real `strace -f -tt -T -y` output of such programs;
 * strace-compat.test.ts compares against strace live).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { formatFileMode, formatOpenFlags, formatOctalMode, O_CLOEXEC, parseOpenFlags } from '../../src/host/flags';
import type { SyscallRecord } from '../../src/host/record';
import {
  FdPathTable,
  formatBuffer,
  formatDuration,
  formatFdWithPath,
  formatIovec,
  formatOpenatArgs,
  formatPath,
  formatPidPrefix,
  formatStatBuf,
  formatStatxArgs,
  formatStrace,
  formatStraceLine,
  formatTimestamp,
} from '../../src/host/strace-format';
import { constants as C } from 'node:fs';

function rec(partial: Partial<SyscallRecord> & Pick<SyscallRecord, 'name' | 'args' | 'ret' | 'raw'>): SyscallRecord {
  return { tid: 3055, threadName: 'main', startNs: 0n, durationNs: 0, ...partial } as SyscallRecord;
}

describe('buffers and paths', () => {
  test('octal escapes use the fewest digits unless an octal digit follows', () => {
    const b = new Uint8Array([1, 0x38, 1, 0x37, 0x7f, 0x20, 0x7e, 0, 0x39, 0xff, 0x38, 0x3f, 0x3f, 0x3d]);
    expect(formatBuffer(b, 14)).toBe('"\\18\\0017\\177 ~\\09\\3778??="');
  });

  test('C escapes, 32-byte cut and the trailing ...', () => {
    const data = new Uint8Array(1024);
    for (let i = 0; i < 1024; i++) data[i] = i & 255;
    data.set(new TextEncoder().encode('hello "world"\\\n\t\r\v\f\x07\x1b012'), 40);
    expect(formatBuffer(data, 300)).toBe(
      '"\\0\\1\\2\\3\\4\\5\\6\\7\\10\\t\\n\\v\\f\\r\\16\\17\\20\\21\\22\\23\\24\\25\\26\\27\\30\\31\\32\\33\\34\\35\\36\\37"...',
    );
    expect(formatBuffer(data.subarray(40), 20)).toBe('"hello \\"world\\"\\\\\\n\\t\\r\\v\\f\\7"');
    expect(formatBuffer(data.subarray(30), 40)).toBe('"\\36\\37 !\\"#$%&\'hello \\"world\\"\\\\\\n\\t\\r\\v\\f\\7\\0330"...');
    expect(formatBuffer(data.subarray(40), 32)).toBe('"hello \\"world\\"\\\\\\n\\t\\r\\v\\f\\7\\033012@ABCDEFG"');
    expect(formatBuffer(data.subarray(40), 33)).toBe('"hello \\"world\\"\\\\\\n\\t\\r\\v\\f\\7\\033012@ABCDEFG"...');
    expect(formatBuffer(data.subarray(40), 31)).toBe('"hello \\"world\\"\\\\\\n\\t\\r\\v\\f\\7\\033012@ABCDEF"');
    expect(formatBuffer(data.subarray(1000), 24)).toBe(
      '"\\350\\351\\352\\353\\354\\355\\356\\357\\360\\361\\362\\363\\364\\365\\366\\367\\370\\371\\372\\373\\374\\375\\376\\377"',
    );
    expect(formatBuffer(new Uint8Array(0), 0)).toBe('""');
  });

  test('paths are quoted whole, UTF-8 bytes in octal', () => {
    expect(formatPath('relative ü\x01name')).toBe('"relative \\303\\274\\1name"');
    const long = '/tmp/hostprobe/' + 'x'.repeat(80);
    expect(formatPath(long)).toBe(`"${long}"`);
  });

  test('iovecs: data up to the result, then empty; 32 elements then ...', () => {
    const b = new Uint8Array(48);
    b.set([0o370, 0o371, 0o372, 0o373, 0o374, 0o375, 0o376, 0o377]);
    const iov = [b.subarray(0, 16), b.subarray(16, 32), b.subarray(32, 48)];
    expect(formatIovec(iov, 8)).toBe(
      '[{iov_base="\\370\\371\\372\\373\\374\\375\\376\\377", iov_len=16}, {iov_base="", iov_len=16}, {iov_base="", iov_len=16}]',
    );
    const abc = [new TextEncoder().encode('abc'), new Uint8Array([0, 0, 0, 0o302, 0o200, 0o303, 0o277])];
    expect(formatIovec(abc, Infinity)).toBe('[{iov_base="abc", iov_len=3}, {iov_base="\\0\\0\\0\\302\\200\\303\\277", iov_len=7}]');
    const ones = Array.from({ length: 40 }, (_, i) => new Uint8Array([i]));
    const s = formatIovec(ones, 40);
    expect(s.startsWith('[{iov_base="\\0", iov_len=1}, {iov_base="\\1", iov_len=1}')).toBe(true);
    expect(s.endsWith('{iov_base="\\37", iov_len=1}, ...]')).toBe(true);
    expect(formatIovec(iov, 'addr')).toBe('[{iov_base=0x0, iov_len=16}, {iov_base=0x10, iov_len=16}, {iov_base=0x20, iov_len=16}]');
  });
});

describe('flags and modes', () => {
  test('open flags in strace order, with the access mode first', () => {
    const all =
      C.O_RDONLY | C.O_DIRECT! | C.O_NOATIME! | C.O_SYNC | C.O_EXCL | C.O_DIRECTORY | C.O_NOFOLLOW | C.O_APPEND | C.O_NOCTTY;
    expect(formatOpenFlags(all | O_CLOEXEC)).toBe(
      'O_RDONLY|O_EXCL|O_NOCTTY|O_APPEND|O_SYNC|O_DIRECT|O_NOFOLLOW|O_NOATIME|O_CLOEXEC|O_DIRECTORY',
    );
    expect(formatOpenFlags(0o20000000 | O_CLOEXEC)).toBe('O_RDONLY|O_CLOEXEC|__O_TMPFILE');
    expect(formatOpenFlags(C.O_RDWR | C.O_DSYNC | C.O_DIRECT! | O_CLOEXEC)).toBe('O_RDWR|O_DSYNC|O_DIRECT|O_CLOEXEC');
    expect(formatOpenFlags(C.O_RDWR | 0x40000000)).toBe('O_RDWR|0x40000000');
    expect(parseOpenFlags('O_RDONLY|O_NONBLOCK|O_CLOEXEC')).toBe(C.O_NONBLOCK | O_CLOEXEC);
    expect(() => parseOpenFlags('O_BOGUS')).toThrow(/O_BOGUS/);
  });

  test('openat arguments print the mode only with O_CREAT or O_TMPFILE', () => {
    expect(formatOpenatArgs('/a', C.O_RDWR | C.O_CREAT | C.O_TRUNC | O_CLOEXEC, 0o640)).toEqual([
      'AT_FDCWD',
      '"/a"',
      'O_RDWR|O_CREAT|O_TRUNC|O_CLOEXEC',
      '0640',
    ]);
    expect(formatOpenatArgs('/a', C.O_RDONLY | O_CLOEXEC, 0o640)).toEqual(['AT_FDCWD', '"/a"', 'O_RDONLY|O_CLOEXEC']);
    expect(formatOctalMode(0)).toBe('000');
    expect(formatOctalMode(0o4755)).toBe('04755');
  });

  test('file modes and stat structs', () => {
    expect(formatFileMode(0o100644)).toBe('S_IFREG|0644');
    expect(formatFileMode(0o41777)).toBe('S_IFDIR|S_ISVTX|0777');
    expect(formatFileMode(0o20666)).toBe('S_IFCHR|0666');
    expect(formatStatBuf(0o100644, 2147483648)).toBe('{st_mode=S_IFREG|0644, st_size=2147483648, ...}');
    expect(formatStatBuf(0o20666, 0, 0x103)).toBe('{st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}');
    expect(formatStatxArgs(18, { mode: 0o100640, size: 1024, btime: true })).toEqual([
      '18',
      '""',
      'AT_STATX_SYNC_AS_STAT|AT_EMPTY_PATH',
      'STATX_ALL',
      '{stx_mask=STATX_ALL|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFREG|0640, stx_size=1024, ...}',
    ]);
  });
});

describe('lines', () => {
  let tz: string | undefined;
  beforeAll(() => {
    tz = process.env.TZ;
    process.env.TZ = 'UTC';
  });
  afterAll(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  const closeBad = rec({ name: 'close', args: ['99'], ret: -9, errno: 'EBADF', raw: { fd: 99 } });

  test('the result starts at column 40, or after ") " on long lines', () => {
    expect(formatStraceLine(closeBad)).toBe('close(99)                               = -1 EBADF (Bad file descriptor)');
    const c = rec({ tid: 27863, name: 'close', args: ['18'], ret: 0, raw: { fd: 18 } });
    expect(formatStraceLine(c, { pid: 'column' })).toBe('27863 close(18)                         = 0');
    const w = rec({ tid: 27863, name: 'write' as 'close', args: ['2', '"readSync 512\\n"', '13'], ret: 13, raw: { fd: 2 } });
    expect(formatStraceLine(w, { pid: 'column' })).toBe('27863 write(2, "readSync 512\\n", 13)    = 13');
    const p = rec({
      tid: 11379,
      name: 'pwrite64',
      args: ['18', '"x"', '1', '0'],
      ret: 1,
      raw: { fd: 18, addr: 0, count: 1, offset: 0 },
      path: '/tmp/hostprobe/del (deleted)',
    });
    expect(formatStraceLine(p, { pid: 'bracket', y: true })).toBe('[pid 11379] pwrite64(18</tmp/hostprobe/del>(deleted), "x", 1, 0) = 1');
  });

  test('-f prefixes, -tt, -T', () => {
    expect(formatPidPrefix(3055, 'column')).toBe('3055  ');
    expect(formatPidPrefix(27863, 'column')).toBe('27863 ');
    expect(formatPidPrefix(3867, 'bracket')).toBe('[pid  3867] ');
    const wall = BigInt(Date.UTC(2025, 10, 23, 19, 13, 25)) * 1_000_000n + 441_222_999n;
    expect(formatTimestamp(wall, 'tt')).toBe('19:13:25.441222 ');
    expect(formatTimestamp(wall, 't')).toBe('19:13:25 ');
    expect(formatTimestamp(wall, 'ttt')).toBe(`${Date.UTC(2025, 10, 23, 19, 13, 25) / 1000}.441222 `);
    expect(formatDuration(51_999)).toBe(' <0.000051>');
    expect(formatDuration(3_191_000_000)).toBe(' <3.191000>');
    const f = rec({ name: 'fdatasync', args: ['18'], ret: -9, errno: 'EBADF', raw: { fd: 18 }, startNs: 1000n, durationNs: 51_400 });
    expect(formatStraceLine(f, { pid: 'column', time: 'tt', realtimeOffsetNs: wall - 1000n, T: true })).toBe(
      '3055  19:13:25.441222 fdatasync(18)     = -1 EBADF (Bad file descriptor) <0.000051>',
    );
  });

  test('-y: AT_FDCWD<cwd>, openat result, escaped paths; followed through an FdPathTable', () => {
    const o = rec({
      name: 'openat',
      args: ['AT_FDCWD', '"/tmp/hostprobe/img2"', 'O_RDWR|O_CREAT|O_TRUNC|O_CLOEXEC', '0640'],
      ret: 18,
      fd: 18,
      path: '/tmp/hostprobe/img2',
      raw: { dirfd: -100, path: '/tmp/hostprobe/img2', flags: 0, mode: 0o640, cwd: '/tmp/hostprobe' },
      startNs: 1n,
    });
    expect(formatStraceLine(o, { y: true })).toBe(
      'openat(AT_FDCWD</tmp/hostprobe>, "/tmp/hostprobe/img2", O_RDWR|O_CREAT|O_TRUNC|O_CLOEXEC, 0640) = 18</tmp/hostprobe/img2>',
    );
    expect(formatFdWithPath(18, '/tmp/hostprobe/a<b>c|d"e\\f')).toBe('18</tmp/hostprobe/a\\74b\\76c|d\\"e\\\\f>');
    const s = rec({
      name: 'statx',
      args: formatStatxArgs(18, { mode: 0o100640, size: 1024, btime: true }),
      ret: 0,
      raw: { fd: 18 },
      startNs: 2n,
    });
    const c = rec({ name: 'close', args: ['18'], ret: 0, raw: { fd: 18 }, startNs: 3n });
    const after = rec({ name: 'fdatasync', args: ['18'], ret: -9, errno: 'EBADF', raw: { fd: 18 }, startNs: 4n });
    const table = new FdPathTable();
    expect(formatStrace([after, c, s, o], { y: true, fdPaths: table })).toEqual([
      'openat(AT_FDCWD</tmp/hostprobe>, "/tmp/hostprobe/img2", O_RDWR|O_CREAT|O_TRUNC|O_CLOEXEC, 0640) = 18</tmp/hostprobe/img2>',
      'statx(18</tmp/hostprobe/img2>, "", AT_STATX_SYNC_AS_STAT|AT_EMPTY_PATH, STATX_ALL, {stx_mask=STATX_ALL|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFREG|0640, stx_size=1024, ...}) = 0',
      'close(18</tmp/hostprobe/img2>)          = 0',
      'fdatasync(18)                           = -1 EBADF (Bad file descriptor)',
    ]);
    expect(table.get(18)).toBeUndefined();
  });
});
