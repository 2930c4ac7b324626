/**
 * Host-side I/O failures under the default guest (guest/default/checks/blk.c: write sectors 0-7,
 * write the last sector, flush, read both back, read past the end), as a user meets them:
 *
 * (a) `-drive ...,readonly=on`: the device offers VIRTIO_BLK_F_RO and the guest's writes complete
 *     with VIRTIO_BLK_S_IOERR (status 1: bdrv_co_pwritev_part's -EPERM, reported); flush and reads
 *     succeed; the guest reports its virtio-blk check FAILED and powers off through SBI, and vtrace
 *     exits 0 as QEMU does after any SBI shutdown (the guest's failure reason is not an exit code).
 *     The image is untouched. (chmod 0444 on the file would not do: the tests run as root.)
 * (b) a full host filesystem: a 600 KiB tmpfs holding a sparse 1 MiB raw image and a filler file
 *     that leaves exactly one free page. With `werror=report`, the guest's first write (sectors 0-7,
 *     one page at offset 0) gets that page and succeeds; the write of the last sector needs another
 *     page, pwrite64 fails with ENOSPC and the request completes with IOERR; vtrace does not crash,
 *     the guest runs on to its summary and poweroff, and what was written before is intact (the
 *     guest reads sectors 0-7 back correctly; on the host, after exit, the file holds them).
 *
 * Where qemu-system-riscv64 is installed, the guest's transcript (stable lines, see
 * guest/default/README.md) is also compared with QEMU's for the same command line and disk state.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { guestBin, run, stableLines, which, type RunResult } from '../guest/default/harness';
import { VTRACE } from '../helpers/spawn-guest';

const SECTOR = 512;
const SECTORS = 2048; // 1 MiB
const LAST = SECTORS - 1;
const PAGE = 4096;
const QEMU = which('qemu-system-riscv64');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-io-faults-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.splice(0)) {
    const r = spawnSync('umount', [m], { encoding: 'utf8' });
    if (r.status !== 0) spawnSync('umount', ['-l', m]);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** What checks/blk.c's fill() writes to `sector`. */
function sectorPattern(sector: number): Buffer {
  const b = Buffer.alloc(SECTOR);
  for (let i = 0; i < SECTOR; i++) b[i] = (sector + i) & 0xff;
  b.write(`vtrace-blk ${sector.toString(16).padStart(8, '0')}\n`, 0, 'latin1');
  return b;
}

const lines = (r: RunResult) => r.stdout.replace(/\r/g, '').split('\n');
const diagOf = (r: RunResult) => `exit ${r.code}${r.signal ? ` signal ${r.signal}` : ''}${r.timedOut ? ' (timed out)' : ''}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-3000)}`;

function driveArgs(drive: string): string[] {
  return ['-drive', drive, '-device', 'virtio-blk-device,drive=hd0'];
}
const runVtrace = (drive: string) => run(process.execPath, [VTRACE, 'run', ...driveArgs(drive)], 110_000);
const runQemu = (drive: string) => run(QEMU!, ['-M', 'virt', '-nographic', '-kernel', guestBin, ...driveArgs(drive)], 110_000);

/** The things every fault run must show: the guest ran to its summary, no host-side crash. */
function expectSurvived(r: RunResult, diag: string): void {
  expect(r.timedOut, diag).toBe(false);
  expect(r.signal, diag).toBeNull();
  // The default guest powers off through SBI SRST (reason SYSTEM_FAILURE when a check failed);
  // QEMU exits 0 after any SBI shutdown, and so does vtrace.
  expect(r.code, diag).toBe(0);
  expect(lines(r), diag).toContain('vtrace default guest: 1 of 9 checks FAILED: virtio-blk');
  // Every group after the failing one still ran... (virtio-blk is the last group) and the others passed.
  for (const g of ['int', 'rvc', 'atomic', 'fp', 'sv39', 'timer', 'ipi', 'counters']) {
    expect(lines(r).some((l) => l.startsWith(`check ${g.padEnd(10)} PASS`)), `${g}\n${diag}`).toBe(true);
  }
  expect(lines(r).some((l) => l.startsWith('check virtio-blk FAIL')), diag).toBe(true);
  expect(r.stderr, diag).not.toMatch(/\n\s+at .*\.(js|ts):\d+|Uncaught|unhandled|RangeError|TypeError/);
  expect(r.stdout, diag).not.toMatch(/unexpected trap/);
}

