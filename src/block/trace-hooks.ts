/**
 * Observation points of the block layer (QEMU's block trace-events: bdrv_co_preadv_part,
 * bdrv_co_pwritev_part, blk_co_preadv, blk_co_pwritev, file_paio_submit, ...). src/trace attaches
 * tracepoints here; nothing in block/ prints by itself.
 *
 * Contract: as src/util/trace-hooks.ts: null by default, read once per call site, called
 * synchronously on the emulator thread before the step they announce; must not throw or yield.
 */
import type { BdrvChild, BdrvTrackedRequest, BlockDriverState } from './block-int';
import type { BlockBackend } from './block-backend';

export interface BlockTraceHooks {
  /** blk_co_preadv(blk, bs, offset, bytes, flags). */
  blk_co_preadv: ((blk: BlockBackend, offset: number, bytes: number, flags: number) => void) | null;
  /** blk_co_pwritev(blk, bs, offset, bytes, flags). */
  blk_co_pwritev: ((blk: BlockBackend, offset: number, bytes: number, flags: number) => void) | null;
  /** bdrv_co_preadv_part(bs, offset, bytes, flags). */
  bdrv_co_preadv_part: ((child: BdrvChild, offset: number, bytes: number, flags: number) => void) | null;
  /** bdrv_co_pwritev_part(bs, offset, bytes, flags). */
  bdrv_co_pwritev_part: ((child: BdrvChild, offset: number, bytes: number, flags: number) => void) | null;
  /** A request waits for an overlapping serialising one (no QEMU tracepoint). */
  bdrv_wait_serialising: ((self: BdrvTrackedRequest, other: BdrvTrackedRequest) => void) | null;
  /** bdrv_driver_preadv/pwritev hand a piece to the driver. */
  bdrv_driver_io: ((dir: 'read' | 'write', bs: BlockDriverState, offset: number, bytes: number) => void) | null;
  /** bdrv_co_flush reaches the driver's flush_to_disk. */
  bdrv_co_flush: ((bs: BlockDriverState) => void) | null;
  /** file_paio_submit(acb, opaque, offset, count, type): file-posix submits to the pool (`acb.aio_type` is QEMU's type). */
  file_paio_submit:
    | ((bs: BlockDriverState, func: string, offset: number, bytes: number, bounced: boolean, acb: { aio_type: number }) => void)
    | null;
}

export const blockTraceHooks: BlockTraceHooks = {
  blk_co_preadv: null,
  blk_co_pwritev: null,
  bdrv_co_preadv_part: null,
  bdrv_co_pwritev_part: null,
  bdrv_wait_serialising: null,
  bdrv_driver_io: null,
  bdrv_co_flush: null,
  file_paio_submit: null,
};

export function clearBlockTraceHooks(): void {
  for (const k of Object.keys(blockTraceHooks) as (keyof BlockTraceHooks)[]) blockTraceHooks[k] = null;
}
