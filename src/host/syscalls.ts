/**
 * The host system calls of vtrace's block layer, one function per syscall, named after the syscall
 * the kernel sees (verified with `strace -f`, test/host/strace-compat.test.ts):
 *
 *   openat     fs.openSync        → openat(AT_FDCWD, path, flags|O_CLOEXEC, mode)   open(2)
 *   pread64    fs.readSync @pos   → pread64(fd, buf, count, offset)                 pread(2)
 *   preadv     fs.readvSync @pos  → preadv(fd, iov, iovcnt, offset)                 preadv(2)
 *   pwrite64   fs.writeSync @pos  → pwrite64(fd, buf, count, offset)                pwrite(2)
 *   pwritev    fs.writevSync @pos → pwritev(fd, iov, iovcnt, offset)                pwritev(2)
 *   fdatasync  fs.fdatasyncSync   → fdatasync(fd)                                   fdatasync(2)
 *   statx      fs.fstatSync       → statx(fd, "", AT_EMPTY_PATH|.., STATX_ALL, buf) statx(2)
 *   ftruncate  fs.ftruncateSync   → ftruncate(fd, length)                           ftruncate(2)
 *   close      fs.closeSync       → close(fd)                                       close(2)
 *   unlink     fs.unlinkSync      → unlink(path) (unlinkat(AT_FDCWD, path, 0) on arm64) unlink(2)
 *
 * Where QEMU calls fstat(2) (raw_getlength, the S_ISBLK checks), Node's fstatSync makes libuv issue
 * statx(2) instead (libuv src/unix/fs.c uv__fs_fstat), hence `statx` here. libuv issues pread64 /
 * pwrite64 for a vector of exactly one buffer (uv__fs_read / uv__fs_write: `if (nbufs == 1)`), as
 * QEMU's handle_aiocb_rw takes its linear path for one iovec; the record then says pread64 / pwrite64.
 * Node has no lseek(2) or fallocate(2), so neither is here.
 *
 * Contract for every function:
 * - Callable from any thread (the emulator thread, thread-pool worker_threads, iothreads): the call
 *   is synchronous and made on the calling thread, so strace shows it under that thread's tid.
 * - Buffers are read into / written from directly, with no copy: they may be views of a
 *   SharedArrayBuffer (guest RAM). A buffer's whole length is the count (pass `subarray`s).
 * - Offsets and lengths are numbers: safe integers ≥ 0 (Node's vector calls cannot take bigint).
 * - Nothing is thrown: failures return -errno (QEMU's convention, e.g. -2 for ENOENT). A call refused
 *   before the kernel (bad fd number, negative or unsafe offset, no or > IOV_MAX buffers, zero-length
 *   read) returns what the kernel would (-EBADF, -EINVAL, 0) and makes no syscall and no record.
 * - With a recorder installed (record.ts setSyscallRecorder), each syscall yields one SyscallRecord;
 *   without one, tracing costs one null check. With a catcher (setSyscallCatcher), its entry hook
 *   runs before each call that reaches the kernel (it may block the thread: a debugger stop).
 */
import { type Stats, closeSync, fdatasyncSync, fstatSync, ftruncateSync, openSync, readlinkSync, readSync, readvSync, unlinkSync, writeSync, writevSync } from 'node:fs';
import { EBADF, EINVAL, errnoName, errnoOfNodeError } from './errno';
import { AT_FDCWD, type AtFdcwd, O_CLOEXEC, type OpenFlags, openFlagsMask } from './flags';
import { bufferAddress, deliver, recorderState, type SyscallRecord } from './record';
import { formatBuffer, formatIovec, formatOpenatArgs, formatPath, formatStatxArgs } from './strace-format';
import { gettid, threadName } from './thread-id';

/** The most buffers one preadv/pwritev takes (UIO_MAXIOV, IOV_MAX in <limits.h>). */
export const IOV_MAX = 1024;

/** What statx fills in: struct stat's fields as QEMU uses them (stat(3type)). */
export interface StatBuf {
  st_dev: number;
  st_ino: number;
  st_mode: number;
  st_nlink: number;
  st_uid: number;
  st_gid: number;
  st_rdev: number;
  st_size: number;
  st_blksize: number;
  st_blocks: number;
}

/** A zeroed StatBuf to pass to statx. */
export function newStatBuf(): StatBuf {
  return { st_dev: 0, st_ino: 0, st_mode: 0, st_nlink: 0, st_uid: 0, st_gid: 0, st_rdev: 0, st_size: 0, st_blksize: 0, st_blocks: 0 };
}

// ---- shared pieces ------------------------------------------------------------------------------

