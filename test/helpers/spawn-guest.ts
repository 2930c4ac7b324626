/**
 * Runs a guest under a real process (vtrace's bin/vtrace or qemu-system-riscv64) the way a user
 * does: a command line, the console on stdin/stdout. Tests wait for console output, type into the
 * console, and wait for the process to exit, each with a generous budget (no timing assertions).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import * as fs from 'node:fs';

export const REPO = path.resolve(__dirname, '..', '..');
export const VTRACE = path.join(REPO, 'bin', 'vtrace');

export interface GuestProcess {
  proc: ChildProcessWithoutNullStreams;
  /** Everything printed so far on stdout. */
  output(): string;
  stderr(): string;
  /** Resolve when stdout contains `text` (or matches the RegExp); reject after `ms` with the output so far. */
  waitFor(text: string | RegExp, ms: number): Promise<void>;
  type(text: string): void;
  /** Resolve with the exit status (signal → 128+n); kill and reject after `ms`. */
  exited(ms: number): Promise<number>;
}

export function spawnGuest(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): GuestProcess {
  const proc = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: 'pipe' });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString('latin1');
    for (const w of [...waiters]) w();
  });
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exitPromise = new Promise<number>((resolve) =>
    proc.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? (require('node:os').constants.signals[signal] ?? 0) : 0))),
  );
  const describe = () => `--- stdout (last 3000 chars) ---\n${out.slice(-3000)}\n--- stderr ---\n${err.slice(-3000)}`;
  return {
    proc,
    output: () => out,
    stderr: () => err,
    waitFor(text, ms) {
      const found = () => (typeof text === 'string' ? out.includes(text) : text.test(out));
      return new Promise((resolve, reject) => {
        if (found()) return resolve();
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`timed out after ${ms} ms waiting for ${String(text)}\n${describe()}`));
        }, ms);
        const check = () => {
          if (found()) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(check), 1);
            resolve();
          }
        };
        waiters.push(check);
        proc.on('exit', () => setTimeout(() => {
          if (!found() && waiters.includes(check)) {
            clearTimeout(timer);
            waiters.splice(waiters.indexOf(check), 1);
            reject(new Error(`process exited before printing ${String(text)}\n${describe()}`));
          }
        }, 50));
      });
    },
    type(text) {
      proc.stdin.write(text);
    },
    exited(ms) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          proc.kill('SIGKILL');
          reject(new Error(`did not exit within ${ms} ms\n${describe()}`));
        }, ms);
        exitPromise.then((code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
    },
  };
}

/** The cached Linux guest (guest/linux/build.sh), or undefined when it is not built. */
export function linuxGuestDir(): string | undefined {
  const dir = process.env.VTRACE_GUEST_DIR;
  if (dir && fs.existsSync(path.join(dir, 'Image'))) return dir;
  return undefined;
}
