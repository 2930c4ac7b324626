/**
 * The generic request path (QEMU block/io.c): every read and write of a node goes through here,
 * whatever its driver. In order, for a read:
 *   bdrv_co_preadv(child) → bdrv_co_preadv_part: bounds check, tracked request, padding to the
 *   node's request_alignment (bdrv_pad_request) → bdrv_aligned_preadv: wait for overlapping
 *   serialising requests, zero-fill beyond EOF, split at max_transfer → bdrv_driver_preadv →
 *   drv.bdrv_co_preadv.
 * A write mirrors it; an unaligned write is a read-modify-write of its head and tail blocks and is
 * made *serialising* (bdrv_make_request_serialising) so overlapping requests wait for it.
 *
 * Contract: coroutine_fns run in a coroutine in the node's AioContext (the emulator thread) and
 * are called with `yield*`. Results: 0 or -errno (bytes moved are the request's bytes).
 */
import { qemu_coroutine_self, qemu_coroutine_yield, type coroutine_fn } from '../util/coroutine';
import {
  QEMUIOVector,
  qemu_iovec_init_extended,
  qemu_iovec_is_zero,
  qemu_iovec_memset,
  qemu_iovec_slice,
  qiovOf,
} from '../util/iov';
import { aio_co_wake } from '../util/coroutine';
import { EINVAL, EIO, EPERM, ENOMEDIUM, ENOTSUP } from './errno';
import {
  BDRV_MAX_LENGTH,
  BDRV_O_NO_FLUSH,
  BDRV_O_UNMAP,
  BDRV_REQUEST_MAX_BYTES,
  BDRV_REQ_FUA,
  BDRV_REQ_MAY_UNMAP,
  BDRV_REQ_SERIALISING,
  BDRV_REQ_ZERO_WRITE,
  BLK_PERM_RESIZE,
  BLK_PERM_WRITE,
  BLK_PERM_WRITE_UNCHANGED,
  type BdrvChild,
  type BdrvTrackedRequest,
  type BlockDriverState,
} from './block-int';
import { blockTraceHooks } from './trace-hooks';

/** qemu_blockalign: a buffer for I/O, in shared memory so a worker thread can fill it in place. */
export function qemu_blockalign(_bs: BlockDriverState | null, size: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(Math.max(size, 1)), 0, size);
}

export function QEMU_ALIGN_DOWN(n: number, m: number): number {
  return n - (n % m);
}
export function QEMU_ALIGN_UP(n: number, m: number): number {
  return QEMU_ALIGN_DOWN(n + m - 1, m);
}

/** bdrv_check_request: offset/bytes in range (QEMU: -EIO otherwise). */
export function bdrv_check_request(offset: number, bytes: number): number {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(bytes)) return -EIO;
  if (offset < 0 || bytes < 0 || bytes > BDRV_MAX_LENGTH || offset > BDRV_MAX_LENGTH - bytes) return -EIO;
  return 0;
}

export function bdrv_inc_in_flight(bs: BlockDriverState): void {
  bs.in_flight++;
}
export function bdrv_dec_in_flight(bs: BlockDriverState): void {
  bs.in_flight--;
}

/**
 * bdrv_getlength: the node's size in bytes, or -errno. Not a coroutine_fn; never yields. Uses the
 * size cached at open (refresh_total_sectors) and grown by writes past the end, as QEMU does for
 * drivers without has_variable_length.
 */
export function bdrv_getlength(bs: BlockDriverState): number {
  return bs.total_bytes;
}

/** refresh_total_sectors: ask the driver for the size again (open, truncate). Bytes or -errno. */
export function bdrv_refresh_total_sectors(bs: BlockDriverState): number {
  const n = bs.drv.bdrv_co_getlength(bs);
  if (n >= 0) bs.total_bytes = n;
  return n;
}

// ---- tracked requests ---------------------------------------------------------------------------
// bs.tracked_requests holds every request between begin and end. Appending and removing are O(1)
// (removal moves the last entry into the hole, via list_index) and allocate nothing: this runs
// twice per request and node. bs.serialising_in_flight counts the serialising ones, so requests
// skip the conflict search entirely while there are none (the usual case: aligned I/O).

