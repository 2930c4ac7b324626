/**
 * The block driver contract and the node graph's types (QEMU include/block/block_int-common.h,
 * include/block/block-common.h).
 *
 * One interface for every driver: `kind` says whether it interprets an image format (raw, qcow2),
 * talks to the host (file: file-posix) or filters. A node (BlockDriverState) has explicit child
 * edges: `bs.file` (the protocol/data child) and `bs.backing` (the COW backing image), both
 * BdrvChild with a role and the permissions the parent took on the child.
 *
 * Threads and contexts: the whole block graph lives on one JS thread (the emulator thread) and each
 * node belongs to an AioContext of that thread (bs.aio_context, main loop's by default). "coroutine"
 * below means: called from a coroutine running in the node's AioContext, with `yield*`. Only the
 * file-posix worker functions (file-posix-worker.ts) run on other threads.
 * Returns: byte-moving calls return 0 on success (QEMU's convention; not a byte count) or -errno.
 */
import type { AioContext } from '../util/aio-context';
import type { coroutine_fn, Coroutine } from '../util/coroutine';
import type { QEMUIOVector } from '../util/iov';

/* Open flags (block/block-common.h BDRV_O_*). */
export const BDRV_O_NO_SHARE = 0x0001;
export const BDRV_O_RDWR = 0x0002;
export const BDRV_O_RESIZE = 0x0004;
export const BDRV_O_SNAPSHOT = 0x0008;
export const BDRV_O_TEMPORARY = 0x0010;
export const BDRV_O_NOCACHE = 0x0020; // O_DIRECT (cache.direct=on)
export const BDRV_O_NATIVE_AIO = 0x0080;
export const BDRV_O_NO_BACKING = 0x0100;
export const BDRV_O_NO_FLUSH = 0x0200; // cache=unsafe: flushes are no-ops
export const BDRV_O_UNMAP = 0x4000; // discard=unmap: guest discards (and write-zeroes' unmap) reach the drivers
export const BDRV_O_PROTOCOL = 0x8000;
export const BDRV_O_NO_IO = 0x10000;
export const BDRV_O_AUTO_RDONLY = 0x20000; // open read-only, go read-write when a writer attaches
export const BDRV_O_IO_URING = 0x40000;

/* Request flags (BdrvRequestFlags). */
export const BDRV_REQ_COPY_ON_READ = 0x1;
export const BDRV_REQ_ZERO_WRITE = 0x2;
export const BDRV_REQ_MAY_UNMAP = 0x4;
export const BDRV_REQ_FUA = 0x10;
export const BDRV_REQ_WRITE_COMPRESSED = 0x20;
export const BDRV_REQ_WRITE_UNCHANGED = 0x40;
export const BDRV_REQ_SERIALISING = 0x80;
export const BDRV_REQ_NO_FALLBACK = 0x100;
export const BDRV_REQ_PREFETCH = 0x200;
export const BDRV_REQ_NO_WAIT = 0x400;
/**
 * The buffers are guest RAM registered with the block layer (QEMU 7.2: virtio-blk passes it on
 * every read and write; drivers that can use pre-registered memory, such as blkio, do). Formats
 * pass it down; file-posix ignores it (its pool registers guest RAM itself).
 */
export const BDRV_REQ_REGISTERED_BUF = 0x8;

/* Permissions (BLK_PERM_*), QEMU 7.2's set. */
export const BLK_PERM_CONSISTENT_READ = 0x01;
export const BLK_PERM_WRITE = 0x02;
export const BLK_PERM_WRITE_UNCHANGED = 0x04;
export const BLK_PERM_RESIZE = 0x08;
export const BLK_PERM_ALL = 0x0f;
export const DEFAULT_PERM_PASSTHROUGH = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED | BLK_PERM_RESIZE;
export const DEFAULT_PERM_UNCHANGED = BLK_PERM_ALL & ~DEFAULT_PERM_PASSTHROUGH;

/** bdrv_perm_names: QEMU's names, used in lock and conflict messages. */
export const BLK_PERM_NAMES: readonly [number, string][] = [
  [BLK_PERM_CONSISTENT_READ, 'consistent read'],
  [BLK_PERM_WRITE, 'write'],
  [BLK_PERM_WRITE_UNCHANGED, 'write unchanged'],
  [BLK_PERM_RESIZE, 'resize'],
];

