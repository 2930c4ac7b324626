/**
 * virtio-blk (`-device virtio-blk-device,drive=ID`; QEMU hw/block/virtio-blk.c, virtio 1.2 §5.2).
 *
 * The request path, in QEMU's names:
 *   virtio_blk_handle_output(vdev, vq)       the queue's handler (run from the host notifier)
 *   → virtio_blk_handle_vq                   pop every available chain, kicks suppressed meanwhile
 *   → virtio_blk_get_request                 virtqueue_pop: buffers are views of guest RAM
 *   → virtio_blk_handle_request              parse header/status, dispatch on the type
 *       IN/OUT   → collected in a MultiReqBuffer → virtio_blk_submit_multireq → submit_requests
 *                  → blk_aio_preadv/pwritev → virtio_blk_rw_complete
 *       FLUSH    → virtio_blk_handle_flush → blk_aio_flush
 *       GET_ID   → serial copied, completed at once
 *       DISCARD/WRITE_ZEROES → virtio_blk_handle_discard_write_zeroes → blk_aio_pdiscard/pwrite_zeroes
 *   → virtio_blk_req_complete                status byte, virtqueue_push, virtio_notify
 * Requests beyond the disk, unaligned, or writes to a read-only disk complete with IOERR; unknown
 * types with UNSUPP; a malformed request (no header or status buffer) is a virtio_error.
 *
 * Contract: emulator thread. The constructor validates the properties (throws
 * VirtioBlkConfigError, one line, for the CLI); nothing after that throws on guest input.
 */
import type { GuestRam } from '../../system/memory';
import { BDRV_REQ_MAY_UNMAP } from '../../block/block-int';
import { aio_poll, qemu_poll_ns, type AioContext } from '../../util/aio-context';
import { qemu_get_aio_context } from '../../util/main-loop';
import { qemu_iovec_from_buf, qemu_iovec_slice, qemu_iovec_to_buf, qiovOf } from '../../util/iov';
import {
  VIRTIO_ID_BLOCK,
  VIRTIO_RING_F_EVENT_IDX,
  VIRTIO_RING_F_INDIRECT_DESC,
  VIRTIO_F_ANY_LAYOUT,
  VirtIODevice,
  type VirtioDeviceClass,
  VirtQueue,
  bit,
  virtio_add_queue,
  virtio_device_start_ioeventfd,
  virtio_error,
  virtio_has_feature,
  virtio_queue_empty,
  virtio_queue_get_notification,
  virtio_queue_set_notification,
  virtqueue_detach_element,
  virtqueue_pop,
} from '../virtio/virtio';
import type { BlockBackendHandle, BlockBackendOps } from './block-backend-ops';
import {
  BDRV_REQUEST_MAX_SECTORS,
  BDRV_SECTOR_SIZE,
  VIRTIO_BLK_DWZ_SIZE,
  VIRTIO_BLK_F_DISCARD,
  VIRTIO_BLK_F_WRITE_ZEROES,
  VIRTIO_BLK_ID_BYTES,
  VIRTIO_BLK_MAX_MERGE_REQS,
  VIRTIO_BLK_OUTHDR_SIZE,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_BARRIER,
  VIRTIO_BLK_T_DISCARD,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VIRTIO_BLK_T_WRITE_ZEROES,
  VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
  type VirtIOBlkConfValues,
  virtio_blk_config_size,
  virtio_blk_features,
  virtio_blk_update_config,
} from './virtio-blk-config';
import {
  type BlockdevOnError,
  MultiReqBuffer,
  VirtIOBlockReq,
  virtio_blk_discard_write_zeroes_complete,
  virtio_blk_flush_complete,
  virtio_blk_req_complete,
} from './virtio-blk-req';
import { virtio_blk_submit_multireq } from './virtio-blk-multireq';
import { virtioBlkTraceHooks } from './trace-hooks';
import { hd_geometry_guess, type DiskGeometry } from './hd-geometry';
import { virtio_blk_data_plane_start, virtio_blk_data_plane_stop, type VirtIOBlockDataPlane } from './dataplane/virtio-blk';

export class VirtioBlkConfigError extends Error {
  override name = 'VirtioBlkConfigError';
}

