/**
 * The -drive entry point (QEMU blockdev.c drive_new / blockdev_init, and blkconf_apply_backend_options
 * for the device's permissions): open an image as a node chain and put a named BlockBackend on it.
 *
 *   blockdevOpen({ file: 'disk.img', format: 'raw', id: 'hd0', cache: 'none' })
 *
 * Cache modes (QEMU's bdrv_parse_cache_mode):   writeback  direct  no-flush
 *   writeback (default)                           on         off     off
 *   none                                          on         on      off     (O_DIRECT)
 *   writethrough                                  off        off     off     (FUA: flush after each write)
 *   directsync                                    off        on      off
 *   unsafe                                        on         off     on      (flushes are no-ops)
 * Permissions are those a device takes (virtio-blk without share-rw): consistent read, write unless
 * read-only; sharing consistent read and write-unchanged only, so a second writer — or a writer
 * next to this reader — gets QEMU's `Failed to get "write" lock`.
 *
 * Contract: main loop thread, not in a coroutine. Throws BlockError with QEMU's message (and hint).
 */
import { qemu_get_aio_context } from '../util/main-loop';
import { qemu_get_current_aio_context } from '../util/aio-context';
import {
  BDRV_O_NOCACHE,
  BDRV_O_NO_FLUSH,
  BDRV_O_RDWR,
  BDRV_O_UNMAP,
  BLK_PERM_CONSISTENT_READ,
  BLK_PERM_RESIZE,
  BLK_PERM_WRITE,
  BLK_PERM_WRITE_UNCHANGED,
  BlockError,
} from './block-int';
import { bdrv_open, bdrv_poll_co, bdrv_unref } from './block';
import { BlockBackend, blk_co_flush, blk_get_aio_context, blk_insert_bs, blk_new, blk_set_enable_write_cache, blk_set_on_error, blk_unref, type BlockdevOnError } from './block-backend';
import { withBlockWarningHandler, type BlockWarningHandler } from './warn';
import { bdrv_append_temp_snapshot } from './temp-snapshot';
import './drivers';

export type BlockdevCacheMode = 'none' | 'writeback' | 'writethrough' | 'directsync' | 'unsafe';

export interface BlockdevOpenOptions {
  file: string;
  /** Image format; probed when absent (raw then warns and protects block 0). */
  format?: 'raw' | 'qcow2';
  /** The drive id (BlockBackend name), e.g. "hd0". */
  id: string;
  cache?: BlockdevCacheMode;
  /** cache.direct= / cache.no-flush=: override that half of `cache` (QEMU's split options). */
  cacheDirect?: boolean;
  cacheNoFlush?: boolean;
  /** Only 'threads' (the thread pool). */
  aio?: 'threads';
  readOnly?: boolean;
  /** snapshot=on (or -snapshot): writes go to a temporary qcow2 overlay; the image is only read (temp-snapshot.ts). */
  snapshot?: boolean;
  /** detect-zeroes=: 'on' turns writes of zeroes into write-zeroes, 'unmap' lets those unmap (with discard=unmap). */
  detectZeroes?: 'off' | 'on' | 'unmap';
  /** discard=: 'unmap' lets guest discards through to the drivers (BDRV_O_UNMAP); default 'ignore'. */
  discard?: 'ignore' | 'unmap';
  /** node-name of the format node (auto "#blockNNN" otherwise). */
  nodeName?: string;
  /** rerror= / werror= (QEMU defaults: report / enospc). */
  rerror?: BlockdevOnError;
  werror?: BlockdevOnError;
  /** share-rw=on: let other users write too (no write lock conflict). */
  shareRw?: boolean;
  /** file.locking=off disables image locking. */
  locking?: boolean;
  /** Raw format window: offset= and size=. */
  offset?: number;
  size?: number;
  /** Receives warnings (QEMU's text, newline-terminated); default: stderr. */
  logger?: BlockWarningHandler;
}

const backends = new Map<string, BlockBackend>();

/** blk_by_name: the backend with this drive id, or null. */
export function blk_by_name(name: string): BlockBackend | null {
  return backends.get(name) ?? null;
}

/** Forget a backend's name (after blk_unref). */
export function blockdevRelease(blk: BlockBackend): void {
  if (backends.get(blk.name) === blk) backends.delete(blk.name);
}

