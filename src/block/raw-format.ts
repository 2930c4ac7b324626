/**
 * The raw format driver (QEMU block/raw-format.c, driver "raw"): the image is the guest disk, byte
 * for byte, optionally a window [offset, offset+size) of its file. Requests pass to bs.file:
 *   raw_co_preadv (raw-format) → bdrv_co_preadv(bs.file) → ... file-posix.
 * A probed raw image (no format given) may not have block 0 rewritten into something another
 * format's probe would recognise (-EPERM), and requests are 512-byte aligned, as QEMU.
 *
 * Contract: main loop thread; coroutine_fns in the node's AioContext.
 */
import type { coroutine_fn } from '../util/coroutine';
import { QEMUIOVector, qemu_iovec_to_buf } from '../util/iov';
import { BDRV_SECTOR_SIZE, BLOCK_PROBE_BUF_SIZE, BlockError, type BdrvChild, type BlockDriver, type BlockDriverState, type BlockOptions } from './block-int';
import { bdrv_default_perms } from './block';
import { bdrv_driver_list, bdrv_register } from './driver-registry';
import { EINVAL, ENOSPC, EPERM } from './errno';
import { bdrv_co_pdiscard, bdrv_co_preadv, bdrv_co_pwrite_zeroes, bdrv_co_pwritev, bdrv_getlength, qemu_blockalign } from './io';
import { block_warn } from './warn';

/** BDRVRawState (raw-format): the window onto the file. */
export interface BDRVRawFormatState {
  offset: number;
  size: number;
  has_size: boolean;
}

function st(bs: BlockDriverState): BDRVRawFormatState | null {
  return bs.opaque as BDRVRawFormatState | null;
}

function raw_probe(_buf: Uint8Array, _buf_size: number, _filename: string): number {
  return 1; // smallest possible positive score: any real format wins
}

function optNumber(v: BlockOptions[string], name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new BlockError(`Parameter '${name}' expects a non-negative number below 2^64`);
  return n;
}

function raw_open(bs: BlockDriverState, options: BlockOptions, _flags: number, errp: { error?: BlockError }): number {
  if (bs.file === null) {
    errp.error = new BlockError('raw: no file child');
    return -EINVAL;
  }
  let offset: number | undefined;
  let size: number | undefined;
  try {
    offset = optNumber(options.offset, 'offset') ?? 0;
    size = optNumber(options.size, 'size');
  } catch (e) {
    errp.error = e as BlockError;
    return -EINVAL;
  }
  const file_size = bdrv_getlength(bs.file.bs);
  if (offset > file_size) {
    errp.error = new BlockError('The sum of offset (' + offset + ') and size (0) has to be smaller or equal to the  actual size of the containing file (' + file_size + ')');
    return -EINVAL;
  }
  if (size !== undefined && offset + size > file_size) {
    errp.error = new BlockError(`The sum of offset (${offset}) and size (${size}) has to be smaller or equal to the  actual size of the containing file (${file_size})`);
    return -EINVAL;
  }
  if (size !== undefined && size % BDRV_SECTOR_SIZE !== 0) {
    errp.error = new BlockError('Specified size is not multiple of 512');
    return -EINVAL;
  }
  bs.opaque = { offset, size: size ?? file_size - offset, has_size: size !== undefined } satisfies BDRVRawFormatState;
  raw_warn_probed(bs);
  return 0;
}

/** raw_open's warning for a probed, writable raw image: QEMU's text, verbatim (three lines). */
export function raw_warn_probed(bs: BlockDriverState): void {
  if (!bs.probed || bs.read_only) return;
  block_warn(
    `WARNING: Image format was not specified for '${bs.file!.bs.filename}' and probing guessed raw.\n` +
      `         Automatically detecting the format is dangerous for raw images, write operations on block 0 will be restricted.\n` +
      `         Specify the 'raw' format explicitly to remove the restrictions.\n`,
  );
}

