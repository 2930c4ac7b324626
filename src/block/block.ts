/**
 * The node graph (QEMU block.c): creating and naming nodes, opening them with protocol and format
 * probing, child edges with permissions, reopen, and closing.
 *
 * bdrv_open(filename, { driver?, node_name? }, flags) follows bdrv_open_inherit:
 *   1. bdrv_find_protocol: plain file names go to "file"; on the way QEMU's host_cdrom driver
 *      probes the name (cdrom_probe_device: openat O_RDONLY|O_NONBLOCK, fstat, close).
 *   2. the protocol node is opened as the `file` child (BDRV_O_PROTOCOL, auto-read-only: O_RDONLY).
 *   3. without a format, find_image_format reads the first 512 bytes through the file node (a real
 *      pread64 on a pool worker) and asks each format's bdrv_probe; the best score wins ("raw": 1).
 *   4. the format node opens on top of its file child.
 * Permissions are taken when parents attach (bdrv_root_attach_child from a BlockBackend,
 * bdrv_attach_child between nodes) and propagate down with each driver's bdrv_child_perm; drivers
 * prepare/commit them (file-posix reopens its fd O_RDWR when a writer appears).
 *
 * Contract: main loop thread, never inside a coroutine (metadata I/O during open runs in a
 * coroutine polled to completion: bdrv_poll_co). Errors come back as BlockError (QEMU's text).
 */
import * as path from 'node:path';
import { aio_poll, qemu_get_current_aio_context, type AioContext } from '../util/aio-context';
import { qemu_coroutine_create, qemu_coroutine_enter, qemu_in_coroutine, type coroutine_fn } from '../util/coroutine';
import { qemu_get_aio_context } from '../util/main-loop';
import {
  BDRV_CHILD_COW,
  BDRV_CHILD_DATA,
  BDRV_CHILD_FILTERED,
  BDRV_CHILD_METADATA,
  BDRV_CHILD_PRIMARY,
  BDRV_O_AUTO_RDONLY,
  BDRV_O_NO_IO,
  BDRV_O_PROTOCOL,
  BDRV_O_RDWR,
  BLK_PERM_ALL,
  BLK_PERM_CONSISTENT_READ,
  BLK_PERM_RESIZE,
  BLK_PERM_WRITE,
  BLK_PERM_WRITE_UNCHANGED,
  BLOCK_PROBE_BUF_SIZE,
  BlockError,
  DEFAULT_PERM_PASSTHROUGH,
  DEFAULT_PERM_UNCHANGED,
  bdrv_perm_names,
  defaultLimits,
  type BdrvChild,
  type BlockDriver,
  type BlockDriverState,
  type BlockOptions,
  type BDRVReopenState,
} from './block-int';
import { bdrv_driver_list, bdrv_find_format } from './driver-registry';
import { bdrv_co_pread, bdrv_getlength, bdrv_refresh_total_sectors, qemu_blockalign } from './io';
import { cdrom_probe_device } from './file-posix';

export type Errp = { error?: BlockError };

/** Every open node (QEMU's all_bdrv_states), and the named ones. */
const all_bdrv_states: BlockDriverState[] = [];
let id_counter = 0;

/** bdrv_assign_node_name: QEMU's id_generate(ID_BLOCK): "#block" + counter + two random digits. */
function id_generate(): string {
  for (;;) {
    const name = `#block${id_counter++}${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`;
    if (bdrv_find_node(name) === null) return name;
  }
}

/** bdrv_find_node: a node by node-name, or null. */
export function bdrv_find_node(node_name: string): BlockDriverState | null {
  return all_bdrv_states.find((bs) => bs.node_name === node_name) ?? null;
}

/** bdrv_next_all_states: every open node (debugger state tree). */
export function bdrv_all_states(): readonly BlockDriverState[] {
  return all_bdrv_states;
}

