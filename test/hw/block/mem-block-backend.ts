/**
 * An in-memory BlockBackend for virtio-blk unit tests: the same function set as
 * src/block/block-backend.ts (BlockBackendOps), completing every request from a main-loop bottom
 * half (never inside the blk_aio_* call), with a call log and error injection.
 */
import { aio_bh_schedule_oneshot } from '../../../src/util/aio-bh';
import { qemu_get_aio_context } from '../../../src/util/main-loop';
import { qemu_iovec_from_buf, qemu_iovec_to_buf, type QEMUIOVector } from '../../../src/util/iov';
import type { BlockBackendOps, BlockCompletionFunc } from '../../../src/hw/block/block-backend-ops';

export interface MemCall {
  op: 'read' | 'write' | 'flush' | 'discard' | 'write_zeroes';
  offset: number;
  bytes: number;
  niov: number;
  flags: number;
}

export class MemBlk {
  readonly calls: MemCall[] = [];
  readOnly = false;
  /** errno (positive) to fail the next request of that op with. */
  failNext: Partial<Record<MemCall['op'], number>> = {};
  maxTransfer = 0;
  constructor(public data: Uint8Array) {}
}

function done(cb: BlockCompletionFunc, opaque: unknown, ret: number): void {
  aio_bh_schedule_oneshot(qemu_get_aio_context(), () => cb(opaque, ret));
}

function start(b: MemBlk, call: MemCall, cb: BlockCompletionFunc, opaque: unknown, run: () => void): void {
  b.calls.push(call);
  const err = b.failNext[call.op];
  if (err !== undefined) {
    delete b.failNext[call.op];
    done(cb, opaque, -err);
    return;
  }
  if (call.op !== 'flush' && (call.offset < 0 || call.offset + call.bytes > b.data.length)) {
    done(cb, opaque, -5);
    return;
  }
  if (call.op !== 'read' && call.op !== 'flush' && b.readOnly) {
    done(cb, opaque, -1);
    return;
  }
  run();
  done(cb, opaque, 0);
}

export const memBlockOps: BlockBackendOps = {
  blk_aio_preadv(blk, offset, qiov: QEMUIOVector, flags, cb, opaque) {
    const b = blk as MemBlk;
    start(b, { op: 'read', offset, bytes: qiov.size, niov: qiov.niov, flags }, cb, opaque, () =>
      qemu_iovec_from_buf(qiov, 0, b.data.subarray(offset, offset + qiov.size)),
    );
  },
  blk_aio_pwritev(blk, offset, qiov: QEMUIOVector, flags, cb, opaque) {
    const b = blk as MemBlk;
    start(b, { op: 'write', offset, bytes: qiov.size, niov: qiov.niov, flags }, cb, opaque, () =>
      qemu_iovec_to_buf(qiov, 0, b.data.subarray(offset, offset + qiov.size)),
    );
  },
  blk_aio_flush(blk, cb, opaque) {
    start(blk as MemBlk, { op: 'flush', offset: 0, bytes: 0, niov: 0, flags: 0 }, cb, opaque, () => {});
  },
  blk_aio_pdiscard(blk, offset, bytes, cb, opaque) {
    const b = blk as MemBlk;
    start(b, { op: 'discard', offset, bytes, niov: 0, flags: 0 }, cb, opaque, () => b.data.fill(0, offset, offset + bytes));
  },
  blk_aio_pwrite_zeroes(blk, offset, bytes, flags, cb, opaque) {
    const b = blk as MemBlk;
    start(b, { op: 'write_zeroes', offset, bytes, niov: 0, flags }, cb, opaque, () => b.data.fill(0, offset, offset + bytes));
  },
  blk_getlength: (blk) => (blk as MemBlk).data.length,
  blk_is_read_only: (blk) => (blk as MemBlk).readOnly,
  blk_get_max_transfer: (blk) => (blk as MemBlk).maxTransfer,
};
