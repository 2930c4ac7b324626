// @ts-check
/**
 * biosnoop — one line per virtio-blk request as it completes, after bcc's tools/biosnoop:
 *
 *   TIME(s)     COMM           PID    DISK    T SECTOR     BYTES   LAT(ms)
 *   0.000000    emulator       41236  hd0     W 0          4096       0.41
 *
 *   TIME(s)   completion time, seconds since the first completion (as bcc's)
 *   COMM PID  the thread that took the request off the virtqueue, and its Linux tid (the emulator
 *             thread, where the main loop runs between vCPU rounds; with iothread=, the iothread,
 *             e.g. iothread-io0; bcc: the process issuing it)
 *   DISK      the device id; T: R read, W write, F flush, N other (GET_ID, unsupported)
 *   SECTOR    first 512-byte sector; BYTES: the request's data length
 *   LAT(ms)   virtqueue_pop → virtio_blk_req_complete (QUE(ms) with queue=on: pop → issue to
 *             the file driver, as bcc -Q shows the time before the device got it)
 *
 *   vtrace run --plugin biosnoop                   lines on stderr
 *   vtrace run --plugin biosnoop,outfile=io.txt    lines in io.txt
 *   vtrace run --plugin biosnoop,queue=on          adds QUE(ms)
 *   vtrace run --plugin biosnoop,errors=on         adds STATUS (the virtio-blk status byte)
 *
 * The TUI pane shows the latest lines; the counter `requests` counts them.
 */
'use strict';
const { trackRequests } = require('./lib/blk-requests');

/** @type {import('../src/plugin/api').PluginInstall} */
function install(api, args) {
  args.only('queue', 'errors');
  const queue = args.bool('queue', false);
  const errors = args.bool('errors', false);
  const requests = api.counter('requests', 'virtio-blk requests printed');
  /** @type {string[]} */
  const recent = [];
  let t0 = -1;

  const header =
    `${'TIME(s)'.padEnd(11)} ${'COMM'.padEnd(14)} ${'PID'.padEnd(6)} ${'DISK'.padEnd(7)} ${'T'.padEnd(1)} ${'SECTOR'.padEnd(10)} ${'BYTES'.padEnd(7)} ` +
    `${queue ? `${'QUE(ms)'.padStart(7)} ` : ''}${'LAT(ms)'.padStart(7)}${errors ? ' STATUS' : ''}`;
  api.print(header + '\n');

  trackRequests(api, {
    completed(r) {
      if (t0 < 0) t0 = r.doneNs;
      const que = r.issuedNs > 0 ? (r.issuedNs - r.queuedNs) / 1e6 : 0;
      const line =
        `${((r.doneNs - t0) / 1e9).toFixed(6).padEnd(11)} ${r.thread.slice(0, 14).padEnd(14)} ${String(r.tid).padEnd(6)} ${r.disk.padEnd(7)} ${r.op} ` +
        `${String(r.sector).padEnd(10)} ${String(r.bytes).padEnd(7)} ${queue ? `${que.toFixed(2).padStart(7)} ` : ''}${((r.doneNs - r.queuedNs) / 1e6).toFixed(2).padStart(7)}` +
        `${errors ? ` ${r.status}` : ''}`;
      api.print(line + '\n');
      requests.add();
      recent.push(line);
      if (recent.length > 200) recent.splice(0, recent.length - 200);
    },
  });
  api.addPane('biosnoop', (_w, h) => [header, ...recent.slice(-Math.max(0, h - 1))]);
}

module.exports = { install };
