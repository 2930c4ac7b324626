/**
 * The debug console's agent inside an iothread (loaded into every iothread with the dataplane
 * module: machine-setup.ts). Drives served by a dataplane device live here, in this thread's heap,
 * so the console (emulator thread, iothread-agents.ts) reaches them through this agent:
 *
 *   resolve {path}        a state path (`hd0.file.fd`, `hd0`, `/nodes/NAME`) resolved in this
 *                         thread's state tree; a primitive comes back as itself, an object printed
 *   watch {specs}         the console's watchpoints on this thread's state: real Watchpoints here
 *                         (taps, pending until the drive appears, conditions evaluated here)
 *   breaks {specs}        the console's tracepoint breakpoints (`break virtio_blk_handle_read`):
 *                         the same TraceBreaks as the console's, over this thread's tracepoints
 *                         (a dataplane device's request path runs here); conditions evaluated here
 *   info_block {id, attached}   `info block` lines of this thread's drives
 *   threads               this thread's pool workers, for `info threads`
 *   format / ptype {handle}, members {handle, word}   an object of this thread the console holds
 *                         (iothread-agent-tree.ts: objects cross as handles, read live)
 *   acct_start            count this thread's block requests (acct.ts: BlockAccounting over this
 *                         thread's virtio-blk tracepoints); blockstats {id} its `info blockstats` line
 *
 * Pause (docs/stops.md): while the console is stopped, PAUSE is set and the doorbell notifier
 * wakes this thread's aio_poll; its handler does not return until PAUSE clears, so no handler,
 * bottom half, timer or completion of this AioContext runs meanwhile (no new virtqueue work, no
 * completion pushed to the used ring). Requests are still answered while paused.
 *
 * A watchpoint hit blocks this thread right after the write (or before the read returns), a
 * tracepoint breakpoint inside the tracepoint's emission; either writes the report, sets the
 * console's hit notifier and waits for RESUME, answering requests meanwhile. The stop's convenience
 * variables cross encoded: a tracepoint's `void *` argument as the object it names here ($vdev,
 * $container: pointers.ts over this thread's devices and context), as a handle.
 *
 * Contract: iothread only; every entry runs on this thread (the attach call as a oneshot BH of its
 * context, the rest from the doorbell handler or from inside a pause or a hit).
 */
import * as path from 'node:path';
import { getEnvironmentData } from 'node:worker_threads';
import { threadPoolAddModule } from '../util/thread-pool';
import { aio_set_event_notifier, type AioContext } from '../util/aio-context';
import { registerAioWaitFunction } from '../util/aio-wait';
import { event_notifier_set, event_notifier_test_and_clear, openSharedEventNotifier, type EventNotifier } from '../util/event-notifier';
import { threadPoolStats } from '../util/thread-pool';
import { bdrv_all_states } from '../block/block';
import { gettid } from '../host/thread-id';
import type { MachineOptions } from '../cli/qemu-options';
import {
  DOORBELL,
  DONE,
  HIT,
  PAUSE,
  PAUSED,
  REPLY_OK,
  RESUME,
  WAKE,
  readRequest,
  writeHit,
  writeReply,
  type AgentAttachArg,
  type AgentBreakSpec,
  type AgentValue,
  type AgentWatchSpec,
  type AgentWatchState,
} from './agent-shared';
import { CATCH_ENV_KEY } from './catch-shared';
import { BlockAccounting } from './acct';
import { ExprError, type Value } from './expr';
import { infoBlock } from './info';
import { AgentTree } from './iothread-agent-tree';
import { onNodeOpen, wantNodeOpenEvents } from './lifecycle';
import { Points } from './points';
import { objectAt } from './pointers';
import { TraceBreakpoint, TraceBreaks } from './trace-break';
import type { StopRequest, Stopper } from './stop';
import { quietly } from './taps';
import { installFramePrinter } from './frame-printer';
import { onDataPlaneStart } from '../hw/block/dataplane/virtio-blk-iothread';
import { Watchpoint, WatchError } from './watch';

