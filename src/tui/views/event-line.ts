/**
 * One event as a line of the stream: time since the first event, thread, name, and the
 * tracepoint's own format (QEMU's trace line, e.g. `vdev 0x10000001 req 0x12000003 status 0`).
 * Syscall events read as strace's: `pwrite64(28, "vtrace-blk ..."..., 4096, 0) = 4096`.
 *
 * Contract: pure; never throws on odd arguments (a formatting error shows the raw values).
 */
import { cFormat } from '../../trace/format';
import type { RecEvent } from '../../trace/vtr-reader';
import type { Category } from '../model/categories';
import { strArg } from '../model/args';
import type { Line, Style } from '../ui/style';

const CAT_STYLE: Record<Category, Style> = {
  vcpu: 'cat-cpu',
  mmio: 'cat-cpu',
  virtio: 'cat-io',
  'virtio-blk': 'cat-io',
  block: 'cat-io',
  coroutine: 'cat-loop',
  pool: 'cat-loop',
  aio: 'cat-loop',
  syscall: 'cat-sys',
  backtrace: 'muted',
  other: 'plain',
};

export function eventDetail(ev: RecEvent): string {
  try {
    if (ev.name === 'syscall_exit') return `${strArg(ev, 'name')}(${strArg(ev, 'args')}) = ${strArg(ev, 'ret')}`;
    if (ev.name === 'syscall_entry') return `${strArg(ev, 'name')}(${strArg(ev, 'args')}) ...`;
    return cFormat(ev.info.format, ev.args);
  } catch {
    return ev.args.map(String).join(' ');
  }
}

export function formatSeconds(ns: number, originNs: number): string {
  return `+${((ns - originNs) / 1e9).toFixed(6)}`;
}

export function eventLine(ev: RecEvent, cat: Category, originNs: number, threadWidth = 9): Line {
  return [
    [formatSeconds(ev.ns, originNs) + ' ', 'muted'],
    [ev.thread.name.padEnd(threadWidth).slice(0, threadWidth) + ' ', 'dim'],
    [ev.name + ' ', CAT_STYLE[cat]],
    [eventDetail(ev)],
  ];
}
