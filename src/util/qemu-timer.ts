/**
 * Timers (QEMU util/qemu-timer.c, include/qemu/timer.h): clocks, timer lists, and the timer list
 * groups an event loop runs. Each AioContext has its own group (ctx.tlg, run by aio_poll); the
 * main loop has `main_loop_tlg` (run by main_loop_wait via qemu_clock_run_all_timers), which is
 * where timer_new_ns/us/ms put their timers, as in QEMU.
 *
 * Clocks (all in ns, host monotonic unless said otherwise):
 * - QEMU_CLOCK_REALTIME: host monotonic time (CLOCK_MONOTONIC; the same in every thread).
 * - QEMU_CLOCK_VIRTUAL: guest time. By default host monotonic time minus the time the VM was
 *   stopped (cpu_disable_ticks/cpu_enable_ticks, as QEMU's cpu_get_clock without icount). A machine
 *   (or a test) may replace its source with qemuClockSetSource. Deadlines are taken as host ns
 *   from now, so a source must advance at about host speed for blocking waits to be punctual;
 *   after advancing a custom source by hand, call qemu_clock_notify.
 * - QEMU_CLOCK_HOST: wall-clock time (Date.now based).
 *
 * Contract: timers belong to the thread that created them; timer_mod/timer_del are called on that
 * thread (QEMU allows other threads under a lock; JS objects cannot cross threads anyway). Callbacks
 * run on that thread from timerlist_run_timers, earliest first, FIFO among equal deadlines.
 * Clock state (VIRTUAL's stopped time, custom sources) is per thread.
 */
import { utilTraceHooks } from './trace-hooks';

export enum QEMUClockType {
  QEMU_CLOCK_REALTIME = 0,
  QEMU_CLOCK_VIRTUAL = 1,
  QEMU_CLOCK_HOST = 2,
}
export const { QEMU_CLOCK_REALTIME, QEMU_CLOCK_VIRTUAL, QEMU_CLOCK_HOST } = QEMUClockType;
const QEMU_CLOCK_MAX = 3;

export const SCALE_MS = 1_000_000;
export const SCALE_US = 1_000;
export const SCALE_NS = 1;