describe('readonly=on: the guest\'s writes fail with VIRTIO_BLK_S_IOERR, everything else works', () => {
  const img = path.join(tmp, 'ro.img');
  let r: RunResult;
  let diag = '';
  beforeAll(async () => {
    fs.writeFileSync(img, Buffer.alloc(SECTORS * SECTOR));
    r = await runVtrace(`file=${img},format=raw,id=hd0,if=none,readonly=on`);
    diag = diagOf(r);
  }, 120_000);

  test('writes: status 1 (IOERR) with their interrupt; flush and reads: status 0; past the end: 1', () => {
    const out = lines(r);
    // Offered features include VIRTIO_BLK_F_RO (bit 5) next to what a writable disk offers.
    expect(out, diag).toContain('virtio-blk: features offered 0x31006ef4, accepted 0x200');
    expect(out, diag).toContain('virtio-blk: write sectors 0-7: status 1, used len 1, interrupt');
    expect(out, diag).toContain('  FAIL virtio-blk: write sectors 0-7: got 0x1, want 0x0');
    expect(out, diag).toContain('virtio-blk: write last sector: status 1, used len 1, interrupt');
    expect(out, diag).toContain('  FAIL virtio-blk: write last sector: got 0x1, want 0x0');
    expect(out, diag).toContain('virtio-blk: flush: status 0, used len 1, interrupt');
    expect(out, diag).toContain('virtio-blk: read sectors 0-7: status 0, used len 4097, interrupt');
    expect(out, diag).toContain('virtio-blk: read last sector: status 0, used len 513, interrupt');
    expect(out, diag).toContain('virtio-blk: read past the end: status 1, used len 513, interrupt');
    // The reads return the (unwritten) zeros, so the read-back comparisons fail, and only those.
    expect(out.filter((l) => l.startsWith('  FAIL')), diag).toEqual([
      '  FAIL virtio-blk: write sectors 0-7: got 0x1, want 0x0',
      '  FAIL virtio-blk: write last sector: got 0x1, want 0x0',
      '  FAIL virtio-blk: sectors 0-7 read back as written',
      expect.stringMatching(/^ {2}FAIL virtio-blk: sectors 0-7 data checksum: got 0x[0-9a-f]+, want 0x[0-9a-f]+$/),
      '  FAIL virtio-blk: last sector read back as written',
    ]);
  });

  test('vtrace keeps running to the guest\'s poweroff and exits 0; the image is untouched', () => {
    expectSurvived(r, diag);
    expect(fs.readFileSync(img).every((b) => b === 0)).toBe(true);
  });

  test.skipIf(!QEMU)('same transcript as QEMU for the same command line', { timeout: 120_000 }, async () => {
    const qimg = path.join(tmp, 'ro-qemu.img');
    fs.writeFileSync(qimg, Buffer.alloc(SECTORS * SECTOR));
    const q = await runQemu(`file=${qimg},format=raw,id=hd0,if=none,readonly=on`);
    expect(q.code, diagOf(q)).toBe(0);
    expect(stableLines(r.stdout), `${diag}\n--- QEMU\n${q.stdout}`).toEqual(stableLines(q.stdout));
  });
});

/** Mount a tmpfs of `size` on a fresh directory; null (and why) if this host cannot. */
function mountTmpfs(size: string): { dir: string } | { error: string } {
  const dir = fs.mkdtempSync(path.join(tmp, 'fs-'));
  if (!which('mount')) return { error: 'no mount(8)' };
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return { error: `mount -t tmpfs failed (${(r.stderr || r.error?.message || '').trim()}); needs root / CAP_SYS_ADMIN` };
  mounts.push(dir);
  return { dir };
}