/** bdrv_new: an empty node (no driver yet: set drv before use). */
function bdrv_new(drv: BlockDriver, filename: string, node_name: string | undefined, flags: number, errp: Errp): BlockDriverState | null {
  if (node_name !== undefined) {
    if (!/^[A-Za-z][A-Za-z0-9_.-]*$/.test(node_name) || node_name.length > 31) {
      errp.error = new BlockError(`Invalid node-name: '${node_name}'`);
      return null;
    }
    if (bdrv_find_node(node_name) !== null) {
      errp.error = new BlockError(`Duplicate nodes with node-name='${node_name}'`);
      return null;
    }
  }
  return {
    drv,
    opaque: null,
    node_name: node_name ?? id_generate(),
    filename,
    options: {},
    open_flags: flags,
    read_only: !(flags & BDRV_O_RDWR),
    detect_zeroes: 'off',
    probed: false,
    total_bytes: 0,
    file: null,
    backing: null,
    children: [],
    parents: [],
    bl: defaultLimits(),
    tracked_requests: [],
    serialising_in_flight: 0,
    in_flight: 0,
    perm: 0,
    shared_perm: BLK_PERM_ALL,
    // The thread's current context: the main loop's, or an iothread's when it opens its drive.
    aio_context: qemu_get_current_aio_context() ?? qemu_get_aio_context(),
    refcnt: 1,
    write_gen: 0,
    flushed_gen: 0,
    supported_write_flags: 0,
    supported_zero_flags: 0,
    backing_file: '',
    backing_format: '',
    req_seq: 0,
  };
}

/**
 * bdrv_poll_co: run a coroutine_fn to completion from outside coroutines, polling `ctx`
 * (QEMU's generated co_wrapper_mixed + BDRV_POLL_WHILE).
 */
export function bdrv_poll_co<T>(ctx: AioContext, fn: () => coroutine_fn<T>): T {
  if (qemu_in_coroutine()) throw new Error('bdrv_poll_co: called inside a coroutine (use yield*)');
  let done = false;
  let result!: T;
  const co = qemu_coroutine_create(function* bdrv_poll_co_entry(): coroutine_fn<void> {
    result = yield* fn();
    done = true;
  });
  qemu_coroutine_enter(co);
  while (!done) aio_poll(ctx, true);
  return result;
}

// ---- permissions --------------------------------------------------------------------------------

/** bdrv_get_cumulative_perm: what all parents take on bs, and what they all share. */
export function bdrv_get_cumulative_perm(bs: BlockDriverState): { perm: number; shared: number } {
  let perm = 0;
  let shared = BLK_PERM_ALL;
  for (const c of bs.parents) {
    perm |= c.perm;
    shared &= c.shared_perm;
  }
  return { perm, shared };
}

function parentLabel(c: BdrvChild): string {
  const p = c.parent;
  return 'drv' in p ? `node '${(p as BlockDriverState).node_name}'` : (p.parent_desc ?? p.name);
}

/** bdrv_child_check_perm's conflict test against the other parents of c.bs. */
function bdrv_check_parents_compliance(c: BdrvChild, errp: Errp): boolean {
  for (const o of c.bs.parents) {
    if (o === c) continue;
    if (c.perm & ~o.shared_perm) {
      errp.error = new BlockError(`Permission conflict on node '${c.bs.node_name}': permissions '${bdrv_perm_names(c.perm & ~o.shared_perm)}' are both required by ${parentLabel(c)} (uses node '${c.bs.node_name}' as '${c.name}' child) and unshared by ${parentLabel(o)} (uses node '${c.bs.node_name}' as '${o.name}' child).`);
      return false;
    }
    if (o.perm & ~c.shared_perm) {
      errp.error = new BlockError(`Permission conflict on node '${c.bs.node_name}': permissions '${bdrv_perm_names(o.perm & ~c.shared_perm)}' are both required by ${parentLabel(o)} (uses node '${c.bs.node_name}' as '${o.name}' child) and unshared by ${parentLabel(c)} (uses node '${c.bs.node_name}' as '${c.name}' child).`);
      return false;
    }
  }
  return true;
}

