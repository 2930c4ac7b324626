/**
 * Issue 4's acceptance: the stitched backtrace at a worker's pread, for a guest reading its disk
 * through virtio-blk, lists in order handle_aiocb_rw, thread_pool_submit_aio, raw_co_prw,
 * bdrv_co_preadv, blk_co_preadv, blk_aio_prwv, virtio_blk_handle_vq, aio_dispatch_handler,
 * virtio_mmio_write, each at a src/...ts:line inside that function, then the guest's store.
 *
 * - the default guest under `vtrace strace -k -- ...` (live), and `vtrace strace -k FILE.vtr` on a
 *   recording of the same guest (offline stitching);
 * - a Linux guest reading /dev/vda (the cached recipe guest; skipped when not built), run in-process
 *   by fixtures/run-guest.js and stitched through the live link table, with the kernel's own
 *   frames (vm_notify ← virtqueue_notify ← ...) symbolized from its System.map.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { linuxGuestDir, VTRACE } from '../../helpers/spawn-guest';
import { FIXTURES, REPO, checkLocations, expectInOrder } from './bt-test-helpers';
import type { Frame } from '../../../src/trace/backtrace/frame';

const ACCEPTANCE = ['handle_aiocb_rw', 'thread_pool_submit_aio', 'raw_co_prw', 'bdrv_co_preadv', 'blk_co_preadv', 'blk_aio_prwv', 'virtio_blk_handle_vq', 'aio_dispatch_handler', 'virtio_mmio_write'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-bt-accept-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function scratch(name: string): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, Buffer.alloc(1024 * 1024));
  return f;
}

interface Parsed {
  syscall: string;
  frames: Frame[];
  separators: string[];
  guest: string[];
}

const FRAME = /^#(\d+) +(\S+) \((.*)\)(?: at (\S+):(\d+))?$/;
const GUEST = /^#\d+ +0x[0-9a-f]{16} in (\S+) \(\)$/;

/** strace -k output → one entry per syscall line with its backtrace (` > ` lines). */
function parseStrace(text: string): Parsed[] {
  const out: Parsed[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(' > ')) {
      const cur = out[out.length - 1];
      const l = line.slice(3);
      const g = GUEST.exec(l);
      const m = FRAME.exec(l);
      if (l.startsWith('---')) cur.separators.push(l);
      else if (g !== null) cur.guest.push(g[1]);
      else if (m !== null) cur.frames.push({ fn: m[2], file: m[4] ?? null, line: Number(m[5] ?? 0), col: 0 });
      else throw new Error(`unexpected backtrace line: ${line}`);
    } else {
      const m = /^(?:\d+ +)?(\w+)\(/.exec(line);
      if (m !== null) out.push({ syscall: m[1], frames: [], separators: [], guest: [] });
    }
  }
  return out;
}

function guestRead(all: Parsed[]): Parsed {
  const r = all.find((p) => (p.syscall === 'pread64' || p.syscall === 'preadv') && p.frames.some((f) => f.fn === 'virtio_blk_handle_vq'));
  if (r === undefined) throw new Error(`no guest read with a stitched backtrace among ${all.length} syscalls`);
  return r;
}

function checkAcceptance(p: Parsed): void {
  expectInOrder(p.frames.map((f) => f.fn), ACCEPTANCE);
  checkLocations(p.frames, ACCEPTANCE);
  expect(p.separators).toHaveLength(4);
  expect(p.separators[0]).toMatch(/^--- thread-pool submission: coroutine \d+ on emulator thread \(main-loop\) → worker-\d+ ---$/);
  expect(p.separators[1]).toMatch(/^--- coroutine \d+ \(blk_aio_read_entry\): created by blk_aio_prwv on emulator thread \(main-loop\) ---$/);
  expect(p.separators[2]).toMatch(/^--- ioeventfd: vcpu0 on emulator thread → emulator thread \(main-loop\): event_notifier_set\(hd0\.vq0\.host_notifier\) ---$/);
  expect(p.separators[3]).toMatch(/^--- guest: hart 0 \(S-mode\) store at pc 0x[0-9a-f]+ ---$/);
  expect(p.guest.length).toBeGreaterThanOrEqual(1);
}

const defaultElf = path.join(REPO, 'guest', 'default', 'build', 'default.elf');

