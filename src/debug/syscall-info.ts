/**
 * What `catch syscall` knows about the system calls of vtrace's syscall layer (src/host/syscalls.ts):
 * their numbers on this host architecture (gdb prints `Catchpoint 1 (syscall 'pread64' [17])`), the
 * names of their arguments, and a syscall's frame line with argument values, as gdb prints a frame
 * (`pread64 (fd=13, buf=0x80201000, count=512, offset=0)`).
 *
 * Contract: pure, thread-neutral (pool workers use it to evaluate conditions and describe a hit).
 */
import type { SyscallName, SyscallRawArgs } from '../host/record';
import { formatAddress, formatOpenatArgs } from '../host/strace-format';
import type { Frame } from '../trace/backtrace/frame';

export const SYSCALL_NAMES: readonly SyscallName[] = ['openat', 'pread64', 'preadv', 'pwrite64', 'pwritev', 'fdatasync', 'statx', 'ftruncate', 'close', 'unlink'];

/** Linux syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl, include/uapi/asm-generic/unistd.h). */
const NUMBERS: Record<string, Record<SyscallName, number>> = {
  x64: { openat: 257, pread64: 17, preadv: 295, pwrite64: 18, pwritev: 296, fdatasync: 75, statx: 332, ftruncate: 77, close: 3, unlink: 87 },
  arm64: { openat: 56, pread64: 67, preadv: 69, pwrite64: 68, pwritev: 70, fdatasync: 83, statx: 291, ftruncate: 46, close: 57, unlink: 35 },
};

export function syscallNumber(name: SyscallName): number | undefined {
  return NUMBERS[process.arch]?.[name];
}

/** A name or number as `catch syscall` takes it; undefined if unknown. */
export function syscallByNameOrNumber(word: string): SyscallName | undefined {
  if ((SYSCALL_NAMES as readonly string[]).includes(word)) return word as SyscallName;
  if (/^\d+$/.test(word)) {
    const n = Number(word);
    return SYSCALL_NAMES.find((s) => syscallNumber(s) === n);
  }
  return undefined;
}

/** `'pread64' [17]` */
export function syscallLabel(name: SyscallName): string {
  const n = syscallNumber(name);
  return n === undefined ? `'${name}'` : `'${name}' [${n}]`;
}

/** The arguments as named values, for conditions ($fd, fd == 13) and convenience variables. */
export function syscallLocals(name: SyscallName, raw: SyscallRawArgs[SyscallName], ret?: number): Map<string, unknown> {
  const m = new Map<string, unknown>(Object.entries(raw as object));
  if (name === 'pread64' || name === 'pwrite64') {
    const r = raw as SyscallRawArgs['pread64'];
    m.set('buf', r.addr);
  }
  if (name === 'preadv' || name === 'pwritev') {
    const r = raw as SyscallRawArgs['preadv'];
    m.set('iovcnt', r.iov.length);
    m.set('count', r.iov.reduce((a, v) => a + v.len, 0));
  }
  if (ret !== undefined) m.set('ret', ret);
  m.set('syscall', name);
  return m;
}

/** `fd=13, buf=0x80201000, count=512, offset=0` */
export function syscallArgsText(name: SyscallName, raw: SyscallRawArgs[SyscallName]): string {
  switch (name) {
    case 'openat': {
      const r = raw as SyscallRawArgs['openat'];
      const a = formatOpenatArgs(r.path, r.flags, r.mode);
      return `dirfd=${a[0]}, path=${a[1]}, flags=${a[2]}${a[3] !== undefined ? `, mode=${a[3]}` : ''}`;
    }
    case 'pread64':
    case 'pwrite64': {
      const r = raw as SyscallRawArgs['pread64'];
      return `fd=${r.fd}, buf=${formatAddress(r.addr)}, count=${r.count}, offset=${r.offset}`;
    }
    case 'preadv':
    case 'pwritev': {
      const r = raw as SyscallRawArgs['preadv'];
      const iov = r.iov.slice(0, 4).map((v) => `{iov_base=${formatAddress(v.addr)}, iov_len=${v.len}}`);
      return `fd=${r.fd}, iov=[${iov.join(', ')}${r.iov.length > 4 ? ', ...' : ''}], iovcnt=${r.iov.length}, offset=${r.offset}`;
    }
    case 'ftruncate': {
      const r = raw as SyscallRawArgs['ftruncate'];
      return `fd=${r.fd}, length=${r.length}`;
    }
    case 'unlink':
      return `pathname=${JSON.stringify((raw as SyscallRawArgs['unlink']).path)}`;
    default:
      return `fd=${(raw as { fd: number }).fd}`;
  }
}

/** The catch set as workers read it from shared memory. */
export interface CatchSpec {
  num: number;
  /** null: any syscall. */
  names: SyscallName[] | null;
  cond: string | null;
}

/**
 * A syscall's frames start at its wrapper (`pread64 (fd=..., ...)`): the catcher's hooks run in the
 * wrapper's bookkeeping (the record's `emit` at the return), which is not the caller's business.
 */
export function syscallFrames(frames: Frame[], name: string, args: string): Frame[] {
  const i = frames.findIndex((f) => f.fn === name);
  const from = i >= 0 ? frames.slice(i) : frames;
  return from.length > 0 ? [{ ...from[0], args }, ...from.slice(1)] : from;
}