/** -device virtio-blk-device properties (QEMU's names in comments) and the drive. */
export interface VirtIOBlkOptions {
  /** drive=: the BlockBackend and the functions to drive it. */
  blk: BlockBackendHandle;
  ops: BlockBackendOps;
  /** Guest RAM (the DMA address space). */
  ram: GuestRam;
  /** Instance name for logs/traces, normally the drive id ("hd0"). */
  id?: string;
  /** serial= (GET_ID). Default "". */
  serial?: string;
  /** num-queues= (default 1; > 1 offers MQ). */
  num_queues?: number;
  /** queue-size= (default 256; power of 2, > 2, ≤ 1024). */
  queue_size?: number;
  /** logical_block_size= / physical_block_size= / min_io_size= / opt_io_size= / discard_granularity=. */
  logical_block_size?: number;
  physical_block_size?: number;
  min_io_size?: number;
  opt_io_size?: number;
  discard_granularity?: number;
  /** discard= / write-zeroes= (default on) and their limits (default BDRV_REQUEST_MAX_SECTORS). */
  discard?: boolean;
  write_zeroes?: boolean;
  max_discard_sectors?: number;
  max_write_zeroes_sectors?: number;
  /** seg-max-adjust= (default on: seg_max = queue_size - 2). */
  seg_max_adjust?: boolean;
  /** request-merging= (default on). */
  request_merging?: boolean;
  /**
   * rerror=/werror= for backends without blk_get_error_action (the real BlockBackend carries the
   * drive's own; these are ignored then). Defaults report / enospc, as QEMU's.
   */
  rerror?: BlockdevOnError;
  werror?: BlockdevOnError;
  /** indirect_desc= / event_idx= (virtio common features, default on). */
  indirect_desc?: boolean;
  event_idx?: boolean;
  /** cyls=/heads=/secs= (all three); default: guessed from the MBR or the size. */
  geometry?: DiskGeometry;
  /** Where host notifiers run: default the main loop's iohandler context (iothread=: see `dataplane`). */
  ioeventfd_ctx?: AioContext;
  /** virtio_error / warning lines. Default stderr. */
  errorSink?: (line: string) => void;
}

export class VirtIOBlock extends VirtIODevice {
  readonly blk: BlockBackendHandle;
  readonly ops: BlockBackendOps;
  readonly conf: VirtIOBlkConfValues;
  readonly serial: Uint8Array;
  readonly rerror: BlockdevOnError;
  readonly werror: BlockdevOnError;
  readonly request_merging: boolean;
  /** Properties-controlled feature bits (DISCARD, WRITE_ZEROES, ring features). */
  readonly device_features: bigint;
  /** Block-layer requests started and not yet called back. */
  inflight = 0;
  /**
   * iothread= (emulator-thread side): the dataplane that handles the queues in the iothread
   * (./dataplane/virtio-blk.ts); null when the main loop does.
   */
  dataplane: VirtIOBlockDataPlane | null = null;
  /**
   * Iothread side of a dataplane: completions notify through the guest notifier
   * (virtio_blk_data_plane_notify) instead of virtio_notify. Null on the main loop.
   */
  data_plane_notify: ((vq: VirtQueue) => void) | null = null;
  readonly sector_mask: number;

