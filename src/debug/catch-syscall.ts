/**
 * `catch syscall [NAME|NUMBER...] [if COND]`: stop at the system calls of vtrace's syscall layer, on
 * whichever thread makes them, as gdb's catch syscall does — once at the call, once at its return:
 *
 *   Catchpoint 3 (call to syscall pread64), pread64 (fd=13, buf=0x80201000, count=512, offset=0) at src/host/syscalls.ts:193
 *
 * - Emulator thread (openat, statx, close of the block layer): the catcher's hooks stop right there.
 * - Pool workers (pread64/preadv/pwrite64/pwritev/fdatasync): catch-worker.ts blocks the worker
 *   and sets this module's notifier; its handler, run by the emulator thread's main loop (between
 *   vCPU slices, or inside any aio_poll), reports the stop with the worker's frames and blocks the
 *   emulator thread too. Continuing releases both. While a console stop lasts, workers block before
 *   their next syscall (STOPPED), so nothing new reaches the disk during it.
 * The condition may use the arguments by name (fd, path, flags, count, offset, iovcnt, ret at the
 * return) and, on the emulator thread, any state path.
 *
 * Iothreads' pools load the same catcher (iothread-agent.ts), so their workers' syscalls are
 * caught the same way; their hits are also seen while this thread waits for the iothread.
 *
 * Contract: emulator thread. `installCatchShared()` must run before the thread pool starts its
 * workers (they inherit the shared state through environment data); catchpoints on workers that
 * started earlier are not seen (catchSharedReady() says whether workers will see them).
 */
import * as path from 'node:path';
import { setEnvironmentData } from 'node:worker_threads';
import { setSyscallCatcher, type SyscallName, type SyscallRawArgs, type SyscallRecord } from '../host/record';
import { aio_set_event_notifier } from '../util/aio-context';
import { setAioWaitPoll } from '../util/aio-wait';
import { event_notifier_test_and_clear, eventNotifierIsSet, eventNotifierNew, shareEventNotifier, type EventNotifier } from '../util/event-notifier';
import { qemu_get_aio_context } from '../util/main-loop';
import { threadPoolAddModule } from '../util/thread-pool';
import { CATCH_ENV_KEY, OWNER, RESUME, SHARED_BYTES, STOPPED, clearReport, readReport, writeCatchSet, type CatchEnv, type WorkerHit } from './catch-shared';
import type { Value } from './expr';
import { captureFrames, frameText, type Anchor, type Frame } from './frames';
import { Point, type Points, type PointType } from './points';
import type { Stopper } from './stop';
import { syscallArgsText, syscallFrames, syscallLabel, syscallLocals, type CatchSpec } from './syscall-info';

const WORKER_MODULE = path.join(__dirname, `catch-worker${path.extname(__filename)}`);

export class SyscallCatchpoint extends Point {
  readonly type: PointType = 'catchpoint';
  constructor(
    /** null: any syscall. */
    readonly names: SyscallName[] | null,
    private readonly manager: CatchManager,
  ) {
    super();
  }

  /** gdb's line when the catchpoint is set. */
  title(): string {
    if (this.names === null) return `Catchpoint ${this.num} (any syscall)`;
    const labels = this.names.map(syscallLabel).join(' ');
    return `Catchpoint ${this.num} (syscall${this.names.length > 1 ? 's' : ''} ${labels})`;
  }

  what(): string {
    if (this.names === null) return '<any syscall>';
    return `syscall${this.names.length > 1 ? 's' : ''} "${this.names.join(', ')}" `;
  }

  arm(): void {
    this.manager.update();
  }

  disarm(): void {
    this.manager.update();
  }

  /** The condition is evaluated on the workers too: publish the new one. */
  override changed(): void {
    if (this.enabled) this.manager.update();
  }

  matches(name: SyscallName): boolean {
    return this.names === null || this.names.includes(name);
  }
}

let shared: { env: CatchEnv; notifier: EventNotifier } | null = null;

/** Create the shared state and make every pool started from now on load catch-worker.ts. */
export function installCatchShared(): void {
  if (shared !== null) return;
  const notifier = eventNotifierNew('debug.catch-syscall');
  const env: CatchEnv = { sab: new SharedArrayBuffer(SHARED_BYTES), notifier: shareEventNotifier(notifier) };
  setEnvironmentData(CATCH_ENV_KEY, env);
  threadPoolAddModule(WORKER_MODULE);
  shared = { env, notifier };
}

export function catchSharedReady(): boolean {
  return shared !== null;
}

export class CatchManager {
  private installed = false;
  private readonly words: Int32Array | null;

  constructor(
    private readonly points: Points,
    private readonly stopper: Stopper,
    /** Resolves non-argument names of conditions (the state tree), emulator thread only. */
    private readonly lookup: (name: string) => Value,
  ) {
    this.words = shared === null ? null : new Int32Array(shared.env.sab);
    if (shared !== null) {
      const n = shared.notifier;
      aio_set_event_notifier(qemu_get_aio_context(), n, (x) => this.workerHit(x));
      // A worker of an iothread's pool may hit while this thread waits for that iothread (a drive
      // opened there): the wait looks at the notifier, or each would wait for the other.
      setAioWaitPoll(() => {
        if (eventNotifierIsSet(n)) this.workerHit(n);
      });
    }
  }