/**
 * Make `dir` (a small tmpfs) hold a sparse 1 MiB image `disk.img` and a filler that leaves exactly
 * one free page; return the image's path.
 */
function prepareFullDisk(dir: string): string {
  for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f), { force: true });
  const img = path.join(dir, 'disk.img');
  fs.writeFileSync(img, '');
  fs.truncateSync(img, SECTORS * SECTOR); // sparse: no blocks
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(PAGE, 0xaa);
  let n = 0;
  try {
    for (;;) n += fs.writeSync(fd, chunk, 0, PAGE, n);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  }
  fs.ftruncateSync(fd, Math.floor(n / PAGE) * PAGE - PAGE); // give back exactly one page
  fs.closeSync(fd);
  const st = fs.statfsSync(dir);
  if (st.bavail * st.bsize !== PAGE) throw new Error(`expected one free page on ${dir}, have ${st.bavail} x ${st.bsize}`);
  return img;
}

const tmpfs = mountTmpfs('600k');
if ('error' in tmpfs) {
  const msg = `skipping full-disk tests: cannot mount a small filesystem: ${tmpfs.error}`;
  if (process.env.CI) throw new Error(msg);
  console.warn(msg);
}

describe.skipIf('error' in tmpfs)('a full host filesystem (tmpfs size=600k): ENOSPC → IOERR with werror=report', () => {
  const dir = 'dir' in tmpfs ? tmpfs.dir : '';
  let r: RunResult;
  let diag = '';
  let img = '';
  beforeAll(async () => {
    img = prepareFullDisk(dir);
    r = await runVtrace(`file=${img},format=raw,id=hd0,if=none,werror=report`);
    diag = diagOf(r);
  }, 120_000);

  test('the write that fits succeeds, the write that hits ENOSPC completes with IOERR', () => {
    const out = lines(r);
    expect(out, diag).toContain('virtio-blk: write sectors 0-7: status 0, used len 1, interrupt');
    expect(out, diag).toContain('virtio-blk: write last sector: status 1, used len 1, interrupt');
    expect(out, diag).toContain('virtio-blk: flush: status 0, used len 1, interrupt');
    expect(out, diag).toContain('virtio-blk: read sectors 0-7: status 0, used len 4097, interrupt');
    expect(out, diag).toContain('virtio-blk: read last sector: status 0, used len 513, interrupt');
    expect(out, diag).toContain('virtio-blk: read past the end: status 1, used len 513, interrupt');
    // Sectors 0-7 read back as written (intact); the last sector is still a hole (zeros).
    expect(out.filter((l) => l.startsWith('  FAIL')), diag).toEqual([
      '  FAIL virtio-blk: write last sector: got 0x1, want 0x0',
      '  FAIL virtio-blk: last sector read back as written',
    ]);
  });

  test('vtrace does not crash: the guest runs to poweroff, exit 0', () => {
    expectSurvived(r, diag);
  });

  test('on the host, what was written before ENOSPC is intact; the failed sector is not', () => {
    const data = fs.readFileSync(img);
    expect(data.length).toBe(SECTORS * SECTOR);
    for (let s = 0; s < 8; s++) expect(data.subarray(s * SECTOR, (s + 1) * SECTOR).equals(sectorPattern(s)), `sector ${s}`).toBe(true);
    expect(data.subarray(8 * SECTOR).every((b) => b === 0)).toBe(true);
    // Still full: the image got exactly the one page there was.
    const st = fs.statfsSync(dir);
    expect(st.bavail).toBe(0);
  });

  test.skipIf(!QEMU)('same transcript as QEMU for the same command line and disk state', { timeout: 120_000 }, async () => {
    const qimg = prepareFullDisk(dir);
    const q = await runQemu(`file=${qimg},format=raw,id=hd0,if=none,werror=report`);
    expect(q.code, diagOf(q)).toBe(0);
    expect(stableLines(r.stdout), `${diag}\n--- QEMU\n${q.stdout}`).toEqual(stableLines(q.stdout));
  });
});
