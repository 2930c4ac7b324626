/**
 * Stitching: one backtrace from a stack captured anywhere on the I/O path, continued across each
 * `══` boundary of DESIGN.md §1 through the links (links.ts), down to the vCPU's store and the guest.
 *
 * The walk, from an anchor (a stack plus the context it was captured in):
 *   - a pool worker's stack: its frames, then `thread-pool submission` → the submit link;
 *   - a stack captured in coroutine N: the frames above qemu_aio_coroutine_enter are the
 *     coroutine's (what gdb shows down to coroutine_trampoline), then `coroutine` → N's creation
 *     link (whoever entered it since, e.g. the completion BH, is named in the separator);
 *   - otherwise all frames, then, if they run a dispatch (aio_dispatch_handler) or a completion
 *     (thread_pool_completion_bh) whose link was recorded, `ioeventfd` → the vCPU's stack and the
 *     guest, or `completion` → `thread-pool submission` → the submit link;
 *   - a stack of the vCPU itself (cpu_exec on it: a device callback, an MMIO tracepoint) ends with
 *     the guest: the hart's pc and callers captured with the anchor;
 *   - a link's stack is walked by the same rules with the context recorded in the link.
 * A missing link (evicted from the bounded table, or not recorded) ends the walk with a note.
 *
 * Contract: pure over the anchor and a LinkSource; never throws on missing or cyclic links.
 * Live anchors (RawStack) must be stitched on the thread that captured them.
 */
import { findFrame, toFrames, type Frame } from './frame';
import { RawStack } from './frames';
import type { CompletionLink, GuestContext, IoeventfdLink, Link, LinkSource, LinkStack, SubmitLink } from './links';

/** Where a backtrace starts: a captured stack and its context. */
export interface Anchor {
  thread: string;
  role: string;
  stack: LinkStack;
  /** Coroutine it was captured in (0: none) and that coroutine's creation link. */
  co: number;
  coLink: number;
  /** The dispatch / completion being handled at capture (0: none). */
  ctxLink: number;
  /** Pool worker stacks: the submission link of the job being run (0: none). */
  jobLink: number;
  /** What the innermost frame was doing, e.g. the syscall (`pread64`), and its arguments. */
  what?: string;
  args?: string;
  /** The executing hart's state at capture (emulator thread): shown when the stack is a vCPU's. */
  guest?: GuestContext | null;
}

export type BoundaryKind = Link['kind'] | 'guest';

export interface Boundary {
  kind: BoundaryKind;
  /** The separator's text, without the dashes (`thread-pool submission: coroutine 7 on ...`). */
  text: string;
}

export interface Segment {
  /** How this segment was reached (absent for the first). */
  boundary?: Boundary;
  thread: string;
  role: string;
  /** Coroutine the frames belong to (0: a thread's own stack). */
  co: number;
  frames: Frame[];
  /** Guest frames (the `guest` segment): the store's pc first, then the callers. */
  guest?: GuestContext;
}

export interface Backtrace {
  segments: Segment[];
  /** Why the walk stopped early, if it did (`link 123 is no longer in the table`). */
  note?: string;
}

const MAX_BOUNDARIES = 32;

/** The frames of a link's or anchor's stack (resolving a live RawStack here). */
export function framesOf(stack: LinkStack): Frame[] {
  if (stack === null) return [];
  if (stack instanceof RawStack) return toFrames(stack.resolve());
  return stack;
}

/**
 * An anchor's frames: its stack, starting at the frame named `what` when it has one (a syscall
 * anchor is captured inside the syscall layer's bookkeeping, above `pread64`), with `args` on it.
 */
export function anchorFrames(a: Anchor): Frame[] {
  let frames = framesOf(a.stack);
  if (a.what !== undefined && a.what !== '') {
    const i = findFrame(frames, a.what);
    if (i > 0) frames = frames.slice(i);
    if (a.args !== undefined && a.args !== '') frames = withArgs(frames, a.what, a.args);
  }
  return frames;
}

function withArgs(frames: Frame[], fn: string, args: string): Frame[] {
  if (frames.length > 0 && frames[0].fn === fn) return [{ ...frames[0], args }, ...frames.slice(1)];
  return frames;
}

/** First function below `at` that is not coroutine-entry plumbing (who entered the coroutine). */
function enteredFrom(frames: readonly Frame[], at: number): string | null {
  const glue = new Set(['qemu_aio_coroutine_enter', 'qemu_coroutine_enter', 'qemu_coroutine_enter_if_inactive', 'aio_co_enter', 'aio_co_wake']);
  for (let i = at; i < frames.length; i++) if (!glue.has(frames[i].fn)) return frames[i].fn;
  return null;
}

const where = (thread: string, role: string): string => (role === '' || role === thread ? thread : `${thread} (${role})`);

class Walker {
  readonly segments: Segment[] = [];
  note: string | undefined;
  private readonly seen = new Set<number>();
  constructor(private readonly links: LinkSource) {}

  private link(id: number): Link | undefined {
    if (id === 0) return undefined;
    if (this.seen.has(id) || this.seen.size >= MAX_BOUNDARIES) {
      this.note ??= `link ${id} would repeat or exceed ${MAX_BOUNDARIES} boundaries`;
      return undefined;
    }
    const l = this.links.get(id);
    if (l === undefined) this.note ??= `link ${id} is no longer recorded (bounded table) or was never recorded`;
    else this.seen.add(id);
    return l;
  }

