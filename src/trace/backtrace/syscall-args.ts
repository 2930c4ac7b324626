/**
 * A syscall record's arguments as gdb prints a frame's (`pread64 (fd=18, buf=0x80201000,
 * count=512, offset=0)`), for the innermost frame of a syscall's backtrace: the parameter names of
 * the man pages, values as strace formats them except buffers, which show their address.
 *
 * Contract: pure; never throws.
 */
import type { SyscallRecord } from '../../host/record';

const NAMES: Record<string, readonly string[]> = {
  openat: ['dirfd', 'pathname', 'flags', 'mode'],
  pread64: ['fd', 'buf', 'count', 'offset'],
  pwrite64: ['fd', 'buf', 'count', 'offset'],
  preadv: ['fd', 'iov', 'iovcnt', 'offset'],
  pwritev: ['fd', 'iov', 'iovcnt', 'offset'],
  fdatasync: ['fd'],
  ftruncate: ['fd', 'length'],
  close: ['fd'],
  unlink: ['pathname'],
};

export function syscallArgs(rec: SyscallRecord): string {
  const names = NAMES[rec.name];
  const raw = rec.raw as unknown as Record<string, unknown>;
  if (names === undefined || names.length !== rec.args.length) {
    return Object.entries(raw)
      .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
      .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`)
      .join(', ');
  }
  return names
    .map((n, i) => {
      if (n === 'buf' && typeof raw.addr === 'number') return `buf=0x${raw.addr.toString(16)}`;
      if (n === 'iov' && Array.isArray(raw.iov)) return `iov=[${raw.iov.length} buffers]`;
      return `${n}=${rec.args[i]}`;
    })
    .join(', ');
}