/** bdrv_parse_cache_mode: flags and write-cache setting of a cache= value. */
export function bdrv_parse_cache_mode(mode: string): { flags: number; writethrough: boolean } {
  switch (mode) {
    case 'off':
    case 'none':
      return { flags: BDRV_O_NOCACHE, writethrough: false };
    case 'directsync':
      return { flags: BDRV_O_NOCACHE, writethrough: true };
    case 'writeback':
      return { flags: 0, writethrough: false };
    case 'unsafe':
      return { flags: BDRV_O_NO_FLUSH, writethrough: false };
    case 'writethrough':
      return { flags: 0, writethrough: true };
    default:
      throw new BlockError(`invalid cache option`);
  }
}

/** Open `file` and return a BlockBackend named `id` on it. Throws BlockError. */
export function blockdevOpen(o: BlockdevOpenOptions): BlockBackend {
  if (backends.has(o.id)) throw new BlockError(`Duplicate ID '${o.id}' for drive`);
  if (o.aio !== undefined && o.aio !== 'threads') throw new BlockError(`Invalid aio option '${String(o.aio)}': vtrace supports aio=threads`);
  const cache = bdrv_parse_cache_mode(o.cache ?? 'writeback');
  let cacheFlags = cache.flags;
  if (o.cacheDirect !== undefined) cacheFlags = o.cacheDirect ? cacheFlags | BDRV_O_NOCACHE : cacheFlags & ~BDRV_O_NOCACHE;
  if (o.cacheNoFlush !== undefined) cacheFlags = o.cacheNoFlush ? cacheFlags | BDRV_O_NO_FLUSH : cacheFlags & ~BDRV_O_NO_FLUSH;
  const flags = cacheFlags | (o.readOnly ? 0 : BDRV_O_RDWR) | (o.discard === 'unmap' ? BDRV_O_UNMAP : 0);
  const options: Record<string, string | number | boolean | undefined> = {};
  if (o.offset !== undefined) options.offset = o.offset;
  if (o.size !== undefined) options.size = o.size;
  if (o.locking === false) options.locking = 'off';
  const errp: { error?: BlockError } = {};
  const bs = withBlockWarningHandler(o.logger, () => {
    if (!o.snapshot) return bdrv_open(o.file, { driver: o.format, node_name: o.nodeName, options }, flags, errp);
    // snapshot=on: the image read-only (node-name= names it, as in QEMU); a temporary overlay on it takes the writes.
    const image = bdrv_open(o.file, { driver: o.format, node_name: o.nodeName, options }, flags & ~BDRV_O_RDWR, errp);
    return image === null ? null : bdrv_append_temp_snapshot(image, flags, errp);
  });
  if (bs === null) throw errp.error ?? new BlockError(`Could not open '${o.file}'`);
  bs.detect_zeroes = o.detectZeroes ?? 'off';
  let perm = BLK_PERM_CONSISTENT_READ;
  if (!o.readOnly) perm |= BLK_PERM_WRITE;
  let shared = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED;
  if (o.shareRw) shared |= BLK_PERM_WRITE | BLK_PERM_RESIZE;
  const blk = blk_new(qemu_get_current_aio_context() ?? qemu_get_aio_context(), perm, shared);
  blk.name = o.id;
  if (blk_insert_bs(blk, bs, errp) < 0) {
    bdrv_unref(bs);
    throw errp.error ?? new BlockError(`Could not attach '${o.file}'`);
  }
  bdrv_unref(bs); // the root edge holds it
  blk_set_enable_write_cache(blk, !cache.writethrough);
  blk_set_on_error(blk, o.rerror ?? 'report', o.werror ?? 'enospc');
  backends.set(o.id, blk);
  return blk;
}

/** Format a BlockError as QEMU prints it for -drive: "message\nhint". */
export function blockErrorText(e: BlockError): string {
  return e.hint ? `${e.message}\n${e.hint}` : e.message;
}

/** Close a drive opened by blockdevOpen: drain, detach (nodes close, locks drop), forget its id. */
export function blockdevClose(blk: BlockBackend): void {
  blk_unref(blk);
  blockdevRelease(blk);
}

/**
 * bdrv_close_all (QEMU's qemu_cleanup): flush every drive this thread opened, then close it
 * (nodes close, fds close, image locks drop). Called once the machine has stopped for good.
 * Returns the drives whose flush failed, with the errno (their data may not be on disk).
 */
export function bdrv_close_all(): Array<{ id: string; ret: number }> {
  const failed: Array<{ id: string; ret: number }> = [];
  for (const blk of [...backends.values()]) {
    if (blk.root !== null) {
      const ret = bdrv_poll_co(blk_get_aio_context(blk), () => blk_co_flush(blk));
      if (ret < 0) failed.push({ id: blk.name, ret });
    }
    blockdevClose(blk);
  }
  return failed;
}
