/**
 * BlockBackend (QEMU block/block-backend.c): what a device (virtio-blk) holds — the root edge into
 * the node graph, the drive's id, its AioContext, write-cache mode and error actions.
 *
 * Asynchronous requests work as in QEMU:
 *   blk_aio_preadv → blk_aio_prwv: qemu_coroutine_create(blk_aio_read_entry) + qemu_coroutine_enter
 *   [coroutine] blk_aio_read_entry → blk_co_do_preadv_part → bdrv_co_preadv_part(root) → ...
 *   completion: blk_aio_complete calls cb(opaque, ret) — from the coroutine when the request
 *   completed after blk_aio_prwv returned (the usual case: re-entered from the thread pool's
 *   completion BH), or from a oneshot BH (blk_aio_complete_bh) when it completed before, so cb
 *   never runs inside blk_aio_*.
 * ret is 0 or -errno. Bounds: a request beyond the device's end fails with -EIO
 * (blk_check_byte_request).
 *
 * Contract: main loop thread (the blk's AioContext must be a context of this thread); callbacks run
 * from that context's aio_poll / main_loop_wait.
 */
import type { AioContext } from '../util/aio-context';
import { aio_poll } from '../util/aio-context';
import { aio_bh_schedule_oneshot } from '../util/aio-bh';
import { qemu_coroutine_create, qemu_coroutine_enter, type coroutine_fn } from '../util/coroutine';
import { QEMUIOVector, qiovOf } from '../util/iov';
import {
  BDRV_CHILD_FILTERED,
  BDRV_CHILD_PRIMARY,
  BDRV_REQ_FUA,
  BDRV_REQ_ZERO_WRITE,
  type BdrvChild,
  type BlockDriverState,
  BlockError,
} from './block-int';
import { bdrv_child_try_set_perm, bdrv_root_attach_child, bdrv_root_unref_child } from './block';
import { EIO, ENOMEDIUM, ENOSPC } from './errno';
import { bdrv_co_flush, bdrv_co_pdiscard, bdrv_co_preadv_part, bdrv_co_pwritev_part, bdrv_getlength } from './io';
import { blockTraceHooks } from './trace-hooks';

export type BlockCompletionFunc = (opaque: any, ret: number) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
export type BlockdevOnError = 'report' | 'ignore' | 'stop' | 'enospc';
export enum BlockErrorAction {
  BLOCK_ERROR_ACTION_IGNORE = 'ignore',
  BLOCK_ERROR_ACTION_REPORT = 'report',
  BLOCK_ERROR_ACTION_STOP = 'stop',
}
export type BlockDeviceIoStatus = 'ok' | 'failed' | 'nospace';

export class BlockBackend {
  /** The drive id ("hd0"): blk->name. */
  name = '';
  root: BdrvChild | null = null;
  ctx: AioContext;
  perm: number;
  shared_perm: number;
  /** false: writethrough (every write gets BDRV_REQ_FUA). */
  enable_write_cache = true;
  on_read_error: BlockdevOnError = 'report';
  on_write_error: BlockdevOnError = 'enospc';
  iostatus: BlockDeviceIoStatus = 'ok';
  iostatus_enabled = true;
  /** Requests submitted and not completed (blk->in_flight). */
  in_flight = 0;
  allow_write_beyond_eof = false;
  /** What blk_error_action did (QMP BLOCK_IO_ERROR events), newest last. */
  readonly io_error_events: { action: BlockErrorAction; is_read: boolean; error: number }[] = [];
  /** Called by blk_error_action(STOP): the machine's vm_stop(RUN_STATE_IO_ERROR). */
  vm_stop: ((blk: BlockBackend, error: number) => void) | null = null;
  constructor(ctx: AioContext, perm: number, shared_perm: number) {
    this.ctx = ctx;
    this.perm = perm;
    this.shared_perm = shared_perm;
  }
  /** How this parent is named in permission conflicts (blk_root_get_parent_desc). */
  get parent_desc(): string {
    return this.name ? `block device '${this.name}'` : 'an unnamed block device';
  }
}

