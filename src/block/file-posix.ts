/**
 * The file protocol driver (QEMU block/file-posix.c, driver "file"): a node over a host file.
 *
 * Reads and writes go to the thread pool of the node's AioContext:
 *   raw_co_preadv → raw_co_prw → raw_thread_pool_submit → thread_pool_submit_co (yield)
 *   … worker: handle_aiocb_rw → handle_aiocb_rw_vector (preadv/pwritev) | _linear (pread64/pwrite64)
 * straight into the request's views (guest RAM). Flush is handle_aiocb_flush (fdatasync).
 *
 * Opening (raw_open_common): the fd's access mode follows the permissions parents hold, as QEMU's
 * auto-read-only: a node opened with BDRV_O_AUTO_RDONLY starts O_RDONLY and, when a parent takes
 * WRITE, raw_check_perm opens a new fd O_RDWR (raw_reconfigure_getfd) and raw_set_perm swaps it in
 * and closes the old one: the fd number changes. bdrv_reopen (raw_reopen_prepare/commit) does the
 * same for an explicit change of the open flags.
 * Cache modes: BDRV_O_NOCACHE → O_DIRECT, with alignment probed (file-posix-align.ts) and bounce
 * buffers for misaligned memory; writethrough is not an open flag in QEMU (the BlockBackend adds
 * BDRV_REQ_FUA, emulated with a flush after each write); BDRV_O_NO_FLUSH is handled in io.ts.
 * Discard is a successful no-op (Node has no fallocate(2) for PUNCH_HOLE); write-zeroes writes
 * zeroes (handle_aiocb_write_zeroes). Locking: image-lock.ts.
 *
 * Contract: every function on the main loop thread; coroutine_fns in the node's AioContext.
 */
import * as path from 'node:path';
import { AT_FDCWD, O_ACCMODE, O_DIRECT, O_NONBLOCK, O_RDONLY, O_RDWR } from '../host/flags';
import { close, ftruncate, IOV_MAX, newStatBuf, openat, statx } from '../host/syscalls';
import type { coroutine_fn } from '../util/coroutine';
import type { QEMUIOVector } from '../util/iov';
import { aio_get_thread_pool, thread_pool_register_buffer, thread_pool_submit_co, threadPoolAddModule, threadPoolRegisterFastEncoder, type FastJobWriter, type ThreadPool } from '../util/thread-pool';
import type { AioContext } from '../util/aio-context';
import { workerModulePath } from '../util/worker-script';
import {
  BDRV_O_AUTO_RDONLY,
  BDRV_O_NOCACHE,
  BDRV_O_RDWR,
  BLK_PERM_RESIZE,
  BLK_PERM_WRITE,
  BLK_PERM_WRITE_UNCHANGED,
  BlockError,
  type BDRVReopenState,
  type BlockDriver,
  type BlockDriverState,
  type BlockOptions,
} from './block-int';
import { bdrv_register } from './driver-registry';
import { EINVAL, EIO, strerror } from './errno';
import { BounceCache, closeDirectProbe, openDirectProbe, raw_iov_is_aligned, raw_probe_alignment, type DirectAlignment } from './file-posix-align';
import { AIOCB_RW_IOV_BASE, AIOCB_RW_MAX_IOV, QEMU_AIO_FLUSH, QEMU_AIO_MISALIGNED, QEMU_AIO_READ, QEMU_AIO_WRITE, QEMU_AIO_WRITE_ZEROES, type RawPosixAIOData } from './file-posix-worker';
import { ImageLock, raw_lock_apply, raw_lock_open, raw_lock_prepare, raw_lock_release } from './image-lock';
import { blockTraceHooks } from './trace-hooks';

const WORKER_MODULE = path.join(__dirname, `file-posix-worker${path.extname(__filename)}`);
threadPoolAddModule(WORKER_MODULE);

/**
 * aiocb_rw_encode: the submitting half of handle_aiocb_rw's fast hand-off (layout next to
 * handle_aiocb_rw_fast in file-posix-worker.ts). Every buffer must be a SharedArrayBuffer the
 * pool's workers know (guest RAM: registered once, see file_posix_register_buffer); otherwise,
 * or with more than AIOCB_RW_MAX_IOV entries, the job goes as a message (structured clone).
 */