/** bdrv_default_perms (block.c): filters pass through; storage children; COW (backing) children. */
export function bdrv_default_perms(bs: BlockDriverState, c: BdrvChild | null, role: number, perm: number, shared: number): { perm: number; shared: number } {
  if (role & BDRV_CHILD_FILTERED) {
    return { perm: perm & DEFAULT_PERM_PASSTHROUGH, shared: (shared & DEFAULT_PERM_PASSTHROUGH) | DEFAULT_PERM_UNCHANGED };
  }
  if (role & BDRV_CHILD_COW) {
    let s = shared & BLK_PERM_WRITE ? BLK_PERM_WRITE | BLK_PERM_RESIZE : 0;
    s |= BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED;
    return { perm: perm & BLK_PERM_CONSISTENT_READ, shared: s };
  }
  // bdrv_default_perms_for_storage
  let p = perm & DEFAULT_PERM_PASSTHROUGH;
  let s = (shared & DEFAULT_PERM_PASSTHROUGH) | DEFAULT_PERM_UNCHANGED;
  if (role & BDRV_CHILD_METADATA) {
    if (!bs.read_only) p |= BLK_PERM_WRITE | BLK_PERM_RESIZE;
    if (!(bs.open_flags & BDRV_O_NO_IO)) p |= BLK_PERM_CONSISTENT_READ;
    s &= ~(BLK_PERM_WRITE | BLK_PERM_RESIZE);
  }
  if (role & BDRV_CHILD_DATA) {
    s &= ~BLK_PERM_RESIZE;
    if (p & BLK_PERM_WRITE_UNCHANGED) p |= BLK_PERM_WRITE;
    if (p & BLK_PERM_WRITE) p |= BLK_PERM_RESIZE;
  }
  void c;
  return { perm: p, shared: s };
}

interface Tran {
  commit: (() => void)[];
  abort: (() => void)[];
}

/** bdrv_node_refresh_perm: check bs for its parents' permissions, recurse into children. */
function bdrv_node_check_perm(bs: BlockDriverState, tran: Tran, errp: Errp): number {
  const { perm, shared } = bdrv_get_cumulative_perm(bs);
  if (perm & (BLK_PERM_WRITE | BLK_PERM_RESIZE) && bs.read_only) {
    errp.error = new BlockError(`Block node is read-only`);
    return -1;
  }
  const drv = bs.drv;
  if (drv.bdrv_check_perm !== undefined) {
    const r = drv.bdrv_check_perm(bs, perm, shared, errp);
    if (r < 0) return r;
    tran.abort.push(() => drv.bdrv_abort_perm_update?.(bs));
  }
  tran.commit.push(() => {
    drv.bdrv_set_perm?.(bs, perm, shared);
    bs.perm = perm;
    bs.shared_perm = shared;
  });
  for (const c of bs.children) {
    const np = drv.bdrv_child_perm !== undefined ? drv.bdrv_child_perm(bs, c, c.role, perm, shared) : bdrv_default_perms(bs, c, c.role, perm, shared);
    const old = { perm: c.perm, shared: c.shared_perm };
    c.perm = np.perm;
    c.shared_perm = np.shared;
    tran.abort.push(() => {
      c.perm = old.perm;
      c.shared_perm = old.shared;
    });
    if (!bdrv_check_parents_compliance(c, errp)) return -1;
    const r = bdrv_node_check_perm(c.bs, tran, errp);
    if (r < 0) return r;
  }
  return 0;
}

/** bdrv_refresh_perms: recompute permissions below bs; all-or-nothing. 0 or -errno. */
export function bdrv_refresh_perms(bs: BlockDriverState, errp: Errp): number {
  const tran: Tran = { commit: [], abort: [] };
  const r = bdrv_node_check_perm(bs, tran, errp);
  if (r < 0) {
    for (const a of tran.abort.reverse()) a();
    return r < -1 ? r : -1;
  }
  for (const c of tran.commit) c();
  for (const n of [bs, ...bs.children.map((c) => c.bs)]) bdrv_refresh_limits(n);
  return 0;
}

/**
 * bdrv_root_attach_child: attach a non-node parent (a BlockBackend) to bs with perm/shared.
 * Returns the edge, or null with errp set (bs's refcount is then unchanged).
 */
