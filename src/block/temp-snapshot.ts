/**
 * -drive snapshot=on and -snapshot (QEMU block.c bdrv_append_temp_snapshot, get_tmp_filename):
 * the guest's writes go to a temporary qcow2 overlay and the image itself is only read.
 *
 * As QEMU 7.2 does it (strace of qemu-system-riscv64 -drive ...,snapshot=on):
 *   1. the image is opened as usual but read-only;
 *   2. a file $TMPDIR/vl.XXXXXX (/var/tmp without TMPDIR) is made like mkstemp(3):
 *      openat(O_RDWR|O_CREAT|O_EXCL, 0600), then closed;
 *   3. an empty qcow2 image of the image's size is written there (qcow2-create.ts);
 *   4. it is opened as a qcow2 node (read/write, BDRV_O_TEMPORARY) and unlinked at once: the open
 *      fd keeps it alive until the drive closes, and nothing is left behind even after a crash;
 *   5. the image's node becomes the overlay's backing child (in memory; the overlay's header names
 *      no backing file), and the overlay is the drive's root. Its filename is then QEMU's
 *      `json:{...}` description (what `info block` shows), as bdrv_refresh_filename makes it for a
 *      node a plain file name cannot describe.
 * The overlay ignores flushes and is never opened O_DIRECT (bdrv_temp_snapshot_options: its data
 * is thrown away anyway), whatever cache= the drive has.
 *
 * Contract: main loop or iothread (the thread opening the drive), not in a coroutine. Returns the
 * overlay node (the image's reference taken over) or null with errp set (the image's reference
 * is then dropped too).
 */
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { AT_FDCWD, O_CREAT, O_EXCL, O_RDWR } from '../host/flags';
import { close, openat, unlink } from '../host/syscalls';
import { EEXIST, strerror } from './errno';
import { BDRV_CHILD_COW, BDRV_O_NOCACHE, BDRV_O_NO_FLUSH, BDRV_O_RDWR, BDRV_O_TEMPORARY, BlockError, type BlockDriverState } from './block-int';
import { bdrv_attach_child, bdrv_open, bdrv_unref } from './block';
import { bdrv_getlength } from './io';
import { qcow2_create } from './qcow2/qcow2-create';

type Errp = { error?: BlockError };

const TEMPLATE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** get_tmp_filename + mkstemp: a new empty file vl.XXXXXX in $TMPDIR or /var/tmp; its path or -errno. */
function create_tmp_file(): string | number {
  const dir = process.env.TMPDIR || '/var/tmp';
  for (let attempt = 0; attempt < 100; attempt++) {
    const suffix = [...randomBytes(6)].map((b) => TEMPLATE_CHARS[b % TEMPLATE_CHARS.length]).join('');
    const name = path.join(dir, `vl.${suffix}`);
    const fd = openat(AT_FDCWD, name, O_RDWR | O_CREAT | O_EXCL, 0o600);
    if (fd === -EEXIST) continue;
    if (fd < 0) return fd;
    close(fd);
    return name;
  }
  return -EEXIST;
}

/** bdrv_append_temp_snapshot: put a temporary qcow2 overlay on `bs` (see the header). */
export function bdrv_append_temp_snapshot(bs: BlockDriverState, flags: number, errp: Errp): BlockDriverState | null {
  const fail = (message: string): null => {
    errp.error ??= new BlockError(message);
    bdrv_unref(bs);
    return null;
  };
  const total = bdrv_getlength(bs);
  if (total < 0) return fail(`Could not get image size: ${strerror(-total)}`);
  const tmp = create_tmp_file();
  if (typeof tmp === 'number') return fail(`Could not get temporary filename: ${strerror(-tmp)}`);
  const ret = qcow2_create(tmp, total);
  if (ret < 0) {
    unlink(tmp);
    return fail(`Could not create temporary overlay '${tmp}': ${strerror(-ret)}`);
  }
  const snapshot_flags = (flags & ~BDRV_O_NOCACHE) | BDRV_O_NO_FLUSH | BDRV_O_RDWR | BDRV_O_TEMPORARY;
  const overlay = bdrv_open(tmp, { driver: 'qcow2' }, snapshot_flags, errp);
  unlink(tmp);
  if (overlay === null) return fail(`Could not open temporary overlay '${tmp}'`);
  if (bdrv_attach_child(overlay, bs, 'backing', BDRV_CHILD_COW, errp) === null) {
    bdrv_unref(overlay);
    return fail(`Could not attach '${bs.filename}' below its temporary overlay`);
  }
  overlay.filename = `json:${qdictJson(nodeDescription(overlay))}`;
  return overlay;
}

type Description = { [key: string]: string | Description };

/** A node as QEMU's full-backing-filename options describe it: driver, file, backing. */
function nodeDescription(bs: BlockDriverState): Description {
  if (bs.drv.kind === 'protocol') return { driver: bs.drv.format_name, filename: bs.filename };
  const d: Description = { driver: bs.drv.format_name };
  if (bs.file !== null) d.file = nodeDescription(bs.file.bs);
  if (bs.backing !== null) d.backing = nodeDescription(bs.backing.bs);
  return d;
}

/** qobject_to_json of a QDict: keys sorted, `"key": value` joined by ", ". */
function qdictJson(d: Description): string {
  const parts = Object.keys(d)
    .sort()
    .map((k) => {
      const v = d[k];
      return `${JSON.stringify(k)}: ${typeof v === 'string' ? JSON.stringify(v) : qdictJson(v)}`;
    });
  return `{${parts.join(', ')}}`;
}
