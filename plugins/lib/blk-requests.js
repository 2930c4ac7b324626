// @ts-check
/**
 * Shared by biolatency, biosnoop and blktrace: follows each virtio-blk request through vtrace's
 * tracepoints (traces/virtio*.trace-events, traces/block.trace-events) on the emulator thread,
 * keyed by its request id (the VirtQueueElement: `corr.req`, = the `req` argument):
 *
 *   virtio_queue_notify                which device a virtqueue belongs to
 *   virtqueue_pop                      queued: the device took the request off the ring (Q)
 *   virtio_blk_handle_read/_write      its type, sector and size (R, W)
 *   bdrv_co_flush_to_disk              a flush (F)
 *   bdrv_driver_io (driver file)       issued to the protocol driver, file-posix (D)
 *   virtio_blk_req_complete            completed, with the virtio status (C)
 *
 * Requests of no type above (GET_ID, unsupported ones) are `N`. Disks are named by their device
 * id (api.disks()). With iothread= (dataplane) these events happen on the iothread (thread
 * `iothread-ID`, relayed to plugins once per run-loop round): its copy of the device has its own
 * `vdev` value (PluginDisk.iothreadVdev), and ids (`req`, `vq`, `vdev`) are per thread, so requests
 * and queues are keyed by thread id and id.
 *
 * Not a plugin (no install): a library for the ones above.
 */
'use strict';

/**
 * @typedef {object} BlkRequest
 * @property {number} id         request id (corr.req)
 * @property {number} queuedNs   virtqueue_pop, host monotonic ns
 * @property {number} issuedNs   first bdrv_driver_io of the file driver (or flush), 0 if none
 * @property {number} doneNs     virtio_blk_req_complete
 * @property {string} thread     the thread that took it (emulator, or the main loop's)
 * @property {number} tid
 * @property {string} disk       device id, '?' until known
 * @property {'R'|'W'|'F'|'N'} op
 * @property {number} sector
 * @property {number} bytes
 * @property {number} status     virtio-blk status: 0 OK, 1 IOERR, 2 UNSUPP
 * @property {boolean} announced `queued` was called (for N requests: at completion, stamped with the pop)
 */

/**
 * @param {import('../../src/plugin/api').PluginApi} api
 * @param {{ queued?: (r: BlkRequest) => void, issued?: (r: BlkRequest) => void, completed: (r: BlkRequest) => void }} on
 */
function trackRequests(api, on) {
  /** @typedef {import('../../src/plugin/api').PluginEvent} PluginEvent */
  /** Ids are per thread: `tid:id`. */
  const key = (/** @type {PluginEvent} */ ev, /** @type {unknown} */ id) => `${ev.tid}:${Number(id)}`;
  /** @type {Map<string, BlkRequest>} */
  const live = new Map();
  /** `thread:vdev` → disk id (the emulator thread's vdev, or an iothread's copy's). */
  /** @type {Map<string, string>} */
  let diskOfVdev = new Map();
  const diskName = (/** @type {PluginEvent} */ ev, /** @type {unknown} */ vdev) => {
    const v = Number(vdev);
    const io = ev.thread.startsWith('iothread-') ? ev.thread : '';
    let name = diskOfVdev.get(`${io}:${v}`);
    if (name === undefined) {
      diskOfVdev = new Map();
      for (const d of api.disks()) {
        diskOfVdev.set(`:${d.vdev}`, d.id);
        if (d.iothread !== undefined && d.iothreadVdev !== undefined) diskOfVdev.set(`iothread-${d.iothread}:${d.iothreadVdev}`, d.id);
      }
      name = diskOfVdev.get(`${io}:${v}`) ?? `vdev 0x${v.toString(16)}`;
    }
    return name;
  };
  const reqOf = (/** @type {PluginEvent} */ ev) => (ev.corr.req === undefined ? undefined : live.get(key(ev, ev.corr.req)));

  /** The device of each virtqueue (virtio_queue_notify names both). */
  /** @type {Map<string, unknown>} */
  const vdevOfVq = new Map();
  api.on('virtio_queue_notify', (ev) => vdevOfVq.set(key(ev, ev.arg('vq')), ev.arg('vdev')));
  api.on('virtqueue_pop', (ev) => {
    if (ev.corr.req === undefined) return;
    const vdev = vdevOfVq.get(key(ev, ev.arg('vq')));
    /** @type {BlkRequest} */
    const r = { id: ev.corr.req, queuedNs: ev.ns, issuedNs: 0, doneNs: 0, thread: ev.thread, tid: ev.tid, disk: vdev === undefined ? '?' : diskName(ev, vdev), op: 'N', sector: 0, bytes: 0, status: -1, announced: false };
    live.set(key(ev, r.id), r);
  });
  const rw = (/** @type {'R'|'W'} */ op) => (/** @type {PluginEvent} */ ev) => {
    const r = reqOf(ev);
    if (r === undefined) return;
    r.op = op;
    r.disk = diskName(ev, ev.arg('vdev'));
    r.sector = Number(ev.arg('sector'));
    r.bytes = Number(ev.arg('nsectors')) * 512;
    r.announced = true;
    on.queued?.(r);
  };
  api.on('virtio_blk_handle_read', rw('R'));
  api.on('virtio_blk_handle_write', rw('W'));
  api.on('bdrv_co_flush_to_disk', (ev) => {
    const r = reqOf(ev);
    if (r === undefined || r.op === 'F') return;
    r.op = 'F';
    r.announced = true;
    on.queued?.(r);
    r.issuedNs = ev.ns;
    on.issued?.(r);
  });
  api.on('bdrv_driver_io', (ev) => {
    const r = reqOf(ev);
    if (r === undefined || r.issuedNs !== 0 || ev.arg('driver') !== 'file') return;
    r.issuedNs = ev.ns;
    on.issued?.(r);
  });
  api.on('virtio_blk_req_complete', (ev) => {
    const r = reqOf(ev);
    if (r === undefined) return;
    live.delete(key(ev, r.id));
    r.doneNs = ev.ns;
    r.status = Number(ev.arg('status'));
    if (r.disk === '?') r.disk = diskName(ev, ev.arg('vdev'));
    if (!r.announced) {
      r.announced = true;
      on.queued?.(r);
    }
    on.completed(r);
  });
  return { inFlight: () => live.size };
}

module.exports = { trackRequests };