function tracked_request_begin(bs: BlockDriverState, offset: number, bytes: number, type: BdrvTrackedRequest['type']): BdrvTrackedRequest {
  const list = bs.tracked_requests;
  const req: BdrvTrackedRequest = {
    bs,
    offset,
    bytes,
    type,
    serialising: false,
    overlap_offset: offset,
    overlap_bytes: bytes,
    co: qemu_coroutine_self(),
    wait_queue: null,
    waiting_for: null,
    id: ++bs.req_seq,
    list_index: list.length,
  };
  list.push(req);
  return req;
}

/** tracked_request_end: untrack req, then wake every coroutine waiting for it (QEMU's qemu_co_queue_restart_all). */
function tracked_request_end(req: BdrvTrackedRequest): void {
  const bs = req.bs;
  if (req.serialising) bs.serialising_in_flight--;
  const list = bs.tracked_requests;
  const i = req.list_index;
  if (i >= 0 && list[i] === req) {
    const last = list.pop()!;
    if (last !== req) {
      list[i] = last;
      last.list_index = i;
    }
  }
  req.list_index = -1;
  const q = req.wait_queue;
  if (q !== null) {
    req.wait_queue = null;
    for (let k = 0; k < q.length; k++) aio_co_wake(q[k]);
  }
}

/** tracked_request_set_serialising: mark req serialising (once) and count it on its node. */
function tracked_request_set_serialising(req: BdrvTrackedRequest): void {
  if (req.serialising) return;
  req.serialising = true;
  req.bs.serialising_in_flight++;
}

function tracked_request_overlaps(req: BdrvTrackedRequest, offset: number, bytes: number): boolean {
  if (offset >= req.overlap_offset + req.overlap_bytes) return false;
  if (req.overlap_offset >= offset + bytes) return false;
  return true;
}

/** bdrv_find_conflicting_request: an overlapping request self must wait for, if any. */
function bdrv_find_conflicting_request(self: BdrvTrackedRequest): BdrvTrackedRequest | null {
  for (const req of self.bs.tracked_requests) {
    if (req === self || (!req.serialising && !self.serialising)) continue;
    if (!tracked_request_overlaps(req, self.overlap_offset, self.overlap_bytes)) continue;
    // A request that is itself waiting will wait for us when it wakes: go on (no deadlock).
    if (req.waiting_for === null) return req;
  }
  return null;
}

/**
 * bdrv_wait_serialising_requests: coroutine_fn. Yield until no overlapping request conflicts
 * (one of the two is serialising). Returns true if it waited. Callers on the hot path test
 * bs.serialising_in_flight first and skip the call (and its generator) when it is 0.
 */
export function* bdrv_wait_serialising_requests(self: BdrvTrackedRequest): coroutine_fn<boolean> {
  if (!self.bs.serialising_in_flight) return false;
  let waited = false;
  for (let req = bdrv_find_conflicting_request(self); req !== null; req = bdrv_find_conflicting_request(self)) {
    const h = blockTraceHooks.bdrv_wait_serialising;
    if (h !== null) h(self, req);
    self.waiting_for = req;
    (req.wait_queue ??= []).push(qemu_coroutine_self());
    yield* qemu_coroutine_yield();
    self.waiting_for = null;
    waited = true;
  }
  return waited;
}

/** bdrv_make_request_serialising: widen req to `align` and make it serialising, then wait. */
export function* bdrv_make_request_serialising(req: BdrvTrackedRequest, align: number): coroutine_fn<boolean> {
  const overlap_offset = QEMU_ALIGN_DOWN(req.offset, align);
  const overlap_bytes = QEMU_ALIGN_UP(req.offset + req.bytes, align) - overlap_offset;
  tracked_request_set_serialising(req);
  req.overlap_offset = Math.min(req.overlap_offset, overlap_offset);
  req.overlap_bytes = Math.max(req.overlap_offset + req.overlap_bytes, overlap_offset + overlap_bytes) - req.overlap_offset;
  return yield* bdrv_wait_serialising_requests(req);
}

// ---- padding ------------------------------------------------------------------------------------

