/**
 * Arming backtraces on a thread that runs AioContexts (the emulator thread: vCPUs and main loop;
 * an iothread): installs the boundary hooks of src/util/trace-hooks.ts (utilBacktraceHooks) that
 * record a link at each `══` of DESIGN.md §1 into this thread's bounded LinkTable, and, while the
 * backtrace_* tracepoints are on, into the recording (record.ts).
 *
 * Armed when asked (armBacktraces(true): a debugger, strace -k) or while any backtrace_*
 * tracepoint is on (updateBacktraceRecording(), called on trace-state changes). Disarmed, every
 * hook is null: each boundary costs its call site one load and one branch.
 *
 * Armed, per boundary (stack capture ≈ 3 µs; nothing is formatted until printed or recorded):
 *   event_notifier_set       capture the setter's stack and the guest context (hart, pc, callers)
 *                            for the notifier, kept until the notifier is dispatched;
 *   aio_dispatch_handler     the notifier's pending capture becomes an ioeventfd link; it is the
 *                            context of whatever the handler does (ctxLink);
 *   qemu_coroutine_create    a coroutine link (the creator's stack) → co.bt_link;
 *   thread_pool_submit_aio   a submit link (the coroutine's stack) → req.bt_link → the worker;
 *   thread_pool_completion_bh  a completion link (parent: the submission) as the callback's context.
 * Pool workers get worker.ts (threadPoolAddModule: pools created after arming), which tracks the
 * job's submit link and gives syscall records their stack.
 *
 * Contract: per thread; the hooks never throw into the I/O path (a failing capture records nothing).
 */
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { utilBacktraceHooks } from '../../util/trace-hooks';
import { qemu_coroutine_self } from '../../util/coroutine';
import { qemu_get_current_aio_context, type AioContext, type AioHandler } from '../../util/aio-context';
import type { EventNotifier } from '../../util/event-notifier';
import type { ThreadPool, ThreadPoolElement } from '../../util/thread-pool';
import { threadPoolAddModule } from '../../util/thread-pool';
import { poolWorkerSelf } from '../../util/thread-pool-funcs';
import type { Coroutine } from '../../util/coroutine';
import { recorderState, type SyscallRecord } from '../../host/record';
import { threadName } from '../../host/thread-id';
import { captureHere, type RawStack } from './frames';
import { guestContextOf, type GuestCpu } from './guest';
import { LinkTable, newLinkId, type GuestContext, type Link } from './links';
import { backtraceRecordingOn, recordAnchor, recordLink } from './record';
import { syscallArgs } from './syscall-args';
import type { Anchor } from './stitch';

export interface ArmOptions {
  /** This thread's name in backtraces (default `emulator thread`, or `main thread` on the main thread). */
  thread?: string;
  /** Links kept for live stops (default 2048; only while armed, not for recording alone). */
  capacity?: number;
}

interface PendingSet {
  stack: RawStack;
  guest: GuestContext | null;
  ns: bigint;
}

const state = {
  armed: false,
  recording: false,
  installed: false,
  /** Set by armBacktraces({thread}); null: derived from the thread's name (threadLabel). */
  thread: null as string | null,
  table: new LinkTable(),
  pending: new Map<number, PendingSet>(),
  /** The dispatch or completion most recently begun on this thread (checked against frames when stitching). */
  ctxLink: 0,
  guestCpu: null as (() => GuestCpu | null) | null,
};

/**
 * This thread's name in backtraces: the one given to armBacktraces, else from its vtrace name
 * (`emulator` → `emulator thread`, `iothread-io0` as is); an unnamed worker_thread is the emulator
 * thread (the only other thread that runs AioContexts), the main thread `main thread`.
 */
function threadLabel(): string {
  if (state.thread !== null) return state.thread;
  const n = threadName();
  if (n === 'emulator') return 'emulator thread';
  if (n === 'main' || isMainThread) return 'main thread';
  return /^worker-\d+$/.test(n) ? 'emulator thread' : n;
}

/** `main-loop` for the main loop's contexts, the context's name otherwise (an iothread's). */
export function roleOfContext(ctx: AioContext | null): string {
  if (ctx === null) return '';
  return ctx.name === 'main' || ctx.name === 'iohandler' ? 'main-loop' : ctx.name;
}

/** Keep `link` for live stitching (while armed) and record it (while the tracepoints are on). */
function add(link: Link): void {
  if (state.armed) state.table.add(link);
  if (state.recording) {
    try {
      recordLink(link);
    } catch {
      // a recording problem must not reach the I/O path
    }
  }
}

function guestNow(): GuestContext | null {
  const p = state.guestCpu;
  if (p === null) return null;
  try {
    const cpu = p();
    return cpu === null ? null : guestContextOf(cpu);
  } catch {
    return null;
  }
}

function onNotifierSet(n: EventNotifier): void {
  try {
    if (n.slot < 0) return;
    state.pending.set(n.slot, { stack: captureHere(onNotifierSet), guest: guestNow(), ns: process.hrtime.bigint() });
  } catch {
    // never disturb the vCPU's store
  }
}

function onDispatch(ctx: AioContext, node: AioHandler): void {
  const p = node.notifierSlot >= 0 ? state.pending.get(node.notifierSlot) : undefined;
  if (p === undefined || node.opaque === ctx.notifier) {
    state.ctxLink = 0;
    return;
  }
  state.pending.delete(node.notifierSlot);
  const n = node.notifier;
  const link: Link = {
    kind: 'ioeventfd',
    id: newLinkId(),
    thread: threadLabel(),
    role: p.guest !== null ? `vcpu${p.guest.hart}` : 'vcpu',
    ns: p.ns,
    stack: p.stack,
    co: 0,
    coLink: 0,
    ctxLink: 0,
    notifier: n !== null && n.name !== '' ? n.name : `fd ${node.fd}`,
    guest: p.guest,
    pollerThread: threadLabel(),
    pollerRole: roleOfContext(ctx),
  };
  state.ctxLink = link.id;
  add(link);
}

