/**
 * The BlockBackend functions virtio-blk calls (QEMU include/sysemu/block-backend-io.h), as one
 * function set, so the device is written against the API and not an implementation: the machine
 * passes `blockBackendOps` (below: the real src/block/block-backend.ts), unit tests may pass a
 * small in-memory one.
 *
 * Contract of the set (as QEMU's):
 *  - blk_aio_* start a request and return at once; `cb(opaque, ret)` runs later on the
 *    BlockBackend's AioContext thread (the emulator thread's main loop), never inside the call;
 *    ret is 0 or -errno. Buffers are QEMUIOVector entries: views of guest RAM, read or written in
 *    place until cb runs.
 *  - blk_getlength: bytes, or -errno. blk_is_read_only: the device must not write.
 *  - Optional: blk_get_max_transfer (bytes; default BDRV_REQUEST_MAX_BYTES), blk_get_max_iov
 *    (default IOV_MAX 1024), blk_drain (complete every in-flight request; default: the device
 *    polls the main AioContext until its own requests are done), blk_enable_write_cache
 *    (default true: FLUSH is offered).
 */
import { qiovOf, type QEMUIOVector } from '../../util/iov';
import { bdrv_poll_co } from '../../block/block';
import * as bb from '../../block/block-backend';
import type { BlockBackend } from '../../block/block-backend';

export type BlockCompletionFunc = (opaque: any, ret: number) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The backend handle is opaque to the device. */
export type BlockBackendHandle = unknown;

export interface BlockBackendOps {
  blk_aio_preadv(blk: BlockBackendHandle, offset: number, qiov: QEMUIOVector, flags: number, cb: BlockCompletionFunc, opaque: unknown): unknown;
  blk_aio_pwritev(blk: BlockBackendHandle, offset: number, qiov: QEMUIOVector, flags: number, cb: BlockCompletionFunc, opaque: unknown): unknown;
  blk_aio_flush(blk: BlockBackendHandle, cb: BlockCompletionFunc, opaque: unknown): unknown;
  blk_aio_pdiscard(blk: BlockBackendHandle, offset: number, bytes: number, cb: BlockCompletionFunc, opaque: unknown): unknown;
  blk_aio_pwrite_zeroes(blk: BlockBackendHandle, offset: number, bytes: number, flags: number, cb: BlockCompletionFunc, opaque: unknown): unknown;
  blk_getlength(blk: BlockBackendHandle): number;
  blk_is_read_only(blk: BlockBackendHandle): boolean;
  blk_get_max_transfer?(blk: BlockBackendHandle): number;
  blk_get_max_iov?(blk: BlockBackendHandle): number;
  blk_drain?(blk: BlockBackendHandle): void;
  blk_enable_write_cache?(blk: BlockBackendHandle): boolean;
  /** The driver toggled the write cache through config space (VIRTIO_BLK_F_CONFIG_WCE). */
  blk_set_enable_write_cache?(blk: BlockBackendHandle, wce: boolean): void;
  /**
   * blk_pread: a synchronous read outside coroutines (QEMU's co_wrapper: the request runs in a
   * coroutine while the caller polls the backend's context). For realize-time reads (the MBR
   * geometry guess). Returns 0 or -errno.
   */
  blk_pread?(blk: BlockBackendHandle, offset: number, buf: Uint8Array): number;
  /** rerror=/werror= live on the drive: what to do about a failed request (positive errno). */
  blk_get_error_action?(blk: BlockBackendHandle, is_read: boolean, error: number): BlockErrorActionName;
  /** Record the action taken (QMP BLOCK_IO_ERROR; STOP also stops the VM). */
  blk_error_action?(blk: BlockBackendHandle, action: BlockErrorActionName, is_read: boolean, error: number): void;
}

/** QEMU's BlockErrorAction values (the strings of src/block's enum). */
export type BlockErrorActionName = 'ignore' | 'report' | 'stop';

/**
 * The real block layer (src/block/block-backend.ts) as the function set: what the machine passes
 * for `-drive ... -device virtio-blk-device,drive=ID`.
 */
export const blockBackendOps: BlockBackendOps = {
  blk_aio_preadv: (blk, offset, qiov, flags, cb, opaque) => bb.blk_aio_preadv(blk as BlockBackend, offset, qiov, flags, cb, opaque),
  blk_aio_pwritev: (blk, offset, qiov, flags, cb, opaque) => bb.blk_aio_pwritev(blk as BlockBackend, offset, qiov, flags, cb, opaque),
  blk_aio_flush: (blk, cb, opaque) => bb.blk_aio_flush(blk as BlockBackend, cb, opaque),
  blk_aio_pdiscard: (blk, offset, bytes, cb, opaque) => bb.blk_aio_pdiscard(blk as BlockBackend, offset, bytes, cb, opaque),
  blk_aio_pwrite_zeroes: (blk, offset, bytes, flags, cb, opaque) => bb.blk_aio_pwrite_zeroes(blk as BlockBackend, offset, bytes, flags, cb, opaque),
  blk_getlength: (blk) => bb.blk_getlength(blk as BlockBackend),
  blk_is_read_only: (blk) => bb.blk_is_read_only(blk as BlockBackend),
  blk_drain: (blk) => bb.blk_drain(blk as BlockBackend),
  blk_enable_write_cache: (blk) => (blk as BlockBackend).enable_write_cache,
  blk_set_enable_write_cache: (blk, wce) => bb.blk_set_enable_write_cache(blk as BlockBackend, wce),
  blk_pread: (blk, offset, buf) => {
    const b = blk as BlockBackend;
    return bdrv_poll_co(bb.blk_get_aio_context(b), () => bb.blk_co_preadv(b, offset, buf.length, qiovOf(buf), 0));
  },
  blk_get_error_action: (blk, is_read, error) => bb.blk_get_error_action(blk as BlockBackend, is_read, error) as BlockErrorActionName,
  blk_error_action: (blk, action, is_read, error) => bb.blk_error_action(blk as BlockBackend, action as bb.BlockErrorAction, is_read, error),
};

/** IOV_MAX on Linux. */
export const IOV_MAX = 1024;
