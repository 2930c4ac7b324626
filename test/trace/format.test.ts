/**
 * The log backend's lines, byte for byte as QEMU 7.2's log backend prints them (golden lines taken
 * from `qemu-system-riscv64 -D q.log -trace ...` on the default guest, with vtrace's ids).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { cFormat } from '../../src/trace/format';
import { formatLogLine, LogBackend } from '../../src/trace/log-backend';
import * as t from '../../src/trace/generated/tracepoints';
import type { AnyTracepoint, TraceEvent } from '../../src/trace/tracepoint';
import { applyTraceSpecs, disableAllTracepoints } from '../../src/trace/control';

afterEach(() => disableAllTracepoints());

const ev = (tp: AnyTracepoint, args: TraceEvent['args'], ns = 0n): TraceEvent => ({ name: tp.name, id: tp.id, ns, thread: 'emulator', tid: 4242, args, corr: null });

describe('printf subset (glibc rendering)', () => {
  test.each([
    ['%p', [0], '(nil)'],
    ['%p', [null], '(nil)'],
    ['%p', [0x5555c6ec48f0], '0x5555c6ec48f0'],
    ['%lu', [1048064], '1048064'],
    ['%zu', [8], '8'],
    ['%u', [-1], '4294967295'],
    ['%lx', [-1n], 'ffffffffffffffff'],
    ['0x%x', [8], '0x8'],
    ['%d', [true], '1'],
    ['%06x|%-4d|%4s', [255, 7, 'ab'], '0000ff|7   |  ab'],
    ['%s %%', ['x'], 'x %'],
    ['%ld', [-5], '-5'],
  ] as const)('%s → %s', (fmt, args, want) => {
    expect(cFormat(fmt, args)).toBe(want);
  });
});

describe('log backend lines', () => {
  test('default: "name args" as QEMU 7.2 prints without -msg timestamp=on', () => {
    expect(formatLogLine(ev(t.virtio_blk_handle_read, [0x10000001, 0x12000004, 0, 8]), t.virtio_blk_handle_read, false)).toBe(
      'virtio_blk_handle_read vdev 0x10000001 req 0x12000004 sector 0 nsectors 8',
    );
    expect(formatLogLine(ev(t.qemu_coroutine_terminate, [0x40000001]), t.qemu_coroutine_terminate, false)).toBe('qemu_coroutine_terminate self 0x40000001');
    expect(formatLogLine(ev(t.blk_co_pwritev, [0x20000001, 0x21000001, 1048064, 512, 0]), t.blk_co_pwritev, false)).toBe(
      'blk_co_pwritev blk 0x20000001 bs 0x21000001 offset 1048064 bytes 512 flags 0x0',
    );
    expect(formatLogLine(ev(t.virtio_mmio_write_offset, [0x64, 1]), t.virtio_mmio_write_offset, false)).toBe('virtio_mmio_write_offset virtio_mmio_write offset 0x64 value 0x1');
    expect(formatLogLine(ev(t.thread_pool_submit, [0x30000001, 0x31000001, 0]), t.thread_pool_submit, false)).toBe('thread_pool_submit pool 0x30000001 req 0x31000001 opaque (nil)');
  });

  test('-msg timestamp=on: TID@SECONDS.USECONDS: with µs zero-padded', () => {
    const line = formatLogLine(ev(t.virtio_notify, [1, 2], 1_795_465_672_000_120_999n), t.virtio_notify, true, 0n);
    expect(line).toBe('4242@1795465672.000120:virtio_notify vdev 0x1 vq 0x2');
  });

  test('writes enabled events to the -D file, one line each', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vtrace-log-'));
    const file = path.join(dir, 't.log');
    fs.writeFileSync(file, 'stale\n');
    const log = new LogBackend({ file, timestamp: false, truncate: true });
    applyTraceSpecs([{ pattern: 'virtio_notify', enable: true }]);
    t.virtio_notify.emit(0x10000001, 0x11000001);
    t.virtio_queue_notify.emit(1, 0, 2); // off: not written (call sites test .on; emit is unconditional)
    log.close();
    const text = fs.readFileSync(file, 'utf8');
    fs.rmSync(dir, { recursive: true, force: true });
    expect(text.startsWith('virtio_notify vdev 0x10000001 vq 0x11000001\n')).toBe(true);
    expect(text).not.toContain('stale');
  });
});