export function bdrv_root_attach_child(bs: BlockDriverState, child_name: string, role: number, perm: number, shared_perm: number, parent: { readonly name: string; readonly parent_desc?: string }, errp: Errp): BdrvChild | null {
  const c: BdrvChild = { name: child_name, bs, role, perm, shared_perm, parent };
  bs.parents.push(c);
  if (!bdrv_check_parents_compliance(c, errp) || bdrv_refresh_perms(bs, errp) < 0) {
    bs.parents.splice(bs.parents.indexOf(c), 1);
    bdrv_refresh_perms(bs, {});
    return null;
  }
  bs.refcnt++;
  return c;
}

/** bdrv_child_try_set_perm: change an edge's permissions (blk_set_perm). 0 or -errno. */
export function bdrv_child_try_set_perm(c: BdrvChild, perm: number, shared: number, errp: Errp): number {
  const old = { perm: c.perm, shared: c.shared_perm };
  c.perm = perm;
  c.shared_perm = shared;
  if (!bdrv_check_parents_compliance(c, errp) || bdrv_refresh_perms(c.bs, errp) < 0) {
    c.perm = old.perm;
    c.shared_perm = old.shared;
    bdrv_refresh_perms(c.bs, {});
    return -1;
  }
  return 0;
}

/** bdrv_root_unref_child: detach a root edge and drop the node reference. */
export function bdrv_root_unref_child(c: BdrvChild): void {
  const bs = c.bs;
  const i = bs.parents.indexOf(c);
  if (i >= 0) bs.parents.splice(i, 1);
  bdrv_refresh_perms(bs, {});
  bdrv_unref(bs);
}

/** bdrv_attach_child: node → child edge (file or backing), child reference taken over. */
export function bdrv_attach_child(parent: BlockDriverState, child: BlockDriverState, child_name: string, role: number, errp: Errp): BdrvChild | null {
  const { perm, shared } = bdrv_get_cumulative_perm(parent);
  const np = parent.drv.bdrv_child_perm !== undefined ? parent.drv.bdrv_child_perm(parent, null, role, perm, shared) : bdrv_default_perms(parent, null, role, perm, shared);
  const c: BdrvChild = { name: child_name, bs: child, role, perm: np.perm, shared_perm: np.shared, parent };
  child.parents.push(c);
  if (!bdrv_check_parents_compliance(c, errp) || bdrv_refresh_perms(child, errp) < 0) {
    child.parents.splice(child.parents.indexOf(c), 1);
    return null;
  }
  parent.children.push(c);
  if (child_name === 'file') parent.file = c;
  if (child_name === 'backing') parent.backing = c;
  return c;
}

// ---- open ---------------------------------------------------------------------------------------

/**
 * bdrv_refresh_limits: defaults (request_alignment 1: every driver here has a byte interface),
 * merged with the data/filtered/COW children's limits (bdrv_merge_limits: transfer sizes and
 * memory alignment; never request_alignment, which each node pads to by itself), then the driver's.
 */
export function bdrv_refresh_limits(bs: BlockDriverState): void {
  bs.bl = defaultLimits();
  for (const c of bs.children) {
    if (!(c.role & (BDRV_CHILD_DATA | BDRV_CHILD_FILTERED | BDRV_CHILD_COW))) continue;
    const cl = c.bs.bl;
    if (cl.max_transfer > 0) bs.bl.max_transfer = bs.bl.max_transfer > 0 ? Math.min(bs.bl.max_transfer, cl.max_transfer) : cl.max_transfer;
    bs.bl.min_mem_alignment = Math.max(bs.bl.min_mem_alignment, cl.min_mem_alignment);
    bs.bl.opt_mem_alignment = Math.max(bs.bl.opt_mem_alignment, cl.opt_mem_alignment);
  }
  bs.drv.bdrv_refresh_limits?.(bs);
}

