/**
 * System test: the embedded default guest (guest/default) boots on the whole board with real
 * RiscvCpu harts and the run loop, under the built-in SBI and under Debian's OpenSBI
 * (fw_dynamic), and prints what it prints on QEMU 7.2 (every line except the "~ " lines, which
 * carry timing-, firmware- or layout-dependent values by the guest's contract).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { createVirtMachine } from '../../../src/machine/virt/virt';
import { MemoryCharBackend } from '../../../src/chardev/char-memory';
import { runRoundRobin, type RunExit } from '../../../src/system/cpus';
import type { ShutdownRequest } from '../../../src/hw/misc/sifive-test';

const GUEST_BIN = path.resolve(__dirname, '../../../guest/default/default.bin');
const FW = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin';
const haveQemu = spawnSync('qemu-system-riscv64', ['--version']).status === 0;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function bootGuest(bios: string, smp: number, budgetMs: number) {
  const serial = new MemoryCharBackend();
  let shutdown: ShutdownRequest | undefined;
  const m = createVirtMachine({ ramSize: 128 * 2 ** 20, smp, bios, kernel: GUEST_BIN, serial, onShutdown: (r) => (shutdown = r) });
  const t0 = Date.now();
  const exit: RunExit = runRoundRobin(m, {
    poll: () => m.pollInput(),
    idle: (ms) => void Atomics.wait(sleeper, 0, 0, ms),
    shouldExit: () => (shutdown !== undefined ? { kind: 'poweroff', code: shutdown.code } : Date.now() - t0 > budgetMs ? { kind: 'quit' } : undefined),
  });
  return { exit, shutdown, out: serial.text() };
}

/**
 * The guest's own lines (from its banner on), without the "~ " ones; OpenSBI's banner is dropped.
 * The banner's hart number is masked: under QEMU (MTTCG) OpenSBI's boot-hart lottery may hand the
 * kernel to hart 1 when the host is busy.
 */
function comparable(out: string): string[] {
  const lines = out.replace(/\r/g, '').split('\n');
  const start = lines.findIndex((l) => l.startsWith('vtrace default guest on hart'));
  return lines
    .slice(start)
    .filter((l) => !l.startsWith('~ ') && l !== '')
    .map((l) => l.replace(/^vtrace default guest on hart \d+$/, 'vtrace default guest on hart N'));
}

function qemuOutput(smp: number): string {
  const r = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-m', '128M', '-smp', String(smp), '-nographic', '-bios', FW, '-kernel', GUEST_BIN], {
    encoding: 'latin1',
    timeout: 60_000,
  });
  return r.stdout;
}

describe('default guest on the virt board', () => {
  test('built-in SBI, 2 harts: all checks pass and the guest powers off', () => {
    const { exit, shutdown, out } = bootGuest('default', 2, 60_000);
    expect(out).toMatch(/vtrace default guest on hart 0\r?\n/); // the built-in SBI boots hart 0
    expect(out).toContain('vtrace default guest: all 8 checks passed');
    expect(shutdown).toEqual({ kind: 'poweroff', code: 0 });
    expect(exit.kind).toBe('poweroff');
    if (haveQemu && fs.existsSync(FW)) expect(comparable(out).join("\n")).toBe(comparable(qemuOutput(2)).join("\n"));
  }, 120_000);

  test.skipIf(!fs.existsSync(FW))('OpenSBI fw_dynamic through the mask ROM, 2 harts: same guest output as QEMU', () => {
    const { shutdown, out } = bootGuest(FW, 2, 150_000);
    expect(out).toContain('OpenSBI v');
    expect(out).toMatch(/Domain0 Next Address\s+: 0x0000000080200000/);
    expect(out).toContain('vtrace default guest: all 8 checks passed');
    expect(shutdown).toEqual({ kind: 'poweroff', code: 0 });
    if (haveQemu) expect(comparable(out).join("\n")).toBe(comparable(qemuOutput(2)).join("\n"));
  }, 240_000);
});