/** blk_new: a backend taking `perm` on its root and sharing `shared_perm`. */
export function blk_new(ctx: AioContext, perm: number, shared_perm: number): BlockBackend {
  return new BlockBackend(ctx, perm, shared_perm);
}

/** blk_insert_bs: attach the root edge (permissions taken now: file-posix may reopen, lock). */
export function blk_insert_bs(blk: BlockBackend, bs: BlockDriverState, errp: { error?: BlockError }): number {
  const c = bdrv_root_attach_child(bs, 'root', BDRV_CHILD_FILTERED | BDRV_CHILD_PRIMARY, blk.perm, blk.shared_perm, blk, errp);
  if (c === null) return -1;
  blk.root = c;
  return 0;
}

/** blk_remove_bs: drain, detach the root (the node closes if this was its last user). */
export function blk_remove_bs(blk: BlockBackend): void {
  if (blk.root === null) return;
  blk_drain(blk);
  const c = blk.root;
  blk.root = null;
  bdrv_root_unref_child(c);
}

/** blk_unref (last reference): remove the node. */
export function blk_unref(blk: BlockBackend): void {
  blk_remove_bs(blk);
}

/** blk_set_perm: change the permissions on the root. 0 or -errno (errp set). */
export function blk_set_perm(blk: BlockBackend, perm: number, shared_perm: number, errp: { error?: BlockError }): number {
  if (blk.root !== null) {
    const r = bdrv_child_try_set_perm(blk.root, perm, shared_perm, errp);
    if (r < 0) return r;
  }
  blk.perm = perm;
  blk.shared_perm = shared_perm;
  return 0;
}

export function blk_bs(blk: BlockBackend): BlockDriverState | null {
  return blk.root?.bs ?? null;
}
export function blk_is_available(blk: BlockBackend): boolean {
  return blk.root !== null;
}
export function blk_is_read_only(blk: BlockBackend): boolean {
  return blk.root === null || blk.root.bs.read_only;
}
/** blk_getlength: bytes, or -ENOMEDIUM / -errno. */
export function blk_getlength(blk: BlockBackend): number {
  return blk.root === null ? -ENOMEDIUM : bdrv_getlength(blk.root.bs);
}
export function blk_get_aio_context(blk: BlockBackend): AioContext {
  return blk.ctx;
}
export function blk_set_enable_write_cache(blk: BlockBackend, wce: boolean): void {
  blk.enable_write_cache = wce;
}

/**
 * blk_set_aio_context: move the backend and its nodes to `ctx` after draining. The new context
 * must belong to this thread (the graph's objects cannot move between JS threads).
 */
export function blk_set_aio_context(blk: BlockBackend, ctx: AioContext): void {
  blk_drain(blk);
  const visit = (bs: BlockDriverState): void => {
    bs.aio_context = ctx;
    for (const c of bs.children) visit(c.bs);
  };
  if (blk.root !== null) visit(blk.root.bs);
  blk.ctx = ctx;
}

/** blk_drain: poll the context until no request of this backend is in flight. */
export function blk_drain(blk: BlockBackend): void {
  while (blk.in_flight > 0 || (blk.root !== null && blk.root.bs.in_flight > 0)) aio_poll(blk.ctx, true);
}

/** blk_check_byte_request: -ENOMEDIUM without a medium, -EIO outside [0, length). */
export function blk_check_byte_request(blk: BlockBackend, offset: number, bytes: number): number {
  if (!blk_is_available(blk)) return -ENOMEDIUM;
  if (offset < 0 || bytes < 0 || !Number.isSafeInteger(offset) || !Number.isSafeInteger(bytes)) return -EIO;
  if (!blk.allow_write_beyond_eof) {
    const len = blk_getlength(blk);
    if (len < 0) return len;
    if (offset > len || len - offset < bytes) return -EIO;
  }
  return 0;
}

