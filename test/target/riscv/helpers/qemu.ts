/**
 * Run a harness program (machine.ts) under the real QEMU 7.2 (`qemu-system-riscv64 -M virt
 * -bios none`) and return its printed results. Used to cross-check the expectations of these
 * unit tests against the emulator vtrace models; skipped when QEMU is not installed.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResults } from './machine';

let available: boolean | undefined;

export function haveQemu(): boolean {
  if (available === undefined) {
    try {
      execFileSync('qemu-system-riscv64', ['--version'], { stdio: 'ignore' });
      available = true;
    } catch {
      available = false;
    }
  }
  return available;
}

export function runOnQemu(elf: string): bigint[] {
  // Serial output goes to a file: written synchronously, so nothing is lost when the finisher
  // ends QEMU right after the last character.
  const dir = mkdtempSync(join(tmpdir(), 'vtrace-qemu-'));
  try {
    const log = join(dir, 'serial.txt');
    execFileSync(
      'qemu-system-riscv64',
      ['-M', 'virt', '-cpu', 'rv64,h=false', '-bios', 'none', '-display', 'none', '-monitor', 'none', '-serial', `file:${log}`, '-m', '128M', '-kernel', elf],
      { timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return parseResults(readFileSync(log, 'utf8').replace(/\r/g, ''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