function onCoroutineCreate(co: Coroutine): void {
  try {
    const self = qemu_coroutine_self();
    const link: Link = {
      kind: 'coroutine',
      id: newLinkId(),
      thread: threadLabel(),
      role: roleOfContext(self.id !== 0 ? self.ctx : qemu_get_current_aio_context()),
      ns: process.hrtime.bigint(),
      stack: captureHere(onCoroutineCreate),
      co: self.id,
      coLink: self.bt_link,
      ctxLink: state.ctxLink,
      newCo: co.id,
      entry: co.name,
    };
    co.bt_link = link.id;
    add(link);
  } catch {
    // no link: the backtrace will say so
  }
}

function onSubmit(pool: ThreadPool, req: ThreadPoolElement): void {
  try {
    const self = qemu_coroutine_self();
    const link: Link = {
      kind: 'submit',
      id: newLinkId(),
      thread: threadLabel(),
      role: roleOfContext(pool.ctx),
      ns: process.hrtime.bigint(),
      stack: captureHere(onSubmit),
      co: self.id,
      coLink: self.bt_link,
      ctxLink: state.ctxLink,
      req: req.id,
      func: req.func,
    };
    req.bt_link = link.id;
    add(link);
  } catch {
    // the job runs without a link
  }
}

function onComplete(pool: ThreadPool, req: ThreadPoolElement): void {
  const link: Link = {
    kind: 'completion',
    id: newLinkId(),
    thread: threadLabel(),
    role: roleOfContext(pool.ctx),
    ns: process.hrtime.bigint(),
    stack: null,
    co: 0,
    coLink: 0,
    ctxLink: 0,
    req: req.id,
    func: req.func,
    worker: req.worker ?? 'a worker',
    ret: req.ret,
    submit: req.bt_link,
  };
  state.ctxLink = link.id;
  add(link);
}

/** The anchor for a stack captured on this thread now (its coroutine and dispatch context). */
export function anchorOf(stack: RawStack, what?: string, args?: string): Anchor {
  const self = qemu_coroutine_self();
  const ctx = self.id !== 0 ? self.ctx : qemu_get_current_aio_context();
  const a: Anchor = { thread: threadLabel(), role: roleOfContext(ctx), stack, co: self.id, coLink: self.bt_link, ctxLink: state.ctxLink, jobLink: 0, guest: guestNow() };
  if (what !== undefined) a.what = what;
  if (args !== undefined) a.args = args;
  return a;
}

/** recorderState.backtrace on this thread: every syscall record gets its anchor. */
function syscallAnchor(rec: SyscallRecord): Anchor | undefined {
  try {
    const a = anchorOf(captureHere(syscallAnchor), rec.name, syscallArgs(rec));
    if (state.recording) recordAnchor(a);
    return a;
  } catch {
    return undefined;
  }
}

const WORKER_MODULE = path.join(__dirname, `worker${path.extname(__filename)}`);

function apply(): void {
  if (poolWorkerSelf() !== null) return; // pool workers have worker.ts instead
  const on = state.armed || state.recording;
  if (on === state.installed) return;
  const h = utilBacktraceHooks;
  h.event_notifier_set = on ? onNotifierSet : null;
  h.aio_dispatch_handler = on ? onDispatch : null;
  h.qemu_coroutine_create = on ? onCoroutineCreate : null;
  h.thread_pool_submit_aio = on ? onSubmit : null;
  h.thread_pool_complete = on ? onComplete : null;
  recorderState.backtrace = on ? syscallAnchor : null;
  if (on) threadPoolAddModule(WORKER_MODULE);
  else {
    state.pending.clear();
    state.ctxLink = 0;
  }
  state.installed = on;
}

/**
 * armBacktraces: record links on this thread from now on (true) or stop (false; links kept until
 * cleared). Arm before the first block I/O so the thread pool's workers load worker.ts.
 */
export function armBacktraces(on: boolean, opts: ArmOptions = {}): void {
  if (opts.thread !== undefined) state.thread = opts.thread;
  if (opts.capacity !== undefined) state.table.capacity = opts.capacity;
  state.armed = on;
  apply();
}

/**
 * Follow the backtrace_* tracepoints (call after the enabled set changed on this thread; tracing's
 * setup does). No-op on pool workers, where worker.ts does the job.
 */
export function updateBacktraceRecording(): void {
  state.recording = backtraceRecordingOn();
  apply();
}

export function backtracesArmed(): boolean {
  return state.installed;
}

/** This thread's link table (live stops stitch through it). */
export function backtraceLinks(): LinkTable {
  return state.table;
}

/** This thread's name in backtraces. */
export function backtraceThreadName(): string {
  return threadLabel();
}

/**
 * Where the guest context of an ioeventfd comes from: the hart that is executing (QEMU's
 * current_cpu). The machine's owner sets it; null: links carry no guest frames.
 */
export function setGuestCpuProvider(p: (() => GuestCpu | null) | null): void {
  state.guestCpu = p;
}

/** Forget every link and pending capture (tests). */
export function clearBacktraceLinks(): void {
  state.table.clear();
  state.pending.clear();
  state.ctxLink = 0;
}
