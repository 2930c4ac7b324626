/**
 * qcow2's work for thread-pool workers (QEMU block/qcow2-threads.c): decompressing a compressed
 * cluster, which QEMU also hands to its thread pool (qcow2_co_decompress → qcow2_co_do_compress →
 * thread_pool_submit_co) so the main loop never spends the CPU time.
 *
 * Contract: runs on a pool worker (registered at load: the pool's modules include this file,
 * qcow2-threads.ts sees to it); buffers are views of SharedArrayBuffers (filled in place).
 */
import { inflateRawSync } from 'node:zlib';
import { EIO, registerPoolFunction } from '../../util/thread-pool-funcs';

export interface Qcow2DecompressArg {
  /** The compressed bytes as read from the image (may run past the deflate stream's end). */
  src: Uint8Array;
  /** One cluster, filled completely or the call fails. */
  dest: Uint8Array;
}

/**
 * qcow2_decompress: raw deflate (zlib without header; QEMU compresses with a 4 KiB window, which
 * any larger window inflates) of `src` into `dest`. 0, or -EIO when the data is not a stream that
 * yields exactly a whole cluster.
 */
export function qcow2_decompress(arg: Qcow2DecompressArg): number {
  let out: Buffer;
  try {
    // A valid cluster inflates to exactly its size; more (ERR_BUFFER_TOO_LARGE) is corrupt too.
    out = inflateRawSync(arg.src, { maxOutputLength: arg.dest.length });
  } catch {
    return -EIO;
  }
  if (out.length !== arg.dest.length) return -EIO;
  arg.dest.set(out.subarray(0, arg.dest.length));
  return 0;
}

registerPoolFunction('qcow2_decompress', qcow2_decompress);