/** BdrvRequestPadding: head/tail bytes added to reach the alignment, in one bounce buffer. */
interface BdrvRequestPadding {
  buf: Uint8Array;
  head: number;
  tail: number;
  merge_reads: boolean;
  local_qiov: QEMUIOVector;
}

/**
 * bdrv_pad_request: if [offset, +bytes) is not aligned, widen it and build a qiov of
 * (head pad, the caller's range, tail pad). Returns null when no padding is needed.
 */
function bdrv_pad_request(bs: BlockDriverState, qiov: QEMUIOVector | null, qiov_offset: number, offset: number, bytes: number): BdrvRequestPadding | null {
  const align = bs.bl.request_alignment;
  const head = offset & (align - 1);
  const tail = (align - ((offset + bytes) & (align - 1))) & (align - 1);
  if (head === 0 && tail === 0) return null;
  const padded = head + bytes + tail;
  const merge_reads = padded === align; // head and tail share one block
  const buf_len = merge_reads ? align : (head ? align : 0) + (tail ? align : 0);
  const buf = qemu_blockalign(bs, buf_len);
  const local_qiov = new QEMUIOVector();
  const headBuf = head ? buf.subarray(0, head) : null;
  const tailStart = merge_reads ? head + bytes : (head ? align : 0) + (align - tail);
  const tailBuf = tail ? buf.subarray(tailStart, tailStart + tail) : null;
  if (qiov === null) {
    // write-zeroes: the middle is zeroes too
    const mid = qemu_blockalign(bs, bytes);
    qemu_iovec_init_extended(local_qiov, headBuf, qiovOf(mid), 0, bytes, tailBuf);
  } else {
    qemu_iovec_init_extended(local_qiov, headBuf, qiov, qiov_offset, bytes, tailBuf);
  }
  return { buf, head, tail, merge_reads, local_qiov };
}

/** bdrv_padding_rmw_read: coroutine_fn. Read the blocks the padding covers (the "read" of RMW). */
function* bdrv_padding_rmw_read(child: BdrvChild, req: BdrvTrackedRequest, pad: BdrvRequestPadding): coroutine_fn<number> {
  const bs = child.bs;
  const align = bs.bl.request_alignment;
  if (pad.head || pad.merge_reads) {
    const bytes = pad.merge_reads ? pad.buf.byteLength : align;
    const ret = yield* bdrv_aligned_preadv(child, req, req.overlap_offset, bytes, align, qiovOf(pad.buf.subarray(0, bytes)), 0, 0);
    if (ret < 0) return ret;
    if (pad.merge_reads) return 0;
  }
  if (pad.tail) {
    const off = pad.head ? align : 0;
    const ret = yield* bdrv_aligned_preadv(child, req, req.overlap_offset + req.overlap_bytes - align, align, align, qiovOf(pad.buf.subarray(off, off + align)), 0, 0);
    if (ret < 0) return ret;
  }
  return 0;
}

// ---- reads --------------------------------------------------------------------------------------

/** bdrv_driver_preadv: coroutine_fn. Hand an aligned, bounded piece to the driver. */
export function* bdrv_driver_preadv(bs: BlockDriverState, offset: number, bytes: number, qiov: QEMUIOVector, qiov_offset: number, flags: number): coroutine_fn<number> {
  const bdrv_co_preadv = bs.drv.bdrv_co_preadv; // called without a receiver: the frame reads "raw_co_preadv"
  if (bdrv_co_preadv === undefined) return -ENOTSUP;
  const q = qiov_offset === 0 && qiov.size === bytes ? qiov : qemu_iovec_slice(qiov, qiov_offset, bytes);
  const h = blockTraceHooks.bdrv_driver_io;
  if (h !== null) h('read', bs, offset, bytes);
  return yield* bdrv_co_preadv(bs, offset, bytes, q, flags);
}

/**
 * bdrv_aligned_preadv: coroutine_fn. offset/bytes aligned to `align`. Waits for conflicting
 * serialising requests; reads up to EOF, zero-fills past it; splits at max_transfer.
 */
