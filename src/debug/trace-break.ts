/**
 * Breakpoints on tracepoints — `break TRACEPOINT [if COND]`, `tbreak TRACEPOINT` — and `next-event
 * [PATTERN]` (run until the next tracepoint fires, then stop). A tracepoint is a stage of the I/O
 * path (DESIGN.md §1), so `break virtio_blk_handle_read if sector == 0` stops where QEMU's gdb user
 * would put `break virtio_blk_handle_read`.
 *
 *   Breakpoint 2, container_of (member_type="EventNotifier", member=0x14000001, ...)
 *   #0  virtio_queue_host_notifier_read (...) at src/hw/virtio/virtio.ts:255
 *
 * The stop happens inside the tracepoint's emission, synchronously, before the traced step goes on.
 * Arguments are the condition's names and become convenience variables ($sector, $member); `void *`
 * arguments that name an object the state tree reaches ($member, $container, $vdev) are that object.
 *
 * Mechanism: the console turns the tracepoint on (and asks the trace attach layer to install its
 * hooks) and adds a trace sink on the emulator thread; when the last breakpoint on it goes, it turns
 * it off again unless -trace had it on. Iothreads (a dataplane device's request path runs there)
 * get the same breakpoints: `remoteSync` pushes them to each iothread's debug agent, which runs a
 * TraceBreaks of its own over that thread's tracepoints and reports a hit to the console (the
 * iothread blocks in the emission, the emulator thread stops at its next main-loop dispatch;
 * docs/stops.md). Events emitted on pool workers (syscall_*, worker_thread_*) are not breakable:
 * use `catch syscall` for those. `next-event` is armed in the iothreads too: whichever thread emits
 * a matching event first stops, and the others are disarmed.
 *
 * Contract: emulator thread.
 */
import { allTracepoints } from '../trace/generated/tracepoints';
import { addTraceSink, type AnyTracepoint, type TraceEvent } from '../trace/tracepoint';
import { applyTraceSpecs, globMatch, onTraceStateChange } from '../trace/control';
import { installUtilHooks } from '../trace/attach-util';
import { installVirtioHooks } from '../trace/attach-virtio';
import { installBlockHooks } from '../trace/attach-block';
import { formatLogLine } from '../trace/log-backend';
import type { Value } from './expr';
import { captureFrames } from './frames';
import { Point, type Points, type PointType } from './points';
import type { Stopper } from './stop';
import { hex } from './values';

/** Events seen only on other threads (not breakable here). */
const OTHER_THREADS = /^(syscall_|worker_thread_job_)/;

export function findTracepoint(name: string): AnyTracepoint | undefined {
  return (allTracepoints as readonly AnyTracepoint[]).find((t) => t.name === name);
}

export function breakableTracepoints(): string[] {
  return (allTracepoints as readonly AnyTracepoint[]).map((t) => t.name).filter((n) => !OTHER_THREADS.test(n));
}

/** `name (a=1, b="x", p=0x14000001)` with the catalog's argument names and types. */
export function eventCallText(tp: AnyTracepoint, args: readonly unknown[]): string {
  const parts = tp.info.argNames.map((n, i) => {
    const v = args[i];
    const t = tp.info.argTypes[i] ?? '';
    let s: string;
    if (v === null || v === undefined) s = t.includes('*') && !t.includes('char') ? '0x0' : String(v);
    else if (typeof v === 'string') s = JSON.stringify(v);
    else if (typeof v === 'boolean') s = v ? 'true' : 'false';
    else if (t.includes('*')) s = hex(v as number | bigint);
    else s = String(v);
    return `${n}=${s}`;
  });
  return `${tp.name} (${parts.join(', ')})`;
}

export class TraceBreakpoint extends Point {
  readonly type: PointType = 'breakpoint';
  constructor(
    readonly tracepoint: string,
    private readonly breaks: TraceBreaks,
  ) {
    super();
  }
  title(): string {
    return `${this.temporary ? 'Temporary breakpoint' : 'Breakpoint'} ${this.num} at tracepoint ${this.tracepoint} (${findTracepoint(this.tracepoint)?.info.file ?? '?'})`;
  }
  what(): string {
    return `tracepoint ${this.tracepoint}`;
  }
  arm(): void {
    this.breaks.update();
  }
  disarm(): void {
    this.breaks.update();
  }
  override changed(): void {
    if (this.enabled) this.breaks.update();
  }
}

let attachHooked = false;