export function bdrv_perm_names(perm: number): string {
  return BLK_PERM_NAMES.filter(([p]) => perm & p).map(([, n]) => n).join(', ');
}

/* Child roles (BdrvChildRole). */
export const BDRV_CHILD_DATA = 1 << 0;
export const BDRV_CHILD_METADATA = 1 << 1;
export const BDRV_CHILD_FILTERED = 1 << 2;
export const BDRV_CHILD_COW = 1 << 3;
export const BDRV_CHILD_PRIMARY = 1 << 4;
export const BDRV_CHILD_IMAGE = BDRV_CHILD_DATA | BDRV_CHILD_METADATA;

/** bdrv_probe's buffer size (BLOCK_PROBE_BUF_SIZE). */
export const BLOCK_PROBE_BUF_SIZE = 512;
export const BDRV_SECTOR_BITS = 9;
export const BDRV_SECTOR_SIZE = 512;
/** BDRV_MAX_LENGTH: the largest offset+bytes a request may reach (QEMU: INT64_MAX aligned down). */
export const BDRV_MAX_LENGTH = Number.MAX_SAFE_INTEGER - (Number.MAX_SAFE_INTEGER % 512);
/** BDRV_REQUEST_MAX_BYTES: one request at most (QEMU: MIN(SIZE_MAX, INT_MAX) aligned to 512). */
export const BDRV_REQUEST_MAX_BYTES = 0x7ffffe00;

/** An error reported by graph operations (QEMU's Error **errp): `message` is QEMU's text. */
export class BlockError extends Error {
  override name = 'BlockError';
  constructor(
    message: string,
    /** QEMU's error_append_hint text, if any (printed after the message). */
    readonly hint?: string,
    readonly errno?: number,
  ) {
    super(message);
  }
}

/** Open options, QEMU's QDict options as a plain record (`offset`, `size`, `cache.direct`, ...). */
export type BlockOptions = Record<string, string | number | boolean | undefined>;

/** Limits a driver reports (BlockLimits). */
export interface BlockLimits {
  /** Alignment of offsets and lengths the driver accepts; the generic layer pads to it. */
  request_alignment: number;
  /** Largest transfer the driver takes at once (0: no limit); the generic layer splits. */
  max_transfer: number;
  /** Memory alignment the driver wants for buffers (qemu_blockalign); informative here. */
  min_mem_alignment: number;
  opt_mem_alignment: number;
  /** Preferred write-zeroes alignment / discard alignment. */
  pwrite_zeroes_alignment: number;
  pdiscard_alignment: number;
}

export function defaultLimits(): BlockLimits {
  return { request_alignment: 1, max_transfer: 0, min_mem_alignment: 1, opt_mem_alignment: 1, pwrite_zeroes_alignment: 0, pdiscard_alignment: 0 };
}

/** A request between bdrv_co_preadv/pwritev and its completion (BdrvTrackedRequest). */
export interface BdrvTrackedRequest {
  bs: BlockDriverState;
  offset: number;
  bytes: number;
  type: 'read' | 'write' | 'discard' | 'truncate' | 'flush';
  /** Serialising: overlapping requests wait for it, and it waits for them (RMW, COW). */
  serialising: boolean;
  /** The range serialisation covers: the request widened to the alignment. */
  overlap_offset: number;
  overlap_bytes: number;
  /** Coroutine that runs it (QEMU's req->co). */
  co: Coroutine;
  /** Coroutines waiting for this request to finish (QEMU's wait_queue CoQueue); null until one waits. */
  wait_queue: Coroutine[] | null;
  /** The request this one waits for, if any (deadlock check, debugger). */
  waiting_for: BdrvTrackedRequest | null;
  /** Per-node sequence id (for traces). */
  id: number;
  /** Position in bs.tracked_requests while tracked, -1 after (O(1) removal: io.ts tracked_request_end). */
  list_index: number;
}

/** An edge of the graph (BdrvChild): parent → child node, with role and permissions. */
export interface BdrvChild {
  /** "file", "backing", or "root" for a BlockBackend's edge. */
  name: string;
  bs: BlockDriverState;
  role: number;
  /** What the parent does with the child (BLK_PERM_*). */
  perm: number;
  /** What the parent lets other parents of the child do. */
  shared_perm: number;
  /** The parent: a node, or a BlockBackend (parent_desc names it in messages: "block device 'hd0'"). */
  parent: BlockDriverState | { readonly name: string; readonly parent_desc?: string };
}

