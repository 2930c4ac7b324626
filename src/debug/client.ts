/**
 * The console's front-end driver (main thread), shared by `vtrace debug` and the TUI's `:` line:
 * one call per command line. It sends inspection commands to 'console.exec' and run-control
 * commands (run, continue, stepi, next-event) to 'console.run', then waits for the machine to
 * stop again (or exit) and prints the stop's report ('console.drain'). While the machine runs,
 * reports of stops that auto-continued (`commands ... continue`) are drained every POLL_MS.
 *
 * Contract: main thread. `exec` never throws for command errors: it prints them (gdb prints an
 * error and goes on) and resolves to false. `interrupt()` is Ctrl-C: it stops a running machine.
 */
import { DebugRequestError, type DebugClient } from '../system/debug-channel';
import { classify, parseCommand } from './command-names';
import type {} from './requests';
import { execWithLiveFrames, sendLiveFrames } from './live-frames';

const POLL_MS = 100;

export type Output = (text: string) => void;

export class ConsoleClient {
  private waiting = false;
  private exited = false;

  constructor(
    private readonly debug: DebugClient,
    private readonly out: Output,
    /** Where command errors go (gdb: stderr); default `out`. */
    private readonly err: Output = out,
  ) {
    debug.on('exited', () => {
      this.exited = true;
    });
  }

  /** Is a run-control command waiting for the machine to stop (Ctrl-C interrupts it)? */
  get running(): boolean {
    return this.waiting;
  }

  get gone(): boolean {
    return this.exited || this.debug.state.kind === 'exited';
  }

  interrupt(): void {
    if (this.waiting) this.debug.interrupt();
  }

  /**
   * Print what the console queued (stop reports, `commands` output). The report of a stop still
   * in progress waits for `report()`, which first gives it the live frame arguments.
   */
  async drain(final = false): Promise<void> {
    if (this.gone) return;
    try {
      const text = await this.debug.request('console.drain', { final });
      if (text !== '') this.out(text);
    } catch {
      // the machine is gone
    }
  }

  /** After a stop: read the stopped thread's live frames (frame #0's arguments), then print the report. */
  async report(): Promise<void> {
    if (this.gone) return;
    await sendLiveFrames(this.debug).catch(() => undefined);
    await this.drain(true);
  }

  /** Before ending the machine: delete every point so nothing stops it on its way out. */
  async detach(): Promise<void> {
    if (this.gone) return;
    try {
      await this.debug.request('console.detach');
    } catch {
      // the machine is gone
    }
  }

  async complete(line: string): Promise<string[]> {
    if (this.gone) return [];
    try {
      return await this.debug.request('console.complete', { line });
    } catch {
      return [];
    }
  }

  /** Run one command line (a `commands` block arrives as one string with newlines). True on success. */
  async exec(line: string): Promise<boolean> {
    if (this.gone) {
      this.err('The program is not being run.\n');
      return false;
    }
    const cls = classify(line.split('\n')[0]);
    if (cls === 'run' || cls === 'continue' || cls === 'step' || cls === 'next-event') {
      let times = 1;
      if (cls === 'step') {
        const a = parseCommand(line).args;
        if (a !== '') times = Number(a);
        if (!Number.isInteger(times) || times < 1) {
          this.err(`Invalid number "${a}".\n`);
          return false;
        }
      }
      for (let i = 0; i < times; i++) {
        const ok = await this.runAndWait(cls === 'step' ? 'stepi' : line);
        if (!ok) return false;
      }
      return true;
    }
    try {
      const text = await execWithLiveFrames(this.debug, line);
      if (text !== '') this.out(text);
      return true;
    } catch (e) {
      this.error(e);
      return false;
    }
  }

  private error(e: unknown): void {
    if (e instanceof DebugRequestError) this.err(`${e.message}\n`);
    else throw e;
  }

  /** Send a run-control line, then wait for the next stop or the end. */
  private async runAndWait(line: string): Promise<boolean> {
    let resolveStop!: () => void;
    const stopped = new Promise<void>((r) => (resolveStop = r));
    const onStop = () => resolveStop();
    this.debug.on('stopped', onStop);
    this.debug.on('exited', onStop);
    this.waiting = true;
    const poll = setInterval(() => void this.drain(), POLL_MS);
    try {
      const text = await this.debug.request('console.run', { line });
      if (text !== '') this.out(text);
    } catch (e) {
      clearInterval(poll);
      this.waiting = false;
      this.debug.off('stopped', onStop);
      this.debug.off('exited', onStop);
      this.error(e);
      return false;
    }
    await stopped;
    clearInterval(poll);
    this.waiting = false;
    this.debug.off('stopped', onStop);
    this.debug.off('exited', onStop);
    await this.report();
    return true;
  }
}