export function* bdrv_aligned_preadv(
  child: BdrvChild,
  req: BdrvTrackedRequest,
  offset: number,
  bytes: number,
  align: number,
  qiov: QEMUIOVector,
  qiov_offset: number,
  flags: number,
): coroutine_fn<number> {
  const bs = child.bs;
  if (flags & BDRV_REQ_SERIALISING) yield* bdrv_make_request_serialising(req, align);
  else if (bs.serialising_in_flight) yield* bdrv_wait_serialising_requests(req);
  const total_bytes = bdrv_getlength(bs);
  if (total_bytes < 0) return total_bytes;
  const max_bytes = QEMU_ALIGN_UP(Math.max(0, total_bytes - offset), align);
  const max_transfer = bs.bl.max_transfer > 0 ? QEMU_ALIGN_DOWN(bs.bl.max_transfer, align) : BDRV_REQUEST_MAX_BYTES;
  if (bytes <= max_bytes && bytes <= max_transfer) return yield* bdrv_driver_preadv(bs, offset, bytes, qiov, qiov_offset, flags);
  let remaining = bytes;
  while (remaining > 0) {
    const done = bytes - remaining;
    const num = Math.min(remaining, Math.max(0, max_bytes - done), max_transfer);
    if (num > 0) {
      const ret = yield* bdrv_driver_preadv(bs, offset + done, num, qiov, qiov_offset + done, flags);
      if (ret < 0) return ret;
      remaining -= num;
    } else {
      qemu_iovec_memset(qiov, qiov_offset + done, 0, remaining); // beyond EOF reads as zeroes
      remaining = 0;
    }
  }
  return 0;
}

/** bdrv_co_preadv: coroutine_fn. Read [offset, +bytes) of child's node into qiov. 0 or -errno. */
export function* bdrv_co_preadv(child: BdrvChild, offset: number, bytes: number, qiov: QEMUIOVector, flags: number): coroutine_fn<number> {
  return yield* bdrv_co_preadv_part(child, offset, bytes, qiov, 0, flags);
}

/** bdrv_co_preadv_part: coroutine_fn. As bdrv_co_preadv, into qiov from qiov_offset on. */
export function* bdrv_co_preadv_part(child: BdrvChild, offset: number, bytes: number, qiov: QEMUIOVector, qiov_offset: number, flags: number): coroutine_fn<number> {
  const bs = child.bs;
  const h = blockTraceHooks.bdrv_co_preadv_part;
  if (h !== null) h(child, offset, bytes, flags);
  let ret = bdrv_check_request(offset, bytes);
  if (ret < 0) return ret;
  if (bytes === 0) return 0;
  bdrv_inc_in_flight(bs);
  const pad = bdrv_pad_request(bs, qiov, qiov_offset, offset, bytes);
  const req = tracked_request_begin(bs, offset, bytes, 'read');
  try {
    if (pad === null) {
      ret = yield* bdrv_aligned_preadv(child, req, offset, bytes, bs.bl.request_alignment, qiov, qiov_offset, flags);
    } else {
      const align = bs.bl.request_alignment;
      ret = yield* bdrv_aligned_preadv(child, req, offset - pad.head, pad.local_qiov.size, align, pad.local_qiov, 0, flags);
    }
  } finally {
    tracked_request_end(req);
    bdrv_dec_in_flight(bs);
  }
  return ret;
}

/** bdrv_co_pread: coroutine_fn. Read into one buffer (must be shared memory for the worker). */
export function* bdrv_co_pread(child: BdrvChild, offset: number, bytes: number, buf: Uint8Array, flags = 0): coroutine_fn<number> {
  return yield* bdrv_co_preadv(child, offset, bytes, qiovOf(buf.subarray(0, bytes)), flags);
}

// ---- writes -------------------------------------------------------------------------------------

/** bdrv_driver_pwritev: coroutine_fn. Aligned piece to the driver; emulates FUA with a flush. */
export function* bdrv_driver_pwritev(bs: BlockDriverState, offset: number, bytes: number, qiov: QEMUIOVector, qiov_offset: number, flags: number): coroutine_fn<number> {
  const bdrv_co_pwritev = bs.drv.bdrv_co_pwritev; // no receiver (see bdrv_driver_preadv)
  if (bdrv_co_pwritev === undefined) return -ENOTSUP;
  const q = qiov_offset === 0 && qiov.size === bytes ? qiov : qemu_iovec_slice(qiov, qiov_offset, bytes);
  const h = blockTraceHooks.bdrv_driver_io;
  if (h !== null) h('write', bs, offset, bytes);
  let ret = yield* bdrv_co_pwritev(bs, offset, bytes, q, flags & bs.supported_write_flags);
  if (ret === 0 && flags & BDRV_REQ_FUA && !(bs.supported_write_flags & BDRV_REQ_FUA)) ret = yield* bdrv_co_flush(bs);
  return ret;
}