function aiocb_rw_encode(acb: RawPosixAIOData, w: FastJobWriter): boolean {
  const iov = acb.io?.iov;
  if (iov === undefined || iov.length > AIOCB_RW_MAX_IOV || acb.aio_offset > Number.MAX_SAFE_INTEGER) return false;
  const { i32, u32, f64, base } = w;
  for (let i = 0, at = base + AIOCB_RW_IOV_BASE; i < iov.length; i++, at += 3) {
    const v = iov[i];
    const id = w.bufferId(v.buffer);
    if (id < 0) return false;
    i32[at] = id;
    u32[at + 1] = v.byteOffset;
    u32[at + 2] = v.byteLength;
  }
  if (acb.bounce !== undefined) {
    const id = w.bufferId(acb.bounce.buffer);
    if (id < 0) return false;
    i32[base + 3] = id;
    u32[base + 8] = acb.bounce.byteOffset;
    u32[base + 9] = acb.bounce.byteLength;
  } else i32[base + 3] = -1;
  i32[base] = acb.aio_type;
  i32[base + 1] = acb.aio_fildes;
  i32[base + 2] = iov.length;
  f64[(base + 4) >> 1] = acb.aio_offset;
  f64[(base + 6) >> 1] = acb.aio_nbytes;
  return true;
}
threadPoolRegisterFastEncoder('handle_aiocb_rw', aiocb_rw_encode);

/**
 * file_posix_register_buffer: let the file nodes of `ctx` read and write `sab` (guest RAM) through
 * the pool's fast hand-off from the first request on (without it, a buffer is registered on its
 * second use). Main loop thread.
 */
export function file_posix_register_buffer(ctx: AioContext, sab: SharedArrayBuffer, base = 0): void {
  thread_pool_register_buffer(aio_get_thread_pool(ctx), sab, base);
}

/** BDRVRawState: the file node's state (bs.opaque). */
export interface BDRVRawState {
  fd: number;
  /** Flags `fd` was opened with (without O_CLOEXEC, which libuv adds). */
  open_flags: number;
  /** raw_check_perm's prepared fd, swapped in by raw_set_perm. */
  perm_change_fd: number;
  perm_change_flags: number;
  /** Permissions and shared permissions in force (for abort). */
  perm: number;
  shared_perm: number;
  lock: ImageLock | null;
  /** O_DIRECT: probed alignment and bounce buffers. */
  direct: DirectAlignment | null;
  bounce: BounceCache | null;
  /** Requests that went through a bounce buffer (counters, tests). */
  bounced: number;
}

export function rawState(bs: BlockDriverState): BDRVRawState {
  return bs.opaque as BDRVRawState;
}

/** raw_parse_flags: open(2) flags for the node's BDRV_O_* flags and whether writers are attached. */
export function raw_parse_flags(bdrv_flags: number, has_writers: boolean): number {
  let open_flags: number;
  if (bdrv_flags & BDRV_O_AUTO_RDONLY) open_flags = has_writers ? O_RDWR : O_RDONLY;
  else if (bdrv_flags & BDRV_O_RDWR) open_flags = O_RDWR;
  else open_flags = O_RDONLY;
  if (bdrv_flags & BDRV_O_NOCACHE) open_flags |= O_DIRECT;
  return open_flags;
}

function errOpen(errp: { error?: BlockError }, filename: string, ret: number): number {
  errp.error = new BlockError(`Could not open '${filename}': ${strerror(-ret)}`, undefined, -ret);
  return ret;
}

/** raw_open / raw_open_common. */
function raw_open(bs: BlockDriverState, options: BlockOptions, flags: number, errp: { error?: BlockError }): number {
  const filename = bs.filename;
  const open_flags = raw_parse_flags(flags, false);
  const fd = openat(AT_FDCWD, filename, open_flags);
  if (fd < 0) return errOpen(errp, filename, fd);
  const st = newStatBuf();
  const r = statx(fd, st);
  if (r < 0) {
    close(fd);
    return errOpen(errp, filename, r);
  }
  const s: BDRVRawState = {
    fd,
    open_flags,
    perm_change_fd: -1,
    perm_change_flags: 0,
    perm: 0,
    shared_perm: 0x0f,
    lock: options.locking === 'off' || options.locking === false ? null : raw_lock_open(filename, st.st_dev, st.st_ino),
    direct: null,
    bounce: null,
    bounced: 0,
  };
  bs.opaque = s;
  if (open_flags & O_DIRECT) {
    const probe = openDirectProbe(filename);
    const a = typeof probe === 'number' ? null : raw_probe_alignment(probe);
    if (a === null) {
      if (typeof probe !== 'number') closeDirectProbe(probe);
      close(fd);
      errp.error = new BlockError('Could not find working O_DIRECT alignment', 'Try cache.direct=off', EINVAL);
      return -EINVAL;
    }
    s.direct = a;
    s.bounce = new BounceCache(a);
  }
  bs.supported_write_flags = 0; // aio=threads: no native FUA (io.ts emulates it with a flush)
  return 0;
}

