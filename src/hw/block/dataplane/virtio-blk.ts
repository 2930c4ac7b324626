/**
 * virtio-blk dataplane, the emulator-thread half (QEMU hw/block/dataplane/virtio-blk.c):
 * `-object iothread,id=io0 -device virtio-blk-device,drive=hd0,iothread=io0` moves the device's
 * request handling and its drive into the iothread (DESIGN.md §1: the middle of the spine runs on
 * the iothread's AioContext instead of the main loop).
 *
 * JS threads share no heap, so the device exists twice, as the transport sees it and as the
 * iothread serves it:
 *  - here (emulator thread): the guest-visible VirtIOBlock behind the virtio-mmio transport —
 *    registers, feature negotiation, status, config space, ISR and the interrupt line. Its `blk`
 *    is a DataPlaneDrive: the drive's facts (length, read-only, write cache) as the iothread
 *    reported them; no block I/O is ever started on this thread.
 *  - in the iothread (./virtio-blk-iothread.ts): a VirtIOBlock over the same guest RAM
 *    (SharedArrayBuffer) with the real BlockBackend, which pops, handles and completes requests.
 * What crosses: the negotiated features, the rings' addresses and indexes (at start and stop), the
 * queues' host notifiers (the vCPU's QueueNotify store sets one; the iothread's aio_poll wakes) and
 * guest notifiers (the iothread sets one; the main loop's virtio_queue_guest_notifier_read raises
 * the interrupt), and an error notifier (the iothread's device hit virtio_error).
 *
 * Start/stop follow QEMU: virtio_blk_data_plane_start at DRIVER_OK (the transport's
 * start_ioeventfd), virtio_blk_data_plane_stop before a reset or when DRIVER_OK goes away; stop
 * drains every request in the iothread before returning (aio_wait_bh_oneshot blocks this thread).
 *
 * Guest RAM written by the iothread's DMA (read data, status bytes) cannot reach the vCPUs' decode
 * cache, which lives on this thread: the iothread's GuestRam marks the pages in the RAM's
 * CodeDirtyMap (shared at create) before it publishes the used entry, and the run loop drops
 * their decoded code before its next vCPU round (src/system/memory.ts, cpus.ts).
 *
 * Contract: emulator thread.
 */
import * as path from 'node:path';
import { aio_set_event_notifier } from '../../../util/aio-context';
import { aio_wait_bh_oneshot, AioWaitError } from '../../../util/aio-wait';
import { event_notifier_test_and_clear, eventNotifierNew, shareEventNotifier, type EventNotifier } from '../../../util/event-notifier';
import { iothread_get_aio_context, type IOThread } from '../../../util/iothread';
import type { RemoteAioContext } from '../../../util/aio-remote';
import { iohandler_get_aio_context } from '../../../util/main-loop';
import type { BlockdevOpenOptions } from '../../../block/blockdev';
import type { GuestRam } from '../../../system/memory';
import { virtio_error, virtio_queue_guest_notifier_read } from '../../virtio/virtio';
import { vring_avail_idx, vring_used_idx } from '../../virtio/virtio-ring';
import type { BlockBackendOps } from '../block-backend-ops';
import type { VirtIOBlock } from '../virtio-blk';
import type { DataPlaneDeviceProps, DpCreateResult, DpStartArg } from './virtio-blk-iothread';
import { dp_queue_restore, dp_queue_state, type DpQueueState } from './queue-state';

/** The iothread module (loaded through IOThreadOptions.modules). */
export const DATAPLANE_IOTHREAD_MODULE = path.join(__dirname, `virtio-blk-iothread${path.extname(__filename)}`);

/** How long start/stop may take in the iothread (a drain waits for the requests in flight). */
const DP_TIMEOUT_MS = 60_000;

export class VirtIOBlockDataPlane {
  started = false;
  /** Start or stop failed (the iothread died or hung): the device is broken until reset. */
  disabled = false;
  /** The guest-visible device (set right after it is created). */
  s: VirtIOBlock | null = null;
  constructor(
    readonly id: string,
    readonly iothread: IOThread,
    readonly ctx: RemoteAioContext,
    readonly error_notifier: EventNotifier,
    readonly errorText: SharedArrayBuffer,
  ) {}
}