const MAX_WRITE_ZEROES_BOUNCE_BUFFER = 32768 * 512;

/**
 * bdrv_co_do_pwrite_zeroes: coroutine_fn. As QEMU: BDRV_REQ_MAY_UNMAP only with discard=unmap;
 * the request is cut at the driver's pwrite_zeroes_alignment (a qcow2 cluster), so the driver sees
 * an unaligned head, the aligned bulk and an unaligned tail separately; each piece goes to the
 * driver's write-zeroes, and a piece it does not support (-ENOTSUP) is written as a zeroed buffer.
 */
function* bdrv_co_do_pwrite_zeroes(bs: BlockDriverState, offset: number, bytes: number, flags: number): coroutine_fn<number> {
  // Opened without discard=unmap: never unmap. Here, not in bdrv_co_pwrite_zeroes, so requests
  // through a BlockBackend (blk_aio_pwrite_zeroes) are covered too (as QEMU since 9.1).
  if (!(bs.open_flags & BDRV_O_UNMAP)) flags &= ~BDRV_REQ_MAY_UNMAP;
  const alignment = Math.max(bs.bl.pwrite_zeroes_alignment, bs.bl.request_alignment, 1);
  let head = offset % alignment;
  const tail = (offset + bytes) % alignment;
  while (bytes > 0) {
    let num = bytes;
    if (head !== 0) {
      num = Math.min(bytes, alignment - head); // up to the first aligned offset
      head = 0;
    } else if (tail !== 0 && num > alignment) {
      num -= tail; // the aligned bulk; the tail comes next
    }
    let ret = -ENOTSUP;
    const pwrite_zeroes = bs.drv.bdrv_co_pwrite_zeroes;
    if (pwrite_zeroes !== undefined) ret = yield* pwrite_zeroes(bs, offset, num, flags);
    if (ret === -ENOTSUP) ret = yield* bdrv_write_zeroed_buffer(bs, offset, num, flags);
    if (ret < 0) return ret;
    offset += num;
    bytes -= num;
  }
  return 0;
}

/** Write-zeroes the slow way: a zeroed buffer, through the driver's pwritev. */
function* bdrv_write_zeroed_buffer(bs: BlockDriverState, offset: number, bytes: number, flags: number): coroutine_fn<number> {
  let done = 0;
  while (done < bytes) {
    const num = Math.min(bytes - done, MAX_WRITE_ZEROES_BOUNCE_BUFFER);
    const ret = yield* bdrv_driver_pwritev(bs, offset + done, num, qiovOf(qemu_blockalign(bs, num)), 0, flags & BDRV_REQ_FUA);
    if (ret < 0) return ret;
    done += num;
  }
  return 0;
}

/** bdrv_co_write_req_prepare: permission checks before a write reaches the driver (QEMU asserts). */
function bdrv_co_write_req_prepare(child: BdrvChild): number {
  const bs = child.bs;
  if (bs.read_only) return -EPERM;
  if (!(child.perm & (BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED))) return -EPERM;
  bs.write_gen++; // before the driver runs, so a FUA flush inside bdrv_driver_pwritev sees this write
  return 0;
}

/** bdrv_co_write_req_finish: grow the cached size. */
function bdrv_co_write_req_finish(bs: BlockDriverState, offset: number, bytes: number, ret: number): void {
  if (ret === 0 && offset + bytes > bs.total_bytes) bs.total_bytes = offset + bytes;
}

