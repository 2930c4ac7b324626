// @ts-check
/**
 * biolatency — virtio-blk request latency as a power-of-2 histogram, after bcc's
 * tools/biolatency: the time from the device taking a request off the virtqueue (virtqueue_pop)
 * to its completion (virtio_blk_req_complete: status written, used ring updated, interrupt next).
 * That is the host side of the guest's I/O: dispatch, coroutine, thread pool, preadv/pwritev.
 *
 *   vtrace run --plugin biolatency                       one histogram, microseconds
 *   vtrace run --plugin biolatency,disks=on              one per disk (bcc -D)
 *   vtrace run --plugin biolatency,milliseconds=on       in ms (bcc -m)
 *   vtrace run --plugin biolatency,flags=on              one per request type: Read, Write, Flush, Other (bcc -F)
 *
 * Output (at exit; bcc's layout, bucket i counting values in [2^(i-1), 2^i - 1], 0 and 1 together):
 *
 *        usecs               : count     distribution
 *            0 -> 1          : 0        |                                        |
 *           64 -> 127        : 3        |****************************************|
 *
 * With disks=on each histogram follows a `disk = hd0` line (bcc: `disk = sda`). Also: the
 * `biolatency` console command prints the histogram so far (`biolatency reset` clears it), a TUI
 * pane shows it live, and the counter `requests` counts completions.
 */
'use strict';
const { trackRequests } = require('./lib/blk-requests');

const STARS = 40;

/** bcc's bpf_log2l + 1 bucket index: 0 and 1 → 1, [2^(i-1), 2^i) → i. */
function bucket(/** @type {number} */ v) {
  return v < 1 ? 1 : Math.floor(Math.log2(v)) + 1;
}

/** bcc's _stars: `width` stars for the largest count. */
function stars(/** @type {number} */ val, /** @type {number} */ max, /** @type {number} */ width) {
  let n = 0;
  while (!(n > (width * val) / max - 1) && !(n > width - 1)) n++;
  return '*'.repeat(n);
}

/** bcc's _print_log2_hist for counts by bucket index ('' when empty); `strip`: from the first non-zero bucket. */
function log2Hist(/** @type {number[]} */ vals, /** @type {string} */ label, strip = false) {
  let idxMax = -1;
  let valMax = 0;
  vals.forEach((v, i) => {
    if (v > 0) idxMax = i;
    if (v > valMax) valMax = v;
  });
  if (idxMax <= 0) return '';
  const wide = idxMax > 32;
  const w = wide ? 20 : 10;
  const width = wide ? STARS / 2 : STARS;
  let out = wide ? `               ${label.padEnd(29)} : count     distribution\n` : `     ${label.padEnd(19)} : count     distribution\n`;
  for (let i = 1; i <= idxMax; i++) {
    let low = 2 ** i / 2;
    const high = 2 ** i - 1;
    if (low === high) low -= 1;
    const v = vals[i] ?? 0;
    if (strip && v === 0) continue;
    strip = false;
    out += `${String(low).padStart(w)} -> ${String(high).padEnd(w)} : ${String(v).padEnd(8)} |${stars(v, valMax, width).padEnd(width)}|\n`;
  }
  return out;
}

const OP_NAMES = { R: 'Read', W: 'Write', F: 'Flush', N: 'Other' };

/** @type {import('../src/plugin/api').PluginInstall} */
function install(api, args) {
  args.only('disks', 'milliseconds', 'flags');
  const perDisk = args.bool('disks', false);
  const ms = args.bool('milliseconds', false);
  const perFlag = args.bool('flags', false);
  const unit = ms ? 'msecs' : 'usecs';
  /** @type {Map<string, number[]>} section → counts by bucket */
  let hists = new Map();
  const requests = api.counter('requests', 'virtio-blk requests completed');

  trackRequests(api, {
    completed(r) {
      const lat = (r.doneNs - r.queuedNs) / (ms ? 1e6 : 1e3);
      const key = perDisk ? `disk = ${r.disk}` : perFlag ? `flags = ${OP_NAMES[r.op]}` : '';
      let h = hists.get(key);
      if (h === undefined) hists.set(key, (h = []));
      const b = bucket(lat);
      h[b] = (h[b] ?? 0) + 1;
      requests.add();
    },
  });

  const report = (strip = false) =>
    [...hists.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, h]) => (key === '' ? '' : `\n${key}\n`) + log2Hist(h, unit, strip))
      .join('');

  api.print('Tracing virtio-blk I/O... the histogram is printed at exit.\n');
  api.addCommand('biolatency', '[reset]', 'the latency histogram so far (reset: start again)', (a) => {
    if (a[0] === 'reset') {
      hists = new Map();
      return 'cleared\n';
    }
    if (a.length > 0) throw api.error(`biolatency: unknown argument '${a[0]}' (reset, or nothing)`);
    return report() || 'no request completed yet\n';
  });
  api.addPane('biolatency', () => (report(true) || 'no request completed yet').split('\n'));
  api.onExit(() => {
    api.print(`\n${report() || `     ${unit.padEnd(19)} : count     distribution\n`}`);
  });
}

module.exports = { install, log2Hist, bucket };