  constructor(o: VirtIOBlkOptions) {
    const num_queues = o.num_queues ?? 1;
    const queue_size = o.queue_size ?? 256;
    if (!Number.isInteger(num_queues) || num_queues < 1 || num_queues > 1024) throw new VirtioBlkConfigError(`num-queues property must be larger than 0 and at most 1024, got ${num_queues}`);
    if (!Number.isInteger(queue_size) || queue_size <= 2) throw new VirtioBlkConfigError(`invalid queue-size property (${queue_size}), must be > 2`);
    if ((queue_size & (queue_size - 1)) !== 0 || queue_size > 1024) throw new VirtioBlkConfigError(`invalid queue-size property (${queue_size}), must be a power of 2 (max 1024)`);
    const lbs = o.logical_block_size ?? 512;
    const pbs = o.physical_block_size ?? lbs;
    for (const [name, v] of [['logical_block_size', lbs], ['physical_block_size', pbs]] as const) {
      if (v < 512 || v > 32768 || (v & (v - 1)) !== 0) throw new VirtioBlkConfigError(`Property .${name} must be a power of 2 between 512 and 32768, got ${v}`);
    }
    if (pbs < lbs) throw new VirtioBlkConfigError(`physical_block_size ${pbs} must be at least logical_block_size ${lbs}`);
    const discard = o.discard ?? true;
    const write_zeroes = o.write_zeroes ?? true;
    const max_discard_sectors = o.max_discard_sectors ?? BDRV_REQUEST_MAX_SECTORS;
    const max_write_zeroes_sectors = o.max_write_zeroes_sectors ?? BDRV_REQUEST_MAX_SECTORS;
    if (discard && (max_discard_sectors < 1 || max_discard_sectors > BDRV_REQUEST_MAX_SECTORS)) {
      throw new VirtioBlkConfigError(`invalid max-discard-sectors property (${max_discard_sectors}), must be between 1 and ${BDRV_REQUEST_MAX_SECTORS}`);
    }
    if (write_zeroes && (max_write_zeroes_sectors < 1 || max_write_zeroes_sectors > BDRV_REQUEST_MAX_SECTORS)) {
      throw new VirtioBlkConfigError(`invalid max-write-zeroes-sectors property (${max_write_zeroes_sectors}), must be between 1 and ${BDRV_REQUEST_MAX_SECTORS}`);
    }
    let device_features = bit(VIRTIO_F_ANY_LAYOUT);
    if (o.indirect_desc ?? true) device_features |= bit(VIRTIO_RING_F_INDIRECT_DESC);
    if (o.event_idx ?? true) device_features |= bit(VIRTIO_RING_F_EVENT_IDX);
    if (discard) device_features |= bit(VIRTIO_BLK_F_DISCARD);
    if (write_zeroes) device_features |= bit(VIRTIO_BLK_F_WRITE_ZEROES);
    super(virtioBlkClass, o.ram, VIRTIO_ID_BLOCK, virtio_blk_config_size(device_features), o.id ?? 'virtio-blk');
    const length = o.ops.blk_getlength(o.blk);
    if (length < 0) throw new VirtioBlkConfigError(`cannot get the size of drive ${this.id}: error ${-length}`);
    this.blk = o.blk;
    this.ops = o.ops;
    this.device_features = device_features;
    this.host_features = device_features;
    this.serial = new TextEncoder().encode(o.serial ?? '');
    this.rerror = o.rerror ?? 'report';
    this.werror = o.werror ?? 'enospc';
    this.request_merging = o.request_merging ?? true;
    this.sector_mask = lbs / BDRV_SECTOR_SIZE - 1;
    // blkconf_geometry: cyls=/heads=/secs= as given, else hd_geometry_guess (reads the MBR).
    const chs = o.geometry ?? hd_geometry_guess(length, readFirstSector(o.ops, o.blk));
    this.conf = {
      num_queues,
      queue_size,
      seg_max_adjust: o.seg_max_adjust ?? true,
      logical_block_size: lbs,
      physical_block_size: pbs,
      min_io_size: o.min_io_size ?? 0,
      opt_io_size: o.opt_io_size ?? 0,
      max_discard_sectors,
      max_write_zeroes_sectors,
      discard_granularity: o.discard_granularity ?? -1,
      ...chs,
    };
    if (o.errorSink) this.errorSink = o.errorSink;
    if (o.ioeventfd_ctx) this.ioeventfd_ctx = o.ioeventfd_ctx;
    for (let i = 0; i < num_queues; i++) virtio_add_queue(this, queue_size, virtio_blk_handle_output);
  }
}

/** The disk's first sector for hd_geometry_guess, or null when the backend cannot read it now. */
function readFirstSector(ops: BlockBackendOps, blk: BlockBackendHandle): Uint8Array | null {
  if (ops.blk_pread === undefined) return null;
  const buf = new Uint8Array(BDRV_SECTOR_SIZE);
  return ops.blk_pread(blk, 0, buf) < 0 ? null : buf;
}

function writeCacheEnabled(s: VirtIOBlock): boolean {
  return s.ops.blk_enable_write_cache?.(s.blk) ?? true;
}