interface Agent {
  id: string;
  w: Int32Array;
  sab: SharedArrayBuffer;
  hit: EventNotifier;
  tree: AgentTree;
  points: Points;
  watches: Map<number, { spec: AgentWatchSpec; w: Watchpoint }>;
  /** Tracepoint breakpoints of the console, as points of this thread's TraceBreaks. */
  breaks: Map<number, { spec: AgentBreakSpec; p: TraceBreakpoint }>;
  traceBreaks: TraceBreaks | null;
  acct: BlockAccounting | null;
  seen: number;
  inHit: boolean;
}

let agent: Agent | null = null;

function lookup(a: Agent, p: string): Value {
  const r = a.tree.resolve(p);
  if (!r.ok) throw new ExprError(r.error);
  return r.value as Value;
}

/** The agent's side of a hit: report it and block until the console resumes. */
function stopper(a: Agent): Stopper {
  return {
    stop(req: StopRequest): void {
      if (a.inHit) return; // a hit from inside a hit (the console's own requests are quiet)
      const num = req.point?.num ?? 0;
      a.inHit = true;
      try {
        const vars = [...(req.vars ?? [])].map(([k, v]): [string, AgentValue] => [k, a.tree.encode(v)]);
        writeHit(a.sab, { num, header: req.header, frames: req.frames, thread: `iothread-${a.id}`, tid: gettid(), vars });
        const seq = Atomics.load(a.w, RESUME);
        Atomics.store(a.w, HIT, 1);
        event_notifier_set(a.hit);
        const was = Atomics.load(a.w, PAUSED);
        Atomics.store(a.w, PAUSED, 1);
        Atomics.notify(a.w, PAUSED);
        blockWhile(a, () => Atomics.load(a.w, RESUME) === seq);
        Atomics.store(a.w, PAUSED, was);
      } finally {
        a.inHit = false;
      }
      // A stop ended; the console may have paused us meanwhile (another stop): honour it.
      pauseIfAsked(a);
    },
  };
}

/** Answer requests until `cond` is false (a pause, a hit). */
function blockWhile(a: Agent, cond: () => boolean): void {
  for (;;) {
    const wake = Atomics.load(a.w, WAKE);
    service(a);
    if (!cond()) return;
    Atomics.wait(a.w, WAKE, wake, 200);
  }
}

function pauseIfAsked(a: Agent): void {
  if (Atomics.load(a.w, PAUSE) !== 1 || a.inHit) return;
  Atomics.store(a.w, PAUSED, 1);
  Atomics.notify(a.w, PAUSED);
  try {
    blockWhile(a, () => Atomics.load(a.w, PAUSE) === 1);
  } finally {
    Atomics.store(a.w, PAUSED, 0);
    Atomics.notify(a.w, PAUSED);
  }
}

/** Answer the request in the mailbox, if there is a new one. */
function service(a: Agent): void {
  const seq = Atomics.load(a.w, DOORBELL);
  if (seq === a.seen) return;
  a.seen = seq;
  let ok = 1;
  let result: unknown;
  try {
    const { name, arg } = readRequest(a.sab);
    result = handle(a, name, arg);
  } catch (e) {
    ok = 0;
    result = e instanceof Error ? e.message : String(e);
  }
  try {
    writeReply(a.sab, result);
  } catch (e) {
    ok = 0;
    writeReply(a.sab, `reply not serializable: ${e instanceof Error ? e.message : String(e)}`);
  }
  Atomics.store(a.w, REPLY_OK, ok);
  Atomics.store(a.w, DONE, seq);
  Atomics.notify(a.w, DONE);
}