/** raw_adjust_offset: shift into the window; -ENOSPC outside a sized window. */
function raw_adjust_offset(bs: BlockDriverState, offset: number, bytes: number, is_write: boolean): number {
  const s = st(bs)!;
  if (s.has_size && (offset > s.size || bytes > s.size - offset)) return -ENOSPC;
  void is_write;
  return offset + s.offset;
}

function* raw_co_preadv(bs: BlockDriverState, offset: number, bytes: number, qiov: QEMUIOVector, flags: number): coroutine_fn<number> {
  const off = raw_adjust_offset(bs, offset, bytes, false);
  if (off < 0) return off;
  return yield* bdrv_co_preadv(bs.file!, off, bytes, qiov, flags);
}

/** bdrv_probe_all: the best-scoring format for a buffer. */
function bdrv_probe_all(buf: Uint8Array, n: number): BlockDriver | null {
  let best: BlockDriver | null = null;
  let score = 0;
  for (const d of bdrv_driver_list()) {
    const s = d.bdrv_probe?.(buf, n, '') ?? 0;
    if (s > score) {
      score = s;
      best = d;
    }
  }
  return best;
}

function* raw_co_pwritev(bs: BlockDriverState, offset: number, bytes: number, qiov: QEMUIOVector, flags: number): coroutine_fn<number> {
  if (bs.probed && offset < BLOCK_PROBE_BUF_SIZE && bytes > 0) {
    // request_alignment is 512 for probed images: this write covers all of block 0.
    if (offset !== 0 || bytes < BLOCK_PROBE_BUF_SIZE) return -EINVAL;
    const buf = qemu_blockalign(bs, BLOCK_PROBE_BUF_SIZE);
    qemu_iovec_to_buf(qiov, 0, buf, BLOCK_PROBE_BUF_SIZE);
    if (bdrv_probe_all(buf, BLOCK_PROBE_BUF_SIZE) !== bs.drv) return -EPERM;
  }
  const off = raw_adjust_offset(bs, offset, bytes, true);
  if (off < 0) return off;
  return yield* bdrv_co_pwritev(bs.file!, off, bytes, qiov, flags);
}

function* raw_co_pwrite_zeroes(bs: BlockDriverState, offset: number, bytes: number, flags: number): coroutine_fn<number> {
  const off = raw_adjust_offset(bs, offset, bytes, true);
  if (off < 0) return off;
  return yield* bdrv_co_pwrite_zeroes(bs.file!, off, bytes, flags);
}

function* raw_co_pdiscard(bs: BlockDriverState, offset: number, bytes: number): coroutine_fn<number> {
  const off = raw_adjust_offset(bs, offset, bytes, true);
  if (off < 0) return off;
  return yield* bdrv_co_pdiscard(bs.file!, off, bytes);
}

function raw_co_getlength(bs: BlockDriverState): number {
  const s = st(bs);
  if (s === null) return bs.file !== null ? bdrv_getlength(bs.file.bs) : -EINVAL;
  if (s.has_size) return s.size;
  const len = bdrv_getlength(bs.file!.bs);
  if (len < 0) return len;
  s.size = Math.max(0, len - s.offset);
  return s.size;
}

function raw_refresh_limits(bs: BlockDriverState): void {
  if (bs.probed) bs.bl.request_alignment = Math.max(BDRV_SECTOR_SIZE, bs.bl.request_alignment);
}

function raw_child_perm(bs: BlockDriverState, c: BdrvChild | null, role: number, perm: number, shared: number): { perm: number; shared: number } {
  return bdrv_default_perms(bs, c, role, perm, shared);
}

export const bdrv_raw: BlockDriver = {
  format_name: 'raw',
  kind: 'format',
  bdrv_probe: raw_probe,
  bdrv_open: raw_open,
  bdrv_co_preadv: raw_co_preadv,
  bdrv_co_pwritev: raw_co_pwritev,
  bdrv_co_pwrite_zeroes: raw_co_pwrite_zeroes,
  bdrv_co_pdiscard: raw_co_pdiscard,
  bdrv_co_getlength: raw_co_getlength,
  bdrv_refresh_limits: raw_refresh_limits,
  bdrv_child_perm: raw_child_perm,
};

bdrv_register(bdrv_raw);