/** Not an errno: marks a failure Node raised before making the syscall. */
const NOT_ISSUED = 0;

/** The errno of a failed Node fs call, or NOT_ISSUED when no syscall was made. */
function errnoOf(err: unknown): number {
  return errnoOfNodeError(err) ?? NOT_ISSUED;
}

function badFd(fd: number): boolean {
  return !Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff;
}

function badOffset(n: number): boolean {
  return !Number.isSafeInteger(n) || n < 0;
}

function now(): bigint {
  return process.hrtime.bigint();
}

/** strace -y's path for an fd, when the recorder asked for paths. Costs one readlink(2). */
function fdPath(fd: number, always = false): string | undefined {
  if (!always && !recorderState.resolveFdPaths) return undefined;
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

type RecordFields = Pick<SyscallRecord, 'name' | 'args' | 'raw'> & { fd?: number; path?: string };

function emit(fields: RecordFields, ret: number, t0: bigint, t1: bigint): void {
  const rec = fields as SyscallRecord;
  rec.ret = ret;
  if (ret < 0) rec.errno = errnoName(-ret);
  rec.tid = gettid();
  rec.threadName = threadName();
  rec.startNs = t0;
  rec.durationNs = Number(t1 - t0);
  const bt = recorderState.backtrace;
  if (bt !== null) rec.backtrace = bt(rec);
  deliver(rec);
}

function toIovRaw(iov: readonly Uint8Array[]): { addr: number; len: number }[] {
  return iov.map((v) => ({ addr: bufferAddress(v), len: v.byteLength }));
}

// ---- open / close -------------------------------------------------------------------------------

/**
 * openat(2) relative to the current directory (Node has no openat with a directory fd, so dirfd must
 * be AT_FDCWD). libuv adds O_CLOEXEC. Returns the new fd or -errno. `mode` (default 0666, less the
 * umask) matters only with O_CREAT.
 */
export function openat(dirfd: AtFdcwd, path: string, flags: OpenFlags, mode = 0o666): number {
  if (dirfd !== AT_FDCWD) return -EBADF;
  const mask = openFlagsMask(flags);
  const entry = recorderState.entry;
  if (entry !== null) entry('openat', { dirfd, path, flags: (mask | O_CLOEXEC) >>> 0, mode });
  const hook = recorderState.hook;
  if (hook === null) {
    try {
      return openSync(path, mask, mode);
    } catch (err) {
      return -(errnoOf(err) || EINVAL);
    }
  }
  const cwd = process.cwd();
  const kernelFlags = (mask | O_CLOEXEC) >>> 0;
  let ret: number;
  const t0 = now();
  try {
    ret = openSync(path, mask, mode);
  } catch (err) {
    const e = errnoOf(err);
    if (e === NOT_ISSUED) return -EINVAL;
    ret = -e;
  }
  const t1 = now();
  const fields: RecordFields = {
    name: 'openat',
    args: formatOpenatArgs(path, kernelFlags, mode),
    raw: { dirfd, path, flags: kernelFlags, mode, cwd },
  };
  if (ret >= 0) {
    fields.fd = ret;
    fields.path = fdPath(ret, true);
  }
  emit(fields, ret, t0, t1);
  return ret;
}

/**
 * The body of a syscall wrapper whose result is 0 or -errno (close, fdatasync, ftruncate, unlink):
 * without a recorder hook just the call; with one, the call timed and recorded with `fields`
 * (made before the call: close's path must be read while the fd is open). `fallback` is the errno
 * returned when Node refused the call before the kernel.
 */
function voidSyscall(call: () => void, fallback: number, fields: (() => RecordFields) | null): number {
  if (fields === null) {
    try {
      call();
      return 0;
    } catch (err) {
      return -(errnoOf(err) || fallback);
    }
  }
  const f = fields();
  let ret = 0;
  const t0 = now();
  try {
    call();
  } catch (err) {
    const e = errnoOf(err);
    if (e === NOT_ISSUED) return -fallback;
    ret = -e;
  }
  emit(f, ret, t0, now());
  return ret;
}

/** close(2). Returns 0 or -errno. */
export function close(fd: number): number {
  if (badFd(fd)) return -EBADF;
  const entry = recorderState.entry;
  if (entry !== null) entry('close', { fd });
  const record = recorderState.hook === null ? null : (): RecordFields => ({ name: 'close', args: [String(fd)], raw: { fd }, fd, path: fdPath(fd) });
  return voidSyscall(() => closeSync(fd), EBADF, record);
}

/** unlink(2) (QEMU removes its temporary snapshot overlay so, right after opening it). 0 or -errno. */
export function unlink(path: string): number {
  const entry = recorderState.entry;
  if (entry !== null) entry('unlink', { path });
  const record = recorderState.hook === null ? null : (): RecordFields => ({ name: 'unlink', args: [formatPath(path)], raw: { path, cwd: process.cwd() } });
  return voidSyscall(() => unlinkSync(path), EINVAL, record);
}

// ---- reads --------------------------------------------------------------------------------------

/** pread64(2): reads up to buf.byteLength bytes at `offset` into buf. Returns bytes read or -errno. */
export function pread64(fd: number, buf: Uint8Array, offset: number): number {
  if (badFd(fd)) return -EBADF;
  if (badOffset(offset)) return -EINVAL;
  if (buf.byteLength === 0) return 0; // Node returns before the syscall (fs.readSync)
  const entry = recorderState.entry;
  if (entry !== null) entry('pread64', { fd, addr: bufferAddress(buf), count: buf.byteLength, offset });
  const hook = recorderState.hook;
  if (hook === null) {
    try {
      return readSync(fd, buf, 0, buf.byteLength, offset);
    } catch (err) {
      return -(errnoOf(err) || EINVAL);
    }
  }
  let ret: number;
  const t0 = now();
  try {
    ret = readSync(fd, buf, 0, buf.byteLength, offset);
  } catch (err) {
    const e = errnoOf(err);
    if (e === NOT_ISSUED) return -EINVAL;
    ret = -e;
  }
  const t1 = now();
  const addr = bufferAddress(buf);
  const shown = ret >= 0 ? formatBuffer(buf, ret) : `0x${addr.toString(16)}`;
  emit(
    {
      name: 'pread64',
      args: [String(fd), shown, String(buf.byteLength), String(offset)],
      raw: { fd, addr, count: buf.byteLength, offset },
      fd,
      path: fdPath(fd),
    },
    ret,
    t0,
    t1,
  );
  return ret;
}

/**
 * preadv(2): scatters up to the buffers' total length read at `offset` over `iov` in order. Returns
 * bytes read or -errno. With one buffer the syscall (and the record) is pread64.
 */
export function preadv(fd: number, iov: readonly Uint8Array[], offset: number): number {
  if (badFd(fd)) return -EBADF;
  if (badOffset(offset) || iov.length > IOV_MAX) return -EINVAL;
  if (iov.length === 0) return 0; // the kernel reads nothing; libuv would refuse with EINVAL
  if (iov.length === 1) return pread64(fd, iov[0]!, offset);
  const entry = recorderState.entry;
  if (entry !== null) entry('preadv', { fd, iov: toIovRaw(iov), offset });
  const hook = recorderState.hook;
  if (hook === null) {
    try {
      return readvSync(fd, iov, offset);
    } catch (err) {
      return -(errnoOf(err) || EINVAL);
    }
  }
  let ret: number;
  const t0 = now();
  try {
    ret = readvSync(fd, iov, offset);
  } catch (err) {
    const e = errnoOf(err);
    if (e === NOT_ISSUED) return -EINVAL;
    ret = -e;
  }
  const t1 = now();
  emit(
    {
      name: 'preadv',
      args: [String(fd), formatIovec(iov, ret >= 0 ? ret : 'addr'), String(iov.length), String(offset)],
      raw: { fd, iov: toIovRaw(iov), offset },
      fd,
      path: fdPath(fd),
    },
    ret,
    t0,
    t1,
  );
  return ret;
}

// ---- writes -------------------------------------------------------------------------------------

/** pwrite64(2): writes buf at `offset`. Returns bytes written or -errno. */
export function pwrite64(fd: number, buf: Uint8Array, offset: number): number {
  if (badFd(fd)) return -EBADF;
  if (badOffset(offset)) return -EINVAL;
  const entry = recorderState.entry;
  if (entry !== null) entry('pwrite64', { fd, addr: bufferAddress(buf), count: buf.byteLength, offset });
  const hook = recorderState.hook;
  if (hook === null) {
    try {
      return writeSync(fd, buf, 0, buf.byteLength, offset);
    } catch (err) {
      return -(errnoOf(err) || EINVAL);
    }
  }
  // strace decodes a write's data on entry: format before the call.
  const shown = formatBuffer(buf, buf.byteLength);
  let ret: number;
  const t0 = now();
  try {
    ret = writeSync(fd, buf, 0, buf.byteLength, offset);
  } catch (err) {
    const e = errnoOf(err);
    if (e === NOT_ISSUED) return -EINVAL;
    ret = -e;
  }
  const t1 = now();
  emit(
    {
      name: 'pwrite64',
      args: [String(fd), shown, String(buf.byteLength), String(offset)],
      raw: { fd, addr: bufferAddress(buf), count: buf.byteLength, offset },
      fd,
      path: fdPath(fd),
    },
    ret,
    t0,
    t1,
  );
  return ret;
}

/**
 * pwritev(2): gathers `iov` in order and writes it at `offset`. Returns bytes written or -errno. With
 * one buffer the syscall (and the record) is pwrite64. libuv repeats the call after a short write
 * (uv__fs_write_all); the record then covers all the repeats.
 */
export function pwritev(fd: number, iov: readonly Uint8Array[], offset: number): number {
  if (badFd(fd)) return -EBADF;
  if (badOffset(offset) || iov.length > IOV_MAX) return -EINVAL;
  if (iov.length === 0) return 0; // Node returns before the syscall, as the kernel would
  if (iov.length === 1) return pwrite64(fd, iov[0]!, offset);
  const entry = recorderState.entry;
  if (entry !== null) entry('pwritev', { fd, iov: toIovRaw(iov), offset });
  const hook = recorderState.hook;
  if (hook === null) {
    try {
      return writevSync(fd, iov, offset);
    } catch (err) {
      return -(errnoOf(err) || EINVAL);
    }
  }
  const shown = formatIovec(iov, Infinity);
  let ret: number;
  const t0 = now();
  try {
    ret = writevSync(fd, iov, offset);
  } catch (err) {
    const e = errnoOf(err);
    if (e === NOT_ISSUED) return -EINVAL;
    ret = -e;
  }
  const t1 = now();
  emit(
    {
      name: 'pwritev',
      args: [String(fd), shown, String(iov.length), String(offset)],
      raw: { fd, iov: toIovRaw(iov), offset },
      fd,
      path: fdPath(fd),
    },
    ret,
    t0,
    t1,
  );
  return ret;
}

// ---- metadata -----------------------------------------------------------------------------------

/** fdatasync(2): flushes the file's data (QEMU's bdrv_co_flush → qemu_fdatasync). 0 or -errno. */
export function fdatasync(fd: number): number {
  if (badFd(fd)) return -EBADF;
  const entry = recorderState.entry;
  if (entry !== null) entry('fdatasync', { fd });
  const record = recorderState.hook === null ? null : (): RecordFields => ({ name: 'fdatasync', args: [String(fd)], raw: { fd }, fd, path: fdPath(fd) });
  return voidSyscall(() => fdatasyncSync(fd), EINVAL, record);
}

/** ftruncate(2): sets the file's length (QEMU's raw_co_truncate). 0 or -errno. */
export function ftruncate(fd: number, length: number): number {
  if (badFd(fd)) return -EBADF;
  if (badOffset(length)) return -EINVAL;
  const entry = recorderState.entry;
  if (entry !== null) entry('ftruncate', { fd, length });
  const record = recorderState.hook === null ? null : (): RecordFields => ({ name: 'ftruncate', args: [String(fd), String(length)], raw: { fd, length }, fd, path: fdPath(fd) });
  return voidSyscall(() => ftruncateSync(fd, length), EINVAL, record);
}

/**
 * statx(2) on an open fd (what fstat(2) becomes under Node): fills `st` and returns 0, or returns
 * -errno and leaves `st` alone.
 */
export function statx(fd: number, st: StatBuf): number {
  if (badFd(fd)) return -EBADF;
  const entry = recorderState.entry;
  if (entry !== null) entry('statx', { fd });
  const hook = recorderState.hook;
  let s: Stats | undefined;
  let ret = 0;
  let t0 = 0n;
  if (hook !== null) t0 = now();
  try {
    s = fstatSync(fd);
  } catch (err) {
    const e = errnoOf(err);
    if (e === NOT_ISSUED || hook === null) return -(e || EINVAL);
    ret = -e;
  }
  const t1 = hook !== null ? now() : 0n;
  if (s !== undefined) {
    st.st_dev = s.dev;
    st.st_ino = s.ino;
    st.st_mode = s.mode;
    st.st_nlink = s.nlink;
    st.st_uid = s.uid;
    st.st_gid = s.gid;
    st.st_rdev = s.rdev;
    st.st_size = s.size;
    st.st_blksize = s.blksize;
    st.st_blocks = s.blocks;
  }
  if (hook === null) return ret;
  const btime = s !== undefined && s.birthtimeMs !== 0;
  emit(
    {
      name: 'statx',
      args: formatStatxArgs(fd, s ? { mode: s.mode, size: s.size, btime } : null),
      raw: s ? { fd, mode: s.mode, size: s.size, btime } : { fd },
      fd,
      path: fdPath(fd),
    },
    ret,
    t0,
    t1,
  );
  return ret;
}
