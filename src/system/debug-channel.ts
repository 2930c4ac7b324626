/**
 * The debug channel: how front ends (gdb stub, console, TUI — main thread) inspect and drive the
 * emulator thread (DESIGN.md §2 "a stop must really stop", §4 "the core knows no front end").
 *
 * Contract
 * - Transport: one MessageChannel plus a small SharedArrayBuffer (`DebugChannelEnd`, handed to the
 *   emulator thread in its workerData). Requests go main → emulator, replies and events go back.
 *   The emulator thread never has a 'message' listener on its port: it drains it synchronously
 *   with receiveMessageOnPort, so it can answer while every other part of it is blocked.
 * - DebugServer (emulator thread only):
 *   - `register(kind, handler)`: a synchronous handler, payload → result. A handler that throws
 *     produces an error reply (the client's promise rejects with DebugRequestError); nothing is
 *     thrown across the channel and the emulator thread goes on. Unknown kinds get an error reply.
 *   - `service()`: non-blocking; answers every queued request. The run loop calls it once per round
 *     (so requests are answered while the machine runs, between rounds).
 *   - `stopHere(stop)`: callable from any emulator-thread context (a hart stop in the run loop, a
 *     device callback, a coroutine, a tracepoint hook). Runs the `onStop` hooks (flush output,
 *     freeze the virtual clock), broadcasts a 'stopped' event, then blocks the thread
 *     (Atomics.wait on the SAB's wake word, woken by each client request) answering requests until
 *     a handler calls `resume(action)` (the 'continue'/'step' requests do). Then the `onResume`
 *     hooks run, a 'resumed' event is posted, and stopHere returns the action. Nothing else runs
 *     on the emulator thread meanwhile: no vCPU, no main loop, no bottom half, no timer
 *     (docs/stops.md). A stopHere while already stopped (from inside a handler) returns at once.
 *   - A 'step' resume is not executed by stopHere: it is left in `takeStep()` for the run loop,
 *     which steps that hart before anything else runs and stops again.
 *   - `interruptRequested()`: true once after a client's `interrupt()` (Ctrl-C); the run loop
 *     turns it into a stop with reason 'interrupted'. `pending()` (cheap, no side effect) tells an
 *     idle wait that a request or an interrupt arrived, so it can return promptly.
 * - DebugClient (main thread; several front ends may share one):
 *   - `request(kind, payload)`: Promise of the handler's result; rejects with DebugRequestError.
 *   - events: 'stopped' (StopEvent, broadcast to every listener), 'resumed', 'exited'.
 *     Events and replies keep the emulator's order (one port): the reply to 'continue' comes
 *     before the 'resumed' event, which comes before the next 'stopped'.
 *   - `state`: the last known run state ('running' | stopped with its StopEvent | 'exited').
 *   - `interrupt()`: ask a running machine to stop (answered by a 'stopped' event); no effect when
 *     it is stopped. `continue()`, `step(hart)`: resume.
 * - Payloads and results must be structured-clonable (bigint and Uint8Array are).
 */
import { EventEmitter } from 'node:events';
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { StopReason } from '../target/riscv/cpu-api';

// ---------------------------------------------------------------------------------------------
// Types shared by both ends

/** Why the machine stopped: a hart's typed StopReason, or a stop that no hart caused. */
export type StopCause =
  | StopReason
  /** -S: stopped before the first instruction. */
  | { kind: 'start' }
  /**
   * A stop of the debug console (src/debug) on emulator state, not at a guest instruction: a
   * watchpoint on a field, a syscall catchpoint, a tracepoint breakpoint, next-event; or the
   * console's `vtrace debug` states before `run` and after the guest exited. `num` is the
   * console's breakpoint number (0: none). Its report is the console's ('console.drain').
   */
  | { kind: 'console'; what: 'watchpoint' | 'catchpoint' | 'breakpoint' | 'event' | 'not-started' | 'exited'; num: number };