/** bdrv_aligned_pwritev: coroutine_fn. Aligned write: wait for conflicts, split, write. */
export function* bdrv_aligned_pwritev(
  child: BdrvChild,
  req: BdrvTrackedRequest,
  offset: number,
  bytes: number,
  align: number,
  qiov: QEMUIOVector | null,
  qiov_offset: number,
  flags: number,
): coroutine_fn<number> {
  const bs = child.bs;
  if (!req.serialising && bs.serialising_in_flight) yield* bdrv_wait_serialising_requests(req);
  let ret = bdrv_co_write_req_prepare(child);
  if (ret < 0) return ret;
  const max_transfer = bs.bl.max_transfer > 0 ? QEMU_ALIGN_DOWN(bs.bl.max_transfer, align) : BDRV_REQUEST_MAX_BYTES;
  // detect-zeroes: a write of zeroes becomes write-zeroes (zero clusters in qcow2), as QEMU.
  if (bs.detect_zeroes !== 'off' && !(flags & BDRV_REQ_ZERO_WRITE) && qiov !== null && bs.drv.bdrv_co_pwrite_zeroes !== undefined && qemu_iovec_is_zero(qiov, qiov_offset, bytes)) {
    flags |= BDRV_REQ_ZERO_WRITE;
    if (bs.detect_zeroes === 'unmap') flags |= BDRV_REQ_MAY_UNMAP;
  }
  if (flags & BDRV_REQ_ZERO_WRITE || qiov === null) {
    ret = yield* bdrv_co_do_pwrite_zeroes(bs, offset, bytes, flags);
  } else if (bytes <= max_transfer) {
    ret = yield* bdrv_driver_pwritev(bs, offset, bytes, qiov, qiov_offset, flags);
  } else {
    ret = 0;
    for (let done = 0; done < bytes && ret === 0; done += max_transfer) {
      const num = Math.min(bytes - done, max_transfer);
      ret = yield* bdrv_driver_pwritev(bs, offset + done, num, qiov, qiov_offset + done, flags);
    }
  }
  bdrv_co_write_req_finish(bs, offset, bytes, ret);
  return ret;
}

/** bdrv_co_pwritev: coroutine_fn. Write qiov at offset of child's node. 0 or -errno. */
export function* bdrv_co_pwritev(child: BdrvChild, offset: number, bytes: number, qiov: QEMUIOVector | null, flags: number): coroutine_fn<number> {
  return yield* bdrv_co_pwritev_part(child, offset, bytes, qiov, 0, flags);
}

/**
 * bdrv_co_pwritev_part: coroutine_fn. An unaligned write becomes a serialising read-modify-write
 * of its head/tail blocks. qiov null means write zeroes (BDRV_REQ_ZERO_WRITE).
 */
export function* bdrv_co_pwritev_part(child: BdrvChild, offset: number, bytes: number, qiov: QEMUIOVector | null, qiov_offset: number, flags: number): coroutine_fn<number> {
  const bs = child.bs;
  const h = blockTraceHooks.bdrv_co_pwritev_part;
  if (h !== null) h(child, offset, bytes, flags);
  if (bs.drv === undefined) return -ENOMEDIUM;
  if (bs.read_only) return -EPERM;
  let ret = bdrv_check_request(offset, bytes);
  if (ret < 0) return ret;
  if (bytes === 0) return 0;
  if (qiov === null) flags |= BDRV_REQ_ZERO_WRITE;
  const align = bs.bl.request_alignment;
  bdrv_inc_in_flight(bs);
  const req = tracked_request_begin(bs, offset, bytes, 'write');
  try {
    const pad = bdrv_pad_request(bs, qiov, qiov_offset, offset, bytes);
    if (pad === null) {
      ret = yield* bdrv_aligned_pwritev(child, req, offset, bytes, align, qiov, qiov_offset, flags);
    } else {
      yield* bdrv_make_request_serialising(req, align);
      ret = yield* bdrv_padding_rmw_read(child, req, pad);
      if (ret === 0) {
        if (qiov === null) {
          // Zeroes inside padded blocks: the RMW buffer carries them as data.
          qemu_iovec_memset(pad.local_qiov, pad.head, 0, bytes);
          flags &= ~BDRV_REQ_ZERO_WRITE;
        }
        ret = yield* bdrv_aligned_pwritev(child, req, offset - pad.head, pad.local_qiov.size, align, pad.local_qiov, 0, flags);
      }
    }
  } finally {
    tracked_request_end(req);
    bdrv_dec_in_flight(bs);
  }
  return ret;
}