function handle(a: Agent, name: string, arg: unknown): unknown {
  switch (name) {
    case 'resolve':
      return quietly(() => a.tree.resolveValue((arg as { path: string }).path));
    case 'format':
      return a.tree.format((arg as { handle: number }).handle);
    case 'ptype':
      return a.tree.ptype((arg as { handle: number }).handle);
    case 'members': {
      const { handle, word } = arg as { handle: number; word: string };
      return a.tree.members(handle, word);
    }
    case 'acct_start':
      accounting(a).start();
      return true;
    case 'blockstats':
      return quietly(() => accounting(a).lineOf((arg as { id: string }).id)) ?? null;
    case 'watch':
      return syncWatches(a, (arg as { specs: AgentWatchSpec[] }).specs);
    case 'refresh':
      return refreshWatches(a);
    case 'breaks':
      return syncBreaks(a, (arg as { specs: AgentBreakSpec[] }).specs);
    case 'info_block': {
      const { id, attached } = arg as { id?: string; attached: Record<string, string> };
      const tree = a.tree;
      const own = tree.deviceOf.bind(tree);
      // The path also before the guest started the device (it is found then: iothread-agent-tree.ts).
      tree.deviceOf = (blk) => {
        const path = tree.pathOf(blk.name) ?? attached[blk.name];
        return own(blk) ?? (path !== undefined ? { path, vdev: blk } : undefined);
      };
      try {
        return infoBlock(tree, id);
      } finally {
        tree.deviceOf = own;
      }
    }
    case 'drives':
      return a.tree.drives().map((b) => b.name);
    case 'nodes':
      return bdrv_all_states().map((b) => b.node_name);
    case 'threads': {
      const pools = new Set(bdrv_all_states().map((b) => b.aio_context.thread_pool));
      const out: Array<{ name: string; tid: number; status: string; current: number | null }> = [];
      for (const pool of pools) {
        if (pool === null) continue;
        for (const w of threadPoolStats(pool).workers) out.push({ name: w.name, tid: w.tid, status: w.status, current: w.current ?? null });
      }
      return out;
    }
    default:
      throw new Error(`debug agent: unknown request '${name}'`);
  }
}

function syncWatches(a: Agent, specs: AgentWatchSpec[]): AgentWatchState[] {
  const want = new Map(specs.map((s) => [s.num, s]));
  for (const [num, e] of a.watches) {
    const s = want.get(num);
    if (s === undefined || s.expr !== e.spec.expr || s.mode !== e.spec.mode || s.cond !== e.spec.cond) {
      e.w.disarm();
      a.watches.delete(num);
    }
  }
  const errors = new Map<number, string>();
  for (const s of specs) {
    if (a.watches.has(s.num)) continue;
    try {
      Watchpoint.validate(a.tree, s.mode, s.expr);
      const w = new Watchpoint(s.mode, s.expr, a.tree, a.points, stopper(a), (p) => lookup(a, p));
      w.num = s.num;
      if (s.cond !== null) a.points.setCondition(w, s.cond);
      w.arm();
      a.watches.set(s.num, { spec: s, w });
    } catch (e) {
      if (!(e instanceof WatchError) && !(e instanceof ExprError) && !(e instanceof Error)) throw e;
      errors.set(s.num, e.message);
    }
  }
  const states = refreshWatches(a);
  return specs.map((s) => states.find((x) => x.num === s.num) ?? { num: s.num, pending: null, error: errors.get(s.num) ?? 'not set' });
}

