// @ts-check
/**
 * blktrace — virtio-blk requests as blktrace/blkparse actions, in blkparse's default format
 * (`%D %2c %8s %5T.%9t %5p %2a %3d `, then `sector + count [comm]` or `[error]`):
 *
 *   hd0      0        1     0.000000000 41236  Q   W 0 + 8 [emulator]
 *   hd0      0        2     0.000051234 41236  D   W 0 + 8 [emulator]
 *   hd0      0        3     0.000402118 41236  C   W 0 + 8 [0]
 *
 *   Q  queued: the device took the request off its virtqueue (virtqueue_pop; its type and range
 *      from virtio_blk_handle_read/_write, a flush from bdrv_co_flush_to_disk)
 *   D  issued: the block layer handed it to the file-posix driver (bdrv_driver_io, driver file)
 *   C  completed (virtio_blk_req_complete); [error] is 0, or -EIO for an IOERR status
 *
 * Columns: the device id where blkparse prints major,minor; cpu (always 0: the vCPUs and the main
 * loop share the emulator thread); a sequence number per device; seconds.nanoseconds since the
 * first action; the tid of the thread (the emulator thread, or with iothread= the iothread); the
 * action; RWBS (R, W, F flush, N other); sector + count of 512-byte sectors; [thread name] after Q
 * and D. At exit, a per-device summary in blkparse's spirit.
 *
 *   vtrace run --plugin blktrace                  actions on stderr
 *   vtrace run --plugin blktrace,outfile=hd0.txt  actions in a file
 *   vtrace run --plugin blktrace,actions=QC       only some actions (blkparse -a's spirit)
 */
'use strict';
const { trackRequests } = require('./lib/blk-requests');

/** @type {import('../src/plugin/api').PluginInstall} */
function install(api, args) {
  args.only('actions');
  const actions = args.string('actions', 'QDC').toUpperCase();
  if (!/^[QDC]+$/.test(actions)) throw api.error(`actions=${actions}: a combination of Q, D and C is expected`);
  let t0 = -1;
  /** @type {Map<string, number>} */
  const seq = new Map();
  /** @type {Map<string, Record<string, number>>} per disk: counts and KiB per action and type */
  const totals = new Map();

  const emit = (/** @type {'Q'|'D'|'C'} */ a, /** @type {import('./lib/blk-requests').BlkRequest} */ r, /** @type {number} */ ns) => {
    const t = totals.get(r.disk) ?? {};
    totals.set(r.disk, t);
    t[`${a}${r.op}`] = (t[`${a}${r.op}`] ?? 0) + 1;
    t[`${a}${r.op}kib`] = (t[`${a}${r.op}kib`] ?? 0) + r.bytes / 1024;
    t.events = (t.events ?? 0) + 1;
    if (!actions.includes(a)) return;
    if (t0 < 0) t0 = ns;
    const n = (seq.get(r.disk) ?? 0) + 1;
    seq.set(r.disk, n);
    const dt = ns - t0;
    const time = `${String(Math.floor(dt / 1e9)).padStart(5)}.${String(Math.floor(dt % 1e9)).padStart(9, "0")}`;
    const tail = a === 'C' ? `[${r.status === 0 ? 0 : -5}]` : `[${r.thread}]`;
    api.print(`${r.disk.padEnd(7)} ${'0'.padStart(2)} ${String(n).padStart(8)} ${time} ${String(r.tid).padStart(5)} ${a.padStart(2)} ${r.op.padStart(3)} ${r.sector} + ${r.bytes / 512} ${tail}\n`);
  };

  trackRequests(api, {
    queued: (r) => emit('Q', r, r.queuedNs),
    issued: (r) => emit('D', r, r.issuedNs),
    completed: (r) => emit('C', r, r.doneNs),
  });

  api.onExit(() => {
    const row = (/** @type {Record<string, number>} */ t, /** @type {string} */ l, /** @type {string} */ kr, /** @type {string} */ r, /** @type {string} */ kw) =>
      ` ${l.padEnd(16)} ${String(t[kr] ?? 0).padStart(8)}, ${String(Math.round(t[`${kr}kib`] ?? 0)).padStart(8)}KiB\t ${r.padEnd(16)} ${String(t[kw] ?? 0).padStart(8)}, ${String(Math.round(t[`${kw}kib`] ?? 0)).padStart(8)}KiB\n`;
    for (const [disk, t] of [...totals.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      let out = `\nTotal (${disk}):\n`;
      out += row(t, 'Reads Queued:', 'QR', 'Writes Queued:', 'QW');
      out += row(t, 'Read Dispatches:', 'DR', 'Write Dispatches:', 'DW');
      out += row(t, 'Reads Completed:', 'CR', 'Writes Completed:', 'CW');
      out += ` ${'Flushes Queued:'.padEnd(16)} ${String(t.QF ?? 0).padStart(8)}\t ${'Other Requests:'.padEnd(16)} ${String(t.QN ?? 0).padStart(8)}\n`;
      out += `Events (${disk}): ${t.events} entries\n`;
      api.print(out);
    }
  });
}

module.exports = { install };