/** A stop as broadcast to every front end. `hart` is the vCPU the stop is reported on. */
export interface StopEvent {
  hart: number;
  reason: StopCause;
}

/** How a stop ends. */
export type ResumeAction = { kind: 'continue' } | { kind: 'step'; hart: number };

/** A register of a hart, by architecture name space (no front end's numbering). */
export type RegRef =
  | { kind: 'gpr'; i: number }
  | { kind: 'pc' }
  | { kind: 'fpr'; i: number }
  | { kind: 'csr'; num: number }
  | { kind: 'priv' };

export type AddressSpaceKind = 'virt' | 'phys';

/**
 * The request kinds and their payload/result types. Others add kinds by declaration merging:
 * `declare module '../system/debug-channel' { interface DebugRequests { 'x': { payload: P; result: R } } }`.
 */
export interface DebugRequests {
  /** The machine's shape: hart count, the CSR numbers that exist, RAM. */
  'machine.info': { payload: void; result: { harts: number; csrs: number[]; ramBase: number; ramSize: number } };
  'harts.list': { payload: void; result: Array<{ id: number; pc: bigint; priv: number; halted: boolean }> };
  /** Read registers; null for one that does not exist. */
  'regs.get': { payload: { hart: number; regs: RegRef[] }; result: Array<bigint | null> };
  /** Write registers; false for one that does not exist or did not take the value. */
  'regs.set': { payload: { hart: number; writes: Array<{ reg: RegRef; value: bigint }> }; result: boolean[] };
  /** Read memory as `hart` sees it ('virt') or guest-physical ('phys'); the readable prefix (maybe empty). */
  'mem.read': { payload: { hart: number; addr: bigint; len: number; space: AddressSpaceKind }; result: Uint8Array };
  /** Write memory; the number of bytes written (a prefix). */
  'mem.write': { payload: { hart: number; addr: bigint; data: Uint8Array; space: AddressSpaceKind }; result: number };
  /** Execution breakpoint at a virtual pc on every hart (reference-counted across front ends). */
  'bp.insert': { payload: { addr: bigint }; result: void };
  'bp.remove': { payload: { addr: bigint }; result: boolean };
  /** Watchpoint on virtual [addr, addr+len) on every hart; returns its id. */
  'wp.insert': { payload: { addr: bigint; len: number; type: 'write' | 'read' | 'access' }; result: number };
  'wp.remove': { payload: { id: number }; result: boolean };
  /** Resume a stopped machine (no effect when running). */
  continue: { payload: void; result: void };
  /** Execute one instruction on `hart` (others stay stopped), then stop again. Only when stopped. */
  step: { payload: { hart: number }; result: void };
  /** Leave the run loop and end the emulator (Ctrl-A x, gdb's `k`), stopped or not. */
  quit: { payload: void; result: void };
  /** qemu_system_reset: devices reset, harts at the boot state (stays stopped if stopped). */
  'system.reset': { payload: void; result: void };
  /** A console command line (QEMU monitor / gdb `monitor`); returns its output text. */
  'console.exec': { payload: { line: string }; result: string };
}

export type DebugRequestKind = keyof DebugRequests;
export type PayloadOf<K extends DebugRequestKind> = DebugRequests[K]['payload'];
export type ResultOf<K extends DebugRequestKind> = DebugRequests[K]['result'];

/** A request that the emulator answered with an error (bad arguments, unknown kind, wrong state). */
export class DebugRequestError extends Error {}

/** The emulator thread's end of the channel (workerData). */
export interface DebugChannelEnd {
  port: MessagePort;
  sab: SharedArrayBuffer;
}

type WireRequest = { id: number; kind: string; payload: unknown };
type WireMessage =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string }
  | { type: 'stopped'; stop: StopEvent }
  | { type: 'resumed' };

/* SAB words. WAKE: bumped (and notified) by the client after each post and each interrupt. */
const WAKE = 0;
const INTERRUPT = 1;
const SAB_BYTES = 16;

/** Longest single block of a stopped emulator thread (it then re-checks its port). */
const STOPPED_WAIT_MS = 1000;

