/**
 * Links and anchors into recordings: the backtrace_* tracepoints of traces/backtrace.trace-events.
 * A link is emitted when it is made, its stack first (backtrace_stack, once per distinct stack per
 * thread: stacks repeat for every request of the same kind), so a .vtr or a log carries everything
 * offline stitching (offline.ts) needs. Frames are mapped to src/ at this point, once per distinct
 * stack, so a recording reads the same after the code is rebuilt.
 *
 * Contract: per thread; emits only while the tracepoints are on (`backtraceRecordingOn()`);
 * never throws (a frame that cannot be resolved is skipped).
 */
import * as t from '../generated/tracepoints';
import { framesToText, type Frame } from './frame';
import { guestToText } from './guest';
import { newLinkId, type Link, type LinkStack } from './links';
import { anchorFrames, framesOf, type Anchor } from './stitch';

const interned = new Map<string, number>();
const INTERN_MAX = 16384;

/** Are the link tracepoints on (this thread)? */
export function backtraceRecordingOn(): boolean {
  return t.backtrace_link_ioeventfd.on || t.backtrace_link_coroutine.on || t.backtrace_link_submit.on || t.backtrace_link_completion.on || t.backtrace_here.on;
}

/** The id of `frames` in this thread's recording, emitting backtrace_stack the first time. 0: no stack. */
export function recordFrames(frames: readonly Frame[]): number {
  if (frames.length === 0) return 0;
  const text = framesToText(frames);
  let id = interned.get(text);
  if (id === undefined) {
    if (interned.size >= INTERN_MAX) interned.clear(); // re-emitted on next use: still correct
    id = newLinkId();
    interned.set(text, id);
    if (t.backtrace_stack.on) t.backtrace_stack.emit(id, text);
  }
  return id;
}

function stackId(stack: LinkStack): number {
  try {
    return recordFrames(framesOf(stack));
  } catch {
    return 0;
  }
}

/** Emit `link` (and its stack) if its tracepoint is on. */
export function recordLink(link: Link): void {
  switch (link.kind) {
    case 'ioeventfd':
      if (t.backtrace_link_ioeventfd.on) {
        const vcpu = link.guest !== null ? `vcpu${link.guest.hart}` : link.role;
        const poller = link.pollerRole !== '' && link.pollerRole !== link.pollerThread ? `${link.pollerThread} (${link.pollerRole})` : link.pollerThread;
        t.backtrace_link_ioeventfd.emit(link.id, link.notifier, link.thread, vcpu, guestToText(link.guest), poller, stackId(link.stack));
      }
      break;
    case 'coroutine':
      if (t.backtrace_link_coroutine.on) {
        t.backtrace_link_coroutine.emitCorr({ co: link.newCo }, link.id, link.newCo, link.entry, link.thread, link.role, link.co, link.coLink, link.ctxLink, stackId(link.stack));
      }
      break;
    case 'submit':
      if (t.backtrace_link_submit.on) {
        t.backtrace_link_submit.emitCorr({ job: link.req }, link.id, link.req, link.func, link.thread, link.role, link.co, link.coLink, link.ctxLink, stackId(link.stack));
      }
      break;
    case 'completion':
      if (t.backtrace_link_completion.on) {
        t.backtrace_link_completion.emitCorr({ job: link.req }, link.id, link.req, link.func, link.worker, link.ret, link.submit, link.thread, link.role);
      }
      break;
  }
}

/** Emit an anchor (backtrace_here) if on; returns its stack id (0 if not emitted). */
export function recordAnchor(a: Anchor): number {
  if (!t.backtrace_here.on) return 0;
  let id = 0;
  try {
    id = recordFrames(anchorFrames(a));
  } catch {
    id = 0;
  }
  t.backtrace_here.emit(a.what ?? '', a.args ?? '', a.thread, a.role, a.jobLink, a.co, a.coLink, a.ctxLink, id);
  return id;
}
