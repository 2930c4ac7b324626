/**
 * The TUI's state model, outside React: the console buffer (a terminal in miniature), key
 * splitting, the event filter, the stream's pause/selection, the statistics' intervals, the layout.
 */
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConsoleBuffer } from '../../src/tui/model/console-buffer';
import { keyName, splitKeys } from '../../src/tui/keys';
import { EventFilter } from '../../src/tui/model/event-filter';
import { IoStats, log2Bucket, percentile } from '../../src/tui/model/io-stats';
import { computeLayout } from '../../src/tui/ui/layout';
import { defaultPanes } from '../../src/tui/model/panes';
import { takeFrontEndArgs } from '../../src/tui/front-end-args';
import { modelFrom, recordDefaultGuest, type DefaultRecording } from './tui-helpers';

const enc = (s: string) => Buffer.from(s, 'latin1');

describe('ConsoleBuffer', () => {
  test('lines, carriage return, backspace, tabs, escape sequences dropped', () => {
    const c = new ConsoleBuffer();
    c.write(enc('hello\r\nworld\rW\x1b[1;32mgreen\x1b[0m\x08!\n\tx\x1b]0;title\x07y\n'));
    expect(c.tail(10)).toEqual(['hello', 'Wgree!', '        xy']);
  });

  test('bounded in lines and columns; any bytes are accepted', () => {
    const c = new ConsoleBuffer(5, 10);
    for (let i = 0; i < 20; i++) c.write(enc(`line ${i} ${'x'.repeat(50)}\n`));
    c.write(Uint8Array.from({ length: 4096 }, (_, i) => (i * 37) & 0xff));
    expect(c.text().split('\n').length).toBeLessThanOrEqual(5);
    for (const l of c.text().split('\n')) expect(l.length).toBeLessThanOrEqual(10);
  });

  test('UTF-8 split across writes is decoded whole', () => {
    const c = new ConsoleBuffer();
    const b = Buffer.from('é→\n', 'utf8');
    c.write(b.subarray(0, 1));
    c.write(b.subarray(1));
    expect(c.tail(1)).toEqual(['é→']);
  });
});

describe('keys', () => {
  test('escape sequences, lone escape and characters', () => {
    expect(splitKeys('\x1b[Aab\x1b[5~\x1b\x1bOBé\r')).toEqual(['\x1b[A', 'a', 'b', '\x1b[5~', '\x1b', '\x1bOB', 'é', '\r']);
    expect(['\x1b[A', '\x1b[6~', '\t', '\x1b[Z', '\x03', '\x1b'].map(keyName)).toEqual(['up', 'pagedown', 'tab', 'shift-tab', 'ctrl-c', 'escape']);
    expect(splitKeys('\x1b[')).toEqual(['\x1b[']);
  });
});

describe('EventFilter', () => {
  test('globs, categories, exclusions, default', () => {
    const f = EventFilter.parse('virtio_blk_* @syscall -syscall_entry');
    expect(['virtio_blk_handle_read', 'syscall_exit', 'syscall_entry', 'virtqueue_pop'].map((n) => f.test(n))).toEqual([true, true, false, false]);
    const d = EventFilter.parse('');
    expect(d.test('virtqueue_pop')).toBe(true);
    expect(d.test('backtrace_stack')).toBe(false);
    expect(d.test('memory_region_ops_write')).toBe(false);
    expect(EventFilter.parse('-@aio').test('aio_bh_call')).toBe(false);
    expect(EventFilter.parse('@bogus').errors).toEqual(['unknown category @bogus']);
  });
});