// ---- coroutine interface ------------------------------------------------------------------------

/** blk_co_do_preadv_part: coroutine_fn. */
function* blk_co_do_preadv_part(blk: BlockBackend, offset: number, bytes: number, qiov: QEMUIOVector, qiov_offset: number, flags: number): coroutine_fn<number> {
  const h = blockTraceHooks.blk_co_preadv;
  if (h !== null) h(blk, offset, bytes, flags);
  const ret = blk_check_byte_request(blk, offset, bytes);
  if (ret < 0) return ret;
  return yield* bdrv_co_preadv_part(blk.root!, offset, bytes, qiov, qiov_offset, flags);
}

/** blk_co_preadv: coroutine_fn. Read into qiov. 0 or -errno. */
export function* blk_co_preadv(blk: BlockBackend, offset: number, bytes: number, qiov: QEMUIOVector, flags = 0): coroutine_fn<number> {
  blk.in_flight++;
  try {
    return yield* blk_co_do_preadv_part(blk, offset, bytes, qiov, 0, flags);
  } finally {
    blk.in_flight--;
  }
}

/** blk_co_do_pwritev_part: coroutine_fn. Writethrough mode adds BDRV_REQ_FUA. qiov null: zeroes. */
function* blk_co_do_pwritev_part(blk: BlockBackend, offset: number, bytes: number, qiov: QEMUIOVector | null, qiov_offset: number, flags: number): coroutine_fn<number> {
  const h = blockTraceHooks.blk_co_pwritev;
  if (h !== null) h(blk, offset, bytes, flags);
  const ret = blk_check_byte_request(blk, offset, bytes);
  if (ret < 0) return ret;
  if (!blk.enable_write_cache) flags |= BDRV_REQ_FUA;
  return yield* bdrv_co_pwritev_part(blk.root!, offset, bytes, qiov, qiov_offset, flags);
}

/** blk_co_pwritev: coroutine_fn. Write qiov. 0 or -errno. */
export function* blk_co_pwritev(blk: BlockBackend, offset: number, bytes: number, qiov: QEMUIOVector, flags = 0): coroutine_fn<number> {
  blk.in_flight++;
  try {
    return yield* blk_co_do_pwritev_part(blk, offset, bytes, qiov, 0, flags);
  } finally {
    blk.in_flight--;
  }
}

export function* blk_co_pread(blk: BlockBackend, offset: number, bytes: number, buf: Uint8Array, flags = 0): coroutine_fn<number> {
  return yield* blk_co_preadv(blk, offset, bytes, qiovOf(buf.subarray(0, bytes)), flags);
}
export function* blk_co_pwrite(blk: BlockBackend, offset: number, bytes: number, buf: Uint8Array, flags = 0): coroutine_fn<number> {
  return yield* blk_co_pwritev(blk, offset, bytes, qiovOf(buf.subarray(0, bytes)), flags);
}

/** blk_co_pwrite_zeroes: coroutine_fn. */
export function* blk_co_pwrite_zeroes(blk: BlockBackend, offset: number, bytes: number, flags = 0): coroutine_fn<number> {
  blk.in_flight++;
  try {
    return yield* blk_co_do_pwritev_part(blk, offset, bytes, null, 0, flags | BDRV_REQ_ZERO_WRITE);
  } finally {
    blk.in_flight--;
  }
}

function* blk_co_do_flush(blk: BlockBackend): coroutine_fn<number> {
  if (!blk_is_available(blk)) return -ENOMEDIUM;
  return yield* bdrv_co_flush(blk.root!.bs);
}

/** blk_co_flush: coroutine_fn. */
export function* blk_co_flush(blk: BlockBackend): coroutine_fn<number> {
  blk.in_flight++;
  try {
    return yield* blk_co_do_flush(blk);
  } finally {
    blk.in_flight--;
  }
}