// ---------------------------------------------------------------------------------------------
// Emulator thread

type Handler = (payload: any) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any

export class DebugServer {
  private readonly handlers = new Map<string, Handler>();
  private readonly words: Int32Array;
  private seenWake = 0;
  private stopEvent: StopEvent | null = null;
  private resumeAction: ResumeAction | null = null;
  private pendingStep: number | undefined;
  /** Run at the start of every stop, before 'stopped' is posted (flush console output, freeze clocks). */
  readonly onStop: Array<(stop: StopEvent) => void> = [];
  /** Run when a stop ends, before 'resumed' is posted. */
  readonly onResume: Array<() => void> = [];

  constructor(private readonly end: DebugChannelEnd) {
    this.words = new Int32Array(end.sab);
    this.register('continue', () => {
      if (this.stopEvent !== null) this.resume({ kind: 'continue' });
    });
    this.register('step', (p: PayloadOf<'step'>) => {
      if (this.stopEvent === null) throw new DebugRequestError('the machine is running');
      if (typeof p?.hart !== 'number' || !Number.isInteger(p.hart) || p.hart < 0) throw new DebugRequestError('step: bad hart');
      this.resume({ kind: 'step', hart: p.hart });
    });
  }

  /** Add (or replace) the handler of `kind`. */
  register<K extends DebugRequestKind>(kind: K, handler: (payload: PayloadOf<K>) => ResultOf<K>): void {
    this.handlers.set(kind, handler as Handler);
  }

  /** The current stop, or null while running. */
  get stopped(): StopEvent | null {
    return this.stopEvent;
  }

  /** Called by a handler during a stop: end the stop with `action` once the handler returns. */
  resume(action: ResumeAction): void {
    if (this.stopEvent === null) throw new DebugRequestError('the machine is running');
    this.resumeAction = action;
  }

  /** Answer every queued request without blocking. */
  service(): void {
    this.seenWake = Atomics.load(this.words, WAKE);
    for (let m = receiveMessageOnPort(this.end.port); m !== undefined; m = receiveMessageOnPort(this.end.port)) {
      this.handle(m.message as WireRequest);
    }
  }

  /** Cheap check for an idle wait: has a request or an interrupt arrived since the last service()? */
  pending(): boolean {
    return Atomics.load(this.words, WAKE) !== this.seenWake || Atomics.load(this.words, INTERRUPT) !== 0;
  }

  /** True once per client interrupt() that arrived while running. */
  interruptRequested(): boolean {
    return Atomics.load(this.words, INTERRUPT) !== 0 && Atomics.exchange(this.words, INTERRUPT, 0) !== 0;
  }

  /** The hart the debugger asked to single-step, consumed by the run loop; undefined if none. */
  takeStep(): number | undefined {
    const h = this.pendingStep;
    this.pendingStep = undefined;
    return h;
  }

  /** Stop everything on this thread until a front end resumes (see the header). */
  stopHere(stop: StopEvent): ResumeAction {
    if (this.stopEvent !== null) return { kind: 'continue' };
    this.stopEvent = stop;
    this.resumeAction = null;
    Atomics.store(this.words, INTERRUPT, 0); // this stop answers any interrupt in flight
    for (const f of this.onStop) f(stop);
    this.post({ type: 'stopped', stop });
    // resume() (called by a handler inside service()) sets resumeAction.
    let action = this.resumeAction as ResumeAction | null;
    while (action === null) {
      const seq = Atomics.load(this.words, WAKE);
      this.service();
      action = this.resumeAction as ResumeAction | null;
      if (action === null) Atomics.wait(this.words, WAKE, seq, STOPPED_WAIT_MS);
    }
    this.stopEvent = null;
    this.resumeAction = null;
    Atomics.store(this.words, INTERRUPT, 0);
    if (action.kind === 'step') this.pendingStep = action.hart;
    for (const f of this.onResume) f();
    this.post({ type: 'resumed' });
    return action;
  }

