/**
 * The iothread half of virtio-blk dataplane (QEMU hw/block/dataplane/virtio-blk.c, the code that
 * runs in the IOThread's AioContext). Loaded into the iothread (IOThreadOptions.modules); the
 * emulator thread drives it by name with aio_wait_bh_oneshot (./virtio-blk.ts):
 *
 *   virtio_blk_dp_create   open the drive here (bdrv_open, then blk_set_aio_context to this
 *                          thread's context, as QEMU moves the drive into the iothread) and build
 *                          this thread's VirtIOBlock over the same guest RAM (a SharedArrayBuffer)
 *   virtio_blk_dp_start    DRIVER_OK: copy the negotiated features and the queues' rings and
 *                          indexes, take the queues' host notifiers (the vCPU's QueueNotify store
 *                          now wakes this thread) and their guest notifiers (completions go back
 *                          to the main loop, which raises the interrupt)
 *   virtio_blk_dp_stop     stop watching the host notifiers, handle a pending kick, drain every
 *                          request, flush the batched notifications, return the queues' indexes
 *   virtio_blk_dp_set_wce  the driver toggled the write cache (config space)
 *
 * Here the whole request path runs on the iothread: aio_dispatch_handler →
 * virtio_queue_host_notifier_read → container_of → virtio_blk_handle_vq → blk_aio_preadv → the
 * coroutine → this context's thread pool → completion → virtio_blk_req_complete →
 * virtio_blk_data_plane_notify (batched in notify_guest_bh) → event_notifier_set(guest_notifier).
 *
 * Contract: iothread only; every function runs as a oneshot BH of the iothread's context.
 * A guest's malformed chain makes this thread's device virtio_error; the message is handed to the
 * main loop through the error notifier (the emulator-side device then sets NEEDS_RESET).
 */
import { raw_lock_release_all } from '../../../block/image-lock';
import { aio_poll, aio_set_event_notifier, type AioContext } from '../../../util/aio-context';
import { aio_bh_new, qemu_bh_schedule, type QEMUBH } from '../../../util/aio-bh';
import { registerAioWaitFunction } from '../../../util/aio-wait';
import { embed } from '../../../util/container-of';
import {
  event_notifier_cleanup,
  event_notifier_set,
  openSharedEventNotifier,
  type EventNotifier,
  type SharedEventNotifier,
} from '../../../util/event-notifier';
import { GuestRam } from '../../../system/memory';
import { ptr } from '../../../trace/ptr';
import { bdrv_close_all, blockdevOpen, blockErrorText, type BlockdevOpenOptions } from '../../../block/blockdev';
import { BlockError } from '../../../block/block-int';
import { blk_drain, blk_getlength, blk_is_read_only, blk_set_aio_context, blk_set_enable_write_cache, type BlockBackend } from '../../../block/block-backend';
import { registerGuestRam } from '../../../block/guest-ram';
import {
  VIRTIO_CONFIG_S_DRIVER_OK,
  virtio_queue_host_notifier_read,
  virtio_queue_kick_pending,
  virtio_reset,
  virtio_should_notify,
  virtio_set_isr,
  type VirtQueue,
} from '../../virtio/virtio';
import { blockBackendOps } from '../block-backend-ops';
import { VirtIOBlock, type VirtIOBlkOptions } from '../virtio-blk';
import { dp_queue_restore, dp_queue_state, type DpQueueState } from './queue-state';

/** Device properties that cross threads (VirtIOBlkOptions minus the thread-bound parts). */
export type DataPlaneDeviceProps = Omit<VirtIOBlkOptions, 'blk' | 'ops' | 'ram' | 'errorSink' | 'ioeventfd_ctx'>;

export interface DpCreateArg {
  drive: Omit<BlockdevOpenOptions, 'logger'>;
  dev: DataPlaneDeviceProps;
  /** The guest RAM, and its CodeDirtyMap: DMA here marks pages for the vCPUs' decode cache. */
  ram: { base: number; size: number; buffer: SharedArrayBuffer; codeDirty: SharedArrayBuffer };
  /** Main-loop notifier set when this thread's device hits virtio_error; the text goes in `errorText`. */
  error_notifier: SharedEventNotifier;
  errorText: SharedArrayBuffer;
}

