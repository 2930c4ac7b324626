import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { AT_FDCWD, O_CLOEXEC, O_CREAT, O_DIRECT, O_NONBLOCK, O_RDONLY, O_RDWR } from '../../src/host/flags';
import { setSyscallRecorder, type SyscallRecord } from '../../src/host/record';
import { formatStraceLine } from '../../src/host/strace-format';
import {
  close,
  fdatasync,
  ftruncate,
  newStatBuf,
  openat,
  pread64,
  preadv,
  pwrite64,
  pwritev,
  statx,
} from '../../src/host/syscalls';
import { gettid, setThreadName, threadName } from '../../src/host/thread-id';
import { compileHost, removeCompiledHost } from './compile-host';

let dir: string;
let records: SyscallRecord[];

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vtrace-syscalls-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  removeCompiledHost();
});
afterEach(() => setSyscallRecorder(null));

function record(opts: { resolveFdPaths?: boolean } = {}): SyscallRecord[] {
  records = [];
  setSyscallRecorder((r) => records.push(r), opts);
  return records;
}

/** The flags the kernel holds for an fd (proc(5) /proc/PID/fdinfo: octal `flags:` line). */
function kernelFlags(fd: number): number {
  const m = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return parseInt(m![1]!, 8);
}

function pattern(len: number, seed: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (i * 7 + seed) & 0xff;
  return b;
}

describe('each wrapper does its syscall on a real file', () => {
  test('openat, pwrite64, pread64, statx, ftruncate, fdatasync, close', () => {
    const file = path.join(dir, 'a.img');
    const fd = openat(AT_FDCWD, file, ['O_RDWR', 'O_CREAT', 'O_TRUNC'], 0o644);
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(kernelFlags(fd) & O_CLOEXEC).toBe(O_CLOEXEC); // libuv's O_CLOEXEC reached the kernel
    const data = pattern(4096, 1);
    expect(pwrite64(fd, data, 512)).toBe(4096);
    const back = new Uint8Array(4096);
    expect(pread64(fd, back, 512)).toBe(4096);
    expect(back).toEqual(data);
    expect(pread64(fd, new Uint8Array(100), 4096 + 512 - 10)).toBe(10); // short read at EOF
    const st = newStatBuf();
    expect(statx(fd, st)).toBe(0);
    expect(st.st_size).toBe(4608);
    expect(st.st_mode & 0o170000).toBe(0o100000);
    expect(ftruncate(fd, 1 << 20)).toBe(0);
    expect(statx(fd, st)).toBe(0);
    expect(st.st_size).toBe(1 << 20);
    expect(fdatasync(fd)).toBe(0);
    expect(close(fd)).toBe(0);
    expect(readFileSync(file).subarray(512, 4608)).toEqual(Buffer.from(data));
  });

  test('preadv / pwritev scatter and gather over SharedArrayBuffer views (zero copy)', () => {
    const file = path.join(dir, 'v.img');
    const fd = openat(AT_FDCWD, file, O_RDWR | O_CREAT, 0o600);
    const ram = new SharedArrayBuffer(64 * 1024);
    const bytes = new Uint8Array(ram);
    bytes.set(pattern(1024, 3), 4096);
    bytes.set(pattern(512, 9), 8192);
    const out = [new Uint8Array(ram, 4096, 1024), new Uint8Array(ram, 8192, 512)];
    expect(pwritev(fd, out, 0)).toBe(1536);
    const onDisk = readFileSync(file);
    expect(onDisk.subarray(0, 1024)).toEqual(Buffer.from(pattern(1024, 3)));
    expect(onDisk.subarray(1024, 1536)).toEqual(Buffer.from(pattern(512, 9)));

    const into = [new Uint8Array(ram, 20000, 1000), new Uint8Array(ram, 30000, 536)];
    expect(preadv(fd, into, 0)).toBe(1536);
    expect(bytes.subarray(20000, 21000)).toEqual(pattern(1024, 3).subarray(0, 1000));
    expect(bytes.subarray(30000, 30024)).toEqual(pattern(1024, 3).subarray(1000, 1024));
    expect(bytes.subarray(30024, 30536)).toEqual(pattern(512, 9));
    expect(close(fd)).toBe(0);
  });

  test('QEMU open flags reach the kernel (probe O_RDONLY|O_NONBLOCK, reopen O_RDWR, O_DIRECT)', () => {
    const file = path.join(dir, 'q.img');
    writeFileSync(file, Buffer.alloc(8192));
    const probe = openat(AT_FDCWD, file, O_RDONLY | O_NONBLOCK);
    expect(kernelFlags(probe) & (O_NONBLOCK | 3)).toBe(O_NONBLOCK | O_RDONLY);
    const rw = openat(AT_FDCWD, file, ['O_RDWR']);
    expect(kernelFlags(rw) & 3).toBe(O_RDWR);
    const direct = openat(AT_FDCWD, file, ['O_RDWR', 'O_DIRECT']);
    if (direct >= 0) {
      expect(kernelFlags(direct) & O_DIRECT).toBe(O_DIRECT);
      // O_DIRECT needs memory aligned to the logical block size, and a SharedArrayBuffer's data is
      // only 16-byte aligned: probe for the offset that is (QEMU's raw_probe_alignment does the same).
      const ram = new SharedArrayBuffer(1 << 20);
      let ok = -1;
      for (let off = 0; off < 4096 && ok < 0; off += 16) {
        const r = pread64(direct, new Uint8Array(ram, off, 4096), 4096);
        if (r === 4096) ok = off;
        else expect(r).toBe(-22);
      }
      expect(ok).toBeGreaterThanOrEqual(0);
      close(direct);
    } else {
      expect(direct).toBe(-22); // a file system without O_DIRECT support
    }
    close(probe);
    close(rw);
  });
});