/** VirtioDeviceClass of virtio-blk-device. */
export const virtioBlkClass: VirtioDeviceClass = {
  name: 'virtio-blk-device',
  get_features(vdev, features) {
    const s = vdev as VirtIOBlock;
    return virtio_blk_features(features, s.device_features, {
      writeCache: writeCacheEnabled(s),
      readOnly: s.ops.blk_is_read_only(s.blk),
      num_queues: s.conf.num_queues,
    });
  },
  get_config(vdev, config) {
    const s = vdev as VirtIOBlock;
    virtio_blk_update_config(config, s.ops.blk_getlength(s.blk), s.conf, s.host_features, writeCacheEnabled(s));
  },
  set_config(vdev, config) {
    // virtio_blk_set_config: only `writeback` (offset 32) is writable.
    const s = vdev as VirtIOBlock;
    if (config.length > 32) s.ops.blk_set_enable_write_cache?.(s.blk, config[32] !== 0);
  },
  reset(vdev) {
    virtio_blk_reset(vdev as VirtIOBlock);
  },
  start_ioeventfd(vdev) {
    const s = vdev as VirtIOBlock;
    return s.dataplane !== null && virtio_blk_data_plane_start(s.dataplane);
  },
  stop_ioeventfd(vdev) {
    const s = vdev as VirtIOBlock;
    if (s.dataplane === null) return false;
    virtio_blk_data_plane_stop(s.dataplane);
    return true;
  },
};

/** virtio_blk_reset: let in-flight requests finish (blk_drain) before the rings go away. */
export function virtio_blk_reset(s: VirtIOBlock): void {
  if (s.ops.blk_drain) s.ops.blk_drain(s.blk);
  if (s.inflight === 0) return;
  const ctx = qemu_get_aio_context();
  const deadline = Date.now() + 60_000;
  while (s.inflight > 0 && Date.now() < deadline) {
    if (!aio_poll(ctx, false)) qemu_poll_ns(ctx, 10_000_000);
  }
  if (s.inflight > 0) {
    s.errorSink(`vtrace: ${s.klass.name} ${s.id}: ${s.inflight} request(s) still in flight after 60 s at reset; their completions will be dropped`);
  }
}

/** virtio_blk_handle_output: the queue's handler. */
export function virtio_blk_handle_output(vdev: VirtIODevice, vq: VirtQueue): void {
  const s = vdev as VirtIOBlock;
  if (s.dataplane !== null) {
    // A kick handled synchronously (before DRIVER_OK): QEMU starts the dataplane, which kicks
    // every queue in the iothread; requests are never handled on this thread.
    if (!s.dataplane.started) virtio_device_start_ioeventfd(vdev);
    return;
  }
  virtio_blk_handle_vq(s, vq);
}

/** virtio_blk_handle_vq: pop and handle every available request, then submit the merged I/O. */
export function virtio_blk_handle_vq(s: VirtIOBlock, vq: VirtQueue): void {
  const mrb = new MultiReqBuffer();
  const suppress_notifications = virtio_queue_get_notification(vq);
  do {
    if (suppress_notifications) virtio_queue_set_notification(vq, false);
    let req: VirtIOBlockReq | null;
    while ((req = virtio_blk_get_request(s, vq)) !== null) {
      if (virtio_blk_handle_request(req, mrb) !== 0) {
        virtqueue_detach_element(req.vq, req.elem, 0);
        break;
      }
    }
    if (suppress_notifications) virtio_queue_set_notification(vq, true);
  } while (!virtio_queue_empty(vq));
  if (mrb.num_reqs > 0) virtio_blk_submit_multireq(s, mrb);
}

/** virtio_blk_get_request: virtqueue_pop wrapped in a request. */
export function virtio_blk_get_request(s: VirtIOBlock, vq: VirtQueue): VirtIOBlockReq | null {
  const elem = virtqueue_pop(vq);
  return elem === null ? null : new VirtIOBlockReq(s, vq, elem);
}

/** virtio_blk_sect_range_ok: aligned to the logical block and inside the disk. */
export function virtio_blk_sect_range_ok(s: VirtIOBlock, sector: number, size: number): boolean {
  const nb_sectors = Math.floor(size / BDRV_SECTOR_SIZE);
  if (nb_sectors > BDRV_REQUEST_MAX_SECTORS) return false;
  if (sector % (s.sector_mask + 1) !== 0) return false;
  if (size % s.conf.logical_block_size !== 0) return false;
  const length = s.ops.blk_getlength(s.blk);
  const total_sectors = length > 0 ? Math.floor(length / BDRV_SECTOR_SIZE) : 0;
  return sector <= total_sectors && nb_sectors <= total_sectors - sector;
}

