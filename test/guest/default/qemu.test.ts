/**
 * The committed default guest (guest/default/default.bin) on real QEMU, the oracle: every check
 * passes, QEMU exits 0, and the stable part of the output equals the expected transcripts in
 * expected/ (the same files vtrace's own board must reproduce). Regenerate them with
 * `npx vitest run test/guest/default -u` after changing the guest, and review the diff.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ALL_PASSED, guestBin, guestLines, run, stableLines, which } from './harness';

const qemu = which('qemu-system-riscv64');
if (!qemu) {
  console.warn('skipping default guest on QEMU: qemu-system-riscv64 not found (apt-get install qemu-system-misc)');
}

const TIMEOUT_MS = 60_000;
const SCRATCH_SECTORS = 2048; // 1 MiB scratch image
const SECTOR = 512;

/** The command lines, exactly as documented in guest/default/README.md. */
function qemuArgs(extra: string[] = []): string[] {
  return ['-M', 'virt', '-nographic', ...extra, '-kernel', guestBin];
}
function diskArgs(image: string): string[] {
  return ['-drive', `file=${image},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0'];
}

/** What the guest writes to sector s: "vtrace-blk %08x\n", then (s + i) & 0xff (checks/blk.c). */
function expectedSector(s: number): Buffer {
  const b = Buffer.alloc(SECTOR);
  for (let i = 0; i < SECTOR; i++) b[i] = (s + i) & 0xff;
  b.write(`vtrace-blk ${s.toString(16).padStart(8, '0')}\n`, 0, 'latin1');
  return b;
}

async function runGuest(args: string[]) {
  const r = await run(qemu!, args, TIMEOUT_MS);
  const lines = guestLines(r.stdout);
  const diagnostics = `qemu ${args.join(' ')}\nexit ${r.code} signal ${r.signal}${r.timedOut ? ' (timed out)' : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
  return { ...r, lines, diagnostics };
}

describe.skipIf(!qemu)('default guest on qemu-system-riscv64 (skipped without qemu-system-misc)', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-guest-'));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('no disk: all checks pass and QEMU exits 0', { timeout: TIMEOUT_MS + 10_000 }, async () => {
    const r = await runGuest(qemuArgs());
    expect(r.lines.join('\n'), r.diagnostics).toMatch(ALL_PASSED);
    expect(r.code, r.diagnostics).toBe(0);
    expect(r.lines.join('\n')).toContain('check virtio-blk SKIP  no virtio-blk device');
    await expect(stableLines(r.stdout).join('\n') + '\n').toMatchFileSnapshot('expected/no-disk.txt');
  });

  for (const variant of [
    { name: 'legacy', extra: [] as string[], file: 'expected/disk-legacy.txt' },
    { name: 'modern', extra: ['-global', 'virtio-mmio.force-legacy=false'], file: 'expected/disk-modern.txt' },
  ]) {
    test(`virtio-blk (${variant.name} virtio-mmio): reads back what it wrote`, { timeout: TIMEOUT_MS + 10_000 }, async () => {
      const image = path.join(tmp, `scratch-${variant.name}.img`);
      fs.writeFileSync(image, Buffer.alloc(SCRATCH_SECTORS * SECTOR));
      const r = await runGuest(qemuArgs([...variant.extra, ...diskArgs(image)]));
      expect(r.lines.join('\n'), r.diagnostics).toMatch(ALL_PASSED);
      expect(r.code, r.diagnostics).toBe(0);
      expect(r.lines.join('\n')).toMatch(/^check virtio-blk PASS /m);
      await expect(stableLines(r.stdout).join('\n') + '\n').toMatchFileSnapshot(variant.file);

      // The writes reached the image: sectors 0-7 and the last one, nothing in between.
      const img = fs.readFileSync(image);
      for (let s = 0; s < 8; s++) {
        expect(img.subarray(s * SECTOR, (s + 1) * SECTOR).equals(expectedSector(s)), `sector ${s}`).toBe(true);
      }
      const last = SCRATCH_SECTORS - 1;
      expect(img.subarray(last * SECTOR).equals(expectedSector(last)), 'last sector').toBe(true);
      expect(img.subarray(8 * SECTOR, last * SECTOR).every((b) => b === 0), 'sectors 8..last-1 untouched').toBe(true);
    });
  }
});