/** bdrv_co_pwrite: coroutine_fn. Write one buffer. */
export function* bdrv_co_pwrite(child: BdrvChild, offset: number, bytes: number, buf: Uint8Array, flags = 0): coroutine_fn<number> {
  return yield* bdrv_co_pwritev(child, offset, bytes, qiovOf(buf.subarray(0, bytes)), flags);
}

/** bdrv_co_pwrite_zeroes: coroutine_fn. Zero [offset, +bytes). */
export function* bdrv_co_pwrite_zeroes(child: BdrvChild, offset: number, bytes: number, flags: number): coroutine_fn<number> {
  return yield* bdrv_co_pwritev(child, offset, bytes, null, flags | BDRV_REQ_ZERO_WRITE);
}

/**
 * bdrv_co_pdiscard: coroutine_fn. Advisory: -ENOTSUP from a driver counts as success, and without
 * discard=unmap (BDRV_O_UNMAP, QEMU's default is ignore) nothing is done.
 */
export function* bdrv_co_pdiscard(child: BdrvChild, offset: number, bytes: number): coroutine_fn<number> {
  const bs = child.bs;
  let ret = bdrv_check_request(offset, bytes);
  if (ret < 0) return ret;
  if (!(bs.open_flags & BDRV_O_UNMAP)) return 0;
  if (bs.read_only || !(child.perm & BLK_PERM_WRITE)) return -EPERM;
  const pdiscard = bs.drv.bdrv_co_pdiscard;
  if (pdiscard === undefined) return 0;
  bdrv_inc_in_flight(bs);
  const req = tracked_request_begin(bs, offset, bytes, 'discard');
  try {
    yield* bdrv_wait_serialising_requests(req);
    ret = yield* pdiscard(bs, offset, bytes);
    if (ret === -ENOTSUP) ret = 0;
    bs.write_gen++;
  } finally {
    tracked_request_end(req);
    bdrv_dec_in_flight(bs);
  }
  return ret;
}

/**
 * bdrv_co_flush: coroutine_fn. Driver caches to the OS, then (unless BDRV_O_NO_FLUSH, cache=unsafe)
 * to the disk, then every child the node writes to. Skipped when nothing was written since.
 */
export function* bdrv_co_flush(bs: BlockDriverState): coroutine_fn<number> {
  bdrv_inc_in_flight(bs);
  try {
    const current_gen = bs.write_gen;
    let ret = 0;
    const flush_to_os = bs.drv.bdrv_co_flush_to_os;
    const flush_to_disk = bs.drv.bdrv_co_flush_to_disk;
    if (flush_to_os !== undefined) {
      ret = yield* flush_to_os(bs);
      if (ret < 0) return ret;
    }
    if (!(bs.open_flags & BDRV_O_NO_FLUSH) && bs.flushed_gen !== current_gen && flush_to_disk !== undefined) {
      const h = blockTraceHooks.bdrv_co_flush;
      if (h !== null) h(bs);
      ret = yield* flush_to_disk(bs);
      if (ret < 0) return ret;
    }
    for (const c of bs.children) {
      if (c.perm & (BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED)) {
        const r = yield* bdrv_co_flush(c.bs);
        if (r < 0 && ret === 0) ret = r;
      }
    }
    if (ret === 0) bs.flushed_gen = current_gen;
    return ret;
  } finally {
    bdrv_dec_in_flight(bs);
  }
}

/** bdrv_co_truncate: coroutine_fn. Resize (needs BLK_PERM_RESIZE on the edge). */
export function* bdrv_co_truncate(child: BdrvChild, offset: number): coroutine_fn<number> {
  const bs = child.bs;
  if (offset < 0) return -EINVAL;
  if (bs.read_only || !(child.perm & BLK_PERM_RESIZE)) return -EPERM;
  const truncate = bs.drv.bdrv_co_truncate;
  if (truncate === undefined) return -ENOTSUP;
  const ret = yield* truncate(bs, offset);
  if (ret === 0) bdrv_refresh_total_sectors(bs);
  return ret;
}