function* blk_co_do_pdiscard(blk: BlockBackend, offset: number, bytes: number): coroutine_fn<number> {
  const ret = blk_check_byte_request(blk, offset, bytes);
  if (ret < 0) return ret;
  return yield* bdrv_co_pdiscard(blk.root!, offset, bytes);
}

/** blk_co_pdiscard: coroutine_fn. */
export function* blk_co_pdiscard(blk: BlockBackend, offset: number, bytes: number): coroutine_fn<number> {
  blk.in_flight++;
  try {
    return yield* blk_co_do_pdiscard(blk, offset, bytes);
  } finally {
    blk.in_flight--;
  }
}

// ---- AIO interface ------------------------------------------------------------------------------

const NOT_DONE = 0x7fffffff;

/** BlkAioEmAIOCB: one asynchronous request. */
export interface BlkAioEmAIOCB {
  blk: BlockBackend;
  offset: number;
  bytes: number;
  /** The qiov (read/write), or null (flush, discard, write-zeroes). */
  iobuf: QEMUIOVector | null;
  flags: number;
  ret: number;
  has_returned: boolean;
  cb: BlockCompletionFunc;
  opaque: unknown;
}

/** blk_aio_complete: hand the result to the caller (once blk_aio_prwv has returned). */
function blk_aio_complete(acb: BlkAioEmAIOCB): void {
  if (acb.has_returned) {
    const cb = acb.cb; // no receiver: the frame shows the device's callback by name
    acb.blk.in_flight--;
    cb(acb.opaque, acb.ret);
  }
}

function blk_aio_complete_bh(acb: BlkAioEmAIOCB): void {
  blk_aio_complete(acb);
}

/** blk_aio_prwv: create and enter the request's coroutine; completion comes later, never inside. */
function blk_aio_prwv(
  blk: BlockBackend,
  offset: number,
  bytes: number,
  iobuf: QEMUIOVector | null,
  co_entry: (acb: BlkAioEmAIOCB) => coroutine_fn<void>,
  flags: number,
  cb: BlockCompletionFunc,
  opaque: unknown,
): BlkAioEmAIOCB {
  const acb: BlkAioEmAIOCB = { blk, offset, bytes, iobuf, flags, ret: NOT_DONE, has_returned: false, cb, opaque };
  blk.in_flight++;
  const co = qemu_coroutine_create(co_entry, acb);
  qemu_coroutine_enter(co);
  acb.has_returned = true;
  if (acb.ret !== NOT_DONE) aio_bh_schedule_oneshot(blk.ctx, blk_aio_complete_bh, acb, 'blk_aio_complete_bh');
  return acb;
}

/**
 * blk_aio_read_entry: the request coroutine's entry. Goes through blk_co_preadv, as DESIGN.md §1
 * and QEMU up to 5.x (later QEMU calls blk_co_do_preadv_part directly), so the coroutine's frames
 * read blk_aio_read_entry → blk_co_preadv → bdrv_co_preadv... like gdb's on QEMU.
 */
function* blk_aio_read_entry(acb: BlkAioEmAIOCB): coroutine_fn<void> {
  acb.ret = yield* blk_co_preadv(acb.blk, acb.offset, acb.bytes, acb.iobuf!, acb.flags);
  blk_aio_complete(acb);
}

function* blk_aio_write_entry(acb: BlkAioEmAIOCB): coroutine_fn<void> {
  acb.ret = yield* blk_co_do_pwritev_part(acb.blk, acb.offset, acb.bytes, acb.iobuf, 0, acb.flags);
  blk_aio_complete(acb);
}

function* blk_aio_flush_entry(acb: BlkAioEmAIOCB): coroutine_fn<void> {
  acb.ret = yield* blk_co_do_flush(acb.blk);
  blk_aio_complete(acb);
}

function* blk_aio_pdiscard_entry(acb: BlkAioEmAIOCB): coroutine_fn<void> {
  acb.ret = yield* blk_co_do_pdiscard(acb.blk, acb.offset, acb.bytes);
  blk_aio_complete(acb);
}

