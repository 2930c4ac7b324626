/**
 * The TUI's handle on the machine: pause/continue through the debug channel's client
 * (src/system/debug-channel.ts), the debug console's commands through its front-end driver
 * (src/debug/client.ts ConsoleClient — the same commands as `vtrace debug`, run control included:
 * `:watch hd0.file.fd`, `:continue`, `:bt`), "step one event" as the console's `next-event`,
 * guest keystrokes into the UART, quit.
 *
 * Stop reports (a watchpoint or catchpoint hit, a next-event) are drained from the console at
 * each stop and handed to `onReport`.
 *
 * Contract: every method resolves (never rejects) with text for the status line or the debug
 * pane; run-state changes arrive through `onState`.
 */
import type { DebugClient, StopEvent } from '../../system/debug-channel';
import type { EmulatorThread } from '../../system/emulator';
import { ConsoleClient } from '../../debug/client';
import type { VmState } from '../model/vm-state';

export interface VmControl {
  pause(): Promise<string>;
  cont(): Promise<string>;
  stepEvent(): Promise<string>;
  /** A debug console command line: its output text; ok false when it failed. */
  exec(line: string): Promise<{ ok: boolean; text: string }>;
  sendSerial(bytes: Uint8Array): void;
  quit(): void;
}

export function stopReasonText(s: StopEvent): string {
  const r = s.reason as { kind: string };
  switch (r.kind) {
    case 'interrupted':
      return 'paused';
    case 'start':
      return 'stopped at start (-S)';
    default:
      return `${r.kind.replace(/-/g, ' ')}, hart ${s.hart}`;
  }
}

export class DebugVmControl implements VmControl {
  private readonly debug: DebugClient;
  private readonly console: ConsoleClient;
  private out = '';

  constructor(
    private readonly emu: EmulatorThread,
    onState: (s: VmState) => void,
    onReport: (text: string) => void = () => {},
  ) {
    this.debug = emu.debug;
    this.console = new ConsoleClient(this.debug, (t) => (this.out += t));
    this.debug.on('stopped', (s) => {
      onState({ kind: 'stopped', why: stopReasonText(s) });
      // The console's report of this stop (which watchpoint, Old/New value, the frame), if any.
      if (!this.console.running) {
        void this.capture(() => this.console.report()).then((t) => {
          if (t.trim() !== '') onReport(t);
        });
      }
    });
    this.debug.on('resumed', () => onState({ kind: 'running' }));
    const st = this.debug.state;
    onState(st.kind === 'stopped' ? { kind: 'stopped', why: stopReasonText(st.stop) } : st.kind === 'exited' ? { kind: 'exited', how: 'exited', code: null } : { kind: 'running' });
  }

  private get gone(): boolean {
    return this.debug.state.kind === 'exited';
  }

  /** Run `f`, returning what the console printed meanwhile. */
  private async capture(f: () => Promise<unknown>): Promise<string> {
    const before = this.out.length;
    await f();
    const text = this.out.slice(before);
    if (this.out.length > 1 << 20) this.out = '';
    return text;
  }

  async pause(): Promise<string> {
    if (this.gone) return 'the machine has exited';
    if (this.debug.state.kind === 'stopped') return 'already stopped (c continues)';
    this.debug.interrupt();
    return 'pausing…';
  }

  async cont(): Promise<string> {
    if (this.gone) return 'the machine has exited';
    if (this.debug.state.kind === 'running') return 'already running';
    try {
      await this.debug.continue();
      return 'continued';
    } catch (e) {
      return `continue: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  async stepEvent(): Promise<string> {
    if (this.gone) return 'the machine has exited';
    if (this.debug.state.kind === 'running') return 'pause the machine first (p); n then steps one event';
    let ok = true;
    const text = await this.capture(async () => {
      ok = await this.console.exec('next-event');
    });
    const last = text.trim().split('\n').filter((l) => l.trim() !== '');
    return ok ? (last.length > 0 ? last.slice(0, 2).join(' — ') : 'stepped one event') : `next-event: ${last.join(' ') || 'failed'}`;
  }

  async exec(line: string): Promise<{ ok: boolean; text: string }> {
    if (this.gone) return { ok: false, text: 'the machine has exited' };
    let ok = true;
    const text = await this.capture(async () => {
      ok = await this.console.exec(line);
    });
    return { ok, text };
  }

  sendSerial(bytes: Uint8Array): void {
    if (!this.gone) this.emu.sendSerial(bytes);
  }

  quit(): void {
    this.emu.quit();
  }
}
