/**
 * Entry of the emulator thread: builds the machine from the options (QEMU's system/vl.c role),
 * then runs the vCPUs round-robin (./cpus.ts) until poweroff, reset-to-exit or quit.
 * Console output is batched per round and posted to the front end; input arrives in a ByteRing.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { ControlMessage, EmulatorEvent, EmulatorThreadData, SerializableExit } from './emulator-protocol';
import { ByteRing } from '../util/byte-ring';
import { runRoundRobin, type RunExit, type RunHooks } from './cpus';
import { createMachine, MachineSetupError } from './machine-setup';
import { main_loop_wait, qemu_init_main_loop } from '../util/main-loop';
import { startTracing, type TracingSession } from '../trace/setup';

/** Longest single blocking wait of the idle main loop, so console input (a ByteRing, not a notifier) is seen promptly. */
const IDLE_SLICE_NS = 2_000_000;

function post(ev: EmulatorEvent): void {
  parentPort!.postMessage(ev);
}

function main(): void {
  const data = workerData as EmulatorThreadData;
  const input = new ByteRing(data.serialInput);
  let out: number[] = [];
  let shutdown: RunExit | undefined;
  let quit = false;

  // QEMU's main loop (AioContexts, bottom halves, the thread pool's completions, the virtqueues'
  // host notifiers) runs on this thread between vCPU rounds, as under single-threaded TCG.
  qemu_init_main_loop();
  // -trace/-D: enabled before the machine exists, so setup-time events are seen too.
  const t = data.options.trace;
  const tracing: TracingSession | null = t.specs.length > 0 || t.logFile !== undefined ? startTracing(t) : null;
  let machine;
  try {
    machine = createMachine(data.options, {
      write: (bytes) => {
        for (const b of bytes) out.push(b);
      },
      warn: (text) => post({ type: 'warning', text }),
      onShutdown: (r) => {
        shutdown = r;
      },
      input,
    });
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

  const flush = () => {
    if (out.length > 0) {
      post({ type: 'serial', data: Uint8Array.from(out) });
      out = [];
    }
  };
  const start = performance.now();
  const instret0 = machine.harts.reduce((a, h) => a + h.instret, 0);
  const m = machine;
  const hooks: RunHooks = {
    poll() {
      main_loop_wait(true);
      m.pollInput();
      flush();
      if (tracing !== null) tracing.flush();
      for (let m = receiveMessageOnPort(data.control); m !== undefined; m = receiveMessageOnPort(data.control)) {
        const msg = m.message as ControlMessage;
        if (msg.type === 'quit') quit = true;
      }
    },
    idle(ms) {
      // Sleep in the main loop (woken by notifiers, bottom halves and timers) in short slices,
      // checking the console ring between them.
      const deadline = performance.now() + ms;
      for (;;) {
        if (input.available() > 0) return;
        const left = deadline - performance.now();
        if (left <= 0) return;
        if (main_loop_wait(false, Math.min(left * 1e6, IDLE_SLICE_NS))) return;
      }
    },
    shouldExit(): RunExit | undefined {
      if (shutdown !== undefined) return shutdown;
      if (quit) return { kind: 'quit' };
      return undefined;
    },
  };
  let exit = runRoundRobin(m, hooks);
  while (exit.kind === 'reset') {
    shutdown = undefined;
    m.reset();
    exit = runRoundRobin(m, hooks);
  }
  flush();
  if (tracing !== null) tracing.close();
  const serial: SerializableExit = exit.kind === 'stopped' ? { kind: 'stopped', hart: exit.hart, reason: exit.reason.kind } : exit;
  post({
    type: 'exit',
    exit: serial,
    instructions: machine.harts.reduce((a, h) => a + h.instret, 0) - instret0,
    seconds: (performance.now() - start) / 1000,
  });
}

main();
