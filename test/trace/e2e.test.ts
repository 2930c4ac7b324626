/**
 * End to end: `vtrace run -D t.log -trace ...` on the default guest writes, per virtio-blk request,
 * QEMU's chain of events; and (when qemu-system-riscv64 is installed) the same command line on
 * QEMU 7.2 gives the same per-request event-name sequences over the events both emit.
 * Requires dist/ (npm test compiles first).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { VTRACE } from '../helpers/spawn-guest';
import { guestBin, which } from '../guest/default/harness';

const TRACE = ['-trace', 'virtio_blk_*', '-trace', 'thread_pool_*', '-trace', 'qemu_coroutine_*', '-trace', 'virtio_queue_notify',
  '-trace', 'virtqueue_pop', '-trace', 'blk_co_*', '-trace', 'bdrv_co_p*', '-trace', 'virtio_notify'];

/** The log's event names, cut into segments at each virtio_queue_notify (one guest request each). */
function requests(log: string): string[][] {
  const segs: string[][] = [];
  for (const line of log.split('\n')) {
    const name = line.replace(/^\d+@\d+\.\d+:/, '').split(' ')[0];
    if (name === '') continue;
    if (name === 'virtio_queue_notify') segs.push([]);
    if (segs.length > 0) segs[segs.length - 1].push(name);
  }
  return segs;
}

const chain = (dir: 'read' | 'write') => [
  'virtio_queue_notify', 'virtqueue_pop', `virtio_blk_handle_${dir}`, dir === 'read' ? 'blk_co_preadv' : 'blk_co_pwritev',
  `bdrv_co_p${dir === 'read' ? 'readv' : 'writev'}_part`, `bdrv_co_p${dir === 'read' ? 'readv' : 'writev'}_part`,
  'thread_pool_submit', 'qemu_coroutine_yield', 'thread_pool_complete', 'virtio_blk_rw_complete', 'virtio_blk_req_complete',
  'virtio_notify', 'qemu_coroutine_terminate',
];

let tmp: string;
let vtraceLog = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-trace-'));
  const log = path.join(tmp, 't.log');
  const r = spawnSync(process.execPath, [VTRACE, 'run', '-D', log, ...TRACE], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  vtraceLog = fs.readFileSync(log, 'utf8');
}, 130_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('vtrace run -D t.log -trace ... (default guest)', () => {
  test('each read and write request shows the whole chain, in order', () => {
    const segs = requests(vtraceLog);
    const writes = segs.filter((s) => s.includes('virtio_blk_handle_write'));
    const reads = segs.filter((s) => s.includes('thread_pool_submit') && s.includes('virtio_blk_handle_read'));
    expect(writes.length).toBeGreaterThanOrEqual(2);
    expect(reads.length).toBeGreaterThanOrEqual(2);
    for (const s of writes) expect(s).toEqual(chain('write'));
    for (const s of reads) expect(s).toEqual(chain('read'));
  });

  test('lines are in QEMU log-backend form, and req/elem ids agree across layers', () => {
    expect(vtraceLog).toMatch(/^virtio_blk_handle_read vdev 0x[0-9a-f]+ req (0x[0-9a-f]+) sector 0 nsectors 8$/m);
    const pop = /^virtqueue_pop vq 0x\w+ elem (0x\w+) in_num 3 out_num 1$/m.exec(vtraceLog)!;
    expect(vtraceLog).toContain(`virtio_blk_handle_read vdev 0x10000001 req ${pop[1]} sector 0 nsectors 8`);
    expect(vtraceLog).toContain(`virtio_blk_req_complete vdev 0x10000001 req ${pop[1]} status 0`);
  });
});

const qemu = which('qemu-system-riscv64');
describe.skipIf(!qemu)('conformance with qemu-system-riscv64 (skipped without qemu-system-misc)', () => {
  test('per-request event-name sequences match QEMU 7.2 on the events both emit', { timeout: 90_000 }, () => {
    const img = path.join(tmp, 'scratch.img');
    fs.writeFileSync(img, Buffer.alloc(1024 * 1024));
    const qlog = path.join(tmp, 'q.log');
    const r = spawnSync(qemu!, ['-M', 'virt', '-nographic', '-kernel', guestBin, '-drive', `file=${img},format=raw,id=hd0,if=none`,
      '-device', 'virtio-blk-device,drive=hd0', '-D', qlog, ...TRACE], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const q = requests(fs.readFileSync(qlog, 'utf8'));
    const v = requests(vtraceLog);
    // Under these globs both emit the same event set on this path, so the sequences are compared
    // whole: write, write, flush (no blk_co_*), read, read, out-of-range read (status 1, no I/O).
    expect(v).toEqual(q);
  });
});
