/**
 * Helpers for running the embedded default guest (guest/default/) and comparing its serial
 * output across machines (real QEMU now, vtrace's own board later).
 *
 * Output contract (guest/default/README.md): from the banner line on, every line is identical on
 * any correct emulator of QEMU's virt board for the same command line, except lines starting
 * with "~ " (timing-, firmware- or layout-dependent values). Firmware banners before the guest's
 * own banner are not part of it.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export const guestDir = path.join(repoRoot, 'guest', 'default');
export const guestBin = path.join(guestDir, 'default.bin');

export const BANNER = 'vtrace default guest on hart ';
export const ALL_PASSED = /^vtrace default guest: all (\d+) checks passed$/m;

/** Absolute path of an executable on PATH, or undefined. */
export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** The guest's lines (CR LF -> LF), from its banner on; [] if the banner never appeared. */
export function guestLines(serial: string): string[] {
  const lines = serial.replace(/\r/g, '').split('\n');
  const start = lines.findIndex((l) => l.startsWith(BANNER));
  if (start < 0) return [];
  const out = lines.slice(start);
  while (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

/** The guest's lines that must be identical on every correct machine ("~ " lines dropped). */
export function stableLines(serial: string): string[] {
  return guestLines(serial).filter((l) => !l.startsWith('~ '));
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command to completion with no stdin; kills it (SIGKILL) after timeoutMs. */
export function run(cmd: string, args: string[], timeoutMs: number, env?: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env === undefined ? undefined : { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('latin1').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('latin1').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Synchronous variant for short tools (build.sh). */
export function runSync(cmd: string, args: string[], timeoutMs: number) {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
}