/** find_image_format: read the first sector through the file node, ask every format. */
function find_image_format(file: BdrvChild, filename: string, errp: Errp): BlockDriver | null {
  const len = bdrv_getlength(file.bs);
  if (len < 0) {
    errp.error = new BlockError(`Could not determine image size`);
    return null;
  }
  const buf = qemu_blockalign(file.bs, BLOCK_PROBE_BUF_SIZE);
  const n = Math.min(len, BLOCK_PROBE_BUF_SIZE);
  if (n > 0) {
    const ret = bdrv_poll_co(file.bs.aio_context, () => bdrv_co_pread(file, 0, BLOCK_PROBE_BUF_SIZE, buf));
    if (ret < 0) {
      errp.error = new BlockError(`Could not read image for determining its format: ${ret}`);
      return null;
    }
  }
  let best: BlockDriver | null = null;
  let score = 0;
  for (const drv of bdrv_driver_list()) {
    if (drv.bdrv_probe === undefined) continue;
    const s = drv.bdrv_probe(buf, n, filename);
    if (s > score) {
      score = s;
      best = drv;
    }
  }
  if (best === null) errp.error = new BlockError(`Could not determine image format: No compatible driver found`);
  return best;
}

export interface BdrvOpenOptions {
  /** Format driver name; probed when absent. */
  driver?: string;
  node_name?: string;
  /** Node name for the protocol child (file.node-name). */
  file_node_name?: string;
  /** Driver options (raw: offset/size; file: locking). */
  options?: BlockOptions;
}

/** Open one node; a `file` reference passed in is consumed (attached, or dropped on failure). */
function open_node(drv: BlockDriver, filename: string, o: BdrvOpenOptions, node_name: string | undefined, flags: number, errp: Errp, file: BlockDriverState | null, probed = false): BlockDriverState | null {
  const bs = bdrv_new(drv, filename, node_name, flags, errp);
  if (bs === null) {
    if (file !== null) bdrv_unref(file);
    return null;
  }
  bs.probed = probed; // before bdrv_open, as bdrv_open_inherit: raw_open warns, raw_refresh_limits aligns
  bs.options = { ...(o.options ?? {}) };
  if (file !== null) {
    const plain = drv.format_name === 'raw' && bs.options.offset === undefined && bs.options.size === undefined;
    const role = (plain ? BDRV_CHILD_FILTERED : BDRV_CHILD_DATA | BDRV_CHILD_METADATA) | BDRV_CHILD_PRIMARY;
    if (bdrv_attach_child(bs, file, 'file', role, errp) === null) {
      bdrv_unref(file);
      return null;
    }
  }
  const ret = drv.bdrv_open(bs, bs.options, flags, errp);
  if (ret >= 0) bdrv_refresh_limits(bs);
  if (ret < 0) {
    for (const c of bs.children.splice(0)) bdrv_detach_and_unref(c);
    errp.error ??= new BlockError(`Could not open '${filename}'`, undefined, -ret);
    return null;
  }
  all_bdrv_states.push(bs);
  if (bdrv_refresh_total_sectors(bs) < 0) bs.total_bytes = 0;
  return bs;
}

/**
 * bdrv_open: open `filename` as a node: protocol node (child "file") then, unless the driver is a
 * protocol, the format node on top (given or probed). flags: BDRV_O_*. Returns the top node
 * (refcount 1) or null with errp set.
 */
export function bdrv_open(filename: string, o: BdrvOpenOptions, flags: number, errp: Errp): BlockDriverState | null {
  const want = o.driver !== undefined ? bdrv_find_format(o.driver) : null;
  if (o.driver !== undefined && want === null) {
    errp.error = new BlockError(`Unknown driver '${o.driver}'`);
    return null;
  }
  // bdrv_find_protocol → find_hdev_driver: the host_cdrom probe opens the file O_RDONLY|O_NONBLOCK.
  cdrom_probe_device(filename);
  const proto = bdrv_find_format('file')!;
  const file_flags = (flags & ~BDRV_O_NO_IO) | BDRV_O_PROTOCOL | (flags & BDRV_O_RDWR ? BDRV_O_AUTO_RDONLY : 0);
  if (want !== null && want.kind === 'protocol') return open_node(want, filename, o, o.node_name, file_flags, errp, null);
  const file = open_node(proto, filename, { options: o.options }, o.file_node_name, file_flags, errp, null);
  if (file === null) return null;
  let drv = want;
  if (drv === null) {
    // find_image_format reads through a temporary parent taking no permissions.
    const probe = bdrv_root_attach_child(file, 'root', BDRV_CHILD_DATA, 0, BLK_PERM_ALL, { name: 'find_image_format' }, errp);
    drv = probe !== null ? find_image_format(probe, filename, errp) : null;
    if (probe !== null) {
      file.parents.splice(file.parents.indexOf(probe), 1);
      file.refcnt--;
    }
    if (drv === null) {
      bdrv_unref(file);
      return null;
    }
  }
  return open_node(drv, filename, o, o.node_name, flags, errp, file, want === null);
}

