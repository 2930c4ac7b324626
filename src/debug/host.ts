/**
 * The debug console's place in the emulator thread (src/system/emulator-thread.ts calls these, in
 * this order):
 *
 *   const dc = new ConsoleHost(data.options)      before the machine: in `vtrace debug` mode the
 *                                                 machine is created without its -device drives
 *   createMachine(dc.options, dc.host({...}))     (dc.host keeps the machine's host side)
 *   dc.install(server, machine, commands)         the console on the debug channel ('console.*')
 *   dc.beforeRun()                                `vtrace debug`: answer the front ends until `run`,
 *                                                 then open the drives and plug the devices (pending
 *                                                 watchpoints arm as they appear); false if the
 *                                                 front end quit instead; may throw MachineSetupError
 *   ... the run loop ...
 *   dc.afterRun(exit)                             `vtrace debug`: report the exit and stay
 *                                                 inspectable until the front end quits
 *
 * `vtrace debug` mode is chosen by the front end through worker_threads environment data
 * (DEBUG_CONSOLE_KEY), set before it starts the emulator thread; otherwise (vtrace run) the console
 * is still installed, for gdb's `monitor` and the TUI, and changes nothing until used.
 *
 * Importing this module makes every thread pool created afterwards load the syscall catcher
 * (catch-syscall.ts installCatchShared), so `catch syscall` sees pool workers.
 *
 * Contract: emulator thread.
 */
import { getEnvironmentData } from 'node:worker_threads';
import type { MachineOptions } from '../cli/qemu-options';
import type { VirtMachine } from '../machine/virt/virt';
import type { RunExit } from '../system/cpus';
import type { DebugServer } from '../system/debug-channel';
import type { ConsoleCommands } from '../system/debug-commands';
import { attachBlockDevices, type MachineHostSide } from '../system/machine-setup';
import { armBacktraces, attachBacktraceMachine } from '../trace/backtrace';
import { installCatchShared } from './catch-syscall';
import { DebugConsole } from './console';
import { DEBUG_CONSOLE_KEY } from './host-key';


installCatchShared();

export class ConsoleHost {
  readonly debugMode: boolean;
  /** The options to create the machine with (no devices yet in debug mode). */
  readonly options: MachineOptions;
  private hostSide: MachineHostSide | null = null;
  private console: DebugConsole | null = null;
  private machine: VirtMachine | null = null;

  constructor(private readonly full: MachineOptions) {
    this.debugMode = getEnvironmentData(DEBUG_CONSOLE_KEY) === true;
    this.options = this.debugMode ? { ...full, devices: [] } : full;
  }

  /** Keep the machine's host side (for plugging the devices later); returns it. */
  host<T extends MachineHostSide>(h: T): T {
    this.hostSide = h;
    return h;
  }

  install(server: DebugServer, machine: VirtMachine, builtin: ConsoleCommands | null): DebugConsole {
    this.machine = machine;
    // Links for stitched backtraces: in debug mode from the start, so pool workers (started later)
    // carry their job's submission link.
    if (this.debugMode) {
      armBacktraces(true);
      attachBacktraceMachine(machine);
    }
    this.console = new DebugConsole(server, () => this.machine, this.full, builtin, { debugMode: this.debugMode });
    return this.console;
  }

  /** False when the front end quit instead of `run` (nothing must run then). */
  beforeRun(): boolean {
    if (!this.debugMode || this.console === null || this.machine === null) return true;
    if (!this.console.waitForRun()) return false;
    if (this.full.devices.length > 0) attachBlockDevices(this.full, this.machine, this.hostSide!);
    this.console.refreshWatches();
    return true;
  }

  afterRun(exit: RunExit): void {
    if (!this.debugMode || this.console === null || exit.kind === 'quit') return;
    const how =
      exit.kind === 'poweroff'
        ? exit.code === 0
          ? 'exited normally'
          : `exited with code 0${exit.code.toString(8)}`
        : exit.kind === 'stopped'
          ? `stopped (${exit.reason.kind})`
          : `ended (${exit.kind})`;
    this.console.exited(`\n[Inferior 1 (vtrace) ${how}]\n`);
  }
}
