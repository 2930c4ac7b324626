/** Shared helpers of the qcow2 tests (not a test file): qemu-img/qemu-io oracles, a model disk. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { blk_aio_preadv, blk_aio_pwritev, type BlockBackend } from '../../../src/block/block-backend';
import { blockdevClose, blockdevOpen, type BlockdevOpenOptions } from '../../../src/block/blockdev';
import { qiovOf } from '../../../src/util/iov';
import { qemu_get_aio_context } from '../../../src/util/main-loop';
import { aio, cleanupTempDirs, installWorkerRecorder, pattern, pollUntil, run } from '../block-test-helpers';

export function haveQemuTools(): boolean {
  return run('qemu-img', ['--version']).status === 0 && run('qemu-io', ['--version']).status === 0;
}

/** Skip the test (with a message) when qemu-img/qemu-io are missing. */
export function requireQemu(ctx: { skip: () => void }): void {
  if (!haveQemuTools()) {
    console.log('skipped: qemu-img/qemu-io are missing (Debian package qemu-utils)');
    ctx.skip();
  }
}

export function qemuImg(...args: string[]): { status: number; stdout: string; stderr: string } {
  return run('qemu-img', args);
}

export function createQcow2(file: string, size: string, opts: string[] = []): void {
  const r = qemuImg('create', '-q', '-f', 'qcow2', ...opts, file, size);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

/** A buffer in shared memory (guest RAM), for the worker threads. */
export function shared(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(Math.max(n, 1)), 0, n);
}

/** A drive plus the bytes it should hold (the model). */
export class ModelDisk {
  readonly expected: Uint8Array;
  constructor(
    readonly blk: BlockBackend,
    size: number,
    initial?: Uint8Array,
  ) {
    this.expected = new Uint8Array(size);
    if (initial) this.expected.set(initial.subarray(0, size));
  }

  write(offset: number, bytes: number, seed: number): void {
    const buf = shared(bytes);
    buf.set(pattern(bytes, seed));
    expect(aio.write(this.blk, offset, buf), `write ${offset}+${bytes}`).toBe(0);
    this.expected.set(buf, offset);
  }

  /** Read [offset, +bytes) through vtrace (as a two-entry vector) and compare with the model. */
  check(offset: number, bytes: number): void {
    const a = shared(Math.floor(bytes / 3));
    const b = shared(bytes - a.byteLength);
    expect(aio.read(this.blk, offset, qiovOf(a, b)), `read ${offset}+${bytes}`).toBe(0);
    const got = Buffer.concat([a, b]);
    const want = Buffer.from(this.expected.subarray(offset, offset + bytes));
    if (!got.equals(want)) {
      let i = 0;
      while (got[i] === want[i]) i++;
      throw new Error(`read ${offset}+${bytes}: first difference at guest offset ${offset + i}: got ${got[i]}, want ${want[i]}`);
    }
  }

  checkAll(chunk = 1 << 20): void {
    for (let o = 0; o < this.expected.byteLength; o += chunk) this.check(o, Math.min(chunk, this.expected.byteLength - o));
  }
}

/** Start several writes at once, then wait for all (they overlap in time on the metadata lock). */
export function concurrentWrites(d: ModelDisk, reqs: { offset: number; bytes: number; seed: number }[]): void {
  const rets: (number | null)[] = reqs.map(() => null);
  reqs.forEach((r, i) => {
    const buf = shared(r.bytes);
    buf.set(pattern(r.bytes, r.seed));
    d.expected.set(buf, r.offset); // requests do not overlap each other
    blk_aio_pwritev(d.blk, r.offset, qiovOf(buf), 0, (_o, ret) => (rets[i] = ret));
  });
  pollUntil(qemu_get_aio_context(), () => rets.every((r) => r !== null));
  expect(rets).toEqual(reqs.map(() => 0));
}

export function readAll(blk: BlockBackend, size: number): Uint8Array {
  const buf = shared(size);
  let ret: number | null = null;
  blk_aio_preadv(blk, 0, qiovOf(buf), 0, (_o, r) => (ret = r));
  pollUntil(qemu_get_aio_context(), () => ret !== null);
  expect(ret).toBe(0);
  return buf;
}

export function open(o: Partial<BlockdevOpenOptions> & { file: string }): BlockBackend {
  return blockdevOpen({ id: `q${Math.random().toString(36).slice(2, 8)}`, logger: () => {}, ...o });
}

export { blockdevClose };

/**
 * The drives a test file opens: `track` them, `close` the ones a test closes itself; the rest are
 * closed after each test, also when it failed (registers the afterEach; call at module level),
 * and the worker recorder and temporary directories are set up and removed around the file.
 */
export function driveTracker(): { track(blk: BlockBackend): BlockBackend; close(blk: BlockBackend): void; count(): number } {
  const opened: BlockBackend[] = [];
  beforeAll(() => installWorkerRecorder());
  afterEach(() => {
    for (const b of opened.splice(0)) blockdevClose(b);
  });
  afterAll(() => cleanupTempDirs());
  return {
    track(blk) {
      opened.push(blk);
      return blk;
    },
    close(blk) {
      opened.splice(opened.indexOf(blk), 1);
      blockdevClose(blk);
    },
    count: () => opened.length,
  };
}

/** After closing: qemu-img check clean, compare and convert -O raw agree with `expected`. */
export function verifyWithQemu(img: string, expected: Uint8Array, dir: string, fmt = 'qcow2'): void {
  const chk = qemuImg('check', '-f', fmt, img);
  expect(chk.stdout + chk.stderr).toContain('No errors were found on the image.');
  expect(chk.status).toBe(0);
  const raw = path.join(dir, `expected-${path.basename(img)}.raw`);
  fs.writeFileSync(raw, expected);
  const cmp = qemuImg('compare', '-f', fmt, '-F', 'raw', img, raw);
  expect(cmp.stdout.trim()).toBe('Images are identical.');
  expect(cmp.status).toBe(0);
  const out = path.join(dir, `converted-${path.basename(img)}.raw`);
  expect(qemuImg('convert', '-f', fmt, '-O', 'raw', img, out).status).toBe(0);
  expect(fs.readFileSync(out).equals(Buffer.from(expected))).toBe(true);
}

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}