/** bdrv_open_child-style helper for drivers: open a backing image and attach it as "backing". */
export function bdrv_open_backing_file(bs: BlockDriverState, errp: Errp): number {
  if (bs.backing_file === '') return 0;
  const dir = path.dirname(path.resolve(bs.filename));
  const name = path.isAbsolute(bs.backing_file) ? bs.backing_file : path.join(dir, bs.backing_file);
  const flags = bs.open_flags & ~(BDRV_O_RDWR | BDRV_O_AUTO_RDONLY);
  const backing = bdrv_open(name, { driver: bs.backing_format || undefined }, flags, errp);
  if (backing === null) {
    const inner = errp.error?.message ?? '';
    errp.error = new BlockError(`Could not open backing file: ${inner}`);
    return -1;
  }
  if (bdrv_attach_child(bs, backing, 'backing', BDRV_CHILD_COW, errp) === null) {
    bdrv_unref(backing);
    return -1;
  }
  return 0;
}

function bdrv_detach_and_unref(c: BdrvChild): void {
  const i = c.bs.parents.indexOf(c);
  if (i >= 0) c.bs.parents.splice(i, 1);
  bdrv_refresh_perms(c.bs, {});
  bdrv_unref(c.bs);
}

/** bdrv_ref / bdrv_unref: the last unref closes the node and drops its children. */
export function bdrv_ref(bs: BlockDriverState): void {
  bs.refcnt++;
}

export function bdrv_unref(bs: BlockDriverState): void {
  if (--bs.refcnt > 0) return;
  bs.drv.bdrv_close?.(bs);
  for (const c of bs.children.splice(0)) bdrv_detach_and_unref(c);
  bs.file = null;
  bs.backing = null;
  const i = all_bdrv_states.indexOf(bs);
  if (i >= 0) all_bdrv_states.splice(i, 1);
}

// ---- reopen -------------------------------------------------------------------------------------

/**
 * bdrv_reopen_set_read_only: reopen bs and its file child read-only or read-write (QEMU's
 * bdrv_reopen_multiple: prepare every node, then commit all or abort all). 0 or -errno.
 */
export function bdrv_reopen_set_read_only(bs: BlockDriverState, read_only: boolean, errp: Errp): number {
  const queue: BDRVReopenState[] = [];
  for (let n: BlockDriverState | null = bs; n !== null; n = n.file?.bs ?? null) {
    const flags = read_only ? n.open_flags & ~(BDRV_O_RDWR | BDRV_O_AUTO_RDONLY) : n.open_flags | BDRV_O_RDWR;
    queue.push({ bs: n, flags, opaque: null });
  }
  if (read_only && bs.perm & (BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED)) {
    errp.error = new BlockError(`Cannot make node '${bs.node_name}' read-only: it has writers`);
    return -1;
  }
  const prepared: BDRVReopenState[] = [];
  for (const st of queue) {
    const r = st.bs.drv.bdrv_reopen_prepare?.(st, errp) ?? 0;
    if (r < 0) {
      for (const p of prepared) p.bs.drv.bdrv_reopen_abort?.(p);
      return r;
    }
    prepared.push(st);
  }
  for (const st of queue) {
    st.bs.drv.bdrv_reopen_commit?.(st);
    st.bs.open_flags = st.flags;
    st.bs.read_only = read_only;
  }
  return bdrv_refresh_perms(bs, errp);
}

