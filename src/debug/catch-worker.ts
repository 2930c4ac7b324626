/**
 * `catch syscall` on a thread-pool worker (loaded into every pool worker: threadPoolAddModule).
 *
 * The worker's syscalls (pread64/preadv/pwrite64/pwritev/fdatasync of handle_aiocb_*) are caught on
 * the worker itself, before the call ("call to syscall") and after it ("returned from syscall"):
 *  1. While the emulator thread is in a stop (STOPPED), block first: nothing starts during a stop.
 *  2. Match the catch set (names, then the condition over the arguments, evaluated here).
 *  3. Claim the report slot (OWNER), write the hit (arguments, this thread, its frames), set the
 *     emulator thread's debug notifier (its main loop wakes and reports the stop) and block on
 *     RESUME until the user continues. The syscall then goes ahead (call) or returns (return).
 * Cost: with no catchpoint set, one Atomics.load per syscall (the entry hook checks COUNT); the
 * exit hook (which makes every call build its record) is only installed while catchpoints exist.
 *
 * Contract: runs on a pool worker; does nothing if the emulator thread left no CatchEnv (the
 * debugger is not in use). Never throws into the syscall layer.
 */
import { getEnvironmentData } from 'node:worker_threads';
import { setSyscallCatcher, type SyscallName, type SyscallRawArgs, type SyscallRecord } from '../host/record';
import { gettid, threadName } from '../host/thread-id';
import { poolWorkerSelf } from '../util/thread-pool-funcs';
import { event_notifier_set, openSharedEventNotifier, type EventNotifier } from '../util/event-notifier';
import { CATCH_ENV_KEY, COUNT, OWNER, RESUME, STOPPED, VERSION, readCatchSet, writeReport, type CatchEnv } from './catch-shared';
import { evalExpr, parseExpr, truthy, type Expr } from './expr';
import { captureFrames, type Anchor } from './frames';
import { syscallArgsText, syscallFrames, syscallLocals, type CatchSpec } from './syscall-info';

const env = getEnvironmentData(CATCH_ENV_KEY) as CatchEnv | undefined;

if (env !== undefined) install(env);

function install(e: CatchEnv): void {
  const w = new Int32Array(e.sab);
  let notifier: EventNotifier | null = null;
  let version = -1;
  let specs: Array<CatchSpec & { expr: Expr | null; parseError: string | null }> = [];
  let exitOn = false;

  const refresh = () => {
    const v = Atomics.load(w, VERSION);
    if (v === version) return;
    version = v;
    specs = readCatchSet(e.sab).map((s) => {
      try {
        return { ...s, expr: s.cond === null ? null : parseExpr(s.cond), parseError: null };
      } catch (err) {
        return { ...s, expr: null, parseError: (err as Error).message };
      }
    });
    const want = specs.length > 0;
    if (want !== exitOn) {
      exitOn = want;
      setSyscallCatcher({ entry, exit: want ? exit : null });
    }
  };

  const waitWhileStopped = () => {
    while (Atomics.load(w, STOPPED) === 1) Atomics.wait(w, STOPPED, 1, 1000);
  };

  const hit = (kind: 'call' | 'return', name: SyscallName, raw: SyscallRawArgs[SyscallName], ret?: number) => {
    const locals = syscallLocals(name, raw, ret);
    const nums: number[] = [];
    const condErrors: Array<[number, string]> = [];
    for (const s of specs) {
      if (s.names !== null && !s.names.includes(name)) continue;
      if (s.parseError !== null) {
        condErrors.push([s.num, s.parseError]);
        continue;
      }
      if (s.expr !== null) {
        try {
          const ok = truthy(
            evalExpr(s.expr, (p) => {
              if (locals.has(p)) return locals.get(p) as never;
              if (p.startsWith('$') && locals.has(p.slice(1))) return locals.get(p.slice(1)) as never;
              throw new Error(`No symbol "${p}" in current context.`);
            }),
          );
          if (!ok) continue;
        } catch (err) {
          condErrors.push([s.num, (err as Error).message]);
          continue;
        }
      }
      nums.push(s.num);
    }
    if (nums.length === 0 && condErrors.length === 0) return;
    const tid = gettid();
    // One report at a time: wait for the slot.
    while (Atomics.compareExchange(w, OWNER, 0, tid) !== 0) Atomics.wait(w, OWNER, Atomics.load(w, OWNER), 100);
    const args = syscallArgsText(name, raw);
    const frames = syscallFrames(captureFrames(), name, args);
    const anchor = backtraceAnchor(name, args);
    writeReport(e.sab, { kind, name, raw, ret, nums, condErrors, thread: poolWorkerSelf()?.name ?? threadName(), tid, frames, anchor });
    const seq = Atomics.load(w, RESUME);
    notifier ??= openSharedEventNotifier(e.notifier);
    event_notifier_set(notifier);
    while (Atomics.load(w, RESUME) === seq) Atomics.wait(w, RESUME, seq, 1000);
  };

  const entry = <N extends SyscallName>(name: N, raw: SyscallRawArgs[N]): void => {
    if (Atomics.load(w, COUNT) === 0 && Atomics.load(w, STOPPED) === 0) {
      if (exitOn) refresh();
      return;
    }
    try {
      waitWhileStopped();
      refresh();
      hit('call', name, raw);
    } catch (err) {
      process.emitWarning(`vtrace debug: catch syscall on ${threadName()}: ${(err as Error).message}`);
    }
  };

  function exit(rec: SyscallRecord): void {
    if (Atomics.load(w, COUNT) === 0) return;
    try {
      refresh();
      hit('return', rec.name, rec.raw, rec.ret);
    } catch (err) {
      process.emitWarning(`vtrace debug: catch syscall on ${threadName()}: ${(err as Error).message}`);
    }
  }

  setSyscallCatcher({ entry, exit: null });
}

const BACKTRACE_WORKER = require.resolve('../trace/backtrace/worker');

/**
 * The worker's stack with its job's submission link, when backtraces are armed (their worker
 * module is loaded in this worker: the emulator thread armed them before the pool started).
 * Not loaded otherwise: loading it would change how this worker's syscalls are recorded.
 */
function backtraceAnchor(name: string, args: string): Anchor | undefined {
  if (require.cache[BACKTRACE_WORKER] === undefined) return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bt = require(BACKTRACE_WORKER) as typeof import('../trace/backtrace/worker');
    return bt.plainAnchor(bt.workerAnchorHere(name, args));
  } catch {
    return undefined;
  }
}