function raw_close(bs: BlockDriverState): void {
  const s = rawState(bs);
  if (s.perm_change_fd >= 0 && s.perm_change_fd !== s.fd) close(s.perm_change_fd);
  if (s.fd >= 0) close(s.fd);
  s.fd = -1;
  if (s.lock !== null) raw_lock_release(s.lock);
  if (s.direct !== null) closeDirectProbe(s.direct);
}

function raw_refresh_limits(bs: BlockDriverState): void {
  const s = rawState(bs);
  bs.bl.request_alignment = s.direct?.request_alignment ?? 1;
  bs.bl.min_mem_alignment = s.direct?.buf_align ?? 1;
  bs.bl.opt_mem_alignment = Math.max(4096, bs.bl.min_mem_alignment);
  bs.bl.max_transfer = 0;
}

function raw_co_getlength(bs: BlockDriverState): number {
  const st = newStatBuf();
  const r = statx(rawState(bs).fd, st);
  return r < 0 ? r : st.st_size;
}

/**
 * raw_reconfigure_getfd: the fd for `flags` with these permissions: the current one if the access
 * mode and O_DIRECT match, else a newly opened one. fd or -errno.
 */
function raw_reconfigure_getfd(bs: BlockDriverState, flags: number, perm: number, errp: { error?: BlockError }): { fd: number; open_flags: number } {
  const s = rawState(bs);
  const has_writers = (perm & (BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED | BLK_PERM_RESIZE)) !== 0;
  const open_flags = raw_parse_flags(flags, has_writers);
  const mask = O_ACCMODE | O_DIRECT;
  if ((s.open_flags & mask) === (open_flags & mask)) return { fd: s.fd, open_flags };
  const fd = openat(AT_FDCWD, bs.filename, open_flags);
  if (fd < 0) errOpen(errp, bs.filename, fd);
  return { fd, open_flags };
}

/** raw_check_perm: prepare the fd and the image locks for new permissions. */
function raw_check_perm(bs: BlockDriverState, perm: number, shared: number, errp: { error?: BlockError }): number {
  const s = rawState(bs);
  const r = raw_reconfigure_getfd(bs, bs.open_flags, perm, errp);
  if (r.fd < 0) return r.fd;
  s.perm_change_fd = r.fd;
  s.perm_change_flags = r.open_flags;
  if (s.lock !== null) {
    const err = raw_lock_prepare(s.lock, perm, shared);
    if (err !== null) {
      raw_abort_perm_update(bs);
      errp.error = err;
      return -11; // -EAGAIN, as the failed F_OFD_SETLK test
    }
  }
  return 0;
}

/** raw_set_perm: commit: swap in the prepared fd (closing the old one), hold exactly these locks. */
function raw_set_perm(bs: BlockDriverState, perm: number, shared: number): void {
  const s = rawState(bs);
  if (s.perm_change_fd >= 0 && s.perm_change_fd !== s.fd) {
    close(s.fd);
    s.fd = s.perm_change_fd;
    s.open_flags = s.perm_change_flags;
  }
  s.perm_change_fd = -1;
  s.perm = perm;
  s.shared_perm = shared;
  if (s.lock !== null) raw_lock_apply(s.lock, perm, shared);
}

function raw_abort_perm_update(bs: BlockDriverState): void {
  const s = rawState(bs);
  if (s.perm_change_fd >= 0 && s.perm_change_fd !== s.fd) close(s.perm_change_fd);
  s.perm_change_fd = -1;
  if (s.lock !== null) raw_lock_apply(s.lock, s.perm, s.shared_perm);
}

/** raw_reopen_prepare: open the fd the new flags need (kept in state.opaque until commit). */
function raw_reopen_prepare(state: BDRVReopenState, errp: { error?: BlockError }): number {
  const s = rawState(state.bs);
  const r = raw_reconfigure_getfd(state.bs, state.flags, s.perm, errp);
  if (r.fd < 0) return r.fd;
  state.opaque = r;
  return 0;
}