/** A node of the graph (BlockDriverState). */
export interface BlockDriverState {
  drv: BlockDriver;
  /** The driver's per-node state (QEMU's bs->opaque, typed per driver). */
  opaque: unknown;
  /** node-name: given, or "#block<N>" assigned like QEMU's bdrv_assign_node_name. */
  node_name: string;
  /** The image file name (QEMU's bs->filename). */
  filename: string;
  /** Driver-specific exact file name (the "exact_filename" of a format: its file's). */
  options: BlockOptions;
  open_flags: number;
  read_only: boolean;
  /** detect-zeroes=: writes of all-zero data become write-zeroes ('unmap': that may unmap). Set on the drive's root. */
  detect_zeroes: 'off' | 'on' | 'unmap';
  /** True when the format was guessed by probing (raw then protects block 0). */
  probed: boolean;
  /** Size in bytes as last computed (bs->total_sectors * 512 in QEMU; exact here). */
  total_bytes: number;
  file: BdrvChild | null;
  backing: BdrvChild | null;
  /** Every child edge, including file and backing. */
  children: BdrvChild[];
  /** Edges of parents pointing at this node. */
  parents: BdrvChild[];
  bl: BlockLimits;
  /**
   * Requests in flight on this node (QEMU's tracked_requests list), in no particular order: a
   * finished request's place is taken by the last one (see BdrvTrackedRequest.list_index).
   */
  tracked_requests: BdrvTrackedRequest[];
  /**
   * How many of tracked_requests are serialising (QEMU's bs->serialising_in_flight): while 0, no
   * request has to wait for another and bdrv_wait_serialising_requests returns at once.
   */
  serialising_in_flight: number;
  in_flight: number;
  /** Cumulative permissions taken on this node by its parents, and what they share. */
  perm: number;
  shared_perm: number;
  aio_context: AioContext;
  refcnt: number;
  /** Writes since the last flush (QEMU's write_gen/flushed_gen). */
  write_gen: number;
  flushed_gen: number;
  /** Supported request flags (bs->supported_write_flags / supported_zero_flags). */
  supported_write_flags: number;
  supported_zero_flags: number;
  /** The backing file name as recorded in the image (qcow2), and its format. */
  backing_file: string;
  backing_format: string;
  /** Requests ever tracked on this node (ids for traces). */
  req_seq: number;
}

/**
 * A block driver: one interface for formats, protocols and filters. Optional fields are absent
 * when the driver does not implement the operation (the generic layer then falls back as QEMU:
 * e.g. write-zeroes without bdrv_co_pwrite_zeroes writes a zeroed buffer).
 */
export interface BlockDriver {
  /** QEMU's format_name: "raw", "file", "qcow2". */
  readonly format_name: string;
  readonly kind: 'format' | 'protocol' | 'filter';
  /** Protocols: the URI prefix they claim ("file" matches plain paths). */
  readonly protocol_name?: string;
  /** True for drivers whose images may have a backing file (qcow2). */
  readonly supports_backing?: boolean;

  /**
   * bdrv_probe: main loop thread, during bdrv_open, not in a coroutine. Scores how likely `buf`
   * (the first ≤ 512 bytes, fewer if the file is shorter) is this format: 0..100 (raw: 1).
   */
  bdrv_probe?(buf: Uint8Array, buf_size: number, filename: string): number;

  /**
   * bdrv_open (QEMU's bdrv_open / bdrv_file_open): main loop thread, not in a coroutine (the
   * formats' metadata reads run in a coroutine they poll to completion). A format opens its
   * children first (bdrv_open_child). Sets bs.opaque. Returns 0 or -errno; sets `errp.error`.
   */
  bdrv_open(bs: BlockDriverState, options: BlockOptions, flags: number, errp: { error?: BlockError }): number;

  /** bdrv_close: main loop thread, when the last reference goes; no request in flight. */
  bdrv_close?(bs: BlockDriverState): void;