/**
 * The drive as seen from the emulator thread (its BlockBackend lives in the iothread): the
 * emulator-side device's `blk`. A class, so the debugger prints it as a pointer to that drive.
 */
export class DataPlaneDrive {
  constructor(
    readonly dp: VirtIOBlockDataPlane,
    /** The drive id (-drive id=): the iothread's BlockBackend of that name is the real `blk`. */
    readonly drive: string,
    readonly length: number,
    readonly readOnly: boolean,
    public wce: boolean,
    /** The geometry the iothread's device guessed (pass it as the emulator-side device's `geometry`). */
    readonly geometry: { cyls: number; heads: number; secs: number },
    /** The iothread's copy of the device as its tracepoints print it (`vdev`, on thread iothread-ID). */
    readonly iothreadVdev: number,
  ) {}
}

export class DataPlaneError extends Error {
  override name = 'DataPlaneError';
}

function wrongThread(): never {
  throw new Error('virtio-blk dataplane: block I/O runs in the iothread, never on the emulator thread');
}

/** BlockBackendOps of the emulator-side device: facts only; I/O belongs to the iothread. */
export const dataPlaneBlockOps: BlockBackendOps = {
  blk_aio_preadv: wrongThread,
  blk_aio_pwritev: wrongThread,
  blk_aio_flush: wrongThread,
  blk_aio_pdiscard: wrongThread,
  blk_aio_pwrite_zeroes: wrongThread,
  blk_getlength: (d) => (d as DataPlaneDrive).length,
  blk_is_read_only: (d) => (d as DataPlaneDrive).readOnly,
  blk_enable_write_cache: (d) => (d as DataPlaneDrive).wce,
  blk_set_enable_write_cache(d, wce) {
    const drive = d as DataPlaneDrive;
    drive.wce = wce;
    call(drive.dp, 'virtio_blk_dp_set_wce', { id: drive.dp.id, wce });
  },
  blk_drain() {
    /* virtio_blk_data_plane_stop drained the iothread before any reset reaches the device. */
  },
};

/** Run `name` in the iothread; a failure disables the dataplane and breaks the device (never throws). */
function call<R>(dp: VirtIOBlockDataPlane, name: string, arg: unknown): R | undefined {
  try {
    return aio_wait_bh_oneshot<R>(dp.ctx, name, arg, DP_TIMEOUT_MS);
  } catch (e) {
    if (!(e instanceof AioWaitError) && !(e instanceof Error)) throw e;
    dp.disabled = true;
    if (dp.s !== null) virtio_error(dp.s, `dataplane in iothread ${dp.iothread.id} failed: ${e.message}`);
    return undefined;
  }
}

/**
 * virtio_blk_data_plane_create: open the drive inside the iothread and make its device there.
 * Throws DataPlaneError (one line, for the CLI) when the drive cannot be opened.
 */
export function virtio_blk_data_plane_create(
  iothread: IOThread,
  drive: Omit<BlockdevOpenOptions, 'logger'>,
  dev: DataPlaneDeviceProps & { id: string },
  ram: GuestRam,
  warn: (text: string) => void,
): DataPlaneDrive {
  const ctx = iothread_get_aio_context(iothread);
  const error_notifier = eventNotifierNew(`${dev.id}.dataplane.error`);
  const errorText = new SharedArrayBuffer(512);
  const dp = new VirtIOBlockDataPlane(dev.id, iothread, ctx, error_notifier, errorText);
  const r = aio_wait_bh_oneshot<DpCreateResult>(ctx, 'virtio_blk_dp_create', {
    drive,
    dev,
    ram: { base: ram.base, size: ram.size, buffer: ram.buffer, codeDirty: ram.codeDirty.buffer },
    error_notifier: shareEventNotifier(error_notifier),
    errorText,
  });
  for (const w of r.warnings) warn(w);
  if (!r.ok) throw new DataPlaneError(r.error ?? `could not open drive ${drive.id} in iothread ${iothread.id}`);
  aio_set_event_notifier(iohandler_get_aio_context(), error_notifier, (n) => {
    if (!event_notifier_test_and_clear(n) || dp.s === null) return;
    const bytes = new Uint8Array(errorText);
    const end = bytes.indexOf(0);
    virtio_error(dp.s, new TextDecoder().decode(bytes.slice(0, end < 0 ? bytes.length : end)));
  });
  return new DataPlaneDrive(dp, drive.id, r.length, r.readOnly, r.wce, r.geometry, r.vdev);
}

