/**
 * System test: Linux 6.1 (the guest/linux recipe: Image + initramfs) boots on the board with two
 * RiscvCpu harts and the built-in SBI (HSM brings up the second hart; IPIs, remote fences, the SBI
 * timer and the interrupt-driven 8250 console are all on the path), runs a command typed on the
 * console, and powers off through SBI SRST. Skipped when the guest has not been built
 * (`npm run guest:build`; `npm test` builds it and sets VTRACE_GUEST_DIR).
 *
 * The run loop is driven in chunks of instructions with an await between them, so the test
 * worker stays responsive during a boot of a minute or two.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { createVirtMachine } from '../../../src/machine/virt/virt';
import { MemoryCharBackend } from '../../../src/chardev/char-memory';
import { runRoundRobin, type RunExit } from '../../../src/system/cpus';
import type { ShutdownRequest } from '../../../src/hw/misc/sifive-test';

function guestDir(): string | undefined {
  const fromEnv = process.env.VTRACE_GUEST_DIR;
  const dir = fromEnv || spawnSync('bash', [path.resolve(__dirname, '../../../guest/linux/build.sh'), '--print-dir'], { encoding: 'utf8' }).stdout?.trim();
  return dir && fs.existsSync(path.join(dir, 'Image')) && fs.existsSync(path.join(dir, 'initramfs.cpio.gz')) ? dir : undefined;
}
const DIR = guestDir();
const sleeper = new Int32Array(new SharedArrayBuffer(4));

test.skipIf(DIR === undefined)('Linux boots to a shell on 2 harts with the built-in SBI and powers off', async () => {
  const serial = new MemoryCharBackend();
  let shutdown: ShutdownRequest | undefined;
  const m = createVirtMachine({
    ramSize: 256 * 2 ** 20,
    smp: 2,
    bios: 'default',
    kernel: path.join(DIR!, 'Image'),
    initrd: path.join(DIR!, 'initramfs.cpio.gz'),
    append: 'console=ttyS0',
    serial,
    onShutdown: (r) => (shutdown = r),
  });
  let typed = false;
  const t0 = Date.now();
  let exit: RunExit;
  for (;;) {
    exit = runRoundRobin(
      m,
      {
        poll() {
          m.pollInput();
          if (!typed && serial.text().includes('vtrace-guest: init reached') && serial.text().endsWith('# ')) {
            typed = true;
            serial.feed('echo hello-$((6*7)); poweroff -f\n');
          }
        },
        idle: (ms) => void Atomics.wait(sleeper, 0, 0, ms),
        shouldExit: () => (shutdown !== undefined ? { kind: 'poweroff', code: shutdown.code } : Date.now() - t0 > 540_000 ? { kind: 'quit' } : undefined),
      },
      { maxInstructions: 5_000_000 },
    );
    if (exit.kind !== 'budget') break;
    await new Promise((r) => setImmediate(r));
  }
  const out = serial.text();
  expect(out).toContain('SBI HSM extension detected');
  expect(out).toContain('smp: Brought up 1 node, 2 CPUs');
  expect(out).toMatch(/ttyS0 at MMIO 0x10000000 .* is a 16550A/);
  expect(out).toContain('vtrace-guest: root=rootfs cpus=2');
  expect(out).toContain('hello-42');
  expect(shutdown).toEqual({ kind: 'poweroff', code: 0 });
  expect(exit.kind).toBe('poweroff');
}, 600_000);
