/**
 * The front end's handle on the emulator thread (DESIGN.md §2): starts the worker that owns the
 * machine, feeds it console input through a shared ring (so it wakes even while sleeping in
 * WFI idle), and turns its events into callbacks. Runs on the main thread. `debug` is the main
 * thread's end of the debug channel (./debug-channel.ts), shared by every front end.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import * as path from 'node:path';
import type { MachineOptions } from '../cli/qemu-options';
import { ByteRing } from '../util/byte-ring';
import type { ControlMessage, EmulatorEvent, EmulatorPrestart, EmulatorStart, EmulatorThreadData, SerializableExit } from './emulator-protocol';
import { createDebugChannel, type DebugClient } from './debug-channel';

export interface EmulatorCallbacks {
  serial(data: Uint8Array): void;
  error(message: string): void;
  dtbDumped?(path: string): void;
  warning?(text: string): void;
}

export interface EmulatorResult {
  exit: SerializableExit | { kind: 'crashed'; message: string };
  instructions: number;
  seconds: number;
  /** When the guest's first instruction ran (ms since the epoch, performance.timeOrigin scale); absent if it never ran. */
  startedAt?: number;
}

const SCRIPT = path.join(__dirname, 'emulator-entry.js');
const WORKER_OPTIONS = {
  // The guest console must not be line-buffered by Node's worker stdio.
  stdout: false,
  stderr: false,
  name: 'emulator',
};

let prestarted: Worker | null = null;

/**
 * Start the emulator thread before the machine is known (bin/vtrace, first thing for `run`): it
 * loads its modules and warms up the interpreter (together ~130 ms) while this thread loads and
 * parses the command line; the next EmulatorThread takes it over. Unused (a bad command line,
 * --help) it keeps nothing alive: it is unref'd, and the process exits without it.
 * Caveat: a worker sees the environment data (worker_threads.setEnvironmentData) of its creation
 * time; a front end that sets some for the emulator thread (`vtrace debug`: DEBUG_CONSOLE_KEY)
 * must not prestart.
 */
export function prestartEmulator(): void {
  if (prestarted !== null) return;
  const w = new Worker(SCRIPT, { ...WORKER_OPTIONS, workerData: { prestart: true } satisfies EmulatorPrestart });
  w.unref();
  // One that failed or ended before it was taken over is not used: EmulatorThread starts a new
  // one, which reports the failure.
  const gone = () => {
    if (prestarted === w) prestarted = null;
  };
  w.on('error', gone);
  w.on('exit', gone);
  prestarted = w;
}

export class EmulatorThread {
  private readonly worker: Worker;
  private readonly input = new ByteRing(64 * 1024);
  private readonly control = new MessageChannel();
  private pending: Uint8Array[] = [];
  readonly done: Promise<EmulatorResult>;
  /** The debug channel's client: requests, stops, interrupts. */
  readonly debug: DebugClient;

  constructor(options: MachineOptions, cb: EmulatorCallbacks) {
    const channel = createDebugChannel();
    this.debug = channel.client;
    const data: EmulatorThreadData = { options, serialInput: this.input.sab, control: this.control.port2, debug: channel.end };
    const transferList = [this.control.port2, channel.end.port];
    const early = prestarted;
    prestarted = null;
    if (early !== null) {
      early.ref();
      early.postMessage({ type: 'start', data } satisfies EmulatorStart, transferList);
      this.worker = early;
    } else this.worker = new Worker(SCRIPT, { ...WORKER_OPTIONS, workerData: data, transferList });
    this.done = new Promise((resolve) => {
      let result: EmulatorResult | undefined;
      this.worker.on('message', (m: EmulatorEvent) => {
        switch (m.type) {
          case 'serial':
            cb.serial(m.data);
            break;
          case 'error':
            cb.error(m.message);
            result = { exit: { kind: 'quit' }, instructions: 0, seconds: 0 };
            break;
          case 'warning':
            cb.warning?.(m.text);
            break;
          case 'dtb-dumped':
            cb.dtbDumped?.(m.path);
            result = { exit: { kind: 'quit' }, instructions: 0, seconds: 0 };
            break;
          case 'exit':
            result = { exit: m.exit, instructions: m.instructions, seconds: m.seconds, startedAt: m.startedAt };
            break;
        }
      });
      this.worker.on('error', (e) => {
        result = { exit: { kind: 'crashed', message: e.stack ?? String(e) }, instructions: 0, seconds: 0 };
      });
      this.worker.on('exit', () => {
        this.debug.markExited(result?.exit.kind === 'poweroff' ? result.exit.code : null);
        resolve(result ?? { exit: { kind: 'crashed', message: 'emulator thread exited without a result' }, instructions: 0, seconds: 0 });
      });
    });
  }

  /** Console input for the guest UART. Bytes that don't fit yet are retried, never dropped. */
  sendSerial(bytes: Uint8Array): void {
    this.pending.push(bytes);
    this.drain();
  }

  private drain(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0];
      const n = this.input.push(head);
      if (n < head.length) {
        this.pending[0] = head.subarray(n);
        setTimeout(() => this.drain(), 5);
        return;
      }
      this.pending.shift();
    }
  }

  send(msg: ControlMessage): void {
    this.control.port1.postMessage(msg);
    this.input.kick(); // wake it if idle
  }

  /** Leave the run loop, whether the machine runs or is stopped in the debugger. */
  quit(): void {
    this.send({ type: 'quit' });
    this.debug.request('quit').catch(() => {});
  }
}
