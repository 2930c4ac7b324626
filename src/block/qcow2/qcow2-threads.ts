/**
 * qcow2's compressed clusters (QEMU block/qcow2.c qcow2_co_preadv_compressed,
 * qcow2-cluster.c qcow2_parse_compressed_l2_entry, qcow2-threads.c qcow2_co_decompress).
 *
 * A compressed cluster's L2 entry (bit 62 set), with x = 62 - (cluster_bits - 8):
 *   bits 0..x-1   host offset of the compressed data (byte granular)
 *   bits x..61    number of 512-byte sectors it spans beyond the first, counted from the sector
 *                 holding that offset
 * The data is raw deflate; it is read from the file and inflated by a pool worker
 * (qcow2-threads-worker.ts), as QEMU decompresses on its thread pool.
 *
 * Contract: coroutine_fns in the node's AioContext; 0/-errno.
 */
import * as path from 'node:path';
import type { coroutine_fn } from '../../util/coroutine';
import { aio_get_thread_pool, thread_pool_submit_co, threadPoolAddModule } from '../../util/thread-pool';
import type { BlockDriverState } from '../block-int';
import { bdrv_co_pread, qemu_blockalign } from '../io';
import { EIO } from './qcow2-errno';
import { qcow2_signal_corruption } from './qcow2-refcount';
import { qcow2_state, type Entry } from './qcow2-state';

threadPoolAddModule(path.join(__dirname, `qcow2-threads-worker${path.extname(__filename)}`));

const SECTOR = 512;

/** qcow2_parse_compressed_l2_entry: where the compressed data is and how many bytes to read. */
export function qcow2_parse_compressed_l2_entry(bs: BlockDriverState, e: Entry): { coffset: number; csize: number } {
  const s = qcow2_state(bs);
  const v = (BigInt(e.hi & 0x3fffffff) << 32n) | BigInt(e.lo >>> 0); // without the COPIED/COMPRESSED bits
  const shift = BigInt(62 - (s.cluster_bits - 8));
  const coffset = Number(v & ((1n << shift) - 1n));
  const nb_csectors = Number((v >> shift) & ((1n << BigInt(s.cluster_bits - 8)) - 1n)) + 1;
  return { coffset, csize: nb_csectors * SECTOR - (coffset % SECTOR) };
}

/** The whole cluster a compressed L2 entry maps, decompressed (a shared buffer), or -errno. */
export function* qcow2_read_compressed_cluster(bs: BlockDriverState, e: Entry): coroutine_fn<Uint8Array | number> {
  const s = qcow2_state(bs);
  const { coffset, csize } = qcow2_parse_compressed_l2_entry(bs, e);
  if (coffset + csize > bs.file!.bs.total_bytes + SECTOR) {
    return qcow2_signal_corruption(bs, `Compressed cluster at 0x${coffset.toString(16)} (${csize} bytes) lies beyond the end of the image`);
  }
  const src = qemu_blockalign(bs, csize);
  let ret = yield* bdrv_co_pread(bs.file!, coffset, csize, src);
  if (ret < 0) return ret;
  const dest = qemu_blockalign(bs, s.cluster_size);
  ret = yield* thread_pool_submit_co(aio_get_thread_pool(bs.aio_context), 'qcow2_decompress', { src, dest });
  return ret < 0 ? -EIO : dest;
}
