/**
 * SyscallRecord: what one host system call of the syscall layer leaves behind, and the per-thread
 * recorder hook that receives it.
 *
 * Contract:
 * - One record per system call the kernel saw: a call Node or libuv rejects before the kernel (a
 *   negative offset, an empty iovec list, a zero-length read) returns -errno but records nothing, so
 *   records and `strace -f` lines correspond one to one.
 * - The hook runs synchronously on the thread that made the call, after the call returned. Module
 *   state is per JS thread: each thread (the emulator thread, every thread-pool worker, each iothread)
 *   installs its own hook, typically one that appends to that thread's trace ring buffer.
 * - With no hook installed a wrapper costs one null check; nothing is formatted or timed.
 * - Times are host CLOCK_MONOTONIC nanoseconds from `process.hrtime.bigint()` (libuv uv_hrtime),
 *   the same clock in every thread of the process; `realtimeOffsetNs()` converts to wall time.
 */
import { performance } from 'node:perf_hooks';
import { gettid } from './thread-id';

export type SyscallName =
  | 'openat'
  | 'pread64'
  | 'preadv'
  | 'pwrite64'
  | 'pwritev'
  | 'fdatasync'
  | 'statx'
  | 'ftruncate'
  | 'close'
  | 'unlink';

/** One buffer of a vector call: its address (see bufferAddress) and length. */
export interface IovecRaw {
  addr: number;
  len: number;
}

/** The raw argument values, for filters and catchpoints (`catch syscall pread64 if fd == 18`). */
export interface SyscallRawArgs {
  /** openat: the dirfd (always AT_FDCWD), the path as passed, flags as the kernel got them (with
   *  O_CLOEXEC), the mode, and the working directory (for strace -y's `AT_FDCWD</cwd>`). */
  openat: { dirfd: number; path: string; flags: number; mode: number; cwd?: string };
  pread64: { fd: number; addr: number; count: number; offset: number };
  pwrite64: { fd: number; addr: number; count: number; offset: number };
  preadv: { fd: number; iov: IovecRaw[]; offset: number };
  pwritev: { fd: number; iov: IovecRaw[]; offset: number };
  fdatasync: { fd: number };
  /** statx: the file's st_mode and st_size when the call succeeded. */
  statx: { fd: number; mode?: number; size?: number; btime?: boolean };
  ftruncate: { fd: number; length: number };
  close: { fd: number };
  /** unlink: the path as passed, and the working directory. */
  unlink: { path: string; cwd?: string };
}

interface RecordOf<N extends SyscallName> {
  name: N;
  /** The arguments as strace prints them (buffers quoted and cut at 32 bytes, flags symbolic). */
  args: string[];
  /** What the wrapper returned: the result (≥ 0) or -errno. strace prints -errno as `-1 ENAME (...)`. */
  ret: number;
  /** The errno name (`ENOENT`) when ret < 0. */
  errno?: string;
  /** Linux thread id of the calling thread (strace -f's `[pid TID]`). */
  tid: number;
  /** vtrace's name of the calling thread (thread-id.ts setThreadName). */
  threadName: string;
  /** process.hrtime.bigint() (CLOCK_MONOTONIC, ns) just before the call entered Node's fs binding. */
  startNs: bigint;
  /** Nanoseconds spent in the call (binding + syscall), as measured around it. */
  durationNs: number;
  /** The fd the call operated on; for openat, the fd it returned (absent on failure). */
  fd?: number;
  /** strace -y's path of `fd` (readlink of /proc/self/fd/N, " (deleted)" included), when known. */
  path?: string;
  raw: SyscallRawArgs[N];
  /**
   * strace -k: the calling thread's stack at the call, from the thread's backtrace provider
   * (recorderState.backtrace; src/trace/backtrace makes a BacktraceAnchor). Absent when none is set.
   */
  backtrace?: unknown;
}

export type SyscallRecord = { [N in SyscallName]: RecordOf<N> }[SyscallName];

export type SyscallRecorder = (record: SyscallRecord) => void;

export interface RecorderOptions {
  /**
   * Give every fd-bearing record its `path`, as strace -y does: one readlink(2) of /proc/self/fd/N
   * per call (outside the timed span). Off by default: openat records always carry the path of the
   * fd they return (that one readlink per successful open is the only extra syscall tracing makes),
   * and an offline formatter follows fds from there (strace-format FdPathTable).
   */
  resolveFdPaths?: boolean;
}