describe('errors return -errno and records say so', () => {
  test('ENOENT, EEXIST, ENOTDIR, ELOOP from openat', () => {
    const recs = record();
    expect(openat(AT_FDCWD, path.join(dir, 'missing'), ['O_RDONLY'])).toBe(-2);
    writeFileSync(path.join(dir, 'exists'), 'x');
    expect(openat(AT_FDCWD, path.join(dir, 'exists'), ['O_WRONLY', 'O_CREAT', 'O_EXCL'], 0o644)).toBe(-17);
    expect(openat(AT_FDCWD, path.join(dir, 'exists', 'sub'), ['O_RDONLY'])).toBe(-20);
    symlinkSync(path.join(dir, 'exists'), path.join(dir, 'link'));
    expect(openat(AT_FDCWD, path.join(dir, 'link'), ['O_RDONLY', 'O_NOFOLLOW'])).toBe(-40);
    expect(recs.map((r) => [r.ret, r.errno])).toEqual([
      [-2, 'ENOENT'],
      [-17, 'EEXIST'],
      [-20, 'ENOTDIR'],
      [-40, 'ELOOP'],
    ]);
    const line = formatStraceLine(recs[0]!);
    expect(line).toBe(
      `openat(AT_FDCWD, "${path.join(dir, 'missing')}", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)`,
    );
    expect(recs[1]!.args).toEqual(['AT_FDCWD', `"${path.join(dir, 'exists')}"`, 'O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC', '0644']);
    expect(recs[0]!.fd).toBeUndefined();
  });

  test('EBADF, EISDIR, EINVAL from fd calls', () => {
    const recs = record();
    const file = path.join(dir, 'ro.img');
    writeFileSync(file, Buffer.alloc(1024));
    const ro = openat(AT_FDCWD, file, ['O_RDONLY']);
    expect(pwrite64(ro, new Uint8Array(16), 0)).toBe(-9); // not open for writing
    expect(ftruncate(ro, 0)).toBe(-22); // ftruncate(2): EINVAL when fd is not open for writing
    const d = openat(AT_FDCWD, dir, ['O_RDONLY', 'O_DIRECTORY']);
    expect(pread64(d, new Uint8Array(16), 0)).toBe(-21);
    expect(preadv(d, [new Uint8Array(8), new Uint8Array(8)], 0)).toBe(-21);
    expect(close(d)).toBe(0);
    expect(close(ro)).toBe(0);
    expect(close(ro)).toBe(-9);
    expect(pread64(ro, new Uint8Array(16), 0)).toBe(-9);
    expect(fdatasync(ro)).toBe(-9);
    expect(statx(ro, newStatBuf())).toBe(-9);
    const names = recs.filter((r) => r.ret < 0).map((r) => `${r.name} ${r.errno}`);
    expect(names).toEqual([
      'pwrite64 EBADF',
      'ftruncate EINVAL',
      'pread64 EISDIR',
      'preadv EISDIR',
      'close EBADF',
      'pread64 EBADF',
      'fdatasync EBADF',
      'statx EBADF',
    ]);
    const failedRead = recs.find((r) => r.name === 'pread64' && r.errno === 'EISDIR')!;
    expect(failedRead.args[1]).toMatch(/^0x[0-9a-f]+$/); // strace prints the address, not data
    expect(formatStraceLine(failedRead)).toMatch(/^pread64\(\d+, 0x[0-9a-f]+, 16, 0\) += -1 EISDIR \(Is a directory\)$/);
  });

  test('calls refused before the kernel return -errno and record nothing', () => {
    const recs = record();
    const file = path.join(dir, 'r.img');
    writeFileSync(file, Buffer.alloc(64));
    const fd = openat(AT_FDCWD, file, ['O_RDWR']);
    recs.length = 0;
    expect(pread64(fd, new Uint8Array(8), -1)).toBe(-22);
    expect(pread64(fd, new Uint8Array(8), 2 ** 53)).toBe(-22);
    expect(pread64(-1, new Uint8Array(8), 0)).toBe(-9);
    expect(pread64(fd, new Uint8Array(0), 0)).toBe(0);
    expect(preadv(fd, [], 0)).toBe(0);
    expect(pwritev(fd, [], 0)).toBe(0);
    expect(preadv(fd, Array.from({ length: 1025 }, () => new Uint8Array(1)), 0)).toBe(-22);
    expect(ftruncate(fd, -1)).toBe(-22);
    expect(openat(AT_FDCWD, 'nul\0byte', ['O_RDONLY'])).toBe(-22);
    expect(recs).toEqual([]);
    close(fd);
  });
});