  /**
   * bdrv_co_preadv: coroutine in bs.aio_context, from bdrv_driver_preadv. offset/bytes are
   * multiples of bs.bl.request_alignment (except at EOF) and bytes ≤ max_transfer. Reads into
   * qiov (its views, in place). Returns 0 or -errno (a short read of a file is zero-filled).
   */
  bdrv_co_preadv?(bs: BlockDriverState, offset: number, bytes: number, qiov: QEMUIOVector, flags: number): coroutine_fn<number>;

  /** bdrv_co_pwritev: the mirror of bdrv_co_preadv, from bdrv_driver_pwritev. 0 or -errno. */
  bdrv_co_pwritev?(bs: BlockDriverState, offset: number, bytes: number, qiov: QEMUIOVector, flags: number): coroutine_fn<number>;

  /**
   * bdrv_co_flush_to_disk: coroutine, from bdrv_co_flush (not called with BDRV_O_NO_FLUSH).
   * Makes written data stable (file-posix: fdatasync on a worker). 0 or -errno.
   */
  bdrv_co_flush_to_disk?(bs: BlockDriverState): coroutine_fn<number>;

  /** bdrv_co_flush_to_os: coroutine, from bdrv_co_flush: write back driver caches (qcow2 metadata). */
  bdrv_co_flush_to_os?(bs: BlockDriverState): coroutine_fn<number>;

  /** bdrv_co_pdiscard: coroutine, from bdrv_co_pdiscard. Advisory; 0, -ENOTSUP or -errno. */
  bdrv_co_pdiscard?(bs: BlockDriverState, offset: number, bytes: number): coroutine_fn<number>;

  /**
   * bdrv_co_pwrite_zeroes: coroutine, from bdrv_co_do_pwrite_zeroes. -ENOTSUP makes the generic
   * layer write a zeroed buffer instead. 0 or -errno.
   */
  bdrv_co_pwrite_zeroes?(bs: BlockDriverState, offset: number, bytes: number, flags: number): coroutine_fn<number>;

  /**
   * bdrv_co_getlength: main loop thread; may be called outside a coroutine (QEMU's
   * bdrv_getlength wrapper), so implementations must not yield. Bytes, or -errno.
   */
  bdrv_co_getlength(bs: BlockDriverState): number;

  /**
   * bdrv_reopen_prepare: main loop thread, no request in flight (drained). Prepares the change
   * to state.flags (e.g. read-only → read-write: file-posix opens a new fd) without committing.
   * 0 or -errno (errp set). Then exactly one of commit/abort is called.
   */
  bdrv_reopen_prepare?(state: BDRVReopenState, errp: { error?: BlockError }): number;
  bdrv_reopen_commit?(state: BDRVReopenState): void;
  bdrv_reopen_abort?(state: BDRVReopenState): void;

  /**
   * bdrv_refresh_limits: main loop thread, after open and after reopen/permission changes.
   * Fills bs.bl (request_alignment, max_transfer...). The generic layer first merges the file
   * child's limits into bs.bl for formats.
   */
  bdrv_refresh_limits?(bs: BlockDriverState): void;

  /**
   * bdrv_child_perm: main loop thread. Given the permissions parents took on bs (perm, shared),
   * which permissions bs needs on child `c` (role `role`) and what it shares there.
   */
  bdrv_child_perm?(bs: BlockDriverState, c: BdrvChild | null, role: number, perm: number, shared: number): { perm: number; shared: number };

  /**
   * bdrv_check_perm / bdrv_set_perm / bdrv_abort_perm_update: main loop thread. check prepares
   * for the new cumulative permissions (file-posix: a new fd if writers appear, image locks) and
   * may fail with errp (0 or -errno); then set commits or abort rolls back.
   */
  bdrv_check_perm?(bs: BlockDriverState, perm: number, shared: number, errp: { error?: BlockError }): number;
  bdrv_set_perm?(bs: BlockDriverState, perm: number, shared: number): void;
  bdrv_abort_perm_update?(bs: BlockDriverState): void;

  /** bdrv_co_truncate: coroutine. Resize the image to `offset` bytes. 0 or -errno. */
  bdrv_co_truncate?(bs: BlockDriverState, offset: number): coroutine_fn<number>;
}

/** BDRVReopenState: one node's pending reopen (block.c). */
export interface BDRVReopenState {
  bs: BlockDriverState;
  flags: number;
  /** Driver data between prepare and commit/abort (QEMU's reopen_state->opaque). */
  opaque: unknown;
}
