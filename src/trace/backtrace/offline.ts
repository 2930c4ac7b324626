/**
 * Stitching from recorded events (a .vtr, or any stream of tracepoint events): feed the
 * backtrace_* events in recording order; every backtrace_here (an anchor: a syscall under
 * strace -k, a stop) can then be stitched exactly as live, through the links recorded before it.
 *
 *   const rb = new RecordedBacktraces();
 *   for (const ev of rec.events()) {
 *     rb.add(ev.name, ev.args, ev.info.argNames);       // ignores other events
 *     if (ev.name === 'backtrace_here') print(formatBacktrace(rb.stitch(rb.lastAnchor!)));
 *   }
 *
 * Memory stays bounded: stacks and links are kept in bounded tables (the newest win), as the live
 * table does; a backtrace through an evicted link ends with a note.
 * Contract: never throws on malformed or unknown events (they are skipped).
 */
import { framesFromText, type Frame } from './frame';
import { guestFromText } from './guest';
import { LinkTable, type Link } from './links';
import { stitch, type Anchor, type Backtrace } from './stitch';

const STACKS_MAX = 65536;

type Args = Record<string, unknown>;

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return 0;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}

/** `thread (role)` → [thread, role]. */
function splitWhere(s: string): [string, string] {
  const m = /^(.*) \((.*)\)$/.exec(s);
  return m === null ? [s, s] : [m[1], m[2]];
}

export class RecordedBacktraces {
  readonly links: LinkTable;
  private readonly stacks = new Map<number, Frame[]>();
  /** The last backtrace_here added. */
  lastAnchor: Anchor | null = null;

  constructor(capacity = 65536) {
    this.links = new LinkTable(capacity);
  }

  private frames(id: unknown): Frame[] | null {
    const k = num(id);
    return k === 0 ? null : (this.stacks.get(k) ?? null);
  }

  /**
   * One event: its name, argument values and argument names (the catalog's, e.g. a .vtr's
   * info.argNames or a Tracepoint's info.argNames). Returns the anchor for backtrace_here, else null.
   */
  add(name: string, values: readonly unknown[], argNames: readonly string[]): Anchor | null {
    if (!name.startsWith('backtrace_')) return null;
    const a: Args = {};
    argNames.forEach((n, i) => (a[n] = values[i]));
    try {
      return this.addArgs(name, a);
    } catch {
      return null;
    }
  }

  private addArgs(name: string, a: Args): Anchor | null {
    switch (name) {
      case 'backtrace_stack':
        if (this.stacks.size >= STACKS_MAX) this.stacks.delete(this.stacks.keys().next().value as number);
        this.stacks.set(num(a.stack), framesFromText(str(a.frames)));
        return null;
      case 'backtrace_link_ioeventfd': {
        const [pollerThread, pollerRole] = splitWhere(str(a.poller));
        const guest = guestFromText(str(a.guest));
        this.links.add({
          kind: 'ioeventfd', id: num(a.link), thread: str(a.thread), role: str(a.vcpu), ns: 0n, stack: this.frames(a.stack),
          co: 0, coLink: 0, ctxLink: 0, notifier: str(a.notifier), guest, pollerThread, pollerRole,
        });
        return null;
      }
      case 'backtrace_link_coroutine':
        this.links.add({
          kind: 'coroutine', id: num(a.link), thread: str(a.thread), role: str(a.role), ns: 0n, stack: this.frames(a.stack),
          co: num(a.co), coLink: num(a.co_link), ctxLink: num(a.ctx_link), newCo: num(a.new_co), entry: str(a.entry),
        });
        return null;
      case 'backtrace_link_submit':
        this.links.add({
          kind: 'submit', id: num(a.link), thread: str(a.thread), role: str(a.role), ns: 0n, stack: this.frames(a.stack),
          co: num(a.co), coLink: num(a.co_link), ctxLink: num(a.ctx_link), req: num(a.req), func: str(a.func),
        });
        return null;
      case 'backtrace_link_completion':
        this.links.add({
          kind: 'completion', id: num(a.link), thread: str(a.thread), role: str(a.role), ns: 0n, stack: null,
          co: 0, coLink: 0, ctxLink: 0, req: num(a.req), func: str(a.func), worker: str(a.worker), ret: num(a.ret), submit: num(a.submit),
        } satisfies Link);
        return null;
      case 'backtrace_here': {
        const anchor: Anchor = {
          thread: str(a.thread), role: str(a.role), stack: this.frames(a.stack) ?? [],
          co: num(a.co), coLink: num(a.co_link), ctxLink: num(a.ctx_link), jobLink: num(a.job_link),
        };
        if (str(a.what) !== '') anchor.what = str(a.what);
        if (str(a.args) !== '') anchor.args = str(a.args);
        this.lastAnchor = anchor;
        return anchor;
      }
      default:
        return null;
    }
  }

  /** Stitch an anchor (from add) through the links recorded so far. */
  stitch(anchor: Anchor): Backtrace {
    return stitch(anchor, this.links);
  }
}