export interface DpCreateResult {
  ok: boolean;
  /** One line (with QEMU's hint) when the drive could not be opened. */
  error?: string;
  warnings: string[];
  length: number;
  readOnly: boolean;
  wce: boolean;
  /** hd_geometry_guess's result here (it read the MBR): the emulator-side config space shows it. */
  geometry: { cyls: number; heads: number; secs: number };
  /** This thread's device as its tracepoints print it (`vdev`, src/trace/ptr.ts): plugins name disks by it. */
  vdev: number;
}

export interface DpStartArg {
  id: string;
  /** guest_features as a decimal string (bigint does not cross as JSON). */
  guest_features: string;
  status: number;
  queues: Array<DpQueueState & { host_notifier: SharedEventNotifier; guest_notifier: SharedEventNotifier }>;
}

/** This thread's side of one device. */
interface DataPlaneIOThreadSide {
  s: VirtIOBlock;
  blk: BlockBackend;
  ctx: AioContext;
  /** Queues with a completion waiting for notify_guest_bh (QEMU's batch_notify_vqs). */
  batch: Set<VirtQueue>;
  bh: QEMUBH;
  started: boolean;
  /** The device's own (unshared) notifiers, put back at stop. */
  own: Map<number, { host: EventNotifier; guest: EventNotifier }>;
}

const devices = new Map<string, DataPlaneIOThreadSide>();

function side(id: string): DataPlaneIOThreadSide {
  const d = devices.get(id);
  if (d === undefined) throw new Error(`virtio-blk dataplane: no device '${id}' in this iothread`);
  return d;
}

/**
 * notify_guest_bh: one guest notification per queue per batch (QEMU merges the completions of
 * one aio_poll round the same way). virtio_notify_irqfd: EVENT_IDX/NO_INTERRUPT suppression is
 * decided here, where the ring state lives; the ISR and the line are the main loop's.
 */
function notify_guest_bh(d: DataPlaneIOThreadSide): void {
  for (const vq of d.batch) {
    if (!virtio_should_notify(d.s, vq)) continue;
    virtio_set_isr(d.s, 0x1);
    event_notifier_set(vq.guest_notifier);
  }
  d.batch.clear();
}

function virtio_blk_dp_create(arg: DpCreateArg, ctx: AioContext): DpCreateResult {
  const warnings: string[] = [];
  let blk: BlockBackend;
  try {
    blk = blockdevOpen({ ...arg.drive, logger: (t) => warnings.push(t) });
  } catch (e) {
    if (e instanceof BlockError) return { ok: false, error: blockErrorText(e), warnings, length: 0, readOnly: false, wce: false, geometry: { cyls: 0, heads: 0, secs: 0 }, vdev: 0 };
    throw e;
  }
  blk_set_aio_context(blk, ctx);
  const ram = new GuestRam(arg.ram.base, arg.ram.size, arg.ram.buffer, arg.ram.codeDirty);
  registerGuestRam(ram, ctx);
  const errorNotifier = openSharedEventNotifier(arg.error_notifier);
  const errorText = new Uint8Array(arg.errorText);
  const s = new VirtIOBlock({
    ...arg.dev,
    blk,
    ops: blockBackendOps,
    ram,
    errorSink: (line) => {
      // The main-loop side reports the line and sets NEEDS_RESET on the guest-visible device.
      const bytes = new TextEncoder().encode(s.last_error ?? line).subarray(0, errorText.length - 1);
      errorText.fill(0);
      errorText.set(bytes);
      event_notifier_set(errorNotifier);
    },
  });
  const d: DataPlaneIOThreadSide = { s, blk, ctx, batch: new Set(), bh: null as unknown as QEMUBH, started: false, own: new Map() };
  d.bh = aio_bh_new(ctx, () => notify_guest_bh(d), undefined, 'notify_guest_bh');
  s.data_plane_notify = (vq) => {
    d.batch.add(vq);
    qemu_bh_schedule(d.bh);
  };
  devices.set(s.id, d);
  const geometry = { cyls: s.conf.cyls, heads: s.conf.heads, secs: s.conf.secs };
  return { ok: true, warnings, length: blk_getlength(blk), readOnly: blk_is_read_only(blk), wce: blk.enable_write_cache, geometry, vdev: ptr('vdev', s) };
}