describe('IoStats', () => {
  test('intervals close on later events; rates per interval; log2 buckets as biolatency', () => {
    const s = new IoStats(1e9);
    s.advance(0);
    s.completed(0.2e9, 'read', 4096, 100_000);
    s.completed(0.5e9, 'write', 512, 3_000);
    s.instructions(0.9e9, 50e6);
    expect(s.samples.length).toBe(0);
    s.advance(1.1e9);
    expect(s.samples.length).toBe(1);
    const x = s.samples[0];
    expect(x.iops).toBe(2);
    expect(x.readMBps).toBeCloseTo(0.004096);
    expect(x.mips).toBe(50);
    expect(x.p50).toBe(3);
    expect(x.p99).toBe(100);
    expect([0, 1, 2, 3, 4, 100, 1e9, 1e12].map(log2Bucket)).toEqual([0, 0, 1, 1, 2, 6, 29, 31]);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
  });

  test('a long quiet gap does not loop over every empty interval', () => {
    const s = new IoStats(1e6);
    s.advance(0);
    s.advance(1e15);
    expect(s.samples.length).toBeLessThanOrEqual(3600);
  });
});

describe('layout', () => {
  test('80×24: one column, every visible pane at least 3 rows, inside the screen', () => {
    const l = computeLayout(80, 24, defaultPanes(), false);
    expect(l.panes.map((p) => p.id).sort()).toEqual(['console', 'events', 'pipeline', 'stats', 'threads']);
    for (const p of l.panes) {
      expect(p.height).toBeGreaterThanOrEqual(3);
      expect(p.x + p.width).toBeLessThanOrEqual(80);
      expect(p.y + p.height).toBeLessThanOrEqual(22);
    }
  });

  test('too short: the least important panes are left out, not overlapped', () => {
    const l = computeLayout(80, 12, defaultPanes(), true);
    expect(l.dropped.length).toBeGreaterThan(0);
    expect(l.panes.reduce((a, p) => a + (p.x === 0 ? p.height : 0), 0)).toBeLessThanOrEqual(9);
    expect(computeLayout(30, 8, defaultPanes(), false).tooSmall).toBe(true);
  });
});

test('front-end arguments are taken out of the QEMU command line', () => {
  expect(takeFrontEndArgs(['-m', '256M', '--no-tui', '--control-socket', '/tmp/s', '-S'])).toEqual({ rest: ['-m', '256M', '-S'], fe: { tui: false, controlSocket: '/tmp/s' } });
  expect(() => takeFrontEndArgs(['--control-socket'])).toThrow(/socket path is required/);
});

describe('fed a real recording of the default guest', () => {
  let rec: DefaultRecording;
  beforeAll(() => {
    rec = recordDefaultGuest();
  }, 120_000);
  afterAll(() => fs.rmSync(rec.dir, { recursive: true, force: true }));

  test('the pipeline follows the six requests through every stage, in order', () => {
    const m = modelFrom(rec);
    expect(m.pipeline.completed).toBe(6);
    expect(m.pipeline.inFlight.size).toBe(0);
    const ops = m.pipeline.recent.map((r) => `${r.op} ${r.sector}+${r.bytes / 512}`);
    expect(ops).toEqual(['write 0+8', 'write 2047+1', 'flush 0+0', 'read 0+8', 'read 2047+1', 'read 2048+1']);
    for (const r of m.pipeline.recent) {
      expect(r.stage).toBe('interrupt');
      const t = ['vcpu', 'loop', 'completion', 'interrupt'].map((s) => r.at[s as 'vcpu']!);
      expect([...t].sort((a, b) => a - b)).toEqual(t);
    }
    // The read past the end never reaches the pool: IOERR straight from the loop.
    expect(m.pipeline.recent[5].at.worker).toBeUndefined();
    expect(m.pipeline.recent[5].status).toBe(1);
    expect(m.pipeline.recent[0].at.worker).toBeDefined();
    expect(m.stats.totalRequests).toBe(6);
    expect(m.stats.totalWritten).toBe(9 * 512);
  });

  test('pausing the stream freezes the view while events keep arriving', () => {
    const m = modelFrom(rec);
    m.stream.pause();
    const before = m.stream.view(5).rows.map((e) => e.seq);
    m.ingest([m.stream.selected()!.ev]);
    expect(m.stream.view(5).rows.map((e) => e.seq)).toEqual(before);
    m.stream.resume();
    expect(m.stream.view(1).rows[0].seq).toBeGreaterThan(before[before.length - 1]);
  });
});
