/**
 * `vtrace strace -k`: after each syscall line, the syscall's stitched backtrace. The strace view
 * (src/trace/strace-view.ts) hands every event of the recording, in order, to this provider:
 * backtrace_* events rebuild the links (offline.ts); the backtrace_here a thread emitted for a
 * syscall (worker.ts / arm.ts, just before its syscall_exit on the same thread) is stitched when
 * the view prints that syscall. Lines are gdb's `bt` lines behind strace -k's ` > ` marker:
 *
 *   [pid 4242] pread64(19, "..."..., 512, 0) = 512
 *    > #0  pread64 (fd=19, buf=0x80216000, count=512, offset=0) at src/host/syscalls.ts:210
 *    > ...
 *    > --- thread-pool submission: coroutine 5 on emulator thread (main-loop) → worker-2 ---
 *
 * Guest frames are symbolized with the symbols found next to the recorded run's -kernel
 * (System.map / vmlinux beside a Linux Image, build/NAME.elf beside the default guest).
 * A live run records what -k needs when `liveTraceSpecs` are enabled (backtrace_*: the emulator
 * thread arms itself while they are on, and its pool workers then emit the anchors).
 * Contract: never throws; a syscall without an anchor gets no lines.
 */
import type { StraceBacktraceSupport } from '../../cli/strace';
import type { StraceBacktraceProvider } from '../strace-view';
import type { RecEvent } from '../vtr-reader';
import type { SyscallRecord } from '../../host/record';
import { formatBacktrace } from './format';
import { RecordedBacktraces } from './offline';
import type { Anchor } from './stitch';
import { findGuestSymbols, kernelOfCommandLine, type GuestSymbols } from './symbols';

export class StraceBacktraces implements StraceBacktraceProvider {
  private readonly rb = new RecordedBacktraces();
  /** Per recorded thread: the anchor of its syscall in progress. */
  private readonly pending = new Map<number, Anchor>();
  constructor(private readonly symbols: GuestSymbols | null = null) {}

  observe(ev: RecEvent): void {
    if (!ev.name.startsWith('backtrace_')) return;
    const a = this.rb.add(ev.name, ev.args, ev.info.argNames);
    if (a !== null) this.pending.set(ev.thread.index, a);
  }

  backtrace(rec: SyscallRecord, exit: RecEvent): string | undefined {
    const a = this.pending.get(exit.thread.index);
    if (a === undefined || a.what !== rec.name) return undefined;
    this.pending.delete(exit.thread.index);
    try {
      const text = formatBacktrace(this.rb.stitch(a), { symbols: this.symbols });
      return text.trimEnd().split('\n').map((l) => ` > ${l}`).join('\n');
    } catch {
      return undefined;
    }
  }
}

/** What src/cli/strace.ts uses for -k. */
export const straceBacktraceSupport: StraceBacktraceSupport = {
  liveTraceSpecs: ['backtrace_*'],
  create: (header) => new StraceBacktraces(findGuestSymbols(kernelOfCommandLine(header.argv, header.cwd))),
};