/** Install the tracepoints' hooks for whatever is on now (the attach layer of src/trace). */
function attachTraceHooks(): void {
  for (const install of [installUtilHooks, installVirtioHooks, installBlockHooks]) {
    try {
      install();
    } catch (e) {
      process.emitWarning(`vtrace debug: attaching tracepoints (${install.name}) failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

export class TraceBreaks {
  /** Tracepoints this console turned on (so it turns them off again). */
  private readonly ours = new Set<AnyTracepoint>();
  private removeSink: (() => void) | null = null;
  /** next-event: stop at the next event matching this pattern. */
  private stepPattern: string | null = null;
  /** Tracepoints other console features need on (block accounting). */
  private readonly required = new Set<AnyTracepoint>();
  /** Called after every change of the breakpoints: the console pushes them to the iothreads' agents. */
  remoteSync: (() => void) | null = null;

  constructor(
    private readonly points: Points,
    private readonly stopper: Stopper,
    private readonly lookup: (name: string) => Value,
    /** Objects behind `void *` ids, for convenience variables. */
    private readonly objectAt: (v: number | bigint) => object | undefined,
  ) {}

  /** Keep these tracepoints on for the console's lifetime (its own sinks read them). */
  require(names: readonly string[]): void {
    for (const n of names) {
      const tp = findTracepoint(n);
      if (tp !== undefined) this.required.add(tp);
    }
    this.update();
  }

  private wanted(): Set<AnyTracepoint> {
    const set = new Set<AnyTracepoint>(this.required);
    for (const p of this.points.all()) {
      if (p instanceof TraceBreakpoint && p.enabled) {
        const tp = findTracepoint(p.tracepoint);
        if (tp !== undefined) set.add(tp);
      }
    }
    if (this.stepPattern !== null) {
      for (const tp of allTracepoints as readonly AnyTracepoint[]) if (!OTHER_THREADS.test(tp.name) && globMatch(this.stepPattern, tp.name)) set.add(tp);
    }
    return set;
  }

  /** Make the enabled set match the breakpoints (and next-event). */
  update(): void {
    if (!attachHooked) {
      onTraceStateChange(attachTraceHooks);
      attachHooked = true;
    }
    const want = this.wanted();
    for (const tp of want) {
      if (!tp.on) {
        tp.on = true;
        this.ours.add(tp);
      }
    }
    for (const tp of [...this.ours]) {
      if (!want.has(tp)) {
        tp.on = false;
        this.ours.delete(tp);
      }
    }
    applyTraceSpecs([]); // no change of specs: runs the listeners, which (un)install hooks
    if (want.size > 0 && this.removeSink === null) this.removeSink = addTraceSink((ev, tp) => this.event(ev, tp));
    if (want.size === 0 && this.removeSink !== null) {
      this.removeSink();
      this.removeSink = null;
    }
    this.remoteSync?.();
  }

  /** next-event: arm the one-shot stop (the caller resumes). */
  stepEvent(pattern: string): void {
    this.stepPattern = pattern;
    this.update();
  }

  /** The armed next-event pattern, or null (pushed to the iothreads' agents with the breakpoints). */
  get steppingTo(): string | null {
    return this.stepPattern;
  }

  /** Disarm next-event (it fired on another thread). */
  cancelStep(): void {
    if (this.stepPattern === null) return;
    this.stepPattern = null;
    this.update();
  }

  private vars(tp: AnyTracepoint, args: readonly unknown[]): Map<string, unknown> {
    const m = new Map<string, unknown>();
    tp.info.argNames.forEach((n, i) => {
      const v = args[i];
      const isPtr = (tp.info.argTypes[i] ?? '').includes('*') && !(tp.info.argTypes[i] ?? '').includes('char');
      const obj = isPtr && (typeof v === 'number' || typeof v === 'bigint') ? this.objectAt(v) : undefined;
      m.set(`$${n}`, obj ?? v);
    });
    return m;
  }

  private event(ev: TraceEvent, tp: AnyTracepoint): void {
    if (this.stepPattern !== null && globMatch(this.stepPattern, tp.name) && !OTHER_THREADS.test(tp.name)) {
      this.stepPattern = null;
      this.update();
      const frames = captureFrames();
      this.stopper.stop({ header: `\n${formatLogLine(ev, tp, false)}`, frames, vars: this.vars(tp, ev.args) });
      return;
    }
    const args = ev.args;
    const locals = new Map<string, unknown>(tp.info.argNames.map((n, i) => [n, args[i]]));
    const lookup = (p: string): Value => (locals.has(p) ? (locals.get(p) as Value) : this.lookup(p));
    let first: { p: TraceBreakpoint; condError?: string } | null = null;
    for (const p of this.points.all()) {
      if (!(p instanceof TraceBreakpoint) || p.tracepoint !== tp.name) continue;
      const c = this.points.check(p, lookup);
      if (c.stop && first === null) first = { p, condError: c.condError };
    }
    if (first === null) return;
    const p = first.p;
    const head = `\n${p.temporary ? 'Temporary breakpoint' : 'Breakpoint'} ${p.num}, ${eventCallText(tp, args)}`;
    this.stopper.stop({ header: first.condError !== undefined ? `${first.condError}\n${head}` : head, frames: captureFrames(), point: p, vars: this.vars(tp, args) });
  }

  /** Turn off what this console turned on (it is going away). */
  release(): void {
    this.stepPattern = null;
    this.required.clear();
    for (const tp of this.ours) tp.on = false;
    this.ours.clear();
    applyTraceSpecs([]);
    this.removeSink?.();
    this.removeSink = null;
  }
}