export type QEMUTimerCB = (opaque: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
export type QEMUTimerListNotifyCB = (opaque: unknown, type: QEMUClockType) => void;

/** Host monotonic ns (QEMU's get_clock()). Same origin in every thread of the process. */
export function get_clock(): number {
  return Number(process.hrtime.bigint());
}

class QEMUClock {
  enabled = true;
  /** Custom source (qemuClockSetSource) or null for the built-in one. */
  source: (() => number) | null = null;
  readonly timerlists: QEMUTimerList[] = [];
  constructor(readonly type: QEMUClockType) {}
}

const qemu_clocks: QEMUClock[] = [new QEMUClock(0), new QEMUClock(1), new QEMUClock(2)];

/* VIRTUAL clock bookkeeping (QEMU's timers_state: cpu_clock_offset, cpu_ticks_enabled). */
let cpu_clock_offset = 0;
let cpu_ticks_enabled = true;
let cpu_clock_frozen_at = 0;

/** cpu_enable_ticks: the VM runs; QEMU_CLOCK_VIRTUAL advances again from where it stopped. */
export function cpu_enable_ticks(): void {
  if (!cpu_ticks_enabled) {
    cpu_clock_offset = cpu_clock_frozen_at - get_clock();
    cpu_ticks_enabled = true;
  }
}

/** cpu_disable_ticks: the VM stops; QEMU_CLOCK_VIRTUAL stands still. */
export function cpu_disable_ticks(): void {
  if (cpu_ticks_enabled) {
    cpu_clock_frozen_at = get_clock() + cpu_clock_offset;
    cpu_ticks_enabled = false;
  }
}

/** qemu_clock_get_ns: the current time of clock `type`, in ns. */
export function qemu_clock_get_ns(type: QEMUClockType): number {
  const src = qemu_clocks[type].source;
  if (src !== null) return src();
  switch (type) {
    case QEMU_CLOCK_REALTIME:
      return get_clock();
    case QEMU_CLOCK_VIRTUAL:
      return cpu_ticks_enabled ? get_clock() + cpu_clock_offset : cpu_clock_frozen_at;
    case QEMU_CLOCK_HOST:
      return Date.now() * 1_000_000;
  }
}
export function qemu_clock_get_us(type: QEMUClockType): number {
  return Math.floor(qemu_clock_get_ns(type) / SCALE_US);
}
export function qemu_clock_get_ms(type: QEMUClockType): number {
  return Math.floor(qemu_clock_get_ns(type) / SCALE_MS);
}

/** Replace (fn) or restore (null) the time source of a clock on this thread. */
export function qemuClockSetSource(type: QEMUClockType, fn: (() => number) | null): void {
  qemu_clocks[type].source = fn;
  qemu_clock_notify(type);
}

/** qemu_clock_enable: a disabled clock's timers neither fire nor count for deadlines. */
export function qemu_clock_enable(type: QEMUClockType, enabled: boolean): void {
  const c = qemu_clocks[type];
  const old = c.enabled;
  c.enabled = enabled;
  if (enabled && !old) qemu_clock_notify(type);
}

/** qemu_clock_notify: wake every event loop with timers on this clock (its deadline changed). */
export function qemu_clock_notify(type: QEMUClockType): void {
  for (const tl of qemu_clocks[type].timerlists) timerlist_notify(tl);
}

export class QEMUTimer {
  /** Absolute deadline in ns, -1 when not pending. */
  expire_time = -1;
  constructor(
    readonly timer_list: QEMUTimerList,
    readonly scale: number,
    readonly cb: QEMUTimerCB,
    readonly opaque: unknown,
    /** For traces: defaults to the callback's name. */
    readonly name: string = cb.name || 'timer',
  ) {}
}

export class QEMUTimerList {
  /** Pending timers, earliest first. */
  readonly active_timers: QEMUTimer[] = [];
  constructor(
    readonly clock: QEMUClock,
    readonly notify_cb: QEMUTimerListNotifyCB | null,
    readonly notify_opaque: unknown,
  ) {
    clock.timerlists.push(this);
  }
}

/** One timer list per clock type (QEMUTimerListGroup). */
export class QEMUTimerListGroup {
  readonly tl: QEMUTimerList[] = [];
}

/** timerlistgroup_init: create the lists; `cb(opaque, type)` is called when a deadline moves earlier. */
export function timerlistgroup_init(tlg: QEMUTimerListGroup, cb: QEMUTimerListNotifyCB | null, opaque: unknown): void {
  for (let t = 0; t < QEMU_CLOCK_MAX; t++) tlg.tl[t] = new QEMUTimerList(qemu_clocks[t], cb, opaque);
}

/** timerlistgroup_deinit: detach the lists from their clocks (the group's event loop is gone). */
export function timerlistgroup_deinit(tlg: QEMUTimerListGroup): void {
  for (const tl of tlg.tl) {
    const list = tl.clock.timerlists;
    const i = list.indexOf(tl);
    if (i >= 0) list.splice(i, 1);
  }
}

export function timerlist_notify(tl: QEMUTimerList): void {
  if (tl.notify_cb !== null) tl.notify_cb(tl.notify_opaque, tl.clock.type);
}

/** timerlist_deadline_ns: ns until the first timer of the list expires; 0 if expired; -1 if none. */
export function timerlist_deadline_ns(tl: QEMUTimerList): number {
  if (!tl.clock.enabled || tl.active_timers.length === 0) return -1;
  const delta = tl.active_timers[0].expire_time - qemu_clock_get_ns(tl.clock.type);
  return delta <= 0 ? 0 : delta;
}

/** timerlistgroup_deadline_ns: the soonest deadline of the group (-1: none). */
export function timerlistgroup_deadline_ns(tlg: QEMUTimerListGroup): number {
  let deadline = -1;
  for (const tl of tlg.tl) deadline = qemu_soonest_timeout(deadline, timerlist_deadline_ns(tl));
  return deadline;
}

/** qemu_soonest_timeout: the smaller of two timeouts where -1 means infinite. */
export function qemu_soonest_timeout(a: number, b: number): number {
  if (a < 0) return b;
  if (b < 0) return a;
  return a < b ? a : b;
}

/** qemu_timeout_ns_to_ms: for waits in ms (rounds up so a wait never ends early; -1 stays -1). */
export function qemu_timeout_ns_to_ms(ns: number): number {
  if (ns < 0) return -1;
  return Math.ceil(ns / SCALE_MS);
}

/**
 * timerlist_run_timers: fire the expired timers of one list, earliest first. A callback may
 * re-arm its own timer (it is removed before being called). Returns true if any fired.
 */
export function timerlist_run_timers(tl: QEMUTimerList): boolean {
  if (!tl.clock.enabled || tl.active_timers.length === 0) return false;
  const now = qemu_clock_get_ns(tl.clock.type);
  let progress = false;
  for (;;) {
    const ts = tl.active_timers[0];
    if (ts === undefined || ts.expire_time > now) break;
    tl.active_timers.shift();
    ts.expire_time = -1;
    const h = utilTraceHooks.timer_fire;
    if (h !== null) h(ts, now);
    const cb = ts.cb; // no receiver: the frame shows the callback's own name
    cb(ts.opaque);
    progress = true;
  }
  return progress;
}

/** timerlistgroup_run_timers: run every clock's list of the group. */
export function timerlistgroup_run_timers(tlg: QEMUTimerListGroup): boolean {
  let progress = false;
  for (const tl of tlg.tl) if (timerlist_run_timers(tl)) progress = true;
  return progress;
}

/** The main loop's timer list group (QEMU's main_loop_tlg). main-loop.ts sets its notifier. */
export const main_loop_tlg = new QEMUTimerListGroup();
let mainLoopNotify: QEMUTimerListNotifyCB | null = null;
timerlistgroup_init(main_loop_tlg, (opaque, type) => mainLoopNotify?.(opaque, type), null);

/** init_clocks: install the main loop's notify callback (qemu_timer_notify_cb). */
export function init_clocks(notify_cb: QEMUTimerListNotifyCB): void {
  mainLoopNotify = notify_cb;
}

/** qemu_clock_run_all_timers: run main_loop_tlg (main_loop_wait calls it after dispatching). */
export function qemu_clock_run_all_timers(): boolean {
  return timerlistgroup_run_timers(main_loop_tlg);
}

/** timer_new_tl: a timer on a given list. */
export function timer_new_tl(tl: QEMUTimerList, scale: number, cb: QEMUTimerCB, opaque?: unknown): QEMUTimer {
  return new QEMUTimer(tl, scale, cb, opaque);
}

/** timer_new / timer_new_ns / _us / _ms: a main-loop timer on clock `type` (main_loop_tlg). */
export function timer_new(type: QEMUClockType, scale: number, cb: QEMUTimerCB, opaque?: unknown): QEMUTimer {
  return new QEMUTimer(main_loop_tlg.tl[type], scale, cb, opaque);
}
export function timer_new_ns(type: QEMUClockType, cb: QEMUTimerCB, opaque?: unknown): QEMUTimer {
  return timer_new(type, SCALE_NS, cb, opaque);
}
export function timer_new_us(type: QEMUClockType, cb: QEMUTimerCB, opaque?: unknown): QEMUTimer {
  return timer_new(type, SCALE_US, cb, opaque);
}
export function timer_new_ms(type: QEMUClockType, cb: QEMUTimerCB, opaque?: unknown): QEMUTimer {
  return timer_new(type, SCALE_MS, cb, opaque);
}

/** timer_del: cancel; the callback will not run (no-op if not pending). */
export function timer_del(ts: QEMUTimer): void {
  if (ts.expire_time < 0) return;
  const list = ts.timer_list.active_timers;
  const i = list.indexOf(ts);
  if (i >= 0) list.splice(i, 1);
  ts.expire_time = -1;
}

/** timer_free: QEMU frees the timer; here it only makes sure it is not pending. */
export function timer_free(ts: QEMUTimer): void {
  timer_del(ts);
}

/** timer_mod_ns: (re)arm at absolute `expire_time` ns of the timer's clock. */
export function timer_mod_ns(ts: QEMUTimer, expire_time: number): void {
  timer_del(ts);
  const t = Math.max(0, expire_time);
  const list = ts.timer_list.active_timers;
  let i = 0;
  while (i < list.length && list[i].expire_time <= t) i++; // FIFO among equal deadlines
  list.splice(i, 0, ts);
  ts.expire_time = t;
  if (i === 0) timerlist_notify(ts.timer_list); // timerlist_rearm: the deadline moved earlier
}

/** timer_mod: (re)arm at absolute `expire_time` in the timer's scale (ns, us or ms). */
export function timer_mod(ts: QEMUTimer, expire_time: number): void {
  timer_mod_ns(ts, expire_time * ts.scale);
}

/** timer_mod_anticipate: like timer_mod, but never moves a pending timer later. */
export function timer_mod_anticipate(ts: QEMUTimer, expire_time: number): void {
  const ns = expire_time * ts.scale;
  if (ts.expire_time < 0 || ns < ts.expire_time) timer_mod_ns(ts, ns);
}

export function timer_pending(ts: QEMUTimer): boolean {
  return ts.expire_time >= 0;
}

/** timer_expired: pending and due at `current_time` (in the timer's scale). */
export function timer_expired(ts: QEMUTimer, current_time: number): boolean {
  return ts.expire_time >= 0 && ts.expire_time <= current_time * ts.scale;
}

/** timer_expire_time_ns: the deadline in ns, or -1 when not pending. */
export function timer_expire_time_ns(ts: QEMUTimer): number {
  return ts.expire_time;
}