/** blk_aio_preadv: read into qiov; cb(opaque, ret) later from blk's context. */
export function blk_aio_preadv(blk: BlockBackend, offset: number, qiov: QEMUIOVector, flags: number, cb: BlockCompletionFunc, opaque?: unknown): BlkAioEmAIOCB {
  return blk_aio_prwv(blk, offset, qiov.size, qiov, blk_aio_read_entry, flags, cb, opaque);
}

/** blk_aio_pwritev: write qiov; cb(opaque, ret) later. */
export function blk_aio_pwritev(blk: BlockBackend, offset: number, qiov: QEMUIOVector, flags: number, cb: BlockCompletionFunc, opaque?: unknown): BlkAioEmAIOCB {
  return blk_aio_prwv(blk, offset, qiov.size, qiov, blk_aio_write_entry, flags, cb, opaque);
}

/** blk_aio_pwrite_zeroes: zero [offset, +bytes); cb later. */
export function blk_aio_pwrite_zeroes(blk: BlockBackend, offset: number, bytes: number, flags: number, cb: BlockCompletionFunc, opaque?: unknown): BlkAioEmAIOCB {
  return blk_aio_prwv(blk, offset, bytes, null, blk_aio_write_entry, flags | BDRV_REQ_ZERO_WRITE, cb, opaque);
}

/** blk_aio_flush: cb later. */
export function blk_aio_flush(blk: BlockBackend, cb: BlockCompletionFunc, opaque?: unknown): BlkAioEmAIOCB {
  return blk_aio_prwv(blk, 0, 0, null, blk_aio_flush_entry, 0, cb, opaque);
}

/** blk_aio_pdiscard: cb later. */
export function blk_aio_pdiscard(blk: BlockBackend, offset: number, bytes: number, cb: BlockCompletionFunc, opaque?: unknown): BlkAioEmAIOCB {
  return blk_aio_prwv(blk, offset, bytes, null, blk_aio_pdiscard_entry, 0, cb, opaque);
}

// ---- error actions ------------------------------------------------------------------------------

export function blk_set_on_error(blk: BlockBackend, on_read_error: BlockdevOnError, on_write_error: BlockdevOnError): void {
  blk.on_read_error = on_read_error;
  blk.on_write_error = on_write_error;
}

export function blk_get_on_error(blk: BlockBackend, is_read: boolean): BlockdevOnError {
  return is_read ? blk.on_read_error : blk.on_write_error;
}

/** blk_get_error_action: what the device should do about error (a positive errno). */
export function blk_get_error_action(blk: BlockBackend, is_read: boolean, error: number): BlockErrorAction {
  switch (blk_get_on_error(blk, is_read)) {
    case 'enospc':
      return error === ENOSPC ? BlockErrorAction.BLOCK_ERROR_ACTION_STOP : BlockErrorAction.BLOCK_ERROR_ACTION_REPORT;
    case 'stop':
      return BlockErrorAction.BLOCK_ERROR_ACTION_STOP;
    case 'report':
      return BlockErrorAction.BLOCK_ERROR_ACTION_REPORT;
    case 'ignore':
      return BlockErrorAction.BLOCK_ERROR_ACTION_IGNORE;
  }
}

/**
 * blk_error_action: carry out the action: STOP records the iostatus and stops the VM (vm_stop);
 * REPORT and IGNORE only emit the event (the device completes the request with the error, or
 * with success for IGNORE).
 */
export function blk_error_action(blk: BlockBackend, action: BlockErrorAction, is_read: boolean, error: number): void {
  if (action === BlockErrorAction.BLOCK_ERROR_ACTION_STOP) {
    if (blk.iostatus_enabled && blk.iostatus === 'ok') blk.iostatus = error === ENOSPC ? 'nospace' : 'failed';
    blk.io_error_events.push({ action, is_read, error });
    blk.vm_stop?.(blk, error);
  } else {
    blk.io_error_events.push({ action, is_read, error });
  }
}
