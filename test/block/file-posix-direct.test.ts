import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import * as fs from 'node:fs';
import { O_DIRECT } from '../../src/host/flags';
import { setSyscallRecorder, type SyscallRecord } from '../../src/host/record';
import { qiovOf } from '../../src/util/iov';
import { blockdevClose, blockdevOpen } from '../../src/block/blockdev';
import type { BlockBackend } from '../../src/block/block-backend';
import { rawState } from '../../src/block/file-posix';
import { bufferPhase, closeDirectProbe, file_posix_register_buffer, openDirectProbe } from '../../src/block/file-posix-align';
import { aio, clearWorkerRecords, guestRam, installWorkerRecorder, makeImage, pattern, tempDir, workerRecords, cleanupTempDirs } from './block-test-helpers';

afterAll(() => cleanupTempDirs());

const open: BlockBackend[] = [];
beforeAll(() => installWorkerRecorder());
afterEach(() => {
  setSyscallRecorder(null);
  for (const b of open.splice(0)) blockdevClose(b);
  clearWorkerRecords();
});

/** Whether the temp directory's filesystem takes O_DIRECT (tmpfs does not). */
function directSupported(dir: string): boolean {
  const p = openDirectProbe(`${dir}/x`);
  if (typeof p === 'number') return false;
  closeDirectProbe(p);
  return true;
}

test('cache=none: O_DIRECT with probed alignment; misaligned guest RAM goes through bounce buffers, aligned RAM does not', (ctx) => {
  const dir = tempDir();
  if (!directSupported(dir)) {
    console.log(`skipped: ${dir} does not support O_DIRECT (tmpfs?); set VTRACE_BLOCK_TMP to a disk-backed directory`);
    ctx.skip();
  }
  const img = makeImage(dir, 'direct.img', 1 << 20, 11);
  const main: SyscallRecord[] = [];
  setSyscallRecorder((r) => main.push(r));
  const blk = blockdevOpen({ file: img, format: 'raw', id: 'direct0', cache: 'none' });
  open.push(blk);
  setSyscallRecorder(null);
  const file = blk.root!.bs.file!.bs;
  const s = rawState(file);
  expect(s.open_flags & O_DIRECT).toBe(O_DIRECT);
  const imgOpens = main.filter((r) => r.name === 'openat' && r.args[1] === JSON.stringify(img));
  expect(imgOpens.slice(1).every((r) => (r.raw as { flags: number }).flags & O_DIRECT)).toBe(true);
  expect([512, 1024, 2048, 4096]).toContain(file.bl.request_alignment);
  expect(s.direct!.buf_align).toBeGreaterThanOrEqual(8);

  const ram = guestRam(1 << 20);
  file_posix_register_buffer(ram); // as the machine does for guest RAM before the guest runs
  const phase = bufferPhase(s.direct!, ram);
  expect(phase).toBeGreaterThanOrEqual(0);
  const want = pattern(1 << 20, 11);

  // aligned: address and length aligned -> straight into guest RAM, no bounce
  const alignedOff = phase + 4 * s.direct!.buf_align;
  const aligned = new Uint8Array(ram, alignedOff, 8192);
  expect(aio.read(blk, 4096, aligned)).toBe(0);
  expect(aligned).toEqual(want.subarray(4096, 4096 + 8192));
  expect(s.bounced).toBe(0);

  // misaligned by 16 bytes (a virtio descriptor's buffer): bounced, still correct
  const mis = new Uint8Array(ram, alignedOff + 16 + 65536, 4096);
  expect(aio.read(blk, 8192, mis)).toBe(0);
  expect(mis).toEqual(want.subarray(8192, 8192 + 4096));
  expect(s.bounced).toBe(1);

  // misaligned write, and an unaligned offset (file-level read-modify-write)
  mis.set(pattern(4096, 77));
  expect(aio.write(blk, 12288, mis)).toBe(0);
  const small = new Uint8Array(ram, alignedOff + 200000, 100);
  small.set(pattern(100, 5));
  clearWorkerRecords();
  expect(aio.write(blk, 70000, small)).toBe(0);
  const rw = workerRecords().filter((r) => r.name === 'pread64' || r.name === 'pwrite64');
  const align = file.bl.request_alignment;
  expect(rw.map((r) => r.name)).toEqual(['pread64', 'pwrite64']); // head and tail share one block
  for (const r of rw) expect((r.raw as { offset: number }).offset % align).toBe(0);
  expect(aio.flush(blk)).toBe(0);
  const disk = fs.readFileSync(img);
  const exp = Buffer.from(want);
  exp.set(pattern(4096, 77), 12288);
  exp.set(pattern(100, 5), 70000);
  expect(disk.equals(exp)).toBe(true);
  // two-entry vectors with misaligned entries bounce too
  const v1 = new Uint8Array(ram, alignedOff + 300001, 512);
  const v2 = new Uint8Array(ram, alignedOff + 400003, 512);
  expect(aio.read(blk, 0, qiovOf(v1, v2))).toBe(0);
  expect(Buffer.from(v2)).toEqual(exp.subarray(512, 1024));
});

test('cache=none on a filesystem without O_DIRECT fails like QEMU', (ctx) => {
  if (!fs.existsSync('/dev/shm') || directSupported('/dev/shm')) {
    console.log('skipped: /dev/shm is missing or supports O_DIRECT on this kernel (tmpfs does since Linux 6.6)');
    ctx.skip();
  }
  const dir = fs.mkdtempSync('/dev/shm/vtrace-block-');
  const img = makeImage(dir, 'shm.img', 1 << 16);
  expect(() => blockdevOpen({ file: img, format: 'raw', id: 'shm0', cache: 'none' })).toThrow(`Could not open '${img}': Invalid argument`);
  fs.rmSync(dir, { recursive: true, force: true });
});
