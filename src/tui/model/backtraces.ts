/**
 * "Select an event and see its backtrace": an adapter over the offline stitcher
 * (src/trace/backtrace RecordedBacktraces) for a live or recorded event stream.
 *
 * Stacks are captured only at a few points (DESIGN.md §4 "captured only when something asks"):
 * each syscall (backtrace_here, on the emulator thread or a pool worker) and each boundary link
 * (coroutine creation, thread-pool submission; backtrace_link_*). An event gets the backtrace of
 * the nearest captured stack that explains it, and the pane says which one it is:
 *   - a syscall: the stack captured at that syscall;
 *   - an event of a pool job (corr.job): the job's syscall on its worker, else its submission;
 *   - an event of a coroutine (corr.co) or request (corr.req): that coroutine's stack at its
 *     thread-pool submission, else its creation (the dispatch that created it);
 *   - a backtrace_link_* event: its own stack.
 * Stitching is lazy (at selection), through the links recorded so far.
 *
 * Adapter notes (what the recording gives today, see the report): a pool worker's backtrace_here
 * names the emulator thread and carries job_link 0; the worker's name and the job's submission
 * link are filled in here from the event's thread and corr.job.
 *
 * Contract: feed() every event in its thread's recorded order (the tail's order, before any
 * re-sorting); lookup() never throws. Memory is bounded by the stitcher's tables and MAX_KEYS.
 */
import { RecordedBacktraces, formatBacktrace, type Anchor } from '../../trace/backtrace';
import type { RecEvent } from '../../trace/vtr-reader';
import { num, str } from './args';

const HERE_ARGS = ['what', 'args', 'thread', 'role', 'job_link', 'co', 'co_link', 'ctx_link', 'stack'] as const;
const MAX_KEYS = 8192;

interface Found {
  anchor: Anchor;
  /** What the stack is, for the pane's title. */
  title: string;
}

export type BacktraceLookup = { title: string; lines: string[] } | { none: string };

class BoundedMap<K, V> extends Map<K, V> {
  override set(k: K, v: V): this {
    if (this.has(k)) this.delete(k);
    super.set(k, v);
    if (this.size > MAX_KEYS) this.delete(this.keys().next().value as K);
    return this;
  }
}

export class BacktraceIndex {
  private readonly rb = new RecordedBacktraces(16384);
  private readonly byEvent = new WeakMap<RecEvent, Found>();
  /** Per thread index: the last syscall anchor, until its syscall events claim it. */
  private readonly pending = new Map<number, { what: string; found: Found }>();
  private readonly jobSyscall = new BoundedMap<number, Found>();
  private readonly jobSubmit = new BoundedMap<number, Found>();
  private readonly jobSubmitLink = new BoundedMap<number, number>();
  private readonly coSubmit = new BoundedMap<number, Found>();
  private readonly coCreate = new BoundedMap<number, Found>();
  private readonly reqCo = new BoundedMap<number, number>();
  /** Anchors seen: 0 means the recording has no backtrace_* events (say so instead of "none"). */
  anchors = 0;

  feed(ev: RecEvent): void {
    if (ev.corr?.req && ev.corr.co) this.reqCo.set(ev.corr.req, ev.corr.co);
    if (ev.name.startsWith('syscall_')) {
      const p = this.pending.get(ev.thread.index);
      if (p !== undefined && p.what === str(ev.args[ev.info.argNames.indexOf('name')])) {
        this.byEvent.set(ev, p.found);
        if (ev.name === 'syscall_exit') this.pending.delete(ev.thread.index);
      }
      return;
    }
    if (!ev.name.startsWith('backtrace_')) return;
    const anchor = this.rb.add(ev.name, ev.args, ev.info.argNames);
    const a = (k: string) => ev.args[ev.info.argNames.indexOf(k)];
    switch (ev.name) {
      case 'backtrace_here': {
        if (anchor === null) return;
        this.anchors++;
        const job = ev.corr?.job;
        if (ev.thread.kind === 'pool-worker') {
          anchor.thread = ev.thread.name;
          anchor.role = ev.thread.name;
        }
        if (anchor.jobLink === 0 && job !== undefined) anchor.jobLink = this.jobSubmitLink.get(job) ?? 0;
        const what = str(a('what'));
        const found = { anchor, title: `${what || 'stack'} on ${ev.thread.name}` };
        this.pending.set(ev.thread.index, { what, found });
        this.byEvent.set(ev, found);
        if (job !== undefined) this.jobSyscall.set(job, { anchor, title: `job ${job}: ${what} on ${ev.thread.name}` });
        return;
      }
      case 'backtrace_link_submit': {
        const job = num(a('req'));
        const co = num(a('co'));
        this.jobSubmitLink.set(job, num(a('link')));
        const found = this.linkAnchor(ev, `coroutine ${co} submitting job ${job} (${str(a('func'))})`, co);
        if (found === null) return;
        this.jobSubmit.set(job, found);
        if (co !== 0) this.coSubmit.set(co, found);
        this.byEvent.set(ev, found);
        return;
      }
      case 'backtrace_link_coroutine': {
        const newCo = num(a('new_co'));
        const found = this.linkAnchor(ev, `creation of coroutine ${newCo} (${str(a('entry'))})`, num(a('co')));
        if (found === null) return;
        this.coCreate.set(newCo, found);
        this.byEvent.set(ev, found);
        return;
      }
      default:
    }
  }

  /** The stitched backtrace that explains `ev`, as gdb's `bt` lines, or why there is none. */
  lookup(ev: RecEvent): BacktraceLookup {
    try {
      const f = this.find(ev);
      if (f === null) {
        if (this.anchors === 0 && this.jobSubmit.size === 0 && this.coCreate.size === 0) return { none: 'no stacks were recorded (record with -trace \'backtrace_*\')' };
        return { none: `no stack was captured for ${ev.name}: stacks are captured at syscalls and at coroutine creation and pool submission; select an event of a request` };
      }
      const text = formatBacktrace(this.rb.stitch(f.anchor));
      return { title: f.title, lines: text.replace(/\n$/, '').split('\n') };
    } catch (e) {
      return { none: `backtrace unavailable: ${(e as Error).message}` };
    }
  }

  private find(ev: RecEvent): Found | null {
    const own = this.byEvent.get(ev);
    if (own !== undefined) return own;
    const c = ev.corr;
    if (c === null) return null;
    if (c.job !== undefined) {
      const f = this.jobSyscall.get(c.job) ?? this.jobSubmit.get(c.job);
      if (f !== undefined) return f;
    }
    const co = c.co || (c.req !== undefined ? this.reqCo.get(c.req) : undefined);
    if (co) {
      const f = this.coSubmit.get(co) ?? this.coCreate.get(co);
      if (f !== undefined) return f;
    }
    return null;
  }

  /** A link's own stack as an anchor (through the stitcher's public API: a synthetic backtrace_here). */
  private linkAnchor(ev: RecEvent, title: string, co: number): Found | null {
    const a = (k: string) => ev.args[ev.info.argNames.indexOf(k)];
    const values = ['', '', str(a('thread')), str(a('role')), 0, co, a('co_link') ?? 0, a('ctx_link') ?? 0, a('stack') ?? 0];
    const anchor = this.rb.add('backtrace_here', values, HERE_ARGS);
    return anchor === null ? null : { anchor, title };
  }
}
