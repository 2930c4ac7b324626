/**
 * The worker half of the file protocol (QEMU block/file-posix.c: handle_aiocb_rw and friends), run
 * by thread-pool workers (src/util/thread-pool-worker.ts loads this module; file-posix.ts asks for it
 * with threadPoolAddModule). Each function gets a RawPosixAIOData, structured-cloned: its iov
 * entries are views of shared memory (guest RAM, or a bounce buffer), so preadv/pread64 fill them
 * in place from this worker thread, and strace -f shows the syscalls under this worker's tid.
 *
 * Contract: worker thread, synchronous. Return 0 on success or -errno, as QEMU's handlers: a short
 * read is zero-filled (reading past EOF), a short write is -EINVAL... except aio_nbytes counts are
 * returned by the rw helpers and folded into 0 by handle_aiocb_rw.
 */
import { fdatasync, pread64, preadv, pwrite64, pwritev } from '../host/syscalls';
import { registerPoolFastFunction, registerPoolFunction, type FastJob } from '../util/thread-pool-funcs';

/* QEMU's aio types (include/block/raw-aio.h). */
export const QEMU_AIO_READ = 0x0001;
export const QEMU_AIO_WRITE = 0x0002;
export const QEMU_AIO_IOCTL = 0x0004;
export const QEMU_AIO_FLUSH = 0x0008;
export const QEMU_AIO_DISCARD = 0x0010;
export const QEMU_AIO_WRITE_ZEROES = 0x0020;
export const QEMU_AIO_TYPE_MASK = 0x00ff;
/** The buffers do not meet O_DIRECT's alignment: go through `bounce`. */
export const QEMU_AIO_MISALIGNED = 0x1000;

const EINTR = 4;
const EINVAL = 22;

/** RawPosixAIOData: one request for a worker (plain data; views stay shared). */
export interface RawPosixAIOData {
  aio_type: number;
  aio_fildes: number;
  aio_offset: number;
  aio_nbytes: number;
  io?: { iov: Uint8Array[]; niov: number };
  /** With QEMU_AIO_MISALIGNED: an aligned shared buffer of ≥ aio_nbytes bytes. */
  bounce?: Uint8Array;
}

/** handle_aiocb_rw_vector: one preadv/pwritev (restarted on EINTR). Bytes or -errno. */
function handle_aiocb_rw_vector(aiocb: RawPosixAIOData): number {
  const iov = aiocb.io!.iov;
  let len: number;
  do {
    len = aiocb.aio_type & QEMU_AIO_WRITE ? pwritev(aiocb.aio_fildes, iov, aiocb.aio_offset) : preadv(aiocb.aio_fildes, iov, aiocb.aio_offset);
  } while (len === -EINTR);
  return len;
}

/** handle_aiocb_rw_linear: pread64/pwrite64 until done or EOF. Bytes or -errno. */
function handle_aiocb_rw_linear(aiocb: RawPosixAIOData, buf: Uint8Array): number {
  let offset = 0;
  while (offset < aiocb.aio_nbytes) {
    const piece = offset === 0 && buf.byteLength === aiocb.aio_nbytes ? buf : buf.subarray(offset, aiocb.aio_nbytes); // no new view in the usual case
    const len = aiocb.aio_type & QEMU_AIO_WRITE ? pwrite64(aiocb.aio_fildes, piece, aiocb.aio_offset + offset) : pread64(aiocb.aio_fildes, piece, aiocb.aio_offset + offset);
    if (len === -EINTR) continue;
    if (len < 0) return len;
    if (len === 0) break; // EOF
    offset += len;
  }
  return offset;
}

/** Copy between the iov and a linear buffer (the bounce path's memcpy). */
function iovCopy(iov: Uint8Array[], buf: Uint8Array, toBuf: boolean, bytes: number): void {
  let at = 0;
  for (const v of iov) {
    if (at >= bytes) break;
    const n = Math.min(v.byteLength, bytes - at);
    if (toBuf) buf.set(v.subarray(0, n), at);
    else v.set(buf.subarray(at, at + n));
    at += n;
  }
}

/**
 * handle_aiocb_rw: the pool function for reads and writes. Aligned (or not O_DIRECT) requests go
 * straight to the iov: one entry → handle_aiocb_rw_linear (pread64/pwrite64), more → _vector
 * (preadv/pwritev). Misaligned ones use the aligned bounce buffer, copied here on the worker as
 * QEMU does. A short read is zero-filled; a short write is -EINVAL.
 */
