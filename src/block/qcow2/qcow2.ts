/**
 * The qcow2 format driver (QEMU block/qcow2.c) — STATUS: probe and header only.
 *
 * Done: bdrv_probe (so probing recognises qcow2 images, never guesses raw for them, and a probed
 * raw image cannot be turned into one by a block-0 write), and bdrv_open parsing and validating
 * the header (qcow2-header.ts). Not done: L1/L2 lookup, cluster allocation, refcounts, COW and
 * backing files; bdrv_open therefore fails with a clear message after validating the header.
 *
 * Contract: main loop thread; the header read runs in a coroutine polled to completion.
 */
import type { BlockDriver, BlockDriverState, BlockOptions } from '../block-int';
import { BlockError } from '../block-int';
import { bdrv_poll_co } from '../block';
import { bdrv_register } from '../driver-registry';
import { EINVAL, ENOTSUP } from '../errno';
import { bdrv_co_pread, bdrv_getlength, qemu_blockalign } from '../io';
import { qcow2_probe, qcow2_read_header, type QCowHeader } from './qcow2-header';

export interface BDRVQcow2State {
  header: QCowHeader;
  cluster_size: number;
}

function qcow2_open(bs: BlockDriverState, _options: BlockOptions, _flags: number, errp: { error?: BlockError }): number {
  const file = bs.file!;
  const len = Math.min(bdrv_getlength(file.bs), 64 * 1024);
  const buf = qemu_blockalign(bs, 64 * 1024);
  const ret = bdrv_poll_co(bs.aio_context, () => bdrv_co_pread(file, 0, len, buf));
  if (ret < 0) {
    errp.error = new BlockError('Could not read qcow2 header', undefined, -ret);
    return ret;
  }
  const h = qcow2_read_header(buf.subarray(0, len));
  if (typeof h === 'string') {
    errp.error = new BlockError(h, undefined, EINVAL);
    return -EINVAL;
  }
  bs.opaque = { header: h, cluster_size: 1 << h.cluster_bits } satisfies BDRVQcow2State;
  bs.backing_file = h.backing_file;
  bs.backing_format = h.backing_format;
  errp.error = new BlockError(
    `qcow2 images are not supported by vtrace yet (header of '${bs.filename}': version ${h.version}, cluster size ${1 << h.cluster_bits}, ${h.size} bytes): use a raw image`,
    undefined,
    ENOTSUP,
  );
  return -ENOTSUP;
}

function qcow2_co_getlength(bs: BlockDriverState): number {
  const s = bs.opaque as BDRVQcow2State | null;
  return s === null ? 0 : s.header.size;
}

export const bdrv_qcow2: BlockDriver = {
  format_name: 'qcow2',
  kind: 'format',
  supports_backing: true,
  bdrv_probe: (buf, buf_size) => qcow2_probe(buf, buf_size),
  bdrv_open: qcow2_open,
  bdrv_co_getlength: qcow2_co_getlength,
};

bdrv_register(bdrv_qcow2);
