/**
 * The committed guest/default/default.bin: a valid RISC-V Linux Image header (checked without any
 * toolchain), and byte-identical to a fresh build from source (needs Debian's
 * gcc-riscv64-linux-gnu; skipped without it).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { guestBin, guestDir, runSync, which } from './harness';

describe('guest/default/default.bin', () => {
  test('has the RISC-V Linux Image header (Documentation/riscv/boot-image-header.rst)', () => {
    const bin = fs.readFileSync(guestBin);
    expect(bin.length).toBeGreaterThan(64);
    const code0 = bin.readUInt32LE(0);
    expect(code0 & 0x7f, 'code0 is a jal').toBe(0x6f);
    expect((code0 >> 7) & 0x1f, 'code0 jal rd = x0').toBe(0);
    expect(bin.readBigUInt64LE(8), 'text_offset').toBe(0x200000n);
    const imageSize = bin.readBigUInt64LE(16);
    expect(imageSize >= BigInt(bin.length), 'image_size covers the file').toBe(true);
    expect(imageSize < 1n << 20n, 'image_size is small').toBe(true);
    expect(bin.readBigUInt64LE(24), 'flags: little-endian').toBe(0n);
    expect(bin.readUInt32LE(32), 'version 0.2').toBe(2);
    expect(bin.subarray(48, 56).toString('latin1'), 'magic').toBe('RISCV\0\0\0');
    expect(bin.subarray(56, 60).toString('latin1'), 'magic2').toBe('RSC\x05');
  });

  const cc = which('riscv64-linux-gnu-gcc');
  if (!cc) console.warn('skipping the reproducible-build check: riscv64-linux-gnu-gcc not found (apt-get install gcc-riscv64-linux-gnu)');

  test.skipIf(!cc)('equals a fresh build from source (skipped without gcc-riscv64-linux-gnu)', { timeout: 180_000 }, () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-guest-build-'));
    try {
      const r = runSync('bash', [path.join(guestDir, 'build.sh'), '-o', out], 170_000);
      expect(r.status, `build.sh failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
      const fresh = fs.readFileSync(path.join(out, 'default.bin'));
      const committed = fs.readFileSync(guestBin);
      expect(fresh.length, 'size').toBe(committed.length);
      expect(fresh.equals(committed), 'default.bin differs from a fresh build: run guest/default/build.sh').toBe(true);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
