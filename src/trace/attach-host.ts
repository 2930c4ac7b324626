/**
 * Bridges the syscall layer's recorder (src/host/record.ts) to syscalls.trace-events. A record is
 * delivered once the call returned, so syscall_entry is emitted then, stamped with the call's
 * start time (startNs), followed by syscall_exit with what the strace view needs besides the text:
 * the fd (correlation id too), the raw result and the fd's path (-y). Per thread: pool workers
 * install it themselves (worker-init.ts). Replaces any other recorder of this thread while a
 * syscall_* event is on.
 */
import { setSyscallRecorder } from '../host/record';
import { formatResult } from '../host/strace-format';
import * as t from './generated/tracepoints';

let installed = false;

export function installHostHooks(): void {
  const on = t.syscall_entry.on || t.syscall_exit.on;
  if (on) {
    setSyscallRecorder((rec) => {
      const args = rec.args.join(', ');
      const fd = rec.name === 'openat' ? (rec.ret >= 0 ? rec.ret : -1) : rec.name === 'unlink' ? -1 : rec.raw.fd;
      const corr = fd >= 0 ? { fd } : null;
      if (t.syscall_entry.on) t.syscall_entry.emitAt(rec.startNs, corr, rec.tid, rec.name, args);
      if (t.syscall_exit.on) {
        t.syscall_exit.emitCorr(corr ?? {}, rec.tid, rec.name, args, formatResult(rec.ret), Math.round(rec.durationNs), fd, rec.ret, rec.path ?? '');
      }
    });
    installed = true;
  } else if (installed) {
    setSyscallRecorder(null);
    installed = false;
  }
}