function raw_reopen_commit(state: BDRVReopenState): void {
  const s = rawState(state.bs);
  const r = state.opaque as { fd: number; open_flags: number };
  if (r.fd !== s.fd) {
    close(s.fd);
    s.fd = r.fd;
  }
  s.open_flags = r.open_flags;
}

function raw_reopen_abort(state: BDRVReopenState): void {
  const r = state.opaque as { fd: number } | null;
  if (r !== null && r.fd !== rawState(state.bs).fd) close(r.fd);
}

/** raw_thread_pool_submit: coroutine_fn. Run a worker function in the node's context's pool. */
export function* raw_thread_pool_submit(bs: BlockDriverState, func: string, arg: RawPosixAIOData): coroutine_fn<number> {
  return yield* thread_pool_submit_co(raw_thread_pool(bs, func), func, arg);
}

/** The last pool found to load file-posix-worker (the check stats files: once per pool, not per request). */
let checkedPool: ThreadPool | null = null;
function checkPool(pool: ThreadPool, func: string): void {
  if (!pool.modules.includes(workerModulePath(WORKER_MODULE))) {
    throw new Error(`file-posix: the thread pool of context '${pool.ctx.name}' was created before src/block/file-posix was loaded; its workers cannot run ${func}`);
  }
  checkedPool = pool;
}

function isShared(iov: readonly Uint8Array[]): boolean {
  for (let i = 0; i < iov.length; i++) if (!(iov[i].buffer instanceof SharedArrayBuffer)) return false;
  return true;
}

/** The node's pool, checked once per pool to have file-posix's worker functions (see checkPool). */
function raw_thread_pool(bs: BlockDriverState, func: string): ThreadPool {
  const pool = aio_get_thread_pool(bs.aio_context);
  if (pool !== checkedPool) checkPool(pool, func);
  return pool;
}

/**
 * raw_co_prw: coroutine_fn. Build the request and submit it. Buffers that O_DIRECT cannot use
 * (misaligned), or that a worker cannot see (not shared memory), or too many for one preadv, go
 * through an aligned shared bounce buffer (QEMU_AIO_MISALIGNED; the worker copies).
 */
export function* raw_co_prw(bs: BlockDriverState, offset: number, bytes: number, qiov: QEMUIOVector, type: number): coroutine_fn<number> {
  const s = rawState(bs);
  if (s.fd < 0) return -EIO;
  let bounce: Uint8Array | undefined;
  const shared = isShared(qiov.iov);
  if ((s.direct !== null && !raw_iov_is_aligned(s.direct, qiov.iov)) || !shared || qiov.niov > IOV_MAX) {
    type |= QEMU_AIO_MISALIGNED;
    bounce = s.bounce !== null ? s.bounce.get(bytes) : new Uint8Array(new SharedArrayBuffer(bytes));
    s.bounced++;
  }
  // A worker cannot write into non-shared memory: copy on this thread instead.
  const iov = shared ? qiov.iov : [bounce!.subarray(0, bytes)];
  if (!shared && type & QEMU_AIO_WRITE) {
    let at = 0;
    for (const v of qiov.iov) (bounce!.set(v, at), (at += v.byteLength));
  }
  const acb: RawPosixAIOData = { aio_type: shared ? type : type & ~QEMU_AIO_MISALIGNED, aio_fildes: s.fd, aio_offset: offset, aio_nbytes: bytes, io: { iov, niov: iov.length } };
  if (shared && bounce !== undefined) acb.bounce = bounce;
  const h = blockTraceHooks.file_paio_submit;
  if (h !== null) h(bs, 'handle_aiocb_rw', offset, bytes, bounce !== undefined, acb);
  // Through raw_thread_pool_submit, as QEMU: backtraces (and docs/walkthroughs) show that frame.
  const ret = yield* raw_thread_pool_submit(bs, 'handle_aiocb_rw', acb);
  if (!shared && ret === 0 && type & QEMU_AIO_READ) {
    let at = 0;
    for (const v of qiov.iov) (v.set(bounce!.subarray(at, at + v.byteLength)), (at += v.byteLength));
  }
  if (bounce !== undefined && s.bounce !== null) s.bounce.put(bounce);
  return ret;
}

/** raw_co_preadv (file-posix): coroutine_fn, from bdrv_driver_preadv. */
function* raw_co_preadv(bs: BlockDriverState, offset: number, bytes: number, qiov: QEMUIOVector, _flags: number): coroutine_fn<number> {
  return yield* raw_co_prw(bs, offset, bytes, qiov, QEMU_AIO_READ);
}

