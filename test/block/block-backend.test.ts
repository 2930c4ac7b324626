import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gettid } from '../../src/host/thread-id';
import { setSyscallRecorder, type SyscallRecord } from '../../src/host/record';
import { O_ACCMODE, O_NONBLOCK, O_RDONLY, O_RDWR, O_CLOEXEC } from '../../src/host/flags';
import { qiovOf } from '../../src/util/iov';
import { qemu_get_aio_context } from '../../src/util/main-loop';
import { aio_get_thread_pool, threadPoolStats } from '../../src/util/thread-pool';
import { blockdevClose, blockdevOpen, blockErrorText } from '../../src/block/blockdev';
import {
  BlockErrorAction,
  blk_aio_preadv,
  blk_aio_pwritev,
  blk_error_action,
  blk_get_error_action,
  blk_getlength,
  blk_is_read_only,
  type BlockBackend,
} from '../../src/block/block-backend';
import { BDRV_REQ_FUA, BLK_PERM_ALL, BlockError } from '../../src/block/block-int';
import { imageLockRoot } from '../../src/block/image-lock';
import { rawState } from '../../src/block/file-posix';
import { blockTraceHooks, clearBlockTraceHooks } from '../../src/block/trace-hooks';
import { EIO, ENOSPC, EPERM } from '../../src/block/errno';
import { aio, clearWorkerRecords, guestRam, installWorkerRecorder, makeImage, pattern, pollUntil, tempDir, workerRecords, cleanupTempDirs } from './block-test-helpers';

afterAll(() => cleanupTempDirs());

const open: BlockBackend[] = [];
function openDrive(o: Parameters<typeof blockdevOpen>[0]): BlockBackend {
  const blk = blockdevOpen(o);
  open.push(blk);
  return blk;
}

beforeAll(() => {
  installWorkerRecorder();
  Error.stackTraceLimit = 100;
});
afterEach(() => {
  setSyscallRecorder(null);
  clearBlockTraceHooks();
  for (const b of open.splice(0)) blockdevClose(b);
  clearWorkerRecords();
});

test('read, write and flush through the BlockBackend on a raw image, in guest RAM, from worker threads', () => {
  const dir = tempDir();
  const img = makeImage(dir, 'disk.img', 1 << 20, 7);
  const expected = pattern(1 << 20, 7);
  const blk = openDrive({ file: img, format: 'raw', id: 'rw0' });
  expect(blk_getlength(blk)).toBe(1 << 20);
  expect(blk_is_read_only(blk)).toBe(false);

  const ram = guestRam();
  // a two-entry vector (preadv) and a one-entry one (pread64)
  const a = new Uint8Array(ram, 0x1000, 4096);
  const b = new Uint8Array(ram, 0x3000, 512);
  expect(aio.read(blk, 65536, qiovOf(a, b))).toBe(0);
  expect(a).toEqual(expected.subarray(65536, 65536 + 4096));
  expect(b).toEqual(expected.subarray(65536 + 4096, 65536 + 4608));
  expect(aio.read(blk, 512, new Uint8Array(ram, 0x8000, 512))).toBe(0);

  const w = new Uint8Array(ram, 0x10000, 8192);
  w.set(pattern(8192, 99));
  expect(aio.write(blk, 3 * 4096, w)).toBe(0);
  expect(aio.flush(blk)).toBe(0);
  const onDisk = fs.readFileSync(img);
  expect(onDisk.subarray(3 * 4096, 5 * 4096)).toEqual(Buffer.from(pattern(8192, 99)));

  const recs = workerRecords();
  const main = gettid();
  const io = recs.filter((r) => ['preadv', 'pread64', 'pwrite64', 'fdatasync'].includes(r.name));
  expect(io.map((r) => r.name)).toEqual(['preadv', 'pread64', 'pwrite64', 'fdatasync']); // no probe read: format=raw
  for (const r of io) {
    expect(r.tid).not.toBe(main);
    expect(r.thread).toMatch(/^worker-\d+$/);
    expect(r.fd).toBe(rawState(blk.root!.bs.file!.bs).fd);
  }
  expect(io[0].raw).toMatchObject({ offset: 65536, iov: [{ len: 4096 }, { len: 512 }] });
  const st = threadPoolStats(aio_get_thread_pool(qemu_get_aio_context()));
  expect(st.workers.length).toBeGreaterThan(0);
  expect(st.workers.every((wk) => wk.tid !== main)).toBe(true);
});