function complete_now(req: VirtIOBlockReq, status: number): number {
  virtio_blk_req_complete(req, status);
  return 0;
}

/**
 * virtio_blk_handle_request: returns 0 (handled: completed, queued in mrb, or submitted) or -1
 * after virtio_error (malformed request; the caller detaches the element).
 */
export function virtio_blk_handle_request(req: VirtIOBlockReq, mrb: MultiReqBuffer): number {
  const s = req.dev;
  const elem = req.elem;
  if (elem.out_num < 1 || elem.in_num < 1) {
    virtio_error(s, 'virtio-blk missing headers');
    return -1;
  }
  const outq = qiovOf(...elem.out_sg);
  const inq = qiovOf(...elem.in_sg);
  if (outq.size < VIRTIO_BLK_OUTHDR_SIZE) {
    virtio_error(s, `virtio-blk request outhdr too short (${outq.size} bytes)`);
    return -1;
  }
  const hdr = new Uint8Array(VIRTIO_BLK_OUTHDR_SIZE);
  qemu_iovec_to_buf(outq, 0, hdr);
  const hv = new DataView(hdr.buffer);
  req.out_type = hv.getUint32(0, true);
  req.out_ioprio = hv.getUint32(4, true);
  req.out_sector = hv.getUint32(8, true) + hv.getUint32(12, true) * 0x1_0000_0000;
  const out_data = qemu_iovec_slice(outq, VIRTIO_BLK_OUTHDR_SIZE, outq.size - VIRTIO_BLK_OUTHDR_SIZE);
  const last = elem.in_sg[elem.in_num - 1];
  if (last.byteLength < 1) {
    virtio_error(s, 'virtio-blk request inhdr too short');
    return -1;
  }
  req.in_len = inq.size;
  req.in = last.subarray(last.byteLength - 1);
  const in_data = qemu_iovec_slice(inq, 0, inq.size - 1);

  const type = req.out_type;
  switch ((type & ~(VIRTIO_BLK_T_OUT | VIRTIO_BLK_T_BARRIER)) >>> 0) {
    case VIRTIO_BLK_T_IN: {
      const is_write = (type & VIRTIO_BLK_T_OUT) !== 0;
      req.sector_num = req.out_sector;
      req.qiov = is_write ? out_data : in_data;
      const nsectors = req.qiov.size / BDRV_SECTOR_SIZE;
      const h = is_write ? virtioBlkTraceHooks.virtio_blk_handle_write : virtioBlkTraceHooks.virtio_blk_handle_read;
      if (h !== null) h(s, req, req.sector_num, nsectors);
      if (!virtio_blk_sect_range_ok(s, req.sector_num, req.qiov.size)) return complete_now(req, VIRTIO_BLK_S_IOERR);
      if (is_write && s.ops.blk_is_read_only(s.blk)) return complete_now(req, VIRTIO_BLK_S_IOERR);
      /* Merging would exceed the request count, or the direction changes. */
      if (mrb.num_reqs > 0 && (mrb.num_reqs === VIRTIO_BLK_MAX_MERGE_REQS || is_write !== mrb.is_write || !s.request_merging)) {
        virtio_blk_submit_multireq(s, mrb);
      }
      mrb.reqs.push(req);
      mrb.is_write = is_write;
      return 0;
    }
    case VIRTIO_BLK_T_FLUSH:
      virtio_blk_handle_flush(req, mrb);
      return 0;
    case VIRTIO_BLK_T_GET_ID: {
      /* NUL-terminated only when shorter than the buffer (QEMU's serial convention). */
      const size = Math.min(s.serial.length + 1, Math.min(in_data.size, VIRTIO_BLK_ID_BYTES));
      const buf = new Uint8Array(size);
      buf.set(s.serial.subarray(0, size));
      qemu_iovec_from_buf(in_data, 0, buf);
      return complete_now(req, VIRTIO_BLK_S_OK);
    }
    case VIRTIO_BLK_T_DISCARD & ~VIRTIO_BLK_T_OUT:
    case VIRTIO_BLK_T_WRITE_ZEROES & ~VIRTIO_BLK_T_OUT: {
      const is_write_zeroes = ((type & ~VIRTIO_BLK_T_BARRIER) >>> 0) === VIRTIO_BLK_T_WRITE_ZEROES;
      /* Unsupported without the OUT bit or with more than one segment. */
      if (!(type & VIRTIO_BLK_T_OUT) || out_data.size > VIRTIO_BLK_DWZ_SIZE) return complete_now(req, VIRTIO_BLK_S_UNSUPP);
      if (out_data.size < VIRTIO_BLK_DWZ_SIZE) {
        virtio_error(s, 'virtio-blk discard/write_zeroes header too short');
        return -1;
      }
      const dwz = new Uint8Array(VIRTIO_BLK_DWZ_SIZE);
      qemu_iovec_to_buf(out_data, 0, dwz);
      const err_status = virtio_blk_handle_discard_write_zeroes(req, dwz, is_write_zeroes);
      if (err_status !== VIRTIO_BLK_S_OK) virtio_blk_req_complete(req, err_status);
      return 0;
    }
    default:
      return complete_now(req, VIRTIO_BLK_S_UNSUPP);
  }
}