/** raw_co_pwritev (file-posix): coroutine_fn, from bdrv_driver_pwritev. */
function* raw_co_pwritev(bs: BlockDriverState, offset: number, bytes: number, qiov: QEMUIOVector, _flags: number): coroutine_fn<number> {
  return yield* raw_co_prw(bs, offset, bytes, qiov, QEMU_AIO_WRITE);
}

/** raw_co_flush_to_disk: coroutine_fn. fdatasync on a worker. */
function* raw_co_flush_to_disk(bs: BlockDriverState): coroutine_fn<number> {
  const s = rawState(bs);
  if (s.fd < 0) return -EIO;
  const acb: RawPosixAIOData = { aio_type: QEMU_AIO_FLUSH, aio_fildes: s.fd, aio_offset: 0, aio_nbytes: 0 };
  const h = blockTraceHooks.file_paio_submit;
  if (h !== null) h(bs, 'handle_aiocb_flush', 0, 0, false, acb);
  return yield* raw_thread_pool_submit(bs, 'handle_aiocb_flush', acb);
}

/** raw_co_pwrite_zeroes: coroutine_fn. Zeroes written by a worker (no fallocate in Node). */
function* raw_co_pwrite_zeroes(bs: BlockDriverState, offset: number, bytes: number, _flags: number): coroutine_fn<number> {
  const s = rawState(bs);
  if (s.fd < 0) return -EIO;
  const acb: RawPosixAIOData = { aio_type: QEMU_AIO_WRITE_ZEROES, aio_fildes: s.fd, aio_offset: offset, aio_nbytes: bytes };
  if (s.bounce !== null) acb.bounce = s.bounce.get(Math.min(bytes, 1 << 20));
  const h = blockTraceHooks.file_paio_submit;
  if (h !== null) h(bs, 'handle_aiocb_write_zeroes', offset, bytes, false, acb);
  const ret = yield* raw_thread_pool_submit(bs, 'handle_aiocb_write_zeroes', acb);
  if (acb.bounce !== undefined) s.bounce!.put(acb.bounce);
  return ret;
}

/** raw_co_pdiscard: advisory and a no-op here (no fallocate PUNCH_HOLE in Node): success. */
function* raw_co_pdiscard(_bs: BlockDriverState, _offset: number, _bytes: number): coroutine_fn<number> {
  return 0;
}

/** raw_co_truncate: ftruncate(2), on this thread (QEMU uses the pool; it is a metadata call). */
function* raw_co_truncate(bs: BlockDriverState, offset: number): coroutine_fn<number> {
  return ftruncate(rawState(bs).fd, offset);
}

export const bdrv_file: BlockDriver = {
  format_name: 'file',
  kind: 'protocol',
  protocol_name: 'file',
  bdrv_open: raw_open,
  bdrv_close: raw_close,
  bdrv_co_preadv: raw_co_preadv,
  bdrv_co_pwritev: raw_co_pwritev,
  bdrv_co_flush_to_disk: raw_co_flush_to_disk,
  bdrv_co_pdiscard: raw_co_pdiscard,
  bdrv_co_pwrite_zeroes: raw_co_pwrite_zeroes,
  bdrv_co_getlength: raw_co_getlength,
  bdrv_co_truncate: raw_co_truncate,
  bdrv_refresh_limits: raw_refresh_limits,
  bdrv_check_perm: raw_check_perm,
  bdrv_set_perm: raw_set_perm,
  bdrv_abort_perm_update: raw_abort_perm_update,
  bdrv_reopen_prepare: raw_reopen_prepare,
  bdrv_reopen_commit: raw_reopen_commit,
  bdrv_reopen_abort: raw_reopen_abort,
};

bdrv_register(bdrv_file);

/**
 * cdrom_probe_device (QEMU's host_cdrom driver, consulted by bdrv_find_protocol for every plain
 * file name): open O_RDONLY|O_NONBLOCK, fstat, close — this is the O_RDONLY|O_NONBLOCK open strace
 * shows before QEMU opens an image. Returns the score (0: not a CD-ROM block device).
 */
export function cdrom_probe_device(filename: string): number {
  const fd = openat(AT_FDCWD, filename, O_RDONLY | O_NONBLOCK);
  if (fd < 0) return 0;
  const st = newStatBuf();
  const r = statx(fd, st);
  close(fd);
  const S_IFMT = 0o170000;
  const S_IFBLK = 0o060000;
  return r === 0 && (st.st_mode & S_IFMT) === S_IFBLK ? 50 : 0;
}