export function handle_aiocb_rw(aiocb: RawPosixAIOData): number {
  const iov = aiocb.io!.iov;
  let nbytes: number;
  if (!(aiocb.aio_type & QEMU_AIO_MISALIGNED)) {
    nbytes = iov.length === 1 ? handle_aiocb_rw_linear(aiocb, iov[0]!) : handle_aiocb_rw_vector(aiocb);
  } else {
    const buf = aiocb.bounce!;
    if (aiocb.aio_type & QEMU_AIO_WRITE) iovCopy(iov, buf, true, aiocb.aio_nbytes);
    nbytes = handle_aiocb_rw_linear(aiocb, buf.subarray(0, buf.byteLength));
    if (!(aiocb.aio_type & QEMU_AIO_WRITE) && nbytes > 0) iovCopy(iov, buf, false, nbytes);
  }
  if (nbytes === aiocb.aio_nbytes) return 0;
  if (nbytes < 0) return nbytes;
  if (aiocb.aio_type & QEMU_AIO_WRITE) return -EINVAL;
  // Short read (EOF): zero the rest, as QEMU's iov_memset.
  let at = 0;
  for (const v of iov) {
    const start = Math.max(0, nbytes - at);
    if (start < v.byteLength) v.fill(0, start);
    at += v.byteLength;
  }
  return 0;
}

/** handle_aiocb_flush: fdatasync(2). 0 or -errno. */
export function handle_aiocb_flush(aiocb: RawPosixAIOData): number {
  return fdatasync(aiocb.aio_fildes);
}

const ZERO_CHUNK = 1 << 20;
let zeroes: Uint8Array | null = null;

/**
 * handle_aiocb_write_zeroes: Node has no fallocate(2) (QEMU tries PUNCH_HOLE/ZERO_RANGE first), so
 * this writes a zeroed buffer with pwrite64, in 1 MiB pieces. `bounce`, if given, is an aligned
 * buffer to use instead (O_DIRECT); its size bounds the piece. 0 or -errno.
 */
export function handle_aiocb_write_zeroes(aiocb: RawPosixAIOData): number {
  const buf = aiocb.bounce ?? (zeroes ??= new Uint8Array(ZERO_CHUNK));
  buf.fill(0);
  let done = 0;
  while (done < aiocb.aio_nbytes) {
    const n = Math.min(buf.byteLength, aiocb.aio_nbytes - done);
    const r = pwrite64(aiocb.aio_fildes, buf.subarray(0, n), aiocb.aio_offset + done);
    if (r === -EINTR) continue;
    if (r < 0) return r;
    if (r === 0) return -EINVAL;
    done += r;
  }
  return 0;
}

/*
 * Fast hand-off of handle_aiocb_rw (see thread-pool-funcs.ts, FastJob): the submitting side
 * (file-posix.ts, aiocb_rw_encode) writes the RawPosixAIOData as numbers into the job record, iov
 * entries as (registered buffer id, byteOffset, length). Int32 words from `base`:
 *   +0 aio_type  +1 aio_fildes  +2 niov  +3 bounce buffer id (-1: none)
 *   +4..5 aio_offset (Float64)  +6..7 aio_nbytes (Float64)  +8 bounce byteOffset  +9 bounce length
 *   +10 + 3i: iov[i] buffer id, byteOffset (u32), length (u32)
 */
export const AIOCB_RW_MAX_IOV = 15;
export const AIOCB_RW_IOV_BASE = 10;

/** Worker side: decode the record and run handle_aiocb_rw on views of the registered buffers. */
export function handle_aiocb_rw_fast(job: FastJob): number {
  const { i32, u32, f64, base } = job;
  const niov = i32[base + 2];
  const iov: Uint8Array[] = new Array<Uint8Array>(niov);
  for (let i = 0, at = base + AIOCB_RW_IOV_BASE; i < niov; i++, at += 3) iov[i] = new Uint8Array(job.buffer(i32[at]), u32[at + 1], u32[at + 2]);
  const aiocb: RawPosixAIOData = {
    aio_type: i32[base],
    aio_fildes: i32[base + 1],
    aio_offset: f64[(base + 4) >> 1],
    aio_nbytes: f64[(base + 6) >> 1],
    io: { iov, niov },
  };
  const bid = i32[base + 3];
  if (bid >= 0) aiocb.bounce = new Uint8Array(job.buffer(bid), u32[base + 8], u32[base + 9]);
  return handle_aiocb_rw(aiocb);
}

registerPoolFunction('handle_aiocb_rw', handle_aiocb_rw);
registerPoolFastFunction('handle_aiocb_rw', handle_aiocb_rw_fast);
registerPoolFunction('handle_aiocb_flush', handle_aiocb_flush);
registerPoolFunction('handle_aiocb_write_zeroes', handle_aiocb_write_zeroes);