/** virtio_blk_handle_flush: post the pending writes first, then flush. */
export function virtio_blk_handle_flush(req: VirtIOBlockReq, mrb: MultiReqBuffer): void {
  const s = req.dev;
  if (mrb.is_write && mrb.num_reqs > 0) virtio_blk_submit_multireq(s, mrb);
  s.inflight++;
  try {
    s.ops.blk_aio_flush(s.blk, virtio_blk_flush_complete, req);
  } catch (e) {
    s.errorSink(`vtrace: ${s.klass.name} ${s.id}: block backend threw on flush: ${(e as Error).message}`);
    virtio_blk_flush_complete(req, -5);
  }
}

/**
 * virtio_blk_handle_discard_write_zeroes: validate one segment and start it. Returns
 * VIRTIO_BLK_S_OK when submitted, else the status to complete with.
 */
export function virtio_blk_handle_discard_write_zeroes(req: VirtIOBlockReq, dwz: Uint8Array, is_write_zeroes: boolean): number {
  const s = req.dev;
  const v = new DataView(dwz.buffer, dwz.byteOffset, dwz.byteLength);
  const sector = v.getUint32(0, true) + v.getUint32(4, true) * 0x1_0000_0000;
  const num_sectors = v.getUint32(8, true);
  const flags = v.getUint32(12, true);
  const bytes = num_sectors * BDRV_SECTOR_SIZE;
  if (!virtio_has_feature(s.host_features, is_write_zeroes ? VIRTIO_BLK_F_WRITE_ZEROES : VIRTIO_BLK_F_DISCARD)) return VIRTIO_BLK_S_UNSUPP;
  if (!virtio_blk_sect_range_ok(s, sector, bytes)) return VIRTIO_BLK_S_IOERR;
  /* Unknown flags: UNSUPP (virtio 1.2 §5.2.6.2). */
  if (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) return VIRTIO_BLK_S_UNSUPP;
  if (s.ops.blk_is_read_only(s.blk)) return VIRTIO_BLK_S_IOERR;
  const offset = sector * BDRV_SECTOR_SIZE;
  try {
    if (is_write_zeroes) {
      if (num_sectors > s.conf.max_write_zeroes_sectors) return VIRTIO_BLK_S_IOERR;
      const blkflags = flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP ? BDRV_REQ_MAY_UNMAP : 0;
      s.inflight++;
      s.ops.blk_aio_pwrite_zeroes(s.blk, offset, bytes, blkflags, virtio_blk_discard_write_zeroes_complete, req);
    } else {
      if (num_sectors > s.conf.max_discard_sectors) return VIRTIO_BLK_S_IOERR;
      /* Discard with the unmap flag: UNSUPP (virtio 1.2 §5.2.6.2). */
      if (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) return VIRTIO_BLK_S_UNSUPP;
      s.inflight++;
      s.ops.blk_aio_pdiscard(s.blk, offset, bytes, virtio_blk_discard_write_zeroes_complete, req);
    }
  } catch (e) {
    s.errorSink(`vtrace: ${s.klass.name} ${s.id}: block backend threw on ${is_write_zeroes ? 'write-zeroes' : 'discard'}: ${(e as Error).message}`);
    virtio_blk_discard_write_zeroes_complete(req, -5);
  }
  return VIRTIO_BLK_S_OK;
}
