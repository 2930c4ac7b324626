/**
 * Real Linux (the recipe in guest/linux, built from Debian's sources) boots on vtrace from its
 * initramfs to busybox, runs a command typed on the console, and powers off with exit status 0:
 * with the built-in SBI, with Debian's OpenSBI (fw_dynamic), and with two harts.
 * Budgets are generous (CI machines are slow and shared); speed is measured by `npm run bench`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { linuxGuestDir, spawnGuest, VTRACE } from '../helpers/spawn-guest';

const MARKER = 'vtrace-guest: init reached';
const OPENSBI = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin';
const dir = linuxGuestDir();
if (!dir) {
  const msg = 'Linux guest not built (VTRACE_GUEST_DIR unset: run `npm test`, which builds it, or `npm run guest:build`)';
  if (process.env.CI) throw new Error(msg);
  console.warn(`skipping Linux boot tests: ${msg}`);
}

async function bootAndRun(extra: string[]) {
  const g = spawnGuest(process.execPath, [
    VTRACE, 'run', '-M', 'virt', '-m', '256M', '-nographic',
    '-kernel', path.join(dir!, 'Image'), '-initrd', path.join(dir!, 'initramfs.cpio.gz'),
    '-append', 'console=ttyS0', ...extra,
  ]);
  await g.waitFor(MARKER, 240_000);
  await g.waitFor(/# $/, 60_000);
  const token = `hello-${process.pid}`;
  // dd reports its timing through gettimeofday: the vDSO reads the `time` CSR from U-mode.
  g.type(`echo ${token} \`cat /proc/cpuinfo | grep -c ^processor\` \`dd if=/dev/zero bs=64k count=16 | wc -c\`; poweroff -f\n`);
  const code = await g.exited(120_000);
  return { code, out: g.output(), err: g.stderr(), token };
}

describe.skipIf(!dir)('Linux on vtrace', () => {
  test('boots from the initramfs with the built-in SBI, runs a command, powers off with status 0', { timeout: 420_000 }, async () => {
    const r = await bootAndRun([]);
    expect(r.out, r.err).toContain(`${r.token} 1 1048576`);
    expect(r.out).toContain('reboot: Power down');
    expect(r.code, r.err).toBe(0);
  });

  test.skipIf(!fs.existsSync(OPENSBI))('boots with Debian\'s OpenSBI (fw_dynamic.bin)', { timeout: 420_000 }, async () => {
    const r = await bootAndRun(['-bios', OPENSBI]);
    expect(r.out).toContain('OpenSBI');
    expect(r.out, r.err).toContain(`${r.token} 1 1048576`);
    expect(r.code, r.err).toBe(0);
  });

  test('boots with -smp 2 and sees both harts', { timeout: 420_000 }, async () => {
    const r = await bootAndRun(['-smp', '2']);
    expect(r.out, r.err).toContain(`${r.token} 2 1048576`);
    expect(r.code, r.err).toBe(0);
  });
});
