/** Shared helpers of the block/ tests (not a test file). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { qemu_get_aio_context } from '../../src/util/main-loop';
import { threadPoolAddModule } from '../../src/util/thread-pool';
import { qiovOf } from '../../src/util/iov';
import type { QEMUIOVector } from '../../src/util/iov';
import {
  blk_aio_flush,
  blk_aio_pdiscard,
  blk_aio_preadv,
  blk_aio_pwrite_zeroes,
  blk_aio_pwritev,
  type BlockBackend,
} from '../../src/block/block-backend';
import { pollUntil, requireFreshDist } from '../util/util-test-helpers';

export { pollUntil };

export const FIXTURES = path.join(__dirname, 'fixtures');

/** A worker-side syscall record (see fixtures/record-syscalls.js). */
export interface WorkerRecord {
  name: string;
  tid: number;
  thread: string;
  ret: number;
  fd?: number;
  raw: Record<string, unknown>;
}

let logFile = '';

/**
 * Call before anything creates the main context's thread pool: its workers then record their
 * syscalls to a log this process reads back (workerRecords()).
 */
export function installWorkerRecorder(): void {
  requireFreshDist();
  if (logFile !== '') return;
  logFile = path.join(tempDir('vtrace-blocklog-'), 'worker-syscalls.jsonl');
  fs.writeFileSync(logFile, '');
  process.env.VTRACE_TEST_SYSCALL_LOG = logFile;
  threadPoolAddModule(path.join(FIXTURES, 'record-syscalls.js'));
}

export function workerRecords(): WorkerRecord[] {
  if (logFile === '') return [];
  return fs
    .readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as WorkerRecord);
}

export function clearWorkerRecords(): void {
  if (logFile !== '') fs.writeFileSync(logFile, '');
}

/** A fresh temporary directory on the disk-backed filesystem of the repository (not tmpfs). */
const dirs: string[] = [];
export function tempDir(prefix = 'vtrace-block-'): string {
  const base = process.env.VTRACE_BLOCK_TMP ?? os.tmpdir();
  const d = fs.mkdtempSync(path.join(base, prefix));
  dirs.push(d);
  return d;
}
/** Remove the temporary directories made so far (call from afterAll). */
export function cleanupTempDirs(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  logFile = ''; // workers may still append: they write into a removed directory's file, harmlessly
}

/** Deterministic pattern bytes. */
export function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Make a file of `size` bytes filled with pattern(seed). */
export function makeImage(dir: string, name: string, size: number, seed = 1): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, pattern(size, seed));
  return p;
}

/** Guest RAM: one SharedArrayBuffer. */
export function guestRam(size = 1 << 20): SharedArrayBuffer {
  return new SharedArrayBuffer(size);
}

type AioStarter = (cb: (opaque: unknown, ret: number) => void) => void;

/** Start one AIO request, poll the main context until its callback ran, return ret. */
export function aioWait(start: AioStarter): number {
  let ret: number | null = null;
  start((_o, r) => (ret = r));
  pollUntil(qemu_get_aio_context(), () => ret !== null);
  return ret!;
}

export const aio = {
  read: (blk: BlockBackend, offset: number, q: QEMUIOVector | Uint8Array) => aioWait((cb) => blk_aio_preadv(blk, offset, q instanceof Uint8Array ? qiovOf(q) : q, 0, cb)),
  write: (blk: BlockBackend, offset: number, q: QEMUIOVector | Uint8Array, flags = 0) =>
    aioWait((cb) => blk_aio_pwritev(blk, offset, q instanceof Uint8Array ? qiovOf(q) : q, flags, cb)),
  flush: (blk: BlockBackend) => aioWait((cb) => blk_aio_flush(blk, cb)),
  zeroes: (blk: BlockBackend, offset: number, bytes: number) => aioWait((cb) => blk_aio_pwrite_zeroes(blk, offset, bytes, 0, cb)),
  discard: (blk: BlockBackend, offset: number, bytes: number) => aioWait((cb) => blk_aio_pdiscard(blk, offset, bytes, cb)),
};

/** qemu-img, or null (tests then skip with a message). */
export function qemuImg(): string | null {
  const r = spawnSync('qemu-img', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'qemu-img' : null;
}

export function run(cmd: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