function queueState(s: VirtIOBlock): DpStartArg['queues'] {
  const out: DpStartArg['queues'] = [];
  for (const vq of s.vq) {
    if (vq.vring.num === 0) continue;
    out.push({
      ...dp_queue_state(vq),
      host_notifier: shareEventNotifier(vq.host_notifier),
      guest_notifier: shareEventNotifier(vq.guest_notifier),
    });
  }
  return out;
}

/** The started dataplanes, for dataPlaneRequestsOutstanding (emulator thread). */
const startedDataPlanes = new Set<VirtIOBlockDataPlane>();

/**
 * Does a started dataplane have requests the iothread has not completed (avail idx ≠ used idx in
 * guest RAM)? The vCPU loop keeps its rounds short meanwhile (emulator-thread.ts, RunHooks.slice),
 * so the completion's interrupt, raised by the main loop between rounds, comes soon.
 */
export function dataPlaneRequestsOutstanding(): boolean {
  for (const dp of startedDataPlanes) {
    const s = dp.s!;
    for (const vq of s.vq) {
      if (!vq.host_notifier_enabled || vq.vring.num === 0 || vq.vring.avail === 0 || vq.vring.used === 0) continue;
      if (vring_avail_idx(s.ram, vq.vring) !== vring_used_idx(s.ram, vq.vring)) return true;
    }
  }
  return false;
}

/** virtio_blk_data_plane_start: hand the queues to the iothread. False if the dataplane is unusable. */
export function virtio_blk_data_plane_start(dp: VirtIOBlockDataPlane): boolean {
  const s = dp.s!;
  if (dp.started) return true;
  if (dp.disabled) return false;
  const queues = queueState(s);
  const ioh = iohandler_get_aio_context();
  for (const q of queues) aio_set_event_notifier(ioh, s.vq[q.index].guest_notifier, virtio_queue_guest_notifier_read);
  const ok = call<boolean>(dp, 'virtio_blk_dp_start', { id: dp.id, guest_features: s.guest_features.toString(), status: s.status, queues } satisfies DpStartArg);
  if (ok !== true) {
    for (const q of queues) aio_set_event_notifier(ioh, s.vq[q.index].guest_notifier, null);
    return false;
  }
  for (const q of queues) s.vq[q.index].host_notifier_enabled = true;
  dp.started = true;
  startedDataPlanes.add(dp);
  return true;
}

/** virtio_blk_data_plane_stop: drain the iothread, take the queues back, deliver pending interrupts. */
export function virtio_blk_data_plane_stop(dp: VirtIOBlockDataPlane): void {
  const s = dp.s!;
  if (!dp.started) return;
  dp.started = false;
  startedDataPlanes.delete(dp);
  const states = call<DpQueueState[]>(dp, 'virtio_blk_dp_stop', { id: dp.id, timeoutMs: DP_TIMEOUT_MS }) ?? [];
  for (const st of states) {
    dp_queue_restore(s.vq[st.index], st, false);
  }
  const ioh = iohandler_get_aio_context();
  for (const vq of s.vq) {
    if (!vq.host_notifier_enabled) continue;
    vq.host_notifier_enabled = false;
    virtio_queue_guest_notifier_read(vq.guest_notifier); // a completion not yet turned into an interrupt
    aio_set_event_notifier(ioh, vq.guest_notifier, null);
  }
}
