/**
 * The main loop (QEMU util/main-loop.c, util/iohandler.c).
 *
 * Two AioContexts on the emulator thread, as in QEMU: `qemu_aio_context` (qemu_get_aio_context:
 * block layer, BHs, the device handlers) and `iohandler_ctx` (iohandler_get_aio_context: the legacy
 * qemu_set_fd_handler handlers, which must not run inside nested aio_poll(qemu_aio_context) loops
 * such as a block drain). QEMU lets glib poll both; here the iohandler context's notifier is
 * chained to the main one, so main_loop_wait sleeps on one word and dispatches both.
 *
 * main_loop_wait(nonblocking): one iteration:
 *   timeout = nonblocking ? 0 : soonest(main_loop_tlg deadline, both contexts' aio_compute_timeout)
 *   (0 if a handler of either context is ready) → sleep on qemu_aio_context's notifier →
 *   aio_dispatch(qemu_aio_context), aio_dispatch(iohandler_ctx) → qemu_clock_run_all_timers().
 * The emulator thread calls it between vCPU rounds with nonblocking = true, and with false (plus
 * a bound, `timeout_ns`) when every vCPU waits for an interrupt.
 *
 * Contract: the thread that first calls into this module (or qemu_init_main_loop) is the main
 * loop thread; qemu_aio_context becomes its current AioContext. Everything here runs on it,
 * except qemu_notify_event's cross-thread equivalent: set a notifier the main loop watches.
 */
import {
  AioContext,
  IOHandler,
  ReadyList,
  aio_compute_timeout,
  aio_context_new,
  aio_dispatch,
  aio_notify,
  aio_set_fd_handler,
  aioCollectReady,
  qemu_poll_ns,
  qemu_set_current_aio_context,
} from './aio-context';
import { QEMUBH, QEMUBHFunc, aio_bh_new } from './aio-bh';
import { eventNotifierSetOwner } from './event-notifier';
import { utilTraceHooks } from './trace-hooks';
import { init_clocks, main_loop_tlg, qemu_clock_run_all_timers, qemu_soonest_timeout, timerlistgroup_deadline_ns } from './qemu-timer';

let qemu_aio_context: AioContext | null = null;
let iohandler_ctx: AioContext | null = null;

/** qemu_init_main_loop: create the main loop's contexts (idempotent; called on first use). */
export function qemu_init_main_loop(): void {
  if (qemu_aio_context !== null) return;
  const main = aio_context_new('main');
  qemu_aio_context = main;
  qemu_set_current_aio_context(main);
  const ioh = aio_context_new('iohandler');
  eventNotifierSetOwner(ioh.notifier.slot, main.notifier); // glib polls both: one wake word
  iohandler_ctx = ioh;
  init_clocks(qemu_timer_notify_cb);
}

function qemu_timer_notify_cb(): void {
  qemu_notify_event();
}

/** qemu_get_aio_context: the main loop's AioContext. */
export function qemu_get_aio_context(): AioContext {
  qemu_init_main_loop();
  return qemu_aio_context!;
}

/** iohandler_get_aio_context: the context of qemu_set_fd_handler handlers. */
export function iohandler_get_aio_context(): AioContext {
  qemu_init_main_loop();
  return iohandler_ctx!;
}

/** qemu_notify_event: make the main loop's current or next wait return. Main loop thread. */
export function qemu_notify_event(): void {
  aio_notify(qemu_get_aio_context());
}

/** qemu_bh_new: a BH of the main loop (QEMU's macro over aio_bh_new). */
export function qemu_bh_new(cb: QEMUBHFunc, opaque?: unknown, name?: string): QEMUBH {
  return aio_bh_new(qemu_get_aio_context(), cb, opaque, name);
}

/**
 * main_loop_wait: one main loop iteration (see the header). `timeout_ns` bounds a blocking wait
 * (vtrace addition: the vCPU loop's next guest timer deadline). Returns true if anything ran.
 */
export function main_loop_wait(nonblocking: boolean, timeout_ns = -1): boolean {
  const main = qemu_get_aio_context();
  const ioh = iohandler_ctx!;
  const hb = utilTraceHooks.main_loop_wait_begin;
  if (hb !== null) hb(nonblocking, timeout_ns);
  let timeout = nonblocking ? 0 : timeout_ns;
  if (timeout !== 0) {
    timeout = qemu_soonest_timeout(timeout, timerlistgroup_deadline_ns(main_loop_tlg));
    timeout = qemu_soonest_timeout(timeout, aio_compute_timeout(main));
    timeout = qemu_soonest_timeout(timeout, aio_compute_timeout(ioh));
  }
  const readyMain: ReadyList = aioCollectReady(main, { nodes: [], revents: [] });
  const readyIoh: ReadyList = aioCollectReady(ioh, { nodes: [], revents: [] });
  if (timeout !== 0 && readyMain.nodes.length === 0 && readyIoh.nodes.length === 0) {
    qemu_poll_ns(main, timeout);
    aioCollectReady(main, readyMain);
    aioCollectReady(ioh, readyIoh);
  }
  let progress = aio_dispatch(main, readyMain);
  if (aio_dispatch(ioh, readyIoh)) progress = true;
  if (qemu_clock_run_all_timers()) progress = true;
  const he = utilTraceHooks.main_loop_wait_end;
  if (he !== null) he(progress);
  return progress;
}

/**
 * IOHandlerRecord: a legacy fd handler (QEMU 2.x main-loop/iohandler.c), kept for observability;
 * the handlers themselves are registered in iohandler_ctx with aio_set_fd_handler, as QEMU does
 * since 2.5.
 */
export interface IOHandlerRecord {
  readonly fd: number;
  fd_read: IOHandler | null;
  fd_write: IOHandler | null;
  opaque: unknown;
  deleted: boolean;
}

const io_handlers: IOHandlerRecord[] = [];

/**
 * qemu_set_fd_handler: call fd_read(opaque)/fd_write(opaque) from the main loop when `fd` is
 * readable/writable; both null removes the handler. `fd` is an EventNotifier fd
 * (event_notifier_get_fd) or an fd with a registered poller (registerFdPoller).
 */
export function qemu_set_fd_handler(fd: number, fd_read: IOHandler | null, fd_write: IOHandler | null, opaque?: unknown): void {
  const ctx = iohandler_get_aio_context();
  const i = io_handlers.findIndex((r) => r.fd === fd);
  if (fd_read === null && fd_write === null) {
    if (i >= 0) {
      io_handlers[i].deleted = true;
      io_handlers.splice(i, 1);
    }
  } else if (i >= 0) {
    Object.assign(io_handlers[i], { fd_read, fd_write, opaque });
  } else {
    io_handlers.push({ fd, fd_read, fd_write, opaque, deleted: false });
  }
  aio_set_fd_handler(ctx, fd, fd_read, fd_write, opaque);
}

/** The registered legacy handlers (debugger state tree, counters). */
export function qemuIOHandlerRecords(): readonly IOHandlerRecord[] {
  return io_handlers;
}
