/**
 * Bridges src/block/trace-hooks.ts to the block and file-posix tracepoints (installed only while a
 * fed tracepoint is on; emulator thread or an iothread).
 */
import { blockTraceHooks } from '../block/trace-hooks';
import * as t from './generated/tracepoints';
import { ptr } from './ptr';

export function installBlockHooks(): void {
  const h = blockTraceHooks;
  h.blk_co_preadv = t.blk_co_preadv.on
    ? (blk, offset, bytes, flags) => t.blk_co_preadv.emit(ptr('blk', blk), ptr('bs', blk.root?.bs), offset, bytes, flags)
    : null;
  h.blk_co_pwritev = t.blk_co_pwritev.on
    ? (blk, offset, bytes, flags) => t.blk_co_pwritev.emit(ptr('blk', blk), ptr('bs', blk.root?.bs), offset, bytes, flags)
    : null;
  h.bdrv_co_preadv_part = t.bdrv_co_preadv_part.on
    ? (child, offset, bytes, flags) => t.bdrv_co_preadv_part.emit(ptr('bs', child.bs), offset, bytes, flags)
    : null;
  h.bdrv_co_pwritev_part = t.bdrv_co_pwritev_part.on
    ? (child, offset, bytes, flags) => t.bdrv_co_pwritev_part.emit(ptr('bs', child.bs), offset, bytes, flags)
    : null;
  h.bdrv_wait_serialising = t.bdrv_wait_serialising.on
    ? (self, other) => t.bdrv_wait_serialising.emit(ptr('bs', self.bs), self.offset, self.bytes, other.offset, other.bytes)
    : null;
  h.bdrv_driver_io = t.bdrv_driver_io.on
    ? (dir, bs, offset, bytes) => t.bdrv_driver_io.emit(dir, ptr('bs', bs), bs.drv.format_name, offset, bytes)
    : null;
  h.bdrv_co_flush = t.bdrv_co_flush_to_disk.on ? (bs) => t.bdrv_co_flush_to_disk.emit(ptr('bs', bs), bs.drv.format_name) : null;
  h.file_paio_submit =
    t.file_paio_submit.on || t.file_paio_submit_func.on
      ? (bs, func, offset, bytes, bounced, acb) => {
          if (t.file_paio_submit.on) t.file_paio_submit.emit(ptr('opaque', acb), ptr('bs', bs), offset, bytes, acb.aio_type);
          if (t.file_paio_submit_func.on) t.file_paio_submit_func.emit(ptr('bs', bs), func, offset, bytes, bounced);
        }
      : null;
}
