// @ts-check
/**
 * syscount — the vtrace process's own host system calls (its I/O path: openat, pread64, preadv,
 * pwritev, fdatasync, close...), counted by name and by thread, after bcc's tools/syscount. Counts
 * come from the syscall_exit tracepoint: on the emulator thread (opening the drives, the geometry
 * probe) and on every thread-pool worker (relayed to the emulator thread), so they equal what
 * `strace -f` of vtrace, or a --trace-out recording, shows for those calls.
 *
 *   vtrace run --plugin syscount                    top 10 syscalls, then per thread
 *   vtrace run --plugin syscount,latency=on         adds TIME (us) (bcc -L)
 *   vtrace run --plugin syscount,top=20             (bcc -T)
 *   vtrace run --plugin syscount,errors=on          adds ERRORS (calls returning -errno)
 *
 * Output at exit:
 *
 *   SYSCALL                   COUNT
 *   pread64                      23
 *
 *   TID     THREAD           SYSCALL                   COUNT
 *   41250   worker-0         pread64                      12
 *
 * The `syscount` console command prints the same so far; a TUI pane shows it live.
 */
'use strict';

/** @type {import('../src/plugin/api').PluginInstall} */
function install(api, args) {
  args.only('latency', 'top', 'errors');
  const latency = args.bool('latency', false);
  const errors = args.bool('errors', false);
  const top = args.int('top', 10, 1, 1000);
  /** @type {Map<string, { count: number, errors: number, ns: number }>} */
  const byName = new Map();
  /** @type {Map<string, { tid: number, thread: string, name: string, count: number }>} */
  const byThread = new Map();
  const total = api.counter('syscalls', 'host syscalls seen');

  api.on('syscall_exit', (ev) => {
    const name = String(ev.arg('name'));
    const s = byName.get(name) ?? { count: 0, errors: 0, ns: 0 };
    byName.set(name, s);
    s.count++;
    s.ns += Number(ev.arg('duration_ns'));
    if (Number(ev.arg('retval')) < 0) s.errors++;
    const key = `${ev.tid}/${name}`;
    const t = byThread.get(key) ?? { tid: ev.tid, thread: ev.thread, name, count: 0 };
    byThread.set(key, t);
    t.count++;
    total.add();
  });

  const report = (/** @type {number} */ limit) => {
    let out = `${'SYSCALL'.padEnd(22)} ${'COUNT'.padStart(8)}${errors ? ` ${'ERRORS'.padStart(8)}` : ''}${latency ? ` ${'TIME (us)'.padStart(16)}` : ''}\n`;
    const rows = [...byName.entries()].sort((a, b) => b[1].count - a[1].count || a[0].localeCompare(b[0])).slice(0, limit);
    for (const [name, s] of rows) {
      out += `${name.padEnd(22)} ${String(s.count).padStart(8)}${errors ? ` ${String(s.errors).padStart(8)}` : ''}${latency ? ` ${(s.ns / 1e3).toFixed(3).padStart(16)}` : ''}\n`;
    }
    out += `\n${'TID'.padEnd(7)} ${'THREAD'.padEnd(16)} ${'SYSCALL'.padEnd(22)} ${'COUNT'.padStart(8)}\n`;
    const threads = [...byThread.values()].sort((a, b) => a.thread.localeCompare(b.thread, undefined, { numeric: true }) || b.count - a.count || a.name.localeCompare(b.name));
    for (const t of threads) out += `${String(t.tid).padEnd(7)} ${t.thread.slice(0, 16).padEnd(16)} ${t.name.padEnd(22)} ${String(t.count).padStart(8)}\n`;
    return out;
  };

  api.print('Tracing host syscalls of vtrace, printing the top ' + top + ' at exit.\n');
  api.addCommand('syscount', '', 'host syscalls so far, by name and by thread', (a) => {
    if (a.length > 0) throw api.error('syscount takes no argument');
    return report(top);
  });
  api.addPane('syscount', () => report(top).split('\n'));
  api.onExit(() => api.print(`[${new Date().toTimeString().slice(0, 8)}]\n${report(top)}`));
}

module.exports = { install };