/** The console's tracepoint breakpoints, here: a TraceBreakpoint per spec (its number is the console's). */
function syncBreaks(a: Agent, specs: AgentBreakSpec[]): Array<{ num: number; error: string | null }> {
  const tb = traceBreaks(a);
  // next-event: armed while the console's list carries it (it fires once; the console disarms the rest).
  const step = specs.find((s) => s.step === true);
  if (step === undefined) tb.cancelStep();
  else if (tb.steppingTo !== step.tracepoint) tb.stepEvent(step.tracepoint);
  specs = specs.filter((s) => s.step !== true);
  const want = new Map(specs.map((s) => [s.num, s]));
  for (const [num, e] of a.breaks) {
    const s = want.get(num);
    if (s === undefined || s.tracepoint !== e.spec.tracepoint || s.cond !== e.spec.cond || s.temporary !== e.spec.temporary) {
      a.points.delete(e.p);
      a.breaks.delete(num);
    }
  }
  const out: Array<{ num: number; error: string | null }> = [];
  for (const s of specs) {
    if (a.breaks.has(s.num)) {
      out.push({ num: s.num, error: null });
      continue;
    }
    const p = new TraceBreakpoint(s.tracepoint, tb);
    p.temporary = s.temporary;
    try {
      a.points.setCondition(p, s.cond);
    } catch (e) {
      out.push({ num: s.num, error: e instanceof Error ? e.message : String(e) });
      continue;
    }
    a.points.add(p);
    p.num = s.num; // the console's number: hits are reported by it
    a.breaks.set(s.num, { spec: s, p });
    out.push({ num: s.num, error: null });
  }
  return out;
}

/** This thread's TraceBreaks (breakpoints, next-event, and the tracepoints block accounting reads). */
function traceBreaks(a: Agent): TraceBreaks {
  return (a.traceBreaks ??= new TraceBreaks(a.points, stopper(a), (p) => lookup(a, p), (v) => objectAt(a.tree, v, () => a.tree.contexts())));
}

function accounting(a: Agent): BlockAccounting {
  return (a.acct ??= new BlockAccounting(a.tree, traceBreaks(a), false));
}

function refreshWatches(a: Agent): AgentWatchState[] {
  let pending = false;
  const out: AgentWatchState[] = [];
  for (const [num, e] of a.watches) {
    if (e.w.pending !== null) e.w.refresh();
    if (e.w.pending !== null) pending = true;
    out.push({ num, pending: e.w.pending, error: null });
  }
  wantNodeOpenEvents(pending);
  return out;
}

/** 'debug_agent_attach': the console has the iothread; start answering it. */
function debug_agent_attach(arg: AgentAttachArg, ctx: AioContext): { tid: number } {
  const options = { drives: arg.drives, devices: [], iothreads: [] } as unknown as MachineOptions;
  const a: Agent = {
    id: arg.id,
    sab: arg.sab,
    w: new Int32Array(arg.sab),
    hit: openSharedEventNotifier(arg.hit),
    tree: new AgentTree(options, ctx, arg.devices),
    points: new Points(),
    watches: new Map(),
    breaks: new Map(),
    traceBreaks: null,
    acct: null,
    seen: 0,
    inHit: false,
  };
  agent = a;
  const doorbell = openSharedEventNotifier(arg.doorbell);
  aio_set_event_notifier(ctx, doorbell, function debug_agent_doorbell(n) {
    event_notifier_test_and_clear(n);
    service(a);
    pauseIfAsked(a);
  });
  onNodeOpen(() => {
    if (a.watches.size > 0) refreshWatches(a);
  });
  // A watch on the device (`watch hd0.dev.inflight` before `run`) arms when the guest starts it.
  onDataPlaneStart(() => {
    if (a.watches.size > 0) refreshWatches(a);
  });
  // `bt`/`frame` at a stop in this thread show live arguments as the console prints values.
  installFramePrinter();
  return { tid: gettid() };
}

registerAioWaitFunction('debug_agent_attach', debug_agent_attach);

// `catch syscall` on this iothread's pool workers: its pools load the same catcher as the main
// loop's (the catch state came with the environment data of the emulator thread).
if (getEnvironmentData(CATCH_ENV_KEY) !== undefined) threadPoolAddModule(path.join(__dirname, `catch-worker${path.extname(__filename)}`));

/** The agent of this thread (tests). */
export function iothreadAgentActive(): boolean {
  return agent !== null;
}