const startListeners = new Set<() => void>();

/**
 * Call `f` after each dataplane start in this iothread (the debug agent arms the watchpoints on the
 * device that were pending: the device becomes reachable when the guest starts it). Returns the
 * function that removes it.
 */
export function onDataPlaneStart(f: () => void): () => void {
  startListeners.add(f);
  return () => startListeners.delete(f);
}

function virtio_blk_dp_start(arg: DpStartArg): boolean {
  const d = side(arg.id);
  const s = d.s;
  if (d.started) return true;
  s.guest_features = BigInt(arg.guest_features);
  s.status = arg.status | VIRTIO_CONFIG_S_DRIVER_OK;
  s.started = true;
  d.own.clear();
  for (const q of arg.queues) {
    const vq = s.vq[q.index];
    dp_queue_restore(vq, q, true);
    d.own.set(q.index, { host: vq.host_notifier, guest: vq.guest_notifier });
    // The guest's kick now lands in this thread's poll set (QEMU: virtio_queue_aio_attach_host_notifier).
    embed(vq, 'host_notifier', openSharedEventNotifier(q.host_notifier));
    embed(vq, 'guest_notifier', openSharedEventNotifier(q.guest_notifier));
    vq.host_notifier_enabled = true;
    aio_set_event_notifier(d.ctx, vq.host_notifier, virtio_queue_host_notifier_read);
  }
  d.started = true;
  for (const f of startListeners) f();
  // Pick up requests queued before the switch (virtio_blk_data_plane_start).
  for (const q of arg.queues) virtio_queue_kick_pending(s.vq[q.index]);
  return true;
}

function virtio_blk_dp_stop(arg: { id: string; timeoutMs: number }): DpQueueState[] {
  const d = side(arg.id);
  const s = d.s;
  if (!d.started) return [];
  const states: DpQueueState[] = [];
  for (let i = 0; i < s.vq.length; i++) {
    const vq = s.vq[i];
    if (!vq.host_notifier_enabled) continue;
    aio_set_event_notifier(d.ctx, vq.host_notifier, null);
    vq.host_notifier_enabled = false;
    virtio_queue_host_notifier_read(vq.host_notifier); // a kick that was set but not dispatched
  }
  // Drain: the requests in flight complete in this context (QEMU: blk_drain in the iothread).
  blk_drain(d.blk);
  const deadline = Date.now() + arg.timeoutMs;
  while (s.inflight > 0 && Date.now() < deadline) aio_poll(d.ctx, true);
  notify_guest_bh(d);
  for (let i = 0; i < s.vq.length; i++) {
    const vq = s.vq[i];
    const own = d.own.get(i);
    if (own === undefined) continue;
    states.push(dp_queue_state(vq));
    // The shared views go; the device's own notifiers come back (a shared view is only detached).
    event_notifier_cleanup(vq.host_notifier);
    event_notifier_cleanup(vq.guest_notifier);
    embed(vq, 'host_notifier', own.host);
    embed(vq, 'guest_notifier', own.guest);
  }
  d.own.clear();
  d.started = false;
  // This thread's copy starts clean next time (features, rings and indexes come with the start).
  virtio_reset(s);
  return states;
}

function virtio_blk_dp_set_wce(arg: { id: string; wce: boolean }): boolean {
  blk_set_enable_write_cache(side(arg.id).blk, arg.wce);
  return true;
}

registerAioWaitFunction('virtio_blk_dp_create', virtio_blk_dp_create);
// qemu_cleanup for this thread's drives: flush and close them (the machine has stopped).
registerAioWaitFunction('bdrv_close_all', () => bdrv_close_all());
// A guest poweroff: the image locks only (the process exits at once, as QEMU's exit()).
registerAioWaitFunction('raw_lock_release_all', () => raw_lock_release_all());
registerAioWaitFunction('virtio_blk_dp_start', virtio_blk_dp_start);
registerAioWaitFunction('virtio_blk_dp_stop', virtio_blk_dp_stop);
registerAioWaitFunction('virtio_blk_dp_set_wce', virtio_blk_dp_set_wce);
