/**
 * `catch syscall` (src/debug/catch-syscall.ts, catch-worker.ts) in one process: this thread plays
 * the emulator thread (its main loop is polled by bdrv_poll_co) and the thread pool's real workers
 * make the reads. A worker that hits reports through the console's notifier and blocks until the
 * report was handled; the recording Stopper returns at once, so the worker goes on.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { installCatchShared, CatchManager, SyscallCatchpoint } from '../../src/debug/catch-syscall';
import { Points } from '../../src/debug/points';
import type { StopRequest, Stopper } from '../../src/debug/stop';
import { AT_FDCWD, O_RDONLY } from '../../src/host/flags';
import { close, openat } from '../../src/host/syscalls';
import { blockdevClose, blockdevOpen } from '../../src/block/blockdev';
import { blk_co_pread } from '../../src/block/block-backend';
import { bdrv_poll_co } from '../../src/block/block';
import { qemu_get_aio_context, qemu_init_main_loop } from '../../src/util/main-loop';
import { syscallByNameOrNumber, syscallNumber } from '../../src/debug/syscall-info';
import { requireFreshDist } from '../util/util-test-helpers';

let dir: string;
let img: string;
const PATTERN = Buffer.from('vtrace catch test '.repeat(40).slice(0, 512));

class Recorder implements Stopper {
  readonly stops: Array<StopRequest & { bufAtStop?: string }> = [];
  watchBuf: Uint8Array | null = null;
  stop(req: StopRequest): void {
    this.stops.push({ ...req, bufAtStop: this.watchBuf === null ? undefined : Buffer.from(this.watchBuf.subarray(0, 6)).toString('latin1') });
  }
}

beforeAll(() => {
  requireFreshDist();
  installCatchShared(); // before the pool exists: its workers load the catcher
  qemu_init_main_loop();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-catch-'));
  img = path.join(dir, 'disk.img');
  const data = Buffer.alloc(1 << 20);
  PATTERN.copy(data, 0);
  fs.writeFileSync(img, data);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function setup() {
  const points = new Points();
  const rec = new Recorder();
  const cm = new CatchManager(points, rec, (p) => {
    throw new Error(`No symbol "${p}" in current context.`);
  });
  const catchpoint = (names: string[] | null, cond?: string) => {
    const p = new SyscallCatchpoint(names === null ? null : names.map((n) => syscallByNameOrNumber(n)!), cm);
    if (cond !== undefined) points.setCondition(p, cond);
    points.add(p);
    return p;
  };
  return { points, rec, cm, catchpoint };
}

describe('catch syscall', () => {
  test("gdb's names: one syscall, several, any; numbers of this architecture", () => {
    const { catchpoint, points } = setup();
    const a = catchpoint(['openat']);
    const b = catchpoint(['pread64', String(syscallNumber('preadv'))]);
    const c = catchpoint(null);
    expect(a.title()).toBe(`Catchpoint 1 (syscall 'openat' [${syscallNumber('openat')}])`);
    expect(b.title()).toBe(`Catchpoint 2 (syscalls 'pread64' [${syscallNumber('pread64')}] 'preadv' [${syscallNumber('preadv')}])`);
    expect(c.title()).toBe('Catchpoint 3 (any syscall)');
    expect(points.table()).toContain('2       catchpoint      keep y                      syscalls "pread64, preadv" ');
    for (const p of [...points.all()]) points.delete(p);
  });

  test('on this thread: a stop at the call (before the kernel) and one at the return, with the arguments and $ret', () => {
    const { catchpoint, rec, points } = setup();
    catchpoint(['openat', 'close'], `syscall == "close" || path == "${img}"`);
    const fd = openat(AT_FDCWD, img, O_RDONLY);
    expect(fd).toBeGreaterThan(2);
    expect(close(fd)).toBe(0);
    expect(rec.stops.map((s) => s.header.split(',')[0])).toEqual([
      '\nCatchpoint 1 (call to syscall openat)',
      '\nCatchpoint 1 (returned from syscall openat)',
      '\nCatchpoint 1 (call to syscall close)',
      '\nCatchpoint 1 (returned from syscall close)',
    ]);
    expect(rec.stops[0].header).toMatch(new RegExp(`, openat \\(dirfd=AT_FDCWD, path="${img.replace(/[.]/g, '\\.')}", flags=O_RDONLY\\|O_CLOEXEC\\) at src/host/syscalls\\.ts:\\d+$`));
    expect(rec.stops[0].frames[0].fn).toBe('openat');
    expect(rec.stops[0].vars?.get('$ret')).toBeUndefined();
    expect(rec.stops[1].vars?.get('$ret')).toBe(fd);
    expect(rec.stops[2].vars?.get('$fd')).toBe(fd);
    // The condition filters: another path does not stop.
    rec.stops.length = 0;
    close(openat(AT_FDCWD, '/dev/null', O_RDONLY));
    expect(rec.stops.map((s) => s.header.split(',')[0])).toEqual(['\nCatchpoint 1 (call to syscall close)', '\nCatchpoint 1 (returned from syscall close)']);
    for (const p of [...points.all()]) points.delete(p);
  });

  test('on a pool worker: the worker blocks at the call until the report is handled; the data arrives only after', () => {
    const { catchpoint, rec, points } = setup();
    const blk = blockdevOpen({ file: img, format: 'raw', id: 'hd0' });
    try {
      const p = catchpoint(['pread64', 'preadv'], 'count == 512 && offset == 0');
      const buf = new Uint8Array(new SharedArrayBuffer(512));
      rec.watchBuf = buf;
      const ret = bdrv_poll_co(qemu_get_aio_context(), () => blk_co_pread(blk, 0, 512, buf));
      expect(ret).toBe(0);
      expect(Buffer.from(buf).equals(PATTERN)).toBe(true);
      expect(rec.stops).toHaveLength(2);
      const [call, back] = rec.stops;
      expect(call.thread?.name).toMatch(/^worker-\d+$/);
      expect(call.thread?.tid).not.toBe(process.pid);
      expect(call.header).toMatch(/^\n\[?Catchpoint 1 \(call to syscall pread64\), pread64 \(fd=\d+, buf=0x[0-9a-f]+, count=512, offset=0\) at src\/host\/syscalls\.ts:\d+$/);
      expect(call.frames.map((f) => f.fn).slice(0, 3)).toEqual(['pread64', 'handle_aiocb_rw_linear', 'handle_aiocb_rw']);
      expect(call.bufAtStop).toBe('\0\0\0\0\0\0'); // stopped before the kernel read
      expect(back.header).toMatch(/^\nCatchpoint 1 \(returned from syscall pread64\)/);
      expect(back.bufAtStop).toBe('vtrace'); // the read is done at the return
      expect(back.vars?.get('$ret')).toBe(512);
      expect(p.hits).toBe(2);
      // Ignore counts are kept here, conditions evaluated on the worker.
      rec.stops.length = 0;
      p.ignore = 1;
      expect(bdrv_poll_co(qemu_get_aio_context(), () => blk_co_pread(blk, 0, 512, buf))).toBe(0);
      expect(rec.stops.map((s) => s.header.split(',')[0])).toEqual(['\nCatchpoint 1 (returned from syscall pread64)']);
      points.setCondition(p, 'nosuch == 1');
      rec.stops.length = 0;
      expect(bdrv_poll_co(qemu_get_aio_context(), () => blk_co_pread(blk, 0, 512, buf))).toBe(0);
      expect(rec.stops[0].header).toMatch(/^Error in testing condition for breakpoint 1:\nNo symbol "nosuch" in current context\.\n\nCatchpoint 1 \(call to syscall pread64\)/);
    } finally {
      for (const p of [...points.all()]) points.delete(p);
      blockdevClose(blk);
    }
  });
});