describe('records', () => {
  test('fields: name, strace args, ret, tid, threadName, times, fd, path, raw', () => {
    const recs = record();
    const file = path.join(dir, 'rec.img');
    writeFileSync(file, Buffer.from('hello, world\n'.repeat(10)));
    setThreadName('emulator');
    try {
      const fd = openat(AT_FDCWD, file, ['O_RDONLY', 'O_NONBLOCK']);
      const buf = new Uint8Array(64);
      pread64(fd, buf, 0);
      close(fd);
      expect(recs.map((r) => r.name)).toEqual(['openat', 'pread64', 'close']);
      const [o, r, c] = recs as [SyscallRecord, SyscallRecord, SyscallRecord];
      const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
      for (const x of recs) {
        expect(x.tid).toBe(tid);
        expect(x.tid).toBe(gettid());
        expect(x.threadName).toBe('emulator');
        expect(typeof x.startNs).toBe('bigint');
        expect(x.durationNs).toBeGreaterThanOrEqual(0);
      }
      expect(o.startNs < r.startNs && r.startNs < c.startNs).toBe(true);
      expect(o.args).toEqual(['AT_FDCWD', `"${file}"`, 'O_RDONLY|O_NONBLOCK|O_CLOEXEC']);
      expect(o.ret).toBe(fd);
      expect(o.fd).toBe(fd);
      expect(o.path).toBe(file);
      expect(o.raw).toEqual({ dirfd: -100, path: file, flags: O_RDONLY | O_NONBLOCK | O_CLOEXEC, mode: 0o666, cwd: process.cwd() });
      expect(r.args).toEqual([String(fd), '"hello, world\\nhello, world\\nhello,"...', '64', '0']);
      expect(r.ret).toBe(64);
      expect(r.raw).toEqual({ fd, addr: buf.byteOffset, count: 64, offset: 0 });
      expect(r.path).toBeUndefined(); // not asked for
      expect(c.args).toEqual([String(fd)]);
      expect(c.ret).toBe(0);
      expect(c.errno).toBeUndefined();
    } finally {
      setThreadName('main');
    }
    expect(threadName()).toBe('main');
  });

  test('resolveFdPaths gives every fd record its -y path', () => {
    const recs = record({ resolveFdPaths: true });
    const file = path.join(dir, 'p.img');
    writeFileSync(file, Buffer.alloc(512));
    const fd = openat(AT_FDCWD, file, ['O_RDWR']);
    pread64(fd, new Uint8Array(512), 0);
    fdatasync(fd);
    close(fd);
    expect(recs.map((r) => r.path)).toEqual([file, file, file, file]);
  });

  test('one buffer: preadv / pwritev are pread64 / pwrite64 (what libuv issues)', () => {
    const recs = record();
    const file = path.join(dir, 'one.img');
    writeFileSync(file, Buffer.alloc(512, 0x41));
    const fd = openat(AT_FDCWD, file, ['O_RDWR']);
    expect(preadv(fd, [new Uint8Array(16)], 0)).toBe(16);
    expect(pwritev(fd, [new Uint8Array(4)], 0)).toBe(4);
    close(fd);
    expect(recs.map((r) => r.name)).toEqual(['openat', 'pread64', 'pwrite64', 'close']);
    expect(recs[1]!.args[1]).toBe('"AAAAAAAAAAAAAAAA"');
    expect(recs[2]!.args[1]).toBe('"\\0\\0\\0\\0"');
  });

  test('a throwing hook does not reach the caller; no hook means no records', () => {
    let calls = 0;
    setSyscallRecorder(() => {
      calls++;
      throw new Error('boom');
    });
    const file = path.join(dir, 'h.img');
    writeFileSync(file, 'x');
    const fd = openat(AT_FDCWD, file, ['O_RDONLY']);
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(close(fd)).toBe(0);
    expect(calls).toBe(2);
    setSyscallRecorder(null);
    const fd2 = openat(AT_FDCWD, file, ['O_RDONLY']);
    close(fd2);
    expect(calls).toBe(2);
  });
});