  private active(): SyscallCatchpoint[] {
    return this.points.all().filter((p): p is SyscallCatchpoint => p instanceof SyscallCatchpoint && p.enabled);
  }

  /** Publish the catch set to workers and (un)install this thread's catcher. */
  update(): void {
    const list = this.active();
    if (shared !== null) {
      const specs: CatchSpec[] = list.map((p) => ({ num: p.num, names: p.names, cond: p.cond?.text ?? null }));
      writeCatchSet(shared.env.sab, specs);
    }
    const want = list.length > 0;
    if (want === this.installed) return;
    this.installed = want;
    setSyscallCatcher(
      want
        ? {
            entry: (name, raw) => this.here('call', name, raw as SyscallRawArgs[SyscallName]),
            exit: (rec: SyscallRecord) => this.here('return', rec.name, rec.raw, rec.ret),
          }
        : null,
    );
  }

  /** The console is stopping (or resuming): workers block at their next syscall meanwhile. */
  setStopped(on: boolean): void {
    if (this.words === null) return;
    Atomics.store(this.words, STOPPED, on ? 1 : 0);
    if (!on) Atomics.notify(this.words, STOPPED);
  }

  /** A syscall on the emulator thread. */
  private here(kind: 'call' | 'return', name: SyscallName, raw: SyscallRawArgs[SyscallName], ret?: number): void {
    const locals = syscallLocals(name, raw, ret);
    const lookup = (p: string): Value => {
      const k = p.startsWith('$') ? p.slice(1) : p;
      return locals.has(k) ? (locals.get(k) as Value) : this.lookup(p);
    };
    let first: { p: SyscallCatchpoint; condError?: string } | null = null;
    for (const p of this.active()) {
      if (!p.matches(name)) continue;
      const c = this.points.check(p, lookup);
      if (c.stop && first === null) first = { p, condError: c.condError };
    }
    if (first === null) return;
    const frames = syscallFrames(captureFrames(), name, syscallArgsText(name, raw));
    this.report(first.p, kind, name, frames, locals, first.condError, undefined);
  }

  private report(
    p: SyscallCatchpoint,
    kind: 'call' | 'return',
    name: string,
    frames: Frame[],
    locals: Map<string, unknown>,
    condError: string | undefined,
    thread: { name: string; tid: number } | undefined,
    anchor?: Anchor,
  ): void {
    const f = frames[0];
    const where = f === undefined ? '' : `, ${frameText(f)}`;
    const head = `\nCatchpoint ${p.num} (${kind === 'call' ? 'call to' : 'returned from'} syscall ${name})${where}`;
    const vars = new Map([...locals].map(([k, v]) => [`$${k}`, v] as [string, unknown]));
    // A worker without a stitchable anchor (an iothread's pool): `bt` shows the worker's own frames.
    this.stopper.stop({ header: condError !== undefined ? `${condError}\n${head}` : head, frames, point: p, vars, thread, frameInHeader: true, anchor, remote: thread !== undefined && anchor === undefined });
  }

  /** The notifier handler: a worker reported a hit and waits. */
  private workerHit(n: EventNotifier): void {
    event_notifier_test_and_clear(n);
    if (shared === null || this.words === null) return;
    const hit: WorkerHit | null = readReport(shared.env.sab);
    if (hit === null || Atomics.load(this.words, OWNER) === 0) return;
    try {
      let first: { p: SyscallCatchpoint; condError?: string } | null = null;
      const errors = new Map(hit.condErrors);
      for (const num of [...hit.nums, ...errors.keys()].sort((a, b) => a - b)) {
        const p = this.points.get(num);
        if (!(p instanceof SyscallCatchpoint)) continue;
        const e = errors.get(num);
        const c = this.points.check(p, () => undefined, e !== undefined ? { condError: `Error in testing condition for breakpoint ${num}:\n${e}` } : { condDone: true });
        if (c.stop && first === null) first = { p, condError: c.condError };
      }
      if (first !== null) {
        const locals = syscallLocals(hit.name as SyscallName, hit.raw as SyscallRawArgs[SyscallName], hit.ret);
        this.report(first.p, hit.kind, hit.name, hit.frames, locals, first.condError, { name: hit.thread, tid: hit.tid }, hit.anchor);
      }
    } finally {
      clearReport(shared.env.sab);
      Atomics.store(this.words, OWNER, 0);
      Atomics.notify(this.words, OWNER);
      Atomics.add(this.words, RESUME, 1);
      Atomics.notify(this.words, RESUME);
    }
  }

  /** Leave no worker blocked (the console is going away). */
  release(): void {
    if (this.words === null) return;
    if (shared !== null) writeCatchSet(shared.env.sab, []);
    this.setStopped(false);
    Atomics.add(this.words, RESUME, 1);
    Atomics.notify(this.words, RESUME);
  }
}