  private handle(req: WireRequest): void {
    const h = this.handlers.get(req.kind);
    if (h === undefined) {
      this.post({ type: 'reply', id: req.id, ok: false, error: `unknown debug request '${req.kind}'` });
      return;
    }
    let result: unknown;
    try {
      result = h(req.payload);
    } catch (e) {
      this.post({ type: 'reply', id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) });
      return;
    }
    try {
      this.post({ type: 'reply', id: req.id, ok: true, result });
    } catch (e) {
      // A result that cannot be cloned is a handler bug: the client gets an error, not a hang.
      this.post({ type: 'reply', id: req.id, ok: false, error: `'${req.kind}' result not transferable: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  private post(m: WireMessage): void {
    this.end.port.postMessage(m);
  }
}

// ---------------------------------------------------------------------------------------------
// Main thread

export type DebugRunState = { kind: 'running' } | { kind: 'stopped'; stop: StopEvent } | { kind: 'exited' };

export interface DebugClientEvents {
  stopped: [StopEvent];
  resumed: [];
  /** The emulator thread ended; `code` is the guest's exit status when it powered off, else null. */
  exited: [code: number | null];
}

export class DebugClient extends EventEmitter<DebugClientEvents> {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly words: Int32Array;
  private runState: DebugRunState = { kind: 'running' };

  constructor(private readonly port: MessagePort, sab: SharedArrayBuffer) {
    super();
    this.words = new Int32Array(sab);
    port.on('message', (m: WireMessage) => this.onMessage(m));
    port.unref(); // the emulator thread keeps the process alive, not this port
  }

  get state(): DebugRunState {
    return this.runState;
  }

  request<K extends DebugRequestKind>(kind: K, ...payload: PayloadOf<K> extends void ? [] : [PayloadOf<K>]): Promise<ResultOf<K>> {
    if (this.runState.kind === 'exited') return Promise.reject(new DebugRequestError('the machine has exited'));
    const id = this.nextId++;
    return new Promise<ResultOf<K>>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.port.postMessage({ id, kind, payload: payload[0] } satisfies WireRequest);
      this.wake();
    });
  }

  /** Ask the running machine to stop (Ctrl-C). The stop arrives as a 'stopped' event. */
  interrupt(): void {
    if (this.runState.kind !== 'running') return;
    Atomics.store(this.words, INTERRUPT, 1);
    this.wake();
  }

  continue(): Promise<void> {
    return this.request('continue');
  }

  step(hart: number): Promise<void> {
    return this.request('step', { hart });
  }

  /** The emulator thread is gone (EmulatorThread calls this): pending requests fail, 'exited' fires. */
  markExited(code: number | null): void {
    if (this.runState.kind === 'exited') return;
    this.runState = { kind: 'exited' };
    for (const w of this.waiting.values()) w.reject(new DebugRequestError('the machine has exited'));
    this.waiting.clear();
    this.port.close();
    this.emit('exited', code);
  }

  private wake(): void {
    Atomics.add(this.words, WAKE, 1);
    Atomics.notify(this.words, WAKE);
  }

  private onMessage(m: WireMessage): void {
    switch (m.type) {
      case 'reply': {
        const w = this.waiting.get(m.id);
        if (w === undefined) return;
        this.waiting.delete(m.id);
        if (m.ok) w.resolve(m.result);
        else w.reject(new DebugRequestError(m.error));
        break;
      }
      case 'stopped':
        this.runState = { kind: 'stopped', stop: m.stop };
        this.emit('stopped', m.stop);
        break;
      case 'resumed':
        this.runState = { kind: 'running' };
        this.emit('resumed');
        break;
    }
  }
}

/** Create both ends: the client for the main thread, the end to transfer to the emulator thread. */
export function createDebugChannel(): { client: DebugClient; end: DebugChannelEnd } {
  const ch = new MessageChannel();
  const sab = new SharedArrayBuffer(SAB_BYTES);
  return { client: new DebugClient(ch.port1, sab), end: { port: ch.port2, sab } };
}