/**
 * The calling thread's recorder state, read by syscalls.ts on every call. `backtrace`, when set, is
 * called on the calling thread for every record (only while a hook is installed), right after the
 * call, with the syscall wrapper still on the stack and the record filled in (but for `backtrace`);
 * its result goes to SyscallRecord.backtrace. It must not throw.
 */
export const recorderState: {
  hook: SyscallRecorder | null;
  resolveFdPaths: boolean;
  backtrace: ((rec: SyscallRecord) => unknown) | null;
  /** The debugger's "call to syscall" hook (setSyscallCatcher); null = one null check per call. */
  entry: SyscallEntryHook | null;
} = {
  hook: null,
  resolveFdPaths: false,
  backtrace: null,
  entry: null,
};

/**
 * A system call about to be made, with its raw arguments (the debugger's `catch syscall` stops
 * here: "call to syscall"). Called on the calling thread before the kernel sees the call, only for
 * calls that will reach it; may block the thread (a stop). Must not throw.
 */
export type SyscallEntryHook = <N extends SyscallName>(name: N, raw: SyscallRawArgs[N]) => void;

/** The tracer's recorder (setSyscallRecorder) and the debugger's exit hook (setSyscallCatcher): `hook` calls both. */
let recorderHook: SyscallRecorder | null = null;
let catcherExit: SyscallRecorder | null = null;

function combineHooks(): void {
  const a = recorderHook;
  const b = catcherExit;
  recorderState.hook =
    a !== null && b !== null
      ? (rec) => {
          a(rec);
          b(rec);
        }
      : (a ?? b);
}

/**
 * Installs (or with null removes) the calling thread's syscall catcher (src/debug): `entry` before
 * each call, `exit` (if not null) with each record after it ("returned from syscall"). Independent
 * of the recorder: both may be installed; the recorder sees a record first. An exit hook makes every
 * call build its record (as a recorder does); an entry hook alone costs a call per syscall.
 */
export function setSyscallCatcher(c: { entry: SyscallEntryHook; exit: SyscallRecorder | null } | null): void {
  if (c !== null) gettid();
  recorderState.entry = c?.entry ?? null;
  catcherExit = c?.exit ?? null;
  combineHooks();
}

/**
 * Installs (or with null removes) the calling thread's recorder hook. Reads the thread's tid now, so
 * traced calls do not pay for it. A hook that throws is reported once as a process warning and the
 * error is swallowed: the guest's I/O path never sees it.
 */
export function setSyscallRecorder(hook: SyscallRecorder | null, options: RecorderOptions = {}): void {
  if (hook !== null) gettid();
  recorderHook = hook;
  combineHooks();
  recorderState.resolveFdPaths = options.resolveFdPaths ?? false;
}

let warnedHookError = false;

/** Delivers a record to the hook, shielding the caller from the hook's exceptions. */
export function deliver(record: SyscallRecord): void {
  const hook = recorderState.hook;
  if (hook === null) return;
  try {
    hook(record);
  } catch (err) {
    if (!warnedHookError) {
      warnedHookError = true;
      process.emitWarning(`vtrace: syscall recorder hook threw: ${String(err)}`);
    }
  }
}

const bases = new WeakMap<ArrayBufferLike, number>();

/**
 * Declares the address the start of `buffer` stands for, e.g. guest RAM's SharedArrayBuffer and the
 * guest physical address of RAM's base. Per thread: each thread that passes views of the buffer to
 * the wrappers declares it. Without it, addresses are offsets into the view's buffer.
 */
export function setBufferBase(buffer: ArrayBufferLike, base: number): void {
  bases.set(buffer, base);
}

/**
 * The address records show for a view (strace prints a buffer's address when it cannot show data,
 * e.g. `pread64(3, 0x..., 512, 0) = -1 EBADF`). JavaScript cannot know host virtual addresses, so this
 * is the buffer's declared base (setBufferBase) plus the view's byteOffset.
 */
export function bufferAddress(view: Uint8Array): number {
  return (bases.get(view.buffer) ?? 0) + view.byteOffset;
}

/**
 * Nanoseconds to add to a record's startNs to get wall-clock (CLOCK_REALTIME) time since the epoch,
 * for strace -t/-tt/-ttt. Sampled now from performance.timeOrigin + performance.now() (µs precision);
 * a recorder stores it once (e.g. in a trace file's header).
 */
export function realtimeOffsetNs(): bigint {
  const wallNs = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
  return wallNs - process.hrtime.bigint();
}
