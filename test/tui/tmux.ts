/**
 * A real terminal for end-to-end tests: a detached tmux session running a plain bash, driven with
 * `send-keys` and read with `capture-pane`. CI's environment variable is removed inside (Ink
 * renders nothing interactive when it thinks it runs in CI).
 *
 * Contract: every session is killed by kill() (call it in afterAll/finally); waitFor polls the
 * pane and fails with the last screen after `ms`. A capture can catch a full-screen program
 * halfway through redrawing (its top lines new, the rest not drawn yet): wait for everything a
 * test then reads from the screen together (waitFor with a list), not for one line of it.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export function haveTmux(): boolean {
  return spawnSync('tmux', ['-V']).status === 0;
}

export class Tmux {
  readonly name: string;

  constructor(cols: number, rows: number, cwd: string, extraEnv: Record<string, string> = {}) {
    this.name = `vtrace-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const env = Object.entries({ PS1: 'tui-test$ ', TERM: 'xterm-256color', ...extraEnv }).map(([k, v]) => `${k}=${v}`);
    execFileSync('tmux', ['new-session', '-d', '-s', this.name, '-x', String(cols), '-y', String(rows), '-c', cwd, 'env', '-u', 'CI', '-u', 'NO_COLOR', ...env, 'bash', '--norc', '--noprofile']);
    execFileSync('tmux', ['set-option', '-t', this.name, 'status', 'off']);
  }

  /** Type text literally (no key names). */
  type(text: string): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, '-l', text]);
  }

  /** tmux key names: Enter, Up, Down, Tab, Escape, C-a... */
  keys(...names: string[]): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, ...names]);
  }

  capture(): string {
    return execFileSync('tmux', ['capture-pane', '-p', '-t', this.name], { encoding: 'utf8' });
  }

  /** The first capture within `ms` showing `re` (or every one of a list of patterns at once). */
  async waitFor(re: RegExp | string | readonly (RegExp | string)[], ms: number): Promise<string> {
    const end = Date.now() + ms;
    const all = Array.isArray(re) ? re : [re];
    let screen = '';
    for (;;) {
      screen = this.capture();
      if (all.every((p) => (typeof p === 'string' ? screen.includes(p) : p.test(screen)))) return screen;
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${all.map(String).join(' and ')}; the screen:\n${screen}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  resize(cols: number, rows: number): void {
    execFileSync('tmux', ['resize-window', '-t', this.name, '-x', String(cols), '-y', String(rows)]);
  }

  kill(): void {
    spawnSync('tmux', ['kill-session', '-t', this.name]);
  }
}