  /** A stack with its context (an anchor or a link). */
  stack(frames: Frame[], ctx: { thread: string; role: string; co: number; coLink: number; ctxLink: number; guest?: GuestContext | null }, boundary: Boundary | undefined): void {
    if (ctx.co !== 0) {
      const k = findFrame(frames, 'qemu_aio_coroutine_enter');
      const own = k >= 0 ? frames.slice(0, k) : frames;
      this.segments.push({ boundary, thread: ctx.thread, role: `coroutine ${ctx.co}`, co: ctx.co, frames: own });
      const created = this.link(ctx.coLink);
      if (created !== undefined && created.kind === 'coroutine') {
        const creator = framesOf(created.stack);
        const by = creator.find((f) => f.fn !== 'qemu_coroutine_create')?.fn ?? '??';
        const from = k >= 0 ? enteredFrom(frames, k) : null;
        const resumed = from !== null && from !== by ? `; entered from ${from}` : '';
        const b: Boundary = { kind: 'coroutine', text: `coroutine ${ctx.co} (${created.entry}): created by ${by} on ${where(created.thread, created.role)}${resumed}` };
        this.stack(withArgs(creator, 'qemu_coroutine_create', `entry=${created.entry}, co=${created.newCo}`), created, b);
      } else if (k >= 0) {
        const from = enteredFrom(frames, k) ?? '??';
        this.stack(frames.slice(k), { ...ctx, co: 0, coLink: 0 }, { kind: 'coroutine', text: `coroutine ${ctx.co}: entered from ${from} on ${ctx.thread} (creation not recorded)` });
      }
      return;
    }
    const vcpu = ctx.guest != null && findFrame(frames, 'cpu_exec') >= 0 && findFrame(frames, 'aio_dispatch_handler') < 0;
    this.segments.push({ boundary, thread: ctx.thread, role: vcpu ? `vcpu${ctx.guest!.hart}` : ctx.role, co: 0, frames });
    if (vcpu) {
      this.guest(ctx.guest!, `vcpu${ctx.guest!.hart}`, 'at');
      return;
    }
    const cause = ctx.ctxLink === 0 ? undefined : this.links.get(ctx.ctxLink);
    if (cause === undefined) return;
    if (cause.kind === 'ioeventfd' && findFrame(frames, 'aio_dispatch_handler') >= 0) {
      this.seen.add(cause.id);
      this.ioeventfd(cause);
    } else if (cause.kind === 'completion' && findFrame(frames, 'thread_pool_completion_bh') >= 0) {
      this.seen.add(cause.id);
      this.completion(cause, ctx.thread, ctx.role);
    }
  }

  ioeventfd(l: IoeventfdLink): void {
    const vcpu = l.guest !== null ? `vcpu${l.guest.hart}` : l.role;
    const frames = withArgs(framesOf(l.stack), 'event_notifier_set', `n=${l.notifier}`);
    this.segments.push({
      boundary: { kind: 'ioeventfd', text: `ioeventfd: ${vcpu} on ${l.thread} → ${where(l.pollerThread, l.pollerRole)}: event_notifier_set(${l.notifier})` },
      thread: l.thread,
      role: vcpu,
      co: 0,
      frames,
    });
    if (l.guest !== null) this.guest(l.guest, vcpu, 'store at');
  }

  guest(g: GuestContext, vcpu: string, what: string): void {
    this.segments.push({
      boundary: { kind: 'guest', text: `guest: hart ${g.hart} (${g.priv}-mode) ${what} pc 0x${g.pc.toString(16)}` },
      thread: vcpu,
      role: 'guest',
      co: 0,
      frames: [],
      guest: g,
    });
  }

  completion(l: CompletionLink, thread: string, role: string): void {
    const sub = this.link(l.submit);
    this.segments.push({
      boundary: { kind: 'completion', text: `completion: ${l.worker} → ${where(thread, role)}: req ${l.req} (${l.func}) ret ${l.ret}` },
      thread: l.worker,
      role: l.worker,
      co: 0,
      frames: [],
    });
    if (sub !== undefined && sub.kind === 'submit') this.submit(sub, l.worker);
  }

  submit(l: SubmitLink, worker: string): void {
    const on = l.co !== 0 ? `coroutine ${l.co} on ${where(l.thread, l.role)}` : where(l.thread, l.role);
    const b: Boundary = { kind: 'submit', text: `thread-pool submission: ${on} → ${worker}` };
    this.stack(withArgs(framesOf(l.stack), 'thread_pool_submit_aio', `func="${l.func}", req=${l.req}`), l, b);
  }
}

/** Stitch a backtrace from `anchor` through `links`. */
export function stitch(anchor: Anchor, links: LinkSource): Backtrace {
  const w = new Walker(links);
  const frames = anchorFrames(anchor);
  if (anchor.jobLink !== 0) {
    w.segments.push({ thread: anchor.thread, role: anchor.role, co: 0, frames });
    const sub = links.get(anchor.jobLink);
    if (sub !== undefined && sub.kind === 'submit') w.submit(sub, anchor.thread);
    else w.note = `submission link ${anchor.jobLink} is no longer recorded (bounded table) or was never recorded`;
  } else {
    w.stack(frames, anchor, undefined);
  }
  return w.note === undefined ? { segments: w.segments } : { segments: w.segments, note: w.note };
}
