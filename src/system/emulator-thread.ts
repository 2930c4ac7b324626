/**
 * The emulator thread's body (its script is ./emulator-entry.ts): builds the machine from the
 * options (QEMU's system/vl.c role), then runs the vCPUs round-robin (./cpus.ts) until poweroff,
 * reset-to-exit or quit.
 * Console output is batched per round and posted to the front end; input arrives in a ByteRing.
 * Debugger requests and stops go through the debug channel (./debug-channel.ts): requests are
 * answered between rounds, and a stop blocks this whole thread until a front end resumes it.
 */
import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { ControlMessage, EmulatorEvent, EmulatorThreadData, SerializableExit } from './emulator-protocol';
import { ByteRing } from '../util/byte-ring';
import { setThreadName } from '../host/thread-id';
import { runRoundRobin, type RunExit, type RunHooks } from './cpus';
import { createMachine, MachineSetupError, qemu_cleanup, qemu_poweroff_release_locks } from './machine-setup';
import { main_loop_wait, qemu_get_aio_context, qemu_init_main_loop } from '../util/main-loop';
import { startTracing, traceSessionNeeded, type TracingSession } from '../trace/setup';
import { DebugServer } from './debug-channel';
import { installDebugTarget } from './debug-target';
import { builtinCommands, ConsoleCommands } from './debug-commands';
import { cpu_disable_ticks, cpu_enable_ticks } from '../util/qemu-timer';
import { ConsoleHost } from '../debug/host';
import type { PluginHost } from '../plugin/host';
import { dataPlaneRequestsOutstanding } from '../hw/block/dataplane/virtio-blk';

/** Longest single blocking wait of the idle main loop, so console input (a ByteRing, not a notifier) is seen promptly. */
const IDLE_SLICE_NS = 2_000_000;
/** Instructions per round while the main thread pool has requests in flight (see RunHooks.slice). */
const IO_SLICE = 10_000;

function post(ev: EmulatorEvent): void {
  parentPort!.postMessage(ev);
}