test('probing: the O_RDONLY|O_NONBLOCK probe open, O_RDONLY node, probe read, QEMU warning, then O_RDWR when the writer attaches', () => {
  const dir = tempDir();
  const img = makeImage(dir, 'probe.img', 1 << 16);
  const main: SyscallRecord[] = [];
  setSyscallRecorder((r) => main.push(r));
  const warnings: string[] = [];
  const blk = openDrive({ file: img, id: 'probe0', logger: (t) => warnings.push(t) });
  setSyscallRecorder(null);

  expect(warnings).toEqual([
    `WARNING: Image format was not specified for '${img}' and probing guessed raw.\n` +
      `         Automatically detecting the format is dangerous for raw images, write operations on block 0 will be restricted.\n` +
      `         Specify the 'raw' format explicitly to remove the restrictions.\n`,
  ]);
  const bs = blk.root!.bs;
  expect(bs.drv.format_name).toBe('raw');
  expect(bs.probed).toBe(true);
  expect(bs.node_name).toMatch(/^#block\d+$/);
  expect(bs.file!.bs.drv.format_name).toBe('file');

  const opens = main.filter((r) => r.name === 'openat');
  const flags = opens.map((r) => (r.raw as { flags: number }).flags & ~O_CLOEXEC);
  expect(flags).toEqual([O_RDONLY | O_NONBLOCK, O_RDONLY, O_RDWR]);
  expect(opens.map((r) => r.args[1])).toEqual([JSON.stringify(img), JSON.stringify(img), JSON.stringify(img)]);
  const [probeFd, roFd, rwFd] = opens.map((r) => r.ret);
  expect(roFd).not.toBe(rwFd); // `watch hd0.file.fd` fires here
  expect(rawState(bs.file!.bs).fd).toBe(rwFd);
  expect(rawState(bs.file!.bs).open_flags & O_ACCMODE).toBe(O_RDWR);
  const closes = main.filter((r) => r.name === 'close').map((r) => r.ret === 0 && (r.raw as { fd: number }).fd);
  expect(closes).toEqual([probeFd, roFd]); // the probe fd, then the read-only fd after the swap
  // find_image_format read the first sector on a worker
  expect(workerRecords().find((r) => r.name === 'pread64')).toMatchObject({ fd: roFd, raw: { offset: 0, count: 512 } });

  // block 0 is protected: writing a qcow2 header there is refused, ordinary data is fine
  const ram = guestRam(1 << 16);
  const sector = new Uint8Array(ram, 0, 512);
  sector.set([0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]);
  expect(aio.write(blk, 0, sector)).toBe(-EPERM);
  sector.fill(0x5a);
  expect(aio.write(blk, 0, sector)).toBe(0);
  expect(bs.bl.request_alignment).toBe(512);
});

test('read-only drives: no O_RDWR reopen, no warning, writes fail with -EPERM', () => {
  const dir = tempDir();
  const img = makeImage(dir, 'ro.img', 1 << 16);
  const main: SyscallRecord[] = [];
  setSyscallRecorder((r) => main.push(r));
  const warnings: string[] = [];
  const blk = openDrive({ file: img, id: 'ro0', readOnly: true, logger: (t) => warnings.push(t) });
  setSyscallRecorder(null);
  expect(warnings).toEqual([]);
  expect(blk_is_read_only(blk)).toBe(true);
  expect(main.filter((r) => r.name === 'openat').map((r) => (r.raw as { flags: number }).flags & O_ACCMODE)).toEqual([O_RDONLY, O_RDONLY]);
  expect(aio.write(blk, 0, new Uint8Array(new SharedArrayBuffer(512)))).toBe(-EPERM);
  expect(aio.read(blk, 0, new Uint8Array(new SharedArrayBuffer(512)))).toBe(0);
});

test('unaligned writes are read-modify-write of whole blocks (probed raw: 512-byte alignment)', () => {
  const dir = tempDir();
  const img = makeImage(dir, 'rmw.img', 1 << 16, 3);
  const blk = openDrive({ file: img, id: 'rmw0', logger: () => {} });
  clearWorkerRecords();
  const ram = guestRam(1 << 16);
  const data = new Uint8Array(ram, 0x100 + 3, 100);
  data.set(pattern(100, 42));
  expect(aio.write(blk, 1000, data)).toBe(0);
  const io = workerRecords().filter((r) => r.name !== 'statx');
  // head block [512,1024) and tail block [1024,1536) read, then one 1024-byte write
  expect(io.map((r) => [r.name, (r.raw as { offset: number }).offset])).toEqual([
    ['pread64', 512],
    ['pread64', 1024],
    ['pwritev', 512],
  ]);
  const want = Buffer.from(pattern(1 << 16, 3));
  want.set(pattern(100, 42), 1000);
  expect(fs.readFileSync(img)).toEqual(want);
  // an unaligned read returns exactly the bytes asked for
  const r = new Uint8Array(ram, 0x4001, 77);
  expect(aio.read(blk, 999, r)).toBe(0);
  expect(Buffer.from(r)).toEqual(want.subarray(999, 999 + 77));
});

test('overlapping unaligned writes are serialised: the second waits, both land', () => {
  const dir = tempDir();
  const img = makeImage(dir, 'ser.img', 1 << 16, 5);
  const blk = openDrive({ file: img, id: 'ser0', logger: () => {} });
  const ram = guestRam(1 << 16);
  const one = new Uint8Array(ram, 0x1000, 10).fill(0x11);
  const two = new Uint8Array(ram, 0x2000, 10).fill(0x22);
  const waits: [number, number][] = [];
  blockTraceHooks.bdrv_wait_serialising = (self, other) => waits.push([self.offset, other.offset]);
  const done: number[] = [];
  blk_aio_pwritev(blk, 2048 + 5, qiovOf(one), 0, (_o: unknown, r: number) => done.push(r));
  blk_aio_pwritev(blk, 2048 + 300, qiovOf(two), 0, (_o: unknown, r: number) => done.push(r));
  pollUntil(qemu_get_aio_context(), () => done.length === 2);
  expect(done).toEqual([0, 0]);
  expect(waits.length).toBeGreaterThan(0);
  const want = Buffer.from(pattern(1 << 16, 5));
  want.fill(0x11, 2048 + 5, 2048 + 15);
  want.fill(0x22, 2048 + 300, 2048 + 310);
  expect(fs.readFileSync(img)).toEqual(want); // without serialisation one RMW would undo the other
});

test('errors: beyond the end is -EIO; a full device gives -ENOSPC and werror=enospc stops', () => {
  const dir = tempDir();
  const img = makeImage(dir, 'small.img', 4096);
  const blk = openDrive({ file: img, format: 'raw', id: 'err0' });
  const buf = new Uint8Array(new SharedArrayBuffer(1024));
  expect(aio.read(blk, 4096 - 512, buf)).toBe(-EIO);
  expect(aio.write(blk, 8192, buf)).toBe(-EIO);
  expect(aio.read(blk, -1, buf)).toBe(-EIO);

  // /dev/full: every write fails with ENOSPC in the kernel
  const full = openDrive({ file: '/dev/full', format: 'raw', id: 'full0', locking: false });
  full.allow_write_beyond_eof = true;
  expect(aio.write(full, 0, buf)).toBe(-ENOSPC);
  expect(workerRecords().find((r) => r.name === 'pwrite64' && r.ret < 0)).toMatchObject({ ret: -ENOSPC });
  const action = blk_get_error_action(full, false, ENOSPC);
  expect(action).toBe(BlockErrorAction.BLOCK_ERROR_ACTION_STOP);
  let stopped = 0;
  full.vm_stop = () => stopped++;
  blk_error_action(full, action, false, ENOSPC);
  expect(stopped).toBe(1);
  expect(full.iostatus).toBe('nospace');
  expect(blk_get_error_action(full, true, EIO)).toBe(BlockErrorAction.BLOCK_ERROR_ACTION_REPORT); // rerror=report
});

test('cache modes: writethrough flushes after each write (FUA emulation), unsafe never reaches fdatasync', () => {
  const dir = tempDir();
  const img = makeImage(dir, 'wt.img', 1 << 16);
  const buf = new Uint8Array(new SharedArrayBuffer(4096)).fill(1);
  const wt = openDrive({ file: img, format: 'raw', id: 'wt0', cache: 'writethrough' });
  clearWorkerRecords();
  expect(aio.write(wt, 0, buf)).toBe(0);
  expect(workerRecords().map((r) => r.name)).toEqual(['pwrite64', 'fdatasync']);
  blockdevClose(open.pop()!);

  const img2 = makeImage(dir, 'unsafe.img', 1 << 16);
  const un = openDrive({ file: img2, format: 'raw', id: 'un0', cache: 'unsafe' });
  clearWorkerRecords();
  expect(aio.write(un, 0, buf, BDRV_REQ_FUA)).toBe(0);
  expect(aio.flush(un)).toBe(0);
  expect(workerRecords().map((r) => r.name)).toEqual(['pwrite64']);
});

test('write-zeroes writes zeroes on a worker; discard succeeds as a no-op', () => {
  const dir = tempDir();
  const img = makeImage(dir, 'z.img', 1 << 16, 9);
  const blk = openDrive({ file: img, format: 'raw', id: 'z0' });
  clearWorkerRecords();
  expect(aio.zeroes(blk, 4096, 8192)).toBe(0);
  expect(aio.zeroes(blk, 100, 50)).toBe(0);
  expect(aio.discard(blk, 0, 4096)).toBe(0);
  const want = Buffer.from(pattern(1 << 16, 9));
  want.fill(0, 4096, 4096 + 8192);
  want.fill(0, 100, 150);
  expect(fs.readFileSync(img)).toEqual(want);
  expect(workerRecords().every((r) => r.thread.startsWith('worker-'))).toBe(true);
});

test('a plain (non-shared) buffer still works: bounced through shared memory', () => {
  const dir = tempDir();
  const img = makeImage(dir, 'plain.img', 1 << 16, 4);
  const blk = openDrive({ file: img, format: 'raw', id: 'plain0' });
  const b = new Uint8Array(1000);
  expect(aio.read(blk, 24, b)).toBe(0);
  expect(b).toEqual(pattern(1 << 16, 4).subarray(24, 1024));
  expect(rawState(blk.root!.bs.file!.bs).bounced).toBe(1);
});

test('a backtrace inside file-posix shows the QEMU frames, innermost first', () => {
  const dir = tempDir();
  const img = makeImage(dir, 'bt.img', 1 << 16);
  const blk = openDrive({ file: img, format: 'raw', id: 'bt0' });
  let stack = '';
  blockTraceHooks.file_paio_submit = () => void (stack = new Error().stack!);
  let ret: number | null = null;
  blk_aio_preadv(blk, 0, qiovOf(new Uint8Array(new SharedArrayBuffer(512))), 0, (_o: unknown, r: number) => (ret = r));
  pollUntil(qemu_get_aio_context(), () => ret !== null);
  // Generator frames as V8 names them (`raw_co_prw.next (<anonymous>)`: one per suspended
  // coroutine_fn, innermost first), then the ordinary frames that entered the coroutine.
  const gens = [...stack.matchAll(/at (\S+)\.next \(<anonymous>\)/g)].map((m) => m[1]);
  expect(gens).toEqual([
    'raw_co_prw',
    'raw_co_preadv', // file-posix
    'bdrv_driver_preadv',
    'bdrv_aligned_preadv',
    'bdrv_co_preadv_part',
    'bdrv_co_preadv', // the file node
    'raw_co_preadv', // raw-format
    'bdrv_driver_preadv',
    'bdrv_aligned_preadv',
    'bdrv_co_preadv_part',
    'blk_co_do_preadv_part',
    'blk_co_preadv', // blk_aio_read_entry goes through it (DESIGN.md §1, QEMU ≤ 5.x)
    'blk_aio_read_entry',
  ]);
  const tail = stack.slice(stack.lastIndexOf('blk_aio_read_entry.next'));
  const plain = [...tail.matchAll(/at (\S+) \(/g)].map((m) => m[1]);
  expect(plain.slice(0, 4)).toEqual(['qemu_aio_coroutine_enter', 'qemu_coroutine_enter', 'blk_aio_prwv', 'blk_aio_preadv']);
  expect(ret).toBe(0);
});

test('locking: a second writer gets QEMU\'s "Failed to get \\"write\\" lock"; readers with share-rw coexist', () => {
  const dir = tempDir();
  const img = makeImage(dir, 'lock.img', 1 << 16);
  openDrive({ file: img, format: 'raw', id: 'lockA' });
  let err: unknown;
  try {
    openDrive({ file: img, format: 'raw', id: 'lockB' });
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(BlockError);
  expect((err as BlockError).message).toBe('Failed to get "write" lock');
  expect(blockErrorText(err as BlockError)).toBe(`Failed to get "write" lock\nIs another process using the image [${img}]?`);
  // a reader that does not share write is refused too (the writer holds write)
  expect(() => openDrive({ file: img, format: 'raw', id: 'lockC', readOnly: true })).toThrow('Failed to get shared "write" lock');
  // a reader that tolerates writers is fine
  const r = openDrive({ file: img, format: 'raw', id: 'lockD', readOnly: true, shareRw: true });
  expect(aio.read(r, 0, new Uint8Array(new SharedArrayBuffer(512)))).toBe(0);
  // after the writer closes, a new writer succeeds
  blockdevClose(open.shift()!);
  expect(() => openDrive({ file: img, format: 'raw', id: 'lockE', shareRw: true })).not.toThrow();
});

test('locking across processes: another vtrace process holding the image blocks a writer here until it exits', async () => {
  const dir = tempDir();
  const img = makeImage(dir, 'xlock.img', 1 << 16);
  const { spawn } = await import('node:child_process');
  const script = `
    const { blockdevOpen } = require(${JSON.stringify(path.resolve(__dirname, '../../dist/block/blockdev.js'))});
    blockdevOpen({ file: ${JSON.stringify(img)}, format: 'raw', id: 'other' });
    process.stdout.write('ready\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
    });
    expect(() => openDrive({ file: img, format: 'raw', id: 'xlock0' })).toThrow('Failed to get "write" lock');
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
  }
  // the holder died without cleaning up: its lock is stale and ignored
  expect(() => openDrive({ file: img, format: 'raw', id: 'xlock1' })).not.toThrow();
});

test('locking: a stale holder whose pid now belongs to another process (pid reuse) is ignored', () => {
  const dir = tempDir();
  const img = makeImage(dir, 'reuse.img', 1 << 16);
  const st = fs.statSync(img);
  const lockDir = path.join(imageLockRoot(), `${st.dev}-${st.ino}`);
  fs.mkdirSync(lockDir, { recursive: true });
  // pid 1 is alive, but it did not start at tick 1: this is a dead holder whose pid was reused.
  const stale = path.join(lockDir, '1-0-1');
  fs.writeFileSync(stale, JSON.stringify({ pid: 1, start: '1', perm: BLK_PERM_ALL, unshared: BLK_PERM_ALL, file: img }));
  expect(() => openDrive({ file: img, format: 'raw', id: 'reuse0' })).not.toThrow();
  expect(fs.existsSync(stale)).toBe(false); // removed, as a dead holder's
});