test('from a worker_thread: preadv into guest RAM (SharedArrayBuffer) with the worker tid', async () => {
  const hostDir = compileHost();
  const file = path.join(dir, 'w.img');
  writeFileSync(file, Buffer.from(pattern(8192, 5)));
  const ram = new SharedArrayBuffer(1 << 16);
  const src = `
    const { workerData, parentPort } = require('node:worker_threads');
    const sys = require(workerData.hostDir + '/syscalls.js');
    const rec = require(workerData.hostDir + '/record.js');
    const tid = require(workerData.hostDir + '/thread-id.js');
    tid.setThreadName('worker-0');
    const records = [];
    rec.setSyscallRecorder((r) => records.push(r));
    rec.setBufferBase(workerData.ram, 0x80000000);
    const fd = sys.openat(-100, workerData.file, ['O_RDONLY']);
    const ram = workerData.ram;
    const n = sys.preadv(fd, [new Uint8Array(ram, 4096, 4096), new Uint8Array(ram, 12288, 4096)], 0);
    const m = sys.pread64(fd, new Uint8Array(ram, 32768, 512), 512);
    sys.close(fd);
    const self = require('node:fs').readlinkSync('/proc/thread-self');
    parentPort.postMessage({ n, m, records, self });
  `;
  const w = new Worker(src, { eval: true, workerData: { hostDir, file, ram } });
  const msg = await new Promise<{ n: number; m: number; records: SyscallRecord[]; self: string }>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  await w.terminate();
  const data = pattern(8192, 5);
  const bytes = new Uint8Array(ram);
  expect(msg.n).toBe(8192);
  expect(msg.m).toBe(512);
  expect(bytes.subarray(4096, 8192)).toEqual(data.subarray(0, 4096));
  expect(bytes.subarray(12288, 16384)).toEqual(data.subarray(4096, 8192));
  expect(bytes.subarray(32768, 33280)).toEqual(data.subarray(512, 1024));
  const workerTid = Number(msg.self.split('/').pop());
  expect(workerTid).not.toBe(gettid());
  expect(msg.records.map((r) => r.name)).toEqual(['openat', 'preadv', 'pread64', 'close']);
  for (const r of msg.records) {
    expect(r.tid).toBe(workerTid);
    expect(r.threadName).toBe('worker-0');
  }
  const pv = msg.records[1]!;
  expect(pv.name === 'preadv' && pv.raw.iov).toEqual([
    { addr: 0x80000000 + 4096, len: 4096 },
    { addr: 0x80000000 + 12288, len: 4096 },
  ]);
});