export function main(data: EmulatorThreadData): void {
  const input = new ByteRing(data.serialInput);
  let out: number[] = [];
  let shutdown: RunExit | undefined;
  let quit = false;

  // QEMU's main loop (AioContexts, bottom halves, the thread pool's completions, the virtqueues'
  // host notifiers) runs on this thread between vCPU rounds, as under single-threaded TCG.
  setThreadName('emulator'); // vtrace's name for this thread in records, traces and backtraces
  qemu_init_main_loop();
  // -trace/-D/--trace-out: enabled before the machine exists, so setup-time events are seen too.
  const t = data.options.trace;
  const tracing: TracingSession | null = traceSessionNeeded(t) ? startTracing(t) : null;
  // --plugin (src/plugin/host.ts): installed before the machine, so they see it come up; a bad
  // plugin argument ends the run here, with one line.
  // (Loaded only when asked for: startup time is part of every boot.)
  const plugins: PluginHost | null =
    data.options.plugins.length > 0 ? new (require('../plugin/host') as typeof import('../plugin/host.js')).PluginHost({ send: (text) => post({ type: 'warning', text }) }) : null;
  const badPluginArg = plugins?.load(data.options.plugins) ?? null;
  if (badPluginArg !== null) {
    post({ type: 'error', message: badPluginArg });
    return;
  }
  // The debug console (src/debug/host.ts); under `vtrace debug` the drives wait for its `run`.
  const dc = new ConsoleHost(data.options);
  let machine;
  try {
    machine = createMachine(dc.options, dc.host({
      write: (bytes) => {
        for (const b of bytes) out.push(b);
      },
      warn: (text) => post({ type: 'warning', text }),
      onShutdown: (r) => {
        shutdown = r;
      },
      input,
    }));
  } catch (e) {
    if (e instanceof MachineSetupError) {
      post({ type: 'error', message: e.message });
      return;
    }
    throw e;
  }
  if (machine === 'dtb-dumped') {
    post({ type: 'dtb-dumped', path: data.options.dumpDtb! });
    return;
  }
  tracing?.attachMachine(machine);

  const flush = () => {
    if (out.length > 0) {
      post({ type: 'serial', data: Uint8Array.from(out) });
      out = [];
    }
  };
  const start = performance.now();
  const instret0 = machine.harts.reduce((a, h) => a + h.instret, 0);
  const m = machine;

  // The debug channel: handlers over the harts and the board; a stop flushes the console and
  // freezes guest time (the board's clock and QEMU_CLOCK_VIRTUAL), as QEMU's vm_stop.
  const debug = new DebugServer(data.debug);
  installDebugTarget(debug, m);
  const commands = new ConsoleCommands();
  builtinCommands(commands, m);
  commands.install(debug);
  dc.install(debug, m, commands);
  plugins?.attach(m, commands, debug, { machineTraced: tracing !== null });
  debug.register('quit', () => {
    quit = true;
    if (debug.stopped !== null) debug.resume({ kind: 'continue' });
  });
  const clock = m.clock as { pause?: () => void; resume?: () => void };
  debug.onStop.push(() => {
    flush();
    if (tracing !== null) tracing.flush();
    plugins?.poll();
    clock.pause?.();
    cpu_disable_ticks();
  });
  debug.onResume.push(() => {
    clock.resume?.();
    cpu_enable_ticks();
  });
  const hooks: RunHooks = {
    poll() {
      // Until it settles (a handler's bottom halves, e.g. the pool's kick, run before the vCPUs go
      // on, as QEMU's main loop would run them at once beside the vCPU threads).
      for (let i = 0; i < 4 && main_loop_wait(true); i++);
      m.pollInput();
      flush();
      if (tracing !== null) tracing.flush();
      plugins?.poll();
      for (let m = receiveMessageOnPort(data.control); m !== undefined; m = receiveMessageOnPort(data.control)) {
        const msg = m.message as ControlMessage;
        if (msg.type === 'quit') quit = true;
      }
      debug.service();
    },
    idle(ms) {
      // Sleep in the main loop (woken by notifiers, bottom halves and timers) in short slices,
      // checking the console ring between them.
      const deadline = performance.now() + ms;
      for (;;) {
        if (input.available() > 0 || debug.pending()) return;
        const left = deadline - performance.now();
        if (left <= 0) return;
        if (main_loop_wait(false, Math.min(left * 1e6, IDLE_SLICE_NS))) return;
      }
    },
    slice(): number | undefined {
      // Requests in the main loop's thread pool, or in a dataplane's iothread: their completions
      // are noticed (and turned into interrupts) between rounds.
      const pool = qemu_get_aio_context().thread_pool;
      return (pool !== null && pool.in_flight > 0) || dataPlaneRequestsOutstanding() ? IO_SLICE : undefined;
    },
    shouldExit(): RunExit | undefined {
      if (shutdown !== undefined) return shutdown;
      if (quit) return { kind: 'quit' };
      return undefined;
    },
    onStop(hart, reason) {
      debug.stopHere({ hart: hart.hartId, reason });
      return 'resume';
    },
    interruptRequested: () => debug.interruptRequested(),
    takeStep: () => debug.takeStep(),
  };
  // -S: stopped before the first instruction, until a front end continues.
  if (data.options.startStopped) debug.stopHere({ hart: 0, reason: { kind: 'start' } });
  try {
    if (!dc.beforeRun()) quit = true;
  } catch (e) {
    if (e instanceof MachineSetupError) {
      post({ type: 'error', message: e.message });
      return;
    }
    throw e;
  }
  let exit: RunExit = quit ? { kind: 'quit' } : runRoundRobin(m, hooks);
  while (exit.kind === 'reset') {
    shutdown = undefined;
    m.reset();
    exit = runRoundRobin(m, hooks);
  }
  dc.afterRun(exit);
  flush();
  // Leaving as QEMU does: a guest poweroff (sifive_test, SBI SRST) exits at once (QEMU's
  // sifive_test calls exit()); a quit (Ctrl-A x, the TUI's q, gdb's k, the console's quit) goes
  // through qemu_cleanup, which flushes and closes every drive (before the recording ends, so it
  // sees the closes).
  if (exit.kind !== 'poweroff') for (const w of qemu_cleanup()) post({ type: 'warning', text: w + '\n' });
  else qemu_poweroff_release_locks(); // as the kernel drops the OFD locks of QEMU's exit()
  plugins?.exit(); // the plugins' reports, after the drives closed
  if (tracing !== null) tracing.close();
  const serial: SerializableExit = exit.kind === 'stopped' ? { kind: 'stopped', hart: exit.hart, reason: exit.reason.kind } : exit;
  post({
    type: 'exit',
    exit: serial,
    instructions: machine.harts.reduce((a, h) => a + h.instret, 0) - instret0,
    seconds: (performance.now() - start) / 1000,
    startedAt: performance.timeOrigin + start,
  });
}
