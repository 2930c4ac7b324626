/**
 * Messages between the front-end thread (CLI, later the TUI, console and gdb stub) and the
 * emulator thread (vCPUs, devices). DESIGN.md §2: the emulator runs in its own worker thread so
 * the front ends stay responsive while it runs or is stopped.
 */
import type { MachineOptions } from '../cli/qemu-options';
import type { RunExit } from './cpus';
import type { DebugChannelEnd } from './debug-channel';

/** workerData of an emulator thread started before its machine is known (emulator.ts prestartEmulator). */
export interface EmulatorPrestart {
  prestart: true;
}

/** The first message to a prestarted emulator thread: its data, as workerData would have been. */
export interface EmulatorStart {
  type: 'start';
  data: EmulatorThreadData;
}

/** workerData of the emulator thread. */
export interface EmulatorThreadData {
  options: MachineOptions;
  /** The guest console's input: a ByteRing the front end produces into. */
  serialInput: SharedArrayBuffer;
  /** Port the emulator polls synchronously (receiveMessageOnPort) for control messages. */
  control: import('node:worker_threads').MessagePort;
  /** The emulator's end of the debug channel (./debug-channel.ts). */
  debug: DebugChannelEnd;
}

/** Front end → emulator. */
export type ControlMessage = { type: 'quit' };

/** Emulator → front end. */
export type EmulatorEvent =
  | { type: 'serial'; data: Uint8Array }
  /** The machine could not be created (bad kernel image, bad dtb...): one line for the user. */
  | { type: 'error'; message: string }
  | { type: 'dtb-dumped'; path: string }
  /** A warning for the user's stderr (QEMU's wording, newline-terminated). */
  | { type: 'warning'; text: string }
  | { type: 'exit'; exit: SerializableExit; instructions: number; seconds: number; startedAt: number };

export type SerializableExit = Exclude<RunExit, { kind: 'stopped' }> | { kind: 'stopped'; hart: number; reason: string };