describe('the default guest', () => {
  test('vtrace strace -k -- ... prints each guest read\'s stitched backtrace, down to the guest store', { timeout: 120_000 }, () => {
    const out = path.join(tmp, 'live.txt');
    const img = scratch('live.img');
    const r = spawnSync(process.execPath, [VTRACE, 'strace', '-f', '-k', '-e', 'trace=pread64,preadv', '-o', out, '--', '-drive', `file=${img},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0'], {
      encoding: 'utf8',
      timeout: 110_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const read = guestRead(parseStrace(fs.readFileSync(out, 'utf8')));
    checkAcceptance(read);
    expect(read.frames[0].fn).toMatch(/^(pread64|preadv)$/);
    if (fs.existsSync(defaultElf)) expect(read.guest[0]).toBe('virtio_blk_request'); // guest/default/virtio/virtio_blk.c
  });

  test('vtrace strace -k FILE.vtr stitches the same from a recording', { timeout: 120_000 }, () => {
    const vtr = path.join(tmp, 'rec.vtr');
    const img = scratch('rec.img');
    const run = spawnSync(process.execPath, [VTRACE, 'run', '-trace', 'syscall_*', '-trace', 'backtrace_*', '--trace-out', vtr, '-drive', `file=${img},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0'], {
      encoding: 'utf8',
      timeout: 110_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const r = spawnSync(process.execPath, [VTRACE, 'strace', '-k', vtr], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const all = parseStrace(r.stderr);
    checkAcceptance(guestRead(all));
    // Syscalls of the emulator thread itself (the image's openat) carry their own stacks.
    const opens = all.filter((p) => p.syscall === 'openat' && p.frames.length > 0);
    expect(opens.map((p) => p.frames[0].fn)).toContain('openat');
    const open = opens.find((p) => p.frames.some((f) => f.fn === 'raw_open'));
    expectInOrder(open!.frames.map((f) => f.fn), ['openat', 'raw_open', 'bdrv_open', 'blockdevOpen', 'createMachine']);
  });
});

describe('a live stop in the vCPU itself', () => {
  test('the QueueNotify store\'s MMIO dispatch: the vCPU\'s frames, then the guest at that pc', { timeout: 120_000 }, () => {
    const img = scratch('vcpu.img');
    const args = { qemu: ['-kernel', path.join(REPO, 'guest', 'default', 'default.bin'), '-drive', `file=${img},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0'], reads: 1, vcpuStop: true, ...(fs.existsSync(defaultElf) ? { symbols: defaultElf } : {}) };
    const r = spawnSync(process.execPath, [path.join(FIXTURES, 'run-guest.js'), JSON.stringify(args)], { encoding: 'utf8', timeout: 110_000 });
    expect(r.status, r.stderr).toBe(0);
    const stop = (JSON.parse(r.stdout) as { vcpuStop: { text: string; functions: string[]; roles: string[] } | null }).vcpuStop;
    expect(stop).not.toBeNull();
    expectInOrder(stop!.functions, ['vcpu_stop_probe', 'dispatchWrite', 'cpu_exec', 'runRoundRobin']);
    expect(stop!.roles).toEqual(['vcpu0', 'guest']);
    expect(stop!.text).toMatch(/^--- guest: hart 0 \(S-mode\) at pc 0x[0-9a-f]+ ---$/m);
    if (fs.existsSync(defaultElf)) expect(stop!.text).toMatch(/^#\d+ +0x[0-9a-f]{16} in virtio_blk_request \(\)$/m);
  });
});

const linux = linuxGuestDir();

describe.skipIf(!linux)('a Linux guest reading /dev/vda', () => {
  test('stitched through the live link table, the kernel\'s frames symbolized from System.map', { timeout: 240_000 }, () => {
    const img = path.join(tmp, 'root.img');
    fs.copyFileSync(path.join(linux!, 'rootfs.ext4'), img);
    const args = {
      qemu: ['-M', 'virt', '-m', '256M', '-kernel', path.join(linux!, 'Image'), '-append', 'root=/dev/vda rw console=ttyS0', '-drive', `file=${img},format=raw,id=hd0,if=none`, '-device', 'virtio-blk-device,drive=hd0'],
      reads: 4,
      ms: 200_000,
      symbols: path.join(linux!, 'System.map'),
    };
    const r = spawnSync(process.execPath, [path.join(FIXTURES, 'run-guest.js'), JSON.stringify(args)], { encoding: 'utf8', timeout: 230_000, maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout) as { reads: { text: string; functions: string[]; segments: { frames: Frame[]; guest: { callers: string[] } | null }[]; note: string | null }[] };
    const read = o.reads.find((x) => x.functions.includes('virtio_blk_handle_vq'));
    expect(read, r.stdout.slice(0, 4000)).toBeDefined();
    expect(read!.note).toBeNull();
    const frames = read!.segments.flatMap((s) => s.frames);
    expectInOrder(read!.functions, ACCEPTANCE);
    checkLocations(frames, ACCEPTANCE);
    // The guest: the kernel's virtio driver made the store (frame pointers walked, System.map names).
    const guestNames = read!.text.split('\n').filter((l) => / in \S+ \(\)$/.test(l) && /^#\d+ +0x/.test(l)).map((l) => / in (\S+) \(\)$/.exec(l)![1]);
    expect(guestNames.slice(0, 2)).toEqual(['vm_notify', 'virtqueue_notify']);
    expect(guestNames).toContain('virtio_queue_rq');
  });
});
